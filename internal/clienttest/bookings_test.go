package clienttest

import (
	"context"
	"errors"
	"fmt"
	"github.com/keycard/keycard/client"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// hotel is a property with one room type and one rate plan.
type hotel struct {
	property, roomType, ratePlan string
}

func newHotel(t *testing.T, c *client.Client, title string) hotel {
	t.Helper()
	ctx := context.Background()
	p, err := c.CreateProperty(ctx, client.NewProperty{Title: title, Currency: "EUR", Timezone: "Europe/Lisbon"})
	if err != nil {
		t.Fatalf("create property: %v", err)
	}
	rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: p.ID, Title: "Double", CountOfRooms: 5, OccAdults: 2, DefaultOccupancy: 2})
	if err != nil {
		t.Fatalf("create room type: %v", err)
	}
	rp, err := c.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: p.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
		Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: 10000}}})
	if err != nil {
		t.Fatalf("create rate plan: %v", err)
	}
	return hotel{p.ID, rt.ID, rp.ID}
}

func newKey(t *testing.T, srv *server, name string, propertyIDs ...string) *client.Client {
	t.Helper()
	k, err := srv.owner.CreateAPIKey(context.Background(), client.NewAPIKey{Name: name, AccessAllProperties: len(propertyIDs) == 0, PropertyIDs: propertyIDs})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return client.New(srv.url, client.WithAPIKey(k.Key))
}

// stay returns the nights from days ahead: arrival, the nights' dates, and
// departure.
func stay(days, nights int) (string, []string, string) {
	first := keycard.Today(time.Now(), "Europe/Lisbon") + keycard.Date(days)
	var list []string
	for i := range nights {
		list = append(list, (first + keycard.Date(i)).String())
	}
	return first.String(), list, (first + keycard.Date(nights)).String()
}

func sampleBooking(h hotel, code string, days int) client.BookingInput {
	arrival, nights, departure := stay(days, 2)
	return client.BookingInput{
		PropertyID: h.property, OTAReservationCode: code, OTAName: "Booking.com",
		ArrivalDate: arrival, DepartureDate: departure, ArrivalHour: "14:00", Currency: "EUR",
		PaymentCollect: "ota", PaymentType: "credit_card", OTACommission: "10.00", Notes: "late arrival",
		Customer: &client.Customer{Name: "Ana", Surname: "Silva", Mail: "ana@example.com", Country: "PT",
			Company: &client.Company{Title: "ACME", Number: "1", NumberType: "vat", Type: "company"}},
		Guarantee: &client.Guarantee{CardNumber: "411111******1111", CardType: "VI", CardholderName: "Ana Silva", CVV: "737", ExpirationDate: "10/2030"},
		Services:  []client.BookingService{{Name: "Breakfast", Type: "breakfast", Nights: 2, Persons: 2, PriceMode: "per_person_per_night", PricePerUnit: "5.00", TotalPrice: "20.00"}},
		Rooms: []client.BookingRoom{{RatePlanID: h.ratePlan, Days: map[string]string{nights[0]: "100.00", nights[1]: "110.00"},
			Occupancy: &client.Occupancy{Adults: 2}, Guests: []client.Guest{{Name: "Ana", Surname: "Silva"}},
			Taxes: []client.BookingTax{{IsInclusive: true, Name: "VAT", TotalPrice: "12.00", Type: "tax"}}, OTAUniqueID: "R-1"}},
	}
}

