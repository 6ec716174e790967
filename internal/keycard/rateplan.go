package keycard

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sell modes.
const (
	SellPerRoom   = "per_room"
	SellPerPerson = "per_person"
)

// Rate modes. keycard computes manual and derived plans; auto and cascade
// are refused.
const (
	RateManual  = "manual"
	RateDerived = "derived"
	RateAuto    = "auto"
	RateCascade = "cascade"
)

// MealTypes lists the accepted meal_type values (the spellings are
// Channex's).
var MealTypes = setOf("none", "all_inclusive", "breakfast", "lunch", "dinner", "american", "bed_and_breakfast",
	"buffet_breakfast", "carribean_breakfast", "continental_breakfast", "english_breakfast", "european_plan",
	"family_plan", "full_board", "full_breakfast", "half_board", "room_only", "self_catering", "bermuda",
	"dinner_bed_and_breakfast_plan", "family_american", "breakfast_and_lunch", "lunch_and_dinner")

// RatePlan is a way of selling a room type: its occupancy options with
// their default rates, and weekday defaults for its restrictions. A derived
// plan (one with a parent) takes the values its Inherit mask selects from
// its parent, the rate through the primary option's derived_option rules.
type RatePlan struct {
	ID               string
	PropertyID       string
	RoomTypeID       string
	ParentRatePlanID string
	Title            string
	Currency         string
	SellMode         string
	RateMode         string
	MealType         string // "" is null
	// TaxSetID names the property's tax set whose taxes apply, or is
	// empty.
	TaxSetID string
	// CancellationPolicyID names the property's cancellation policy that
	// applies, or is empty.
	CancellationPolicyID string
	ChildrenFee          int64 // minor units of Currency
	InfantFee            int64
	// Weekday defaults, Monday first: the values of dates nothing was
	// written for.
	MaxStay           [7]int
	MinStayArrival    [7]int
	MinStayThrough    [7]int
	ClosedToArrival   [7]bool
	ClosedToDeparture [7]bool
	StopSell          [7]bool
	// Inherit holds the Field* bits of the values taken from the parent.
	Inherit   uint16
	Options   []RateOption
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InheritFlags names the inherit_* flags with the field each selects.
var InheritFlags = []struct {
	Bit  uint16
	Name string
}{
	{FieldRate, "inherit_rate"},
	{FieldClosedToArrival, "inherit_closed_to_arrival"},
	{FieldClosedToDeparture, "inherit_closed_to_departure"},
	{FieldStopSell, "inherit_stop_sell"},
	{FieldMinStayArrival, "inherit_min_stay_arrival"},
	{FieldMinStayThrough, "inherit_min_stay_through"},
	{FieldMaxStay, "inherit_max_stay"},
	{FieldMaxSell, "inherit_max_sell"},
	{FieldMaxAvailability, "inherit_max_availability"},
	{FieldAvailabilityOffset, "inherit_availability_offset"},
}

// InheritAll is the Inherit mask with every flag set, the default of a
// plan with a parent.
const InheritAll = FieldRate | FieldClosedToArrival | FieldClosedToDeparture | FieldStopSell | FieldMinStayArrival |
	FieldMinStayThrough | FieldMaxStay | FieldMaxSell | FieldMaxAvailability | FieldAvailabilityOffset

// RateOption is one occupancy option of a rate plan. The primary option's
// id is the rate plan's id.
type RateOption struct {
	ID        string
	Occupancy int
	IsPrimary bool
	// Rate is the default rate, in minor units.
	Rate int64
	// Derived holds the rules that turn the parent's values into this
	// plan's; only a derived plan's primary option has them.
	Derived DerivedOption
}

// NewRatePlan returns a rate plan with Channex's defaults: per room,
// manual, min stay 1, nothing closed.
func NewRatePlan() *RatePlan {
	rp := &RatePlan{SellMode: SellPerRoom, RateMode: RateManual}
	for i := range 7 {
		rp.MinStayArrival[i], rp.MinStayThrough[i] = 1, 1
	}
	return rp
}

// Primary returns the primary option, or nil.
func (rp *RatePlan) Primary() *RateOption {
	for i := range rp.Options {
		if rp.Options[i].IsPrimary {
			return &rp.Options[i]
		}
	}
	return nil
}

// Option returns the option for occupancy, or nil.
func (rp *RatePlan) Option(occupancy int) *RateOption {
	for i := range rp.Options {
		if rp.Options[i].Occupancy == occupancy {
			return &rp.Options[i]
		}
	}
	return nil
}

// IsDerived reports whether the plan takes values from a parent.
func (rp *RatePlan) IsDerived() bool { return rp.ParentRatePlanID != "" }

// Inherits reports whether the plan takes the field from its parent for
// option o (the rate is inherited by the primary option only).
func (rp *RatePlan) Inherits(bit uint16, o *RateOption) bool {
	if !rp.IsDerived() || rp.Inherit&bit == 0 {
		return false
	}
	return bit != FieldRate || o.IsPrimary
}

// SortOptions orders the options primary first, then by occupancy.
func (rp *RatePlan) SortOptions() {
	sort.SliceStable(rp.Options, func(i, j int) bool {
		a, b := rp.Options[i], rp.Options[j]
		if a.IsPrimary != b.IsPrimary {
			return a.IsPrimary
		}
		return a.Occupancy < b.Occupancy
	})
}

// Validate checks every field of rp that can be checked without looking at
// other records (its room type, its parent), and returns a validation
// Error naming each field that is wrong, or nil. Fields already in skip
// (because they failed to decode) are not checked again.
func (rp *RatePlan) Validate(skip FieldErrors) error { return rp.Check(skip).Err() }

// Check is Validate returning the field errors themselves, to which the
// checks against other records add.
func (rp *RatePlan) Check(skip FieldErrors) FieldErrors {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(rp.Title, 255))
	check("currency", currencyMessage(rp.Currency))
	if rp.SellMode != SellPerRoom && rp.SellMode != SellPerPerson {
		check("sell_mode", "is not included in the list (per_room, per_person)")
	}
	switch rp.RateMode {
	case RateManual, RateDerived:
	case RateAuto, RateCascade:
		check("rate_mode", rp.RateMode+" is not supported; use manual or derived")
	default:
		check("rate_mode", "is not included in the list (manual, derived)")
	}
	if rp.MealType != "" && !MealTypes[rp.MealType] {
		check("meal_type", "is not included in the list")
	}
	check("children_fee", fee(rp.ChildrenFee))
	check("infant_fee", fee(rp.InfantFee))
	for i := range 7 {
		check("min_stay_arrival", between(rp.MinStayArrival[i], 1, MaxStayNights))
		check("min_stay_through", between(rp.MinStayThrough[i], 1, MaxStayNights))
		check("max_stay", between(rp.MaxStay[i], 0, MaxStayNights))
	}
	for _, f := range []string{"min_stay_arrival", "min_stay_through", "max_stay"} {
		if len(c.fe[f]) > 1 {
			c.fe[f] = c.fe[f][:1]
		}
	}
	switch {
	case rp.ParentRatePlanID == "" && rp.RateMode == RateDerived:
		check("parent_rate_plan_id", "can't be blank for a derived rate plan")
	case rp.ParentRatePlanID != "" && rp.RateMode == RateManual:
		check("rate_mode", "must be derived when parent_rate_plan_id is set")
	case rp.ParentRatePlanID != "" && rp.ParentRatePlanID == rp.ID:
		check("parent_rate_plan_id", "can't be the rate plan itself")
	}
	if rp.ParentRatePlanID == "" {
		for _, f := range InheritFlags {
			if rp.Inherit&f.Bit != 0 {
				check(f.Name, "can only be true for a rate plan with a parent_rate_plan_id")
			}
		}
	}
	check("options", rp.optionsMessage())
	return c.fe
}

