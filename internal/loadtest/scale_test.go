package loadtest

import (
	"context"
	"io"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestSeedPortfolio seeds a portfolio of two properties and reads back
// what it promises: every rate plan's rate and every room type's
// availability on the first and the last of its days, and the bookings'
// revisions waiting in the feed.
func TestSeedPortfolio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		seed, err := Seed(ctx, st, 2, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(seed.properties) != 2 || !seed.booked || seed.drained == "" {
			t.Fatalf("seeded %d properties, booked %v, drained %q", len(seed.properties), seed.booked, seed.drained)
		}
		if n, err := st.FeedBacklog(ctx); err != nil || n != 2*BookingsPerProperty {
			t.Fatalf("feed backlog %d, %v; want %d", n, err, 2*BookingsPerProperty)
		}
		owner, err := st.UserPrincipal(ctx, mustOwner(t, st))
		if err != nil {
			t.Fatal(err)
		}
		last := seed.first + ARIDays - 1
		for _, prop := range seed.properties {
			q := keycard.ARIQuery{PropertyID: prop, From: last, To: last}
			grid, err := st.Restrictions(ctx, owner, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(grid.Options) != RatePlans {
				t.Fatalf("%d options, want %d", len(grid.Options), RatePlans)
			}
			for _, o := range grid.Options {
				if d := o.Days[0]; d.Set&keycard.FieldRate == 0 || d.Rate < 10000 || d.MinStayArrival < 1 {
					t.Fatalf("option %s on the last day: %+v", o.ID, d)
				}
			}
			avail, err := st.Availability(ctx, owner, keycard.ARIQuery{PropertyID: prop, From: seed.first, To: last})
			if err != nil {
				t.Fatal(err)
			}
			if len(avail.RoomTypes) != RoomTypes {
				t.Fatalf("%d room types, want %d", len(avail.RoomTypes), RoomTypes)
			}
			// The last day is booked by no one: all 10 are there.
			if d := avail.RoomTypes[0].Days; len(d) != ARIDays || d[len(d)-1] != 10 {
				t.Fatalf("availability of %s: %d days, the last %d", avail.RoomTypes[0].ID, len(d), d[len(d)-1])
			}
		}
	})
}

func mustOwner(t *testing.T, st *store.Store) string {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), "bench@keycard.invalid")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
