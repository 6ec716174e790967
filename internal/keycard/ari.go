package keycard

import (
	"encoding/json"
	"strconv"
	"time"
)

// Date is a calendar date, counted in days from 1970-01-01 (day 0). ARI is
// kept per date, and dates compare and step as integers.
type Date int32

// ParseDate reads a date written YYYY-MM-DD; impossible dates such as
// 2026-02-30 are refused.
func ParseDate(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return DateOf(t), true
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String writes d as YYYY-MM-DD.
func (d Date) String() string {
	var b [10]byte
	return string(d.Append(b[:0]))
}

// Append appends d as YYYY-MM-DD to b.
func (d Date) Append(b []byte) []byte {
	y, m, day := d.Time().Date()
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// Weekday returns d's day of the week, 0 for Monday to 6 for Sunday (the
// order of Channex's weekday arrays).
func (d Date) Weekday() int {
	// 1970-01-01 was a Thursday (3).
	return int(((int64(d)+3)%7 + 7) % 7)
}

// Today returns the current date of a property in time zone tz. A property
// without a time zone (or with one this server does not know) is given the
// earliest date still current somewhere on Earth, so that no client is
// refused a date that is still today where it is.
func Today(now time.Time, tz string) Date {
	if tz != "" && tz != "Local" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return DateOf(now.In(loc))
		}
	}
	return DateOf(now.UTC().Add(-12 * time.Hour))
}

// ARIHorizonDays is how far ahead of today ARI may be written: the longest
// inventory horizon (state_length) a property can have.
const ARIHorizonDays = 730

// MaxARIReadDays is the longest date range one ARI read may cover.
const MaxARIReadDays = 731

// Weekdays is a set of days of the week; bit 0 is Monday, bit 6 Sunday.
type Weekdays uint8

// EveryDay is the set of all seven days.
const EveryDay Weekdays = 1<<7 - 1

// WeekdayCodes are Channex's weekday codes, Monday first.
var WeekdayCodes = [7]string{"mo", "tu", "we", "th", "fr", "sa", "su"}

// ParseWeekdays reads a list of weekday codes ("mo" ... "su"); an empty
// list or an unknown code is refused.
func ParseWeekdays(codes []string) (Weekdays, bool) {
	var w Weekdays
	for _, c := range codes {
		i := weekdayIndex(c)
		if i < 0 {
			return 0, false
		}
		w |= 1 << i
	}
	return w, w != 0
}

func weekdayIndex(code string) int {
	if len(code) == 2 {
		lower := string([]byte{code[0] | 0x20, code[1] | 0x20})
		for i, c := range WeekdayCodes {
			if c == lower {
				return i
			}
		}
	}
	return -1
}

// Has reports whether d falls on one of the days in w.
func (w Weekdays) Has(d Date) bool { return w&(1<<d.Weekday()) != 0 }

// Dates is the span of one ARI change: From to To inclusive, on the days of
// the week in Days.
type Dates struct {
	From, To Date
	Days     Weekdays
	// Single reports whether the span was written as one "date", which
	// names the field in messages about it.
	Single bool
}

// CheckWindow returns the messages for a span that starts before today or
// ends more than ARIHorizonDays after it, keyed by the field as written.
func (d Dates) CheckWindow(today Date) FieldErrors {
	fe := FieldErrors{}
	from, to := "date_from", "date_to"
	if d.Single {
		from, to = "date", "date"
	}
	if d.From < today {
		fe.Add(from, "can't be in the past (today is "+today.String()+")")
	}
	if d.To > today+ARIHorizonDays {
		fe.Add(to, "must be at most "+strconv.Itoa(ARIHorizonDays)+" days after today")
	}
	return fe
}

// Restriction fields, as bits of a mask: which values of a Restrictions
// are set.
const (
	FieldRate uint16 = 1 << iota
	FieldMinStayArrival
	FieldMinStayThrough
	FieldMaxStay
	FieldClosedToArrival
	FieldClosedToDeparture
	FieldStopSell
	FieldAvailabilityOffset
	FieldMaxAvailability
	FieldMaxSell
)

// RestrictionFields names every restriction field, in mask order, with the
// name it has in the API and in storage.
var RestrictionFields = []struct {
	Bit  uint16
	Name string
}{
	{FieldRate, "rate"},
	{FieldMinStayArrival, "min_stay_arrival"},
	{FieldMinStayThrough, "min_stay_through"},
	{FieldMaxStay, "max_stay"},
	{FieldClosedToArrival, "closed_to_arrival"},
	{FieldClosedToDeparture, "closed_to_departure"},
	{FieldStopSell, "stop_sell"},
	{FieldAvailabilityOffset, "availability_offset"},
	{FieldMaxAvailability, "max_availability"},
	{FieldMaxSell, "max_sell"},
}

// Restrictions are the rate and restrictions of one rate plan option on
// one date. Set says which fields hold a value: in a change, the fields
// written; in a stored day, the fields ever written; in a value read, the
// fields that are not null (max_availability and max_sell may be).
type Restrictions struct {
	Set                                     uint16
	Rate                                    int64 // minor units of the rate plan's currency
	MinStayArrival, MinStayThrough, MaxStay int32
	AvailabilityOffset                      int32
	MaxAvailability, MaxSell                int32
	ClosedToArrival, ClosedToDeparture      bool
	StopSell                                bool
}

