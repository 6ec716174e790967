package clienttest

import (
	"context"
	"errors"
	"fmt"
	"github.com/keycard/keycard/client"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	token   string         // the owner's session token
	owner   *client.Client // a session
	api     *api.Server
	cfg     api.Config // what api was made of
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
	// Webhook callbacks of the tests are on 127.0.0.1.
	srv := &server{cfg: api.Config{Store: st, Auth: auth.New(auth.Config{Store: st, Mode: keycard.ModeProduction, Log: log}),
		Mode: keycard.ModeProduction, Log: log, Webhooks: webhook.NewSender(true)},
		st: st, ownerID: user.ID, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	srv.api = api.New(srv.cfg)
	// The server always serves the API last built.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { srv.api.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	srv.url = hs.URL
	sess, err := client.New(hs.URL).SignIn(ctx, "owner@hotel.example", "a long password")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	srv.token = sess.Token
	srv.owner = client.New(hs.URL, client.WithToken(sess.Token))
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
		k, err := srv.owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "PMS", AccessAllProperties: true})
		if err != nil || k.Key == "" || k.Status != "active" {
			t.Fatalf("create key: %+v, %v", k, err)
		}
		pms := client.New(srv.url, client.WithAPIKey(k.Key))

		var first *client.Property
		for i := range 23 {
			p, err := pms.CreateProperty(ctx, client.NewProperty{Title: fmt.Sprintf("Hotel %02d", i), Currency: "EUR", Timezone: "Europe/Lisbon"})
			if err != nil {
				t.Fatalf("create property %d: %v", i, err)
			}
			if first == nil {
				first = p
			}
		}
		if got := collect(t, pms.Properties(ctx, client.ListOptions{})); len(got) != 23 {
			t.Errorf("iterating properties 10 a page: %d, want 23", len(got))
		}
		if got := collect(t, pms.Properties(ctx, client.ListOptions{Limit: 100, Filters: map[string]string{"title": "Hotel 07"}})); len(got) != 1 || got[0].Title != "Hotel 07" {
			t.Errorf("filtered list: %+v", got)
		}

		rt, err := pms.CreateRoomType(ctx, client.NewRoomType{PropertyID: first.ID, Title: "Double", CountOfRooms: 4, OccAdults: 2, DefaultOccupancy: 2})
		if err != nil {
			t.Fatalf("create room type: %v", err)
		}
		rp, err := pms.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: first.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
			Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: 10000}}})
		if err != nil || len(rp.Options) != 1 || rp.Options[0].Rate != "100.00" {
			t.Fatalf("create rate plan: %+v, %v", rp, err)
		}

		// A typed change sends what it names; the rest keeps its value.
		up, err := pms.UpdateProperty(ctx, first.ID, client.PropertyChange{Email: new("desk@hotel.example"),
			Settings: &client.PropertySettings{MinStayType: "arrival", AllowAvailabilityAutoupdateOnConfirmation: true}})
		if err != nil || up.Title != first.Title || up.Email == nil || *up.Email != "desk@hotel.example" || up.MinStayType != "arrival" ||
			up.UpdatedAt.Before(first.UpdatedAt) || !up.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("update property: %+v, %v; want the email and min stay type changed, the rest kept", up, err)
		}
		rt2, err := pms.UpdateRoomType(ctx, rt.ID, client.RoomTypeChange{CountOfRooms: new(6)})
		if err != nil || rt2.CountOfRooms != 6 || rt2.Title != "Double" || rt2.OccAdults != 2 {
			t.Errorf("update room type: %+v, %v; want 6 rooms, the rest kept", rt2, err)
		}
		rp2, err := pms.UpdateRatePlan(ctx, rp.ID, client.RatePlanChange{ChildrenFee: new("10.00")})
		if err != nil || rp2.ChildrenFee != "10.00" || rp2.Title != "Standard" || len(rp2.Options) != 1 || rp2.Options[0].Rate != "100.00" {
			t.Errorf("update rate plan: %+v, %v; want a children fee, the rest kept", rp2, err)
		}

		from := keycard.Today(time.Now(), "Europe/Lisbon") + 2
		to := from + 29
		res, err := pms.UpdateAvailability(ctx, []client.Availability{{PropertyID: first.ID, RoomTypeID: rt.ID, DateFrom: from.String(), DateTo: to.String(), Availability: 3}})
		if err != nil || len(res.TaskIDs) != 1 || len(res.Warnings) != 0 {
			t.Fatalf("availability: %+v, %v", res, err)
		}
		stop := true
		res, err = pms.UpdateRestrictions(ctx, []client.Restriction{
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
		if !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("unknown property: %v, want %s", err, client.CodeNotFound)
		}
		_, err = pms.CreateProperty(ctx, client.NewProperty{Title: "", Currency: "XXX1"})
		if e, ok := err.(*client.Error); !ok || e.Status != 422 || len(e.FieldErrors()["title"]) == 0 || len(e.FieldErrors()["currency"]) == 0 {
			t.Errorf("invalid property: %v, want a 422 naming title and currency", err)
		}
		if _, err := pms.CreateAPIKey(ctx, client.NewAPIKey{Name: "more", AccessAllProperties: true}); !client.HasCode(err, client.CodeForbidden) {
			t.Errorf("a key making a key: %v, want forbidden", err)
		}

		keys := collect(t, srv.owner.APIKeys(ctx, client.ListOptions{}))
		if len(keys) != 1 || keys[0].Key != "" || keys[0].KeyHint == "" {
			t.Errorf("listed keys: %+v; want one, with its hint and never its secret", keys)
		}
		if w, err := srv.owner.WithdrawAPIKey(ctx, k.ID); err != nil || w.Status != "withdrawn" {
			t.Fatalf("withdraw: %+v, %v", w, err)
		}
		if _, err := pms.Property(ctx, first.ID); !client.HasCode(err, client.CodeUnauthorized) {
			t.Errorf("withdrawn key: %v, want unauthorized", err)
		}
	})
}

