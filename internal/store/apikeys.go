package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// apiKeyFields are the fields a key list filters and orders by. Status
// "expired" is an active key past its expiry, never stored: keysAt
// computes it. organization_id tells a billing owner's own keys from keys
// from outside (see keysListed).
var apiKeyFields = map[string]column{
	"status":                  {expr: "k.display_status"},
	"name":                    {expr: "k.name"},
	"user_id":                 {expr: "k.user_id"},
	"organization_id":         {expr: "k.organization_id"},
	"created_at":              {expr: "k.created_at", kind: kindTime},
	"last_used_at":            {expr: "k.last_used_at", kind: kindTime},
	"withdrawn_at":            {expr: "k.withdrawn_at", kind: kindTime},
	"expires_at":              {expr: "k.expires_at", kind: kindTime},
	"access_all_properties":   {expr: "k.access_all_properties", kind: kindBool},
	"read_only":               {expr: "k.read_only", kind: kindBool},
	"id":                      {expr: "k.id"},
	"key_hint":                {expr: "k.hint"},
	"user_email":              {expr: "(SELECT ue.email FROM users ue WHERE ue.id = k.user_id)"},
	"use_count":               {expr: "k.use_count", kind: kindInt},
	"previous_key_expires_at": {expr: "k.previous_expires_at", kind: kindTime},
	"external":                {refuse: refuseComputed},
}

// keysAt is the api_keys table with each key's status at a time given as
// the first argument. The time is an argument, not part of the text, so
// that the statement is prepared once.
const keysAt = `(SELECT api_keys.*, CASE WHEN status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?
	THEN 'expired' ELSE status END AS display_status FROM api_keys) k`

const apiKeyColumns = `k.id, k.organization_id, k.user_id, u.email, k.name, k.hint, k.access_all_properties, k.status,
	k.created_at, k.last_used_at, k.use_count, k.withdrawn_at, k.expires_at, k.permissions, k.ip_allowlist, k.previous_expires_at,
	k.withdrawn_reason, k.leaked_at, k.leaked_url`

// keysVisible returns the condition selecting the keys p may see: the
// user's own, and for the billing account owner every key of the
// organisation.
func keysVisible(p *keycard.Principal) (string, []any) {
	if p.OrganizationOwner {
		return `(k.user_id = ? OR k.organization_id = ?)`, []any{p.UserID, p.OrganizationID}
	}
	return `k.user_id = ?`, []any{p.UserID}
}

