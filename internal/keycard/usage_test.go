package keycard

import (
	"testing"
	"time"
)

func TestUsageClassOf(t *testing.T) {
	for status, want := range map[int]int{200: UsageOK, 201: UsageOK, 204: UsageOK, 304: UsageOK, 400: UsageClientError,
		401: UsageDenied, 403: UsageDenied, 404: UsageClientError, 413: UsageClientError, 422: UsageClientError,
		429: UsageThrottled, 499: UsageClientError, 500: UsageServerError, 503: UsageServerError} {
		if got := UsageClassOf(status); got != want {
			t.Errorf("UsageClassOf(%d) = %d, want %d", status, got, want)
		}
	}
}

func TestParseUsageRange(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 20, 0, 0, time.UTC)
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tt := range []struct {
		name, from, to, granularity string
		wantFrom, wantTo            string
		step                        time.Duration
		bad                         string
	}{
		{name: "defaults: 7 days of hours up to now", wantFrom: "2026-11-30T10:00:00Z", wantTo: "2026-12-07T11:00:00Z", step: time.Hour},
		{name: "days by date", from: "2026-12-01", to: "2026-12-03", granularity: "day", wantFrom: "2026-12-01T00:00:00Z", wantTo: "2026-12-03T00:00:00Z", step: 24 * time.Hour},
		{name: "rounded out to whole days", from: "2026-12-01T05:00:00Z", to: "2026-12-02T01:00:00Z", granularity: "day",
			wantFrom: "2026-12-01T00:00:00Z", wantTo: "2026-12-03T00:00:00Z", step: 24 * time.Hour},
		{name: "offset times read in UTC", from: "2026-12-01T05:30:00+02:00", to: "2026-12-01T06:00:00Z",
			wantFrom: "2026-12-01T03:00:00Z", wantTo: "2026-12-01T06:00:00Z", step: time.Hour},
		{name: "bad granularity", granularity: "week", bad: "granularity"},
		{name: "bad from", from: "last week", bad: "from"},
		{name: "backwards", from: "2026-12-03", to: "2026-12-01", bad: "from"},
		{name: "too many hours", from: "2026-01-01", to: "2026-12-01", bad: "to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseUsageRange(tt.from, tt.to, tt.granularity, now)
			if tt.bad != "" {
				fe, _ := err.(*Error)
				if fe == nil || !fe.Details.(FieldErrors).Has(tt.bad) {
					t.Fatalf("err = %v, want a message for %s", err, tt.bad)
				}
				return
			}
			if err != nil || !r.From.Equal(d(tt.wantFrom)) || !r.To.Equal(d(tt.wantTo)) || r.Step != tt.step {
				t.Errorf("got %v–%v by %v (%v), want %s–%s by %v", r.From, r.To, r.Step, err, tt.wantFrom, tt.wantTo, tt.step)
			}
		})
	}
}

func TestBuckets(t *testing.T) {
	r := UsageRange{From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), Step: 24 * time.Hour}
	h := func(day, hour int) int64 { return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC).UnixMicro() }
	got := r.Buckets(map[int64]UsageCounts{
		h(1, 3): {UsageOK: 2}, h(1, 23): {UsageDenied: 1}, h(2, 0): {UsageServerError: 4},
		h(3, 0): {UsageOK: 100}, h(30, 0): {UsageOK: 100}, // outside
	})
	if len(got) != 2 || got[0].Counts != (UsageCounts{UsageOK: 2, UsageDenied: 1}) || got[1].Counts != (UsageCounts{UsageServerError: 4}) ||
		!got[1].Start.Equal(r.From.Add(24*time.Hour)) {
		t.Errorf("buckets = %+v", got)
	}
	if got[0].Counts.Total() != 3 || got[0].Counts.Errors() != 1 {
		t.Errorf("totals of day 1: %d requests, %d errors", got[0].Counts.Total(), got[0].Counts.Errors())
	}
}
