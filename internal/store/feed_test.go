package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestFeedPagesByReach: the feed reads the same pages whether the reach
// is a cached set of ids (which PostgreSQL reads property by property) or
// worked out in the query: every page, with and without a filter, with
// an acked revision left out.
func TestFeedPagesByReach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := autoHotel(t, cfg, 20)
		ctx := context.Background()
		var ids []string
		for i := range 4 {
			ids = append(ids, h.save(t, h.st, "", "F-"+string(rune('a'+i)), keycard.StatusNew, stay{0, 1}))
		}
		h.save(t, h.st, ids[1], "", keycard.StatusModified, stay{0, 2})
		h.save(t, h.st, ids[3], "", keycard.StatusModified, stay{1, 2})
		h.save(t, h.st, ids[2], "", keycard.StatusCancelled)
		b, err := h.st.Booking(ctx, h.owner, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := h.st.AckRevision(ctx, h.owner, b.RevisionID); err != nil {
			t.Fatal(err)
		}
		cached := *h.owner
		cached.Reach = keycard.NewReach([]string{h.property})
		worked := *h.owner
		worked.Reach = nil
		pages := func(p *keycard.Principal, filters []keycard.Filter) (all []string, total int) {
			for page := 1; ; page++ {
				list, n, err := h.st.ListBookingRevisions(ctx, p, keycard.ListQuery{Page: page, Limit: 2, Filters: filters}, true)
				if err != nil {
					t.Fatal(err)
				}
				total = n
				for _, r := range list {
					all = append(all, r.RevisionID)
				}
				if len(list) < 2 {
					return all, total
				}
			}
		}
		for _, filters := range [][]keycard.Filter{nil, {{Field: "status", Op: keycard.OpEq, Values: []string{"modified"}}}} {
			want, wantTotal := pages(&worked, filters)
			got, total := pages(&cached, filters)
			if strings.Join(got, ",") != strings.Join(want, ",") || total != wantTotal {
				t.Errorf("filters %v: cached reach reads %v (total %d), the query's reach %v (total %d)", filters, got, total, want, wantTotal)
			}
			if filters == nil && len(want) != 6 {
				t.Errorf("the feed holds %d revisions, want 6 (7 written, 1 acked)", len(want))
			}
		}
	})
}
