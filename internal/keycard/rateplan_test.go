package keycard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRatePlanValidate(t *testing.T) {
	valid := func() *RatePlan {
		rp := NewRatePlan()
		rp.ID, rp.Title, rp.Currency = "9b1c3e2a-0000-4000-8000-000000000001", "Standard", "EUR"
		rp.Options = []RateOption{{Occupancy: 2, IsPrimary: true, Rate: 10000}}
		return rp
	}
	derived := func(rp *RatePlan) {
		rp.ParentRatePlanID, rp.RateMode, rp.Inherit = "9b1c3e2a-0000-4000-8000-000000000002", RateDerived, InheritAll
	}
	for _, tc := range []struct {
		name   string
		change func(*RatePlan)
		field  string // "" for valid
	}{
		{"valid", func(*RatePlan) {}, ""},
		{"per person", func(rp *RatePlan) {
			rp.SellMode = SellPerPerson
			rp.Options = append(rp.Options, RateOption{Occupancy: 1})
		}, ""},
		{"derived with rules", func(rp *RatePlan) {
			derived(rp)
			rp.Options[0].Derived = DerivedOption{"rate": {{Op: IncreaseByPercent, Value: 500}}}
		}, ""},
		{"meal", func(rp *RatePlan) { rp.MealType = "half_board" }, ""},
		{"no title", func(rp *RatePlan) { rp.Title = "" }, "title"},
		{"bad currency", func(rp *RatePlan) { rp.Currency = "EURO" }, "currency"},
		{"bad sell mode", func(rp *RatePlan) { rp.SellMode = "per_bed" }, "sell_mode"},
		{"auto", func(rp *RatePlan) { rp.RateMode = RateAuto }, "rate_mode"},
		{"cascade", func(rp *RatePlan) { rp.RateMode = RateCascade }, "rate_mode"},
		{"bad meal", func(rp *RatePlan) { rp.MealType = "brunch" }, "meal_type"},
		{"negative fee", func(rp *RatePlan) { rp.InfantFee = -1 }, "infant_fee"},
		{"min stay 0 on Friday", func(rp *RatePlan) { rp.MinStayArrival[4] = 0 }, "min_stay_arrival"},
		{"min stay too long", func(rp *RatePlan) { rp.MinStayThrough[0] = MaxStayNights + 1 }, "min_stay_through"},
		{"negative max stay", func(rp *RatePlan) { rp.MaxStay[6] = -1 }, "max_stay"},
		{"derived without parent", func(rp *RatePlan) { rp.RateMode = RateDerived }, "parent_rate_plan_id"},
		{"parent with manual mode", func(rp *RatePlan) { derived(rp); rp.RateMode = RateManual }, "rate_mode"},
		{"its own parent", func(rp *RatePlan) { derived(rp); rp.ParentRatePlanID = rp.ID }, "parent_rate_plan_id"},
		{"inherit without parent", func(rp *RatePlan) { rp.Inherit = FieldStopSell }, "inherit_stop_sell"},
		{"no options", func(rp *RatePlan) { rp.Options = nil }, "options"},
		{"per room, two options", func(rp *RatePlan) { rp.Options = append(rp.Options, RateOption{Occupancy: 1}) }, "options"},
		{"no primary", func(rp *RatePlan) { rp.Options[0].IsPrimary = false }, "options"},
		{"two primaries", func(rp *RatePlan) {
			rp.SellMode = SellPerPerson
			rp.Options = append(rp.Options, RateOption{Occupancy: 1, IsPrimary: true})
		}, "options"},
		{"same occupancy twice", func(rp *RatePlan) {
			rp.SellMode = SellPerPerson
			rp.Options = append(rp.Options, RateOption{Occupancy: 2})
		}, "options"},
		{"occupancy 0", func(rp *RatePlan) { rp.Options[0].Occupancy = 0 }, "options"},
		{"negative rate", func(rp *RatePlan) { rp.Options[0].Rate = -1 }, "options"},
		{"too many options", func(rp *RatePlan) {
			rp.SellMode = SellPerPerson
			for i := 3; i <= MaxOccupancies+2; i++ {
				rp.Options = append(rp.Options, RateOption{Occupancy: i})
			}
		}, "options"},
		{"rules on a manual plan", func(rp *RatePlan) {
			rp.Options[0].Derived = DerivedOption{"rate": {{Op: IncreaseByAmount, Value: 1}}}
		}, "options"},
		{"rules on a secondary option", func(rp *RatePlan) {
			derived(rp)
			rp.SellMode = SellPerPerson
			rp.Options = append(rp.Options, RateOption{Occupancy: 1, Derived: DerivedOption{"rate": {{Op: IncreaseByAmount, Value: 1}}}})
		}, "options"},
	} {
		rp := valid()
		tc.change(rp)
		fe := rp.Check(nil)
		if tc.field == "" {
			if len(fe) > 0 {
				t.Errorf("%s: %v, want valid", tc.name, fe)
			}
			continue
		}
		if len(fe) != 1 || !fe.Has(tc.field) {
			t.Errorf("%s: %v, want one message, for %s", tc.name, fe, tc.field)
		}
	}
}

