package ratelimit

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/redistest"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.b.String(), s)
}

// TestFallbackHungRedis pauses a real Redis (SIGSTOP) under a Fallback:
// requests must still be answered, and still be limited (in the process),
// the outage must be logged once, and once Redis is back and the cool-down
// has passed, the counting must go back to Redis.
func TestFallbackHungRedis(t *testing.T) {
	srv := redistest.Start(t)
	shared, closeRedis, err := DialRedis(context.Background(), srv.URL, "test:")
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	var logs syncBuffer
	clk := newClock()
	l := NewFallback(shared, slog.New(slog.NewTextHandler(&logs, nil)), clk.now)
	rule := Rule{Key: "k", Limit: 3, Window: time.Minute}
	want := func(step string, allowed bool, remaining int) {
		t.Helper()
		r, err := l.Allow(context.Background(), rule)
		if err != nil || r.Allowed != allowed || r.Remaining != remaining {
			t.Fatalf("%s: %+v, %v; want allowed=%v with %d left", step, r, err, allowed, remaining)
		}
	}

	want("Redis up, 1st", true, 2)
	want("Redis up, 2nd", true, 1)

	srv.Pause(t)
	// Counted in the process from here: a fresh bucket of 3, then refused.
	want("Redis hung, 1st", true, 2)
	want("Redis hung, 2nd", true, 1)
	if r, err := l.Peek(context.Background(), rule); err != nil || !r.Allowed {
		t.Fatalf("Peek with Redis hung: %+v, %v", r, err)
	}
	want("Redis hung, 3rd", true, 0)
	want("Redis hung, 4th", false, 0)
	if n := logs.count("Redis does not answer"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.b.String())
	}

	srv.Resume(t)
	clk.advance(DefaultCooldown)
	// Another server spends one request of a fresh counter in Redis; this
	// one sees it only if it counts in Redis again.
	rule = Rule{Key: "fresh", Limit: 3, Window: time.Minute}
	if r, err := shared.Allow(context.Background(), rule); err != nil || r.Remaining != 2 {
		t.Fatalf("other server: %+v, %v", r, err)
	}
	want("Redis back, 1st", true, 1)
	want("Redis back, 2nd", true, 0)
	want("Redis back, 3rd", false, 0)
	if n := logs.count("Redis answers again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, logs.b.String())
	}
	if n := logs.count("Redis does not answer"); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}
}
