package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestAnswersFollowWrites: the reads whose answers are kept (ARI grids,
// room types, rate plans, the feed) are served again from the cache when
// nothing changed, and show every change at the very next request: API
// writes, store writes, bookings, acks, and changes of a key's reach.
// An answer kept for one credential is never given to another.
func TestAnswersFollowWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		ctx := context.Background()
		rt, err := f.st.CreateRoomType(ctx, f.ownerA, &keycard.RoomType{PropertyID: f.p1, Title: "Double", CountOfRooms: 5,
			OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
		must(t, err)
		occ, primary := 2, true
		rp, err := f.st.CreateRatePlan(ctx, f.ownerA, f.p1, &keycard.RatePlanChange{Title: new("Flex"), RoomTypeID: &rt.ID, OptionsSent: true,
			Options: []keycard.RateOptionChange{{Occupancy: &occ, IsPrimary: &primary, Rate: json.RawMessage(`"100"`)}}}, nil)
		must(t, err)
		d0 := keycard.Today(time.Now(), "") + 3
		dates := "&filter[date][gte]=" + d0.String() + "&filter[date][lte]=" + (d0 + 1).String()
		restrictions := "/api/v1/restrictions?filter[property_id]={p1}&filter[restrictions]=rate" + dates
		availability := "/api/v1/availability?filter[property_id]={p1}" + dates
		roomTypes := "/api/v1/room_types?filter[property_id]={p1}"
		properties := "/api/v1/properties?pagination[limit]=10"
		ratePlans := "/api/v1/rate_plans?filter[property_id]={p1}"
		feed := "/api/v1/booking_revisions/feed"

		// get reads path with c, and says whether the answer came from
		// the cache.
		get := func(path string, c cred) (int, string, bool) {
			t.Helper()
			hits := f.api.answers.hits.Load()
			status, body := f.do("GET", path, c, "")
			return status, body, f.api.answers.hits.Load() > hits
		}
		// read reads path twice with c: the second answer must be the
		// first, from the cache. It returns the body.
		read := func(path string, c cred) string {
			t.Helper()
			status, body, _ := get(path, c)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, status, body)
			}
			status2, body2, hit := get(path, c)
			if status2 != status || body2 != body || !hit {
				t.Fatalf("GET %s again: %d (hit %v), the same answer expected from the cache", path, status2, hit)
			}
			return body
		}
		contains := func(what, body, want string, yes bool) {
			t.Helper()
			if strings.Contains(body, want) != yes {
				t.Errorf("%s: contains %q = %v, want %v: %s", what, want, !yes, yes, body)
			}
		}

		// ARI: an API write, then a store write, each seen at once.
		contains("restrictions", read(restrictions, credKeyP1), `"rate":"100.00"`, true)
		if status, body := f.do("POST", "/api/v1/restrictions", credKeyP1, `{"values":[{"property_id":"{p1}","rate_plan_id":"`+rp.ID+
			`","date_from":"`+d0.String()+`","date_to":"`+d0.String()+`","rate":"120.00"}]}`); status != 200 {
			t.Fatalf("POST /restrictions: %d %s", status, body)
		}
		contains("restrictions after a POST", read(restrictions, credKeyP1), `"rate":"120.00"`, true)
		contains("availability", read(availability, credKeyP1), `"`+d0.String()+`":0`, true)
		_, err = f.st.ApplyAvailability(ctx, f.ownerA, []*keycard.AvailabilityChange{{PropertyID: f.p1, RoomTypeID: rt.ID,
			Dates: keycard.Dates{From: d0, To: d0 + 1, Days: keycard.EveryDay}, Availability: 4}})
		must(t, err)
		contains("availability after a write", read(availability, credKeyP1), `"`+d0.String()+`":4`, true)

		// Inventory: renames seen at once.
		contains("room types", read(roomTypes, credKeyP1), `"Double"`, true)
		contains("rate plans", read(ratePlans, credKeyP1), `"Flex"`, true)
		if status, body := f.do("PUT", "/api/v1/room_types/"+rt.ID, credKeyP1, `{"room_type":{"title":"Twin"}}`); status != 200 {
			t.Fatalf("PUT room type: %d %s", status, body)
		}
		contains("room types after a rename", read(roomTypes, credKeyP1), `"Twin"`, true)
		_, err = f.st.UpdateRatePlan(ctx, f.ownerA, rp.ID, &keycard.RatePlanChange{Title: new("Saver")}, nil)
		must(t, err)
		contains("rate plans after a rename", read(ratePlans, credKeyP1), `"Saver"`, true)

		// Properties: a rename, and a property made, seen at once.
		contains("properties", read(properties, credKeyAll), `"Alpha Hotel"`, true)
		if status, body := f.do("PUT", "/api/v1/properties/{p1}", credKeyAll, `{"property":{"title":"Alpha Palace"}}`); status != 200 {
			t.Fatalf("PUT property: %d %s", status, body)
		}
		contains("properties after a rename", read(properties, credKeyAll), `"Alpha Palace"`, true)
		_, err = f.st.CreateProperty(ctx, f.ownerA, &keycard.Property{Title: "Delta Hotel", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		must(t, err)
		contains("properties after one was made", read(properties, credKeyAll), `"Delta Hotel"`, true)

		// The feed: drained, a booking, its ack.
		contains("the drained feed", read(feed, credKeyP1), `"data":[]`, true)
		cur, in, out := "EUR", d0.String(), (d0 + 1).String()
		b, err := f.st.SaveBooking(ctx, f.ownerA, store.BookingWrite{PropertyID: f.p1, Status: keycard.StatusNew,
			Change: &keycard.BookingChange{Currency: &cur, ArrivalDate: &in, DepartureDate: &out, OTAName: new("Offline"), OTAReservationCode: new("A-1"),
				RoomsSent: true, Rooms: []keycard.RoomChange{{N: 1, RoomTypeID: &rt.ID, RatePlanID: &rp.ID, CheckinDate: &in, CheckoutDate: &out}}}})
		must(t, err)
		contains("the feed after a booking", read(feed, credKeyP1), b.RevisionID, true)
		contains("availability after a booking", read(availability, credKeyP1), `"`+d0.String()+`":3`, true)
		must(t, f.st.AckRevision(ctx, f.ownerA, b.RevisionID))
		contains("the feed after the ack", read(feed, credKeyP1), `"data":[]`, true)

		// Another credential never gets P1's kept answers: another
		// organisation's key is refused, and P1's key narrowed to P2
		// is refused at once.
		read(restrictions, credKeyP1)
		if status, _, hit := get(restrictions, credKeyOther); status != http.StatusNotFound || hit {
			t.Errorf("another organisation's key reading P1's restrictions: %d (from the cache: %v), want 404", status, hit)
		}
		_, err = f.st.UpdateAPIKey(ctx, f.ownerA, f.keyP1ID, store.APIKeyChange{PropertyIDs: []string{f.p2}})
		must(t, err)
		if status, _, hit := get(restrictions, credKeyP1); status != http.StatusNotFound || hit {
			t.Errorf("P1's restrictions with the key narrowed to P2: %d (from the cache: %v), want 404", status, hit)
		}
	})
}

