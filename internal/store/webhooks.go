package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
)

// MaxWebhooksPerProperty bounds the webhooks of one property (and the
// all-properties webhooks of one user), to catch a sync job that makes one
// per run.
const MaxWebhooksPerProperty = 50

// SetSecretBox sets the key that seals webhook signing secrets and custom
// headers. It must be set before webhooks are created or delivered.
func (s *Store) SetSecretBox(b *secretbox.Box) { s.box = b }

var errNoBox = errors.New("store: no webhook key configured (SetSecretBox)")

func (s *Store) seal(plain []byte, context string) ([]byte, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	return s.box.Seal(plain, context), nil
}

func (s *Store) open(sealed []byte, context string) ([]byte, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	return s.box.Open(sealed, context)
}

const webhookColumns = `w.id, w.property_id, w.user_id, w.api_key_id, w.callback_url, w.event_mask, w.request_params, w.headers_sealed,
	w.is_active, w.send_data, w.paused_reason, w.created_at, w.updated_at`

var webhookFields = map[string]column{
	"id":                {expr: "w.id"},
	"property_id":       {expr: "w.property_id"},
	"callback_url":      {expr: "w.callback_url"},
	"event_mask":        {expr: "w.event_mask"},
	"is_active":         {expr: "w.is_active", kind: kindBool},
	"send_data":         {expr: "w.send_data", kind: kindBool},
	"created_at":        {expr: "w.created_at", kind: kindTime},
	"updated_at":        {expr: "w.updated_at", kind: kindTime},
	"paused_reason":     {expr: "w.paused_reason"},
	"made_with_api_key": {expr: "(w.api_key_id IS NOT NULL)", kind: kindBool},
}

func (s *Store) scanWebhook(row scanner) (*keycard.Webhook, error) {
	var w keycard.Webhook
	var prop, key sql.NullString
	var params string
	var headers []byte
	var created, updated int64
	if err := row.Scan(&w.ID, &prop, &w.UserID, &key, &w.CallbackURL, &w.EventMask, &params, &headers,
		&w.IsActive, &w.SendData, &w.PausedReason, &created, &updated); err != nil {
		return nil, err
	}
	w.PropertyID, w.APIKeyID = prop.String, key.String
	if err := json.Unmarshal([]byte(params), &w.RequestParams); err != nil {
		return nil, fmt.Errorf("store: webhook %s request params: %w", w.ID, err)
	}
	plain, err := s.open(headers, "webhook-headers:"+w.ID)
	if err != nil {
		return nil, fmt.Errorf("store: webhook %s headers: %w", w.ID, err)
	}
	if err := json.Unmarshal(plain, &w.Headers); err != nil {
		return nil, fmt.Errorf("store: webhook %s headers: %w", w.ID, err)
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &w, nil
}

func (s *Store) scanWebhooks(rows *sql.Rows) ([]*keycard.Webhook, error) {
	defer rows.Close()
	var out []*keycard.Webhook
	for rows.Next() {
		w, err := s.scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// webhookSight returns the condition selecting the webhooks p sees: those
// of the properties p reaches and, unless p is a restricted key, the
// all-properties webhooks of p's user.
func webhookSight(d dialect, p *keycard.Principal) (string, []any) {
	r, args := reach(d, p)
	q := `(w.property_id IN ` + r
	if !p.Restricted() {
		q += ` OR (w.property_id IS NULL AND w.user_id = ?)`
		args = append(args, p.UserID)
	}
	return q + `)`, args
}

// ListWebhooks returns a page of the webhooks p sees, and their total.
func (s *Store) ListWebhooks(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Webhook, int, error) {
	where, args, order, err := listSQL(q, webhookFields, "w.created_at ASC, w.id ASC")
	if err != nil {
		return nil, 0, err
	}
	sight, sargs := webhookSight(s.dialect, p)
	args = append(sargs, args...)
	var out []*keycard.Webhook
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks w WHERE `+sight+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count webhooks: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE `+sight+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list webhooks: %w", err)
		}
		out, err = s.scanWebhooks(rows)
		return err
	})
	return out, total, err
}

