package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// channelEvent records a change of channel c by p among the channel's
// events: the audit event's name without its "channel." prefix (created,
// changed, activated, deactivated), with details as its payload.
func (s *Store) channelEvent(ctx context.Context, t *tx, p *keycard.Principal, c *keycard.Channel, event string, details map[string]any) error {
	payload := map[string]any{}
	for k, v := range details {
		payload[k] = v
	}
	if p.ViaAPIKey() {
		payload["api_key_id"] = p.APIKeyID
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: channel event: %w", err)
	}
	return t.addChannelEvent(ctx, &keycard.ChannelEvent{ChannelID: c.ID, PropertyID: c.PropertyID,
		Type: strings.TrimPrefix(event, "channel."), Payload: body, UserID: p.UserID, CreatedAt: s.now()})
}

// channelFullSync queues a full sync of a channel (see
// queueChannelFullSync).
func (s *Store) channelFullSync(ctx context.Context, t *tx, channelID string) error {
	return t.queueChannelFullSync(ctx, channelID)
}

// channelRuleChanged queues, for the channels a rule affected (before)
// or affects (after), the days of the room types' mapped rate plans on
// the rule's dates: what they receive changes.
func (s *Store) channelRuleChanged(ctx context.Context, t *tx, before, after *keycard.ChannelAvailabilityRule) error {
	for _, r := range []*keycard.ChannelAvailabilityRule{before, after} {
		if r == nil {
			continue
		}
		if err := t.markChannelRoomTypes(ctx, r.ChannelIDs, r.RoomTypeIDs, r.StartDate, r.EndDate); err != nil {
			return err
		}
	}
	return nil
}
