package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests need no server: they hold the client to a scripted
// endpoint, the one edge they cannot run here (a proxy answering 502, a
// server answering 503). internal/clienttest, in the server's module,
// runs the client against the real server.

// script is an endpoint that answers each request with the next of its
// answers, and records what it was sent.
type script struct {
	mu      sync.Mutex
	answers []answer
	got     []sent
}

type answer struct {
	status     int
	retryAfter string
	body       string
}

type sent struct {
	method, path, body string
}

func newScript(t *testing.T, answers ...answer) (*script, *httptest.Server) {
	t.Helper()
	s := &script{answers: answers}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got = append(s.got, sent{r.Method, r.URL.Path, string(body)})
		a := answer{status: http.StatusInternalServerError, body: `{"errors":{"code":"internal_error","title":"out of answers"}}`}
		if len(s.answers) > 0 {
			a, s.answers = s.answers[0], s.answers[1:]
		}
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(hs.Close)
	return s, hs
}

func (s *script) sent() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sent(nil), s.got...)
}

// recordWaits makes c record its waits instead of sleeping.
func recordWaits(c *Client) *[]time.Duration {
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return &waits
}

const okGroup = `{"data":{"type":"group","id":"g","attributes":{"id":"g","title":"Lisbon"}}}`

func TestRetries(t *testing.T) {
	unavailable := answer{status: 503, retryAfter: "7", body: `{"errors":{"code":"service_unavailable","title":"down"}}`}
	badGateway := answer{status: 502, body: "<html>bad gateway</html>"}
	timeout := answer{status: 504}
	limited := answer{status: 429, retryAfter: "30", body: `{"errors":{"code":"http_too_many_requests","title":"slow down"}}`}
	ok := answer{status: 200, body: okGroup}
	tests := []struct {
		name    string
		answers []answer
		call    func(c *Client) error
		// sends is how many requests reach the server; status, the
		// error's (0: none).
		sends, status int
		// waits are the waits asked for; a negative one is a backoff
		// of any length between half and the whole of its opposite.
		waits []time.Duration
	}{
		{"GET after 503 and 502", []answer{unavailable, badGateway, ok}, getGroup, 3, 0, []time.Duration{7 * time.Second, -2 * time.Second}},
		{"GET after 504", []answer{timeout, ok}, getGroup, 2, 0, []time.Duration{-time.Second}},
		{"PUT after 503", []answer{unavailable, ok}, renameGroup, 2, 0, []time.Duration{7 * time.Second}},
		{"DELETE after 502", []answer{badGateway, {status: 200, body: `{"meta":{"message":"Success"}}`}}, deleteGroup, 2, 0, []time.Duration{-time.Second}},
		{"POST not after 503", []answer{unavailable, ok}, createGroup, 1, 503, nil},
		{"POST not after 502", []answer{badGateway, ok}, createGroup, 1, 502, nil},
		{"POST after 429", []answer{limited, ok}, createGroup, 2, 0, []time.Duration{30 * time.Second}},
		{"ack after 503", []answer{unavailable, {status: 200, body: `{"meta":{"message":"Success"}}`}}, ack, 2, 0, []time.Duration{7 * time.Second}},
		{"GET not after 500", []answer{{status: 500}, ok}, getGroup, 1, 500, nil},
		{"GET stops after 3 retries", []answer{timeout, timeout, timeout, timeout, ok}, getGroup, 4, 504,
			[]time.Duration{-time.Second, -2 * time.Second, -4 * time.Second}},
		{"a long Retry-After is cut to maxWait", []answer{{status: 503, retryAfter: "3600"}, ok}, getGroup, 2, 0, []time.Duration{time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, hs := newScript(t, tc.answers...)
			c := New(hs.URL, WithAPIKey("kc_test"))
			waits := recordWaits(c)
			err := tc.call(c)
			if got := len(s.sent()); got != tc.sends {
				t.Errorf("requests sent: got %d, want %d", got, tc.sends)
			}
			status := 0
			if e, ok := errors.AsType[*Error](err); ok {
				status = e.Status
			} else if err != nil {
				t.Fatalf("error: got %v, want an *Error or none", err)
			}
			if status != tc.status {
				t.Errorf("error status: got %d (%v), want %d", status, err, tc.status)
			}
			if len(*waits) != len(tc.waits) {
				t.Fatalf("waits: got %v, want %v", *waits, tc.waits)
			}
			for i, w := range tc.waits {
				got := (*waits)[i]
				if w >= 0 && got != w || w < 0 && (got < -w/2 || got > -w) {
					t.Errorf("wait %d: got %v, want %v", i, got, w)
				}
			}
			// A request sent again carries the same body.
			for _, r := range s.sent() {
				if r.body != s.sent()[0].body {
					t.Errorf("body sent again: got %q, want %q", r.body, s.sent()[0].body)
				}
			}
		})
	}
}