// TestBookings drives bookings through the client against the real
// server: create, read, change, list with filters, push, reports, cancel,
// and the errors of each.
func TestBookings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		h := newHotel(t, pms, "Hotel A")
		other := newHotel(t, pms, "Hotel B")

		in := sampleBooking(h, "R100", 10)
		b, err := pms.CreateBooking(ctx, in)
		if err != nil {
			t.Fatalf("create booking: %v", err)
		}
		if b.ID == "" || b.RevisionID == "" || b.Status != "new" || b.UniqueID != "BDC-R100" || b.Amount != "230.00" ||
			b.OTACommission != "10.00" || b.ArrivalDate != in.ArrivalDate || b.ArrivalHour != "14:00" || b.PropertyID != h.property {
			t.Errorf("created booking: %+v", b)
		}
		if len(b.Rooms) != 1 || b.Rooms[0].RoomTypeID != h.roomType || b.Rooms[0].Amount != "210.00" ||
			len(b.Rooms[0].Days) != 2 || b.Rooms[0].CheckoutDate != in.DepartureDate ||
			len(b.Rooms[0].Taxes) != 1 || b.Rooms[0].Taxes[0].TotalPrice != "12.00" {
			t.Errorf("created booking's room: %+v", b.Rooms)
		}
		if b.Guarantee == nil || b.Guarantee.CVV != "***" || b.Guarantee.CardNumber != "411111******1111" ||
			b.Customer == nil || b.Customer.Company == nil || b.Customer.Company.Title != "ACME" || b.Occupancy.Adults != 2 {
			t.Errorf("created booking's guarantee, customer, occupancy: %+v %+v %+v", b.Guarantee, b.Customer, b.Occupancy)
		}
		got, err := pms.Booking(ctx, b.ID)
		if err != nil || got.RevisionID != b.RevisionID || got.Amount != "230.00" || time.Since(got.InsertedAt).Abs() > time.Hour || got.InsertedAt.Location() != time.UTC || got.Notes != "late arrival" {
			t.Errorf("read back: %+v, %v", got, err)
		}

		// A change is a new revision; the fields not given keep their values.
		_, _, later := stay(10, 3)
		nights := []string{}
		for d := range b.Rooms[0].Days {
			nights = append(nights, d)
		}
		m, err := pms.UpdateBooking(ctx, b.ID, client.BookingInput{DepartureDate: later, Notes: "changed",
			Rooms: []client.BookingRoom{{RatePlanID: h.ratePlan, Days: map[string]string{nights[0]: "100.00", nights[1]: "100.00", stayNight(10, 2): "100.00"}}}})
		if err != nil || m.Status != "modified" || m.RevisionID == b.RevisionID || m.DepartureDate != later || m.Notes != "changed" ||
			m.Amount != "320.00" || m.Customer == nil || m.Customer.Name != "Ana" {
			t.Fatalf("update: %+v, %v", m, err)
		}

		// Two more bookings, one of another property, for the lists.
		if _, err := pms.CreateBooking(ctx, sampleBooking(h, "R101", 20)); err != nil {
			t.Fatalf("second booking: %v", err)
		}
		ob, err := pms.CreateBooking(ctx, sampleBooking(other, "R102", 10))
		if err != nil {
			t.Fatalf("booking of Hotel B: %v", err)
		}
		all := collect(t, pms.Bookings(ctx, client.BookingFilter{Limit: 1}))
		if len(all) != 3 {
			t.Errorf("all bookings a page of one at a time: %d, want 3", len(all))
		}
		arrival, _, _ := stay(10, 1)
		for name, tc := range map[string]struct {
			f    client.BookingFilter
			want []string
		}{
			"property":         {client.BookingFilter{PropertyID: h.property}, []string{"R100", "R101"}},
			"reservation code": {client.BookingFilter{OTAReservationCode: "R101"}, []string{"R101"}},
			"arrival range":    {client.BookingFilter{PropertyID: h.property, ArrivalFrom: arrival, ArrivalTo: arrival}, []string{"R100"}},
			"departure from":   {client.BookingFilter{DepartureFrom: later, Order: map[string]string{"arrival_date": "asc"}}, []string{"R100", "R101"}},
			"departure to":     {client.BookingFilter{DepartureTo: later, PropertyID: h.property}, []string{"R100"}},
			"inserted since":   {client.BookingFilter{InsertedFrom: time.Now().Add(-time.Hour), InsertedTo: time.Now().Add(time.Hour), Status: "new"}, []string{"R101", "R102"}},
			"inserted later":   {client.BookingFilter{InsertedFrom: time.Now().Add(time.Hour)}, nil},
		} {
			var codes []string
			for _, bk := range collect(t, pms.Bookings(ctx, tc.f)) {
				codes = append(codes, bk.OTAReservationCode)
			}
			if fmt.Sprint(slices.Sorted(slices.Values(codes))) != fmt.Sprint(tc.want) && !(len(codes) == 0 && len(tc.want) == 0) {
				t.Errorf("bookings filtered by %s: %v, want %v", name, codes, tc.want)
			}
		}
		for _, bad := range []client.BookingFilter{{ArrivalFrom: "tomorrow"}, {Order: map[string]string{"arrival_date": "sideways"}}} {
			for _, err := range pms.Bookings(ctx, bad) {
				if !client.HasCode(err, client.CodeBadRequest) {
					t.Errorf("bad filter %+v: %v, want bad_request", bad, err)
				}
			}
		}
		// An order on a field the list does not have is ignored, as
		// Channex ignores it (the answer names it in a Warning header).
		for _, err := range pms.Bookings(ctx, client.BookingFilter{Order: map[string]string{"nope": "asc"}}) {
			if err != nil {
				t.Errorf("order on an unknown field: %v, want it ignored", err)
			}
		}

		// The revisions of the booking, newest first, each with its state.
		revs := collect(t, pms.BookingRevisions(ctx, client.ListOptions{Filters: map[string]string{"booking_id": b.ID}}))
		if len(revs) != 2 || revs[0].ID != m.RevisionID || revs[1].ID != b.RevisionID || revs[1].BookingID != b.ID ||
			revs[1].DepartureDate != in.DepartureDate || revs[0].DepartureDate != later {
			t.Errorf("revisions: %+v", revs)
		}
		r1, err := pms.BookingRevision(ctx, b.RevisionID)
		if err != nil || r1.Status != "new" || r1.BookingID != b.ID || r1.Notes != "late arrival" {
			t.Errorf("first revision: %+v, %v", r1, err)
		}

		// Push: new, then modified by the reservation code.
		pushIn := sampleBooking(h, "P1", 30)
		pushIn.PropertyID, pushIn.Status, pushIn.OTAName = "", "new", ""
		pushed, err := pms.PushBooking(ctx, pushIn)
		if err != nil || pushed.ID == "" || pushed.Status != "new" || pushed.UniqueID != "OFF-P1" {
			t.Fatalf("push new: %+v, %v", pushed, err)
		}
		pushIn.Status, pushIn.SystemID, pushIn.Notes = "modified", "S-2", "pushed again"
		again, err := pms.PushBooking(ctx, pushIn)
		if err != nil || again.ID != pushed.ID || again.Status != "modified" || again.SystemID != "S-2" || again.RevisionID == pushed.RevisionID {
			t.Errorf("push modified: %+v, %v", again, err)
		}
		if pb, err := pms.Booking(ctx, pushed.ID); err != nil || pb.Notes != "pushed again" || pb.PropertyID != h.property {
			t.Errorf("pushed booking: %+v, %v", pb, err)
		}
		pushIn.OTAReservationCode = "P9"
		if _, err := pms.PushBooking(ctx, pushIn); !client.HasCode(err, client.CodeValidation) || len(err.(*client.Error).FieldErrors()["ota_reservation_code"]) == 0 {
			t.Errorf("push of an unknown code: %v, want a validation error on ota_reservation_code", err)
		}

		// Reports.
		if err := pms.ReportNoShow(ctx, b.ID, true, "10.00"); err != nil {
			t.Errorf("no-show: %v", err)
		}
		if err := pms.ReportNoShow(ctx, b.ID, false, "-1"); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("no-show with a negative penalty: %v, want validation_error", err)
		}
		if err := pms.ReportInvalidCard(ctx, b.ID); err != nil {
			t.Errorf("invalid card: %v", err)
		}
		if err := pms.ReportCancelDueInvalidCard(ctx, b.ID); err != nil {
			t.Errorf("cancel due invalid card: %v", err)
		}
		reports, err := srv.st.BookingReports(ctx, ownerPrincipal(t, srv), b.ID)
		if err != nil || fmt.Sprint(reports) != "[no_show invalid_card cancel_due_invalid_card]" {
			t.Errorf("reports stored: %v, %v", reports, err)
		}
		const unknown = "00000000-0000-4000-8000-000000000000"
		if err := pms.ReportInvalidCard(ctx, unknown); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("report on an unknown booking: %v, want not found", err)
		}

		// Cancel, and then nothing changes it.
		c, err := pms.CancelBooking(ctx, b.ID)
		if err != nil || c.Status != "cancelled" {
			t.Errorf("cancel: %+v, %v", c, err)
		}
		_, err = pms.UpdateBooking(ctx, b.ID, client.BookingInput{Notes: "again"})
		if e, ok := errors.AsType[*client.Error](err); !ok || e.Status != 422 || len(e.FieldErrors()["status"]) == 0 {
			t.Errorf("change of a cancelled booking: %v, want 422 on status", err)
		}

		// Bad input comes back as a typed validation error, by field.
		bad := sampleBooking(h, "R200", 10)
		bad.Guarantee.CardNumber = "4111111111111111"
		bad.ArrivalDate = "2026-02-30"
		_, err = pms.CreateBooking(ctx, bad)
		if e, ok := errors.AsType[*client.Error](err); !ok || e.Code != client.CodeValidation || len(e.FieldErrors()["guarantee"]) == 0 ||
			len(e.FieldErrors()["arrival_date"]) == 0 {
			t.Errorf("invalid booking: %v, want validation errors on guarantee and arrival_date", err)
		} else if strings.Contains(e.Error(), "4111111111111111") {
			t.Errorf("the error repeats the card number: %v", e)
		}
		if _, err := pms.CreateBooking(ctx, sampleBooking(h, "R100", 10)); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("a reservation code twice: %v, want validation_error", err)
		}
		if _, err := pms.Booking(ctx, unknown); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("unknown booking: %v, want not found", err)
		}

		// A key restricted to Hotel A sees nothing of Hotel B.
		onlyA := newKey(t, srv, "A only", h.property)
		if _, err := onlyA.Booking(ctx, ob.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("restricted key reading Hotel B's booking: %v, want not found", err)
		}
		if _, err := onlyA.UpdateBooking(ctx, ob.ID, client.BookingInput{Notes: "x"}); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("restricted key changing Hotel B's booking: %v, want not found", err)
		}
		for _, bk := range collect(t, onlyA.Bookings(ctx, client.BookingFilter{})) {
			if bk.PropertyID != h.property {
				t.Errorf("restricted key lists a booking of %s", bk.PropertyID)
			}
		}
		if _, err := onlyA.BookingRevision(ctx, ob.RevisionID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("restricted key reading Hotel B's revision: %v, want not found", err)
		}
		if err := onlyA.AckRevision(ctx, ob.RevisionID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("restricted key acking Hotel B's revision: %v, want not found", err)
		}
	})
}

