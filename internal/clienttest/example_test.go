package clienttest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// TestMain starts a real server for the examples, on SQLite, and gives
// them its URL and an API key for all of an owner's properties in
// KEYCARD_URL and KEYCARD_KEY, as an integration would get them.
func TestMain(m *testing.M) {
	code, err := runWithServer(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clienttest:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runWithServer(m *testing.M) (int, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "keycard-examples-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Config{SQLitePath: filepath.Join(dir, "keycard.db")})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	_, org, err := st.CreateOwner(ctx, "owner@hotel.example", "a long password", "Owner")
	if err != nil {
		return 0, err
	}
	if err := st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive); err != nil {
		return 0, err
	}
	log := slog.New(slog.DiscardHandler)
	hs := httptest.NewServer(api.New(api.Config{Store: st, Auth: auth.New(auth.Config{Store: st, Mode: keycard.ModeProduction, Log: log}), Mode: keycard.ModeProduction, Log: log}))
	defer hs.Close()
	sess, err := client.New(hs.URL).SignIn(ctx, "owner@hotel.example", "a long password")
	if err != nil {
		return 0, err
	}
	k, err := client.New(hs.URL, client.WithToken(sess.Token)).CreateAPIKey(ctx, client.NewAPIKey{Name: "examples", AccessAllProperties: true})
	if err != nil {
		return 0, err
	}
	os.Setenv("KEYCARD_URL", hs.URL)
	os.Setenv("KEYCARD_KEY", k.Key)
	return m.Run(), nil
}

// The examples run against the server TestMain starts: they show the
// client's API as an integration uses it, and their output is checked.

// Set a property up: a room type and a rate plan to sell it with.
func Example_setUp() {
	ctx := context.Background()
	c := client.New(os.Getenv("KEYCARD_URL"), client.WithAPIKey(os.Getenv("KEYCARD_KEY")))

	p, err := c.CreateProperty(ctx, client.NewProperty{Title: "Casa Azul", Currency: "EUR", Timezone: "Europe/Lisbon"})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: p.ID, Title: "Double", CountOfRooms: 4, OccAdults: 2, DefaultOccupancy: 2})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	rp, err := c.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: p.ID, RoomTypeID: rt.ID, Title: "Standard",
		Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: "95.00"}}})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	// A change sends only the fields it sets.
	rt, err = c.UpdateRoomType(ctx, rt.ID, client.RoomTypeChange{CountOfRooms: new(5)})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(p.Title, p.Currency)
	fmt.Println(rt.Title, rt.CountOfRooms, "rooms")
	fmt.Println(rp.Title, rp.Options[0].Rate, rp.Currency)
	// Output:
	// Casa Azul EUR
	// Double 5 rooms
	// Standard 95.00 EUR
}

