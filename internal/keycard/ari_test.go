package keycard

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2026-02-28", true}, {"2024-02-29", true}, {"2026-12-31", true}, {"1970-01-01", true},
		{"2026-02-30", false}, {"2023-02-29", false}, {"2026-13-01", false}, {"2026-00-10", false}, {"2026-1-01", false},
		{"", false}, {"2026-02-28T00:00:00", false}, {" 2026-02-28", false}, {"20260228", false}, {"2026/02/28", false},
	} {
		d, ok := ParseDate(tc.in)
		if ok != tc.ok {
			t.Errorf("ParseDate(%q) ok = %v, want %v", tc.in, ok, tc.ok)
		}
		if ok && d.String() != tc.in {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, d.String())
		}
	}
}

// TestDateAgreesWithTime checks dates and weekdays against package time
// over three centuries.
func TestDateAgreesWithTime(t *testing.T) {
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 366*300; i++ {
		tm := start.AddDate(0, 0, i)
		d := DateOf(tm)
		if got, want := d.String(), tm.Format(time.DateOnly); got != want {
			t.Fatalf("day %d: %s, want %s", i, got, want)
		}
		if got, want := d.Weekday(), (int(tm.Weekday())+6)%7; got != want {
			t.Fatalf("%s: weekday %d, want %d", d, got, want)
		}
		if !d.Time().Equal(tm) {
			t.Fatalf("%s: Time() = %v", d, d.Time())
		}
	}
}

func TestToday(t *testing.T) {
	now := time.Date(2026, 6, 1, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct{ tz, want string }{
		{"Europe/Lisbon", "2026-06-02"},      // UTC+1 in summer
		{"America/New_York", "2026-06-01"},   // UTC-4
		{"Pacific/Kiritimati", "2026-06-02"}, // UTC+14
		{"", "2026-06-01"},                   // the earliest date still current: UTC-12
		{"Mars/Olympus", "2026-06-01"},
	} {
		if got := Today(now, tc.tz).String(); got != tc.want {
			t.Errorf("Today(%s) = %s, want %s", tc.tz, got, tc.want)
		}
	}
	if got := Today(time.Date(2026, 6, 2, 11, 0, 0, 0, time.UTC), "").String(); got != "2026-06-01" {
		t.Errorf("without a time zone at 11:00 UTC: %s, want the day before (still current at UTC-12)", got)
	}
}

func TestCheckWindow(t *testing.T) {
	today, _ := ParseDate("2026-06-01")
	for _, tc := range []struct {
		name   string
		d      Dates
		fields []string
	}{
		{"today", Dates{From: today, To: today, Single: true}, nil},
		{"the horizon", Dates{From: today, To: today + ARIHorizonDays}, nil},
		{"yesterday", Dates{From: today - 1, To: today - 1, Single: true}, []string{"date"}},
		{"a range from yesterday", Dates{From: today - 1, To: today + 3}, []string{"date_from"}},
		{"past the horizon", Dates{From: today, To: today + ARIHorizonDays + 1}, []string{"date_to"}},
	} {
		fe := tc.d.CheckWindow(today)
		if len(fe) != len(tc.fields) {
			t.Errorf("%s: %v, want messages for %v", tc.name, fe, tc.fields)
		}
		for _, f := range tc.fields {
			if !fe.Has(f) {
				t.Errorf("%s: %v, want a message for %s", tc.name, fe, f)
			}
		}
	}
}

func TestParseWeekdays(t *testing.T) {
	monday, _ := ParseDate("2026-11-02")
	w, ok := ParseWeekdays([]string{"mo", "SA", "su"})
	if !ok {
		t.Fatal("mo, SA, su refused")
	}
	for i, want := range []bool{true, false, false, false, false, true, true} {
		if got := w.Has(monday + Date(i)); got != want {
			t.Errorf("%s: %v, want %v", monday+Date(i), got, want)
		}
	}
	for _, bad := range [][]string{{}, {"mon"}, {"xx"}, {""}} {
		if _, ok := ParseWeekdays(bad); ok {
			t.Errorf("ParseWeekdays(%q) accepted", bad)
		}
	}
}

func TestRestrictionsCopy(t *testing.T) {
	var r Restrictions
	r.SetInt(FieldRate, 100)
	r.SetBool(FieldStopSell, true)
	var o Restrictions
	o.SetInt(FieldRate, 200)
	o.SetInt(FieldMinStayArrival, 3)
	o.SetBool(FieldStopSell, false)
	r.Copy(&o, FieldRate|FieldMinStayArrival)
	if r.Rate != 200 || r.MinStayArrival != 3 || !r.StopSell || r.Set != FieldRate|FieldMinStayArrival|FieldStopSell {
		t.Errorf("after Copy: %+v", r)
	}
	r.Clear(FieldRate)
	if r.Set&FieldRate != 0 {
		t.Error("Clear left the rate set")
	}
}
