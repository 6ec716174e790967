package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// queueWaiters starts one goroutine per ctx, in order, each taking a turn
// of t and recording its index when it has one; each is queued before the
// next starts. It returns a channel per goroutine, closed when it returns,
// and wait, which waits for all and gives the order turns were had and
// their errors by index.
func queueWaiters(t *turns, ctxs []context.Context) (returned []chan struct{}, wait func() ([]int, []error)) {
	queued := make(chan struct{})
	t.queued = func() { queued <- struct{}{} }
	var mu sync.Mutex
	var order []int
	errs := make([]error, len(ctxs))
	var wg sync.WaitGroup
	for i, ctx := range ctxs {
		returned = append(returned, make(chan struct{}))
		wg.Go(func() {
			defer close(returned[i])
			if errs[i] = t.take(ctx); errs[i] != nil {
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			t.done()
		})
		<-queued
	}
	return returned, func() ([]int, []error) {
		wg.Wait()
		return order, errs
	}
}

func TestTurnsInOrder(t *testing.T) {
	q := newTurns(1)
	if err := q.take(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctxs := make([]context.Context, 8)
	for i := range ctxs {
		ctxs[i] = t.Context()
	}
	_, wait := queueWaiters(q, ctxs)
	q.done()
	order, errs := wait()
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(order, want) {
		t.Errorf("turns were had in the order %v, want %v", order, want)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := q.stats().Count; n != 8 {
		t.Errorf("%d waits counted, want 8", n)
	}
}

// A caller that gives up leaves the queue: those behind it move up, and
// the turns left over are all there.
func TestTurnsGivenUp(t *testing.T) {
	q := newTurns(2)
	for range 2 {
		if err := q.take(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	gone, cancel := context.WithCancel(t.Context())
	ctxs := []context.Context{t.Context(), gone, t.Context()}
	returned, wait := queueWaiters(q, ctxs)
	cancel()
	<-returned[1] // waiter 1 left; the two turns go to waiters 0 and 2
	q.done()
	q.done()
	order, errs := wait()
	slices.Sort(order) // the two turns are had at once
	if want := []int{0, 2}; !slices.Equal(order, want) {
		t.Errorf("turns were had by %v, want %v", order, want)
	}
	if !errors.Is(errs[1], context.Canceled) || errs[0] != nil || errs[2] != nil {
		t.Errorf("errors %v, want only waiter 1's to be context.Canceled", errs)
	}
	if q.free != 2 || len(q.waiting) != 0 {
		t.Errorf("after all: %d free, %d waiting; want 2 and 0", q.free, len(q.waiting))
	}
}

// TestPropertyTurns checks that writers of one property go one at a time,
// in order, that writers of other properties do not wait for them, and
// that nothing is left behind once all are done.
func TestPropertyTurns(t *testing.T) {
	var q propertyTurns
	first, err := q.take(t.Context(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	// c is free: no wait.
	other, err := q.take(t.Context(), []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	other()

	// Three more writers of b queue behind the first, in order; each
	// records itself once it has the turn.
	turnsOfB := q.join("b")
	q.drop("b")
	queued := make(chan struct{})
	turnsOfB.queued = func() { queued <- struct{}{} }
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			done, err := q.take(t.Context(), []string{"b"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			done()
		})
		<-queued
	}
	// One gives up while queued for a and b (it holds neither after).
	gone, cancel := context.WithCancel(t.Context())
	turnsOfA := q.join("a")
	q.drop("a")
	turnsOfA.queued = func() { queued <- struct{}{} }
	gaveUp := make(chan error)
	go func() {
		_, err := q.take(gone, []string{"a", "b"})
		gaveUp <- err
	}()
	<-queued
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("a writer that gave up: %v, want context.Canceled", err)
	}

	first()
	wg.Wait()
	if want := []int{0, 1, 2}; !slices.Equal(order, want) {
		t.Errorf("writers of b had their turns in the order %v, want %v", order, want)
	}
	if len(q.m) != 0 {
		t.Errorf("%d properties left in the queues after every writer was done", len(q.m))
	}
}
