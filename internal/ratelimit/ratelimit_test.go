package ratelimit

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keycard/keycard/internal/keycard"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }

// limiters returns the limiters to test: Memory always, and Redis when
// KEYCARD_TEST_REDIS_URL is set (CI sets it; there its absence fails).
func limiters(t *testing.T) map[string]Limiter {
	t.Helper()
	out := map[string]Limiter{"memory": NewMemory(newClock().now)}
	if l := redisLimiter(t); l != nil {
		out["redis"] = l
	}
	return out
}

func redisLimiter(t *testing.T) *Redis {
	t.Helper()
	url := os.Getenv("KEYCARD_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but KEYCARD_TEST_REDIS_URL is not: the Redis limiter would go untested")
		}
		return nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("KEYCARD_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	// A fresh prefix per test keeps tests apart on a shared server.
	return NewRedis(client, "keycard-test:"+keycard.NewID()+":")
}

func allow(t *testing.T, l Limiter, rules ...Rule) Result {
	t.Helper()
	r, err := l.Allow(context.Background(), rules...)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	return r
}

func TestBurst(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			rule := Rule{Key: "k", Limit: 10, Window: time.Minute}
			for i := range 10 {
				r := allow(t, l, rule)
				if !r.Allowed || r.Remaining != 9-i || r.Limit != 10 {
					t.Fatalf("request %d: %+v, want allowed with %d of 10 left", i+1, r, 9-i)
				}
			}
			r := allow(t, l, rule)
			if r.Allowed || r.Remaining != 0 {
				t.Fatalf("11th request: %+v, want refused with 0 left", r)
			}
			// One request refills every 6 s; the bucket is whole a minute on.
			if r.RetryAfter <= 5*time.Second || r.RetryAfter > 6*time.Second {
				t.Errorf("RetryAfter = %v, want 6s at most and more than 5s", r.RetryAfter)
			}
			if r.Reset <= 59*time.Second || r.Reset > time.Minute {
				t.Errorf("Reset = %v, want about 1m", r.Reset)
			}
		})
	}
}

func TestAllOrNone(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			small := Rule{Key: "property", Limit: 1, Window: time.Minute}
			big := Rule{Key: "key", Limit: 5, Window: time.Minute}
			if r := allow(t, l, small, big); !r.Allowed || r.Limit != 1 || r.Remaining != 0 {
				t.Fatalf("first: %+v, want allowed, reporting the tighter rule", r)
			}
			if r := allow(t, l, small, big); r.Allowed {
				t.Fatalf("second: allowed, want refused by the small rule")
			}
			// The refused request was not counted against the big rule.
			for i := range 4 {
				if !allow(t, l, big).Allowed {
					t.Fatalf("big rule refused request %d: the refused request was counted", i+2)
				}
			}
			if allow(t, l, big).Allowed {
				t.Errorf("big rule allowed a 6th request")
			}
		})
	}
}

func TestKeysAreIndependentAndZeroIsOff(t *testing.T) {
	for name, l := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			for range 3 {
				if !allow(t, l, Rule{Key: "a", Limit: 3, Window: time.Minute}).Allowed {
					t.Fatal("a refused early")
				}
			}
			if !allow(t, l, Rule{Key: "b", Limit: 3, Window: time.Minute}).Allowed {
				t.Errorf("b refused because of a")
			}
			for range 50 {
				if !allow(t, l, Rule{Key: "off", Limit: 0, Window: time.Minute}).Allowed {
					t.Fatal("a limit of 0 refused a request")
				}
			}
		})
	}
}

// TestRedisIsShared checks that two servers (two limiters on one Redis)
// share one budget.
func TestRedisIsShared(t *testing.T) {
	a := redisLimiter(t)
	if a == nil {
		t.Skip("KEYCARD_TEST_REDIS_URL is not set")
	}
	b := NewRedis(a.client, a.prefix)
	rule := Rule{Key: "org", Limit: 4, Window: time.Minute}
	for i, l := range []Limiter{a, b, a, b} {
		if !allow(t, l, rule).Allowed {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if allow(t, b, rule).Allowed || allow(t, a, rule).Allowed {
		t.Errorf("a 5th request was allowed across two servers")
	}
}

func TestRedisDownIsAnError(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer client.Close()
	if _, err := NewRedis(client, "x:").Allow(context.Background(), Rule{Key: "k", Limit: 1, Window: time.Minute}); err == nil {
		t.Errorf("Allow with Redis unreachable returned no error")
	}
}

func TestMemoryRefill(t *testing.T) {
	c := newClock()
	l := NewMemory(c.now)
	rule := Rule{Key: "k", Limit: 10, Window: time.Minute}
	for range 10 {
		allow(t, l, rule)
	}
	if r := allow(t, l, rule); r.RetryAfter != 6*time.Second || r.Reset != time.Minute {
		t.Errorf("refused: RetryAfter %v Reset %v, want exactly 6s and 1m", r.RetryAfter, r.Reset)
	}
	c.advance(6 * time.Second)
	if !allow(t, l, rule).Allowed {
		t.Errorf("refused after RetryAfter")
	}
	if allow(t, l, rule).Allowed {
		t.Errorf("allowed twice after one refill interval")
	}
	c.advance(time.Minute)
	if r := allow(t, l, rule); !r.Allowed || r.Remaining != 9 {
		t.Errorf("after a full window: %+v, want a full bucket", r)
	}
}

func TestMemorySweepForgetsFullBuckets(t *testing.T) {
	c := newClock()
	l := NewMemory(c.now)
	for i := range 2000 {
		allow(t, l, Rule{Key: time.Duration(i).String(), Limit: 10, Window: time.Minute})
	}
	c.advance(2 * time.Minute)
	for range 1100 {
		allow(t, l, Rule{Key: "live", Limit: 1 << 20, Window: time.Minute})
	}
	if n := len(l.tat); n > 1 {
		t.Errorf("%d keys kept after their buckets refilled, want 1", n)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	l := NewMemory(nil)
	rules := []Rule{{Key: "key:1", Limit: 1 << 30, Window: time.Minute}, {Key: "org:1", Limit: 1 << 30, Window: time.Minute}}
	for b.Loop() {
		l.Allow(context.Background(), rules...)
	}
}
