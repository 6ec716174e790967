package keycard

import (
	"strings"
	"testing"
)

func TestParseEventMask(t *testing.T) {
	rt, rp, other := NewID(), NewID(), NewID()
	tests := []struct {
		mask string
		bad  bool
		// event -> matches
		events map[string]bool
		// ari changes: room type, rate plan, fields -> matches
		ari []struct {
			rt, rp string
			fields []string
			want   bool
		}
	}{
		{mask: "*", events: map[string]bool{EventARI: true, EventBookingNew: true, EventNonAckedBooking: true}},
		{mask: "booking_new;booking_cancellation", events: map[string]bool{EventBookingNew: true, EventBookingCancellation: true, EventBooking: false, EventARI: false}},
		{mask: " booking ; ", events: map[string]bool{EventBooking: true, EventBookingNew: false}},
		{mask: "ari:rate,stop_sell:*:" + rp, events: map[string]bool{EventARI: true, EventBooking: false},
			ari: []struct {
				rt, rp string
				fields []string
				want   bool
			}{
				{rt, rp, []string{"rate"}, true},
				{rt, rp, []string{"max_stay"}, false},
				{rt, other, []string{"rate"}, false},
				{rt, "", []string{"availability"}, false},
			}},
		{mask: "ari:availability:" + rt, events: map[string]bool{EventARI: true},
			ari: []struct {
				rt, rp string
				fields []string
				want   bool
			}{
				{rt, "", []string{"availability"}, true},
				{other, "", []string{"availability"}, false},
			}},
		{mask: "ari", events: map[string]bool{EventARI: true},
			ari: []struct {
				rt, rp string
				fields []string
				want   bool
			}{{other, other, []string{"min_stay_arrival"}, true}}},
		{mask: "", bad: true},
		{mask: ";", bad: true},
		{mask: "bookings", bad: true},
		{mask: "ari:price:*:*", bad: true},
		{mask: "ari:*:not-an-id:*", bad: true},
		{mask: "ari:*:*:*:*", bad: true},
	}
	for _, tc := range tests {
		m, msg := ParseEventMask(tc.mask)
		if (msg != "") != tc.bad {
			t.Errorf("ParseEventMask(%q) message %q, want bad %v", tc.mask, msg, tc.bad)
			continue
		}
		for ev, want := range tc.events {
			if got := m.Matches(ev); got != want {
				t.Errorf("mask %q matches %s = %v, want %v", tc.mask, ev, got, want)
			}
		}
		for _, a := range tc.ari {
			if got := m.MatchesARI(a.rt, a.rp, a.fields); got != a.want {
				t.Errorf("mask %q matches ari %v = %v, want %v", tc.mask, a.fields, got, a.want)
			}
		}
	}
}

func TestWebhookValidate(t *testing.T) {
	ok := Webhook{CallbackURL: "https://example.com/hook", EventMask: "*"}
	tests := []struct {
		name  string
		edit  func(w *Webhook)
		field string
	}{
		{"valid", func(w *Webhook) {}, ""},
		{"no url", func(w *Webhook) { w.CallbackURL = "" }, "callback_url"},
		{"ftp", func(w *Webhook) { w.CallbackURL = "ftp://example.com/" }, "callback_url"},
		{"no host", func(w *Webhook) { w.CallbackURL = "https:///x" }, "callback_url"},
		{"user info", func(w *Webhook) { w.CallbackURL = "https://u:p@example.com/" }, "callback_url"},
		{"bad mask", func(w *Webhook) { w.EventMask = "nope" }, "event_mask"},
		{"header with newline", func(w *Webhook) { w.Headers = map[string]string{"X-A": "a\r\nX-B: b"} }, "headers"},
		{"bad header name", func(w *Webhook) { w.Headers = map[string]string{"X A": "a"} }, "headers"},
		{"reserved header", func(w *Webhook) { w.Headers = map[string]string{"content-type": "text/plain"} }, "headers"},
		{"signature header", func(w *Webhook) { w.Headers = map[string]string{"x-keycard-signature": "t=1,v1=00"} }, "headers"},
	}
	for _, tc := range tests {
		w := ok
		tc.edit(&w)
		err := w.Validate(nil)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e, _ := err.(*Error)
		if e == nil || !e.Details.(FieldErrors).Has(tc.field) {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

func TestRevisionNoticeEvents(t *testing.T) {
	got := RevisionNotice{Status: StatusModified, UnmappedRate: true}.Events()
	want := []string{EventBooking, EventBookingModification, EventBookingUnmappedRate}
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("events = %v, want %v", got, want)
		}
	}
}

// TestUnmappedBookingEvents checks which unmapped event a booking fires: a
// room whose codes map to nothing fires booking_unmapped_room only (not
// also the rate event, though it has no rate plan either), a room whose
// rate alone fails fires booking_unmapped_rate only.
func TestUnmappedBookingEvents(t *testing.T) {
	mapped := BookingRoom{RoomTypeID: "rt", RatePlanID: "rp"}
	noRoom := BookingRoom{}
	noRate := BookingRoom{RoomTypeID: "rt"}
	for _, tc := range []struct {
		name  string
		rooms []BookingRoom
		want  []string
	}{
		{"mapped", []BookingRoom{mapped}, nil},
		{"room unmapped", []BookingRoom{noRoom}, []string{EventBookingUnmappedRoom}},
		{"rate only unmapped", []BookingRoom{noRate}, []string{EventBookingUnmappedRate}},
		{"room unmapped beside a mapped room", []BookingRoom{mapped, noRoom}, []string{EventBookingUnmappedRoom}},
		{"one room unmapped, another's rate", []BookingRoom{noRoom, noRate}, []string{EventBookingUnmappedRoom, EventBookingUnmappedRate}},
	} {
		b := &Booking{Rooms: tc.rooms}
		room, rate := b.Unmapped()
		got := RevisionNotice{Status: StatusNew, UnmappedRoom: room, UnmappedRate: rate}.Events()
		want := append([]string{EventBooking, EventBookingNew}, tc.want...)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: events = %v, want %v", tc.name, got, want)
		}
	}
}