// TestAnswerCacheBound: the cache keeps no more bytes of answers than its
// bound, forgetting others to make room, keeps no answer larger than the
// bound, and keeps none at all when turned off.
func TestAnswerCacheBound(t *testing.T) {
	t.Parallel()
	c := newAnswerCache(100)
	body := func(n int) []byte { return []byte(strings.Repeat("x", n)) }
	for i := range 10 {
		c.put(answerKey{path: "/p", query: strings.Repeat("q", i)}, &answer{body: body(40)})
		if c.bytes > 100 || c.bytes != 40*len(c.m) {
			t.Fatalf("after %d answers of 40 bytes: %d bytes held in %d answers, bound 100", i+1, c.bytes, len(c.m))
		}
	}
	if len(c.m) != 2 {
		t.Errorf("answers held: %d, want 2", len(c.m))
	}
	last := answerKey{path: "/p", query: strings.Repeat("q", 9)}
	if c.get(last, store.Version{}) == nil {
		t.Error("the answer just kept was forgotten")
	}
	c.put(answerKey{path: "/big"}, &answer{body: body(101)})
	if c.get(answerKey{path: "/big"}, store.Version{}) != nil {
		t.Error("an answer over the bound was kept")
	}
	off := newAnswerCache(-1)
	off.put(last, &answer{body: body(1)})
	if len(off.m) != 0 {
		t.Error("a cache turned off kept an answer")
	}
}
