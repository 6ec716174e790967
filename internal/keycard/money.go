package keycard

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// ValidCurrency reports whether code is an active ISO 4217 currency code.
func ValidCurrency(code string) bool {
	_, ok := currencyExponents[code]
	return ok
}

// currencyMessage returns the validation message for a required currency
// code, or "".
func currencyMessage(code string) string {
	switch {
	case code == "":
		return "can't be blank"
	case !ValidCurrency(code):
		return "is not a valid ISO 4217 currency code"
	}
	return ""
}

// CurrencyExponent returns the number of decimal digits of currency's minor
// unit (2 for EUR, 0 for JPY, 3 for KWD); 2 for an unknown code.
func CurrencyExponent(currency string) int {
	if e, ok := currencyExponents[currency]; ok {
		return e
	}
	return 2
}

// maxMinorUnits bounds amounts so that arithmetic on them cannot overflow.
const maxMinorUnits = 1e15

// ParseMoney reads an amount written the Channex way: a JSON integer in
// minor units (20000 is 200.00 EUR) or a decimal string ("200.00"). It
// returns the amount in minor units of currency, or a validation message.
func ParseMoney(raw json.RawMessage, currency string) (int64, string) {
	exp := CurrencyExponent(currency)
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, "Should be a non null value or not existed field"
	}
	if s[0] == '"' {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, "is invalid"
		}
		return parseDecimal(strings.TrimSpace(str), exp)
	}
	// A JSON number: minor units, which must be whole.
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > maxMinorUnits {
			return 0, "is invalid"
		}
		n = int64(f)
	}
	if n > maxMinorUnits || n < -maxMinorUnits {
		return 0, "is too large"
	}
	return n, ""
}

// parseDecimal reads "123.45" into minor units with exp decimals; it takes
// fewer decimals than exp but not more.
func parseDecimal(s string, exp int) (int64, string) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, "is invalid"
	}
	if len(frac) > exp {
		// Trailing zeros beyond the exponent are harmless ("100.000" EUR).
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, "has too many decimal places"
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > maxMinorUnits {
		return 0, "is too large"
	}
	if neg {
		n = -n
	}
	return n, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatMoney writes minor units of currency as a decimal string with the
// currency's exponent: 10000 EUR is "100.00", 100 JPY is "100".
func FormatMoney(minor int64, currency string) string {
	var b [24]byte
	return string(AppendMoney(b[:0], minor, currency))
}

// AppendMoney appends minor as FormatMoney writes it to b.
func AppendMoney(b []byte, minor int64, currency string) []byte {
	exp := CurrencyExponent(currency)
	mag := uint64(minor)
	if minor < 0 {
		b = append(b, '-')
		mag = -mag
	}
	var buf [20]byte
	d := strconv.AppendUint(buf[:0], mag, 10)
	switch {
	case exp <= 0:
		return append(b, d...)
	case len(d) <= exp:
		b = append(b, '0', '.')
		for range exp - len(d) {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-exp]...)
	b = append(b, '.')
	return append(b, d[len(d)-exp:]...)
}
