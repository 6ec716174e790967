package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// turns admits at most n holders at once, in the order they asked.
//
// It stands in front of each connection pool, n being the pool's size:
// database/sql hands a freed connection to a random waiter, so with more
// callers than connections (64 clients and SQLite's one writer) most wait
// about their turn but some wait many times longer. In turn, every caller
// waits for those ahead of it and no one else.
//
// golang.org/x/sync/semaphore.Weighted also serves waiters in order, but
// gives no way to know that a caller has joined its queue: the test that
// proves the order (TestTurnsInOrder) would have to sleep. This is 60
// lines, with the wait statistics the metrics read.
type turns struct {
	mu      sync.Mutex
	free    int
	waiting []chan struct{} // oldest first; closed when it is that one's turn

	// waits counts the callers that had to queue, and the time they
	// spent in it: what the pool's own wait statistics showed before the
	// turns took the waiting from it.
	waits waitStats

	// queued, when set (by tests), is called after a caller joins the
	// queue, before it blocks.
	queued func()
}

func newTurns(n int) *turns { return &turns{free: n} }

// take waits for a turn, and returns ctx's error if ctx ends first. A nil
// error must be followed by done.
func (t *turns) take(ctx context.Context) error {
	t.mu.Lock()
	if t.free > 0 && len(t.waiting) == 0 {
		t.free--
		t.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	t.waiting = append(t.waiting, ready)
	queued := t.queued
	t.mu.Unlock()
	defer t.waits.since(time.Now())
	if queued != nil {
		queued()
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	for i, w := range t.waiting {
		if w == ready {
			t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
			t.mu.Unlock()
			return ctx.Err()
		}
	}
	t.mu.Unlock()
	// The turn came as ctx ended: pass it on.
	t.done()
	return ctx.Err()
}

// Waits is how many callers waited for a turn at a pool, and for how long
// in all.
type Waits struct {
	Count uint64
	Total time.Duration
}

func (t *turns) stats() Waits { return t.waits.stats() }

// waitStats counts waits and sums their time.
type waitStats struct {
	count atomic.Uint64
	total atomic.Int64 // nanoseconds
}

// since counts a wait that began at start and ends now.
func (w *waitStats) since(start time.Time) {
	w.count.Add(1)
	w.total.Add(int64(time.Since(start)))
}

func (w *waitStats) stats() Waits {
	return Waits{Count: w.count.Load(), Total: time.Duration(w.total.Load())}
}

// done ends a turn: the oldest waiter's begins.
func (t *turns) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.waiting) == 0 {
		t.free++
		return
	}
	close(t.waiting[0])
	t.waiting[0] = nil
	t.waiting = t.waiting[1:]
}

// propertyTurns lines up, in this process, the writes to each property,
// so that with PostgreSQL only one transaction per property at a time
// waits on that property's row lock (see lockProperties): when a row lock
// is released PostgreSQL wakes every transaction waiting on it, and with
// 19 writers to one hotel waking, re-checking and sleeping again cost
// three quarters of the throughput.
type propertyTurns struct {
	mu sync.Mutex
	m  map[string]*propertyTurn
}

type propertyTurn struct {
	turns *turns
	users int // holding or waiting; the entry goes when none is left
}

// take waits for the turn of each of ids (valid ids, sorted, each once),
// in order, so that two takers of overlapping sets cannot wait on each
// other. It returns the function that ends them all; on an error it has
// ended those it had.
func (q *propertyTurns) take(ctx context.Context, ids []string) (done func(), err error) {
	var held []string
	done = func() {
		for _, id := range held {
			q.leave(id)
		}
	}
	for _, id := range ids {
		if err := q.join(id).take(ctx); err != nil {
			q.drop(id)
			done()
			return nil, err
		}
		held = append(held, id)
	}
	return done, nil
}

// join counts a user of id's turns and returns them.
func (q *propertyTurns) join(id string) *turns {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.m == nil {
		q.m = map[string]*propertyTurn{}
	}
	pt := q.m[id]
	if pt == nil {
		pt = &propertyTurn{turns: newTurns(1)}
		q.m[id] = pt
	}
	pt.users++
	return pt.turns
}

// leave ends a user's turn at id.
func (q *propertyTurns) leave(id string) {
	q.mu.Lock()
	pt := q.m[id]
	q.mu.Unlock()
	pt.turns.done()
	q.drop(id)
}

// drop uncounts a user of id, which holds no turn.
func (q *propertyTurns) drop(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pt := q.m[id]
	if pt.users--; pt.users == 0 {
		delete(q.m, id)
	}
}
