package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestChannelBookingsFromTwoServers mirrors the store's
// TestHoldsFromTwoServers over HTTP: 50 bookings of the last room at
// once, through two servers on one database, then 50 cancellations at
// once; once by a channel, once by Booking CRS pushes. Both end alike:
// 50 revisions each time, availability 0 while any booking stands and 1
// at the end.
func TestChannelBookingsFromTwoServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		type outcome struct {
			availBooked, availCancelled int32
			revisions                   int
		}
		run := func(t *testing.T, channel bool) outcome {
			cfg := storetest.Config(t, cfg.Dialect())
			ch := newChannelHotel(t, cfg)
			// A second server, as in another process: its own store,
			// authenticator and HTTP listener on the same database.
			st2 := storetest.Open(t, cfg)
			log := slog.New(slog.DiscardHandler)
			srv2 := httptest.NewServer(New(Config{Store: st2, Auth: auth.New(auth.Config{Store: st2, Mode: keycard.ModeStaging, Log: log}),
				Mode: keycard.ModeStaging, Log: log}))
			t.Cleanup(srv2.Close)
			servers := []string{ch.http.URL, srv2.URL}
			const n = 50
			post := func(i int, status string) {
				var path, body string
				h := http.Header{"Content-Type": {"application/json"}}
				if channel {
					path, body = "/api/v1/channel_webhooks/open_channel/new_booking", ocBooking("H1", status, fmt.Sprint("C-", i), "DBL", "BAR", `"100.00"`)
					h.Set("api-key", ch.keyA)
				} else {
					path = "/api/v1/bookings/push"
					body = `{"booking":{"status":"` + status + `","property_id":"{p1}","ota_name":"Booking.com","reservation_id":"` + fmt.Sprint("C-", i) + `",
						"arrival_date":"{d1}","departure_date":"{d2}","currency":"EUR",
						"rooms":[{"rate_plan_id":"{rp1}","days":{"{d1}":"100.00"},"occupancy":{"adults":2,"children":0,"infants":0}}]}}`
					h.Set("user-api-key", ch.keyAll)
				}
				req, _ := http.NewRequest("POST", servers[i%2]+path, strings.NewReader(ch.expand(ch.x(body))))
				req.Header = h
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s %d: %v", status, i, err)
					return
				}
				defer res.Body.Close()
				if res.StatusCode != 200 && res.StatusCode != 201 {
					b, _ := io.ReadAll(res.Body)
					t.Errorf("%s %d: status %d: %s", status, i, res.StatusCode, b)
				}
			}
			all := func(status string) {
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { post(i, status) })
				}
				wg.Wait()
				if t.Failed() {
					t.FailNow()
				}
			}
			var o outcome
			all(keycard.StatusNew)
			o.availBooked = ch.availD1(t)
			all(keycard.StatusCancelled)
			o.availCancelled = ch.availD1(t)
			q := keycard.ListQuery{Page: 1, Limit: 100, Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{ch.p1}}}}
			_, total, err := ch.st.ListBookingRevisions(context.Background(), ch.ownerA, q, false)
			if err != nil {
				t.Fatal(err)
			}
			o.revisions = total
			return o
		}
		var crs, channel outcome
		t.Run("crs", func(t *testing.T) { crs = run(t, false) })
		t.Run("channel", func(t *testing.T) { channel = run(t, true) })
		want := outcome{availBooked: 0, availCancelled: 1, revisions: 100}
		if crs != want {
			t.Errorf("CRS pushes: %+v, want %+v", crs, want)
		}
		if channel != crs {
			t.Errorf("channel pushes: %+v; CRS pushes: %+v", channel, crs)
		}
	})
}
