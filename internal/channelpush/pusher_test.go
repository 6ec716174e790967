package channelpush

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		failures int
		lo, hi   time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{100, 5 * time.Minute, 10 * time.Minute},
	} {
		for range 50 {
			if d := Backoff(c.failures); d < c.lo || d > c.hi {
				t.Fatalf("Backoff(%d) = %s, want %s to %s", c.failures, d, c.lo, c.hi)
			}
		}
	}
}
