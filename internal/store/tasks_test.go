package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestTaskRetention checks that tasks older than the retention (30 days
// by default) are removed as new ones are recorded.
func TestTaskRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		write := func() string {
			t.Helper()
			res, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Availability: 1}})
			if err != nil || len(res.TaskIDs) != 1 {
				t.Fatalf("apply availability: %v, %v", res, err)
			}
			return res.TaskIDs[0]
		}
		now := time.Now()
		store.SetNow(h.st, func() time.Time { return now.Add(-31 * 24 * time.Hour) })
		old := write()
		store.SetNow(h.st, func() time.Time { return now.Add(-29 * 24 * time.Hour) })
		kept := write()
		if _, err := h.st.Task(ctx, h.owner, old); err != nil {
			t.Fatalf("the old task is gone before a task was written at its expiry: %v", err)
		}
		store.SetNow(h.st, func() time.Time { return now })
		fresh := write()
		if _, err := h.st.Task(ctx, h.owner, old); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("task of 31 days ago: err = %v, want not found", err)
		}
		for _, id := range []string{kept, fresh} {
			if _, err := h.st.Task(ctx, h.owner, id); err != nil {
				t.Errorf("task %s: %v, want it kept", id, err)
			}
		}
		list, total, err := h.st.ListTasks(ctx, h.owner, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || total != 2 || list[0].ID != fresh {
			t.Errorf("tasks: total %d, err %v; want 2, the newest first", total, err)
		}
	})
}