// Webhook returns a webhook p sees.
func (s *Store) Webhook(ctx context.Context, p *keycard.Principal, id string) (*keycard.Webhook, error) {
	var out *keycard.Webhook
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.webhook(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) webhook(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Webhook, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	sight, args := webhookSight(s.dialect, p)
	w, err := s.scanWebhook(t.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ? AND `+sight,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return w, nil
}

// checkWebhookOwner checks that p may attach a webhook to w.PropertyID:
// a property p reaches, or every property, which a restricted key may not
// ask for. It also holds the per-property limit.
func (s *Store) checkWebhookOwner(ctx context.Context, t *tx, p *keycard.Principal, w *keycard.Webhook, self string) error {
	var n int
	if w.PropertyID == "" {
		if p.Restricted() {
			return keycard.Invalid("property_id", "can't be blank for a key restricted to selected properties")
		}
		// Writers of one user's all-properties webhooks take turns, so
		// that the limit holds.
		if _, err := t.Exec(ctx, `UPDATE users SET email = email WHERE id = ?`, p.UserID); err != nil {
			return fmt.Errorf("store: lock user: %w", err)
		}
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE property_id IS NULL AND user_id = ? AND id <> ?`, p.UserID, self).Scan(&n); err != nil {
			return fmt.Errorf("store: count webhooks: %w", err)
		}
	} else {
		if err := requireProperty(ctx, t, p, w.PropertyID, false); err != nil {
			return err
		}
		if err := lockProperties(ctx, t, []string{w.PropertyID}); err != nil {
			return err
		}
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE property_id = ? AND id <> ?`, w.PropertyID, self).Scan(&n); err != nil {
			return fmt.Errorf("store: count webhooks: %w", err)
		}
	}
	if n >= MaxWebhooksPerProperty {
		return keycard.Invalid("property_id", "has reached the limit of "+strconv.Itoa(MaxWebhooksPerProperty)+" webhooks")
	}
	return nil
}

// newSigningSecret returns a new webhook signing secret.
func newSigningSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + fmt.Sprintf("%x", b)
}

func (s *Store) webhookValues(w *keycard.Webhook) (string, []any, error) {
	if w.RequestParams == nil {
		w.RequestParams = map[string]string{}
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	params, _ := json.Marshal(w.RequestParams)
	headers, _ := json.Marshal(w.Headers)
	sealed, err := s.seal(headers, "webhook-headers:"+w.ID)
	if err != nil {
		return "", nil, err
	}
	return `property_id, user_id, api_key_id, callback_url, event_mask, request_params, headers_sealed, is_active, send_data,
		paused_reason, updated_at`,
		[]any{nullString(w.PropertyID), w.UserID, nullString(w.APIKeyID), w.CallbackURL, w.EventMask, string(params), sealed,
			w.IsActive, w.SendData, w.PausedReason, micros(w.UpdatedAt)}, nil
}

// CreateWebhook creates a webhook made by p (its user, and its key when
// p is a key) and returns it with its signing secret, which is not stored
// in clear and never shown again.
func (s *Store) CreateWebhook(ctx context.Context, p *keycard.Principal, w *keycard.Webhook) (*keycard.Webhook, string, error) {
	if err := w.Validate(nil); err != nil {
		return nil, "", err
	}
	now := s.now()
	w.ID, w.UserID, w.APIKeyID, w.PausedReason, w.CreatedAt, w.UpdatedAt = newID(), p.UserID, p.APIKeyID, "", now, now
	secret := newSigningSecret()
	var out *keycard.Webhook
	err := s.write(ctx, func(t *tx) error {
		if err := s.checkWebhookOwner(ctx, t, p, w, w.ID); err != nil {
			return err
		}
		sealedSecret, err := s.seal([]byte(secret), "webhook-secret:"+w.ID)
		if err != nil {
			return err
		}
		cols, vals, err := s.webhookValues(w)
		if err != nil {
			return err
		}
		_, err = t.Exec(ctx, `INSERT INTO webhooks (id, secret_sealed, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{w.ID, sealedSecret, micros(now)}, vals...)...)
		if err != nil {
			return fmt.Errorf("store: create webhook: %w", err)
		}
		if out, err = s.webhook(ctx, t, p, w.ID); err != nil {
			return err
		}
		return s.auditWebhook(ctx, t, p, out, keycard.AuditWebhookCreated, nil)
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// UpdateWebhook loads a webhook p sees, applies c to it by keycard's rules
// (decodeErrs is what went wrong decoding c) and saves it, in one
// transaction. A key may change only the webhooks it made. Re-enabling a
// webhook keycard paused makes p its maker: p reaches its property, and
// from then on answers for it.
func (s *Store) UpdateWebhook(ctx context.Context, p *keycard.Principal, id string, c *keycard.WebhookChange, decodeErrs keycard.FieldErrors) (*keycard.Webhook, error) {
	var out *keycard.Webhook
	err := s.write(ctx, func(t *tx) error {
		w, err := s.changeableWebhook(ctx, t, p, id)
		if err != nil {
			return err
		}
		before := *w
		if err := w.Apply(c, decodeErrs.Clone()).Err(); err != nil {
			return err
		}
		if w.PropertyID != before.PropertyID {
			if err := s.checkWebhookOwner(ctx, t, p, w, w.ID); err != nil {
				return err
			}
		}
		if w.IsActive && (!before.IsActive || w.PropertyID != before.PropertyID) {
			// Whoever turns it on (or moves it) answers for it from now.
			w.UserID, w.APIKeyID, w.PausedReason = p.UserID, p.APIKeyID, ""
		}
		w.UpdatedAt = s.now()
		cols, vals, err := s.webhookValues(w)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE webhooks SET `+setList(cols)+` WHERE id = ?`, append(vals, w.ID)...); err != nil {
			return fmt.Errorf("store: update webhook: %w", err)
		}
		if out, err = s.webhook(ctx, t, p, id); err != nil {
			return err
		}
		if changed := webhookChanges(&before, out); len(changed) > 0 {
			return s.auditWebhook(ctx, t, p, out, keycard.AuditWebhookChanged, map[string]any{"changed": changed})
		}
		return nil
	})
	return out, err
}

// changeableWebhook returns a webhook p sees and may change: a key may
// change only the webhooks made with it; a signed-in user any webhook
// it sees.
func (s *Store) changeableWebhook(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Webhook, error) {
	w, err := s.webhook(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	if p.ViaAPIKey() && w.APIKeyID != p.APIKeyID {
		return nil, keycard.Errorf(keycard.EForbidden, "an API key can change or delete only the webhooks made with it; sign in to change this one")
	}
	return w, nil
}

// webhookChanges names the attributes that differ between a and b, for
// the audit log (never the values of headers and parameters).
func webhookChanges(a, b *keycard.Webhook) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("property_id", a.PropertyID != b.PropertyID)
	add("callback_url", a.CallbackURL != b.CallbackURL)
	add("event_mask", a.EventMask != b.EventMask)
	add("request_params", !maps.Equal(a.RequestParams, b.RequestParams))
	add("headers", !maps.Equal(a.Headers, b.Headers))
	add("is_active", a.IsActive != b.IsActive)
	add("send_data", a.SendData != b.SendData)
	add("maker", a.UserID != b.UserID || a.APIKeyID != b.APIKeyID)
	return out
}

// DeleteWebhook deletes a webhook p sees and may change, with its
// deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		w, err := s.changeableWebhook(ctx, t, p, id)
		if err != nil {
			return err
		}
		if err := s.auditWebhook(ctx, t, p, w, keycard.AuditWebhookDeleted, nil); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete webhook: %w", err)
		}
		return nil
	})
}

// auditWebhook records an event of webhook w done by p (nil: by keycard
// itself), in the log of the webhook's property's organisation and, when
// the maker belongs to another, in the maker's too. The event names the
// maker (user, and key when a key made it).
func (s *Store) auditWebhook(ctx context.Context, t *tx, p *keycard.Principal, w *keycard.Webhook, event string, details map[string]any) error {
	var makerOrg string
	var propOrg sql.NullString
	err := t.QueryRow(ctx, `SELECT u.organization_id, (SELECT organization_id FROM properties WHERE id = ?) FROM users u WHERE u.id = ?`,
		nullString(w.PropertyID), w.UserID).Scan(&makerOrg, &propOrg)
	if err != nil {
		return fmt.Errorf("store: webhook audit: %w", err)
	}
	var prop any
	if w.PropertyID != "" {
		prop = w.PropertyID
	}
	d := map[string]any{"webhook_id": w.ID, "property_id": prop}
	maps.Copy(d, details)
	actorType, actorID := keycard.ActorKeycard, ""
	if p != nil {
		actorType, actorID = keycard.ActorUser, p.UserID
		if p.ViaAPIKey() {
			actorType, actorID = keycard.ActorAPIKey, p.APIKeyID
		}
	}
	e := auditEntry{event: event, keyID: w.APIKeyID, userID: w.UserID, actorType: actorType, actorID: actorID, details: d}
	orgs := []string{makerOrg}
	if propOrg.Valid && propOrg.String != makerOrg {
		orgs = append(orgs, propOrg.String)
	}
	for _, org := range orgs {
		e.orgID = org
		if err := s.insertAudit(ctx, t, e); err != nil {
			return err
		}
	}
	return nil
}
