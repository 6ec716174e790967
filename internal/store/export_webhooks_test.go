package store

import (
	"context"

	"github.com/keycard/keycard/internal/keycard"
)

// EnqueueRevisionForTest runs enqueueRevision in a transaction of its own,
// as the booking revision writer runs it in its own.
func (s *Store) EnqueueRevisionForTest(ctx context.Context, n keycard.RevisionNotice) error {
	return s.write(ctx, func(t *tx) error { return s.enqueueRevision(ctx, t, n) })
}
