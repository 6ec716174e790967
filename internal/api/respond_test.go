package api

import (
	"testing"
	"time"
)

// TestAppendTime holds appendTime to time's own formatting of
// timestampLayout, at the edges of each field and of the fast path.
func TestAppendTime(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		{},
		time.Date(2026, 12, 2, 15, 4, 5, 123456789, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2027, 1, 1, 3, 0, 0, 999, east), // the day before in UTC
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(-1, 6, 15, 12, 30, 0, 0, time.UTC),
		time.Unix(1<<40, 0),
		time.Now(),
	}
	for _, tm := range times {
		checkAppendTime(t, tm)
	}
}

func FuzzAppendTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(1796310245), int64(123456789), 3600)
	f.Add(int64(253402300799), int64(999999999), -60)
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		checkAppendTime(t, time.Unix(sec, nsec).In(time.FixedZone("z", offset%(30*3600))))
	})
}

func checkAppendTime(t *testing.T, tm time.Time) {
	t.Helper()
	want := tm.UTC().Format(timestampLayout)
	if got := string(appendTime([]byte("x"), tm)); got != "x"+want {
		t.Errorf("appendTime(%v) = %q, want %q", tm, got, "x"+want)
	}
	if got := timestamp(tm); got != want {
		t.Errorf("timestamp(%v) = %q, want %q", tm, got, want)
	}
}
