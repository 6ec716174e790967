package store

import (
	"context"
	"fmt"
)

// FeedBacklog returns how many booking revisions, over every property,
// wait in the feed unacked, from the per-property counts the revisions
// and acks keep.
func (s *Store) FeedBacklog(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(unacked), 0) FROM booking_feed_counts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: feed backlog: %w", err)
	}
	return n, nil
}
