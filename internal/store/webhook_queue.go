package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// maxARIEntriesPerDelivery splits a large ARI write into several
// deliveries of at most this many changes each.
const maxARIEntriesPerDelivery = 1000

// hook is an active webhook an event may go to.
type hook struct {
	id       string
	mask     keycard.EventMask
	sendData bool
	// perms, for a webhook made with a key, are the key's permissions
	// now: it hears only what the key may read. Nil for a user's webhook.
	perms *keycard.Permissions
}

// hears reports whether h may carry event: a key's webhook carries booking
// events while the key may read bookings. ARI changes are checked one by
// one (hearsARI).
func (h hook) hears(event string) bool {
	if h.perms == nil || event == keycard.EventARI || event == keycard.EventTest {
		return true
	}
	return h.perms.Allow(keycard.Needs(keycard.LevelRead, keycard.FamilyBookings)) == nil
}

// hearsARI reports whether h may carry an ARI change: availability (no
// rate plan) while its key may read availability, rates and restrictions
// while it may read restrictions.
func (h hook) hearsARI(ratePlanID string) bool {
	if h.perms == nil {
		return true
	}
	f := keycard.FamilyRestrictions
	if ratePlanID == "" {
		f = keycard.FamilyAvailability
	}
	return h.perms.Level(f) >= keycard.LevelRead
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
	return `(` + makerUserReachSQL(prop) + `
	AND (w.api_key_id IS NULL OR EXISTS (SELECT 1 FROM api_keys mk JOIN properties kr ON kr.id = ` + prop + `
		JOIN organizations ko ON ko.id = kr.organization_id WHERE mk.id = w.api_key_id AND ` + keyOrgSQL("mk.organization_id", "mk.id") + `
		AND (mk.access_all_properties = TRUE OR EXISTS (SELECT 1 FROM api_key_properties mkp WHERE mkp.api_key_id = mk.id AND mkp.property_id = ` + prop + `)))))`
}

// makerUserReachSQL returns a condition over webhooks w: the user who
// made w reaches the property whose id is the SQL expression prop, as
// userReachSQL has it (the organisation's owner, a property user, a group
// user).
func makerUserReachSQL(prop string) string {
	return `(EXISTS (SELECT 1 FROM properties mp JOIN organizations mo ON mo.id = mp.organization_id WHERE mp.id = ` + prop + ` AND mo.owner_user_id = w.user_id)
		OR EXISTS (SELECT 1 FROM property_users mpu WHERE mpu.property_id = ` + prop + ` AND mpu.user_id = w.user_id)
		OR EXISTS (SELECT 1 FROM group_properties mgp JOIN group_users mgu ON mgu.group_id = mgp.group_id WHERE mgp.property_id = ` + prop + ` AND mgu.user_id = w.user_id))`
}

