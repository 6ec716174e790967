// Package ratelimit counts requests against per-minute limits with the
// generic cell rate algorithm (GCRA): each limit is a bucket that refills
// one request every window/limit, holding at most limit. It needs one
// timestamp per counted key, answers exact Remaining and Reset values for
// the RateLimit-* headers, and has no window-boundary bursts.
//
// Memory keeps the counters in the process; Redis keeps them in a Redis
// server, shared by every keycard server that uses it.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Limiter counts requests against rules.
type Limiter interface {
	// Allow counts one request against every rule, all or none: a request
	// refused by one rule is not counted against the others. Rules with a
	// Limit of 0 or less are ignored.
	Allow(ctx context.Context, rules ...Rule) (Result, error)
	// Peek answers what Allow would, counting nothing: for limits charged
	// only after the fact, such as failed sign-ins.
	Peek(ctx context.Context, rules ...Rule) (Result, error)
}

// Rule is one limit on one key: at most Limit requests per Window.
type Rule struct {
	Key    string
	Limit  int
	Window time.Duration
}

// Result says whether a request may go ahead, and what the tightest of its
// rules has left.
type Result struct {
	Allowed bool
	// Limit, Remaining and Reset describe the rule with the fewest requests
	// left: its limit, what is left of it after this request, and how long
	// until it is whole again.
	Limit     int
	Remaining int
	Reset     time.Duration
	// RetryAfter, when not Allowed, is how long until the request would be.
	RetryAfter time.Duration
}

// Memory keeps request counters in memory. It is safe for concurrent use.
type Memory struct {
	now func() time.Time

	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time per key
	calls int
}

// NewMemory returns an empty Memory reading time from now (time.Now if
// nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, tat: map[string]time.Time{}}
}

// Allow implements Limiter; it never fails.
func (l *Memory) Allow(_ context.Context, rules ...Rule) (Result, error) {
	return l.count(rules, true), nil
}

// Peek implements Limiter; it never fails.
func (l *Memory) Peek(_ context.Context, rules ...Rule) (Result, error) {
	return l.count(rules, false), nil
}

// count answers whether one more request fits every rule and, with
// commit, counts it when it does.
func (l *Memory) count(rules []Rule, commit bool) Result {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)

	res := Result{Allowed: true, Remaining: -1}
	next := make([]time.Time, len(rules))
	for i, r := range rules {
		if r.Limit <= 0 {
			continue
		}
		interval := r.Window / time.Duration(r.Limit)
		tat := l.tat[r.Key]
		if tat.Before(now) {
			tat = now
		}
		newTAT := tat.Add(interval)
		// The bucket holds Limit requests: the request fits while the new
		// arrival time is no more than one window ahead.
		if ahead := newTAT.Sub(now); ahead > r.Window {
			res.Allowed = false
			if wait := ahead - r.Window; wait > res.RetryAfter {
				res.RetryAfter = wait
			}
			left := int((r.Window - tat.Sub(now)) / interval)
			res.tighten(r.Limit, max(left, 0), tat.Sub(now))
			continue
		}
		next[i] = newTAT
		left := int((r.Window - newTAT.Sub(now)) / interval)
		res.tighten(r.Limit, left, newTAT.Sub(now))
	}
	if res.Allowed && commit {
		for i, r := range rules {
			if r.Limit > 0 {
				l.tat[r.Key] = next[i]
			}
		}
	}
	if res.Remaining < 0 {
		res.Remaining = 0
	}
	return res
}

func (r *Result) tighten(limit, remaining int, reset time.Duration) {
	if r.Remaining < 0 || remaining < r.Remaining {
		r.Limit, r.Remaining, r.Reset = limit, remaining, reset
	}
}

// sweep forgets keys whose buckets are full again, every 1024 calls, so
// that memory follows the number of recently active keys.
func (l *Memory) sweep(now time.Time) {
	if l.calls++; l.calls < 1024 {
		return
	}
	l.calls = 0
	for k, tat := range l.tat {
		if !tat.After(now) {
			delete(l.tat, k)
		}
	}
}