func getGroup(c *Client) error { _, err := c.Group(context.Background(), "g"); return err }
func renameGroup(c *Client) error {
	_, err := c.UpdateGroup(context.Background(), "g", "Lisboa")
	return err
}
func deleteGroup(c *Client) error { return c.DeleteGroup(context.Background(), "g") }
func createGroup(c *Client) error {
	_, err := c.CreateGroup(context.Background(), "Lisbon")
	return err
}
func ack(c *Client) error { return c.AckRevision(context.Background(), "r") }

// TestRetryStopsWithContext checks that a wait ends when the request's
// context does, and that a context already done sends nothing more.
func TestRetryStopsWithContext(t *testing.T) {
	s, hs := newScript(t, answer{status: 503, retryAfter: "3600"}, answer{status: 200, body: okGroup})
	ctx, cancel := context.WithCancel(context.Background())
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		cancel() // the caller gives up while the client waits
		return resp, err
	})}
	c := New(hs.URL, WithHTTPClient(hc), WithRetries(3, time.Hour))
	_, err := c.Group(ctx, "g")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error: got %v, want context.Canceled", err)
	}
	if n := len(s.sent()); n != 1 {
		t.Errorf("requests sent: got %d, want 1", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfter(t *testing.T) {
	if got := retryAfter("12", 5); got != 12*time.Second {
		t.Errorf("Retry-After 12: got %v, want 12s", got)
	}
	if got := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 0); got < 59*time.Minute || got > time.Hour {
		t.Errorf("Retry-After in an hour, as a date: got %v, want about 1h", got)
	}
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 64 * time.Second, 64 * time.Second} {
		if attempt == 3 {
			attempt = 6
		} else if attempt == 4 {
			attempt = 20
		}
		if got := retryAfter("", attempt); got < want/2 || got > want {
			t.Errorf("backoff of attempt %d: got %v, want between %v and %v", attempt, got, want/2, want)
		}
	}
}

