package keycard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRatePlanApply(t *testing.T) {
	const (
		property = "9b1c3e2a-0000-4000-8000-0000000000a0"
		parent   = "9b1c3e2a-0000-4000-8000-000000000002"
		taxSet   = "9b1c3e2a-0000-4000-8000-0000000000c1"
	)
	manual := func() *RatePlan {
		rp := NewRatePlan()
		rp.ID, rp.PropertyID, rp.RoomTypeID, rp.Title, rp.Currency = "9b1c3e2a-0000-4000-8000-000000000001", property,
			"9b1c3e2a-0000-4000-8000-0000000000b1", "Standard", "EUR"
		rp.Options = []RateOption{{ID: "9b1c3e2a-0000-4000-8000-000000000001", Occupancy: 2, IsPrimary: true, Rate: 10000}}
		return rp
	}
	derived := func() *RatePlan {
		rp := manual()
		rp.ParentRatePlanID, rp.RateMode, rp.Inherit = parent, RateDerived, InheritAll
		return rp
	}
	option := func(occupancy int, rate string) RateOptionChange {
		return RateOptionChange{Occupancy: &occupancy, Rate: json.RawMessage(rate)}
	}
	for _, tc := range []struct {
		name       string
		before     func() *RatePlan // nil: manual
		change     RatePlanChange
		decodeErrs FieldErrors
		want       FieldErrors // nil: none
		check      func(t *testing.T, rp *RatePlan)
	}{
		{name: "text is trimmed, the currency upper case",
			change: RatePlanChange{Title: str(" Flexible "), SellMode: str(" per_person"), Currency: str(" gbp ")},
			check: func(t *testing.T, rp *RatePlan) {
				if got := []string{rp.Title, rp.SellMode, rp.Currency}; !reflect.DeepEqual(got, []string{"Flexible", "per_person", "GBP"}) {
					t.Errorf("got %q, want Flexible, per_person, GBP", got)
				}
			}},
		{name: "money is read in the currency the change sets",
			change: RatePlanChange{Currency: str("JPY"), ChildrenFee: json.RawMessage(`"5"`), OptionsSent: true,
				Options: []RateOptionChange{option(2, `"1000"`)}},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.ChildrenFee != 5 || len(rp.Options) != 1 || rp.Options[0].Rate != 1000 {
					t.Errorf("got children_fee %d, options %+v; want 5 and one option at 1000 yen", rp.ChildrenFee, rp.Options)
				}
			}},
		{name: "money in the plan's currency", change: RatePlanChange{InfantFee: json.RawMessage(`"2.50"`)},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.InfantFee != 250 {
					t.Errorf("got infant_fee %d, want 250 cents", rp.InfantFee)
				}
			}},
		{name: "a fee of null is 0",
			before: func() *RatePlan { rp := manual(); rp.ChildrenFee = 500; return rp },
			change: RatePlanChange{ChildrenFee: json.RawMessage(`null`)},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.ChildrenFee != 0 {
					t.Errorf("got children_fee %d, want 0", rp.ChildrenFee)
				}
			}},
		{name: "bad money", change: RatePlanChange{ChildrenFee: json.RawMessage(`"1.234"`)},
			want: FieldErrors{"children_fee": {"has too many decimal places"}}},
		{name: "ids are lower case and must be ids",
			change: RatePlanChange{RoomTypeID: str("room-1"), TaxSetID: str(" " + strings.ToUpper(taxSet))},
			want:   FieldErrors{"room_type_id": {"is not a valid id"}},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.TaxSetID != taxSet {
					t.Errorf("got tax_set_id %q, want %q", rp.TaxSetID, taxSet)
				}
			}},
		{name: "an id that failed to decode is not judged again", change: RatePlanChange{ParentRatePlanID: str("")},
			decodeErrs: FieldErrors{"parent_rate_plan_id": {"must be a string"}},
			want:       FieldErrors{"parent_rate_plan_id": {"must be a string"}}},
		{name: "the property can't change", change: RatePlanChange{PropertyID: str(parent)},
			want: FieldErrors{"property_id": {"can't be changed"}}},
		{name: "weekday defaults are replaced",
			change: RatePlanChange{MinStayArrival: &[7]int{1, 1, 1, 1, 1, 2, 1}, StopSell: &[7]bool{6: true}},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.MinStayArrival != [7]int{1, 1, 1, 1, 1, 2, 1} || rp.StopSell != [7]bool{6: true} || rp.MinStayThrough != [7]int{1, 1, 1, 1, 1, 1, 1} {
					t.Errorf("got min_stay_arrival %v, stop_sell %v, min_stay_through %v", rp.MinStayArrival, rp.StopSell, rp.MinStayThrough)
				}
			}},
		{name: "a plan that gains a parent inherits what it does not refuse, and is derived",
			change: RatePlanChange{ParentRatePlanID: str(strings.ToUpper(parent)), InheritSent: FieldStopSell | FieldRate, Inherit: FieldRate},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.ParentRatePlanID != parent || rp.Inherit != InheritAll&^FieldStopSell || rp.RateMode != RateDerived {
					t.Errorf("got parent %q, inherit %b, %s; want %s, %b, derived", rp.ParentRatePlanID, rp.Inherit, rp.RateMode,
						parent, InheritAll&^FieldStopSell)
				}
			}},
		{name: "a plan that gains a parent keeps the rate mode sent",
			change: RatePlanChange{ParentRatePlanID: str(parent), RateMode: str(RateManual)},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.RateMode != RateManual {
					t.Errorf("got rate mode %s, want manual", rp.RateMode)
				}
			}},
		{name: "a rate mode that failed to decode was sent",
			change: RatePlanChange{ParentRatePlanID: str(parent)}, decodeErrs: FieldErrors{"rate_mode": {"must be a string"}},
			want: FieldErrors{"rate_mode": {"must be a string"}},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.RateMode != RateManual {
					t.Errorf("got rate mode %s, want manual", rp.RateMode)
				}
			}},
		{name: "a plan that loses its parent inherits only what it is told to, and is manual", before: derived,
			change: RatePlanChange{ParentRatePlanID: str(""), InheritSent: FieldRate | FieldStopSell, Inherit: FieldRate},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.ParentRatePlanID != "" || rp.Inherit != FieldRate || rp.RateMode != RateManual {
					t.Errorf("got parent %q, inherit %b, %s; want none, %b, manual", rp.ParentRatePlanID, rp.Inherit, rp.RateMode, FieldRate)
				}
			}},
		{name: "a derived plan sets its flags", before: derived,
			change: RatePlanChange{InheritSent: FieldRate | FieldMaxStay, Inherit: FieldMaxStay},
			check: func(t *testing.T, rp *RatePlan) {
				if rp.Inherit != InheritAll&^FieldRate || rp.RateMode != RateDerived {
					t.Errorf("got inherit %b, %s; want %b, derived", rp.Inherit, rp.RateMode, InheritAll&^FieldRate)
				}
			}},
		{name: "the only option is primary, and keeps its derived rules", before: derived,
			change: RatePlanChange{OptionsSent: true, Options: []RateOptionChange{{Occupancy: new(2),
				DerivedOption: json.RawMessage(`{"rate": [["decrease_by_percent", "10.00"]]}`)}}},
			check: func(t *testing.T, rp *RatePlan) {
				want := []RateOption{{Occupancy: 2, IsPrimary: true, Derived: DerivedOption{"rate": {{Op: DecreaseByPercent, Value: 1000}}}}}
				if !reflect.DeepEqual(rp.Options, want) {
					t.Errorf("got options %+v, want %+v", rp.Options, want)
				}
			}},
		{name: "of several options, those not said primary are not",
			change: RatePlanChange{OptionsSent: true, Options: []RateOptionChange{option(2, `9000`), option(1, `8000`)}},
			check: func(t *testing.T, rp *RatePlan) {
				if len(rp.Options) != 2 || rp.Options[0].IsPrimary || rp.Options[1].IsPrimary {
					t.Errorf("got options %+v, want two, neither primary", rp.Options)
				}
			}},
		{name: "option messages: the derived option's, then the members' by name, option by option",
			change: RatePlanChange{OptionsSent: true, Options: []RateOptionChange{
				{Rate: json.RawMessage(`"x"`), DerivedOption: json.RawMessage(`{"colour": []}`),
					DecodeErrs: FieldErrors{"is_primary": {"must be true or false"}}},
				{Occupancy: new(1), Rate: json.RawMessage(`"1.001"`)},
				{DecodeErrs: FieldErrors{"occupancy": {"must be a whole number"}}},
			}},
			want: FieldErrors{"options": {"derived_option: colour can't be derived", "is_primary must be true or false",
				"occupancy can't be blank", "rate is invalid", "rate has too many decimal places", "occupancy must be a whole number"}}},
		{name: "options that failed to decode are none", change: RatePlanChange{OptionsSent: true},
			decodeErrs: FieldErrors{"options": {"must be a list of occupancy options ({occupancy, is_primary, rate})"}},
			want:       FieldErrors{"options": {"must be a list of occupancy options ({occupancy, is_primary, rate})"}},
			check: func(t *testing.T, rp *RatePlan) {
				if len(rp.Options) != 0 {
					t.Errorf("got options %+v, want none", rp.Options)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := manual
			if tc.before != nil {
				before = tc.before
			}
			rp := before()
			got := rp.Apply(&tc.change, tc.decodeErrs.Clone())
			if tc.want == nil {
				tc.want = FieldErrors{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got errors %v, want %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, rp)
			}
		})
	}
}

// TestRatePlanApplyThenCheck checks that a change Apply accepts is judged
// as a whole by Check, which skips what Apply already refused.
func TestRatePlanApplyThenCheck(t *testing.T) {
	rp := NewRatePlan()
	rp.ID, rp.Currency = NewID(), "EUR"
	errs := rp.Apply(&RatePlanChange{Title: str(" "), ChildrenFee: json.RawMessage(`"-1.00"`), InfantFee: json.RawMessage(`"x"`),
		OptionsSent: true, Options: []RateOptionChange{{Occupancy: new(2)}}}, nil)
	got := rp.Check(errs)
	want := FieldErrors{"title": {MsgBlank}, "children_fee": {"must be greater than or equal to 0"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (infant_fee was refused by Apply: %v)", got, want, errs)
	}
}
