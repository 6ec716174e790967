package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// holdARIWrites holds what writes to h's property wait for (see
// store.HoldWrites) until release is called. Meanwhile writeQueued hears
// each ARI write that queues for it (a group's leader), and groupQueued
// each that joins a group's queue; ran, if not nil, hears the size of
// each group written.
func holdARIWrites(h *hotel, ran func(n int)) (writeQueued, groupQueued chan struct{}, release func()) {
	writeQueued, groupQueued = make(chan struct{}), make(chan struct{})
	store.WatchARIGroups(h.st, func() { groupQueued <- struct{}{} }, ran)
	return writeQueued, groupQueued, store.HoldWrites(h.st, h.property, func() { writeQueued <- struct{}{} })
}

// TestARIWritesGrouped holds what writes to a property wait for (SQLite's
// writer; with PostgreSQL, the property's turn) while restriction writes
// to it queue, so that they are written as one group, and checks that the
// group leaves what the same writes would one after the other, in the
// order they came: the later value of a cell wins, each write has its
// own task, a write that fails its checks (too many cells) leaves no
// trace and does not fail the others, and a write whose caller left
// while it was queued is not applied.
func TestARIWritesGrouped(t *testing.T) {
	storetest.Each(t, testARIWritesGrouped)
}

func testARIWritesGrouped(t *testing.T, cfg store.Config) {
	h := newHotel(t, cfg)
	ctx := context.Background()
	hook, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "ari:rate:*:" + h.a.ID, IsActive: true, SendData: true})
	store.UnweighARIGroups(h.st) // the write of too many cells spans a million dates
	var groups []int
	writeQueued, groupQueued, release := holdARIWrites(h, func(n int) { groups = append(groups, n) })

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
	// Each write's webhook delivery carries its own values.
	heard := map[string]int{}
	for _, d := range deliveries(t, h.st, h.owner, hook.ID) {
		for _, e := range d["payload"].([]any) {
			heard[e.(map[string]any)["rate"].(string)]++
		}
	}
	if want := map[string]int{"101.00": 10, "102.00": 10, "104.00": 5}; !maps.Equal(heard, want) {
		t.Errorf("rates heard by the webhook %v, want %v", heard, want)
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
	storetest.Each(t, testAvailabilityWritesGrouped)
}

func testAvailabilityWritesGrouped(t *testing.T, cfg store.Config) {
	h := newHotel(t, cfg)
	ctx := context.Background()
	var groups []int
	writeQueued, groupQueued, release := holdARIWrites(h, func(n int) { groups = append(groups, n) })
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

// TestChannelsHearGroupedWrites: writes to rates and to availability,
// each pair written as one group (rates and availability have a group
// each), reach the property's channel, which
// ends with what the store holds.
func TestChannelsHearGroupedWrites(t *testing.T) {
	storetest.Each(t, testChannelsHearGroupedWrites)
}

func testChannelsHearGroupedWrites(t *testing.T, cfg store.Config) {
	r := newChannelRig(t, cfg)
	h := r.h
	ctx := context.Background()
	r.drain(t, 3)
	writeQueued, groupQueued, release := holdARIWrites(h, nil)
	errs := make(chan error, 4)
	days := func(from, to keycard.Date) keycard.Dates {
		return keycard.Dates{From: r.today + from, To: r.today + to, Days: keycard.EveryDay}
	}
	rates := func(plan, rate string, from, to keycard.Date) {
		_, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: plan,
			Dates: days(from, to), Rate: json.RawMessage(rate)}})
		errs <- err
	}
	avail := func(n int32, from, to keycard.Date) {
		_, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
			Dates: days(from, to), Availability: n}})
		errs <- err
	}
	go rates(h.a.ID, `"150.00"`, 0, 4)
	<-writeQueued
	go rates(h.b.ID, `"160.00"`, 3, 8)
	<-groupQueued
	go avail(3, 1, 2) // leads the group of availability writes
	<-writeQueued
	go avail(4, 2, 6)
	<-groupQueued
	release()
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := r.drain(t, 5); n == 0 {
		t.Fatal("the grouped writes pushed nothing")
	}
	r.converged(t)
}
