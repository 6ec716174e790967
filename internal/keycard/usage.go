package keycard

import (
	"fmt"
	"time"
)

// Outcome classes of a key's requests, kept per key and hour. They do not
// overlap: a request is in exactly one.
const (
	UsageOK          = iota // every status below 400
	UsageClientError        // a 4xx other than 401, 403 and 429
	UsageDenied             // 401 and 403
	UsageThrottled          // 429
	UsageServerError        // 5xx
	usageClasses
)

// UsageCounts are a key's requests in one period, by outcome class.
type UsageCounts [usageClasses]int64

// UsageClassOf returns the outcome class of an HTTP status.
func UsageClassOf(status int) int {
	switch {
	case status < 400:
		return UsageOK
	case status == 401 || status == 403:
		return UsageDenied
	case status == 429:
		return UsageThrottled
	case status >= 500:
		return UsageServerError
	}
	return UsageClientError
}

// Total is every request counted.
func (c UsageCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Errors is every request not answered with success.
func (c UsageCounts) Errors() int64 { return c.Total() - c[UsageOK] }

// Add adds d to c.
func (c *UsageCounts) Add(d UsageCounts) {
	for i, v := range d {
		c[i] += v
	}
}

// KeyUsage is a key's requests in the period that starts at Start (an
// hour or a UTC day).
type KeyUsage struct {
	Start  time.Time
	Counts UsageCounts
}

// Usage granularities.
const (
	GranularityHour = "hour"
	GranularityDay  = "day"
)

// DefaultUsageRetention is how long a key's hourly usage is kept.
const DefaultUsageRetention = 90 * 24 * time.Hour

// UsageRange is a checked request for a key's usage: [From, To) cut into
// periods of Step, From and To on period boundaries.
type UsageRange struct {
	From, To time.Time
	Step     time.Duration
}

// maxUsageBuckets bounds one answer: 90 days of hours, and some.
const maxUsageBuckets = 24 * 92

// ParseUsageRange reads from, to (RFC 3339 or YYYY-MM-DD, "" for the
// defaults: the last 7 days up to now) and granularity ("" is hour) into a
// range, rounding from down and to up to whole periods; or returns the
// field errors.
func ParseUsageRange(from, to, granularity string, now time.Time) (UsageRange, error) {
	fe := FieldErrors{}
	var r UsageRange
	switch granularity {
	case "", GranularityHour:
		r.Step = time.Hour
	case GranularityDay:
		r.Step = 24 * time.Hour
	default:
		fe.Add("granularity", "must be hour or day")
	}
	parse := func(field, s string, def time.Time) time.Time {
		if s == "" {
			return def
		}
		for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC()
			}
		}
		fe.Add(field, "must be a time in RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)")
		return def
	}
	r.To = parse("to", to, now.UTC())
	r.From = parse("from", from, r.To.Add(-7*24*time.Hour))
	if len(fe) > 0 {
		return r, fe.Err()
	}
	r.From = r.From.Truncate(r.Step)
	if t := r.To.Truncate(r.Step); t.Before(r.To) {
		r.To = t.Add(r.Step)
	}
	switch {
	case !r.From.Before(r.To):
		fe.Add("from", "must be before to")
	case r.To.Sub(r.From)/r.Step > maxUsageBuckets:
		fe.Add("to", fmt.Sprintf("the range may hold at most %d periods; ask for days, or a shorter range", maxUsageBuckets))
	}
	return r, fe.Err()
}

// Buckets returns hourly rows (by the Unix microsecond of their hour)
// summed into the range's periods, every period present, in order.
func (r UsageRange) Buckets(hours map[int64]UsageCounts) []KeyUsage {
	n := int(r.To.Sub(r.From) / r.Step)
	out := make([]KeyUsage, n)
	for i := range out {
		out[i].Start = r.From.Add(time.Duration(i) * r.Step)
	}
	for h, c := range hours {
		at := time.UnixMicro(h).UTC()
		if at.Before(r.From) || !at.Before(r.To) {
			continue
		}
		out[int(at.Sub(r.From)/r.Step)].Counts.Add(c)
	}
	return out
}