// ListAPIKeys returns a page of the keys p sees (see keysListed), newest
// first by default.
func (s *Store) ListAPIKeys(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.APIKey, int, error) {
	where, args, order, err := listSQL(q, apiKeyFields, "k.created_at DESC, k.id ASC")
	if err != nil {
		return nil, 0, err
	}
	vis, vargs := keysListed(p)
	args = append(vargs, args...)
	var out []*keycard.APIKey
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM `+keysAt+` WHERE `+vis+where, append([]any{micros(s.now())}, args...)...).Scan(&total); err != nil {
			return fmt.Errorf("store: count api keys: %w", err)
		}
		var err error
		if out, err = s.apiKeys(ctx, t, vis+where+order+page(q), args); err != nil {
			return err
		}
		return s.annotateKeys(ctx, t, p, out)
	})
	return out, total, err
}

func (s *Store) apiKeys(ctx context.Context, t *tx, where string, args []any) ([]*keycard.APIKey, error) {
	rows, err := t.Query(ctx, `SELECT `+apiKeyColumns+` FROM `+keysAt+` JOIN users u ON u.id = k.user_id WHERE `+where,
		append([]any{micros(s.now())}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", err)
	}
	defer rows.Close()
	var out []*keycard.APIKey
	byID := map[string]*keycard.APIKey{}
	now := s.now()
	for rows.Next() {
		var k keycard.APIKey
		var created int64
		var used, withdrawn, expires, prevExpires, leaked sql.NullInt64
		var allow, perms string
		if err := rows.Scan(&k.ID, &k.OrganizationID, &k.UserID, &k.UserEmail, &k.Name, &k.Hint, &k.AccessAllProperties, &k.Status,
			&created, &used, &k.UseCount, &withdrawn, &expires, &perms, &allow, &prevExpires,
			&k.WithdrawnReason, &leaked, &k.LeakedURL); err != nil {
			return nil, err
		}
		k.Permissions = keycard.StoredPermissions(perms)
		k.CreatedAt, k.LastUsedAt, k.WithdrawnAt = fromMicros(created), fromNullMicros(used), fromNullMicros(withdrawn)
		k.ExpiresAt, k.PreviousExpiresAt = fromNullMicros(expires), fromNullMicros(prevExpires)
		k.LeakedAt = fromNullMicros(leaked)
		k.IPAllowlist = splitList(allow)
		k.Status = k.DisplayStatus(now)
		if k.PreviousExpiresAt != nil && !now.Before(*k.PreviousExpiresAt) {
			k.PreviousExpiresAt = nil
		}
		k.PropertyIDs = []string{}
		out = append(out, &k)
		byID[k.ID] = &k
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, 0, len(out))
	for _, k := range out {
		ids = append(ids, k.ID)
	}
	prows, err := t.Query(ctx, `SELECT kp.api_key_id, kp.property_id FROM api_key_properties kp JOIN properties pr ON pr.id = kp.property_id
		WHERE kp.api_key_id IN (`+placeholders(len(ids))+`) ORDER BY pr.title, pr.id`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: api key properties: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var kid, pid string
		if err := prows.Scan(&kid, &pid); err != nil {
			return nil, err
		}
		byID[kid].PropertyIDs = append(byID[kid].PropertyIDs, pid)
	}
	return out, prows.Err()
}

// APIKey returns a key p sees (see keysListed).
func (s *Store) APIKey(ctx context.Context, p *keycard.Principal, id string) (*keycard.APIKey, error) {
	var out *keycard.APIKey
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.listedKey(ctx, t, p, id)
		return err
	})
	return out, err
}

// apiKey returns a key p may manage (see keysVisible).
func (s *Store) apiKey(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.APIKey, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	vis, args := keysVisible(p)
	keys, err := s.apiKeys(ctx, t, `k.id = ? AND `+vis, append([]any{id}, args...))
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, keycard.NotFound()
	}
	return keys[0], nil
}

// NewAPIKey is what a new key is made of.
type NewAPIKey struct {
	Name                string
	AccessAllProperties bool
	PropertyIDs         []string
	// ExpiresAt, if set, is when the key stops working.
	ExpiresAt *time.Time
	// Permissions, when set, are the key's level in each family; else it
	// is Full, or Read only when ReadOnly is set.
	Permissions *keycard.Permissions
	ReadOnly    bool
	IPAllowlist []string
}

// permissions returns the new key's permissions.
func (nk NewAPIKey) permissions() keycard.Permissions {
	switch {
	case nk.Permissions != nil:
		return *nk.Permissions
	case nk.ReadOnly:
		return keycard.PresetReadOnly.Permissions
	}
	return keycard.PresetFull.Permissions
}

// CreateAPIKey makes a key without options; see CreateKey.
func (s *Store) CreateAPIKey(ctx context.Context, p *keycard.Principal, name string, all bool, propertyIDs []string) (*keycard.APIKey, string, error) {
	return s.CreateKey(ctx, p, NewAPIKey{Name: name, AccessAllProperties: all, PropertyIDs: propertyIDs})
}

// CreateKey makes a key for p's user and returns it with its secret,
// which exists nowhere else: the store keeps only its hash. The selected
// properties must be ones the user reaches.
func (s *Store) CreateKey(ctx context.Context, p *keycard.Principal, nk NewAPIKey) (*keycard.APIKey, string, error) {
	name := strings.TrimSpace(nk.Name)
	all := nk.AccessAllProperties
	propertyIDs := keycard.TrimIDs(nk.PropertyIDs)
	if all {
		propertyIDs = nil
	}
	fe := keycard.FieldErrors{}
	allow, _, msg := keycard.ParseIPAllowlist(nk.IPAllowlist)
	if msg != "" {
		fe.Add("ip_allowlist", msg)
	}
	if nk.ExpiresAt != nil {
		if msg := keycard.ValidateExpiry(*nk.ExpiresAt, s.now()); msg != "" {
			fe.Add("expires_at", msg)
		}
	}
	if err := fe.Merge(keycard.ValidateAPIKey(name, all, propertyIDs)); err != nil {
		return nil, "", err
	}
	perms := nk.permissions()
	secret := tokens.New(tokens.KeyPrefix)
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		if err := checkSelection(ctx, t, p, propertyIDs); err != nil {
			return err
		}
		id := newID()
		if _, err := t.Exec(ctx, `INSERT INTO api_keys (id, organization_id, user_id, name, key_hash, hint, access_all_properties, status, created_at,
				expires_at, read_only, permissions, ip_allowlist)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.OrganizationID, p.UserID, name, tokens.Hash(secret), tokens.Hint(secret), all, keycard.KeyActive, micros(s.now()),
			nullMicros(nk.ExpiresAt), !perms.Writes(), perms.String(), strings.Join(allow, ",")); err != nil {
			return fmt.Errorf("store: create api key: %w", err)
		}
		if err := setKeyProperties(ctx, t, id, propertyIDs); err != nil {
			return err
		}
		var err error
		if out, err = s.apiKey(ctx, t, p, id); err != nil {
			return err
		}
		return s.auditKey(ctx, t, p, out, keycard.AuditCreated, keyOptionsDetails(out))
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// keyOptionsDetails describes a new key's settings for the audit log.
func keyOptionsDetails(k *keycard.APIKey) map[string]any {
	d := map[string]any{"name": k.Name, "access_all_properties": k.AccessAllProperties, "property_ids": nonNil(k.PropertyIDs)}
	if k.ExpiresAt != nil {
		d["expires_at"] = k.ExpiresAt.Format(time.RFC3339)
	}
	d["permissions"] = permissionsDetail(k.Permissions)
	if len(k.IPAllowlist) > 0 {
		d["ip_allowlist"] = k.IPAllowlist
	}
	return d
}

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// checkSelection checks that the user (not a key) reaches every property
// in ids.
func checkSelection(ctx context.Context, t *tx, p *keycard.Principal, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	user := *p
	user.APIKeyID, user.AllProperties, user.Reach = "", true, nil
	r, args := reach(t.d, &user)
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM properties WHERE id IN (`+placeholders(len(ids))+`) AND id IN `+r,
		append(anys(ids), args...)...).Scan(&n); err != nil {
		return fmt.Errorf("store: check property selection: %w", err)
	}
	if n != len(ids) {
		return keycard.Invalid("property_ids", "contains properties you do not have access to")
	}
	return nil
}

func setKeyProperties(ctx context.Context, t *tx, keyID string, ids []string) error {
	if _, err := t.Exec(ctx, `DELETE FROM api_key_properties WHERE api_key_id = ?`, keyID); err != nil {
		return fmt.Errorf("store: clear api key properties: %w", err)
	}
	for _, pid := range ids {
		if _, err := t.Exec(ctx, `INSERT INTO api_key_properties (api_key_id, property_id) VALUES (?, ?)`, keyID, pid); err != nil {
			return fmt.Errorf("store: set api key properties: %w", err)
		}
	}
	return nil
}

// APIKeyChange is a change to a key; nil fields stay as they are.
type APIKeyChange struct {
	Name                *string
	AccessAllProperties *bool
	PropertyIDs         []string // nil: unchanged
	// ExpiresAt replaces the expiry; a zero time removes it.
	ExpiresAt *time.Time
	// Permissions replace the key's; ReadOnly, when Permissions is nil,
	// sets Read only (true) or, on a key that grants no write, Full
	// (false).
	Permissions *keycard.Permissions
	ReadOnly    *bool
	IPAllowlist []string // nil: unchanged
}

// UpdateAPIKey changes a key's name, property selection or options; the
// change applies on the next request. A withdrawn key cannot be changed.
func (s *Store) UpdateAPIKey(ctx context.Context, p *keycard.Principal, id string, c APIKeyChange) (*keycard.APIKey, error) {
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		k, err := s.apiKey(ctx, t, p, id)
		if err != nil {
			return err
		}
		if k.Status == keycard.KeyWithdrawn {
			return keycard.Invalid("status", "a withdrawn key cannot be changed")
		}
		before := *k
		if c.Name != nil {
			k.Name = strings.TrimSpace(*c.Name)
		}
		if c.AccessAllProperties != nil {
			k.AccessAllProperties = *c.AccessAllProperties
		}
		if c.PropertyIDs != nil {
			k.PropertyIDs = keycard.TrimIDs(c.PropertyIDs)
		}
		if k.AccessAllProperties {
			k.PropertyIDs = nil
		}
		fe := keycard.FieldErrors{}
		if c.IPAllowlist != nil {
			allow, _, msg := keycard.ParseIPAllowlist(c.IPAllowlist)
			if msg != "" {
				fe.Add("ip_allowlist", msg)
			}
			k.IPAllowlist = allow
		}
		if c.ExpiresAt != nil {
			k.ExpiresAt = nil
			if !c.ExpiresAt.IsZero() {
				at := *c.ExpiresAt
				k.ExpiresAt = &at
				if msg := keycard.ValidateExpiry(at, s.now()); msg != "" {
					fe.Add("expires_at", msg)
				}
			}
		}
		switch {
		case c.Permissions != nil:
			k.Permissions = *c.Permissions
		case c.ReadOnly != nil && *c.ReadOnly:
			k.Permissions = keycard.PresetReadOnly.Permissions
		case c.ReadOnly != nil && !k.Permissions.Writes():
			k.Permissions = keycard.PresetFull.Permissions
		}
		if err := fe.Merge(keycard.ValidateAPIKey(k.Name, k.AccessAllProperties, k.PropertyIDs)); err != nil {
			return err
		}
		// The selection is checked against the key's own user: the billing
		// owner may edit another user's key only within that user's reach.
		owner := &keycard.Principal{UserID: k.UserID}
		if err := checkSelection(ctx, t, owner, k.PropertyIDs); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE api_keys SET name = ?, access_all_properties = ?, expires_at = ?, read_only = ?, permissions = ?, ip_allowlist = ? WHERE id = ?`,
			k.Name, k.AccessAllProperties, nullMicros(k.ExpiresAt), !k.Permissions.Writes(), k.Permissions.String(), strings.Join(k.IPAllowlist, ","), id); err != nil {
			return fmt.Errorf("store: update api key: %w", err)
		}
		if err := setKeyProperties(ctx, t, id, k.PropertyIDs); err != nil {
			return err
		}
		t.changed(changeAccess)
		if out, err = s.apiKey(ctx, t, p, id); err != nil {
			return err
		}
		if d := keyChanges(&before, out); len(d) > 0 {
			return s.auditKey(ctx, t, p, out, keycard.AuditChanged, d)
		}
		return nil
	})
	return out, err
}

