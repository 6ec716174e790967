package store_test

import (
	"context"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestSaveBookings saves bookings in one transaction: each as SaveBooking
// would, availability moved for each; and a batch with one that fails
// leaves nothing of the others.
func TestSaveBookings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		w := func(code string) store.BookingWrite {
			return store.BookingWrite{PropertyID: h.property, Status: keycard.StatusNew, Change: h.change("", code, keycard.StatusNew, stay{0, 1})}
		}
		if _, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
			Dates: keycard.Dates{From: h.d0, To: h.d0 + 1, Days: keycard.EveryDay}, Availability: 10}}); err != nil {
			t.Fatal(err)
		}
		out, err := h.st.SaveBookings(ctx, h.owner, []store.BookingWrite{w("A"), w("B")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 || out[0].OTAReservationCode != "A" || out[1].OTAReservationCode != "B" || out[0].ID == out[1].ID {
			t.Fatalf("saved %+v", out)
		}
		if got := h.avail(t); got != [2]int32{8, 10} {
			t.Fatalf("after two bookings: availability %v, want [8 10]", got)
		}
		// C would be saved, but A is taken: neither is.
		if _, err := h.st.SaveBookings(ctx, h.owner, []store.BookingWrite{w("C"), w("A")}); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Fatalf("a batch with a taken code: %v, want a validation error", err)
		}
		if got := h.avail(t); got != [2]int32{8, 10} {
			t.Fatalf("after the failed batch: availability %v, want [8 10]", got)
		}
		if n, err := h.st.FeedBacklog(ctx); err != nil || n != 2 {
			t.Fatalf("feed backlog %d, %v; want 2", n, err)
		}
		if size, err := h.st.Size(ctx); err != nil || size <= 0 {
			t.Fatalf("size %d, %v", size, err)
		}
	})
}
