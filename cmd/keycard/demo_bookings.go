package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// seedDemoBookings gives Hotel Alfama, when it has no bookings yet, four
// bookings through the same path as the Booking CRS routes: one new, one
// modified, one cancelled, all acked, and one new left unacked, so that the
// demo key's feed has an entry to read and ack.
func seedDemoBookings(ctx context.Context, st *store.Store, owner *keycard.Principal) error {
	props, _, err := st.ListProperties(ctx, owner, keycard.ListQuery{Page: 1, Limit: 1,
		Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{"Hotel Alfama"}}}})
	if err != nil || len(props) == 0 {
		return err
	}
	prop := props[0]
	byProperty := []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{prop.ID}}}
	if _, n, err := st.ListBookings(ctx, owner, keycard.ListQuery{Page: 1, Limit: 1, Filters: byProperty}); err != nil || n > 0 {
		return err
	}
	plans, err := st.RatePlanOptions(ctx, owner, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit, Filters: byProperty})
	if err != nil {
		return err
	}
	if len(plans) == 0 {
		return errors.New("the demo's Hotel Alfama has no rate plans")
	}
	plan := plans[0]
	today := keycard.Today(time.Now(), prop.Timezone)
	// The demo's bookings are sent as a PMS sends them, and judged by the
	// same rules.
	booking := func(code, guest string, arrive, nights int) *keycard.BookingChange {
		str := func(s string) *string { return &s }
		from, to := today+keycard.Date(arrive), today+keycard.Date(arrive+nights)
		days := map[string]json.RawMessage{}
		for d := from; d < to; d++ {
			days[d.String()] = json.RawMessage("12000")
		}
		return &keycard.BookingChange{
			OTAName: str("Booking.com"), OTAReservationCode: str(code),
			ArrivalDate: str(from.String()), DepartureDate: str(to.String()),
			ArrivalHour: str("15:00"), PaymentCollect: str("ota"), PaymentType: str("credit_card"),
			CustomerSent: true, Customer: &keycard.Customer{Name: guest, Surname: "Demo", Mail: "guest@example.com", Country: "PT", Language: "en"},
			GuaranteeSent: true, Guarantee: &keycard.GuaranteeChange{CardNumber: "411111******1111", CardType: "VI",
				CardholderName: guest + " Demo", ExpirationDate: "12/2030"},
			RoomsSent: true, Rooms: []keycard.RoomChange{{N: 1, RoomTypeID: str(plan.RoomTypeID), RatePlanID: str(plan.ID),
				Days: days, Occupancy: &keycard.Occupancy{Adults: 2}}},
		}
	}
	save := func(w store.BookingWrite, ack bool) (*keycard.Booking, error) {
		w.PropertyID = prop.ID
		b, err := st.SaveBooking(ctx, owner, w)
		if err == nil && ack {
			err = st.AckRevision(ctx, owner, b.RevisionID)
		}
		return b, err
	}
	for _, s := range []struct {
		code, guest    string
		arrive, nights int
		then           string // "", modified or cancelled
		unacked        bool
	}{
		{"DEMO-1001", "Ana", 3, 2, "", false},
		{"DEMO-1002", "Bruno", 5, 3, keycard.StatusModified, false},
		{"DEMO-1003", "Carla", 7, 1, keycard.StatusCancelled, false},
		{"DEMO-1004", "Duarte", 10, 4, "", true},
	} {
		b, err := save(store.BookingWrite{Status: keycard.StatusNew, Change: booking(s.code, s.guest, s.arrive, s.nights)}, !s.unacked)
		if err != nil {
			return fmt.Errorf("demo booking %s: %w", s.code, err)
		}
		if s.then == "" {
			continue
		}
		change := booking(s.code, s.guest, s.arrive, s.nights+1)
		if s.then == keycard.StatusCancelled {
			change = &keycard.BookingChange{}
		}
		if _, err := save(store.BookingWrite{BookingID: b.ID, Status: s.then, Change: change}, true); err != nil {
			return fmt.Errorf("demo booking %s: %w", s.code, err)
		}
	}
	return nil
}
