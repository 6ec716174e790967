package keycard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func str(s string) *string { return &s }

// validChange is a booking of two nights, 2026-03-01 and 02, in one room.
func validChange() *BookingChange {
	return &BookingChange{
		OTAReservationCode: str("R-1"), ArrivalDate: str("2026-03-01"), DepartureDate: str("2026-03-03"),
		RoomsSent: true, Rooms: []RoomChange{{N: 1, RoomTypeID: str("0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a10"),
			Days:      map[string]json.RawMessage{"2026-03-01": json.RawMessage(`10000`), "2026-03-02": json.RawMessage(`"100.00"`)},
			Occupancy: &Occupancy{Adults: 2, Children: 1}}},
	}
}

func TestBookingApply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *BookingChange)
		before *Booking // nil: a new booking in EUR
		want   map[string]string
		check  func(t *testing.T, b *Booking)
	}{
		{name: "valid: defaults and sums", check: func(t *testing.T, b *Booking) {
			if b.OTAName != "Offline" || b.Amount != 20000 || b.Occupancy.Adults != 2 || b.Occupancy.Children != 1 {
				t.Errorf("got ota %q, amount %d, occupancy %+v; want Offline, 20000, 2 adults 1 child", b.OTAName, b.Amount, b.Occupancy)
			}
			r := b.Rooms[0]
			if r.CheckinDate.String() != "2026-03-01" || r.CheckoutDate.String() != "2026-03-03" || len(r.Days) != 2 || r.Days[0].Date > r.Days[1].Date {
				t.Errorf("room = %+v, want the booking's dates and its nights in order", r)
			}
		}},
		{name: "nothing", change: func(c *BookingChange) { *c = BookingChange{} },
			want: map[string]string{"ota_reservation_code": MsgBlank, "arrival_date": MsgBlank, "departure_date": MsgBlank, "rooms": MsgBlank}},
		{name: "push names the code reservation_id", change: func(c *BookingChange) { c.OTAReservationCode, c.ReservationID = nil, str("P-9") },
			check: func(t *testing.T, b *Booking) {
				if b.OTAReservationCode != "P-9" {
					t.Errorf("code = %q, want P-9", b.OTAReservationCode)
				}
			}},
		{name: "departure before arrival", change: func(c *BookingChange) { c.DepartureDate = str("2026-02-27") },
			want: map[string]string{"departure_date": "must be after arrival_date"}},
		{name: "too long a stay", change: func(c *BookingChange) { c.DepartureDate = str("2028-03-03") },
			want: map[string]string{"departure_date": "must be at most 730 nights"}},
		{name: "bad date", change: func(c *BookingChange) { c.ArrivalDate = str("2026-02-30") }, want: map[string]string{"arrival_date": MsgDate}},
		{name: "unknown currency", change: func(c *BookingChange) { c.Currency = str("EURO") }, want: map[string]string{"currency": "ISO 4217"}},
		{name: "arrival hour", change: func(c *BookingChange) { c.ArrivalHour = str("25:00") }, want: map[string]string{"arrival_hour": "HH:MM"}},
		{name: "payment enums", change: func(c *BookingChange) { c.PaymentCollect, c.PaymentType = str("cash"), str("cash") },
			want: map[string]string{"payment_collect": "(property, ota)", "payment_type": "(credit_card, bank_transfer)"}},
		{name: "too long a code", change: func(c *BookingChange) { c.OTAReservationCode = str(strings.Repeat("x", 256)) },
			want: map[string]string{"ota_reservation_code": "too long"}},
		{name: "negative commission", change: func(c *BookingChange) { c.OTACommission = json.RawMessage(`-1`) },
			want: map[string]string{"ota_commission": "greater than or equal to 0"}},
		{name: "amount sent wins", change: func(c *BookingChange) { c.Amount = json.RawMessage(`"5.00"`) }, check: func(t *testing.T, b *Booking) {
			if b.Amount != 500 {
				t.Errorf("amount = %d, want 500", b.Amount)
			}
		}},
		{name: "a night outside the stay", change: func(c *BookingChange) { c.Rooms[0].Days["2026-03-03"] = json.RawMessage(`1`) },
			want: map[string]string{"rooms": "room 1: days must be nights of the stay (2026-03-03 is not)"}},
		{name: "a room outside the stay", change: func(c *BookingChange) { c.Rooms[0].CheckoutDate = str("2026-03-05") },
			want: map[string]string{"rooms": "room 1: the stay must be within"}},
		{name: "a room id that is not one", change: func(c *BookingChange) { c.Rooms[0].RatePlanID = str("plan-7") },
			want: map[string]string{"rooms": "room 1: rate_plan_id must be an id or null"}},
		{name: "occupancy out of bounds", change: func(c *BookingChange) { c.Rooms[0].Occupancy = &Occupancy{Adults: -1} },
			want: map[string]string{"rooms": "room 1: occupancy counts must be between 0 and 1000"}},
		{name: "tax type", change: func(c *BookingChange) { c.Rooms[0].Taxes = []RoomTaxChange{{Type: "vat"}} },
			want: map[string]string{"rooms": "tax type must be fee, tax or city_tax"}},
		{name: "too many rooms", change: func(c *BookingChange) { c.Rooms = make([]RoomChange, MaxBookingRooms+1) },
			want: map[string]string{"rooms": "at most 100 rooms"}},
		{name: "full card number", change: func(c *BookingChange) {
			c.GuaranteeSent, c.Guarantee = true, &GuaranteeChange{CardNumber: "4111111111111111"}
		}, want: map[string]string{"guarantee": "must be masked"}},
		{name: "services count and sum", change: func(c *BookingChange) {
			c.ServicesSent = true
			c.Services = []ServiceChange{{Name: "Breakfast", Nights: 2, Persons: 2, TotalPrice: json.RawMessage(`"20.00"`)}}
		}, check: func(t *testing.T, b *Booking) {
			if b.Amount != 22000 {
				t.Errorf("amount = %d, want rooms 20000 + services 2000", b.Amount)
			}
		}},
		{name: "negative service", change: func(c *BookingChange) {
			c.ServicesSent, c.Services = true, []ServiceChange{{Nights: -1}}
		}, want: map[string]string{"services": "must not be negative"}},
		{name: "a change keeps what it does not send", before: &Booking{OTAReservationCode: "OLD", Currency: "JPY", OTAName: "Expedia",
			ArrivalDate: 10, DepartureDate: 12, Amount: 700, Rooms: []BookingRoom{{CheckinDate: 10, CheckoutDate: 12}}},
			change: func(c *BookingChange) { *c = BookingChange{Notes: str("late")} }, check: func(t *testing.T, b *Booking) {
				if b.OTAReservationCode != "OLD" || b.OTAName != "Expedia" || b.Amount != 700 || b.Notes != "late" {
					t.Errorf("changed booking = %+v", b)
				}
			}},
		{name: "decimal money in a currency without minor units", before: &Booking{Currency: "JPY"},
			change: func(c *BookingChange) {
				c.Rooms[0].Days = map[string]json.RawMessage{"2026-03-01": json.RawMessage(`"1000"`)}
			},
			check: func(t *testing.T, b *Booking) {
				if b.Amount != 1000 {
					t.Errorf("amount = %d, want 1000 yen", b.Amount)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validChange()
			if tc.change != nil {
				tc.change(c)
			}
			b := tc.before
			if b == nil {
				b = &Booking{Currency: "EUR"}
			}
			errs := b.Apply(c, nil)
			for field, want := range tc.want {
				if !slices.ContainsFunc(errs[field], func(m string) bool { return strings.Contains(m, want) }) {
					t.Errorf("errors on %s = %q, want one containing %q (all: %v)", field, errs[field], want, errs)
				}
			}
			if len(tc.want) == 0 && len(errs) > 0 {
				t.Errorf("errors = %v, want none", errs)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

// TestBookingApplySkipsDecodeErrors checks that a field that failed to
// decode is not judged again: its one message stands.
func TestBookingApplySkipsDecodeErrors(t *testing.T) {
	c := validChange()
	c.OTAReservationCode = nil
	errs := (&Booking{Currency: "EUR"}).Apply(c, FieldErrors{"ota_reservation_code": {"must be a string"}})
	if got := errs["ota_reservation_code"]; !slices.Equal(got, []string{"must be a string"}) {
		t.Errorf("errors on ota_reservation_code = %q, want only the decode error", got)
	}
}

func TestBookingStatus(t *testing.T) {
	for _, tc := range []struct {
		sent        *string
		write, want string
		msg         bool
	}{
		{nil, StatusNew, StatusNew, false},
		{str(StatusCancelled), StatusModified, StatusCancelled, false},
		{str(StatusNew), StatusModified, StatusModified, true},
		{str("lost"), StatusNew, StatusNew, true},
	} {
		got, msg := BookingStatus(tc.sent, tc.write)
		if got != tc.want || (msg != "") != tc.msg {
			t.Errorf("BookingStatus(%v, %s) = %s, %q; want %s, message %v", tc.sent, tc.write, got, msg, tc.want, tc.msg)
		}
	}
}