// keyChanges describes what changed from a to b, field by field, for the
// audit log.
func keyChanges(a, b *keycard.APIKey) map[string]any {
	d := map[string]any{}
	diff := func(field string, from, to any, same bool) {
		if !same {
			d[field] = map[string]any{"from": from, "to": to}
		}
	}
	diff("name", a.Name, b.Name, a.Name == b.Name)
	diff("access_all_properties", a.AccessAllProperties, b.AccessAllProperties, a.AccessAllProperties == b.AccessAllProperties)
	diff("property_ids", nonNil(a.PropertyIDs), nonNil(b.PropertyIDs), slices.Equal(nonNil(a.PropertyIDs), nonNil(b.PropertyIDs)))
	diff("permissions", permissionsDetail(a.Permissions), permissionsDetail(b.Permissions), a.Permissions == b.Permissions)
	diff("ip_allowlist", nonNil(a.IPAllowlist), nonNil(b.IPAllowlist), slices.Equal(nonNil(a.IPAllowlist), nonNil(b.IPAllowlist)))
	rfc := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.Format(time.RFC3339)
	}
	diff("expires_at", rfc(a.ExpiresAt), rfc(b.ExpiresAt), rfc(a.ExpiresAt) == rfc(b.ExpiresAt))
	return d
}

