// Package channelpush sends ARI to channels: a pusher takes the channels
// whose outbox holds cells (see store/channel_outbox.go), reads those
// cells' current values, and posts them to each channel over Open
// Channel, one push at a time per channel, retrying failures with backoff.
package channelpush

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/store"
)

// Pusher defaults.
const (
	// DefaultLease is how long a claim on a channel lasts: well over a
	// push's read, its call (openchannel.Timeout) and its record, so that
	// a live pusher always records its outcome first; a pusher that dies
	// holds the channel at most this long.
	DefaultLease = 30 * time.Second
	// DefaultParallel is how many channels are pushed to at once: a round
	// waits for its slowest push, so a property's channels go in one.
	DefaultParallel = 16
	// DefaultInterval is how often the outbox is polled when nothing wakes
	// the pusher (a change made by another server).
	DefaultInterval = 250 * time.Millisecond
	// DefaultGather is the least time between the starts of two rounds
	// that pushed something: while writes keep coming, each push then
	// carries what they changed in that time, instead of a push per write
	// to every channel. On PostgreSQL, where the pusher hears every commit
	// at once, pushing each write alone left writers to a property with 10
	// channels 0.30 to 0.40 of their throughput without them; paced, 0.69
	// to 0.79. The first change after a quiet spell still goes at once.
	DefaultGather = 200 * time.Millisecond
	baseBackoff   = time.Second
	maxBackoff    = 10 * time.Minute
)

