package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/keycard/keycard/internal/keycard"
)

// planCache keeps each property's rate plans (with their options) as last
// read, for the ARI writes and reads that need all of a property's plans
// on every request. An entry is stamped with the auth epoch (n, view_n)
// read in the same transaction before the plans: every write to rate
// plans, their options or room types marks changeView, which moves
// view_n in its own transaction, so an entry whose stamp is the epoch a
// transaction reads holds exactly the plans that transaction would read.
// A transaction that itself changes how properties read reads from the
// database.
//
// The plans are shared: callers must not change them.
type planCache struct {
	mu sync.Mutex
	m  map[string]cachedPlans
}

type cachedPlans struct {
	epoch [2]int64
	plans []*keycard.RatePlan
}

// maxCachedPlanProperties bounds the cache; past it, it starts again
// empty.
const maxCachedPlanProperties = 10000

// propertyRatePlans returns the rate plans of property id, ordered by
// title and id, from the cache when its entry is current.
func (s *Store) propertyRatePlans(ctx context.Context, t *tx, id string) ([]*keycard.RatePlan, error) {
	const where = `rp.property_id = ? ORDER BY rp.title, rp.id`
	if t.changes != 0 {
		return s.ratePlans(ctx, t, where, []any{id})
	}
	var epoch [2]int64
	if err := t.QueryRow(ctx, `SELECT n, view_n FROM auth_epoch WHERE id = 1`).Scan(&epoch[0], &epoch[1]); err != nil {
		return nil, fmt.Errorf("store: read auth epoch: %w", err)
	}
	c := &s.plans
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && e.epoch == epoch {
		return e.plans, nil
	}
	plans, err := s.ratePlans(ctx, t, where, []any{id})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedPlanProperties {
		c.m = make(map[string]cachedPlans)
	}
	c.m[id] = cachedPlans{epoch, plans}
	return plans, nil
}
