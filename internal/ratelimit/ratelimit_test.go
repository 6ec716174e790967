package ratelimit

import (
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

func TestBurstThenRefill(t *testing.T) {
	c := newClock()
	l := New(c.now)
	rule := Rule{Key: "k", Limit: 10, Window: time.Minute}
	for i := range 10 {
		r := l.Allow(rule)
		if !r.Allowed {
			t.Fatalf("request %d refused, want the first 10 allowed", i+1)
		}
		if r.Remaining != 9-i || r.Limit != 10 {
			t.Errorf("request %d: remaining %d limit %d, want %d and 10", i+1, r.Remaining, r.Limit, 9-i)
		}
	}
	r := l.Allow(rule)
	if r.Allowed || r.Remaining != 0 {
		t.Fatalf("11th request: allowed %v remaining %d, want refused with 0 left", r.Allowed, r.Remaining)
	}
	if r.RetryAfter != 6*time.Second {
		t.Errorf("RetryAfter = %v, want 6s (one request refills every 60s/10)", r.RetryAfter)
	}
	if r.Reset != time.Minute {
		t.Errorf("Reset = %v, want 1m", r.Reset)
	}
	c.advance(6 * time.Second)
	if !l.Allow(rule).Allowed {
		t.Errorf("refused after RetryAfter")
	}
	if l.Allow(rule).Allowed {
		t.Errorf("allowed twice after one refill interval")
	}
	c.advance(time.Minute)
	if r := l.Allow(rule); !r.Allowed || r.Remaining != 9 {
		t.Errorf("after a full window: allowed %v remaining %d, want a full bucket", r.Allowed, r.Remaining)
	}
}

func TestAllOrNone(t *testing.T) {
	c := newClock()
	l := New(c.now)
	small := Rule{Key: "property", Limit: 1, Window: time.Minute}
	big := Rule{Key: "key", Limit: 5, Window: time.Minute}
	if r := l.Allow(small, big); !r.Allowed || r.Limit != 1 || r.Remaining != 0 {
		t.Fatalf("first: %+v, want allowed, reporting the tighter rule", r)
	}
	if r := l.Allow(small, big); r.Allowed {
		t.Fatalf("second: allowed, want refused by the small rule")
	}
	// The refused request was not counted against the big rule.
	for i := range 4 {
		if !l.Allow(big).Allowed {
			t.Fatalf("big rule refused request %d: the refused request was counted", i+2)
		}
	}
	if l.Allow(big).Allowed {
		t.Errorf("big rule allowed a 6th request")
	}
}

func TestKeysAreIndependentAndZeroIsOff(t *testing.T) {
	l := New(newClock().now)
	for range 3 {
		if !l.Allow(Rule{Key: "a", Limit: 3, Window: time.Minute}).Allowed {
			t.Fatal("a refused early")
		}
	}
	if !l.Allow(Rule{Key: "b", Limit: 3, Window: time.Minute}).Allowed {
		t.Errorf("b refused because of a")
	}
	for range 100 {
		if !l.Allow(Rule{Key: "off", Limit: 0, Window: time.Minute}).Allowed {
			t.Fatal("a limit of 0 refused a request")
		}
	}
}

func TestSweepForgetsFullBuckets(t *testing.T) {
	c := newClock()
	l := New(c.now)
	for i := range 2000 {
		l.Allow(Rule{Key: string(rune('a'+i%26)) + time.Duration(i).String(), Limit: 10, Window: time.Minute})
	}
	c.advance(2 * time.Minute)
	for range 1100 {
		l.Allow(Rule{Key: "live", Limit: 1 << 20, Window: time.Minute})
	}
	if n := len(l.tat); n > 1 {
		t.Errorf("%d keys kept after their buckets refilled, want 1", n)
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(nil)
	rules := []Rule{{Key: "key:1", Limit: 1 << 30, Window: time.Minute}, {Key: "org:1", Limit: 1 << 30, Window: time.Minute}}
	for b.Loop() {
		l.Allow(rules...)
	}
}
