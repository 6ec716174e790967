package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/webhook"
)

// server is a real keycard API over a database of the dialect, with an
// owner (subscription active) signed in through the client.
type server struct {
	url     string
	owner   *Client // a session
	api     *api.Server
	st      *store.Store
	ownerID string
	now     time.Time
	clockMu sync.Mutex
}

func newServer(t *testing.T, cfg store.Config) *server {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, cfg)
	user, org, err := st.CreateOwner(ctx, "owner@hotel.example", "a long password", "Owner")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv := &server{api: api.New(st, auth.New(st, keycard.ModeProduction, log), keycard.ModeProduction, log),
		st: st, ownerID: user.ID, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	// Webhook callbacks of the tests are on 127.0.0.1.
	srv.api.SetWebhookSender(webhook.NewSender(true))
	hs := httptest.NewServer(srv.api)
	t.Cleanup(hs.Close)
	srv.url = hs.URL
	sess, err := New(hs.URL).SignIn(ctx, "owner@hotel.example", "a long password")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	srv.owner = New(hs.URL, WithToken(sess.Token))
	return srv
}

func (s *server) clock() time.Time {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	return s.now
}

func (s *server) advance(d time.Duration) {
	s.clockMu.Lock()
	s.now = s.now.Add(d)
	s.clockMu.Unlock()
}

func collect[T any](t *testing.T, seq func(func(*T, error) bool)) []*T {
	t.Helper()
	var out []*T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("iterate: %v", err)
		}
		out = append(out, v)
	}
	return out
}

