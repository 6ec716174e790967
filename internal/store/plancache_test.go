package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestRatePlansSeenByARIWrites: ARI writes and reads use each property's
// rate plans as cached, and see at once a plan made, changed or deleted,
// through this store or through another one on the same database (another
// server, the CLI), with no watch running.
func TestRatePlansSeenByARIWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		other := storetest.Open(t, cfg)
		write := func(planID, rate string) keycard.FieldErrors {
			t.Helper()
			res, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: planID,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: json.RawMessage(`"` + rate + `"`)}})
			if err != nil {
				t.Fatal(err)
			}
			return res.Warnings[0]
		}
		read := func(planID string) int {
			t.Helper()
			grid, err := h.st.Restrictions(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0, IDs: []string{planID}})
			if err != nil {
				t.Fatal(err)
			}
			return len(grid.Options)
		}
		if fe := write(h.a.ID, "120.00"); fe != nil {
			t.Fatalf("write to A: %v", fe)
		}
		occ, primary := 2, true
		made, err := other.CreateRatePlan(ctx, h.owner, h.property, &keycard.RatePlanChange{Title: new("Made elsewhere"), RoomTypeID: &h.rt,
			OptionsSent: true, Options: []keycard.RateOptionChange{{Occupancy: &occ, IsPrimary: &primary, Rate: json.RawMessage(`"90"`)}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fe := write(made.ID, "95.00"); fe != nil {
			t.Errorf("write to a plan another store just made: %v", fe)
		}
		if n := read(made.ID); n != 1 {
			t.Errorf("read of a plan another store just made: %d options, want 1", n)
		}
		if err := other.DeleteRatePlan(ctx, h.owner, made.ID); err != nil {
			t.Fatal(err)
		}
		if fe := write(made.ID, "96.00"); fe == nil || fe["rate_plan_id"] == nil {
			t.Errorf("write to a plan another store just deleted: %v, want rate_plan_id not found", fe)
		}
		if n := read(made.ID); n != 0 {
			t.Errorf("read of a deleted plan: %d options", n)
		}
	})
}