// Int returns the value of an integer field (0 for a boolean one).
func (r *Restrictions) Int(bit uint16) int64 {
	switch bit {
	case FieldRate:
		return r.Rate
	case FieldMinStayArrival:
		return int64(r.MinStayArrival)
	case FieldMinStayThrough:
		return int64(r.MinStayThrough)
	case FieldMaxStay:
		return int64(r.MaxStay)
	case FieldAvailabilityOffset:
		return int64(r.AvailabilityOffset)
	case FieldMaxAvailability:
		return int64(r.MaxAvailability)
	case FieldMaxSell:
		return int64(r.MaxSell)
	}
	return 0
}

// SetInt sets an integer field and marks it set.
func (r *Restrictions) SetInt(bit uint16, v int64) {
	switch bit {
	case FieldRate:
		r.Rate = v
	case FieldMinStayArrival:
		r.MinStayArrival = int32(v)
	case FieldMinStayThrough:
		r.MinStayThrough = int32(v)
	case FieldMaxStay:
		r.MaxStay = int32(v)
	case FieldAvailabilityOffset:
		r.AvailabilityOffset = int32(v)
	case FieldMaxAvailability:
		r.MaxAvailability = int32(v)
	case FieldMaxSell:
		r.MaxSell = int32(v)
	default:
		return
	}
	r.Set |= bit
}

// Bool returns the value of a boolean field (false for an integer one).
func (r *Restrictions) Bool(bit uint16) bool {
	switch bit {
	case FieldClosedToArrival:
		return r.ClosedToArrival
	case FieldClosedToDeparture:
		return r.ClosedToDeparture
	case FieldStopSell:
		return r.StopSell
	}
	return false
}

// SetBool sets a boolean field and marks it set.
func (r *Restrictions) SetBool(bit uint16, v bool) {
	switch bit {
	case FieldClosedToArrival:
		r.ClosedToArrival = v
	case FieldClosedToDeparture:
		r.ClosedToDeparture = v
	case FieldStopSell:
		r.StopSell = v
	default:
		return
	}
	r.Set |= bit
}

// IsBool reports whether bit names a boolean field.
func IsBool(bit uint16) bool {
	return bit == FieldClosedToArrival || bit == FieldClosedToDeparture || bit == FieldStopSell
}

// Copy sets on r the fields of o selected by mask that o has set.
func (r *Restrictions) Copy(o *Restrictions, mask uint16) {
	for _, f := range RestrictionFields {
		if mask&f.Bit == 0 || o.Set&f.Bit == 0 {
			continue
		}
		if IsBool(f.Bit) {
			r.SetBool(f.Bit, o.Bool(f.Bit))
		} else {
			r.SetInt(f.Bit, o.Int(f.Bit))
		}
	}
}

// Clear marks the fields in mask as not set (null).
func (r *Restrictions) Clear(mask uint16) { r.Set &^= mask }

// CheckRestriction returns the validation message for an integer
// restriction value, or "".
func CheckRestriction(bit uint16, v int64) string {
	switch bit {
	case FieldRate:
		if v <= 0 {
			return "must be greater than 0"
		}
		if v > maxMinorUnits {
			return "is too large"
		}
	case FieldMinStayArrival, FieldMinStayThrough:
		if v < 1 {
			return "must be greater than or equal to 1"
		}
		if v > MaxStayNights {
			return "must be less than or equal to " + strconv.Itoa(MaxStayNights)
		}
	case FieldMaxStay:
		if v < 0 {
			return "must be greater than or equal to 0"
		}
		if v > MaxStayNights {
			return "must be less than or equal to " + strconv.Itoa(MaxStayNights)
		}
	case FieldAvailabilityOffset, FieldMaxAvailability, FieldMaxSell:
		if v < 0 {
			return "must be greater than or equal to 0"
		}
		if v > MaxAvailability {
			return "must be less than or equal to " + strconv.Itoa(MaxAvailability)
		}
	}
	return ""
}

// MaxStayNights bounds stay restrictions (min stay, max stay).
const MaxStayNights = 730

// MaxAvailability bounds availability and the counts that limit it.
const MaxAvailability = 10000

// CheckAvailability returns the validation message for a room type's
// availability, or "".
func CheckAvailability(v int64) string {
	if v < 0 {
		return "must be greater than or equal to 0"
	}
	if v > MaxAvailability {
		return "must be less than or equal to " + strconv.Itoa(MaxAvailability)
	}
	return ""
}

// AvailabilityChange is one value of POST /availability: a room type's
// availability over a span of dates.
type AvailabilityChange struct {
	PropertyID   string
	RoomTypeID   string
	Dates        Dates
	Availability int32
}