func TestParseDerivedOption(t *testing.T) {
	for _, tc := range []struct {
		raw, currency string
		want          DerivedOption
		msg           string
	}{
		{`null`, "EUR", nil, ""},
		{`{}`, "EUR", nil, ""},
		{`{"rate":[["increase_by_percent","5.00"],["increase_by_amount","12.00"]]}`, "EUR",
			DerivedOption{"rate": {{IncreaseByPercent, 500}, {IncreaseByAmount, 1200}}}, ""},
		{`{"rate":[["decrease_by_percent",7.5],["decrease_by_amount",300]]}`, "EUR",
			DerivedOption{"rate": {{DecreaseByPercent, 750}, {DecreaseByAmount, 300}}}, ""},
		{`{"rate":[["increase_by_amount","12"]]}`, "JPY", DerivedOption{"rate": {{IncreaseByAmount, 12}}}, ""},
		{`{"min_stay_arrival":[["increase_by_amount","1"]],"availability_offset":[["decrease_by_amount",2]]}`, "EUR",
			DerivedOption{"min_stay_arrival": {{IncreaseByAmount, 1}}, "availability_offset": {{DecreaseByAmount, 2}}}, ""},
		{`[]`, "EUR", nil, "must be an object"},
		{`{"rate":"5%"}`, "EUR", nil, "must be an object mapping a field to a list"},
		{`{"rate":[["increase_by_percent"]]}`, "EUR", nil, "[operation, value] pair"},
		{`{"rate":[["double","2"]]}`, "EUR", nil, "operation must be one of"},
		{`{"rate":[["increase_by_amount","1.234"]]}`, "EUR", nil, "too many decimal places"},
		{`{"rate":[["increase_by_amount","-1"]]}`, "EUR", nil, "must not be negative"},
		{`{"rate":[["decrease_by_percent","101"]]}`, "EUR", nil, "between 0 and 100"},
		{`{"rate":[["increase_by_percent","1001"]]}`, "EUR", nil, "between 0 and 1000"},
		{`{"stop_sell":[["increase_by_amount","1"]]}`, "EUR", nil, "stop_sell can't be derived"},
		{`{"max_stay":[["increase_by_percent","10"]]}`, "EUR", nil, "percentages apply to the rate"},
		{`{"max_stay":[["increase_by_amount","1.5"]]}`, "EUR", nil, "whole number"},
	} {
		got, msg := ParseDerivedOption(json.RawMessage(tc.raw), tc.currency)
		if tc.msg != "" {
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("%s: message %q, want one containing %q", tc.raw, msg, tc.msg)
			}
			continue
		}
		if msg != "" || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %q, want %v", tc.raw, got, msg, tc.want)
		}
	}
}

func TestDerivedOptionApply(t *testing.T) {
	for _, tc := range []struct {
		d    DerivedOption
		bit  uint16
		in   int64
		want int64
	}{
		{nil, FieldRate, 12345, 12345},
		{DerivedOption{"rate": {{DecreaseByPercent, 1000}}}, FieldRate, 12345, 11111}, // 11110.5, half up
		{DerivedOption{"rate": {{IncreaseByPercent, 500}, {IncreaseByAmount, 1200}}}, FieldRate, 10000, 11700},
		{DerivedOption{"rate": {{IncreaseByAmount, 1200}, {IncreaseByPercent, 500}}}, FieldRate, 10000, 11760}, // left to right
		{DerivedOption{"rate": {{DecreaseByAmount, 20000}}}, FieldRate, 10000, 0},
		{DerivedOption{"rate": {{DecreaseByPercent, 10000}}}, FieldRate, 10000, 0},
		{DerivedOption{"rate": {{IncreaseByPercent, 100000}}}, FieldRate, 999_999_999_999_999, 1_000_000_000_000_000},
		{DerivedOption{"min_stay_arrival": {{DecreaseByAmount, 5}}}, FieldMinStayArrival, 2, 1},
		{DerivedOption{"min_stay_arrival": {{IncreaseByAmount, 1}}}, FieldMinStayArrival, 2, 3},
		{DerivedOption{"max_stay": {{IncreaseByAmount, 1000}}}, FieldMaxStay, 2, MaxStayNights},
		{DerivedOption{"min_stay_arrival": {{IncreaseByAmount, 1}}}, FieldMinStayThrough, 2, 2}, // other fields untouched
	} {
		if got := tc.d.Apply(tc.bit, tc.in); got != tc.want {
			t.Errorf("%v on %d: %d, want %d", tc.d, tc.in, got, tc.want)
		}
	}
}

func TestDerive(t *testing.T) {
	rp := NewRatePlan()
	rp.ParentRatePlanID, rp.RateMode = "p", RateDerived
	rp.Inherit = InheritAll &^ FieldStopSell
	rp.Options = []RateOption{
		{ID: "d", Occupancy: 2, IsPrimary: true, Derived: DerivedOption{"rate": {{IncreaseByAmount, 500}}, "min_stay_arrival": {{IncreaseByAmount, 1}}}},
		{ID: "d1", Occupancy: 1, Rate: 7000},
	}
	own := Restrictions{Set: FieldRate | FieldStopSell | FieldMinStayArrival, Rate: 7000, StopSell: true, MinStayArrival: 9}
	parent := Restrictions{Set: FieldRate | FieldMinStayArrival | FieldMaxSell, Rate: 10000, MinStayArrival: 2, MaxSell: 4}
	got := rp.Derive(&rp.Options[0], &own, &parent, &parent)
	if got.Rate != 10500 || got.MinStayArrival != 3 || !got.StopSell || got.MaxSell != 4 || got.Set&FieldMaxAvailability != 0 {
		t.Errorf("primary: %+v", got)
	}
	got = rp.Derive(&rp.Options[1], &own, &parent, &parent)
	if got.Rate != 7000 || got.MinStayArrival != 3 {
		t.Errorf("secondary keeps its own rate and inherits the rest: %+v", got)
	}
}
