// Package openchanneltest is a real Open Channel channel for tests: an
// HTTP server that answers test_connection/, mapping_details/ and
// changes/ as the spec describes, checks the api-key header and the hotel
// code, records every changes request, applies them to an ARI state of
// its own (so that tests can assert what the channel ends up with), and
// can be taken down or made to fail.
package openchanneltest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
)

// Mode is how the server answers.
type Mode int

const (
	// Up answers as a healthy channel.
	Up Mode = iota
	// Down drops every connection without an answer.
	Down
	// Failing answers 500 {"success":false,...}.
	Failing
	// Refusing answers 200 {"success":false,...}.
	Refusing
)

// Request is one changes request the server received.
type Request struct {
	At        time.Time
	RequestID string
	Body      []byte
	// Notifications is the body parsed; nil when it did not parse.
	Notifications []openchannel.Notification
	// Status is what the server answered (0: dropped).
	Status int
	// Applied says whether the request changed the channel's state (it
	// is false for a redelivery of a request id already applied).
	Applied bool
}

// Cell is what the channel holds for one (room type, rate plan, date).
type Cell struct {
	Availability    int
	HasAvailability bool
	HasRestrictions bool
	// Rates by occupancy, as sent.
	Rates             map[int]string
	StopSell          bool
	ClosedToArrival   bool
	ClosedToDeparture bool
	MinStayArrival    int
	MinStayThrough    int
	MaxStay           int
}

// Key names a cell.
type Key struct {
	RoomType, RatePlan string
	Day                keycard.Date
}

// Server is a test channel.
type Server struct {
	*httptest.Server
	// APIKey is the key the server expects (empty: none checked).
	APIKey    string
	HotelCode string

	mu       sync.Mutex
	mode     Mode
	mapping  keycard.MappingDetails
	requests []Request
	applied  map[string]bool
	cells    map[Key]*Cell
	received chan struct{}
	observe  func(Request)
	delay    time.Duration
}

// New starts a channel that expects apiKey and hotelCode and describes
// its plans with mapping. Its Endpoint ends in "/api/". It is closed when
// the test ends if t is not nil.
func New(t interface{ Cleanup(func()) }, apiKey, hotelCode string, mapping keycard.MappingDetails) *Server {
	s := &Server{APIKey: apiKey, HotelCode: hotelCode, mapping: mapping, applied: map[string]bool{},
		cells: map[Key]*Cell{}, received: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// Endpoint is the endpoint to configure in keycard.
func (s *Server) Endpoint() string { return s.URL + "/api/" }

// SetMode changes how the server answers from now on.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// SetDelay makes every changes request take d longer to answer, as a
// slow channel does (so that pushes are under way when a test acts). A
// request whose caller gives up meanwhile is dropped unapplied and
// unrecorded, so a long delay with a short client timeout ends at once.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetObserver sets a function called with each changes request once it
// is recorded (and applied), on the request's goroutine.
func (s *Server) SetObserver(fn func(Request)) {
	s.mu.Lock()
	s.observe = fn
	s.mu.Unlock()
}

// CellCount returns how many cells the channel holds.
func (s *Server) CellCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cells)
}

// Requests returns a copy of the changes requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Received is signalled (without blocking) after each changes request, so
// that tests can wait for the next one instead of sleeping.
func (s *Server) Received() <-chan struct{} { return s.received }

// Cell returns the channel's state of one cell, and whether it has any.
func (s *Server) Cell(roomType, ratePlan string, day keycard.Date) (Cell, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cells[Key{roomType, ratePlan, day}]
	if !ok {
		return Cell{}, false
	}
	out := *c
	out.Rates = maps.Clone(c.Rates)
	return out, true
}

// Cells returns a copy of the channel's whole state.
func (s *Server) Cells() map[Key]Cell {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Key]Cell, len(s.cells))
	for k, c := range s.cells {
		cc := *c
		cc.Rates = maps.Clone(c.Rates)
		out[k] = cc
	}
	return out
}

// ForgetRequests forgets the requests received so far (the state stays).
func (s *Server) ForgetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode, delay := s.mode, s.delay
	s.mu.Unlock()
	route := strings.TrimPrefix(r.URL.Path, "/api/")
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 64<<20)); err != nil {
			return // the caller is gone
		}
	}
	if delay > 0 && route == openchannel.RouteChanges {
		// The channel's own slowness, not a test's synchronisation. The
		// body is read first: the request's context then ends when the
		// caller hangs up.
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	record := func(status int, req Request) {
		if route != openchannel.RouteChanges {
			return
		}
		req.At, req.Body, req.Status = time.Now(), body, status
		s.mu.Lock()
		s.requests = append(s.requests, req)
		observe := s.observe
		s.mu.Unlock()
		if observe != nil {
			observe(req)
		}
		select {
		case s.received <- struct{}{}:
		default:
		}
	}
	switch mode {
	case Down:
		record(0, Request{})
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Failing:
		record(http.StatusInternalServerError, Request{})
		writeJSON(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "channel failure"})
		return
	case Refusing:
		record(http.StatusOK, Request{})
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "error": "refused"})
		return
	}
	if s.APIKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("api-key")), []byte(s.APIKey)) != 1 {
		record(http.StatusUnauthorized, Request{})
		writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "Unauthorized"})
		return
	}
	switch {
	case route == openchannel.RouteTestConnection && r.Method == http.MethodGet:
		if r.URL.Query().Get("hotel_code") != s.HotelCode {
			writeJSON(w, http.StatusForbidden, map[string]any{"success": false, "error": "unknown hotel_code"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	case route == openchannel.RouteMappingDetails && r.Method == http.MethodGet:
		if r.URL.Query().Get("hotel_code") != s.HotelCode {
			writeJSON(w, http.StatusForbidden, map[string]any{"success": false, "error": "unknown hotel_code"})
			return
		}
		s.mu.Lock()
		m := s.mapping
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"type": "mapping_details", "attributes": m}})
	case route == openchannel.RouteChanges && r.Method == http.MethodPost:
		s.changes(w, body, record)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": "not found"})
	}
}

