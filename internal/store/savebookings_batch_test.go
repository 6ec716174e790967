package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// batchHotel is a hotel with a webhook that hears everything, the
// availability its bookings take, and a second property whose settings
// move no availability.
type batchHotel struct {
	*hotel
	quiet, quietRT, quietPlan string
}

func newBatchHotel(t *testing.T, cfg store.Config) *batchHotel {
	t.Helper()
	ctx := context.Background()
	h := &batchHotel{hotel: newHotel(t, cfg)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	days := keycard.Dates{From: h.d0, To: h.d0 + 5, Days: keycard.EveryDay}
	_, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{
		{PropertyID: h.property, RoomTypeID: h.rt, Dates: days, Availability: 2},
		{PropertyID: h.property, RoomTypeID: h.rt2, Dates: days, Availability: 1}})
	must(err)
	settings := keycard.DefaultPropertySettings()
	settings.AllowAvailabilityAutoupdateOnConfirmation = false
	quiet, err := h.st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Quiet", Currency: "EUR", Settings: settings}, "")
	must(err)
	h.quiet = quiet.ID
	rt, err := h.st.CreateRoomType(ctx, h.owner, &keycard.RoomType{PropertyID: quiet.ID, Title: "Quiet room", CountOfRooms: 3,
		OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
	must(err)
	h.quietRT = rt.ID
	rp, err := h.st.CreateRatePlan(ctx, h.owner, quiet.ID, &keycard.RatePlanChange{Title: new("Quiet plan"), RoomTypeID: &rt.ID,
		OptionsSent: true, Options: []keycard.RateOptionChange{{Occupancy: new(2), IsPrimary: new(true), Rate: json.RawMessage(`10000`)}}}, nil)
	must(err)
	h.quietPlan = rp.ID
	_, err = h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: quiet.ID, RoomTypeID: rt.ID, Dates: days, Availability: 3}})
	must(err)
	newWebhook(t, h.st, h.owner, keycard.Webhook{EventMask: "*", SendData: true, IsActive: true})
	return h
}

// room is one room of a booking of h: on room type rt and plan (either
// "" for an unmapped room) for nights from to to.
func (h *batchHotel) room(rt, plan string, from, to keycard.Date) keycard.RoomChange {
	r := keycard.RoomChange{CheckinDate: ptr((h.d0 + from).String()), CheckoutDate: ptr((h.d0 + to).String())}
	if rt != "" {
		r.RoomTypeID = ptr(rt)
	}
	if plan != "" {
		r.RatePlanID = ptr(plan)
	}
	return r
}

// write is a booking write of h: a new booking of property named code
// with rooms, or with push a push of status for that code.
func (h *batchHotel) write(property, code, status string, push bool, rooms ...keycard.RoomChange) store.BookingWrite {
	c := &keycard.BookingChange{OTAName: ptr("Offline"), OTAReservationCode: ptr(code)}
	if len(rooms) > 0 {
		c.RoomsSent = true
		from, to := *rooms[0].CheckinDate, *rooms[0].CheckoutDate
		for i, r := range rooms {
			r.N = i + 1
			c.Rooms = append(c.Rooms, r)
			from, to = min(from, *r.CheckinDate), max(to, *r.CheckoutDate)
		}
		c.ArrivalDate, c.DepartureDate = &from, &to
	}
	return store.BookingWrite{PropertyID: property, Status: status, Push: push, Change: c}
}