func fee(minor int64) string {
	if minor < 0 {
		return "must be greater than or equal to 0"
	}
	return ""
}

// optionsMessage returns what is wrong with the options, or "".
func (rp *RatePlan) optionsMessage() string {
	if len(rp.Options) == 0 {
		return "can't be blank"
	}
	if len(rp.Options) > MaxOccupancies {
		return "must have at most " + strconv.Itoa(MaxOccupancies) + " occupancy options"
	}
	if rp.SellMode == SellPerRoom && len(rp.Options) != 1 {
		return "a per_room rate plan takes exactly one occupancy option"
	}
	primaries := 0
	seen := map[int]bool{}
	for _, o := range rp.Options {
		switch {
		case o.Occupancy < 1 || o.Occupancy > MaxOccupancy:
			return "occupancy must be between 1 and " + strconv.Itoa(MaxOccupancy)
		case seen[o.Occupancy]:
			return "occupancy " + strconv.Itoa(o.Occupancy) + " is given twice"
		case o.Rate < 0:
			return "rate must be greater than or equal to 0"
		case o.Rate > maxMinorUnits:
			return "rate is too large"
		case o.Derived != nil && !o.IsPrimary:
			return "derived_option can only be set on the primary option"
		case o.Derived != nil && rp.ParentRatePlanID == "":
			return "derived_option can only be set on a rate plan with a parent_rate_plan_id"
		}
		seen[o.Occupancy] = true
		if o.IsPrimary {
			primaries++
		}
	}
	if primaries != 1 {
		return "must have exactly one primary option (is_primary: true)"
	}
	return ""
}

