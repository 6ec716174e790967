package store

import (
	"context"

	"github.com/keycard/keycard/internal/keycard"
)

// RequestChannelFullSync queues a full sync of the connection a channel's
// request_full_sync names.
func (s *Store) RequestChannelFullSync(ctx context.Context, ch *InboundChannel) error {
	// Until the pusher lands (branch ch-push), there is nothing to queue.
	return keycard.Errorf(keycard.EInternal, "full sync is not available yet")
}
