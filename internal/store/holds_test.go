package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// autoHotel is newHotel with every availability autoupdate setting on and
// availability avail on h.d0 and h.d0+1 for room type h.rt.
func autoHotel(t testing.TB, cfg store.Config, avail int32) *hotel {
	t.Helper()
	h := newHotel(t, cfg)
	ctx := context.Background()
	settings := keycard.DefaultPropertySettings()
	settings.AllowAvailabilityAutoupdateOnConfirmation = true
	settings.AllowAvailabilityAutoupdateOnModification = true
	settings.AllowAvailabilityAutoupdateOnCancellation = true
	_, err := h.st.UpdateProperty(ctx, h.owner, h.property, &keycard.PropertyChange{SettingsSent: true,
		Settings: keycard.PropertySettingsChange{Values: settings}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
		Dates: keycard.Dates{From: h.d0, To: h.d0 + 1, Days: keycard.EveryDay}, Availability: avail}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Warnings[0] != nil {
		t.Fatalf("set availability: %v", res.Warnings[0])
	}
	return h
}

// stay is one room of h.rt, rate plan a, for the nights d0+from to
// d0+to-1.
type stay struct{ from, to keycard.Date }

// save writes a booking through st: a new one named code when id is "",
// else a change of booking id to status. rooms replace the booking's
// rooms unless status is cancelled. It returns the booking's id.
func (h *hotel) save(t testing.TB, st *store.Store, id, code, status string, rooms ...stay) string {
	t.Helper()
	c := h.change(id, code, status, rooms...)
	b, err := st.SaveBooking(context.Background(), h.owner, store.BookingWrite{BookingID: id, PropertyID: h.property, Status: status, Change: c})
	if err != nil {
		t.Fatalf("save booking %s: %v", code, err)
	}
	return b.ID
}

// change is the body of a booking write of save.
func (h *hotel) change(id, code, status string, rooms ...stay) *keycard.BookingChange {
	c := &keycard.BookingChange{}
	if id == "" {
		c.OTAName, c.OTAReservationCode = ptr("Offline"), ptr(code)
	}
	if status != keycard.StatusCancelled {
		from, to := rooms[0].from, rooms[0].to
		c.RoomsSent = true
		for i, r := range rooms {
			from, to = min(from, r.from), max(to, r.to)
			c.Rooms = append(c.Rooms, keycard.RoomChange{N: i + 1, RoomTypeID: ptr(h.rt), RatePlanID: ptr(h.a.ID),
				CheckinDate: ptr((h.d0 + r.from).String()), CheckoutDate: ptr((h.d0 + r.to).String())})
		}
		c.ArrivalDate, c.DepartureDate = ptr((h.d0 + from).String()), ptr((h.d0 + to).String())
	}
	return c
}

func ptr(s string) *string { return &s }

// avail returns the availability of h.rt on d0 and d0+1.
func (h *hotel) avail(t *testing.T) [2]int32 {
	t.Helper()
	grid, err := h.st.Availability(context.Background(), h.owner, keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0 + 1,
		IDs: []string{h.rt}})
	if err != nil {
		t.Fatal(err)
	}
	return [2]int32(grid.RoomTypes[0].Days)
}