// Defaults returns the values of option o on date d when nothing was
// written: the option's rate and the plan's weekday defaults;
// max_availability and max_sell are null.
func (rp *RatePlan) Defaults(o *RateOption, d Date) Restrictions {
	w := d.Weekday()
	return Restrictions{
		Set: FieldRate | FieldMinStayArrival | FieldMinStayThrough | FieldMaxStay | FieldClosedToArrival |
			FieldClosedToDeparture | FieldStopSell | FieldAvailabilityOffset,
		Rate:           o.Rate,
		MinStayArrival: int32(rp.MinStayArrival[w]), MinStayThrough: int32(rp.MinStayThrough[w]),
		MaxStay:         int32(rp.MaxStay[w]),
		ClosedToArrival: rp.ClosedToArrival[w], ClosedToDeparture: rp.ClosedToDeparture[w], StopSell: rp.StopSell[w],
	}
}

// Derive returns the values of option o of a derived plan: own, with each
// inherited field taken from the parent. parentPrimary holds the parent's
// primary option's values (the source of the rate), parentSame those of
// the parent's option with o's occupancy, or its primary when it has none
// (the source of the other fields). The primary option's derived_option
// rules are applied to what is taken.
func (rp *RatePlan) Derive(o *RateOption, own, parentPrimary, parentSame *Restrictions) Restrictions {
	out := *own
	var rules DerivedOption
	if p := rp.Primary(); p != nil {
		rules = p.Derived
	}
	for _, f := range RestrictionFields {
		if !rp.Inherits(f.Bit, o) {
			continue
		}
		src := parentSame
		if f.Bit == FieldRate {
			src = parentPrimary
		}
		switch {
		case src.Set&f.Bit == 0:
			out.Clear(f.Bit)
		case IsBool(f.Bit):
			out.SetBool(f.Bit, src.Bool(f.Bit))
		default:
			out.SetInt(f.Bit, rules.Apply(f.Bit, src.Int(f.Bit)))
		}
	}
	return out
}

// Derived-option operations.
const (
	IncreaseByAmount  = "increase_by_amount"
	IncreaseByPercent = "increase_by_percent"
	DecreaseByAmount  = "decrease_by_amount"
	DecreaseByPercent = "decrease_by_percent"
)

// DerivedOption maps a field name (rate, min_stay_arrival, ...) to the
// rules applied, left to right, to the parent's value of that field.
type DerivedOption map[string][]DerivedRule

// DerivedRule is one step of a derived option. Value is in minor units for
// a rate amount, in hundredths of a percent for a percentage, and a count
// for any other field.
type DerivedRule struct {
	Op    string `json:"op"`
	Value int64  `json:"value"`
}

// derivedFields are the fields a derived option may change: the integer
// ones.
var derivedFields = map[string]uint16{
	"rate": FieldRate, "min_stay_arrival": FieldMinStayArrival, "min_stay_through": FieldMinStayThrough,
	"max_stay": FieldMaxStay, "availability_offset": FieldAvailabilityOffset,
	"max_availability": FieldMaxAvailability, "max_sell": FieldMaxSell,
}

// Percentages are limited so that a rule can neither overflow nor go
// below zero: increases up to 1000 %, decreases up to 100 %.
const (
	maxIncreaseBP = 100_000
	maxDecreaseBP = 10_000
)

