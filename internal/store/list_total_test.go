package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestListPropertiesTotal checks the total that comes with each page:
// the same on every page, past the last one, and when nothing matches,
// for a principal whose reach is read in the query and for one carrying
// its reach, cached with its credential (the page then comes from the
// property cache, and must be the query's).
func TestListPropertiesTotal(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		st := storetest.Open(t, cfg)
		p := newOwner(t, st)
		var ids []string
		for i := range 3 {
			prop, err := st.CreateProperty(ctx, p, &keycard.Property{Title: "Hotel " + strconv.Itoa(2-i), Currency: "EUR",
				Settings: keycard.DefaultPropertySettings()}, "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, prop.ID)
		}
		cached := *p
		cached.Reach = keycard.NewReach(ids)
		for _, tc := range []struct {
			page, limit int
			filter      string
			items       int
			total       int
		}{
			{1, 2, "", 2, 3},
			{2, 2, "", 1, 3},
			{3, 2, "", 0, 3},
			{1, 10, "Hotel 1", 1, 1},
			{1, 10, "Nowhere", 0, 0},
			{2, 10, "Nowhere", 0, 0},
			{1, 3, "", 3, 3},
			{2, 3, "", 0, 3},
			{1, 1, "Hotel 2", 1, 1},
			{2, 1, "Hotel 2", 0, 1},
		} {
			q := keycard.ListQuery{Page: tc.page, Limit: tc.limit}
			if tc.filter != "" {
				q.Filters = []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{tc.filter}}}
			}
			var first []string // the ids of the live reach's page
			for _, who := range []*keycard.Principal{p, &cached} {
				items, total, err := st.ListProperties(ctx, who, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) != tc.items || total != tc.total {
					t.Errorf("page %d of %d, title %q, cached reach %t: got %d items of %d, want %d of %d",
						tc.page, tc.limit, tc.filter, who.Reach != nil, len(items), total, tc.items, tc.total)
				}
				var ids []string
				for _, it := range items {
					ids = append(ids, it.ID)
				}
				if who == p {
					first = ids
				} else if !slices.Equal(ids, first) {
					t.Errorf("page %d of %d, title %q: the cached reach's page %v is not the query's %v", tc.page, tc.limit, tc.filter, ids, first)
				}
			}
		}
	})
}
