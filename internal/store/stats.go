package store

import (
	"context"
	"database/sql"
	"errors"
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

// Empty reports whether the database holds no user at all: a database
// that nothing has been created in yet (migrations aside).
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var one int
	switch err := s.db.QueryRowContext(ctx, `SELECT 1 FROM users LIMIT 1`).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: empty: %w", err)
	}
	return false, nil
}
