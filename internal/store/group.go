package store

import (
	"context"
	"slices"
	"sync"
	"time"
)

// maxGroup is the most jobs one group write runs together.
const maxGroup = 64

// maxGroupWeight bounds the work of a group, in what its jobs' weigh
// gives (for ARI writes, dates: see ariJob.days): a group holds the
// writer, and the other writes that queued behind it (bookings) wait for
// the whole group. A job heavier than that alone makes a group of its
// own.
const maxGroupWeight = 100_000

// group runs jobs that callers submit at the same time together, one
// group at a time: group commit. With SQLite, writes run one after the
// other, and each pays for its transaction (BEGIN, the commit's WAL
// frames) and for its statements; jobs written in one transaction pay
// for one, and jobs that write the same rows (a PMS sending a rate
// again and again) can write them once for all.
//
// The first caller leads: it runs a group of its own job and those that
// queued meanwhile, then hands the lead to the first caller still
// queued, whose job leads the next group. No job waits for a timer: a
// group is what gathered while the one before it was written.
type group[J any] struct {
	mu      sync.Mutex
	leading bool
	queue   []*member[J]

	// waits, when set, counts the callers that queued here (to be
	// written by another's group, or to lead the next), and their wait.
	waits *waitStats
	// weigh, when set, is a job's weight: a group takes queued jobs
	// while their weights, its leader's included, add up to at most
	// maxGroupWeight.
	weigh func(J) int

	// queued and ran, when set (by tests), are called after a caller
	// joins the queue, before it blocks, and after a group of n jobs has
	// run.
	queued func()
	ran    func(n int)
}

// member is one caller's job in a group's queue.
type member[J any] struct {
	job  J
	done chan bool // true: lead the next group; false: the job has run
}

// do runs job in a group, and returns when it has run. run is called by
// one caller at a time, with gather, which it calls at most once (when
// it is ready to write) for the group's jobs: job first, then, in the
// order they queued, up to maxGroup-1 that queued, as long as their
// weights allow. run gives each job it gathers its outcome, in
// the job itself. do returns ctx's error, and job does not run, when ctx
// ends while job is still queued.
func (g *group[J]) do(ctx context.Context, job J, run func(gather func() []J)) error {
	m := &member[J]{job: job, done: make(chan bool, 1)}
	g.mu.Lock()
	if !g.leading {
		g.leading = true
		g.mu.Unlock()
		g.lead(m, run)
		return nil
	}
	g.queue = append(g.queue, m)
	queued := g.queued
	g.mu.Unlock()
	if g.waits != nil {
		defer g.waits.since(time.Now())
	}
	if queued != nil {
		queued()
	}
	var lead bool
	select {
	case lead = <-m.done:
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(g.queue, m); i >= 0 {
			g.queue = slices.Delete(g.queue, i, i+1)
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Unlock()
		// Gathered, or given the lead: either way, too late to leave.
		lead = <-m.done
	}
	if lead {
		g.lead(m, run)
	}
	return nil
}

// lead runs the group that m leads, then passes the lead on.
func (g *group[J]) lead(m *member[J], run func(gather func() []J)) {
	var taken []*member[J]
	size := 0
	// Deferred, so that a panic in run, which net/http recovers from,
	// does not leave the queue without a leader.
	defer g.passOn(&taken)
	run(func() []J {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup-1)
		if g.weigh != nil {
			w := g.weigh(m.job)
			for i := range n {
				if w += g.weigh(g.queue[i].job); w > maxGroupWeight {
					n = i
					break
				}
			}
		}
		taken = slices.Clone(g.queue[:n])
		g.queue = slices.Delete(g.queue, 0, n)
		g.mu.Unlock()
		jobs := make([]J, 0, 1+n)
		jobs = append(jobs, m.job)
		for _, t := range taken {
			jobs = append(jobs, t.job)
		}
		size = len(jobs)
		return jobs
	})
	if g.ran != nil && size > 0 {
		g.ran(size)
	}
}

// passOn tells the members taken into a group that their jobs ran, and
// gives the lead to the first member queued, if any.
func (g *group[J]) passOn(taken *[]*member[J]) {
	for _, t := range *taken {
		t.done <- false
	}
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.queue = slices.Delete(g.queue, 0, 1)
	g.mu.Unlock()
	next.done <- true
}

// groups keeps a group for each key that has callers: with PostgreSQL,
// where writes to different properties run at once, a group per property;
// with SQLite, one. A key's group is dropped when its last caller
// returns, so that groups do not grow with the portfolio.
type groups[J any] struct {
	mu sync.Mutex
	m  map[string]*keyedGroup[J]

	waits waitStats   // of all its groups
	weigh func(J) int // see group

	// queued and ran are given to each group made (see group), for tests.
	queued func()
	ran    func(n int)
}

type keyedGroup[J any] struct {
	group[J]
	callers int
}

// do is group.do in key's group.
func (gs *groups[J]) do(ctx context.Context, key string, job J, run func(gather func() []J)) error {
	gs.mu.Lock()
	g := gs.m[key]
	if g == nil {
		if gs.m == nil {
			gs.m = map[string]*keyedGroup[J]{}
		}
		g = &keyedGroup[J]{}
		g.queued, g.ran, g.waits, g.weigh = gs.queued, gs.ran, &gs.waits, gs.weigh
		gs.m[key] = g
	}
	g.callers++
	gs.mu.Unlock()
	defer func() {
		gs.mu.Lock()
		defer gs.mu.Unlock()
		if g.callers--; g.callers == 0 {
			delete(gs.m, key)
		}
	}()
	return g.do(ctx, job, run)
}
