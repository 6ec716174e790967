package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestARIRangesOverNewAndOldDays: a range written over days never written,
// over days partly written, and over days all written (which a range
// UPDATE writes), reads back day by day as written; for rates and for
// availability.
func TestARIRangesOverNewAndOldDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		d := h.d0
		rate := func(from, to keycard.Date, v string) {
			t.Helper()
			res, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
				Dates: keycard.Dates{From: d + from, To: d + to, Days: keycard.EveryDay}, Rate: json.RawMessage(`"` + v + `"`),
				Values: keycard.Restrictions{MaxStay: 9, Set: keycard.FieldMaxStay}}})
			if err != nil || res.Warnings[0] != nil {
				t.Fatalf("write rate %s: %v %v", v, err, res.Warnings[0])
			}
		}
		avail := func(from, to keycard.Date, v int32) {
			t.Helper()
			res, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
				Dates: keycard.Dates{From: d + from, To: d + to, Days: keycard.EveryDay}, Availability: v}})
			if err != nil || res.Warnings[0] != nil {
				t.Fatalf("write availability %d: %v %v", v, err, res.Warnings[0])
			}
		}
		check := func(what string, rates []int64, avails []int32) {
			t.Helper()
			rg, err := h.st.Restrictions(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: d, To: d + 14, IDs: []string{h.a.ID}})
			if err != nil {
				t.Fatal(err)
			}
			ag, err := h.st.Availability(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: d, To: d + 14, IDs: []string{h.rt}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 15 {
				if got := rg.Options[0].Days[i].Rate; got != rates[i] {
					t.Errorf("%s: rate of day %d = %d, want %d", what, i, got, rates[i])
				}
				if got := rg.Options[0].Days[i].MaxStay; got != 9 && rates[i] != 10000 {
					t.Errorf("%s: max stay of day %d = %d, want 9", what, i, got)
				}
				if got := ag.RoomTypes[0].Days[i]; got != avails[i] {
					t.Errorf("%s: availability of day %d = %d, want %d", what, i, got, avails[i])
				}
			}
		}
		fill := func(r []int64, from, to int, v int64) {
			for i := from; i <= to; i++ {
				r[i] = v
			}
		}
		rates, avails := make([]int64, 15), make([]int32, 15)
		fill(rates, 0, 14, 10000) // the plan's default
		rate(0, 9, "111.00")
		avail(0, 9, 3)
		fill(rates, 0, 9, 11100)
		for i := range 10 {
			avails[i] = 3
		}
		check("new days", rates, avails)
		rate(5, 14, "122.00")
		avail(5, 14, 4)
		fill(rates, 5, 14, 12200)
		for i := 5; i < 15; i++ {
			avails[i] = 4
		}
		check("days partly written", rates, avails)
		rate(0, 14, "133.00")
		avail(0, 14, 5)
		fill(rates, 0, 14, 13300)
		for i := range avails {
			avails[i] = 5
		}
		check("days all written", rates, avails)
		rate(2, 3, "144.00") // shorter than a range UPDATE
		fill(rates, 2, 3, 14400)
		check("a short run", rates, avails)
	})
}

// BenchmarkRestrictionsWideReach reads a week of one plan with a key
// whose cached reach holds 1,000 properties, as a portfolio's key does.
func BenchmarkRestrictionsWideReach(b *testing.B) {
	h := newHotel(b, storetest.Config(b, "sqlite"))
	ids := []string{h.property}
	for range 999 {
		ids = append(ids, keycard.NewID())
	}
	p := *h.owner
	p.Reach = keycard.NewReach(ids)
	q := keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0 + 6, IDs: []string{h.a.ID}}
	for b.Loop() {
		if _, err := h.st.Restrictions(context.Background(), &p, q); err != nil {
			b.Fatal(err)
		}
	}
}
