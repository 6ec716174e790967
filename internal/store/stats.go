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

// Size returns how many bytes the database takes: SQLite's pages in use
// and free (page_count × page_size; a write-ahead log not yet checkpointed
// aside), PostgreSQL's pg_database_size of the current database.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	q := `SELECT pg_database_size(current_database())`
	if s.dialect.name() != "postgres" {
		q = `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	return n, nil
}
