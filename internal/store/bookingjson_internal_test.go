package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// sampleBooking returns a booking with every member set from s and n,
// or, with bare, only the required ones (nil slices, nil pointers).
func sampleBooking(s string, n int64, bare bool) *keycard.Booking {
	b := &keycard.Booking{OTAReservationCode: s, OTAName: "Booking.com", UniqueID: "BDC-" + s, ArrivalDate: keycard.Date(n % 30000),
		DepartureDate: keycard.Date(n%30000 + 2), Currency: "EUR", Amount: n, Occupancy: keycard.Occupancy{Adults: 2}}
	if bare {
		return b
	}
	commission := -n
	b.ArrivalHour, b.PaymentCollect, b.PaymentType, b.Notes, b.OTACommission = "14:00", "ota", "credit_card", s+"\n\t\"<&>\"", &commission
	b.Occupancy = keycard.Occupancy{Adults: 2, Children: 1, Infants: 1, Ages: []int{3, 0}}
	b.Customer = &keycard.Customer{Name: s, Surname: "Ünïcødé 東京", Mail: s + "@x.test", Phone: "+351", Address: s, City: s, Zip: s,
		Country: "PT", Language: "pt", Company: &keycard.Company{Title: s, Number: "1", NumberType: "vat", Type: "x"},
		Meta: json.RawMessage(` { "k" : [1, 2.50, "` + "\\u00e9" + `", null, {"a": true}] } `)}
	b.Meta = rawMeta(s)
	b.Guarantee = &keycard.Guarantee{CardNumber: "4111111111111111", CardType: "VI", CardholderName: s, ExpirationDate: "12/30",
		IsVirtual: n%2 == 0, Meta: json.RawMessage(`{"token":"` + "t<k>" + `"}`)}
	b.Rooms = []keycard.BookingRoom{{BookingRoomID: "r1", RoomTypeID: "rt", RatePlanID: "rp", CheckinDate: b.ArrivalDate, CheckoutDate: b.DepartureDate,
		Amount: n, Days: []keycard.DayAmount{{Date: b.ArrivalDate, Amount: n / 2}, {Date: b.ArrivalDate + 1, Amount: n - n/2}},
		Occupancy: keycard.Occupancy{Adults: 1}, Guests: []keycard.Guest{{Name: s, Surname: s}}, Services: []keycard.BookingService{}, Taxes: []keycard.BookingTax{{IsInclusive: true, Name: s, TotalPrice: n, Type: "vat"}},
		Meta: json.RawMessage(`[]`), OTAUniqueID: s}, {BookingRoomID: "r2"}}
	b.Services = []keycard.BookingService{{Name: s, Type: "breakfast", Nights: 2, Persons: 2, PriceMode: "per_person", PricePerUnit: 1, TotalPrice: n}}
	b.Deposits = []keycard.Deposit{{Amount: n, Currency: "USD", Type: "card"}}
	return b
}

// rawMeta returns a client's meta as encoding/json accepts it: s's bytes
// as they are in a string (invalid UTF-8 included, but no quote, backslash
// or control byte, which would end or break it), <, > and & included, and
// one name twice.
func rawMeta(s string) json.RawMessage {
	kept := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c != '"' && c != '\\' {
			kept = append(kept, c)
		}
	}
	return json.RawMessage(`{"source":"` + string(kept) + `<&>","source":{"again":[true]}}`)
}

// checkDecodeBooking stores b as the store does (encoding/json's Marshal)
// and reads it back with decodeBooking and with encoding/json into a
// booking whose row fields are already set, as the scans do: the two must
// be deeply equal.
func checkDecodeBooking(t *testing.T, b *keycard.Booking) {
	t.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	row := keycard.Booking{ID: "id", PropertyID: "p", RevisionID: "rev", Status: "new", SystemID: "sys", Acked: true,
		InsertedAt: time.Unix(1, 0)}
	want, got := row, row
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := decodeBooking(string(data), &got); err != nil {
		t.Fatalf("decodeBooking: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeBooking differs from encoding/json on\n%s\n got %+v\nwant %+v", data, got, want)
	}
}

// TestDecodeBookingMatchesEncodingJSON checks decodeBooking against
// encoding/json on a bare booking and full ones with every kind of string.
func TestDecodeBookingMatchesEncodingJSON(t *testing.T) {
	checkDecodeBooking(t, sampleBooking("X", 100, true))
	for i, s := range []string{"", "plain", `q"u\o`, "\x00\x1f\u2028", "bad \xff utf-8", "Ação 🏨"} {
		checkDecodeBooking(t, sampleBooking(s, int64(i)*123456789-7, false))
	}
}

// FuzzDecodeBooking checks decodeBooking against encoding/json for any
// string and amount in a full booking.
func FuzzDecodeBooking(f *testing.F) {
	f.Add("x", int64(1), false)
	f.Add("\xc3(", int64(-1<<62), true)
	f.Fuzz(func(t *testing.T, s string, n int64, bare bool) {
		checkDecodeBooking(t, sampleBooking(s, n, bare))
	})
}
