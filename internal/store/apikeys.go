package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/apikey"
	"github.com/keycard/keycard/internal/keycard"
)

var apiKeyFields = map[string]column{
	"status":                {expr: "k.status"},
	"name":                  {expr: "k.name"},
	"user_id":               {expr: "k.user_id"},
	"created_at":            {expr: "k.created_at", kind: kindTime},
	"last_used_at":          {expr: "k.last_used_at", kind: kindTime},
	"withdrawn_at":          {expr: "k.withdrawn_at", kind: kindTime},
	"access_all_properties": {expr: "k.access_all_properties", kind: kindBool},
}

const apiKeyColumns = `k.id, k.organization_id, k.user_id, u.email, k.name, k.hint, k.access_all_properties, k.status,
	k.created_at, k.last_used_at, k.use_count, k.withdrawn_at`

// keysVisible returns the condition selecting the keys p may see: the
// user's own, and for the billing account owner every key of the
// organisation.
func keysVisible(p *keycard.Principal) (string, []any) {
	if p.OrganizationOwner {
		return `(k.user_id = ? OR k.organization_id = ?)`, []any{p.UserID, p.OrganizationID}
	}
	return `k.user_id = ?`, []any{p.UserID}
}

// ListAPIKeys returns a page of the keys p sees, newest first by default.
func (s *Store) ListAPIKeys(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.APIKey, int, error) {
	where, args, order, err := listSQL(q, apiKeyFields, "k.created_at DESC, k.id ASC")
	if err != nil {
		return nil, 0, err
	}
	vis, vargs := keysVisible(p)
	args = append(vargs, args...)
	var out []*keycard.APIKey
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM api_keys k WHERE `+vis+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count api keys: %w", err)
		}
		var err error
		out, err = s.apiKeys(ctx, t, vis+where+order+page(q), args)
		return err
	})
	return out, total, err
}

func (s *Store) apiKeys(ctx context.Context, t *tx, where string, args []any) ([]*keycard.APIKey, error) {
	rows, err := t.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k JOIN users u ON u.id = k.user_id WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", err)
	}
	defer rows.Close()
	var out []*keycard.APIKey
	byID := map[string]*keycard.APIKey{}
	for rows.Next() {
		var k keycard.APIKey
		var created int64
		var used, withdrawn sql.NullInt64
		if err := rows.Scan(&k.ID, &k.OrganizationID, &k.UserID, &k.UserEmail, &k.Name, &k.Hint, &k.AccessAllProperties, &k.Status,
			&created, &used, &k.UseCount, &withdrawn); err != nil {
			return nil, err
		}
		k.CreatedAt, k.LastUsedAt, k.WithdrawnAt = fromMicros(created), fromNullMicros(used), fromNullMicros(withdrawn)
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

// APIKey returns a key p sees.
func (s *Store) APIKey(ctx context.Context, p *keycard.Principal, id string) (*keycard.APIKey, error) {
	var out *keycard.APIKey
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.apiKey(ctx, t, p, id)
		return err
	})
	return out, err
}

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

// CreateAPIKey makes a key for p's user and returns it with its secret,
// which exists nowhere else: the store keeps only its hash. The selected
// properties must be ones the user reaches.
func (s *Store) CreateAPIKey(ctx context.Context, p *keycard.Principal, name string, all bool, propertyIDs []string) (*keycard.APIKey, string, error) {
	name = strings.TrimSpace(name)
	propertyIDs = keycard.TrimIDs(propertyIDs)
	if all {
		propertyIDs = nil
	}
	if err := keycard.ValidateAPIKey(name, all, propertyIDs); err != nil {
		return nil, "", err
	}
	secret := apikey.New(apikey.KeyPrefix)
	var out *keycard.APIKey
	err := s.write(ctx, func(t *tx) error {
		if err := checkSelection(ctx, t, p, propertyIDs); err != nil {
			return err
		}
		id := newID()
		if _, err := t.Exec(ctx, `INSERT INTO api_keys (id, organization_id, user_id, name, key_hash, hint, access_all_properties, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, p.OrganizationID, p.UserID, name, apikey.Hash(secret), apikey.Hint(secret), all, keycard.KeyActive, micros(s.now())); err != nil {
			return fmt.Errorf("store: create api key: %w", err)
		}
		if err := setKeyProperties(ctx, t, id, propertyIDs); err != nil {
			return err
		}
		var err error
		out, err = s.apiKey(ctx, t, p, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
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
}

// UpdateAPIKey renames a key or changes its property selection. A
// withdrawn key cannot be changed.
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
		if err := keycard.ValidateAPIKey(k.Name, k.AccessAllProperties, k.PropertyIDs); err != nil {
			return err
		}
		// The selection is checked against the key's own user: the billing
		// owner may edit another user's key only within that user's reach.
		owner := &keycard.Principal{UserID: k.UserID}
		if err := checkSelection(ctx, t, owner, k.PropertyIDs); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE api_keys SET name = ?, access_all_properties = ? WHERE id = ?`, k.Name, k.AccessAllProperties, id); err != nil {
			return fmt.Errorf("store: update api key: %w", err)
		}
		if err := setKeyProperties(ctx, t, id, k.PropertyIDs); err != nil {
			return err
		}
		t.changed = true
		out, err = s.apiKey(ctx, t, p, id)
		return err
	})
	return out, err
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
			t.changed = true
		}
		out, err = s.apiKey(ctx, t, p, id)
		return err
	})
	return out, err
}

// KeyUse is how often a key was used since the last flush, and when last.
type KeyUse struct {
	Count    int64
	LastUsed time.Time
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
			if _, err := t.Exec(ctx, `UPDATE api_keys SET use_count = use_count + ?,
				last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END WHERE id = ?`,
				u.Count, micros(u.LastUsed), micros(u.LastUsed), id); err != nil {
				return fmt.Errorf("store: record key use: %w", err)
			}
		}
		return nil
	})
}