// Backoff returns the wait after failures failed pushes in a row: 1 s
// doubling up to 10 minutes, the upper half of it random.
func Backoff(failures int) time.Duration {
	d := baseBackoff
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// Pusher pushes the outbox to channels. Several pushers, in one process
// or in servers sharing a database, may run at once: each channel is
// claimed by one of them at a time.
type Pusher struct {
	Store  *store.Store
	Client *openchannel.Client
	Log    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// HorizonDays is how many days from today a push reaches
	// (keycard.ChannelHorizonDays when 0).
	HorizonDays int
	// LogRetention is how long the channel log is kept
	// (keycard.ChannelLogRetention when 0).
	LogRetention time.Duration
	// Lease, Parallel and Interval default to the constants above.
	Lease    time.Duration
	Parallel int
	Interval time.Duration
	// Gather is the least time between the starts of two rounds that
	// pushed (DefaultGather when 0; negative: none).
	Gather time.Duration
	// Backoff, when set, replaces the package's Backoff (tests retry at
	// once).
	Backoff func(failures int) time.Duration
	// Observe, when set, is told each push's outcome: ok, failed, empty
	// (nothing left to send) or lost (the claim ran out first).
	Observe func(outcome string)

	wakeOnce sync.Once
	wake     chan struct{}
}

func (p *Pusher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pusher) wakeCh() chan struct{} {
	p.wakeOnce.Do(func() { p.wake = make(chan struct{}, 1) })
	return p.wake
}

// Wake makes a running pusher look at the outbox now; it never blocks.
// The store calls it after each commit that queued pushes (see
// store.SetChannelWake).
func (p *Pusher) Wake() {
	select {
	case p.wakeCh() <- struct{}{}:
	default:
	}
}

func (p *Pusher) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// RunOnce claims the due channels (up to Parallel), pushes to each, and
// returns how many it pushed to.
func (p *Pusher) RunOnce(ctx context.Context) (int, error) {
	lease, parallel := p.Lease, p.Parallel
	if lease <= 0 {
		lease = DefaultLease
	}
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	pushes, err := p.Store.ClaimChannelPushes(ctx, p.now(), lease, parallel)
	if err != nil || len(pushes) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, c := range pushes {
		wg.Go(func() { p.push(ctx, c) })
	}
	wg.Wait()
	return len(pushes), nil
}

// push sends one claimed push and records the outcome. A push under way
// when the pusher stops is finished (within openchannel.Timeout) and
// recorded, rather than cut off and counted as a failure.
func (p *Pusher) push(ctx context.Context, c *store.ChannelPush) {
	ctx = context.WithoutCancel(ctx)
	horizon := p.HorizonDays
	if horizon <= 0 {
		horizon = keycard.ChannelHorizonDays
	}
	var o store.PushOutcome
	from, plans, err := p.Store.ChannelPushDays(ctx, c, p.now(), horizon)
	if err != nil {
		p.log().Error("channel: read push", "channel_id", c.Channel.ID, "err", err)
		o = store.PushOutcome{Sent: true, Exchange: keycard.ChannelLog{Error: "keycard could not read the values to send"}}
	} else if n := openchannel.Build(from, plans); n.Size() > 0 {
		o.Sent = true
		n.HotelCode = c.Channel.HotelCode
		body, berr := n.Body()
		if berr == nil {
			n.RequestID = openchannel.RequestID(c.Seed(), body)
		}
		conn := openchannel.Conn{Endpoint: c.Channel.Endpoint, APIKey: c.Channel.APIKey, HotelCode: c.Channel.HotelCode}
		ex, perr := p.Client.PushChanges(ctx, conn, n)
		o.OK = perr == nil
		o.Exchange = ex.Log(c.Channel.ID, "", time.Time{})
		if perr != nil {
			p.log().Info("channel: push failed", "channel_id", c.Channel.ID, "request_id", n.RequestID, "attempt", c.Failures+1,
				"error", ex.Error, "cause", errCause(perr))
		}
	}
	now := p.now()
	if o.Sent && !o.OK {
		backoff := p.Backoff
		if backoff == nil {
			backoff = Backoff
		}
		o.RetryAt = now.Add(backoff(c.Failures + 1))
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	held, err := p.Store.CompleteChannelPush(rctx, c, o, now)
	switch {
	case err != nil:
		p.log().Error("channel: record push", "channel_id", c.Channel.ID, "err", err)
	case !held:
		p.log().Warn("channel: push claim expired before its outcome was recorded", "channel_id", c.Channel.ID)
	}
	if p.Observe != nil && err == nil {
		switch {
		case !held:
			p.Observe("lost")
		case !o.Sent:
			p.Observe("empty")
		case o.OK:
			p.Observe("ok")
		default:
			p.Observe("failed")
		}
	}
}

// errCause is the cause of a failed call, for the server log only.
func errCause(err error) error {
	if oe, ok := err.(*openchannel.Error); ok && oe.Err != nil {
		return oe.Err
	}
	return nil
}

// PurgeLog deletes the channel log (and the events that await no one)
// older than LogRetention, and returns how many rows it deleted.
func (p *Pusher) PurgeLog(ctx context.Context) (int64, error) {
	retention := p.LogRetention
	if retention <= 0 {
		retention = keycard.ChannelLogRetention
	}
	return p.Store.PurgeChannelLogs(ctx, p.now().Add(-retention))
}

// Run pushes until ctx ends: at once when woken or while channels are
// due, else every Interval. About once an hour it prunes the channel log.
func (p *Pusher) Run(ctx context.Context) {
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	gather := p.Gather
	if gather == 0 {
		gather = DefaultGather
	}
	wake := p.wakeCh()
	var lastPurge time.Time
	for {
		if now := p.now(); now.Sub(lastPurge) >= time.Hour {
			lastPurge = now
			if _, err := p.PurgeLog(ctx); err != nil && ctx.Err() == nil {
				p.log().Error("channel: purge channel log", "err", err)
			}
		}
		start := time.Now()
		n, err := p.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			p.log().Error("channel: push", "err", err)
		}
		if n > 0 && err == nil {
			// Real time, not p.now: this paces the work, whatever clock
			// a test gives the pusher.
			if wait := gather - time.Since(start); wait > 0 {
				pause := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					pause.Stop()
					return
				case <-pause.C:
				}
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}
