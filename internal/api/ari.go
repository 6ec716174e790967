package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/keycard/keycard/internal/keycard"
)

// Messages of ARI warnings, in Channex's words where it has them.
const (
	msgNull    = "Should be a non null value or not existed field"
	msgInvalid = "is invalid"
	msgBlank   = "can't be blank"
	msgDate    = "is not a valid date (YYYY-MM-DD)"
)

// postAvailability is POST /availability: {"values": [{property_id,
// room_type_id, date | date_from + date_to, days, availability}, ...]}.
func (s *Server) postAvailability(w http.ResponseWriter, r *http.Request) error {
	return ariWrite(s, w, r, "availability", decodeAvailability,
		func(c *keycard.AvailabilityChange) string { return c.PropertyID }, s.store.ApplyAvailability)
}

// postRestrictions is POST /restrictions: {"values": [{property_id,
// rate_plan_id, date | date_from + date_to, days, rate | rates,
// min_stay_arrival, ...}, ...]}.
func (s *Server) postRestrictions(w http.ResponseWriter, r *http.Request) error {
	return ariWrite(s, w, r, "restrictions", decodeRestriction,
		func(c *keycard.RestrictionChange) string { return c.PropertyID }, s.store.ApplyRestrictions)
}

// ariWrite runs an ARI write: it decodes each entry, charges the route's
// per-property rate limit for the properties of those that decode, has the
// store apply them, and answers with the tasks and the warnings of both
// steps.
func ariWrite[C any](s *Server, w http.ResponseWriter, r *http.Request, route string,
	decode func(*entry, json.RawMessage) (C, keycard.FieldErrors), propertyOf func(C) string,
	apply func(context.Context, *keycard.Principal, []C) (*keycard.ARIResult, error)) error {
	entries, err := decodeValues(r)
	if err != nil {
		return err
	}
	decoded := make([]C, len(entries))
	warnings := make([]keycard.FieldErrors, len(entries))
	decodeEntries(len(entries), func(lo, hi int) {
		e := &entry{ids: map[string]string{}}
		for i := lo; i < hi; i++ {
			if c, fe := decode(e, entries[i]); len(fe) > 0 {
				warnings[i] = fe
			} else {
				decoded[i] = c
			}
		}
	})
	changes := make([]C, 0, len(entries))
	index := make([]int, 0, len(entries)) // entry of each change
	for i, c := range decoded {
		if warnings[i] == nil {
			changes, index = append(changes, c), append(index, i)
		}
	}
	properties := make([]string, len(changes))
	for i, c := range changes {
		properties[i] = propertyOf(c)
	}
	if err := s.chargeARI(w, r, route, properties); err != nil {
		return err
	}
	res, err := apply(r.Context(), principal(r), changes)
	if err != nil {
		return err
	}
	for j, fe := range res.Warnings {
		if len(fe) > 0 {
			warnings[index[j]] = fe
		}
	}
	tasks := make([]ref, 0, len(res.TaskIDs))
	for _, id := range res.TaskIDs {
		tasks = append(tasks, ref{Type: "task", ID: id})
	}
	var echoed []any
	for i, fe := range warnings {
		if len(fe) > 0 {
			echoed = append(echoed, echo(entries[i], fe))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Data []ref   `json:"data"`
		Meta ariMeta `json:"meta"`
	}{tasks, ariMeta{Message: "Success", Warnings: echoed}})
	return nil
}

// parallelEntries is the number of entries from which an ARI write
// decodes them on several cores: a full sync is tens of thousands, and
// each is independent of the others.
const parallelEntries = 4096