// Push availability and rates, and read them back. A value the server
// refuses comes back as a warning; the others are applied.
func Example_availability() {
	ctx := context.Background()
	c := client.New(os.Getenv("KEYCARD_URL"), client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
	h, err := exampleHotel(ctx, c, "Hotel Alfama")
	if err != nil {
		fmt.Println("error:", err)
		return
	}

	from := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 4).Format(time.DateOnly)
	if _, err := c.UpdateAvailability(ctx, []client.Availability{{PropertyID: h.property, RoomTypeID: h.roomType, DateFrom: from, DateTo: to, Availability: 3}}); err != nil {
		fmt.Println("error:", err)
		return
	}
	res, err := c.UpdateRestrictions(ctx, []client.Restriction{
		{PropertyID: h.property, RatePlanID: h.ratePlan, DateFrom: from, DateTo: to, Rate: "120.00", MinStayArrival: new(2)},
		{PropertyID: h.property, RatePlanID: h.ratePlan, Date: from, Rate: "-5"},
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(len(res.TaskIDs), "task,", len(res.Warnings), "warning")

	avail, err := c.Availability(ctx, h.property, from, to)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	rates, err := c.Restrictions(ctx, h.property, from, from, "rate", "min_stay_arrival")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(len(avail[h.roomType]), "days with", avail[h.roomType][to], "rooms")
	fmt.Println("rate", rates[h.ratePlan][from]["rate"], "min stay", rates[h.ratePlan][from]["min_stay_arrival"])
	// Output:
	// 1 task, 1 warning
	// 3 days with 3 rooms
	// rate 120.00 min stay 2
}

// A PMS takes new bookings and changes from the feed, and acknowledges
// each one once it has it: it does not come back.
func Example_drainFeed() {
	ctx := context.Background()
	c := client.New(os.Getenv("KEYCARD_URL"), client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
	h, err := exampleHotel(ctx, c, "Hotel Chiado")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	arrival := time.Now().AddDate(0, 0, 10)
	nights := map[string]string{arrival.Format(time.DateOnly): "100.00", arrival.AddDate(0, 0, 1).Format(time.DateOnly): "110.00"}
	b, err := c.CreateBooking(ctx, client.BookingInput{PropertyID: h.property, OTAName: "Booking.com", OTAReservationCode: "4711",
		ArrivalDate: arrival.Format(time.DateOnly), DepartureDate: arrival.AddDate(0, 0, 2).Format(time.DateOnly), Currency: "EUR",
		Customer: &client.Customer{Name: "Ana", Surname: "Silva"},
		Rooms:    []client.BookingRoom{{RatePlanID: h.ratePlan, Days: nights, Occupancy: &client.Occupancy{Adults: 2}}}})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	if _, err := c.UpdateBooking(ctx, b.ID, client.BookingInput{Notes: "late arrival"}); err != nil {
		fmt.Println("error:", err)
		return
	}

	n, err := c.DrainFeed(ctx, client.FeedOptions{PropertyID: h.property}, func(r *client.BookingRevision) error {
		fmt.Printf("%s %s %s %s, notes %q\n", r.Status, r.UniqueID, r.Amount, r.Currency, r.Notes)
		return nil // an error here stops the drain and leaves r in the feed
	})
	fmt.Println(n, "acknowledged,", err)
	n, err = c.DrainFeed(ctx, client.FeedOptions{PropertyID: h.property}, func(*client.BookingRevision) error { return nil })
	fmt.Println(n, "the second time,", err)
	// Output:
	// new BDC-4711 210.00 EUR, notes ""
	// modified BDC-4711 210.00 EUR, notes "late arrival"
	// 2 acknowledged, <nil>
	// 0 the second time, <nil>
}

// An answer in the error envelope is a *client.Error: its code says what
// went wrong, and a validation error names each field.
func Example_errors() {
	ctx := context.Background()
	c := client.New(os.Getenv("KEYCARD_URL"), client.WithAPIKey(os.Getenv("KEYCARD_KEY")))

	_, err := c.Property(ctx, "00000000-0000-4000-8000-000000000000")
	fmt.Println(client.HasCode(err, client.CodeNotFound))

	_, err = c.CreateProperty(ctx, client.NewProperty{Title: "", Currency: "EURO"})
	if e, ok := errors.AsType[*client.Error](err); ok {
		fields := e.FieldErrors()
		fmt.Println(e.Status, e.Code, slices.Sorted(maps.Keys(fields)))
	}
	// Output:
	// true
	// 422 validation_error [currency title]
}

// Taxes apply to rate plans through a tax set, by level: VAT on the
// price, then a city tax per person and night.
func Example_taxes() {
	ctx := context.Background()
	c := client.New(os.Getenv("KEYCARD_URL"), client.WithAPIKey(os.Getenv("KEYCARD_KEY")))
	h, err := exampleHotel(ctx, c, "Hotel Belém")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	vat, err := c.CreateTax(ctx, client.NewTax{PropertyID: h.property, Title: "VAT", Logic: "percent", Type: "tax", Rate: "6", IsInclusive: true})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	city, err := c.CreateTax(ctx, client.NewTax{PropertyID: h.property, Title: "City tax", Logic: "per_person_per_night", Type: "city_tax",
		Rate: "4.00", MaxNights: new(7)})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	set, err := c.CreateTaxSet(ctx, client.NewTaxSet{PropertyID: h.property, Title: "Lisbon",
		Taxes: []client.TaxLevel{{ID: vat.ID, Level: 0}, {ID: city.ID, Level: 1}}, AssociatedRatePlanIDs: []string{h.ratePlan}})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	rp, err := c.RatePlan(ctx, h.ratePlan)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(vat.Title, vat.Rate, "%;", city.Title, city.Rate, city.Currency, "at most", *city.MaxNights, "nights")
	fmt.Println(set.Title, len(set.Taxes), "taxes; the rate plan's:", rp.TaxSetID == set.ID)
	// Output:
	// VAT 6.00 %; City tax 4.00 EUR at most 7 nights
	// Lisbon 2 taxes; the rate plan's: true
}

// exampleHotel makes a property with a room type and a rate plan.
func exampleHotel(ctx context.Context, c *client.Client, title string) (hotel, error) {
	p, err := c.CreateProperty(ctx, client.NewProperty{Title: title, Currency: "EUR", Timezone: "Europe/Lisbon"})
	if err != nil {
		return hotel{}, err
	}
	rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: p.ID, Title: "Double", CountOfRooms: 5, OccAdults: 2, DefaultOccupancy: 2})
	if err != nil {
		return hotel{}, err
	}
	rp, err := c.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: p.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
		Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: "100.00"}}})
	if err != nil {
		return hotel{}, err
	}
	return hotel{p.ID, rt.ID, rp.ID}, nil
}
