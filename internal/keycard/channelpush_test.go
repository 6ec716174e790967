package keycard

import (
	"reflect"
	"testing"
)

func TestMergeSpans(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     []DaySpan
		lo, hi Date
		want   []DaySpan
	}{
		{"empty", nil, 0, 100, nil},
		{"touching join", []DaySpan{{5, 7}, {8, 9}}, 0, 100, []DaySpan{{5, 9}}},
		{"overlapping, unsorted", []DaySpan{{10, 20}, {1, 3}, {15, 25}}, 0, 100, []DaySpan{{1, 3}, {10, 25}}},
		{"gap kept", []DaySpan{{1, 3}, {5, 6}}, 0, 100, []DaySpan{{1, 3}, {5, 6}}},
		{"clipped to the window", []DaySpan{{0, 1 << 30}}, 10, 19, []DaySpan{{10, 19}}},
		{"past dropped", []DaySpan{{1, 4}, {8, 12}}, 10, 19, []DaySpan{{10, 12}}},
		{"beyond the horizon dropped", []DaySpan{{25, 30}}, 10, 19, nil},
	} {
		if got := MergeSpans(c.in, c.lo, c.hi); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: MergeSpans(%v, %d, %d) = %v, want %v", c.name, c.in, c.lo, c.hi, got, c.want)
		}
	}
}

func TestApplyChannelRules(t *testing.T) {
	monday := Date(4) // 1970-01-05
	rule := func(typ string, value int, from, to Date, days Weekdays) ChannelAvailabilityRule {
		return ChannelAvailabilityRule{Type: typ, Value: value, StartDate: from, EndDate: to, Days: days}
	}
	for _, c := range []struct {
		name  string
		avail int32
		day   Date
		rules []ChannelAvailabilityRule
		want  int32
	}{
		{"no rule", 5, monday, nil, 5},
		{"negative sent as 0", -2, monday, nil, 0},
		{"close out", 5, monday, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, monday, 0, EveryDay)}, 0},
		{"offset", 5, monday, []ChannelAvailabilityRule{rule(RuleAvailabilityOffset, 2, monday, 0, EveryDay)}, 3},
		{"offset below 0", 1, monday, []ChannelAvailabilityRule{rule(RuleAvailabilityOffset, 2, monday, 0, EveryDay)}, 0},
		{"max", 5, monday, []ChannelAvailabilityRule{rule(RuleMaxAvailability, 2, monday, 0, EveryDay)}, 2},
		{"max above", 1, monday, []ChannelAvailabilityRule{rule(RuleMaxAvailability, 2, monday, 0, EveryDay)}, 1},
		{"before its start", 5, monday, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, monday+1, 0, EveryDay)}, 5},
		{"after its end", 5, monday + 3, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, monday, monday+2, EveryDay)}, 5},
		{"open-ended", 5, monday + 300, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, monday, 0, EveryDay)}, 0},
		{"not its weekday", 5, monday, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, 0, 0, 1<<1)}, 5},
		{"its weekday", 5, monday + 1, []ChannelAvailabilityRule{rule(RuleCloseOut, 0, 0, 0, 1<<1)}, 0},
		{"in order: offset then max", 10, monday, []ChannelAvailabilityRule{rule(RuleAvailabilityOffset, 3, 0, 0, EveryDay),
			rule(RuleMaxAvailability, 5, 0, 0, EveryDay)}, 5},
	} {
		if got := ApplyChannelRules(c.avail, c.day, c.rules); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}
