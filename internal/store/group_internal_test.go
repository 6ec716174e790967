package store

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroupRunsEachJobOnce submits jobs from many goroutines at once:
// every job runs exactly once, its caller returns only after, one group
// runs at a time, and none is larger than maxGroup.
func TestGroupRunsEachJobOnce(t *testing.T) {
	var g group[*int]
	const callers = 500
	var running atomic.Bool
	ran := make([]atomic.Int32, callers)
	var groups, overlaps, oversized atomic.Int32
	run := func(gather func() []*int) {
		if !running.CompareAndSwap(false, true) {
			overlaps.Add(1)
		}
		jobs := gather()
		if len(jobs) > maxGroup {
			oversized.Add(1)
		}
		groups.Add(1)
		for _, j := range jobs {
			ran[*j].Add(1)
			runtime.Gosched() // a group takes time, in which others queue
		}
		running.Store(false)
	}
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			if err := g.do(context.Background(), &i, run); err != nil {
				t.Errorf("job %d: %v", i, err)
			}
			if n := ran[i].Load(); n != 1 {
				t.Errorf("job %d returned having run %d times", i, n)
			}
		})
	}
	wg.Wait()
	if overlaps.Load() > 0 || oversized.Load() > 0 {
		t.Errorf("%d groups ran alongside another, %d were over %d jobs", overlaps.Load(), oversized.Load(), maxGroup)
	}
	if g.leading || len(g.queue) > 0 {
		t.Errorf("after the last group: leading %v, %d queued", g.leading, len(g.queue))
	}
	t.Logf("%d jobs in %d groups", callers, groups.Load())
}

// heldGroup is a run for group tests that records the groups it runs,
// and holds the first, before it gathers, until hold is closed, so that
// the jobs submitted meanwhile queue behind it: started is closed when
// the first group's run has begun, and queued hears each job that joins
// g's queue.
type heldGroup[J any] struct {
	started, hold, queued chan struct{}
	got                   [][]J
}

func holdFirstGroup[J any](g *group[J]) *heldGroup[J] {
	h := &heldGroup[J]{started: make(chan struct{}), hold: make(chan struct{}), queued: make(chan struct{})}
	g.queued = func() { h.queued <- struct{}{} }
	return h
}

func (h *heldGroup[J]) run(gather func() []J) {
	if len(h.got) == 0 {
		close(h.started)
		<-h.hold
	}
	h.got = append(h.got, gather())
}

// TestGroupLeaveWhileQueued checks that a caller whose context ends while
// its job is queued gets the context's error and its job never runs, and
// that the others run in the order they queued.
func TestGroupLeaveWhileQueued(t *testing.T) {
	g := group[string]{waits: &waitStats{}}
	h := holdFirstGroup(&g)
	results := make(chan error, 4)
	go func() { results <- g.do(context.Background(), "lead", h.run) }()
	<-h.started
	// The leader gathers only when released: the others queue behind it.
	for _, job := range []string{"a", "b"} {
		go func() { results <- g.do(context.Background(), job, h.run) }()
		<-h.queued
	}
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() { left <- g.do(ctx, "leaves", h.run) }()
	<-h.queued
	go func() { results <- g.do(context.Background(), "c", h.run) }()
	<-h.queued
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that left got %v, want context.Canceled", err)
	}
	close(h.hold)
	for range 4 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if w := g.waits.stats(); w.Count != 4 {
		t.Errorf("%d waits counted, want 4 (every caller that queued, the one that left too)", w.Count)
	}
	if got := h.got; len(got) != 1 || len(got[0]) != 4 || got[0][0] != "lead" || got[0][1] != "a" || got[0][2] != "b" || got[0][3] != "c" {
		t.Errorf("groups %q, want one: lead, a, b, c", got)
	}
}

// TestGroupsPerKey: jobs of different keys never share a group, and a
// key's group is dropped once its last caller has returned.
func TestGroupsPerKey(t *testing.T) {
	var gs groups[string]
	var mixed atomic.Int32
	run := func(gather func() []string) {
		jobs := gather()
		for _, j := range jobs {
			if j != jobs[0] {
				mixed.Add(1)
			}
		}
	}
	var wg sync.WaitGroup
	for i := range 300 {
		key := string(rune('a' + i%3))
		wg.Go(func() {
			if err := gs.do(context.Background(), key, key, run); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if mixed.Load() > 0 {
		t.Errorf("%d jobs were written in another key's group", mixed.Load())
	}
	if len(gs.m) != 0 {
		t.Errorf("%d groups kept after their callers returned", len(gs.m))
	}
}

// TestGroupWeights: a group takes queued jobs, in order, only while their
// weights and its leader's add up to at most maxGroupWeight; the job that
// would pass it leads the next group.
func TestGroupWeights(t *testing.T) {
	g := group[int]{weigh: func(w int) int { return w }}
	h := holdFirstGroup(&g)
	weights := []int{maxGroupWeight / 2, maxGroupWeight / 4, maxGroupWeight / 4, 1, maxGroupWeight + 1, 1}
	results := make(chan error, len(weights))
	go func() { results <- g.do(context.Background(), weights[0], h.run) }()
	<-h.started
	for _, w := range weights[1:] {
		go func() { results <- g.do(context.Background(), w, h.run) }()
		<-h.queued
	}
	close(h.hold)
	for range weights {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	want := [][]int{weights[:3], weights[3:4], weights[4:5], weights[5:]}
	if !slices.EqualFunc(h.got, want, slices.Equal) {
		t.Errorf("groups %v, want %v", h.got, want)
	}
}
