package store_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestListPropertiesTotal checks the total that comes with each page:
// the same on every page, past the last one, and when nothing matches.
func TestListPropertiesTotal(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		st := storetest.Open(t, cfg)
		u, _, err := st.CreateOwner(ctx, "owner@hotel.example", "password1", "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.UserPrincipal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := st.CreateProperty(ctx, p, &keycard.Property{Title: "Hotel " + strconv.Itoa(i), Currency: "EUR",
				Settings: keycard.DefaultPropertySettings()}, ""); err != nil {
				t.Fatal(err)
			}
		}
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
		} {
			q := keycard.ListQuery{Page: tc.page, Limit: tc.limit}
			if tc.filter != "" {
				q.Filters = []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{tc.filter}}}
			}
			items, total, err := st.ListProperties(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != tc.items || total != tc.total {
				t.Errorf("page %d of %d, title %q: got %d items of %d, want %d of %d", tc.page, tc.limit, tc.filter, len(items), total, tc.items, tc.total)
			}
		}
	})
}
