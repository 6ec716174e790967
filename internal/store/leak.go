package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// ReportLeaks handles a secret scanner's report: for each token it
// returns the label, true_positive for a live key of keycard (active, not
// expired) and false_positive for anything else (malformed, unknown,
// withdrawn, expired, a session token). A live key is withdrawn with
// reason "leaked" when withdraw is set, else only flagged; either way its
// organisation gets the leak mark, an audit event and the api_key_leaked
// webhook event. A key already flagged is not flagged again. Reports of
// anything but a live key change nothing. The old secret of a rolled key,
// still in its grace period, counts as live: its grace ends, and the key
// (whose new secret did not leak) is flagged, not withdrawn.
//
// by is who reports: nil for a secret-scanning partner, whose report
// reaches every organisation's keys; else the owner of an organisation
// (`keycard key scan --report`), whose report reaches only its keys.
func (s *Store) ReportLeaks(ctx context.Context, by *keycard.Principal, reports []keycard.LeakReport, withdraw bool) ([]string, error) {
	if by != nil && !by.OrganizationOwner {
		return nil, keycard.Errorf(keycard.EForbidden, "Only the organisation's owner may report its keys leaked")
	}
	labels := make([]string, len(reports))
	for i := range labels {
		labels[i] = keycard.LabelFalsePositive
	}
	// Hashing first keeps malformed tokens out of the transaction, which
	// is not begun when none is well formed.
	var candidates []int
	for i, r := range reports {
		if tokens.Valid(tokens.KeyPrefix, r.Token) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return labels, nil
	}
	err := s.write(ctx, func(t *tx) error {
		for _, i := range candidates {
			ok, err := s.reportLeak(ctx, t, by, reports[i], withdraw)
			if err != nil {
				return err
			}
			if ok {
				labels[i] = keycard.LabelTruePositive
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return labels, nil
}

// reportLeak handles one well-formed token in t, and reports whether it
// is a live key.
func (s *Store) reportLeak(ctx context.Context, t *tx, by *keycard.Principal, r keycard.LeakReport, withdraw bool) (bool, error) {
	now := s.now()
	h := tokens.Hash(r.Token)
	var id, orgID, userID, name, hint, status string
	var expires, leaked, prevExpires sql.NullInt64
	var prevHash sql.NullString
	err := t.QueryRow(ctx, `SELECT id, organization_id, user_id, name, hint, status, expires_at, leaked_at, previous_key_hash, previous_expires_at
		FROM api_keys WHERE key_hash = ? OR previous_key_hash = ?`, h, h).
		Scan(&id, &orgID, &userID, &name, &hint, &status, &expires, &leaked, &prevHash, &prevExpires)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: find reported key: %w", err)
	}
	if by != nil && orgID != by.OrganizationID {
		return false, nil // another organisation's key: told apart from no key by nothing
	}
	old := prevHash.Valid && prevHash.String == h
	switch {
	case status != keycard.KeyActive,
		expires.Valid && expires.Int64 <= micros(now),
		old && (!prevExpires.Valid || prevExpires.Int64 <= micros(now)):
		return false, nil
	}
	url := leakURL(r.URL)
	withdrawn := withdraw && !old
	switch {
	case withdrawn:
		_, err = t.Exec(ctx, `UPDATE api_keys SET status = ?, withdrawn_at = ?, withdrawn_reason = ?, leaked_at = ?, leaked_url = ?,
			leak_dismissed_at = NULL, previous_key_hash = NULL, previous_expires_at = NULL WHERE id = ?`,
			keycard.KeyWithdrawn, micros(now), keycard.WithdrawnLeaked, micros(now), url, id)
		t.changed(changeAccess)
	case old:
		// The old secret leaked: its grace ends now.
		_, err = t.Exec(ctx, `UPDATE api_keys SET previous_key_hash = NULL, previous_expires_at = NULL, leaked_at = ?, leaked_url = ?,
			leak_dismissed_at = NULL WHERE id = ?`, micros(now), url, id)
		t.changed(changeAccess)
	case leaked.Valid:
		return true, nil // flagged already
	default:
		_, err = t.Exec(ctx, `UPDATE api_keys SET leaked_at = ?, leaked_url = ?, leak_dismissed_at = NULL WHERE id = ?`, micros(now), url, id)
	}
	if err != nil {
		return false, fmt.Errorf("store: mark leaked key: %w", err)
	}
	details := map[string]any{"url": url, "withdrawn": withdrawn}
	if src := clip(r.Source, 100); src != "" {
		details["source"] = src
	}
	if old {
		details["previous_secret"] = true
	}
	actorType, actorID := keycard.ActorKeycard, ""
	if by != nil {
		actorType, actorID = keycard.ActorUser, by.UserID
		if by.ViaAPIKey() {
			actorType, actorID = keycard.ActorAPIKey, by.APIKeyID
		}
	}
	if err := s.insertAudit(ctx, t, auditEntry{orgID: orgID, event: keycard.AuditLeaked, keyID: id, userID: userID,
		actorType: actorType, actorID: actorID, details: details}); err != nil {
		return false, err
	}
	payload := map[string]any{"api_key_id": id, "name": name, "key_hint": hint, "url": url, "withdrawn": withdrawn,
		"leaked_at": now.UTC().Format(time.RFC3339)}
	return true, s.enqueueOrganization(ctx, t, orgID, keycard.EventAPIKeyLeaked, payload)
}

// leakURL is the reported URL as kept: valid UTF-8, bounded.
func leakURL(u string) string { return clip(strings.TrimSpace(u), keycard.MaxLeakURL) }

// clip returns s as valid UTF-8 with no NUL, of at most n bytes.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// enqueueOrganization queues an organisation's event (one of no property)
// for the active webhooks its owner made while signed in whose event_mask
// names the event; "*" does not select it. Webhooks made by keys are left
// out: a key's holder (an RMS, say) is not told of the organisation's
// other keys.
func (s *Store) enqueueOrganization(ctx context.Context, t *tx, orgID, event string, payload any) error {
	rows, err := t.Query(ctx, `SELECT w.id, w.event_mask, w.send_data, w.user_id FROM webhooks w
		JOIN organizations o ON o.owner_user_id = w.user_id
		WHERE o.id = ? AND w.is_active = ? AND w.api_key_id IS NULL ORDER BY w.id`, orgID, true)
	if err != nil {
		return fmt.Errorf("store: webhooks of organisation: %w", err)
	}
	type target struct {
		id, user string
		sendData bool
	}
	var targets []target
	for rows.Next() {
		var tg target
		var mask string
		if err := rows.Scan(&tg.id, &mask, &tg.sendData, &tg.user); err != nil {
			rows.Close()
			return err
		}
		if m, _ := keycard.ParseEventMask(mask); m.Names(event) {
			targets = append(targets, tg)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.now()
	for _, tg := range targets {
		body := keycard.WebhookBody(event, "", tg.user, payload, tg.sendData, now)
		if _, err := t.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, property_id, event, body, status, created_at, next_attempt_at)
			VALUES (?, ?, NULL, ?, ?, ?, ?, ?)`, newID(), tg.id, event, string(body), keycard.DeliveryPending, micros(now), micros(now)); err != nil {
			return fmt.Errorf("store: queue webhook delivery: %w", err)
		}
	}
	return nil
}

// LeakedKeys returns the keys of p's organisation reported leaked whose
// mark its owner has not dismissed, newest first; none for anyone but the
// owner.
func (s *Store) LeakedKeys(ctx context.Context, p *keycard.Principal) ([]keycard.LeakedKey, error) {
	if !p.OrganizationOwner {
		return nil, nil
	}
	var out []keycard.LeakedKey
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT id, name, hint, leaked_url, status, leaked_at FROM api_keys
			WHERE organization_id = ? AND leaked_at IS NOT NULL AND leak_dismissed_at IS NULL ORDER BY leaked_at DESC, id`, p.OrganizationID)
		if err != nil {
			return fmt.Errorf("store: leaked keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k keycard.LeakedKey
			var status string
			var at int64
			if err := rows.Scan(&k.ID, &k.Name, &k.Hint, &k.URL, &status, &at); err != nil {
				return err
			}
			k.Withdrawn, k.LeakedAt = status == keycard.KeyWithdrawn, fromMicros(at)
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

// DismissLeak takes down the leak mark of a key of p's organisation; only
// the owner may.
func (s *Store) DismissLeak(ctx context.Context, p *keycard.Principal, keyID string) error {
	if !p.OrganizationOwner || p.ViaAPIKey() || !keycard.ValidID(keyID) {
		return keycard.NotFound()
	}
	return s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `UPDATE api_keys SET leak_dismissed_at = ? WHERE id = ? AND organization_id = ? AND leaked_at IS NOT NULL
			AND leak_dismissed_at IS NULL`, micros(s.now()), keyID, p.OrganizationID)
		if err != nil {
			return fmt.Errorf("store: dismiss leak: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, keycard.NotFound())
		}
		return nil
	})
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
