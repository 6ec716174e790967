package keycard

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCancellationPolicyValidate(t *testing.T) {
	days := func(n int) *int { return &n }
	valid := func() *CancellationPolicy {
		return &CancellationPolicy{Title: "Flexible", Currency: "EUR", GuaranteePaymentPolicy: "none",
			AfterReservationCancellationLogic: "free", CancellationPolicyLogic: "deadline", CancellationPolicyDeadline: days(7),
			CancellationPolicyDeadlineType: "days", CancellationPolicyMode: "percent", CancellationPolicyPenalty: 2500,
			NonShowPolicy: "default"}
	}
	for _, tc := range []struct {
		name   string
		change func(*CancellationPolicy)
		want   map[string]string // field -> start of its message; none for valid
	}{
		{name: "valid", change: func(*CancellationPolicy) {}},
		{name: "free needs no deadline, mode or penalty", change: func(cp *CancellationPolicy) {
			cp.CancellationPolicyLogic, cp.CancellationPolicyDeadline, cp.CancellationPolicyMode, cp.CancellationPolicyPenalty = "free", nil, "", 0
		}},
		{name: "blank enumerations", change: func(cp *CancellationPolicy) {
			cp.Title, cp.GuaranteePaymentPolicy, cp.NonShowPolicy, cp.CancellationPolicyDeadlineType = " ", "", "", ""
		}, want: map[string]string{"title": "can't be blank", "guarantee_payment_policy": "can't be blank",
			"non_show_policy": "can't be blank", "cancellation_policy_deadline_type": "can't be blank"}},
		{name: "values out of the lists", change: func(cp *CancellationPolicy) {
			cp.GuaranteePaymentPolicy, cp.AfterReservationCancellationLogic, cp.CancellationPolicyLogic = "card", "later", "never"
			cp.CancellationPolicyMode, cp.NonShowPolicy, cp.Currency = "weeks", "forgive", "EU"
		}, want: map[string]string{"guarantee_payment_policy": "is not included", "after_reservation_cancellation_logic": "is not included",
			"cancellation_policy_logic": "is not included", "cancellation_policy_mode": "is not included",
			"non_show_policy": "is not included", "currency": "is not a valid"}},
		{name: "a guarantee needs an amount", change: func(cp *CancellationPolicy) { cp.GuaranteePaymentPolicy = "fixed_per_booking" },
			want: map[string]string{"guarantee_payment_amount": "must be greater than 0"}},
		{name: "percent at most 100", change: func(cp *CancellationPolicy) {
			cp.AfterReservationCancellationLogic, cp.AfterReservationCancellationAmount = "percent_based", 100_01
		}, want: map[string]string{"after_reservation_cancellation_amount": "must be at most 100"}},
		{name: "nights at most 365", change: func(cp *CancellationPolicy) {
			cp.CancellationPolicyMode, cp.CancellationPolicyPenalty = "nights", 366
		}, want: map[string]string{"cancellation_policy_penalty": "must be at most 365"}},
		{name: "deadline logic needs deadline and mode", change: func(cp *CancellationPolicy) {
			cp.CancellationPolicyDeadline, cp.CancellationPolicyMode = nil, ""
		}, want: map[string]string{"cancellation_policy_deadline": "can't be blank", "cancellation_policy_mode": "can't be blank"}},
		{name: "non-refundable needs a deadline of at least 1", change: func(cp *CancellationPolicy) {
			cp.CancellationPolicyLogic, cp.CancellationPolicyDeadline = "non_refundable", days(0)
		}, want: map[string]string{"cancellation_policy_deadline": "must be greater than 0"}},
		{name: "deadline in hours up to a year", change: func(cp *CancellationPolicy) {
			cp.CancellationPolicyDeadlineType, cp.CancellationPolicyDeadline = "hours", days(8761)
		}, want: map[string]string{"cancellation_policy_deadline": "must be less than or equal to 8760"}},
		{name: "rate plan ids", change: func(cp *CancellationPolicy) { cp.RatePlanIDs = []string{"nope"} },
			want: map[string]string{"associated_rate_plan_ids": "must be a list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := valid()
			tc.change(cp)
			err := cp.Validate(nil)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			fe := fieldErrorsOf(t, err)
			for field, msg := range tc.want {
				if got := fe[field]; len(got) == 0 || !strings.HasPrefix(got[0], msg) {
					t.Errorf("%s: got %q, want %q…", field, got, msg)
				}
			}
			if len(fe) != len(tc.want) {
				t.Errorf("got errors on %v, want only on %v", fe, tc.want)
			}
		})
	}
}

func TestPolicyAmounts(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		unit     AmountUnit
		currency string
		want     int64
		msg      string
		text     string
	}{
		{raw: `2`, unit: AmountNights, want: 2, text: "2"},
		{raw: `"3"`, unit: AmountNights, want: 3, text: "3"},
		{raw: `"2.00"`, unit: AmountNights, want: 2, text: "2"},
		{raw: `1.5`, unit: AmountNights, msg: "must be a whole number of nights"},
		{raw: `"two"`, unit: AmountNights, msg: "is invalid"},
		{raw: `50`, unit: AmountPercent, want: 5000, text: "50.00"},
		{raw: `"12.5"`, unit: AmountPercent, want: 1250, text: "12.50"},
		{raw: `2500`, unit: AmountMoney, currency: "EUR", want: 2500, text: "25.00"},
		{raw: `"25"`, unit: AmountMoney, currency: "EUR", want: 2500, text: "25.00"},
		{raw: `"1000"`, unit: AmountMoney, currency: "JPY", want: 1000, text: "1000"},
		{raw: `"10.5"`, unit: AmountMoney, currency: "JPY", msg: "has too many decimal places"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, msg := ParsePolicyAmount(json.RawMessage(tc.raw), tc.unit, tc.currency)
			if msg != tc.msg || (msg == "" && got != tc.want) {
				t.Fatalf("ParsePolicyAmount(%s) = %d, %q; want %d, %q", tc.raw, got, msg, tc.want, tc.msg)
			}
			if msg == "" {
				if text := FormatPolicyAmount(got, tc.unit, tc.currency); text != tc.text {
					t.Errorf("FormatPolicyAmount(%d) = %q, want %q", got, text, tc.text)
				}
			}
		})
	}
}

// fieldErrorsOf returns the field errors of a validation Error, failing
// the test on anything else.
func fieldErrorsOf(t *testing.T, err error) FieldErrors {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.Code != EInvalid {
		t.Fatalf("got %v, want a validation error", err)
	}
	fe, ok := e.Details.(FieldErrors)
	if !ok {
		t.Fatalf("got details %v, want field errors", e.Details)
	}
	return fe
}
