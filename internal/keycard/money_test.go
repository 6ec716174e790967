package keycard

import (
	"encoding/json"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		raw, currency string
		want          int64
		msg           string
	}{
		{`20000`, "EUR", 20000, ""},
		{`"200.00"`, "EUR", 20000, ""},
		{`"200"`, "EUR", 20000, ""},
		{`"200.5"`, "EUR", 20050, ""},
		{`"312.66"`, "EUR", 31266, ""},
		{`"100.000"`, "EUR", 10000, ""},
		{`"100"`, "JPY", 100, ""},
		{`100`, "JPY", 100, ""},
		{`"1.234"`, "KWD", 1234, ""},
		{`"-2"`, "EUR", -200, ""},
		{`1e3`, "EUR", 1000, ""},
		{`"1.234"`, "EUR", 0, "has too many decimal places"},
		{`"1.5"`, "JPY", 0, "has too many decimal places"},
		{`12.5`, "EUR", 0, "is invalid"},
		{`"12,50"`, "EUR", 0, "is invalid"},
		{`".5"`, "EUR", 0, "is invalid"},
		{`"5."`, "EUR", 0, "is invalid"},
		{`""`, "EUR", 0, "is invalid"},
		{`true`, "EUR", 0, "is invalid"},
		{`null`, "EUR", 0, "Should be a non null value or not existed field"},
		{`"99999999999999999999"`, "EUR", 0, "is too large"},
		{`1e30`, "EUR", 0, "is invalid"},
	}
	for _, tt := range tests {
		got, msg := ParseMoney(json.RawMessage(tt.raw), tt.currency)
		if got != tt.want || msg != tt.msg {
			t.Errorf("ParseMoney(%s, %s) = %d, %q; want %d, %q", tt.raw, tt.currency, got, msg, tt.want, tt.msg)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{10000, "EUR", "100.00"},
		{0, "EUR", "0.00"},
		{5, "EUR", "0.05"},
		{-250, "EUR", "-2.50"},
		{100, "JPY", "100"},
		{1234, "KWD", "1.234"},
		{24100, "USD", "241.00"},
		{-5, "EUR", "-0.05"},
		{7, "CLF", "0.0007"},
		{1, "KWD", "0.001"},
		{-3, "JPY", "-3"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
		if got := string(AppendMoney([]byte(`"`), tt.minor, tt.currency)); got != `"`+tt.want {
			t.Errorf("AppendMoney after a quote: %q, want %q", got, `"`+tt.want)
		}
	}
}

func FuzzMoneyRoundTrip(f *testing.F) {
	f.Add(int64(12345), "EUR")
	f.Add(int64(-7), "JPY")
	f.Add(int64(1), "KWD")
	f.Fuzz(func(t *testing.T, minor int64, currency string) {
		if minor > maxMinorUnits || minor < -maxMinorUnits {
			return
		}
		s := FormatMoney(minor, currency)
		raw, _ := json.Marshal(s)
		got, msg := ParseMoney(raw, currency)
		if msg != "" || got != minor {
			t.Fatalf("%d %s -> %q -> %d %q", minor, currency, s, got, msg)
		}
	})
}

func TestValidID(t *testing.T) {
	for _, ok := range []string{NewID(), "00000000-0000-4000-8000-000000000000", "ABCDEF00-0000-4000-8000-000000000000"} {
		if !ValidID(ok) {
			t.Errorf("ValidID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "x", "00000000-0000-4000-8000-00000000000", "00000000_0000-4000-8000-000000000000", "g0000000-0000-4000-8000-000000000000"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