// changes applies a changes request, all or nothing, and acknowledges a
// request id it has applied already without applying it again.
func (s *Server) changes(w http.ResponseWriter, body []byte, record func(int, Request)) {
	ns, err := openchannel.ParseChanges(body)
	if err != nil {
		record(http.StatusBadRequest, Request{})
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": "Invalid JSON: " + err.Error()})
		return
	}
	for _, n := range ns {
		if n.HotelCode != s.HotelCode {
			record(http.StatusForbidden, Request{Notifications: ns, RequestID: n.RequestID})
			writeJSON(w, http.StatusForbidden, map[string]any{"success": false, "error": "unknown hotel_code"})
			return
		}
		if err := s.check(&n); err != nil {
			record(http.StatusUnprocessableEntity, Request{Notifications: ns, RequestID: n.RequestID})
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"success": false, "error": err.Error()})
			return
		}
	}
	s.mu.Lock()
	applied := false
	for _, n := range ns {
		if s.applied[n.RequestID] {
			continue
		}
		s.applied[n.RequestID] = true
		applied = true
		s.apply(&n)
	}
	s.mu.Unlock()
	record(http.StatusOK, Request{Notifications: ns, RequestID: ns[0].RequestID, Applied: applied})
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "unique_id": ns[0].RequestID})
}

// check refuses what a strict channel refuses: a missing request id,
// unknown room type or rate plan ids, a change to a read-only plan, a
// per-room plan's rate at another occupancy than max_persons.
func (s *Server) check(n *openchannel.Notification) error {
	if n.RequestID == "" {
		return fmt.Errorf("request_id is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	plan := func(rt, rp string) *keycard.MappingRatePlan {
		for i := range s.mapping.RoomTypes {
			if s.mapping.RoomTypes[i].ID != rt {
				continue
			}
			for j := range s.mapping.RoomTypes[i].RatePlans {
				if p := &s.mapping.RoomTypes[i].RatePlans[j]; p.ID == rp {
					return p
				}
			}
		}
		return nil
	}
	for _, a := range n.Availability {
		p := plan(a.RoomTypeID, a.RatePlanID)
		switch {
		case p == nil:
			return fmt.Errorf("unknown room type %q or rate plan %q", a.RoomTypeID, a.RatePlanID)
		case p.ReadOnly:
			return fmt.Errorf("rate plan %q is read-only", a.RatePlanID)
		case a.Availability < 0:
			return fmt.Errorf("negative availability")
		}
	}
	for _, r := range n.Restrictions {
		p := plan(r.RoomTypeID, r.RatePlanID)
		switch {
		case p == nil:
			return fmt.Errorf("unknown room type %q or rate plan %q", r.RoomTypeID, r.RatePlanID)
		case p.ReadOnly:
			return fmt.Errorf("rate plan %q is read-only", r.RatePlanID)
		case r.MinStayArrival < 1 || r.MinStayThrough < 1 || r.MaxStay < 0:
			return fmt.Errorf("bad min/max stay")
		}
		for _, rate := range r.Rates {
			if rate.Occupancy < 1 || rate.Occupancy > p.MaxPersons {
				return fmt.Errorf("rate occupancy %d outside 1..%d", rate.Occupancy, p.MaxPersons)
			}
			if p.SellMode == keycard.ChannelPerRoom && rate.Occupancy != p.MaxPersons {
				return fmt.Errorf("per_room plan %q: rate occupancy %d is not max_persons %d", r.RatePlanID, rate.Occupancy, p.MaxPersons)
			}
			if rate.Currency != p.Currency {
				return fmt.Errorf("rate currency %q is not %q", rate.Currency, p.Currency)
			}
		}
	}
	return nil
}

func (s *Server) cell(k Key) *Cell {
	c := s.cells[k]
	if c == nil {
		c = &Cell{Rates: map[int]string{}}
		s.cells[k] = c
	}
	return c
}

// apply writes a notification into the state, day by day (date_to
// included). s.mu is held.
func (s *Server) apply(n *openchannel.Notification) {
	for _, a := range n.Availability {
		for d := a.DateFrom; d <= a.DateTo; d++ {
			c := s.cell(Key{a.RoomTypeID, a.RatePlanID, d})
			c.Availability, c.HasAvailability = a.Availability, true
		}
	}
	for _, r := range n.Restrictions {
		for d := r.DateFrom; d <= r.DateTo; d++ {
			c := s.cell(Key{r.RoomTypeID, r.RatePlanID, d})
			c.HasRestrictions = true
			c.StopSell, c.ClosedToArrival, c.ClosedToDeparture = r.StopSell, r.ClosedToArrival, r.ClosedToDeparture
			c.MinStayArrival, c.MinStayThrough, c.MaxStay = r.MinStayArrival, r.MinStayThrough, r.MaxStay
			for _, rate := range r.Rates {
				c.Rates[rate.Occupancy] = rate.Rate
			}
		}
	}
}
