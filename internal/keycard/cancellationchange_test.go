package keycard

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestCancellationPolicyApply(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name   string
		before CancellationPolicy
		isNew  bool
		change CancellationPolicyChange
		want   map[string]string // field -> a message it must carry
		check  func(t *testing.T, cp *CancellationPolicy)
	}{
		{name: "percent guarantee", isNew: true, before: CancellationPolicy{Currency: "EUR"},
			change: CancellationPolicyChange{GuaranteePaymentPolicy: s("percent_based"), GuaranteePaymentAmount: json.RawMessage(`"50"`)},
			check: func(t *testing.T, cp *CancellationPolicy) {
				if cp.GuaranteePaymentAmount != 5000 {
					t.Errorf("amount = %d, want 50 percent", cp.GuaranteePaymentAmount)
				}
			}},
		{name: "an amount its field needs and nobody sent", isNew: true, before: CancellationPolicy{Currency: "EUR"},
			change: CancellationPolicyChange{GuaranteePaymentPolicy: s("fixed_per_booking")},
			want:   map[string]string{"guarantee_payment_amount": MsgBlank}},
		{name: "an amount kept, read again in a new unit that refuses it", before: CancellationPolicy{Currency: "EUR",
			GuaranteePaymentPolicy: "fixed_per_booking", GuaranteePaymentAmount: 10050},
			change: CancellationPolicyChange{GuaranteePaymentPolicy: s("nights_based")},
			want:   map[string]string{"guarantee_payment_amount": ""}},
		{name: "a null deadline type is days", before: CancellationPolicy{CancellationPolicyDeadlineType: "hours"},
			change: CancellationPolicyChange{CancellationPolicyDeadlineType: s(""), DeadlineTypeNull: true},
			check: func(t *testing.T, cp *CancellationPolicy) {
				if cp.CancellationPolicyDeadlineType != "days" {
					t.Errorf("deadline type = %q, want days", cp.CancellationPolicyDeadlineType)
				}
			}},
		{name: "the property can't change", before: CancellationPolicy{PropertyID: "a"},
			change: CancellationPolicyChange{PropertyID: s("b")}, want: map[string]string{"property_id": "can't be changed"}},
		{name: "rate plan ids are trimmed and lower-cased", before: CancellationPolicy{},
			change: CancellationPolicyChange{RatePlanIDs: &[]string{" ABC "}},
			check: func(t *testing.T, cp *CancellationPolicy) {
				if !slices.Equal(cp.RatePlanIDs, []string{"abc"}) {
					t.Errorf("rate plan ids = %q", cp.RatePlanIDs)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := tc.before
			errs := cp.Apply(&tc.change, tc.isNew, nil)
			for field, want := range tc.want {
				if !slices.ContainsFunc(errs[field], func(m string) bool { return strings.Contains(m, want) }) {
					t.Errorf("errors on %s = %q, want one containing %q", field, errs[field], want)
				}
			}
			if len(tc.want) == 0 && len(errs) > 0 {
				t.Errorf("errors = %v, want none", errs)
			}
			if tc.check != nil {
				tc.check(t, &cp)
			}
		})
	}
}
