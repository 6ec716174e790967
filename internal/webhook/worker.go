package webhook

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// Worker defaults.
const (
	// DefaultLease is how long a claim lasts: well over Timeout, so that a
	// live server always records its outcome first.
	DefaultLease    = 2 * time.Minute
	DefaultBatch    = 20
	DefaultParallel = 4
	DefaultInterval = time.Second
	// baseBackoff and maxBackoff bound the wait before a retry.
	baseBackoff = 10 * time.Second
	maxBackoff  = time.Hour
)

// Worker delivers the queued deliveries. Several workers, in one process
// or in several servers sharing a database, may run at once: each
// delivery is claimed by one of them.
type Worker struct {
	Store  *store.Store
	Sender *Sender
	Log    *slog.Logger
	// Now is the clock (time.Now when nil); tests move it by hand.
	Now func() time.Time
	// Lease, Batch, Parallel and Interval default to the constants above.
	Lease    time.Duration
	Batch    int
	Parallel int
	Interval time.Duration
	// Periodic, when set, runs about once a minute (housekeeping such as
	// the non-acked booking scan).
	Periodic func(ctx context.Context, now time.Time)
	// Observe, when set, is told each try's outcome: delivered, retry,
	// failed (for good) or lost (the claim ran out before the outcome was
	// recorded).
	Observe func(outcome string)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Backoff returns the wait before try number attempt+1, after attempt
// failed tries: 10 s doubling each time up to an hour, the upper half of
// it random, so that retries of many deliveries spread out.
func Backoff(attempt int) time.Duration {
	d := baseBackoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// RunOnce claims one batch of due deliveries, sends them, records their
// outcomes, and returns how many it handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	lease, batch, parallel := w.Lease, w.Batch, w.Parallel
	if lease <= 0 {
		lease = DefaultLease
	}
	if batch <= 0 {
		batch = DefaultBatch
	}
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	calls, err := w.Store.ClaimDeliveries(ctx, w.now(), lease, batch)
	if err != nil || len(calls) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, c := range calls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			w.deliver(ctx, c)
		})
	}
	wg.Wait()
	return len(calls), nil
}

// deliver sends one claimed delivery and records the outcome.
func (w *Worker) deliver(ctx context.Context, c *keycard.WebhookCall) {
	d := &c.Delivery
	// A delivery under way when the worker stops is finished (within
	// Timeout), rather than cut off and counted as a failed try.
	ans, err := w.Sender.Send(context.WithoutCancel(ctx), Request{
		URL: c.CallbackURL, Params: c.RequestParams, Headers: c.Headers, Body: d.Body,
		Event: d.Event, DeliveryID: d.ID, Secret: c.Secret,
	})
	now := w.now()
	o := store.DeliveryOutcome{Status: ans.Status, Delivered: err == nil && ans.OK()}
	if !o.Delivered {
		if err != nil {
			o.Error = err.Error()
		} else {
			o.Error = "answered " + strconv.Itoa(ans.Status)
		}
		if tries := d.Attempts + 1; tries < keycard.MaxWebhookTries {
			o.RetryAt = now.Add(Backoff(tries))
		}
	}
	// The outcome is recorded even when ctx ends (a shutdown), so that a
	// try that happened is not tried again as if it had not.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ok, rerr := w.Store.RecordDelivery(rctx, c, o, now)
	if w.Observe != nil && rerr == nil {
		w.Observe(deliveryOutcome(ok, o))
	}
	switch {
	case rerr != nil:
		w.log().Error("webhook: record delivery", "delivery_id", d.ID, "err", rerr)
	case !ok:
		w.log().Warn("webhook: delivery claim expired before its outcome was recorded", "delivery_id", d.ID)
	case !o.Delivered:
		// The delivery log says only what o.Error says; the cause (which
		// may tell a closed port from a name that does not resolve) is
		// for the operator.
		w.log().Info("webhook: delivery failed", "delivery_id", d.ID, "webhook_id", d.WebhookID, "event", d.Event,
			"attempt", d.Attempts+1, "error", o.Error, "cause", Cause(err), "final", o.RetryAt.IsZero())
	}
}

func deliveryOutcome(recorded bool, o store.DeliveryOutcome) string {
	switch {
	case !recorded:
		return "lost"
	case o.Delivered:
		return "delivered"
	case o.RetryAt.IsZero():
		return "failed"
	}
	return "retry"
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run delivers until ctx ends: a batch at a time, at once while batches
// come full, else every Interval. About once a minute it deletes
// deliveries older than seven days and calls Periodic.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastHousekeeping time.Time
	for {
		if now := w.now(); now.Sub(lastHousekeeping) >= time.Minute {
			lastHousekeeping = now
			if _, err := w.Store.PurgeDeliveries(ctx, now.Add(-keycard.WebhookLogRetention)); err != nil && ctx.Err() == nil {
				w.log().Error("webhook: purge old deliveries", "err", err)
			}
			if w.Periodic != nil {
				w.Periodic(ctx, now)
			}
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.log().Error("webhook: deliver", "err", err)
		}
		if n == batch && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