// activeReachSQL is makerReachSQL, and activeUserReachSQL
// makerUserReachSQL, for a property bound as an argument
// (as many times as it has placeholders).
var (
	activeReachSQL     = makerReachSQL("?")
	activeUserReachSQL = makerUserReachSQL("?")
)

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
	property := func(args []any, condition string) []any {
		for range strings.Count(condition, "?") {
			args = append(args, propertyID)
		}
		return args
	}
	args := property([]any{micros(s.now())}, activeReachSQL)
	args = property(append(args, true, propertyID), activeUserReachSQL)
	// The candidates: the property's own webhooks, and the all-properties
	// webhooks of the users who reach it.
	rows, err := t.Query(ctx, `SELECT w.id, w.event_mask, w.send_data, CASE WHEN w.property_id IS NULL THEN 1 ELSE 0 END,
			`+makerKeySQL+`, CASE WHEN `+activeReachSQL+` THEN 1 ELSE 0 END,
			(SELECT mk.permissions FROM api_keys mk WHERE mk.id = w.api_key_id)
		FROM webhooks w WHERE w.is_active = ? AND (w.property_id = ? OR (w.property_id IS NULL AND `+activeUserReachSQL+`))
		ORDER BY w.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks of property: %w", err)
	}
	var out []hook
	pause := map[string]string{}
	for rows.Next() {
		var h hook
		var mask, keyState string
		var all, reaches int
		var perms sql.NullString
		if err := rows.Scan(&h.id, &mask, &h.sendData, &all, &keyState, &reaches, &perms); err != nil {
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
		if perms.Valid {
			p := keycard.StoredPermissions(perms.String)
			h.perms = &p
		}
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

// delivery is one webhook delivery to queue, due at once.
type delivery struct {
	webhookID, propertyID, event string
	body                         []byte
	now                          time.Time
}

// insertDeliveries queues deliveries, in order.
func insertDeliveries(ctx context.Context, t *tx, ds []delivery) error {
	args := make([]any, 0, 8*len(ds))
	for _, d := range ds {
		args = append(args, newID(), d.webhookID, d.propertyID, d.event, string(d.body), keycard.DeliveryPending, micros(d.now), micros(d.now))
	}
	err := insertRows(ctx, t, `INSERT INTO webhook_deliveries (id, webhook_id, property_id, event, body, status, created_at, next_attempt_at)`, 8, args, "")
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
	if err != nil {
		return err
	}
	var ds []delivery
	s.eventDeliveries(hooks, propertyID, userID, event, payload, func(d delivery) { ds = append(ds, d) })
	if len(ds) == 0 {
		return nil
	}
	return insertDeliveries(ctx, t, ds)
}

// eventDeliveries passes to queue the deliveries of an event of a property
// to hooks, the property's active webhooks: one to each whose mask
// selects it.
func (s *Store) eventDeliveries(hooks []hook, propertyID, userID, event string, payload any, queue func(delivery)) {
	if len(hooks) == 0 {
		return
	}
	now := s.now()
	for _, h := range hooks {
		if !h.mask.Matches(event) || !h.hears(event) {
			continue
		}
		queue(delivery{h.id, propertyID, event, keycard.WebhookBody(event, propertyID, userID, payload, h.sendData, now), now})
	}
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
		if err := s.enqueue(ctx, t, n.PropertyID, n.UserID, event, n.Payload(event)); err != nil {
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
		lock := s.dialect.skipLocked()
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
		// A backlog's revisions come a property at a time: its webhooks
		// are looked up once for them all, and the revisions marked in
		// one statement.
		hooks := map[string][]hook{}
		var ds []delivery
		ids := make([]any, 0, len(revs)+1)
		ids = append(ids, micros(now))
		for _, r := range revs {
			hs, ok := hooks[r.property]
			if !ok {
				if hs, err = s.activeWebhooks(ctx, t, r.property); err != nil {
					return err
				}
				hooks[r.property] = hs
			}
			if len(hs) > 0 {
				n := keycard.RevisionNotice{PropertyID: r.property, BookingID: r.booking, RevisionID: r.id}
				s.eventDeliveries(hs, r.property, "", keycard.EventNonAckedBooking, n.Payload(keycard.EventNonAckedBooking),
					func(d delivery) { ds = append(ds, d) })
			}
			ids = append(ids, r.id)
		}
		if len(ds) > 0 {
			if err := insertDeliveries(ctx, t, ds); err != nil {
				return err
			}
		}
		if len(revs) > 0 {
			_, err := t.Exec(ctx, `UPDATE booking_revisions SET non_acked_notified_at = ? WHERE id IN (`+placeholders(len(revs))+`)`, ids...)
			if err != nil {
				return fmt.Errorf("store: mark non-acked revisions: %w", err)
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

// ariCell is a cell an ARI change names: a day of a room type (its
// availability) or of a rate plan (its rates and restrictions).
type ariCell struct {
	roomTypeID, ratePlanID string
	day                    keycard.Date
}

// enqueueARI queues ari events of one property, and marks the cells they
// name for its channels: changes yields the property's changes, and is
// called only when some webhook may hear them; cells yields the cells
// they name (cheaply: no values), and is called only when some active
// channel maps the property.
func (s *Store) enqueueARI(ctx context.Context, t *tx, propertyID, userID string, cells func(yield func(ariCell) bool),
	changes func(yield func(ariChange) bool)) error {
	// The cells go to the property's channels (see channel_outbox.go).
	if err := s.markChannelARI(ctx, t, propertyID, cells); err != nil {
		return err
	}
	return s.queueARIWebhooks(ctx, t, propertyID, userID, changes)
}

// queueARIWebhooks queues the ari events of one property's changes (see
// enqueueARI).
func (s *Store) queueARIWebhooks(ctx context.Context, t *tx, propertyID, userID string, changes func(yield func(ariChange) bool)) error {
	hooks, err := s.activeWebhooks(ctx, t, propertyID)
	if err != nil {
		return err
	}
	return s.ariDeliveries(hooks, propertyID, userID, changes, func(d delivery) error { return insertDeliveries(ctx, t, []delivery{d}) })
}

// ariDeliveries passes to queue the ari deliveries of a property's
// changes to hooks, the property's active webhooks: to each whose mask
// selects some, the changes it selects, maxARIEntriesPerDelivery to a
// delivery. changes is called only when some webhook may hear them.
func (s *Store) ariDeliveries(hooks []hook, propertyID, userID string, changes func(yield func(ariChange) bool),
	queue func(delivery) error) error {
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
		body := keycard.WebhookBody(keycard.EventARI, propertyID, userID, batches[i], ari[i].sendData, now)
		batches[i] = batches[i][:0]
		return queue(delivery{ari[i].id, propertyID, keycard.EventARI, body, now})
	}
	for c := range changes {
		var entry map[string]any
		for i, h := range ari {
			if !h.mask.MatchesARI(c.roomTypeID, c.ratePlanID, c.fields) || !h.hearsARI(c.ratePlanID) {
				continue
			}
			if entry == nil {
				entry = keycard.ARIPayload(c.roomTypeID, c.ratePlanID, c.day, c.values)
			}
			batches[i] = append(batches[i], entry)
			if len(batches[i]) >= maxARIEntriesPerDelivery {
				if err := flush(i); err != nil {
					return err
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
