package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const deliveryColumns = `d.id, d.webhook_id, d.property_id, d.event, d.body, d.status, d.attempts, d.last_status, d.last_error,
	d.created_at, d.next_attempt_at, d.delivered_at`

var deliveryFields = map[string]column{
	"event":           {expr: "d.event"},
	"status":          {expr: "d.status"},
	"created_at":      {expr: "d.created_at", kind: kindTime},
	"id":              {expr: "d.id"},
	"webhook_id":      {expr: "d.webhook_id"},
	"attempts":        {expr: "d.attempts", kind: kindInt},
	"response_status": {expr: "d.last_status", kind: kindInt},
	"error":           {expr: "d.last_error"},
	"next_attempt_at": {expr: "d.next_attempt_at", kind: kindTime},
	"delivered_at":    {expr: "d.delivered_at", kind: kindTime},
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
		lock := s.dialect.skipLocked()
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