// TestTimestamps decodes the API's timestamps, UTC without a zone, and
// RFC 3339, into time.Time; null into nil.
func TestTimestamps(t *testing.T) {
	var k APIKey
	err := json.Unmarshal([]byte(`{"id":"k","name":"PMS","created_at":"2026-12-01T09:30:00.123456","last_used_at":null,
		"expires_at":"2027-01-31T00:00:00Z","previous_key_expires_at":"2026-12-02T10:00:00.000000",
		"blocked_by":[{"organization_id":"o","organization_name":"Hotel","blocked_at":"2026-12-03T00:00:00.000001"}]}`), &k)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 1, 9, 30, 0, 123456000, time.UTC)
	if !k.CreatedAt.Equal(want) || k.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at: got %v, want %v", k.CreatedAt, want)
	}
	if k.LastUsedAt != nil || k.WithdrawnAt != nil {
		t.Errorf("null and absent timestamps: got %v and %v, want nil", k.LastUsedAt, k.WithdrawnAt)
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expires_at: got %v, want 2027-01-31 00:00 UTC", k.ExpiresAt)
	}
	if k.PreviousKeyExpiresAt == nil || k.PreviousKeyExpiresAt.Hour() != 10 || k.Name != "PMS" {
		t.Errorf("previous_key_expires_at %v, name %q", k.PreviousKeyExpiresAt, k.Name)
	}
	if len(k.BlockedBy) != 1 || k.BlockedBy[0].BlockedAt.Nanosecond() != 1000 || k.BlockedBy[0].OrganizationName != "Hotel" {
		t.Errorf("blocked_by: got %+v", k.BlockedBy)
	}

	var b Booking
	if err := json.Unmarshal([]byte(`{"id":"b","revision_id":"r","status":"new","inserted_at":"2026-12-01T09:30:00.000000"}`), &b); err != nil {
		t.Fatal(err)
	}
	if b.ID != "b" || b.RevisionID != "r" || b.Status != "new" || !b.InsertedAt.Equal(time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("booking: got %+v", b)
	}
	if err := json.Unmarshal([]byte(`{"id":"b","inserted_at":"yesterday"}`), &b); err == nil || !strings.Contains(err.Error(), "yesterday") {
		t.Errorf("a timestamp that is none: got %v, want an error naming it", err)
	}
}

// TestChanges checks that a typed change sends only the fields it sets.
func TestChanges(t *testing.T) {
	at := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change any
		want   string
	}{
		{"nothing", PropertyChange{}, `{}`},
		{"a title and a cleared email", PropertyChange{Title: new("Casa"), Email: new("")}, `{"title":"Casa","email":""}`},
		{"no facilities", PropertyChange{Facilities: []string{}}, `{"facilities":[]}`},
		{"content without photos", PropertyChange{Content: &PropertyContent{Description: new("Sea view")}}, `{"content":{"description":"Sea view"}}`},
		{"a room count", RoomTypeChange{CountOfRooms: new(0)}, `{"count_of_rooms":0}`},
		{"a stop sell by weekday", RatePlanChange{StopSell: []bool{true, false, false, false, false, false, true}},
			`{"stop_sell":[true,false,false,false,false,false,true]}`},
		{"webhook to every property", WebhookChange{PropertyID: new(""), IsActive: new(false)}, `{"is_active":false,"property_id":null}`},
		{"webhook to a property", WebhookChange{PropertyID: new("p")}, `{"property_id":"p"}`},
		{"webhook unchanged property", WebhookChange{EventMask: new("*")}, `{"event_mask":"*"}`},
		{"key expiry", APIKeyChange{ExpiresAt: &at}, `{"expires_at":"2027-06-30T00:00:00Z"}`},
		{"key without expiry", APIKeyChange{ExpiresAt: &at, NoExpiry: true, ReadOnly: new(true)}, `{"read_only":true,"expires_at":null}`},
		{"new key without expiry", NewAPIKey{Name: "k", AccessAllProperties: true}, `{"name":"k","access_all_properties":true}`},
		{"new key from a preset", NewAPIKey{Name: "k", AccessAllProperties: true, Permissions: Preset(PresetRMS)},
			`{"name":"k","access_all_properties":true,"permissions":"rms"}`},
		{"key permissions by family", APIKeyChange{Permissions: Levels(map[string]string{"restrictions": LevelWrite, "bookings": LevelRead})},
			`{"permissions":{"bookings":"read","restrictions":"write"}}`},
		{"tax dates", TaxChange{ApplicableDateRanges: []DateRange{{After: new("2027-01-01")}}},
			`{"applicable_date_ranges":[{"after":"2027-01-01","before":null}]}`},
		{"photo position", PhotoChange{Position: new(0)}, `{"position":0}`},
		{"policy check-in", HotelPolicyChange{CheckinTime: new("14:00")}, `{"checkin_time":"14:00"}`},
		{"tax set title", TaxSetChange{Title: new("VAT")}, `{"title":"VAT"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.change)
			if err != nil || string(b) != tc.want {
				t.Errorf("got %s, %v; want %s", b, err, tc.want)
			}
		})
	}
}