// TestFeed drains the feed through the client: each revision once,
// oldest first, acked; a property's feed holds only its revisions; and
// reading without acking gives every revision once too, page after page.
func TestFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		a := newHotel(t, pms, "Hotel A")
		b := newHotel(t, pms, "Hotel B")
		var want []string // revisions of A, oldest first
		for i := range 7 {
			bk, err := pms.CreateBooking(ctx, sampleBooking(a, fmt.Sprintf("A%d", i), 10+i))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, bk.RevisionID)
		}
		bB, err := pms.CreateBooking(ctx, sampleBooking(b, "B1", 10))
		if err != nil {
			t.Fatal(err)
		}

		// Reading without acking, three a page: all of A, once each.
		var read []string
		for rev, err := range pms.Feed(ctx, client.FeedOptions{PropertyID: a.property, Limit: 3}) {
			if err != nil {
				t.Fatalf("feed: %v", err)
			}
			read = append(read, rev.ID)
		}
		if fmt.Sprint(read) != fmt.Sprint(want) {
			t.Errorf("feed read without acks:\n got %v\nwant %v", read, want)
		}

		// Draining acks each; a handler's error stops it and leaves the
		// revision in the feed.
		var handled []string
		n, err := pms.DrainFeed(ctx, client.FeedOptions{PropertyID: a.property, Limit: 2}, func(rev *client.BookingRevision) error {
			if rev.PropertyID != a.property || rev.BookingID == "" || rev.Status != "new" {
				t.Errorf("revision in A's feed: %+v", rev)
			}
			if len(handled) == 4 {
				return errors.New("PMS is busy")
			}
			handled = append(handled, rev.ID)
			return nil
		})
		if n != 4 || err == nil || err.Error() != "PMS is busy" {
			t.Errorf("drain stopped by the handler: %d acked, %v; want 4 and the handler's error", n, err)
		}
		n, err = pms.DrainFeed(ctx, client.FeedOptions{PropertyID: a.property, Limit: 2}, func(rev *client.BookingRevision) error {
			handled = append(handled, rev.ID)
			return nil
		})
		if err != nil || n != 3 || fmt.Sprint(handled) != fmt.Sprint(want) {
			t.Errorf("drain: %d, %v; handled %v, want %v", n, err, handled, want)
		}
		if left := collect(t, pms.Feed(ctx, client.FeedOptions{PropertyID: a.property})); len(left) != 0 {
			t.Errorf("A's feed after the drain: %d revisions, want none", len(left))
		}
		if left := collect(t, pms.Feed(ctx, client.FeedOptions{})); len(left) != 1 || left[0].ID != bB.RevisionID {
			t.Errorf("the whole feed after draining A: %+v, want B's one revision", left)
		}
		if err := pms.AckRevision(ctx, want[0]); err != nil {
			t.Errorf("ack again: %v", err)
		}
		if err := pms.AckRevision(ctx, "00000000-0000-4000-8000-000000000000"); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("ack of an unknown revision: %v, want not found", err)
		}
	})
}

