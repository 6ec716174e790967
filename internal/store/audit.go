package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// maxUserAgent bounds the user agent kept with an event.
const maxUserAgent = 300

var auditFields = map[string]column{
	"event":       {expr: "e.event"},
	"api_key_id":  {expr: "e.api_key_id"},
	"user_id":     {expr: "e.user_id"},
	"actor_id":    {expr: "e.actor_id"},
	"occurred_at": {expr: "e.occurred_at", kind: kindTime},
	"id":          {expr: "e.id"},
	"ip":          {expr: "e.ip"},
	"user_agent":  {expr: "e.user_agent"},
}

// auditEntry is an event about to be written; the client's address and
// user agent come from the request's context.
type auditEntry struct {
	orgID, event, keyID, userID, actorType, actorID string
	details                                         map[string]any
}

func (s *Store) insertAudit(ctx context.Context, t *tx, e auditEntry) error {
	return s.insertAuditAt(ctx, t, e, s.now(), keycard.RequestInfoFrom(ctx))
}

// insertAuditAt writes an event that happened at a time, from a client.
func (s *Store) insertAuditAt(ctx context.Context, t *tx, e auditEntry, at time.Time, ri keycard.RequestInfo) error {
	ip := ""
	if ri.Addr.IsValid() {
		ip = ri.Addr.String()
	}
	ua := strings.ToValidUTF8(strings.ReplaceAll(ri.UserAgent, "\x00", ""), "")
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	details := []byte("{}")
	if len(e.details) > 0 {
		var err error
		if details, err = json.Marshal(e.details); err != nil {
			return fmt.Errorf("store: audit details: %w", err)
		}
	}
	_, err := t.Exec(ctx, `INSERT INTO audit_events (id, organization_id, occurred_at, event, api_key_id, user_id, actor_type, actor_id, ip, user_agent, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		newID(), e.orgID, micros(at), e.event, nullString(e.keyID), nullString(e.userID), e.actorType, e.actorID, ip, ua, string(details))
	if err != nil {
		return fmt.Errorf("store: write audit event: %w", err)
	}
	return nil
}

// recordFirstUse records a key's first successful use, unless an earlier
// one was recorded (by another server, or before a restart).
func (s *Store) recordFirstUse(ctx context.Context, t *tx, keyID string, at time.Time, ri keycard.RequestInfo) error {
	var orgID, userID string
	var n int
	err := t.QueryRow(ctx, `SELECT k.organization_id, k.user_id, (SELECT COUNT(*) FROM audit_events e WHERE e.api_key_id = k.id AND e.event = ?)
		FROM api_keys k WHERE k.id = ?`, keycard.AuditFirstUsed, keyID).Scan(&orgID, &userID, &n)
	if err != nil || n > 0 {
		return notFound(err)
	}
	return s.auditKeyUse(ctx, t, auditEntry{orgID: orgID, event: keycard.AuditFirstUsed, keyID: keyID, userID: userID,
		actorType: keycard.ActorAPIKey, actorID: keyID}, at, ri)
}

// auditKeyUse records a use or refusal of a key in its organisation's log
// and in the logs of the other organisations whose properties it reaches:
// an organisation sees what keys from outside do with access to its
// properties.
func (s *Store) auditKeyUse(ctx context.Context, t *tx, e auditEntry, at time.Time, ri keycard.RequestInfo) error {
	orgs, err := externalOrgs(ctx, t, e.keyID)
	if err != nil {
		return err
	}
	for _, org := range append([]string{e.orgID}, orgs...) {
		e.orgID = org
		if err := s.insertAuditAt(ctx, t, e, at, ri); err != nil {
			return err
		}
	}
	return nil
}

// auditKey records an event of key k done by p.
func (s *Store) auditKey(ctx context.Context, t *tx, p *keycard.Principal, k *keycard.APIKey, event string, details map[string]any) error {
	actorType, actorID := keycard.ActorUser, p.UserID
	if p.ViaAPIKey() {
		actorType, actorID = keycard.ActorAPIKey, p.APIKeyID
	}
	return s.insertAudit(ctx, t, auditEntry{orgID: k.OrganizationID, event: event, keyID: k.ID, userID: k.UserID,
		actorType: actorType, actorID: actorID, details: details})
}

// RecordKeyEvent records an event of a key's use, made by the key itself:
// a refused use and why. The expiry is recorded once per key: later
// expired refusals are recorded as refused uses.
func (s *Store) RecordKeyEvent(ctx context.Context, keyID, event, reason string) error {
	return s.write(ctx, func(t *tx) error {
		var orgID, userID string
		err := t.QueryRow(ctx, `SELECT organization_id, user_id FROM api_keys WHERE id = ?`, keyID).Scan(&orgID, &userID)
		if err != nil {
			return notFound(err)
		}
		if event == keycard.AuditExpired {
			var n int
			if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE api_key_id = ? AND event = ?`, keyID, event).Scan(&n); err != nil {
				return fmt.Errorf("store: find audit event: %w", err)
			}
			if n > 0 {
				event = keycard.AuditUseRefused
			}
		}
		var details map[string]any
		if reason != "" {
			details = map[string]any{"reason": reason}
		}
		return s.auditKeyUse(ctx, t, auditEntry{orgID: orgID, event: event, keyID: keyID, userID: userID,
			actorType: keycard.ActorAPIKey, actorID: keyID, details: details}, s.now(), keycard.RequestInfoFrom(ctx))
	})
}