// RollAPIKey gives a key a new secret, keeping its name, scope and
// options, and returns the secret, which exists nowhere else. The old
// secret keeps working for grace (0 ends it at once, for a leak); a
// secret still in an earlier roll's grace period ends now.
func (s *Store) RollAPIKey(ctx context.Context, p *keycard.Principal, id string, grace time.Duration) (*keycard.APIKey, string, error) {
	if msg := keycard.ValidateGracePeriod(grace); msg != "" {
		return nil, "", keycard.Invalid("grace_period_seconds", msg)
	}
	secret := tokens.New(tokens.KeyPrefix)
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		k, err := s.apiKey(ctx, t, p, id)
		if err != nil {
			return err
		}
		if k.Status == keycard.KeyWithdrawn {
			return keycard.Invalid("status", "a withdrawn key cannot be rolled")
		}
		q := `UPDATE api_keys SET previous_key_hash = NULL, previous_expires_at = NULL, key_hash = ?, hint = ? WHERE id = ?`
		args := []any{tokens.Hash(secret), tokens.Hint(secret), id}
		if grace > 0 {
			q = `UPDATE api_keys SET previous_key_hash = key_hash, previous_expires_at = ?, key_hash = ?, hint = ? WHERE id = ?`
			args = append([]any{micros(s.now().Add(grace))}, args...)
		}
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: roll api key: %w", err)
		}
		t.changed(changeAccess)
		if out, err = s.apiKey(ctx, t, p, id); err != nil {
			return err
		}
		return s.auditKey(ctx, t, p, out, keycard.AuditRolled, map[string]any{"grace_period_seconds": int64(grace / time.Second)})
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// WithdrawAPIKey disables a key for good. It stays listed, with the time
// it was withdrawn; withdrawing it again changes nothing.
func (s *Store) WithdrawAPIKey(ctx context.Context, p *keycard.Principal, id string) (*keycard.APIKey, error) {
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		k, err := s.apiKey(ctx, t, p, id)
		if err != nil {
			return err
		}
		if k.Status != keycard.KeyWithdrawn {
			if _, err := t.Exec(ctx, `UPDATE api_keys SET status = ?, withdrawn_at = ? WHERE id = ?`, keycard.KeyWithdrawn, micros(s.now()), id); err != nil {
				return fmt.Errorf("store: withdraw api key: %w", err)
			}
			t.changed(changeAccess)
		}
		if out, err = s.apiKey(ctx, t, p, id); err != nil {
			return err
		}
		if k.Status != keycard.KeyWithdrawn {
			return s.auditKey(ctx, t, p, out, keycard.AuditWithdrawn, nil)
		}
		return nil
	})
	return out, err
}