// decodeEntries runs decode over [0, n) in parts, one per core for a large
// write, and returns when all are done.
func decodeEntries(n int, decode func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/parallelEntries)
	if parts <= 1 {
		decode(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { decode(p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}

// ariMeta is the meta of an ARI write; on a clean success the warnings
// member is absent, as in Channex.
type ariMeta struct {
	Message  string `json:"message"`
	Warnings []any  `json:"warnings,omitempty"`
}

// echo returns a refused entry as it was sent, with its reasons under
// "warning" (an entry that is not an object under "value").
func echo(raw json.RawMessage, fe keycard.FieldErrors) any {
	members, ok := splitObject(nil, raw)
	if !ok {
		return map[string]any{"value": raw, "warning": fe}
	}
	m := make(map[string]any, len(members)+1)
	for _, mb := range members {
		m[string(mb.name)] = mb.value // a later duplicate wins
	}
	m["warning"] = fe
	return m
}

// decodeValues reads {"values": [...]} and returns the entries as written.
func decodeValues(r *http.Request) ([]json.RawMessage, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	// One pass for the common case; a body it refuses is looked at again
	// to say why.
	if entries, ok := splitValues(body); ok {
		return entries, nil
	}
	var env struct {
		Values json.RawMessage `json:"values"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, keycard.Errorf(keycard.EBadRequest, "the request body is not a valid JSON object")
	}
	if len(env.Values) == 0 || isNull(env.Values) {
		return nil, &keycard.Error{Code: keycard.EBadRequest, Details: []string{"values is required"}}
	}
	return nil, keycard.Invalid("values", "must be a list of objects")
}

// splitValues checks that body is one valid JSON object and returns the
// items of its values array (matched as encoding/json matches a field
// name, the last one winning), each aliasing body. It reports false when
// body is not valid JSON or values is absent or not an array.
//
// A full sync is tens of thousands of entries: jsontext validates and
// splits the body in one pass, several times faster than encoding/json's
// Unmarshal into []json.RawMessage, and without copying the entries.
func splitValues(body []byte) ([]json.RawMessage, bool) {
	d := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	var entries []json.RawMessage
	found := false
	for d.PeekKind() == '"' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, false
		}
		if !strings.EqualFold(name.String(), "values") {
			if d.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		found, entries = false, entries[:0]
		if d.PeekKind() != '[' {
			if d.SkipValue() != nil {
				return nil, false
			}
			continue
		}
		d.ReadToken()
		for d.PeekKind() != ']' {
			v, err := d.ReadValue()
			if err != nil {
				return nil, false
			}
			end := int(d.InputOffset())
			entries = append(entries, json.RawMessage(body[end-len(v):end:end]))
		}
		if _, err := d.ReadToken(); err != nil {
			return nil, false
		}
		found = true
	}
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, false
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, false // something after the object
	}
	if !found {
		return nil, false
	}
	if entries == nil {
		entries = []json.RawMessage{}
	}
	return entries, true
}

// decodeAvailability reads one entry of POST /availability.
func decodeAvailability(e *entry, raw json.RawMessage) (*keycard.AvailabilityChange, keycard.FieldErrors) {
	if !e.read(raw) {
		return nil, notAnObject()
	}
	c := &keycard.AvailabilityChange{PropertyID: ariID(e, "property_id"), RoomTypeID: ariID(e, "room_type_id"), Dates: ariDates(e)}
	if n, ok := ariInt(e, "availability", true); ok {
		if msg := keycard.CheckAvailability(n); msg != "" {
			e.fail("availability", msg)
		}
		c.Availability = int32(n)
	}
	return c, e.errs
}

// decodeRestriction reads one entry of POST /restrictions, in form only:
// the rate is read once its rate plan's currency is known.
func decodeRestriction(e *entry, raw json.RawMessage) (*keycard.RestrictionChange, keycard.FieldErrors) {
	if !e.read(raw) {
		return nil, notAnObject()
	}
	c := &keycard.RestrictionChange{PropertyID: ariID(e, "property_id"), RatePlanID: ariID(e, "rate_plan_id"), Dates: ariDates(e)}
	for _, field := range keycard.RestrictionFields {
		switch {
		case field.Bit == keycard.FieldRate:
			if raw, ok := e.get("rate"); ok {
				if msg := precheckRate(raw); msg != "" {
					e.fail("rate", msg)
				} else {
					c.Rate = raw
				}
			}
		case keycard.IsBool(field.Bit):
			if b, ok := ariBool(e, field.Name); ok {
				c.Values.SetBool(field.Bit, b)
			}
		default:
			if n, ok := ariInt(e, field.Name, false); ok {
				if msg := keycard.CheckRestriction(field.Bit, n); msg != "" {
					e.fail(field.Name, msg)
				} else {
					c.Values.SetInt(field.Bit, n)
				}
			}
		}
	}
	if n, ok := ariInt(e, "min_stay", false); ok {
		if msg := keycard.CheckRestriction(keycard.FieldMinStayArrival, n); msg != "" {
			e.fail("min_stay", msg)
		} else {
			v := int32(n)
			c.MinStay = &v
		}
	}
	if raw, ok := e.get("rates"); ok {
		c.Rates = ariRates(e, raw)
	}
	if c.Values.Set == 0 && c.Rate == nil && len(c.Rates) == 0 && c.MinStay == nil && len(e.errs) == 0 {
		e.fail("values", "at least one restriction (rate, rates, min_stay_arrival, min_stay_through, min_stay, max_stay, "+
			"closed_to_arrival, closed_to_departure, stop_sell, availability_offset, max_availability, max_sell) is required")
	}
	return c, e.errs
}

// entry reads the members of one ARI entry at a time. One serves a
// whole request, so that a full sync of tens of thousands of entries
// allocates no member list and no error map per entry, and one string per
// distinct id.
type entry struct {
	fields
	ids map[string]string // valid ids as written -> as read
}

// read makes raw the current entry; it reports false, leaving no members,
// when raw is not an object.
func (e *entry) read(raw json.RawMessage) bool {
	var ok bool
	e.errs = nil
	e.members, ok = splitObject(e.members[:0], raw)
	return ok
}

func notAnObject() keycard.FieldErrors { return keycard.FieldErrors{"value": {"must be an object"}} }

// ariID reads a required id member.
func ariID(e *entry, name string) string {
	raw, ok := e.get(name)
	switch {
	case !ok:
		e.fail(name, msgBlank)
	case isNull(raw):
		e.fail(name, msgNull)
	default:
		if s, ok := e.ids[string(raw)]; ok {
			return s
		}
		s, ok := ariString(raw)
		s = strings.ToLower(strings.TrimSpace(s))
		if !ok || !keycard.ValidID(s) {
			e.fail(name, msgInvalid)
			return s
		}
		e.ids[string(raw)] = s
		return s
	}
	return ""
}

// ariString reads a JSON string, without allocating a decoder for the
// common case of one without escapes.
func ariString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

// ariDates reads date, or date_from and date_to (inclusive), and days.
func ariDates(e *entry) keycard.Dates {
	d := keycard.Dates{Days: keycard.EveryDay}
	date := func(name string) (keycard.Date, bool) {
		raw, _ := e.get(name)
		if isNull(raw) {
			e.fail(name, msgNull)
			return 0, false
		}
		s, _ := ariString(raw)
		v, ok := keycard.ParseDate(s)
		if !ok {
			e.fail(name, msgDate)
		}
		return v, ok
	}
	hasDate := e.has("date")
	hasFrom := e.has("date_from")
	hasTo := e.has("date_to")
	switch {
	case hasDate && (hasFrom || hasTo):
		e.fail("date", "can't be combined with date_from and date_to")
	case hasDate:
		if v, ok := date("date"); ok {
			d.From, d.To, d.Single = v, v, true
		}
	case !hasFrom && !hasTo:
		e.fail("date", "can't be blank (send date, or date_from and date_to)")
	default:
		var okFrom, okTo bool
		if !hasFrom {
			e.fail("date_from", msgBlank)
		} else {
			d.From, okFrom = date("date_from")
		}
		if !hasTo {
			e.fail("date_to", msgBlank)
		} else {
			d.To, okTo = date("date_to")
		}
		if okFrom && okTo && d.To < d.From {
			e.fail("date_to", "must be on or after date_from")
		}
	}
	if raw, ok := e.get("days"); ok {
		var codes []string
		switch {
		case isNull(raw):
			e.fail("days", msgNull)
		case json.Unmarshal(raw, &codes) != nil:
			e.fail("days", "must be a list of weekday codes (mo, tu, we, th, fr, sa, su)")
		default:
			w, ok := keycard.ParseWeekdays(codes)
			if !ok {
				e.fail("days", "must be a non-empty list of weekday codes (mo, tu, we, th, fr, sa, su)")
			}
			d.Days = w
		}
	}
	return d
}

// ariInt reads a whole-number member; a string holding one is read too.
// It reports whether the member was present and valid.
func ariInt(e *entry, name string, required bool) (int64, bool) {
	raw, ok := e.get(name)
	switch {
	case !ok:
		if required {
			e.fail(name, msgBlank)
		}
		return 0, false
	case isNull(raw):
		e.fail(name, msgNull)
		return 0, false
	}
	s := string(raw)
	if t, ok := ariString(raw); ok {
		s = strings.TrimSpace(t)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		switch _, ferr := strconv.ParseFloat(s, 64); {
		case errors.Is(err, strconv.ErrRange):
			e.fail(name, "is too large")
		case ferr == nil && !strings.ContainsAny(s, "eE"):
			e.fail(name, "must be an integer")
		default:
			e.fail(name, "is not a number")
		}
		return 0, false
	}
	return n, true
}

// ariBool reads a boolean member: true, false, 0 or 1 (or those as
// strings).
func ariBool(e *entry, name string) (bool, bool) {
	raw, ok := e.get(name)
	if !ok {
		return false, false
	}
	if isNull(raw) {
		e.fail(name, msgNull)
		return false, false
	}
	s := string(raw)
	if t, ok := ariString(raw); ok {
		s = t
	}
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	e.fail(name, msgInvalid)
	return false, false
}

// ariRates reads rates: [{"occupancy": 1, "rate": 12100}, ...].
func ariRates(e *entry, raw json.RawMessage) []keycard.OccupancyRate {
	var list []map[string]json.RawMessage
	if isNull(raw) {
		e.fail("rates", msgNull)
		return nil
	}
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		e.fail("rates", "must be a non-empty list of {occupancy, rate}")
		return nil
	}
	out := make([]keycard.OccupancyRate, 0, len(list))
	for _, m := range list {
		occ, ok := wholeNumber(m["occupancy"])
		rate := m["rate"]
		switch {
		case !ok || occ < 1:
			e.fail("rates", "every item needs an occupancy, a whole number from 1")
		case precheckRate(rate) != "":
			e.fail("rates", "rate for occupancy "+strconv.FormatInt(occ, 10)+" "+precheckRate(rate))
		default:
			out = append(out, keycard.OccupancyRate{Occupancy: int(occ), Rate: rate})
		}
	}
	return out
}

// precheckRate returns what is wrong with a rate whatever the currency
// (its form, its sign), or "". Whether its decimals fit the rate plan's
// currency is checked once the plan is known.
func precheckRate(raw json.RawMessage) string {
	if raw == nil {
		return msgBlank
	}
	// Four decimals are the most any currency has (CLF).
	v, msg := keycard.ParseMoney(raw, "CLF")
	switch {
	case msg == "" && v <= 0:
		return "must be greater than 0"
	case msg == "is too large":
		return "" // depends on the currency
	}
	return msg
}

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
