package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestTinyPMS runs the tiny PMS against a real in-process server seeded
// with a property, a booking in it and one in another property: it prints
// and acks the property's revisions only, pushes the month's availability
// less the booked rooms, and rates; a second run finds the feed empty.
func TestTinyPMS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		_, org, err := st.CreateOwner(ctx, "owner@hotel.example", "a long password", "Owner")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.DiscardHandler)
		hs := httptest.NewServer(api.New(api.Config{Store: st, Auth: auth.New(auth.Config{Store: st, Mode: keycard.ModeProduction, Log: log}), Mode: keycard.ModeProduction, Log: log}))
		t.Cleanup(hs.Close)
		sess, err := client.New(hs.URL).SignIn(ctx, "owner@hotel.example", "a long password")
		if err != nil {
			t.Fatal(err)
		}
		owner := client.New(hs.URL, client.WithToken(sess.Token))
		k, err := owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "tinypms", AccessAllProperties: true})
		if err != nil {
			t.Fatal(err)
		}
		c := client.New(hs.URL, client.WithAPIKey(k.Key))

		type hotel struct{ property, roomType, ratePlan string }
		newHotel := func(title string) hotel {
			p, err := c.CreateProperty(ctx, client.NewProperty{Title: title, Currency: "EUR", Timezone: "Europe/Lisbon"})
			if err != nil {
				t.Fatal(err)
			}
			rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: p.ID, Title: "Double", CountOfRooms: 5, OccAdults: 2, DefaultOccupancy: 2})
			if err != nil {
				t.Fatal(err)
			}
			rp, err := c.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: p.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
				Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: "95.00"}}})
			if err != nil {
				t.Fatal(err)
			}
			return hotel{p.ID, rt.ID, rp.ID}
		}
		a, b := newHotel("Casa Azul"), newHotel("Elsewhere")

		now := time.Now()
		today := keycard.Today(now, "Europe/Lisbon")
		d := func(n int) string { return (today + keycard.Date(n)).String() }
		book := func(h hotel, code string, from, nights int) *client.Booking {
			days := map[string]string{}
			for i := range nights {
				days[d(from+i)] = "80.00"
			}
			bk, err := c.CreateBooking(ctx, client.BookingInput{PropertyID: h.property, OTAReservationCode: code, OTAName: "Booking.com",
				ArrivalDate: d(from), DepartureDate: d(from + nights), Currency: "EUR", Customer: &client.Customer{Name: "Ana", Surname: "Silva"},
				Rooms: []client.BookingRoom{{RatePlanID: h.ratePlan, Days: days, Occupancy: &client.Occupancy{Adults: 2}}}})
			if err != nil {
				t.Fatal(err)
			}
			return bk
		}
		first := book(a, "R1", 3, 2)
		book(b, "X1", 3, 2)
		if _, err := c.UpdateBooking(ctx, first.ID, client.BookingInput{Notes: "late arrival"}); err != nil {
			t.Fatal(err)
		}

		var out bytes.Buffer
		pms := &PMS{Client: c, PropertyID: a.property, Days: 30, Out: &out}
		sum, err := pms.Run(ctx, now)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 4 || lines[0] != `property "Casa Azul" (EUR)` ||
			lines[1] != "booking Booking.com R1 new: "+d(3)+" to "+d(5)+", 1 room(s), 160.00 EUR, Ana Silva" ||
			!strings.HasPrefix(lines[2], "booking Booking.com R1 modified: ") {
			t.Errorf("output:\n%s", out.String())
		}
		if sum.Revisions != 2 || sum.From != d(0) || sum.To != d(29) || sum.Availability != 3 || sum.Rates != 1 || sum.Warnings != 0 {
			t.Errorf("summary: %+v; want 2 revisions, days %s to %s, 3 runs of availability, 1 rate", sum, d(0), d(29))
		}

		// What the server now holds for the month.
		avail, err := c.Availability(ctx, a.property, d(0), d(29))
		if err != nil || len(avail[a.roomType]) != 30 {
			t.Fatalf("availability: %v, %v", avail, err)
		}
		for i := range 30 {
			want := 5
			if i == 3 || i == 4 {
				want = 4
			}
			if got := avail[a.roomType][d(i)]; got != want {
				t.Errorf("availability on %s: %d, want %d", d(i), got, want)
			}
		}
		rates, err := c.Restrictions(ctx, a.property, d(0), d(29), "rate", "stop_sell")
		if err != nil || len(rates[a.ratePlan]) != 30 || rates[a.ratePlan][d(29)]["rate"] != "95.00" || rates[a.ratePlan][d(0)]["stop_sell"] != false {
			t.Errorf("rates: %v, %v", rates[a.ratePlan], err)
		}

		// The other property's revision stays in the feed; a second run
		// has nothing new.
		if left := feed(t, c, ""); len(left) != 1 || left[0].PropertyID != b.property {
			t.Errorf("feed after the run: %+v, want the other property's one revision", left)
		}
		out.Reset()
		if sum, err := pms.Run(ctx, now); err != nil || sum.Revisions != 0 || strings.Contains(out.String(), "booking ") {
			t.Errorf("second run: %+v, %v\n%s", sum, err, out.String())
		}

		// A key that does not reach the property gets a typed not-found.
		other, err := owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "elsewhere", PropertyIDs: []string{b.property}})
		if err != nil {
			t.Fatal(err)
		}
		stranger := &PMS{Client: client.New(hs.URL, client.WithAPIKey(other.Key)), PropertyID: a.property, Out: &out}
		if _, err := stranger.Run(ctx, now); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("run with a key of another property: %v, want not found", err)
		}
	})
}

func feed(t *testing.T, c *client.Client, propertyID string) []*client.BookingRevision {
	t.Helper()
	var out []*client.BookingRevision
	for r, err := range c.Feed(context.Background(), client.FeedOptions{PropertyID: propertyID}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
