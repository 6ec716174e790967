package main

import (
	"context"
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
		return fmt.Errorf("Hotel Alfama has no rate plans")
	}
	plan := plans[0]
	today := keycard.Today(time.Now(), prop.Timezone)
	booking := func(code, guest string, arrive, nights int) func(b *keycard.Booking) keycard.FieldErrors {
		return func(b *keycard.Booking) keycard.FieldErrors {
			b.OTAName, b.OTAReservationCode = "Booking.com", code
			b.ArrivalDate, b.DepartureDate = today+keycard.Date(arrive), today+keycard.Date(arrive+nights)
			b.ArrivalHour, b.PaymentCollect, b.PaymentType = "15:00", "ota", "credit_card"
			b.Customer = &keycard.Customer{Name: guest, Surname: "Demo", Mail: "guest@example.com", Country: "PT", Language: "en"}
			b.Guarantee = &keycard.Guarantee{CardNumber: "411111******1111", CardType: "VI", CardholderName: guest + " Demo", ExpirationDate: "12/2030"}
			room := keycard.BookingRoom{BookingRoomID: keycard.NewID(), RoomTypeID: plan.RoomTypeID, RatePlanID: plan.ID,
				CheckinDate: b.ArrivalDate, CheckoutDate: b.DepartureDate, Occupancy: keycard.Occupancy{Adults: 2}}
			for d := b.ArrivalDate; d < b.DepartureDate; d++ {
				room.Days = append(room.Days, keycard.DayAmount{Date: d, Amount: 12000})
				room.Amount += 12000
			}
			b.Rooms, b.Amount, b.Occupancy = []keycard.BookingRoom{room}, room.Amount, room.Occupancy
			return nil
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
		b, err := save(store.BookingWrite{Status: keycard.StatusNew, Apply: booking(s.code, s.guest, s.arrive, s.nights)}, !s.unacked)
		if err != nil {
			return fmt.Errorf("demo booking %s: %w", s.code, err)
		}
		if s.then == "" {
			continue
		}
		apply := booking(s.code, s.guest, s.arrive, s.nights+1)
		if s.then == keycard.StatusCancelled {
			apply = func(*keycard.Booking) keycard.FieldErrors { return nil }
		}
		if _, err := save(store.BookingWrite{BookingID: b.ID, Status: s.then, Apply: apply}, true); err != nil {
			return fmt.Errorf("demo booking %s: %w", s.code, err)
		}
	}
	return nil
}
