package keycard

import "slices"

// Channel event types the pusher records.
const (
	// ChannelEventSync is a push of changes that the channel accepted.
	ChannelEventSync = "sync"
	// ChannelEventSyncError is a push the channel did not accept (no
	// answer, non-2xx, or success not true); it is retried.
	ChannelEventSyncError = "sync_error"
	// ChannelEventFullSync is a full sync queued (on activation, on an
	// update of an active channel, or on demand).
	ChannelEventFullSync = "full_sync"
)

// Channel event statuses.
const (
	ChannelEventOK       = "ok"
	ChannelEventFailed   = "failed"
	ChannelEventOpen     = "open"
	ChannelEventResolved = "resolved"
)

// EventSyncError is the webhook event fired when a push to a channel
// fails.
const EventSyncError = "sync_error"

// MaxChannelLogBody is how much of a request or answer body the channel
// log keeps; the rest is cut, with a note.
const MaxChannelLogBody = 256 << 10

// DaySpan is a run of days, both ends included.
type DaySpan struct{ From, To Date }

// ChannelPlanDays is what one channel rate plan (a room type code and rate plan
// code of the channel) sells on the days of a push: the values of the
// keycard plan it is mapped to, per day from the build's From.
type ChannelPlanDays struct {
	RoomTypeCode, RatePlanCode string
	// Days are the days to send; they must lie within the value slices.
	Days []DaySpan
	// Availability is what the pair sells per day, channel rules applied;
	// a negative value is sent as 0.
	Availability []int32
	// Restrictions are the plan's values per day (the rate is ignored:
	// see Rates).
	Restrictions []Restrictions
	// Rates are the rates sent, one per occupancy, per day in minor units
	// of Currency.
	Rates    []ChannelRates
	Currency string
}

// ChannelRates is one occupancy's rate per day.
type ChannelRates struct {
	Occupancy int
	Minor     []int64
}

// MergeSpans merges days into sorted, disjoint spans, joining spans that touch,
// clipped to [lo, hi]; spans wholly outside are dropped.
func MergeSpans(in []DaySpan, lo, hi Date) []DaySpan {
	var out []DaySpan
	for _, s := range in {
		s.From, s.To = max(s.From, lo), min(s.To, hi)
		if s.From <= s.To {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b DaySpan) int { return int(a.From) - int(b.From) })
	merged := out[:0]
	for _, s := range out {
		if k := len(merged); k > 0 && s.From <= merged[k-1].To+1 {
			merged[k-1].To = max(merged[k-1].To, s.To)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// ApplyChannelRules returns the availability a channel is sent for a room type on
// a day, given the rules that affect that channel and room type, in order:
// close_out sends 0, availability_offset subtracts its value,
// max_availability caps at its value. The result is never negative.
func ApplyChannelRules(a int32, day Date, rules []ChannelAvailabilityRule) int32 {
	for i := range rules {
		r := &rules[i]
		if day < r.StartDate || (r.EndDate != 0 && day > r.EndDate) || (r.Days != 0 && !r.Days.Has(day)) {
			continue
		}
		switch r.Type {
		case RuleCloseOut:
			a = 0
		case RuleAvailabilityOffset:
			a -= int32(r.Value)
		case RuleMaxAvailability:
			a = min(a, int32(r.Value))
		}
	}
	return max(a, 0)
}
