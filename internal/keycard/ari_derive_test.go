package keycard

import "testing"

func TestSellable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		avail  int32
		r      Restrictions
		booked int32
		want   int32
	}{
		{"nothing set", 5, Restrictions{}, 3, 5},
		{"offset", 5, Restrictions{Set: FieldAvailabilityOffset, AvailabilityOffset: 2}, 0, 3},
		{"max availability", 5, Restrictions{Set: FieldMaxAvailability, MaxAvailability: 1}, 0, 1},
		{"max sell counts the plan's bookings", 5, Restrictions{Set: FieldMaxSell, MaxSell: 4}, 3, 1},
		{"never below zero", 1, Restrictions{Set: FieldMaxSell | FieldAvailabilityOffset, MaxSell: 2, AvailabilityOffset: 3}, 5, 0},
	} {
		if got := Sellable(tc.avail, &tc.r, tc.booked); got != tc.want {
			t.Errorf("%s: Sellable = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestDeriveAll derives a grandchild from a child from a parent, listed
// children first: the parents are resolved first whatever the order.
func TestDeriveAll(t *testing.T) {
	minus10 := DerivedOption{"rate": {{Op: DecreaseByPercent, Value: 1000}}}
	parent := &RatePlan{ID: "p", Options: []RateOption{{ID: "po", Occupancy: 2, IsPrimary: true}}}
	child := &RatePlan{ID: "c", ParentRatePlanID: "p", RateMode: RateDerived, Inherit: InheritAll,
		Options: []RateOption{{ID: "co", Occupancy: 2, IsPrimary: true, Derived: minus10}}}
	grand := &RatePlan{ID: "g", ParentRatePlanID: "c", RateMode: RateDerived, Inherit: InheritAll,
		Options: []RateOption{{ID: "go", Occupancy: 2, IsPrimary: true, Derived: minus10}}}
	values := map[string][]Restrictions{
		"po": {{Set: FieldRate, Rate: 10000}},
		"co": {{}},
		"go": {{}},
	}
	DeriveAll([]*RatePlan{grand, child, parent}, values)
	if got := values["co"][0].Rate; got != 9000 {
		t.Errorf("child rate = %d, want 9000", got)
	}
	if got := values["go"][0].Rate; got != 8100 {
		t.Errorf("grandchild rate = %d, want 8100", got)
	}
}
