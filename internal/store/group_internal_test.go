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

// TestGroupLeaveWhileQueued checks that a caller whose context ends while
// its job is queued gets the context's error and its job never runs, and
// that the others run in the order they queued.
func TestGroupLeaveWhileQueued(t *testing.T) {
	g := group[string]{waits: &waitStats{}}
	queued := make(chan struct{})
	g.queued = func() { queued <- struct{}{} }
	started, hold := make(chan struct{}), make(chan struct{})
	var got [][]string
	run := func(gather func() []string) {
		if len(got) == 0 {
			close(started)
			<-hold
		}
		got = append(got, gather())
	}
	results := make(chan error, 4)
	go func() { results <- g.do(context.Background(), "lead", run) }()
	<-started
	// The leader gathers only when released: the others queue behind it.
	for _, job := range []string{"a", "b"} {
		go func() { results <- g.do(context.Background(), job, run) }()
		<-queued
	}
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() { left <- g.do(ctx, "leaves", run) }()
	<-queued
	go func() { results <- g.do(context.Background(), "c", run) }()
	<-queued
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that left got %v, want context.Canceled", err)
	}
	close(hold)
	for range 4 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if w := g.waits.stats(); w.Count != 4 {
		t.Errorf("%d waits counted, want 4 (every caller that queued, the one that left too)", w.Count)
	}
	if len(got) != 1 || len(got[0]) != 4 || got[0][0] != "lead" || got[0][1] != "a" || got[0][2] != "b" || got[0][3] != "c" {
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
	queued := make(chan struct{})
	g.queued = func() { queued <- struct{}{} }
	started, hold := make(chan struct{}), make(chan struct{})
	var got [][]int
	run := func(gather func() []int) {
		if len(got) == 0 {
			close(started)
			<-hold
		}
		got = append(got, gather())
	}
	weights := []int{maxGroupWeight / 2, maxGroupWeight / 4, maxGroupWeight / 4, 1, maxGroupWeight + 1, 1}
	results := make(chan error, len(weights))
	go func() { results <- g.do(context.Background(), weights[0], run) }()
	<-started
	for _, w := range weights[1:] {
		go func() { results <- g.do(context.Background(), w, run) }()
		<-queued
	}
	close(hold)
	for range weights {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	want := [][]int{weights[:3], weights[3:4], weights[4:5], weights[5:]}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("groups %v, want %v", got, want)
	}
}
