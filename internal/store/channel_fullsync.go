package store

import "context"

// RequestChannelFullSync queues a full sync of the connection whose
// request_full_sync this is (spec §1.10): its ARI goes to it again in
// full, in the background, as on activation.
func (s *Store) RequestChannelFullSync(ctx context.Context, ch *InboundChannel) error {
	return s.write(ctx, func(t *tx) error { return s.channelFullSync(ctx, t, ch.ID) })
}