// recordSignIn records a sign-in of u, successful or not.
func (s *Store) recordSignIn(ctx context.Context, u *keycard.User, ok bool) error {
	event := keycard.AuditSignedIn
	if !ok {
		event = keycard.AuditSignInFailed
	}
	return s.write(ctx, func(t *tx) error {
		return s.insertAudit(ctx, t, auditEntry{orgID: u.OrganizationID, event: event, userID: u.ID,
			actorType: keycard.ActorUser, actorID: u.ID})
	})
}

// ListAuditEvents returns a page of the events p sees, newest first: the
// billing account owner sees the organisation's; another user sees the
// events of their own keys and their own sign-ins.
func (s *Store) ListAuditEvents(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.AuditEvent, int, error) {
	where, args, order, err := listSQL(q, auditFields, "e.occurred_at DESC, e.id DESC")
	if err != nil {
		return nil, 0, err
	}
	vis, vargs := `e.organization_id = ? AND e.user_id = ?`, []any{p.OrganizationID, p.UserID}
	if p.OrganizationOwner {
		vis, vargs = `e.organization_id = ?`, []any{p.OrganizationID}
	}
	args = append(vargs, args...)
	var out []*keycard.AuditEvent
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events e WHERE `+vis+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count audit events: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT e.id, e.organization_id, e.occurred_at, e.event, e.api_key_id, e.user_id, e.actor_type, e.actor_id,
			e.ip, e.user_agent, e.details FROM audit_events e WHERE `+vis+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list audit events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e keycard.AuditEvent
			var at int64
			var keyID, userID sql.NullString
			var details string
			if err := rows.Scan(&e.ID, &e.OrganizationID, &at, &e.Event, &keyID, &userID, &e.ActorType, &e.ActorID, &e.IP, &e.UserAgent, &details); err != nil {
				return err
			}
			e.OccurredAt, e.APIKeyID, e.UserID, e.Details = fromMicros(at), keyID.String, userID.String, json.RawMessage(details)
			out = append(out, &e)
		}
		return rows.Err()
	})
	return out, total, err
}

// PurgeAuditEvents deletes the events older than before and says how many.
func (s *Store) PurgeAuditEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `DELETE FROM audit_events WHERE occurred_at < ?`, micros(before))
		if err != nil {
			return fmt.Errorf("store: purge audit events: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// SetClock replaces the store's clock; for tests, which hold expiry and
// grace periods still.
func (s *Store) SetClock(now func() time.Time) { s.now = now }