// TestPMSFlow walks what a PMS does, through the client against the real
// server: it gets a key, sets a property up, pages through lists, pushes
// ARI and reads it back, meets typed errors, and loses access when the key
// is withdrawn.
func TestPMSFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		k, err := srv.owner.CreateAPIKey(ctx, NewAPIKey{Name: "PMS", AccessAllProperties: true})
		if err != nil || k.Key == "" || k.Status != "active" {
			t.Fatalf("create key: %+v, %v", k, err)
		}
		pms := New(srv.url, WithAPIKey(k.Key))

		var first *Property
		for i := range 23 {
			p, err := pms.CreateProperty(ctx, NewProperty{Title: fmt.Sprintf("Hotel %02d", i), Currency: "EUR", Timezone: "Europe/Lisbon"})
			if err != nil {
				t.Fatalf("create property %d: %v", i, err)
			}
			if first == nil {
				first = p
			}
		}
		if got := collect(t, pms.Properties(ctx, ListOptions{})); len(got) != 23 {
			t.Errorf("iterating properties 10 a page: %d, want 23", len(got))
		}
		if got := collect(t, pms.Properties(ctx, ListOptions{Limit: 100, Filters: map[string]string{"title": "Hotel 07"}})); len(got) != 1 || got[0].Title != "Hotel 07" {
			t.Errorf("filtered list: %+v", got)
		}

		rt, err := pms.CreateRoomType(ctx, NewRoomType{PropertyID: first.ID, Title: "Double", CountOfRooms: 4, OccAdults: 2, DefaultOccupancy: 2})
		if err != nil {
			t.Fatalf("create room type: %v", err)
		}
		rp, err := pms.CreateRatePlan(ctx, NewRatePlan{PropertyID: first.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
			Options: []RateOption{{Occupancy: 2, IsPrimary: true, Rate: 10000}}})
		if err != nil || len(rp.Options) != 1 || rp.Options[0].Rate != "100.00" {
			t.Fatalf("create rate plan: %+v, %v", rp, err)
		}

		from := keycard.Today(time.Now(), "Europe/Lisbon") + 2
		to := from + 29
		res, err := pms.UpdateAvailability(ctx, []Availability{{PropertyID: first.ID, RoomTypeID: rt.ID, DateFrom: from.String(), DateTo: to.String(), Availability: 3}})
		if err != nil || len(res.TaskIDs) != 1 || len(res.Warnings) != 0 {
			t.Fatalf("availability: %+v, %v", res, err)
		}
		stop := true
		res, err = pms.UpdateRestrictions(ctx, []Restriction{
			{PropertyID: first.ID, RatePlanID: rp.ID, DateFrom: from.String(), DateTo: to.String(), Rate: "120.50", StopSell: &stop},
			{PropertyID: first.ID, RatePlanID: rp.ID, Date: from.String(), Rate: -5},
		})
		if err != nil || len(res.Warnings) != 1 {
			t.Fatalf("restrictions: %+v, %v; want one warning", res, err)
		}
		avail, err := pms.Availability(ctx, first.ID, from.String(), to.String())
		if err != nil || len(avail[rt.ID]) != 30 || avail[rt.ID][to.String()] != 3 {
			t.Errorf("read availability: %v, %v", avail[rt.ID], err)
		}
		rates, err := pms.Restrictions(ctx, first.ID, from.String(), from.String(), "rate", "stop_sell")
		if err != nil || rates[rp.ID][from.String()]["rate"] != "120.50" || rates[rp.ID][from.String()]["stop_sell"] != true {
			t.Errorf("read restrictions: %v, %v", rates[rp.ID], err)
		}

		// Errors carry the envelope.
		_, err = pms.Property(ctx, "00000000-0000-4000-8000-000000000000")
		if !HasCode(err, CodeNotFound) {
			t.Errorf("unknown property: %v, want %s", err, CodeNotFound)
		}
		_, err = pms.CreateProperty(ctx, NewProperty{Title: "", Currency: "XXX1"})
		if e, ok := err.(*Error); !ok || e.Status != 422 || len(e.FieldErrors()["title"]) == 0 || len(e.FieldErrors()["currency"]) == 0 {
			t.Errorf("invalid property: %v, want a 422 naming title and currency", err)
		}
		if _, err := pms.CreateAPIKey(ctx, NewAPIKey{Name: "more", AccessAllProperties: true}); !HasCode(err, CodeForbidden) {
			t.Errorf("a key making a key: %v, want forbidden", err)
		}

		keys := collect(t, srv.owner.APIKeys(ctx, ListOptions{}))
		if len(keys) != 1 || keys[0].Key != "" || keys[0].KeyHint == "" {
			t.Errorf("listed keys: %+v; want one, with its hint and never its secret", keys)
		}
		if w, err := srv.owner.WithdrawAPIKey(ctx, k.ID); err != nil || w.Status != "withdrawn" {
			t.Fatalf("withdraw: %+v, %v", w, err)
		}
		if _, err := pms.Property(ctx, first.ID); !HasCode(err, CodeUnauthorized) {
			t.Errorf("withdrawn key: %v, want unauthorized", err)
		}
	})
}

// TestRetriesRateLimited checks that a request refused with 429 is sent
// again after the Retry-After the server gave, and that the error carries
// it once the retries are spent.
func TestRetriesRateLimited(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, storetest.Config(t, "sqlite"))
	srv.api.SetRateLimits(api.Limits{PerOrganization: 2}, ratelimit.NewMemory(srv.clock))
	var waits []time.Duration
	c := New(srv.url, WithToken(srv.owner.token))
	c.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		srv.advance(d)
		return nil
	}
	for range 3 {
		if _, err := c.CreateGroup(ctx, "g "+time.Now().String()); err != nil {
			t.Fatalf("create group: %v", err)
		}
	}
	if len(waits) != 1 || waits[0] != 30*time.Second {
		t.Errorf("waits %v, want one of 30s (the Retry-After of a 2-a-minute limit)", waits)
	}

	c.maxRetries = 0
	_, err := c.CreateGroup(ctx, "refused")
	e, ok := err.(*Error)
	if !ok || e.Code != CodeRateLimited || e.RetryAfter != 30*time.Second {
		t.Errorf("without retries: %v, want http_too_many_requests with RetryAfter 30s", err)
	}
}