// KeyUse is how often a key was used since the last flush, and when last.
type KeyUse struct {
	Count    int64
	LastUsed time.Time
	// First, when set, is the client of the key's first use, at FirstAt:
	// the flush records it in the audit log.
	First   *keycard.RequestInfo
	FirstAt time.Time
	// Hours are the key's requests by outcome class, by the Unix
	// microsecond of their hour (see api_key_usage).
	Hours map[int64]keycard.UsageCounts
}

// RecordKeyUse adds a batch of uses to the keys' counters, in one
// transaction.
func (s *Store) RecordKeyUse(ctx context.Context, uses map[string]KeyUse) error {
	if len(uses) == 0 {
		return nil
	}
	// Rows are updated in id order, so that two servers flushing at once
	// cannot deadlock on PostgreSQL.
	ids := slices.Sorted(maps.Keys(uses))
	return s.write(ctx, func(t *tx) error {
		for _, id := range ids {
			u := uses[id]
			if err := recordUsage(ctx, t, id, u.Hours); err != nil {
				return err
			}
			if u.Count == 0 && u.First == nil {
				continue // refusals only
			}
			if _, err := t.Exec(ctx, `UPDATE api_keys SET use_count = use_count + ?,
				last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END WHERE id = ?`,
				u.Count, micros(u.LastUsed), micros(u.LastUsed), id); err != nil {
				return fmt.Errorf("store: record key use: %w", err)
			}
			if u.First != nil {
				if err := s.recordFirstUse(ctx, t, id, u.FirstAt, *u.First); err != nil && keycard.ErrorCode(err) != keycard.ENotFound {
					return err
				}
			}
		}
		return nil
	})
}

// permissionsDetail is how the audit log names a key's permissions: its
// preset, or its family=level list.
func permissionsDetail(p keycard.Permissions) string {
	if pr, ok := p.Preset(); ok {
		return pr.Name
	}
	return p.String()
}
