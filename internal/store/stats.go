package store

import (
	"context"
	"fmt"
)

// FeedBacklog returns how many booking revisions, over every property,
// wait in the feed unacked. It reads the feed's partial index.
func (s *Store) FeedBacklog(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM booking_revisions WHERE acked_at IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: feed backlog: %w", err)
	}
	return n, nil
}
