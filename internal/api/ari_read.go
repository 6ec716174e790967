package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/keycard/keycard/internal/keycard"
)

// restrictionNames are the values filter[restrictions] accepts.
var restrictionNames = []string{"availability", "availability_offset", "booked", "closed_to_arrival", "closed_to_departure",
	"max_availability", "max_sell", "max_stay", "min_stay", "min_stay_arrival", "min_stay_through", "rate", "stop_sell"}

// ariQuery reads the filters of an ARI read: filter[property_id] (one),
// filter[date] or filter[date][gte|gt] with filter[date][lte|lt],
// optionally filter[<idField>] (a list), and, when wantRestrictions is
// set, filter[restrictions] (a list, returned sorted). Missing ones are a
// 400 naming each, as Channex answers.
func ariQuery(r *http.Request, idField string, wantRestrictions bool) (keycard.ARIQuery, []string, error) {
	var q keycard.ARIQuery
	lq, err := listQuery(r)
	if err != nil {
		return q, nil, err
	}
	var problems []string
	var from, to *keycard.Date
	dated := false
	var restrictions []string
	bound := func(f keycard.Filter) (keycard.Date, bool) {
		if len(f.Values) != 1 {
			problems = append(problems, "filter[date] takes one date")
			return 0, false
		}
		d, ok := keycard.ParseDate(f.Values[0])
		if !ok {
			problems = append(problems, "date "+msgDate)
		}
		return d, ok
	}
	for _, f := range lq.Filters {
		switch {
		case f.Field == "property_id" && f.Op == keycard.OpEq:
			if len(f.Values) != 1 {
				problems = append(problems, "filter[property_id] takes one property id")
				continue
			}
			q.PropertyID = strings.ToLower(f.Values[0])
		case f.Field == "date":
			dated = true
			d, ok := bound(f)
			if !ok {
				continue
			}
			switch f.Op {
			case keycard.OpEq:
				from, to = &d, &d
			case keycard.OpGte:
				from = &d
			case keycard.OpGt:
				d++
				from = &d
			case keycard.OpLte:
				to = &d
			case keycard.OpLt:
				d--
				to = &d
			default:
				problems = append(problems, "filter[date] takes eq, gte, gt, lte or lt")
			}
		case f.Field == "restrictions" && wantRestrictions && f.Op == keycard.OpEq:
			for _, v := range f.Values {
				if !slices.Contains(restrictionNames, v) {
					problems = append(problems, "restrictions: "+strconv.Quote(v)+" is not one of "+strings.Join(restrictionNames, ", "))
					continue
				}
				if !slices.Contains(restrictions, v) {
					restrictions = append(restrictions, v)
				}
			}
		case f.Field == idField && f.Op == keycard.OpEq:
			for _, v := range f.Values {
				q.IDs = append(q.IDs, strings.ToLower(v))
			}
		default:
			problems = append(problems, "filter["+f.Field+"] is not supported here")
		}
	}
	if q.PropertyID == "" {
		problems = append(problems, "property_id is required")
	}
	switch {
	case !dated:
		problems = append(problems, "date is required")
	case from == nil && to == nil:
		// A bad date, already reported.
	case from == nil || to == nil:
		problems = append(problems, "date needs both ends: filter[date][gte] and filter[date][lte], or one filter[date]")
	default:
		q.From, q.To = *from, *to
	}
	if wantRestrictions && len(restrictions) == 0 {
		problems = append(problems, "restrictions is required")
	}
	if len(problems) > 0 {
		return q, nil, &keycard.Error{Code: keycard.EBadRequest, Details: problems}
	}
	slices.Sort(restrictions)
	return q, restrictions, nil
}

// getAvailability is GET /availability: {"data": {"<room_type_id>":
// {"2026-11-01": 1, ...}}}.
func (s *Server) getAvailability(w http.ResponseWriter, r *http.Request) error {
	q, _, err := ariQuery(r, "room_type_id", false)
	if err != nil {
		return err
	}
	return s.cached(w, r, s.store.PropertyVersion(q.PropertyID), func(w http.ResponseWriter) error {
		grid, err := s.store.Availability(r.Context(), principal(r), q)
		if err != nil {
			return err
		}
		out := newJSONStream(w)
		defer out.close()
		b := append(out.buf, `{"data":{`...)
		for i, rt := range grid.RoomTypes {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, rt.ID)
			b = append(b, ":{"...)
			for j, v := range rt.Days {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = (grid.From + keycard.Date(j)).Append(b)
				b = append(b, `":`...)
				b = strconv.AppendInt(b, int64(v), 10)
				b = out.spill(b)
			}
			b = append(b, '}')
		}
		out.buf = append(b, "}}\n"...)
		return nil
	})
}

