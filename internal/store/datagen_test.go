package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestVersions: a property's Version moves with every write that changes
// what its ARI reads answer (ARI, bookings, room types, rate plans) and
// only then; the feed's moves with bookings and acks.
func TestVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := autoHotel(t, cfg, 5)
		ctx := context.Background()
		st := h.st
		other, err := st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Other", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		// Principals that reach the hotel alone, the other property alone
		// (as a key's cached reach), and every property.
		reaching := func(ids ...string) *keycard.Principal {
			p := *h.owner
			p.Reach = keycard.NewReach(ids)
			return &p
		}
		hotelOnly, otherOnly := reaching(h.property), reaching(other.ID)
		type state struct{ prop, other, feed, otherFeed, allFeeds store.Version }
		now := func() state {
			return state{st.PropertyVersion(h.property), st.PropertyVersion(other.ID), st.FeedVersion(hotelOnly),
				st.FeedVersion(otherOnly), st.FeedVersion(&keycard.Principal{})}
		}
		step := func(what string, prop, otherMoves, feed bool, write func()) {
			t.Helper()
			before := now()
			write()
			after := now()
			for _, c := range []struct {
				name    string
				want    bool
				was, is store.Version
			}{{"the property's", prop, before.prop, after.prop}, {"the other property's", otherMoves, before.other, after.other},
				{"the feed's", feed, before.feed, after.feed}, {"every feed's", feed || otherMoves, before.allFeeds, after.allFeeds},
				{"the other property's feed's", otherMoves, before.otherFeed, after.otherFeed}} {
				if moved := c.was != c.is; moved != c.want {
					t.Errorf("%s: %s Version moved = %v, want %v", what, c.name, moved, c.want)
				}
			}
		}
		step("set restrictions", true, false, false, func() {
			_, err := st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Values: keycard.Restrictions{Rate: 12000, Set: keycard.FieldRate}}})
			if err != nil {
				t.Fatal(err)
			}
		})
		step("set availability", true, false, false, func() {
			_, err := st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Availability: 4}})
			if err != nil {
				t.Fatal(err)
			}
		})
		var booking string
		step("book", true, false, true, func() { booking = h.save(t, st, "", "V-1", keycard.StatusNew, stay{0, 1}) })
		step("ack", false, false, true, func() {
			b, err := st.Booking(ctx, h.owner, booking)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.AckRevision(ctx, h.owner, b.RevisionID); err != nil {
				t.Fatal(err)
			}
		})
		step("rename a rate plan", true, true, true, func() {
			if _, err := st.UpdateRatePlan(ctx, h.owner, h.b.ID, &keycard.RatePlanChange{Title: new("B2")}, nil); err != nil {
				t.Fatal(err)
			}
		})
		step("rename a room type", true, true, true, func() {
			if _, err := st.UpdateRoomType(ctx, h.owner, h.rt2, false, &keycard.RoomTypeChange{Title: new("Triple2")}, nil); err != nil {
				t.Fatal(err)
			}
		})
		step("refused write", false, false, false, func() {
			if _, err := st.UpdateRatePlan(ctx, h.owner, h.b.ID, &keycard.RatePlanChange{Title: new("")}, nil); err == nil {
				t.Fatal("an empty title was accepted")
			}
		})
	})
}

// TestVersionsHeardFromOtherServers: a write through one store moves the
// Version of what it changed on another store watching the same database,
// and only that.
func TestVersionsHeardFromOtherServers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := autoHotel(t, cfg, 5)
		ctx := context.Background()
		b := storetest.Open(t, cfg)
		other, err := h.st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Other", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		heard := make(chan struct{}, 64)
		store.OnDataHeard(b, func() { heard <- struct{}{} })
		wctx, cancel := context.WithCancel(ctx)
		watching := make(chan error, 1)
		go func() { watching <- b.Watch(wctx, func() {}) }()
		t.Cleanup(func() {
			cancel()
			<-watching
		})
		// The watch may not be listening yet: write until it hears one,
		// bounded.
		write := func(avail int32) {
			_, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Availability: avail}})
			if err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.After(20 * time.Second)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
	wait:
		for n := int32(1); ; n++ {
			write(n)
			select {
			case <-heard:
				break wait
			case err := <-watching:
				t.Fatalf("Watch returned: %v", err)
			case <-deadline:
				t.Fatal("no data change reached the other store")
			case <-tick.C:
			}
		}
		for len(heard) > 0 {
			<-heard
		}
		everything := &keycard.Principal{}
		prop, otherV, feed := b.PropertyVersion(h.property), b.PropertyVersion(other.ID), b.FeedVersion(everything)
		write(3)
		select {
		case <-heard:
		case <-time.After(20 * time.Second):
			t.Fatal("the second write did not reach the other store")
		}
		if b.PropertyVersion(h.property) == prop {
			t.Error("the written property's Version did not move on the other store")
		}
		if b.PropertyVersion(other.ID) != otherV || b.FeedVersion(everything) != feed {
			t.Error("an ARI write moved another property's or the feed's Version on the other store")
		}
		feed = b.FeedVersion(everything)
		h.save(t, h.st, "", "V-2", keycard.StatusNew, stay{0, 1})
		select {
		case <-heard:
		case <-time.After(20 * time.Second):
			t.Fatal("the booking did not reach the other store")
		}
		if b.FeedVersion(everything) == feed {
			t.Error("a booking did not move the feed's Version on the other store")
		}
	})
}
