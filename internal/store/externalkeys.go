package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

// A property's organisation stays in control of the keys that reach its
// properties from outside: keys of users of other organisations it invited
// as property or group users. Its billing owner sees them, can block one
// for the organisation's properties, and can refuse them all
// (allow_external_keys); reach (reach.go) applies both.

// keyReachesOrg returns a condition over api_keys k: the key's user
// reaches a property of the organisation whose id is the SQL expression
// org, and the key's selection covers it. Blocks are left out: a blocked
// key stays listed.
func keyReachesOrg(org string) string {
	return `EXISTS (SELECT 1 FROM properties xp WHERE xp.organization_id = ` + org + `
	AND (k.access_all_properties = TRUE OR EXISTS (SELECT 1 FROM api_key_properties xkp WHERE xkp.api_key_id = k.id AND xkp.property_id = xp.id))
	AND (EXISTS (SELECT 1 FROM property_users xpu WHERE xpu.property_id = xp.id AND xpu.user_id = k.user_id)
		OR EXISTS (SELECT 1 FROM group_properties xgp JOIN group_users xgu ON xgu.group_id = xgp.group_id WHERE xgp.property_id = xp.id AND xgu.user_id = k.user_id)))`
}

// keysListed returns the condition selecting the keys p may see (and not
// necessarily manage, see keysVisible): those of keysVisible and, for the
// billing account owner, every key from outside that reaches one of the
// organisation's properties.
func keysListed(p *keycard.Principal) (string, []any) {
	if !p.OrganizationOwner {
		return keysVisible(p)
	}
	return `(k.user_id = ? OR k.organization_id = ? OR ` + keyReachesOrg("?") + `)`, []any{p.UserID, p.OrganizationID, p.OrganizationID}
}