// writes are new bookings that take the last rooms and go past them, an
// unmapped one, bookings of a property that moves no availability, and,
// between them, a push that modifies a booking of the batch and one that
// cancels another, giving back to the booking short of a room.
func (h *batchHotel) writes() []store.BookingWrite {
	a, b := h.a.ID, h.b.ID
	return []store.BookingWrite{
		h.write(h.property, "A", keycard.StatusNew, false, h.room(h.rt, a, 0, 2)),
		h.write(h.property, "B", keycard.StatusNew, false, h.room(h.rt, a, 0, 1), h.room(h.rt, a, 1, 2)),
		h.write(h.property, "C", keycard.StatusNew, false, h.room(h.rt, a, 0, 3)),
		h.write(h.property, "D", keycard.StatusNew, false, h.room(h.rt2, b, 0, 2), h.room(h.rt2, b, 1, 2)),
		h.write(h.property, "U", keycard.StatusNew, false, h.room("", "", 1, 2)),
		h.write(h.quiet, "Q1", keycard.StatusNew, false, h.room(h.quietRT, h.quietPlan, 0, 2)),
		h.write(h.property, "B", keycard.StatusModified, true, h.room(h.rt, a, 3, 4)),
		h.write(h.property, "E", keycard.StatusNew, false, h.room(h.rt, a, 0, 1)),
		h.write(h.property, "C", keycard.StatusCancelled, true),
		h.write(h.property, "F", keycard.StatusNew, false, h.room(h.rt, a, 2, 5)),
		h.write(h.quiet, "Q2", keycard.StatusNew, false, h.room(h.quietRT, h.quietPlan, 1, 3)),
		h.write(h.property, "G", keycard.StatusNew, false, h.room(h.rt, "", 4, 5)),
	}
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

// state is what h's database holds of bookings and what they moved, ids
// named by what they are (a booking by its code, a revision by its
// booking's code and place), times left out.
func (h *batchHotel) state(t *testing.T) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows := func(q string) [][]string {
		t.Helper()
		out, err := store.Rows(ctx, h.st, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return out
	}
	names := map[string]string{}
	for _, q := range []string{`SELECT id, 'property ' || title FROM properties`, `SELECT id, 'room type ' || title FROM room_types`,
		`SELECT id, 'rate plan ' || title FROM rate_plans`, `SELECT id, 'booking ' || ota_reservation_code FROM bookings`,
		`SELECT id, 'webhook' FROM webhooks`, `SELECT id, 'user' FROM users`} {
		for _, r := range rows(q) {
			names[r[0]] = r[1]
		}
	}
	seen := map[string]int{}
	for _, r := range rows(`SELECT r.id, b.ota_reservation_code FROM booking_revisions r JOIN bookings b ON b.id = r.booking_id ORDER BY r.seq`) {
		seen[r[1]]++
		names[r[0]] = fmt.Sprintf("revision %s#%d", r[1], seen[r[1]])
	}
	name := func(s string) string {
		s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
			if n, ok := names[id]; ok {
				return n
			}
			return "some id"
		})
		return timeRE.ReplaceAllString(s, "a time")
	}
	out := map[string][]string{}
	for table, q := range map[string]string{
		"bookings": `SELECT id, property_id, revision_id, status, ota_name, ota_reservation_code, arrival_date, departure_date, data
			FROM bookings ORDER BY ota_reservation_code`,
		"revisions":   `SELECT id, booking_id, property_id, status, system_id, data, acked_at FROM booking_revisions ORDER BY seq`,
		"feed counts": `SELECT property_id, unacked FROM booking_feed_counts`,
		"nights":      `SELECT booking_id, room_type_id, rate_plan_id, day, rooms FROM booking_nights`,
		"holds":       `SELECT booking_id, room_type_id, day, rooms, taken FROM booking_holds`,
		"days":        `SELECT room_type_id, day, availability FROM room_type_days`,
		"tasks":       `SELECT property_id, type, user_id, api_key_id, state, data FROM tasks`,
		"deliveries":  `SELECT webhook_id, property_id, event, body, status, attempts FROM webhook_deliveries`,
	} {
		for _, r := range rows(q) {
			out[table] = append(out[table], name(strings.Join(r, " | ")))
		}
		if table != "bookings" && table != "revisions" {
			slices.Sort(out[table]) // no order of their own
		}
	}
	return out
}