// TestHoldsGiveBackWhatWasTaken checks that a booking takes from
// availability only what there is (an overbooking is accepted, and
// availability stops at 0), and that a modification or a cancellation
// gives back only what the booking took: first to the bookings of that
// night still short of a room, then to availability. Cancelling every
// booking brings availability back where it started, and it never shows
// a room that a booking is in.
func TestHoldsGiveBackWhatWasTaken(t *testing.T) {
	type step struct {
		booking string // its reservation code
		status  string
		rooms   []stay
		want    [2]int32 // availability on d0 and d0+1 after the step
	}
	night0, night1, both := stay{0, 1}, stay{1, 2}, stay{0, 2}
	cases := []struct {
		name  string
		avail int32
		steps []step
	}{
		{"the overbooked one cancelled first", 1, []step{
			{"A", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"B", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"B", keycard.StatusCancelled, nil, [2]int32{0, 1}},
			{"A", keycard.StatusCancelled, nil, [2]int32{1, 1}},
		}},
		{"the one that took cancelled first: its room goes to the other", 1, []step{
			{"A", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"B", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"A", keycard.StatusCancelled, nil, [2]int32{0, 1}},
			{"B", keycard.StatusCancelled, nil, [2]int32{1, 1}},
		}},
		{"a modification keeps a night it held and lets go of another", 1, []step{
			{"A", keycard.StatusNew, []stay{both}, [2]int32{0, 0}},
			{"B", keycard.StatusNew, []stay{night0}, [2]int32{0, 0}},
			{"A", keycard.StatusModified, []stay{night0}, [2]int32{0, 1}},
			{"A", keycard.StatusModified, []stay{night0, night0}, [2]int32{0, 1}},
			{"A", keycard.StatusModified, []stay{night0}, [2]int32{0, 1}},
			{"A", keycard.StatusCancelled, nil, [2]int32{0, 1}},
			{"B", keycard.StatusCancelled, nil, [2]int32{1, 1}},
		}},
		{"an overbooked booking moved to a night with a room", 1, []step{
			{"A", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"B", keycard.StatusNew, []stay{night0}, [2]int32{0, 1}},
			{"B", keycard.StatusModified, []stay{night1}, [2]int32{0, 0}},
			{"A", keycard.StatusCancelled, nil, [2]int32{1, 0}},
			{"B", keycard.StatusCancelled, nil, [2]int32{1, 1}},
		}},
		{"rooms added beyond availability, then let go", 2, []step{
			{"A", keycard.StatusNew, []stay{night0}, [2]int32{1, 2}},
			{"A", keycard.StatusModified, []stay{night0, night0}, [2]int32{0, 2}},
			{"A", keycard.StatusModified, []stay{night0, night0, night0}, [2]int32{0, 2}},
			{"A", keycard.StatusModified, []stay{night0}, [2]int32{1, 2}},
			{"A", keycard.StatusModified, []stay{night0, night1}, [2]int32{1, 1}},
			{"A", keycard.StatusCancelled, nil, [2]int32{2, 2}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, cfg store.Config) {
				h := autoHotel(t, cfg, c.avail)
				ids := map[string]string{}
				for i, s := range c.steps {
					ids[s.booking] = h.save(t, h.st, ids[s.booking], s.booking, s.status, s.rooms...)
					if got := h.avail(t); got != s.want {
						t.Fatalf("after step %d (%s %s): got availability %v, want %v", i+1, s.booking, s.status, got, s.want)
					}
				}
			})
		})
	}
	t.Run("50 bookings on one room, all cancelled", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, cfg store.Config) {
			h := autoHotel(t, cfg, 1)
			var ids []string
			for i := range 50 {
				ids = append(ids, h.save(t, h.st, "", fmt.Sprint("R", i), keycard.StatusNew, night0))
			}
			if got := h.avail(t); got != [2]int32{0, 1} {
				t.Fatalf("after 50 bookings: got availability %v, want [0 1]", got)
			}
			for i, id := range ids {
				h.save(t, h.st, id, "", keycard.StatusCancelled)
				want := [2]int32{0, 1}
				if i == len(ids)-1 {
					want = [2]int32{1, 1}
				}
				if got := h.avail(t); got != want {
					t.Fatalf("after %d cancellations: got availability %v, want %v", i+1, got, want)
				}
			}
		})
	})
}

// TestHoldsFromTwoServers books one room 20 times through two stores on
// one database at once (two servers), then cancels every booking at once
// the same way: one booking in all may take the room, so availability
// reads 0 while any is left and 1 at the end.
func TestHoldsFromTwoServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := autoHotel(t, cfg, 1)
		servers := []*store.Store{h.st, storetest.Open(t, cfg)}
		const n = 20
		all := func(do func(i int, st *store.Store) string) []string {
			out := make([]string, n)
			done := make(chan struct{}, n)
			for i := range n {
				go func() {
					defer func() { done <- struct{}{} }()
					out[i] = do(i, servers[i%2])
				}()
			}
			for range n {
				<-done
			}
			return out
		}
		// save calls t.Fatalf, which must not run outside the test's
		// goroutine: these goroutines report through t.Errorf instead.
		ids := all(func(i int, st *store.Store) string {
			b, err := st.SaveBooking(context.Background(), h.owner, store.BookingWrite{PropertyID: h.property, Status: keycard.StatusNew,
				Change: h.change("", fmt.Sprint("R", i), keycard.StatusNew, stay{0, 1})})
			if err != nil {
				t.Errorf("book %d: %v", i, err)
				return ""
			}
			return b.ID
		})
		if t.Failed() {
			t.FailNow()
		}
		if got := h.avail(t); got != [2]int32{0, 1} {
			t.Fatalf("after %d bookings: got availability %v, want [0 1]", n, got)
		}
		all(func(i int, st *store.Store) string {
			_, err := st.SaveBooking(context.Background(), h.owner, store.BookingWrite{BookingID: ids[i], Status: keycard.StatusCancelled,
				Change: &keycard.BookingChange{}})
			if err != nil {
				t.Errorf("cancel %d: %v", i, err)
			}
			return ""
		})
		if got := h.avail(t); got != [2]int32{1, 1} {
			t.Errorf("after cancelling all: got availability %v, want [1 1]", got)
		}
	})
}
