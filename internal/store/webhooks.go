package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
)

// MaxWebhooksPerProperty bounds the webhooks of one property (and the
// all-properties webhooks of one user), to catch a sync job that makes one
// per run.
const MaxWebhooksPerProperty = 50

// maxARIEntriesPerDelivery splits a large ARI write into several
// deliveries of at most this many changes each.
const maxARIEntriesPerDelivery = 1000

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
	"id":           {expr: "w.id"},
	"property_id":  {expr: "w.property_id"},
	"callback_url": {expr: "w.callback_url"},
	"event_mask":   {expr: "w.event_mask"},
	"is_active":    {expr: "w.is_active", kind: kindBool},
	"send_data":    {expr: "w.send_data", kind: kindBool},
	"created_at":   {expr: "w.created_at", kind: kindTime},
	"updated_at":   {expr: "w.updated_at", kind: kindTime},
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

// UpdateWebhook loads a webhook p sees, lets change edit it, validates the
// result and saves it, in one transaction. A key may change only the
// webhooks it made. Re-enabling a webhook keycard paused makes p its
// maker: p reaches its property, and from then on answers for it.
func (s *Store) UpdateWebhook(ctx context.Context, p *keycard.Principal, id string, change func(*keycard.Webhook) keycard.FieldErrors) (*keycard.Webhook, error) {
	var out *keycard.Webhook
	err := s.write(ctx, func(t *tx) error {
		w, err := s.changeableWebhook(ctx, t, p, id)
		if err != nil {
			return err
		}
		before := *w
		decodeErrs := change(w)
		if err := decodeErrs.Merge(w.Validate(decodeErrs)); err != nil {
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

const deliveryColumns = `d.id, d.webhook_id, d.property_id, d.event, d.body, d.status, d.attempts, d.last_status, d.last_error,
	d.created_at, d.next_attempt_at, d.delivered_at`

var deliveryFields = map[string]column{
	"event":      {expr: "d.event"},
	"status":     {expr: "d.status"},
	"created_at": {expr: "d.created_at", kind: kindTime},
}

// scanDelivery scans deliveryColumns into d, then any further columns
// into extra.
func scanDelivery(row scanner, d *keycard.WebhookDelivery, extra ...any) error {
	var prop sql.NullString
	var body string
	var created, next int64
	var delivered sql.NullInt64
	dest := append([]any{&d.ID, &d.WebhookID, &prop, &d.Event, &body, &d.Status, &d.Attempts, &d.LastStatus, &d.LastError,
		&created, &next, &delivered}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	d.PropertyID, d.Body = prop.String, []byte(body)
	d.CreatedAt, d.NextAttemptAt, d.DeliveredAt = fromMicros(created), fromMicros(next), fromNullMicros(delivered)
	return nil
}

// ListDeliveries returns a page of the deliveries of a webhook p sees,
// newest first, from the last seven days, and their total.
func (s *Store) ListDeliveries(ctx context.Context, p *keycard.Principal, webhookID string, q keycard.ListQuery) ([]*keycard.WebhookDelivery, int, error) {
	where, args, order, err := listSQL(q, deliveryFields, "d.created_at DESC, d.id DESC")
	if err != nil {
		return nil, 0, err
	}
	since := micros(s.now().Add(-keycard.WebhookLogRetention))
	args = append([]any{webhookID, since}, args...)
	var out []*keycard.WebhookDelivery
	var total int
	err = s.read(ctx, func(t *tx) error {
		if _, err := s.webhook(ctx, t, p, webhookID); err != nil {
			return err
		}
		base := ` FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.created_at >= ?` + where
		if err := t.QueryRow(ctx, `SELECT COUNT(*)`+base, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count deliveries: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+deliveryColumns+base+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list deliveries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d keycard.WebhookDelivery
			if err := scanDelivery(rows, &d); err != nil {
				return err
			}
			out = append(out, &d)
		}
		return rows.Err()
	})
	return out, total, err
}

// hook is an active webhook an event may go to.
type hook struct {
	id       string
	mask     keycard.EventMask
	sendData bool
}

// makerKeySQL is a column of a query over webhooks w: the pause reason
// the key that made w calls for (” when a user made w or the key is
// live). Its one argument is the time now. A rolled key is the same key
// and stays live.
const makerKeySQL = `CASE WHEN w.api_key_id IS NULL THEN ''
	WHEN EXISTS (SELECT 1 FROM api_keys mk WHERE mk.id = w.api_key_id AND mk.status <> 'active') THEN '` + keycard.WebhookPausedKeyWithdrawn + `'
	WHEN EXISTS (SELECT 1 FROM api_keys mk WHERE mk.id = w.api_key_id AND mk.expires_at IS NOT NULL AND mk.expires_at <= ?) THEN '` + keycard.WebhookPausedKeyExpired + `'
	ELSE '' END`

// makerReachSQL returns a condition over webhooks w: the maker of w (its
// user, narrowed when a key made it to its key's properties and to what
// the property's organisation lets the key reach) reaches the property
// whose id is the SQL expression prop. It is the reach of reach.go,
// written for a maker and a property named by columns. (The production
// gate is left out: a lapsed subscription stops keys, not deliveries.)
func makerReachSQL(prop string) string {
	return `((EXISTS (SELECT 1 FROM properties mp JOIN organizations mo ON mo.id = mp.organization_id WHERE mp.id = ` + prop + ` AND mo.owner_user_id = w.user_id)
		OR EXISTS (SELECT 1 FROM property_users mpu WHERE mpu.property_id = ` + prop + ` AND mpu.user_id = w.user_id)
		OR EXISTS (SELECT 1 FROM group_properties mgp JOIN group_users mgu ON mgu.group_id = mgp.group_id WHERE mgp.property_id = ` + prop + ` AND mgu.user_id = w.user_id))
	AND (w.api_key_id IS NULL OR EXISTS (SELECT 1 FROM api_keys mk JOIN properties kr ON kr.id = ` + prop + `
		JOIN organizations ko ON ko.id = kr.organization_id WHERE mk.id = w.api_key_id AND ` + keyOrgSQL("mk.organization_id", "mk.id") + `
		AND (mk.access_all_properties = TRUE OR EXISTS (SELECT 1 FROM api_key_properties mkp WHERE mkp.api_key_id = mk.id AND mkp.property_id = ` + prop + `)))))`
}

// activeReachSQL is makerReachSQL for a property bound as an argument
// (as many times as it has placeholders).
var activeReachSQL = makerReachSQL("?")

// withheld says why a webhook may not carry data of a property now, and
// whether it is to be paused for it: a key that made it and is no longer
// live pauses it; a maker who no longer reaches the property pauses a
// webhook of that property, while an all-properties webhook just leaves
// that property out.
func withheld(keyState string, reaches, allProperties bool) (reason string, pause bool) {
	switch {
	case keyState != "":
		return keyState, true
	case !reaches:
		return keycard.WebhookPausedNoAccess, !allProperties
	}
	return "", false
}

// activeWebhooks returns the active webhooks that may deliver events of a
// property now: its own, and the all-properties webhooks of the users who
// reach it; each only while its maker could still read the property's
// data. A webhook whose maker no longer may is paused (see withheld), in
// t, so the pause commits with the change that found it.
func (s *Store) activeWebhooks(ctx context.Context, t *tx, propertyID string) ([]hook, error) {
	args := []any{micros(s.now())}
	for range strings.Count(activeReachSQL, "?") {
		args = append(args, propertyID)
	}
	rows, err := t.Query(ctx, `SELECT w.id, w.event_mask, w.send_data, CASE WHEN w.property_id IS NULL THEN 1 ELSE 0 END,
			`+makerKeySQL+`, CASE WHEN `+activeReachSQL+` THEN 1 ELSE 0 END
		FROM webhooks w WHERE w.is_active = ? AND (w.property_id = ?
		OR (w.property_id IS NULL AND (
			EXISTS (SELECT 1 FROM properties p JOIN organizations o ON o.id = p.organization_id WHERE p.id = ? AND o.owner_user_id = w.user_id)
			OR EXISTS (SELECT 1 FROM property_users pu WHERE pu.property_id = ? AND pu.user_id = w.user_id)
			OR EXISTS (SELECT 1 FROM group_properties gp JOIN group_users gu ON gu.group_id = gp.group_id WHERE gp.property_id = ? AND gu.user_id = w.user_id))))
		ORDER BY w.id`, append(args, true, propertyID, propertyID, propertyID, propertyID)...)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks of property: %w", err)
	}
	var out []hook
	pause := map[string]string{}
	for rows.Next() {
		var h hook
		var mask, keyState string
		var all, reaches int
		if err := rows.Scan(&h.id, &mask, &h.sendData, &all, &keyState, &reaches); err != nil {
			rows.Close()
			return nil, err
		}
		if reason, p := withheld(keyState, reaches == 1, all == 1); reason != "" {
			if p {
				pause[h.id] = reason
			}
			continue
		}
		h.mask, _ = keycard.ParseEventMask(mask)
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(pause)) {
		if err := s.pauseWebhook(ctx, t, id, pause[id]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pauseWebhook pauses an active webhook for reason, and records it. What
// it had queued is not sent: it was queued for a maker who may no longer
// read it.
func (s *Store) pauseWebhook(ctx context.Context, t *tx, id, reason string) error {
	res, err := t.Exec(ctx, `UPDATE webhooks SET is_active = ?, paused_reason = ?, updated_at = ? WHERE id = ? AND is_active = ?`,
		false, reason, micros(s.now()), id, true)
	if err != nil {
		return fmt.Errorf("store: pause webhook: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // paused already
	}
	if _, err := t.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, last_error = ?, claimed_until = NULL, lease = NULL
		WHERE webhook_id = ? AND status = ?`, keycard.DeliveryFailed, "not sent: "+reason, id, keycard.DeliveryPending); err != nil {
		return fmt.Errorf("store: pause webhook: %w", err)
	}
	w, err := s.scanWebhook(t.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`, id))
	if err != nil {
		return fmt.Errorf("store: pause webhook: %w", err)
	}
	return s.auditWebhook(ctx, t, nil, w, keycard.AuditWebhookPaused, map[string]any{"reason": reason})
}

// envelope is the body of a delivery, as in Channex.
type envelope struct {
	Event      string  `json:"event"`
	Payload    any     `json:"payload,omitempty"`
	PropertyID *string `json:"property_id"`
	UserID     *string `json:"user_id"`
	Timestamp  string  `json:"timestamp"`
}

// webhookTimestamp writes t as Channex's webhook timestamps are written.
func webhookTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000Z") }

// EnvelopeBody returns the JSON body of an event: the payload is left out
// unless sendData is set.
func EnvelopeBody(event, propertyID, userID string, payload any, sendData bool, at time.Time) []byte {
	env := envelope{Event: event, Timestamp: webhookTimestamp(at)}
	if propertyID != "" {
		env.PropertyID = &propertyID
	}
	if userID != "" {
		env.UserID = &userID
	}
	if sendData {
		env.Payload = payload
	}
	b, _ := json.Marshal(env)
	return b
}

// insertDelivery queues one delivery, due at once.
func (s *Store) insertDelivery(ctx context.Context, t *tx, webhookID, propertyID, event string, body []byte, now time.Time) error {
	_, err := t.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, property_id, event, body, status, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, newID(), webhookID, propertyID, event, string(body), keycard.DeliveryPending, micros(now), micros(now))
	if err != nil {
		return fmt.Errorf("store: queue webhook delivery: %w", err)
	}
	return nil
}

// enqueue queues an event of a property for every active webhook whose
// mask selects it, inside t: the delivery exists if and only if the change
// that made the event is committed.
func (s *Store) enqueue(ctx context.Context, t *tx, propertyID, userID, event string, payload any) error {
	hooks, err := s.activeWebhooks(ctx, t, propertyID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	now := s.now()
	for _, h := range hooks {
		if !h.mask.Matches(event) {
			continue
		}
		body := EnvelopeBody(event, propertyID, userID, payload, h.sendData, now)
		if err := s.insertDelivery(ctx, t, h.id, propertyID, event, body, now); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue queues an event of a property in a transaction of its own, for
// events not made by a store write (and for tests).
func (s *Store) Enqueue(ctx context.Context, propertyID, userID, event string, payload any) error {
	return s.write(ctx, func(t *tx) error { return s.enqueue(ctx, t, propertyID, userID, event, payload) })
}

// enqueueRevision queues the booking events of a revision just written in
// t: booking, booking_new / booking_modification / booking_cancellation,
// and booking_unmapped_room / booking_unmapped_rate when they apply. The
// booking revision writer calls it, once per revision.
func (s *Store) enqueueRevision(ctx context.Context, t *tx, n keycard.RevisionNotice) error {
	for _, event := range n.Events() {
		var payload any = map[string]string{"booking_id": n.BookingID, "property_id": n.PropertyID, "revision_id": n.RevisionID}
		if event == keycard.EventBookingUnmappedRoom || event == keycard.EventBookingUnmappedRate {
			payload = map[string]string{"booking_id": n.BookingID, "booking_revision_id": n.RevisionID}
		}
		if err := s.enqueue(ctx, t, n.PropertyID, n.UserID, event, payload); err != nil {
			return err
		}
	}
	return nil
}

// NotifyNonAcked queues the non_acked_booking event for every revision
// unacked for longer than after, once per revision, and returns how many
// it found (at most limit per call). Servers sharing a PostgreSQL database
// skip each other's rows.
func (s *Store) NotifyNonAcked(ctx context.Context, now time.Time, after time.Duration, limit int) (int, error) {
	var n int
	err := s.write(ctx, func(t *tx) error {
		lock := ""
		if s.dialect.name() == "postgres" {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		rows, err := t.Query(ctx, `SELECT id, booking_id, property_id FROM booking_revisions
			WHERE acked_at IS NULL AND non_acked_notified_at IS NULL AND inserted_at <= ?
			ORDER BY inserted_at LIMIT `+strconv.Itoa(limit)+lock, micros(now.Add(-after)))
		if err != nil {
			return fmt.Errorf("store: non-acked revisions: %w", err)
		}
		type rev struct{ id, booking, property string }
		var revs []rev
		for rows.Next() {
			var r rev
			if err := rows.Scan(&r.id, &r.booking, &r.property); err != nil {
				rows.Close()
				return err
			}
			revs = append(revs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range revs {
			payload := map[string]string{"booking_id": r.booking, "property_id": r.property, "revision_id": r.id}
			if err := s.enqueue(ctx, t, r.property, "", keycard.EventNonAckedBooking, payload); err != nil {
				return err
			}
			if _, err := t.Exec(ctx, `UPDATE booking_revisions SET non_acked_notified_at = ? WHERE id = ?`, micros(now), r.id); err != nil {
				return fmt.Errorf("store: mark non-acked revision: %w", err)
			}
		}
		n = len(revs)
		return nil
	})
	return n, err
}

// ariChange is one date of one room type (an availability change) or rate
// plan option (a rate and restriction change) written.
type ariChange struct {
	roomTypeID string
	ratePlanID string // "" for availability
	day        keycard.Date
	fields     []string
	values     map[string]any
}

func (c ariChange) payload() map[string]any {
	m := make(map[string]any, len(c.values)+3)
	for k, v := range c.values {
		m[k] = v
	}
	m["date"] = c.day.String()
	m["room_type_id"] = c.roomTypeID
	if c.ratePlanID == "" {
		m["rate_plan_id"] = nil
	} else {
		m["rate_plan_id"] = c.ratePlanID
	}
	return m
}

// enqueueARI queues ari events of one property: changes yields the
// property's changes, and is called only when some webhook may hear them.
func (s *Store) enqueueARI(ctx context.Context, t *tx, propertyID, userID string, changes func(yield func(ariChange) bool)) error {
	hooks, err := s.activeWebhooks(ctx, t, propertyID)
	if err != nil {
		return err
	}
	var ari []hook
	for _, h := range hooks {
		if h.mask.Matches(keycard.EventARI) {
			ari = append(ari, h)
		}
	}
	if len(ari) == 0 {
		return nil
	}
	now := s.now()
	batches := make([][]map[string]any, len(ari))
	flush := func(i int) error {
		if len(batches[i]) == 0 {
			return nil
		}
		body := EnvelopeBody(keycard.EventARI, propertyID, userID, batches[i], ari[i].sendData, now)
		batches[i] = batches[i][:0]
		return s.insertDelivery(ctx, t, ari[i].id, propertyID, keycard.EventARI, body, now)
	}
	var ferr error
	for c := range changes {
		var entry map[string]any
		for i, h := range ari {
			if !h.mask.MatchesARI(c.roomTypeID, c.ratePlanID, c.fields) {
				continue
			}
			if entry == nil {
				entry = c.payload()
			}
			batches[i] = append(batches[i], entry)
			if len(batches[i]) >= maxARIEntriesPerDelivery {
				if ferr = flush(i); ferr != nil {
					return ferr
				}
			}
		}
	}
	for i := range ari {
		if err := flush(i); err != nil {
			return err
		}
	}
	return nil
}

// ClaimDeliveries claims up to limit deliveries that are due at now, for
// lease: until then no other server takes them. On PostgreSQL, servers
// claiming at once skip each other's rows (FOR UPDATE SKIP LOCKED); SQLite
// has one writer at a time. A server that dies leaves its claims to
// expire, and another takes them.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*keycard.WebhookCall, error) {
	token := newID()
	var out []*keycard.WebhookCall
	var unopened []string
	type withholding struct {
		delivery, webhook, reason string
		pause                     bool
	}
	var withhold []withholding
	err := s.write(ctx, func(t *tx) error {
		lock := ""
		if s.dialect.name() == "postgres" {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		_, err := t.Exec(ctx, `UPDATE webhook_deliveries SET claimed_until = ?, lease = ? WHERE id IN (
			SELECT d.id FROM webhook_deliveries d WHERE d.status = ? AND d.next_attempt_at <= ?
				AND (d.claimed_until IS NULL OR d.claimed_until <= ?)
				AND d.webhook_id IN (SELECT id FROM webhooks WHERE is_active = ?)
			ORDER BY d.next_attempt_at LIMIT `+strconv.Itoa(limit)+lock+`)`,
			micros(now.Add(lease)), token, keycard.DeliveryPending, micros(now), micros(now), true)
		if err != nil {
			return fmt.Errorf("store: claim deliveries: %w", err)
		}
		// Each delivery goes out only while the webhook's maker could
		// still read its data (see activeWebhooks): access may have ended
		// since it was queued.
		rows, err := t.Query(ctx, `SELECT `+deliveryColumns+`, w.callback_url, w.request_params, w.headers_sealed, w.secret_sealed,
				CASE WHEN w.property_id IS NULL THEN 1 ELSE 0 END, `+makerKeySQL+`,
				CASE WHEN d.property_id IS NULL OR `+makerReachSQL("d.property_id")+` THEN 1 ELSE 0 END
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.lease = ? ORDER BY d.next_attempt_at, d.id`, micros(now), token)
		if err != nil {
			return fmt.Errorf("store: read claimed deliveries: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c keycard.WebhookCall
			var params, keyState string
			var headers, secret []byte
			var all, reaches int
			d := &c.Delivery
			if err := scanDelivery(rows, d, &c.CallbackURL, &params, &headers, &secret, &all, &keyState, &reaches); err != nil {
				return err
			}
			if reason, pause := withheld(keyState, reaches == 1, all == 1); reason != "" {
				withhold = append(withhold, withholding{delivery: d.ID, webhook: d.WebhookID, reason: reason, pause: pause})
				continue
			}
			if err := json.Unmarshal([]byte(params), &c.RequestParams); err != nil {
				return fmt.Errorf("store: webhook %s request params: %w", d.WebhookID, err)
			}
			plainHeaders, herr := s.open(headers, "webhook-headers:"+d.WebhookID)
			plainSecret, serr := s.open(secret, "webhook-secret:"+d.WebhookID)
			if errors.Is(herr, errNoBox) || errors.Is(serr, errNoBox) {
				return errNoBox
			}
			if herr != nil || serr != nil || json.Unmarshal(plainHeaders, &c.Headers) != nil {
				// Sealed under another key: this delivery can never be
				// signed; it must not hold up the others.
				unopened = append(unopened, d.ID)
				continue
			}
			c.Secret, c.Lease = string(plainSecret), token
			out = append(out, &c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, id := range unopened {
			if _, err := t.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, last_error = ?, claimed_until = NULL, lease = NULL WHERE id = ?`,
				keycard.DeliveryFailed, "the webhook's secret does not open with this server's --webhook-key-file", id); err != nil {
				return fmt.Errorf("store: fail unsigned delivery: %w", err)
			}
		}
		for _, w := range withhold {
			if _, err := t.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, last_error = ?, claimed_until = NULL, lease = NULL WHERE id = ?`,
				keycard.DeliveryFailed, "not sent: "+w.reason, w.delivery); err != nil {
				return fmt.Errorf("store: withhold delivery: %w", err)
			}
			if w.pause {
				if err := s.pauseWebhook(ctx, t, w.webhook, w.reason); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// DeliveryOutcome is the result of one try of a delivery.
type DeliveryOutcome struct {
	// Delivered reports a 2xx answer.
	Delivered bool
	// Status is the HTTP status of the answer, 0 for none.
	Status int
	// Error says why the try failed, without any secret.
	Error string
	// RetryAt is when to try again; zero marks the delivery failed.
	RetryAt time.Time
}

// RecordDelivery records the outcome of a try of a claimed delivery and
// releases the claim. It reports false, recording nothing, when the claim
// was lost (its lease expired and another server took it).
func (s *Store) RecordDelivery(ctx context.Context, c *keycard.WebhookCall, o DeliveryOutcome, now time.Time) (bool, error) {
	status, next := keycard.DeliveryPending, o.RetryAt
	var delivered any
	switch {
	case o.Delivered:
		status, next, delivered = keycard.DeliveryDelivered, now, micros(now)
	case o.RetryAt.IsZero():
		status, next = keycard.DeliveryFailed, now
	}
	if len(o.Error) > 500 {
		o.Error = o.Error[:500]
	}
	var n int64
	err := s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
			next_attempt_at = ?, delivered_at = ?, claimed_until = NULL, lease = NULL WHERE id = ? AND lease = ?`,
			status, o.Status, keycard.CleanText(o.Error), micros(next), delivered, c.Delivery.ID, c.Lease)
		if err != nil {
			return fmt.Errorf("store: record delivery: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

// PurgeDeliveries deletes the deliveries made before before, and returns
// how many.
func (s *Store) PurgeDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `DELETE FROM webhook_deliveries WHERE created_at < ?`, micros(before))
		if err != nil {
			return fmt.Errorf("store: purge deliveries: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