// TestSaveBookingsBatchedAsOneByOne saves the same bookings one by one,
// each with statements of its own, into one database and in one
// SaveBookings call into another: the
// bookings, their revisions in feed order, the nights and holds, the
// availability, the feed counts, the tasks and the webhook deliveries
// queued are the same.
func TestSaveBookingsBatchedAsOneByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		one, batched := newBatchHotel(t, cfg), newBatchHotel(t, storetest.Config(t, cfg.Dialect()))
		var saved []*keycard.Booking
		for _, w := range one.writes() {
			b, err := store.SaveBookingAlone(ctx, one.st, one.owner, w)
			if err != nil {
				t.Fatalf("save %s: %v", *w.Change.OTAReservationCode, err)
			}
			saved = append(saved, b)
		}
		out, err := batched.st.SaveBookings(ctx, batched.owner, batched.writes())
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(saved) {
			t.Fatalf("saved %d bookings, want %d", len(out), len(saved))
		}
		for i := range out {
			if out[i].OTAReservationCode != saved[i].OTAReservationCode || out[i].Status != saved[i].Status || out[i].ID == "" ||
				out[i].RevisionID == "" || len(out[i].Rooms) != len(saved[i].Rooms) {
				t.Errorf("booking %d: %+v, one by one %+v", i, out[i], saved[i])
			}
		}
		want, got := one.state(t), batched.state(t)
		if len(want["deliveries"]) == 0 || len(want["holds"]) == 0 || len(want["tasks"]) == 0 {
			t.Fatalf("the bookings queued no deliveries, held nothing or moved no availability: %v", want)
		}
		for _, table := range slices.Sorted(func(yield func(string) bool) {
			for k := range want {
				if !yield(k) {
					return
				}
			}
		}) {
			if !slices.Equal(got[table], want[table]) {
				t.Errorf("%s batched:\n%s\none by one:\n%s", table, strings.Join(got[table], "\n"), strings.Join(want[table], "\n"))
			}
		}
	})
}

// TestSaveBookingsFirstError checks that a batch fails with the error of
// its first failing booking: a reservation code taken already comes
// before a later booking's invalid room, and a code taken twice in the
// batch fails at the second.
func TestSaveBookingsFirstError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		h := newBatchHotel(t, cfg)
		if _, err := h.st.SaveBooking(ctx, h.owner, h.write(h.property, "A", keycard.StatusNew, false, h.room(h.rt, h.a.ID, 0, 1))); err != nil {
			t.Fatal(err)
		}
		badRoom := h.write(h.property, "Z", keycard.StatusNew, false, h.room(h.quietRT, "", 0, 1))
		for _, c := range []struct {
			name  string
			batch []store.BookingWrite
			want  string
		}{
			{"taken, then a bad room", []store.BookingWrite{h.write(h.property, "A", keycard.StatusNew, false, h.room(h.rt, h.a.ID, 0, 1)), badRoom},
				"has already been taken"},
			{"twice in the batch, then a bad room", []store.BookingWrite{
				h.write(h.property, "N", keycard.StatusNew, false, h.room(h.rt, h.a.ID, 0, 1)),
				h.write(h.property, "N", keycard.StatusNew, false, h.room(h.rt, h.a.ID, 1, 2)), badRoom},
				"has already been taken"},
			{"a bad room, then taken", []store.BookingWrite{badRoom, h.write(h.property, "A", keycard.StatusNew, false, h.room(h.rt, h.a.ID, 0, 1))},
				"not a room type of the property"},
		} {
			_, err := h.st.SaveBookings(ctx, h.owner, c.batch)
			if keycard.ErrorCode(err) != keycard.EInvalid || !strings.Contains(fmt.Sprint(err), c.want) {
				t.Errorf("%s: %v, want a validation error %q", c.name, err, c.want)
			}
		}
		if n, err := h.st.FeedBacklog(ctx); err != nil || n != 1 {
			t.Fatalf("feed backlog %d, %v; want the one booking saved alone", n, err)
		}
	})
}