// annotateKeys fills in what p's organisation sees of keys: whether each
// is external, the organisation's properties an external one reaches, and
// the blocks.
func (s *Store) annotateKeys(ctx context.Context, t *tx, p *keycard.Principal, keys []*keycard.APIKey) error {
	for _, k := range keys {
		k.Blocks = []keycard.KeyBlock{}
		k.External = k.OrganizationID != p.OrganizationID
		if !k.External {
			continue
		}
		k.OrganizationPropertyIDs = []string{}
		rows, err := t.Query(ctx, `SELECT xp.id FROM properties xp JOIN api_keys k ON k.id = ? WHERE xp.organization_id = ?
			AND (k.access_all_properties = TRUE OR EXISTS (SELECT 1 FROM api_key_properties xkp WHERE xkp.api_key_id = k.id AND xkp.property_id = xp.id))
			AND xp.id IN `+userReachParams+` ORDER BY xp.title, xp.id`, k.ID, p.OrganizationID, k.UserID, k.UserID, k.UserID)
		if err != nil {
			return fmt.Errorf("store: properties an external key reaches: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			k.OrganizationPropertyIDs = append(k.OrganizationPropertyIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		return nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	rows, err := t.Query(ctx, `SELECT b.api_key_id, b.organization_id, o.name, b.blocked_at FROM api_key_blocks b
		JOIN organizations o ON o.id = b.organization_id WHERE b.api_key_id IN (`+placeholders(len(ids))+`) ORDER BY b.blocked_at, o.id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: key blocks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var keyID string
		var b keycard.KeyBlock
		var at int64
		if err := rows.Scan(&keyID, &b.OrganizationID, &b.OrganizationName, &at); err != nil {
			return err
		}
		b.BlockedAt = fromMicros(at)
		i := slices.IndexFunc(keys, func(k *keycard.APIKey) bool { return k.ID == keyID })
		// An organisation sees its own block of an external key, and
		// every block of its own keys.
		if k := keys[i]; !k.External || b.OrganizationID == p.OrganizationID {
			k.Blocks = append(k.Blocks, b)
		}
	}
	return rows.Err()
}

// userReachParams is userReachSQL as a parenthesised subquery, for a user
// bound three times.
const userReachParams = `(` + userReachSQL + `)`

// BlockAPIKey blocks (or, with block false, unblocks) an external key for
// the properties of p's organisation: the key no longer reaches any of
// them, on every server at once, and what it made stops delivering them.
// Only the organisation's billing owner, signed in, may; the key's maker
// sees the block.
func (s *Store) BlockAPIKey(ctx context.Context, p *keycard.Principal, id string, block bool) (*keycard.APIKey, error) {
	if err := keycard.CanManageAccess(p); err != nil {
		return nil, err
	}
	if !p.OrganizationOwner {
		return nil, keycard.Errorf(keycard.EForbidden, "only the organisation's billing account owner can block a key")
	}
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		k, err := s.listedKey(ctx, t, p, id)
		if err != nil {
			return err
		}
		if !k.External {
			return keycard.Invalid("id", "is a key of your organisation: withdraw it instead of blocking it")
		}
		var res sql.Result
		event := keycard.AuditBlocked
		if block {
			res, err = t.Exec(ctx, `INSERT INTO api_key_blocks (api_key_id, organization_id, blocked_at, blocked_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				id, p.OrganizationID, micros(s.now()), p.UserID)
		} else {
			event = keycard.AuditUnblocked
			res, err = t.Exec(ctx, `DELETE FROM api_key_blocks WHERE api_key_id = ? AND organization_id = ?`, id, p.OrganizationID)
		}
		if err != nil {
			return fmt.Errorf("store: block api key: %w", err)
		}
		if out, err = s.listedKey(ctx, t, p, id); err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // no change
		}
		t.changed(changeAccess)
		e := auditEntry{event: event, keyID: k.ID, userID: k.UserID, actorType: keycard.ActorUser, actorID: p.UserID,
			details: map[string]any{"organization_id": p.OrganizationID}}
		for _, org := range []string{p.OrganizationID, k.OrganizationID} {
			e.orgID = org
			if err := s.insertAudit(ctx, t, e); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// listedKey returns a key p sees, annotated.
func (s *Store) listedKey(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.APIKey, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	vis, args := keysListed(p)
	keys, err := s.apiKeys(ctx, t, `k.id = ? AND `+vis, append([]any{id}, args...))
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, keycard.NotFound()
	}
	return keys[0], s.annotateKeys(ctx, t, p, keys)
}

func organization(ctx context.Context, t *tx, id string) (*keycard.Organization, error) {
	var o keycard.Organization
	var created int64
	err := t.QueryRow(ctx, `SELECT id, name, owner_user_id, subscription_status, allow_external_keys, created_at FROM organizations WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, &o.OwnerUserID, &o.SubscriptionStatus, &o.AllowExternalKeys, &created)
	if err != nil {
		return nil, notFound(err)
	}
	o.CreatedAt = fromMicros(created)
	return &o, nil
}

// SetAllowExternalKeys sets whether keys of users from other
// organisations may reach p's organisation's properties. Only its billing
// owner, signed in, may; it applies to the very next request.
func (s *Store) SetAllowExternalKeys(ctx context.Context, p *keycard.Principal, allow bool) (*keycard.Organization, error) {
	if err := keycard.CanManageAccess(p); err != nil {
		return nil, err
	}
	if !p.OrganizationOwner {
		return nil, keycard.Errorf(keycard.EForbidden, "only the organisation's billing account owner can change its settings")
	}
	var out *keycard.Organization
	err := s.write(ctx, func(t *tx) error {
		before, err := organization(ctx, t, p.OrganizationID)
		if err != nil {
			return err
		}
		if before.AllowExternalKeys != allow {
			t.changed(changeView)
			if _, err := t.Exec(ctx, `UPDATE organizations SET allow_external_keys = ? WHERE id = ?`, allow, p.OrganizationID); err != nil {
				return fmt.Errorf("store: organisation settings: %w", err)
			}
			t.changed(changeAccess)
			if err := s.insertAudit(ctx, t, auditEntry{orgID: p.OrganizationID, event: keycard.AuditOrganizationChanged, userID: p.UserID,
				actorType: keycard.ActorUser, actorID: p.UserID,
				details: map[string]any{"allow_external_keys": map[string]any{"from": before.AllowExternalKeys, "to": allow}}}); err != nil {
				return err
			}
		}
		out, err = organization(ctx, t, p.OrganizationID)
		return err
	})
	return out, err
}

// externalOrgs returns the organisations other than its own whose
// properties a key reaches (blocked or not): their logs get the key's
// uses and refusals too.
func externalOrgs(ctx context.Context, t *tx, keyID string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT DISTINCT o.id FROM api_keys k JOIN organizations o ON o.id <> k.organization_id
		WHERE k.id = ? AND `+keyReachesOrg("o.id")+` ORDER BY o.id`, keyID)
	if err != nil {
		return nil, fmt.Errorf("store: organisations a key reaches: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
