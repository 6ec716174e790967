package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

// DeleteChannel deletes an inactive channel p may change, with its
// mappings, events and log.
func (s *Store) DeleteChannel(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		c, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		if c.IsActive {
			return keycard.Invalid("is_active", "an active channel cannot be deleted: deactivate it first")
		}
		if err := s.auditChannel(ctx, t, p, c, keycard.AuditChannelDeleted, nil); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM channels WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete channel: %w", err)
		}
		return nil
	})
}

// ActivateChannel turns on a channel p may change, when it is ready (see
// Channel.Readiness), and queues a full sync. md is the channel's
// mapping_details as it answered just now: the mappings take the
// channel's description of their plans from it. Activating an active
// channel changes nothing.
func (s *Store) ActivateChannel(ctx context.Context, p *keycard.Principal, id string, md *keycard.MappingDetails) (*keycard.Channel, error) {
	var out *keycard.Channel
	err := s.write(ctx, func(t *tx) error {
		c, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		if c.IsActive {
			out = c
			return nil
		}
		if r := c.Readiness(); len(r) > 0 {
			return keycard.Invalid("rate_plans", "the channel is not ready: map at least one rate plan (see check_readiness)")
		}
		before := slices.Clone(c.RatePlans)
		if md != nil {
			if err := c.Snapshot(md).Err(); err != nil {
				return err
			}
		}
		if !c.Snapshotted() {
			return keycard.Invalid("rate_plans", "the channel's mapping_details could not be read to check the mappings")
		}
		if err := saveChannelRatePlans(ctx, t, c, before); err != nil {
			return err
		}
		now := s.now()
		if _, err := t.Exec(ctx, `UPDATE channels SET is_active = ?, expected_removal_date = NULL, push_failures = 0, next_push_at = 0,
			updated_at = ? WHERE id = ?`, true, micros(now), id); err != nil {
			return fmt.Errorf("store: activate channel: %w", err)
		}
		if out, err = s.channel(ctx, t, p, id); err != nil {
			return err
		}
		if err := s.channelHappened(ctx, t, p, out, keycard.AuditChannelActivated, nil); err != nil {
			return err
		}
		return s.channelFullSync(ctx, t, id)
	})
	return out, err
}

// DeactivateChannel turns off a channel p may change: nothing more is
// pushed, its mappings stay, and it is due for removal 30 days on.
// Deactivating an inactive channel changes nothing.
func (s *Store) DeactivateChannel(ctx context.Context, p *keycard.Principal, id string) (*keycard.Channel, error) {
	var out *keycard.Channel
	err := s.write(ctx, func(t *tx) error {
		c, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		if !c.IsActive {
			out = c
			return nil
		}
		now := s.now()
		removal := keycard.DateOf(now.Add(keycard.ChannelRemovalDelay))
		if _, err := t.Exec(ctx, `UPDATE channels SET is_active = ?, expected_removal_date = ?, updated_at = ? WHERE id = ?`,
			false, int64(removal), micros(now), id); err != nil {
			return fmt.Errorf("store: deactivate channel: %w", err)
		}
		if out, err = s.channel(ctx, t, p, id); err != nil {
			return err
		}
		return s.channelHappened(ctx, t, p, out, keycard.AuditChannelDeactivated, nil)
	})
	return out, err
}

// FullSyncChannel queues a full sync of an active channel p may change.
func (s *Store) FullSyncChannel(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		c, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		if !c.IsActive {
			return keycard.Invalid("is_active", "an inactive channel is not synced: activate it first")
		}
		return s.channelFullSync(ctx, t, id)
	})
}

// channelHappened records a change of channel c by p in the audit log
// and among the channel's events.
func (s *Store) channelHappened(ctx context.Context, t *tx, p *keycard.Principal, c *keycard.Channel, event string, details map[string]any) error {
	if err := s.auditChannel(ctx, t, p, c, event, details); err != nil {
		return err
	}
	return s.channelEvent(ctx, t, p, c, event, details)
}

// auditChannel records an event of channel c done by p in the log of the
// property's organisation and, when p belongs to another, in p's too.
func (s *Store) auditChannel(ctx context.Context, t *tx, p *keycard.Principal, c *keycard.Channel, event string, details map[string]any) error {
	var propOrg string
	if err := t.QueryRow(ctx, `SELECT organization_id FROM properties WHERE id = ?`, c.PropertyID).Scan(&propOrg); err != nil {
		return fmt.Errorf("store: channel audit: %w", err)
	}
	d := map[string]any{"channel_id": c.ID, "channel_title": c.Title, "property_id": c.PropertyID}
	maps.Copy(d, details)
	actorType, actorID := keycard.ActorUser, p.UserID
	if p.ViaAPIKey() {
		actorType, actorID = keycard.ActorAPIKey, p.APIKeyID
	}
	e := auditEntry{event: event, keyID: p.APIKeyID, userID: p.UserID, actorType: actorType, actorID: actorID, details: d}
	orgs := []string{propOrg}
	if p.OrganizationID != "" && p.OrganizationID != propOrg {
		orgs = append(orgs, p.OrganizationID)
	}
	for _, org := range orgs {
		e.orgID = org
		if err := s.insertAudit(ctx, t, e); err != nil {
			return err
		}
	}
	return nil
}