// TestTasks reads the tasks of ARI writes and of bookings.
func TestTasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		a := newHotel(t, pms, "Hotel A")
		b := newHotel(t, pms, "Hotel B")
		from, _, to := stay(5, 10)
		res, err := pms.UpdateAvailability(ctx, []client.Availability{{PropertyID: a.property, RoomTypeID: a.roomType, DateFrom: from, DateTo: to, Availability: 4}})
		if err != nil || len(res.TaskIDs) != 1 {
			t.Fatalf("availability: %+v, %v", res, err)
		}
		if _, err := pms.UpdateAvailability(ctx, []client.Availability{{PropertyID: b.property, RoomTypeID: b.roomType, Date: from, Availability: 1}}); err != nil {
			t.Fatal(err)
		}
		task, err := pms.Task(ctx, res.TaskIDs[0])
		if err != nil || task.ID != res.TaskIDs[0] || task.PropertyID != a.property || task.ValuesCount != 1 || task.DateFrom != from ||
			task.DateTo != to || len(task.RoomTypeIDs) != 1 || task.RoomTypeIDs[0] != a.roomType || task.APIKeyID == "" {
			t.Errorf("task: %+v, %v", task, err)
		}
		list := collect(t, pms.Tasks(ctx, client.ListOptions{Filters: map[string]string{"property_id": a.property}}))
		if len(list) != 1 || list[0].ID != task.ID {
			t.Errorf("A's tasks: %+v", list)
		}
		if all := collect(t, pms.Tasks(ctx, client.ListOptions{Limit: 1})); len(all) != 2 {
			t.Errorf("all tasks, a page of one at a time: %d, want 2", len(all))
		}
		onlyB := newKey(t, srv, "B only", b.property)
		if _, err := onlyB.Task(ctx, task.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("B's key reading A's task: %v, want not found", err)
		}
		if l := collect(t, onlyB.Tasks(ctx, client.ListOptions{})); len(l) != 1 || l[0].PropertyID != b.property {
			t.Errorf("B's key lists tasks: %+v", l)
		}
	})
}

func stayNight(days, i int) string {
	_, nights, _ := stay(days, i+1)
	return nights[i]
}

func ownerPrincipal(t *testing.T, srv *server) *keycard.Principal {
	t.Helper()
	p, err := srv.st.UserPrincipal(context.Background(), srv.ownerID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
