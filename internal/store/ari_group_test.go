package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestARIWritesGrouped holds SQLite's writer while restriction writes
// queue, so that they are written as one group, and checks that the
// group leaves what the same writes would one after the other, in the
// order they came: the later value of a cell wins, each write has its
// own task, a write that fails its checks (too many cells) leaves no
// trace and does not fail the others, and a write whose caller left
// while it was queued is not applied.
func TestARIWritesGrouped(t *testing.T) {
	cfg := storetest.Config(t, "sqlite")
	h := newHotel(t, cfg)
	ctx := context.Background()
	writeQueued, groupQueued := make(chan struct{}), make(chan struct{})
	var groups []int
	store.WatchARIGroups(h.st, func() { groupQueued <- struct{}{} }, func(n int) { groups = append(groups, n) })
	release := store.HoldWrites(h.st, func() { writeQueued <- struct{}{} })

	rate := func(rate string, from, to keycard.Date) []*keycard.RestrictionChange {
		return []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
			Dates: keycard.Dates{From: h.d0 + from, To: h.d0 + to, Days: keycard.EveryDay}, Rate: json.RawMessage(rate)}}
	}
	var tooMany []*keycard.RestrictionChange
	for range store.MaxARICells/keycard.ARIHorizonDays + 1 {
		tooMany = append(tooMany, &keycard.RestrictionChange{PropertyID: h.property, RatePlanID: h.a.ID,
			Dates: keycard.Dates{From: h.d0, To: h.d0 + keycard.ARIHorizonDays - 1, Days: keycard.EveryDay}, Rate: json.RawMessage(`99999`)})
	}
	type result struct {
		res *keycard.ARIResult
		err error
	}
	apply := func(ctx context.Context, changes []*keycard.RestrictionChange) chan result {
		out := make(chan result, 1)
		go func() {
			res, err := h.st.ApplyRestrictions(ctx, h.owner, changes)
			out <- result{res, err}
		}()
		return out
	}
	first := apply(ctx, rate(`10100`, 0, 9)) // leads, and waits for the writer
	<-writeQueued
	second := apply(ctx, rate(`10200`, 0, 9))
	<-groupQueued
	failing := apply(ctx, tooMany)
	<-groupQueued
	third := apply(ctx, rate(`10400`, 0, 4))
	<-groupQueued
	leaveCtx, leave := context.WithCancel(ctx)
	leaving := apply(leaveCtx, rate(`66600`, 0, 9))
	<-groupQueued
	leave()
	if r := <-leaving; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the write whose caller left: %v, want context.Canceled", r.err)
	}
	release()

	for i, r := range []result{<-first, <-second, <-third} {
		if r.err != nil {
			t.Fatalf("write %d: %v", i, r.err)
		}
		if len(r.res.TaskIDs) != 1 {
			t.Fatalf("write %d: task ids %v, want one", i, r.res.TaskIDs)
		}
		task, err := h.st.Task(ctx, h.owner, r.res.TaskIDs[0])
		if err != nil {
			t.Fatalf("write %d: task: %v", i, err)
		}
		if task.Values != 1 || len(task.RatePlanIDs) != 1 || task.RatePlanIDs[0] != h.a.ID {
			t.Errorf("write %d: task %+v, want one value for plan a", i, task)
		}
	}
	var ke *keycard.Error
	if r := <-failing; !errors.As(r.err, &ke) || ke.Code != keycard.ETooLarge {
		t.Errorf("the write of too many cells: %v, want %s", r.err, keycard.ETooLarge)
	}
	if len(groups) != 1 || groups[0] != 4 {
		t.Errorf("groups written: %v, want one of 4 (the write that left not among them)", groups)
	}
	grid, err := h.st.Restrictions(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0 + 10, IDs: []string{h.a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range grid.Options[0].Days {
		want := int64(10200)
		switch {
		case i < 5:
			want = 10400
		case i == 10:
			want = 10000 // the plan's default: only the failing write reached this far
		}
		if d.Rate != want {
			t.Errorf("day %d: rate %d, want %d", i, d.Rate, want)
		}
	}
}

// TestAvailabilityWritesGrouped is TestARIWritesGrouped for availability:
// two writes queued behind the writer are written together, the later
// value of a day winning, each with its task.
func TestAvailabilityWritesGrouped(t *testing.T) {
	cfg := storetest.Config(t, "sqlite")
	h := newHotel(t, cfg)
	ctx := context.Background()
	writeQueued, groupQueued := make(chan struct{}), make(chan struct{})
	var groups []int
	store.WatchARIGroups(h.st, func() { groupQueued <- struct{}{} }, func(n int) { groups = append(groups, n) })
	release := store.HoldWrites(h.st, func() { writeQueued <- struct{}{} })
	apply := func(n int32, to keycard.Date) chan error {
		out := make(chan error, 1)
		go func() {
			res, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
				Dates: keycard.Dates{From: h.d0, To: h.d0 + to, Days: keycard.EveryDay}, Availability: n}})
			if err == nil && len(res.TaskIDs) != 1 {
				t.Errorf("availability %d: task ids %v, want one", n, res.TaskIDs)
			}
			out <- err
		}()
		return out
	}
	first := apply(5, 1)
	<-writeQueued
	second := apply(7, 0)
	<-groupQueued
	release()
	for _, ch := range []chan error{first, second} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if len(groups) != 1 || groups[0] != 2 {
		t.Errorf("groups written: %v, want one of 2", groups)
	}
	if got := h.avail(t); got != [2]int32{7, 5} {
		t.Errorf("availability %v, want [7 5]", got)
	}
}
