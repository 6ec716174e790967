package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const channelEventColumns = `e.id, e.channel_id, e.property_id, e.type, e.status, e.payload, e.user_id, e.resolved_at, e.created_at`

var channelEventFields = map[string]column{
	"id":          {expr: "e.id"},
	"channel_id":  {expr: "e.channel_id"},
	"property_id": {expr: "e.property_id"},
	"type":        {expr: "e.type"},
	"event":       {expr: "e.type"},
	"status":      {expr: "e.status"},
	"created_at":  {expr: "e.created_at", kind: kindTime},
	"payload":     {refuse: refuseDocument},
}

func scanChannelEvent(row scanner) (*keycard.ChannelEvent, error) {
	var e keycard.ChannelEvent
	var payload string
	var user sql.NullString
	var resolved sql.NullInt64
	var created int64
	if err := row.Scan(&e.ID, &e.ChannelID, &e.PropertyID, &e.Type, &e.Status, &payload, &user, &resolved, &created); err != nil {
		return nil, err
	}
	e.Payload, e.UserID, e.CreatedAt = []byte(payload), user.String, fromMicros(created)
	if resolved.Valid {
		e.ResolvedAt = fromMicros(resolved.Int64)
	}
	return &e, nil
}

// channelEventSight returns the condition selecting the channel events p
// sees: those of the properties p reaches.
func channelEventSight(d dialect, p *keycard.Principal) (string, []any) {
	r, args := reach(d, p)
	return `e.property_id IN ` + r, args
}

// ListChannelEvents returns a page of the channel events p sees, newest
// first unless asked otherwise, and their total.
func (s *Store) ListChannelEvents(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.ChannelEvent, int, error) {
	where, args, order, err := listSQL(q, channelEventFields, "e.created_at DESC, e.id DESC")
	if err != nil {
		return nil, 0, err
	}
	sight, sargs := channelEventSight(s.dialect, p)
	args = append(sargs, args...)
	var out []*keycard.ChannelEvent
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channel_events e WHERE `+sight+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count channel events: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+channelEventColumns+` FROM channel_events e WHERE `+sight+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list channel events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanChannelEvent(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, total, err
}

// ChannelEvent returns a channel event p sees.
func (s *Store) ChannelEvent(ctx context.Context, p *keycard.Principal, id string) (*keycard.ChannelEvent, error) {
	var out *keycard.ChannelEvent
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.channelEventIn(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) channelEventIn(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.ChannelEvent, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	sight, args := channelEventSight(s.dialect, p)
	e, err := scanChannelEvent(t.QueryRow(ctx, `SELECT `+channelEventColumns+` FROM channel_events e WHERE e.id = ? AND `+sight,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return e, nil
}

// ChannelEventLogs returns a page of the exchanges of a channel event p
// sees, oldest first, and their total.
func (s *Store) ChannelEventLogs(ctx context.Context, p *keycard.Principal, id string, q keycard.ListQuery) ([]*keycard.ChannelLog, int, error) {
	return s.channelLogs(ctx, p, "l.channel_event_id = ?", id, q, func(t *tx) error {
		_, err := s.channelEventIn(ctx, t, p, id)
		return err
	})
}

// ChannelLogs returns a page of the exchanges with a channel p sees,
// newest first, and their total: the channel log.
func (s *Store) ChannelLogs(ctx context.Context, p *keycard.Principal, channelID string, q keycard.ListQuery) ([]*keycard.ChannelLog, int, error) {
	return s.channelLogs(ctx, p, "l.channel_id = ?", channelID, q, func(t *tx) error {
		_, err := s.channel(ctx, t, p, channelID)
		return err
	})
}

var channelLogFields = map[string]column{
	"id":               {expr: "l.id"},
	"channel_event_id": {expr: "l.channel_event_id"},
	"method":           {expr: "l.method"},
	"url":              {expr: "l.url"},
	"request_id":       {expr: "l.request_id"},
	"status_code":      {expr: "l.status", kind: kindInt},
	"error":            {expr: "l.error"},
	"created_at":       {expr: "l.created_at", kind: kindTime},
	"request_body":     {refuse: refuseDocument},
	"response_body":    {refuse: refuseDocument},
}

func (s *Store) channelLogs(ctx context.Context, p *keycard.Principal, cond, id string, q keycard.ListQuery, check func(*tx) error) ([]*keycard.ChannelLog, int, error) {
	where, args, order, err := listSQL(q, channelLogFields, "l.created_at DESC, l.id DESC")
	if err != nil {
		return nil, 0, err
	}
	args = append([]any{id}, args...)
	var out []*keycard.ChannelLog
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := check(t); err != nil {
			return err
		}
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channel_logs l WHERE `+cond+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count channel logs: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT l.id, l.channel_id, l.channel_event_id, l.method, l.url, l.request_id, l.request_body, l.status,
			l.response_body, l.error, l.duration_us, l.created_at FROM channel_logs l WHERE `+cond+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list channel logs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l keycard.ChannelLog
			var event sql.NullString
			var dur, created int64
			if err := rows.Scan(&l.ID, &l.ChannelID, &event, &l.Method, &l.URL, &l.RequestID, &l.RequestBody, &l.Status,
				&l.ResponseBody, &l.Error, &dur, &created); err != nil {
				return err
			}
			l.ChannelEventID, l.Duration, l.CreatedAt = event.String, usDuration(dur), fromMicros(created)
			out = append(out, &l)
		}
		return rows.Err()
	})
	return out, total, err
}

func usDuration(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
