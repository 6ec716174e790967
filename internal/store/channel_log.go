package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// addChannelEvent records an event of a channel in t. It fills in what e
// leaves empty: the id, the channel's property, the status ("ok"), the
// payload ({}), and the time (now).
func (t *tx) addChannelEvent(ctx context.Context, e *keycard.ChannelEvent) error {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.PropertyID == "" {
		if err := t.QueryRow(ctx, `SELECT property_id FROM channels WHERE id = ?`, e.ChannelID).Scan(&e.PropertyID); err != nil {
			return fmt.Errorf("store: channel event: channel %s: %w", e.ChannelID, err)
		}
	}
	if e.Status == "" {
		e.Status = keycard.ChannelEventOK
	}
	if len(e.Payload) == 0 {
		e.Payload = json.RawMessage(`{}`)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = t.now()
	}
	var user, resolved any
	if e.UserID != "" {
		user = e.UserID
	}
	if !e.ResolvedAt.IsZero() {
		resolved = micros(e.ResolvedAt)
	}
	_, err := t.Exec(ctx, `INSERT INTO channel_events (id, channel_id, property_id, type, status, payload, user_id, resolved_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.ChannelID, e.PropertyID, e.Type, e.Status, string(e.Payload), user, resolved, micros(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: channel event: %w", err)
	}
	return nil
}

// addChannelLog records one exchange with a channel in t, its bodies cut
// to keycard.MaxChannelLogBody. It fills in the id and the time (now).
func (t *tx) addChannelLog(ctx context.Context, l *keycard.ChannelLog) error {
	if l.ID == "" {
		l.ID = newID()
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = t.now()
	}
	var event any
	if l.ChannelEventID != "" {
		event = l.ChannelEventID
	}
	_, err := t.Exec(ctx, `INSERT INTO channel_logs (id, channel_id, channel_event_id, method, url, request_id, request_body, status,
			response_body, error, duration_us, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.ChannelID, event, l.Method, l.URL, l.RequestID, cutBody(l.RequestBody), int64(l.Status),
		cutBody(l.ResponseBody), l.Error, l.Duration.Microseconds(), micros(l.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: channel log: %w", err)
	}
	return nil
}

// cutBody cuts a body to what the channel log keeps, on a character
// boundary.
func cutBody(s string) string {
	if len(s) <= keycard.MaxChannelLogBody {
		return s
	}
	cut := keycard.MaxChannelLogBody
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "\n[cut: " + strconv.Itoa(len(s)) + " bytes in all]"
}

// AddChannelExchange records an exchange with a channel made outside a
// push (a probe, a mapping snapshot): an event of type typ, ok or failed
// as the exchange went, with its log.
func (s *Store) AddChannelExchange(ctx context.Context, channelID, typ, userID string, l keycard.ChannelLog) error {
	return s.write(ctx, func(t *tx) error {
		e := &keycard.ChannelEvent{ChannelID: channelID, Type: typ, UserID: userID, CreatedAt: s.now()}
		if l.Error != "" {
			e.Status = keycard.ChannelEventFailed
		}
		if err := t.addChannelEvent(ctx, e); err != nil {
			return err
		}
		l.ChannelID, l.ChannelEventID = channelID, e.ID
		if l.CreatedAt.IsZero() {
			l.CreatedAt = e.CreatedAt
		}
		return t.addChannelLog(ctx, &l)
	})
}

// purgeBatch is how many rows one purge statement deletes at most.
const purgeBatch = 5000

// PurgeChannelLogs deletes the channel log older than before, and the
// events older than before that await no one (not "open"), a batch at a
// time, and returns how many rows it deleted.
func (s *Store) PurgeChannelLogs(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM channel_logs WHERE id IN (SELECT id FROM channel_logs WHERE created_at < ? LIMIT ` + strconv.Itoa(purgeBatch) + `)`,
		`DELETE FROM channel_events WHERE id IN (SELECT id FROM channel_events WHERE created_at < ? AND status <> '` +
			keycard.ChannelEventOpen + `' LIMIT ` + strconv.Itoa(purgeBatch) + `)`,
	} {
		for {
			var n int64
			err := s.write(ctx, func(t *tx) error {
				res, err := t.Exec(ctx, q, micros(before))
				if err != nil {
					return fmt.Errorf("store: purge channel log: %w", err)
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < purgeBatch {
				break
			}
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
		}
	}
	return total, nil
}