// ParseDerivedOption reads a derived_option object, such as
// {"rate": [["increase_by_percent", "5.00"], ["increase_by_amount", "12.00"]]};
// rate amounts are money in currency. It returns the option (nil for null)
// or a validation message.
func ParseDerivedOption(raw json.RawMessage, currency string) (DerivedOption, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var m map[string][]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, "derived_option must be an object mapping a field to a list of [operation, value] pairs"
	}
	out := DerivedOption{}
	for _, field := range slices.Sorted(maps.Keys(m)) {
		steps := m[field]
		bit, ok := derivedFields[field]
		if !ok {
			return nil, "derived_option: " + field + " can't be derived"
		}
		rules := make([]DerivedRule, 0, len(steps))
		for _, step := range steps {
			var pair []json.RawMessage
			var op string
			if json.Unmarshal(step, &pair) != nil || len(pair) != 2 || json.Unmarshal(pair[0], &op) != nil {
				return nil, "derived_option: each step of " + field + " must be an [operation, value] pair"
			}
			r, msg := parseRule(bit, op, pair[1], currency)
			if msg != "" {
				return nil, "derived_option: " + field + " " + msg
			}
			rules = append(rules, r)
		}
		if len(rules) > 0 {
			out[field] = rules
		}
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

func parseRule(bit uint16, op string, raw json.RawMessage, currency string) (DerivedRule, string) {
	r := DerivedRule{Op: op}
	switch op {
	case IncreaseByAmount, DecreaseByAmount:
		if bit == FieldRate {
			v, msg := ParseMoney(raw, currency)
			if msg != "" {
				return r, "amount " + msg
			}
			r.Value = v
		} else {
			v, ok := wholeNumber(raw)
			if !ok {
				return r, "amount must be a whole number"
			}
			r.Value = v
		}
		if r.Value < 0 {
			return r, "amount must not be negative"
		}
		if bit != FieldRate && r.Value > MaxAvailability {
			return r, "amount must be at most " + strconv.Itoa(MaxAvailability)
		}
	case IncreaseByPercent, DecreaseByPercent:
		if bit != FieldRate {
			return r, "can only change by an amount; percentages apply to the rate"
		}
		// A percentage is a decimal with up to two places: hundredths of
		// a percent, whatever the currency.
		v, msg := ParseMoney(decimalString(raw), "EUR")
		if msg != "" {
			return r, "percentage " + msg
		}
		limit := int64(maxIncreaseBP)
		if op == DecreaseByPercent {
			limit = maxDecreaseBP
		}
		if v < 0 || v > limit {
			return r, "percentage must be between 0 and " + strconv.FormatInt(limit/100, 10)
		}
		r.Value = v
	default:
		return r, "operation must be one of increase_by_amount, increase_by_percent, decrease_by_amount, decrease_by_percent"
	}
	return r, ""
}

// decimalString turns a JSON number into a JSON string of its digits, so
// that 5 and 5.5 read as "5" and "5.5" rather than as minor units.
func decimalString(raw json.RawMessage) json.RawMessage {
	s := strings.TrimSpace(string(raw))
	if s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return json.RawMessage(strconv.Quote(s))
	}
	return raw
}

// wholeNumber reads a JSON integer or a string of one.
func wholeNumber(raw json.RawMessage) (int64, bool) {
	s := strings.TrimSpace(string(raw))
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Apply runs the rules for field bit over v, left to right, and keeps the
// result within the field's range.
func (d DerivedOption) Apply(bit uint16, v int64) int64 {
	if len(d) == 0 {
		return v
	}
	for _, name := range RestrictionFields {
		if name.Bit != bit {
			continue
		}
		for _, r := range d[name.Name] {
			switch r.Op {
			case IncreaseByAmount:
				v += r.Value
			case DecreaseByAmount:
				v -= r.Value
			case IncreaseByPercent:
				v = percentOf(v, 10_000+r.Value)
			case DecreaseByPercent:
				v = percentOf(v, 10_000-r.Value)
			}
			v = clampField(bit, v)
		}
	}
	return v
}

// percentOf returns v * factor / 10000, rounded half up, for v >= 0.
func percentOf(v, factor int64) int64 {
	if v <= 0 || factor <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v), uint64(factor))
	lo, carry := bits.Add64(lo, 5_000, 0)
	hi += carry
	if hi >= 10_000 {
		return maxMinorUnits
	}
	q, _ := bits.Div64(hi, lo, 10_000)
	if q > maxMinorUnits {
		return maxMinorUnits
	}
	return int64(q)
}

func clampField(bit uint16, v int64) int64 {
	lo, hi := int64(0), int64(MaxAvailability)
	switch bit {
	case FieldRate:
		hi = maxMinorUnits
	case FieldMinStayArrival, FieldMinStayThrough:
		lo, hi = 1, MaxStayNights
	case FieldMaxStay:
		hi = MaxStayNights
	}
	return max(lo, min(hi, v))
}

// Render returns the derived option in its API form, with amounts and
// percentages as decimal strings: {"rate": [["increase_by_percent", "5.00"]]}.
func (d DerivedOption) Render(currency string) map[string][][2]string {
	if d == nil {
		return nil
	}
	out := make(map[string][][2]string, len(d))
	for field, rules := range d {
		steps := make([][2]string, 0, len(rules))
		for _, r := range rules {
			var v string
			switch {
			case r.Op == IncreaseByPercent || r.Op == DecreaseByPercent:
				v = FormatMoney(r.Value, "EUR")
			case field == "rate":
				v = FormatMoney(r.Value, currency)
			default:
				v = strconv.FormatInt(r.Value, 10)
			}
			steps = append(steps, [2]string{r.Op, v})
		}
		out[field] = steps
	}
	return out
}
