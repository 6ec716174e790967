package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Default bounds of a Fallback.
const (
	// DefaultTimeout is how long a request waits for the shared counters.
	// A Redis round trip on a sound network takes well under a millisecond.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultCooldown is how long the counters are kept in the process
	// after the shared ones failed, before they are tried again.
	DefaultCooldown = 5 * time.Second
)

// Fallback is a Limiter over shared counters (Redis) that a slow or lost
// Redis cannot stall: each call to the shared limiter has a short
// deadline, and once one fails (a circuit breaker opening), requests are
// counted in the process for a cool-down, after which one request probes
// the shared counters again while the others go on counting locally. So
// requests stay limited, per server, while Redis is away, and wait for it
// at most one deadline each time it is tried.
//
// It logs once when the shared counters fail and once when they answer
// again, never per request.
type Fallback struct {
	shared   Limiter
	local    *Memory
	timeout  time.Duration
	cooldown time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu      sync.Mutex
	down    bool      // the shared counters failed; counting locally
	retryAt time.Time // when, while down, the next probe may go
	probing bool      // a probe is in flight
}

// NewFallback returns a Fallback over shared with DefaultTimeout and
// DefaultCooldown, reading time from now (time.Now if nil) and logging
// outages to log.
func NewFallback(shared Limiter, log *slog.Logger, now func() time.Time) *Fallback {
	if now == nil {
		now = time.Now
	}
	return &Fallback{shared: shared, local: NewMemory(now), timeout: DefaultTimeout, cooldown: DefaultCooldown, now: now, log: log}
}

// Allow implements Limiter. It fails only when ctx has ended.
func (f *Fallback) Allow(ctx context.Context, rules ...Rule) (Result, error) {
	return f.call(ctx, rules, Limiter.Allow)
}

// Peek implements Limiter. It fails only when ctx has ended.
func (f *Fallback) Peek(ctx context.Context, rules ...Rule) (Result, error) {
	return f.call(ctx, rules, Limiter.Peek)
}

func (f *Fallback) call(ctx context.Context, rules []Rule, method func(Limiter, context.Context, ...Rule) (Result, error)) (Result, error) {
	if !f.useShared() {
		return method(f.local, ctx, rules...)
	}
	sctx, cancel := context.WithTimeout(ctx, f.timeout)
	res, err := method(f.shared, sctx, rules...)
	cancel()
	switch {
	case err == nil:
		f.report(nil)
		return res, nil
	case ctx.Err() != nil:
		// The request went away; that says nothing of Redis.
		f.mu.Lock()
		f.probing = false
		f.mu.Unlock()
		return Result{}, ctx.Err()
	default:
		f.report(err)
		return method(f.local, ctx, rules...)
	}
}

// useShared reports whether this call should go to the shared counters:
// always while they work; while they are down, one call at a time once the
// cool-down has passed.
func (f *Fallback) useShared() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.down {
		return true
	}
	if f.probing || f.now().Before(f.retryAt) {
		return false
	}
	f.probing = true
	return true
}

// report records how a call to the shared counters went, and logs a change
// of state.
func (f *Fallback) report(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probing = false
	if err == nil {
		if f.down {
			f.down = false
			f.log.Info("rate limiter: Redis answers again; counting there")
		}
		return
	}
	f.retryAt = f.now().Add(f.cooldown)
	if !f.down {
		f.down = true
		f.log.Warn("rate limiter: Redis does not answer; counting in this process until it does", "err", err, "retry_every", f.cooldown)
	}
}