// TestRetriesRateLimited checks, against the server's own limiter, that a
// request refused with 429 is sent again once its Retry-After has passed,
// and that the error carries the Retry-After once the retries are spent.
func TestRetriesRateLimited(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, storetest.Config(t, "sqlite"))
	srv.cfg.Limits, srv.cfg.Limiter = api.Limits{PerOrganization: 2}, ratelimit.NewMemory(srv.clock)
	srv.api = api.New(srv.cfg)
	// Each 429 moves the server's clock on by its Retry-After, as if the
	// client had waited that long; the client waits a millisecond at most.
	var retryAfters []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			ra := resp.Header.Get("Retry-After")
			retryAfters = append(retryAfters, ra)
			secs, _ := strconv.Atoi(ra)
			srv.advance(time.Duration(secs) * time.Second)
		}
		return resp, err
	})}
	c := client.New(srv.url, client.WithToken(srv.token), client.WithHTTPClient(hc), client.WithRetries(3, time.Millisecond))
	for i := range 3 {
		if _, err := c.CreateGroup(ctx, fmt.Sprintf("g%d", i)); err != nil {
			t.Fatalf("create group %d: %v", i, err)
		}
	}
	if fmt.Sprint(retryAfters) != "[30]" {
		t.Errorf("Retry-After of the 429s: got %v, want [30] (one, of a 2-a-minute limit)", retryAfters)
	}

	once := client.New(srv.url, client.WithToken(srv.token), client.WithRetries(0, time.Minute))
	_, err := once.CreateGroup(ctx, "refused")
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.Code != client.CodeRateLimited || e.RetryAfter != 30*time.Second {
		t.Errorf("without retries: got %v, want http_too_many_requests with RetryAfter 30s", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