// getRestrictions is GET /restrictions: {"data": {"<option_id>":
// {"2026-11-01": {"rate": "100.00", ..., "unavailable_reasons": []}}}},
// keyed by occupancy option id (a rate plan's id for its primary option),
// with the fields asked for, in alphabetical order.
func (s *Server) getRestrictions(w http.ResponseWriter, r *http.Request) error {
	q, names, err := ariQuery(r, "rate_plan_id", true)
	if err != nil {
		return err
	}
	return s.cached(w, r, s.store.PropertyVersion(q.PropertyID), func(w http.ResponseWriter) error {
		grid, err := s.store.Restrictions(r.Context(), principal(r), q)
		if err != nil {
			return err
		}
		if grid.MinStayType != "arrival" && grid.MinStayType != "through" {
			// The virtual min_stay has no value while the property keeps both.
			names = slices.DeleteFunc(names, func(n string) bool { return n == "min_stay" })
		}
		bits := make([]uint16, len(names))
		for i, n := range names {
			for _, f := range keycard.RestrictionFields {
				if f.Name == n {
					bits[i] = f.Bit
				}
			}
		}
		out := newJSONStream(w)
		defer out.close()
		var reasons []string
		b := append(out.buf, `{"data":{`...)
		for i, od := range grid.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, od.ID)
			b = append(b, ":{"...)
			for j := range od.Days {
				day := &od.Days[j]
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = (grid.From + keycard.Date(j)).Append(b)
				b = append(b, `":{`...)
				for k, n := range names {
					b = append(b, '"')
					b = append(b, n...)
					b = append(b, `":`...)
					switch {
					case n == "availability":
						b = strconv.AppendInt(b, int64(od.Availability[j]), 10)
					case n == "booked":
						b = strconv.AppendInt(b, int64(od.Booked[j]), 10)
					case n == "min_stay" && grid.MinStayType == "arrival":
						b = strconv.AppendInt(b, int64(day.MinStayArrival), 10)
					case n == "min_stay":
						b = strconv.AppendInt(b, int64(day.MinStayThrough), 10)
					case day.Set&bits[k] == 0:
						b = append(b, "null"...)
					case n == "rate":
						b = append(b, '"')
						b = keycard.AppendMoney(b, day.Rate, od.Currency)
						b = append(b, '"')
					case keycard.IsBool(bits[k]):
						b = strconv.AppendBool(b, day.Bool(bits[k]))
					default:
						b = strconv.AppendInt(b, day.Int(bits[k]), 10)
					}
					b = append(b, ',')
				}
				b = append(b, `"unavailable_reasons":[`...)
				reasons = keycard.AppendUnavailableReasons(reasons[:0], day, od.Availability[j])
				for k, reason := range reasons {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, '"')
					b = append(b, reason...)
					b = append(b, '"')
				}
				b = append(b, "]}"...)
				b = out.spill(b)
			}
			b = append(b, '}')
		}
		out.buf = append(b, "}}\n"...)
		return nil
	})
}

// jsonStream writes a large body built piece by piece (the ARI reads)
// through one pooled buffer: a body that fits in it goes out whole, with a
// Content-Length; a larger one goes out in chunks as it is built, and is
// never held whole in memory (a full year of rates for 50 rate plans is
// megabytes). A client that goes away ends the writing, not the building.
type jsonStream struct {
	w       http.ResponseWriter
	buf     []byte
	pooled  *[]byte
	started bool
	failed  bool
}

// streamChunk is the size at which a jsonStream sends what it holds.
const streamChunk = 32 << 10

var streamBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, streamChunk+4<<10)
	return &b
}}

func newJSONStream(w http.ResponseWriter) *jsonStream {
	p := streamBuffers.Get().(*[]byte)
	return &jsonStream{w: w, buf: (*p)[:0], pooled: p}
}

// spill sends b, the stream's buffer as extended by the caller, once it
// holds a chunk, and returns the buffer to go on with.
func (s *jsonStream) spill(b []byte) []byte {
	s.buf = b
	if len(b) >= streamChunk {
		s.send()
	}
	return s.buf
}

func (s *jsonStream) send() {
	if !s.started {
		s.w.Header()["Content-Type"] = hdrJSON // shared, never written to (see ServeHTTP)
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	if !s.failed {
		_, err := s.w.Write(s.buf)
		s.failed = err != nil
	}
	s.buf = s.buf[:0]
}

// close sends the rest, with a Content-Length when it is the whole body,
// and gives the buffer back.
func (s *jsonStream) close() {
	if s.started {
		s.send()
	} else {
		writeBody(s.w, http.StatusOK, s.buf)
	}
	if cap(s.buf) <= 2*cap(*s.pooled) { // not one grown by a huge piece
		*s.pooled = s.buf[:0]
		streamBuffers.Put(s.pooled)
	}
}