// RestrictionChange is one value of POST /restrictions, checked for form
// but not yet against its rate plan. RatePlanID may name a rate plan (its
// restrictions then apply to every option, a rate to the primary one) or
// one occupancy option.
type RestrictionChange struct {
	PropertyID string
	RatePlanID string
	Dates      Dates
	// Values holds every field written but the rate.
	Values Restrictions
	// Rate is the rate as written (minor units or a decimal string), read
	// once the rate plan's currency is known; nil when absent.
	Rate json.RawMessage
	// Rates are rates per occupancy option.
	Rates []OccupancyRate
	// MinStay is the virtual min_stay field, which stands for
	// min_stay_arrival or min_stay_through as the property's min_stay_type
	// says; nil when absent.
	MinStay *int32
}

// OccupancyRate is a rate for one occupancy of a rate plan.
type OccupancyRate struct {
	Occupancy int
	Rate      json.RawMessage
}

// ARIResult is the outcome of one ARI write.
type ARIResult struct {
	// TaskIDs holds one task id per property that received values.
	TaskIDs []string
	// Warnings holds, per change in the order given, the reasons it was
	// left out, or nil when it was applied.
	Warnings []FieldErrors
}

// ARIQuery selects what an ARI read returns: one property's values from
// From to To inclusive, for the rate plans or room types in IDs (all when
// IDs is empty).
type ARIQuery struct {
	PropertyID string
	From, To   Date
	IDs        []string
}

// AvailabilityGrid is the availability of a property's room types, one
// value per date from From to To.
type AvailabilityGrid struct {
	From, To  Date
	RoomTypes []RoomTypeDays
}

// RoomTypeDays is one room type's availability per date.
type RoomTypeDays struct {
	ID   string
	Days []int32
}

// RestrictionGrid is the rates and restrictions of a property's rate plan
// options, one value per date from From to To, with derived plans
// computed from their parents.
type RestrictionGrid struct {
	From, To Date
	// MinStayType is the property's min_stay_type, which decides what the
	// virtual min_stay reads as.
	MinStayType string
	Options     []OptionDays
}

// OptionDays is one rate plan option's values per date.
type OptionDays struct {
	// ID is the option's id: the rate plan's id for its primary option.
	ID         string
	RatePlanID string
	Currency   string
	Days       []Restrictions
	// Availability is what the option can sell per date: the room type's
	// availability less availability_offset, capped by max_availability
	// and by what max_sell leaves once the plan's bookings are counted.
	Availability []int32
	// Booked is the number of rooms the rate plan's bookings (not
	// cancelled) hold per date.
	Booked []int32
}

// Unavailable reasons, reported per date in unavailable_reasons.
const (
	ReasonStopSell       = "stop_sell"
	ReasonNoAvailability = "no_availability"
	ReasonZeroRate       = "zero_rate"
)

// AppendUnavailableReasons appends to reasons why an option cannot be sold
// on a date with values r and availability avail (nothing when it can): a
// read of thousands of dates reuses one slice.
func AppendUnavailableReasons(reasons []string, r *Restrictions, avail int32) []string {
	if r.StopSell {
		reasons = append(reasons, ReasonStopSell)
	}
	if avail <= 0 {
		reasons = append(reasons, ReasonNoAvailability)
	}
	if r.Rate <= 0 {
		reasons = append(reasons, ReasonZeroRate)
	}
	return reasons
}

// Sellable is what an option can sell of a room type's availability a,
// when its rate plan's bookings hold booked rooms: max_sell caps what the
// plan sells in all, so its bookings count against it.
func Sellable(a int32, r *Restrictions, booked int32) int32 {
	if r.Set&FieldAvailabilityOffset != 0 {
		a -= r.AvailabilityOffset
	}
	if r.Set&FieldMaxAvailability != 0 {
		a = min(a, r.MaxAvailability)
	}
	if r.Set&FieldMaxSell != 0 {
		a = min(a, r.MaxSell-booked)
	}
	return max(a, 0)
}

// DeriveAll computes the values of derived plans from their parents', in
// place, parents first.
func DeriveAll(plans []*RatePlan, values map[string][]Restrictions) map[string][]Restrictions {
	byID := make(map[string]*RatePlan, len(plans))
	for _, rp := range plans {
		byID[rp.ID] = rp
	}
	state := map[string]int{} // 1 while resolving, 2 when done
	var resolve func(rp *RatePlan)
	resolve = func(rp *RatePlan) {
		if state[rp.ID] != 0 {
			// Done, or a cycle (which writes refuse): leave it as it is.
			return
		}
		state[rp.ID] = 1
		defer func() { state[rp.ID] = 2 }()
		parent := byID[rp.ParentRatePlanID]
		if parent == nil || parent.Primary() == nil {
			return
		}
		resolve(parent)
		pp := values[parent.Primary().ID]
		for i := range rp.Options {
			o := &rp.Options[i]
			src := parent.Option(o.Occupancy)
			if src == nil {
				src = parent.Primary()
			}
			ps, days := values[src.ID], values[o.ID]
			for j := range days {
				days[j] = rp.Derive(o, &days[j], &pp[j], &ps[j])
			}
		}
	}
	for _, rp := range plans {
		resolve(rp)
	}
	return values
}
