package store

import "context"

// ChannelOutboxRows counts the outbox rows of a channel: the ranges of
// cells queued for it.
func ChannelOutboxRows(ctx context.Context, s *Store, channelID string) (int, error) {
	var n int
	err := s.read(ctx, func(t *tx) error {
		return t.QueryRow(ctx, `SELECT COUNT(*) FROM channel_outbox WHERE channel_id = ?`, channelID).Scan(&n)
	})
	return n, err
}
