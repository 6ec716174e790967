package api

import (
	"encoding/json"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
)

// daysReference is how a room's days were written before appendDays: a
// map of date to money, encoded by encoding/json.
func daysReference(t testing.TB, days []keycard.DayAmount, currency string) string {
	m := make(map[string]string, len(days))
	for _, d := range days {
		m[d.Date.String()] = keycard.FormatMoney(d.Amount, currency)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkDays(t *testing.T, days []keycard.DayAmount, currency string) {
	t.Helper()
	want := daysReference(t, days, currency)
	if got := string(appendDays(nil, days, currency)); got != want {
		t.Fatalf("appendDays(%v, %q)\n got %s\nwant %s", days, currency, got, want)
	}
	// Appended to bytes already there, it leaves them alone.
	if got := string(appendDays([]byte("x"), days, currency)); got != "x"+want {
		t.Fatalf("appendDays after x: got %s", got)
	}
}

func TestAppendDays(t *testing.T) {
	t.Parallel()
	d := keycard.Date(20600) // 2026-05-26
	for _, c := range []struct {
		name     string
		days     []keycard.DayAmount
		currency string
	}{
		{"none", nil, "EUR"},
		{"one", []keycard.DayAmount{{Date: d, Amount: 9000}}, "EUR"},
		{"out of order", []keycard.DayAmount{{Date: d + 2, Amount: 1}, {Date: d, Amount: -250}, {Date: d + 1, Amount: 0}}, "USD"},
		{"a date twice: the last wins", []keycard.DayAmount{{Date: d, Amount: 1}, {Date: d + 1, Amount: 2}, {Date: d, Amount: 3}}, "EUR"},
		{"no minor unit", []keycard.DayAmount{{Date: d, Amount: 12345}}, "JPY"},
		{"three decimals", []keycard.DayAmount{{Date: d, Amount: 12345}}, "KWD"},
		{"more than fit on the stack", func() []keycard.DayAmount {
			var out []keycard.DayAmount
			for i := 20; i > 0; i-- {
				out = append(out, keycard.DayAmount{Date: d + keycard.Date(i%13), Amount: int64(i * 1000)})
			}
			return out
		}(), "EUR"},
		{"years past 9999 and before 0", []keycard.DayAmount{{Date: 3000000, Amount: 1}, {Date: -800000, Amount: 2}, {Date: d, Amount: 3}}, "EUR"},
	} {
		t.Run(c.name, func(t *testing.T) { checkDays(t, c.days, c.currency) })
	}
}

func FuzzAppendDays(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1}, int64(10000), "EUR")
	f.Add([]byte{200, 0, 7}, int64(-5), "JPY")
	f.Fuzz(func(t *testing.T, offsets []byte, amount int64, currency string) {
		var days []keycard.DayAmount
		for i, o := range offsets {
			// Dates spread far apart by the high bit, near each other
			// (and repeated) by the others.
			date := keycard.Date(20000 + int(o&0x7f))
			if o&0x80 != 0 {
				date = keycard.Date(int(o)*40000 - 5000000)
			}
			days = append(days, keycard.DayAmount{Date: date, Amount: amount + int64(i)*7})
		}
		checkDays(t, days, currency)
	})
}
