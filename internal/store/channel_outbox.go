package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// fullSyncTo is the last day of a full sync's outbox rows, which run
// from day 0: the pusher clips every row to today and its horizon, so a
// full sync row means "every day the horizon holds" whenever it is sent.
const fullSyncTo = keycard.Date(1 << 30)

// outboxMark is one channel_outbox row to write: days of a mapped plan
// for one channel (a full sync, a rule's days).
type outboxMark struct {
	channelID, ratePlanID string
	span                  keycard.DaySpan
}

// cellChanges is what a write changed, for the outbox: days of rate plans
// (their restrictions or rates) and days of room types (their
// availability).
type cellChanges struct {
	plans, roomTypes map[string][]keycard.DaySpan
}

func (c *cellChanges) add(m *map[string][]keycard.DaySpan, id string, from, to keycard.Date) {
	if *m == nil {
		*m = map[string][]keycard.DaySpan{}
	}
	spans := (*m)[id]
	// Days come mostly in order: extend the last span when they touch.
	if k := len(spans); k > 0 && from >= spans[k-1].From && from <= spans[k-1].To+1 {
		spans[k-1].To = max(spans[k-1].To, to)
		return
	}
	(*m)[id] = append(spans, keycard.DaySpan{From: from, To: to})
}

// markChannelCells records what changed in a property for its active
// channels, in t: one channel_changes row per changed span of a rate plan
// or room type, at the property's next seq, under the property's lock
// (every writer of ARI takes it first), so that rows commit in seq order.
// With no active channel on the property it costs one query.
func (t *tx) markChannelCells(ctx context.Context, propertyID string, c *cellChanges, now time.Time) error {
	if len(c.plans) == 0 && len(c.roomTypes) == 0 {
		return nil
	}
	active, err := t.hasActiveChannels(ctx, propertyID)
	if err != nil || !active {
		return err
	}
	return t.markChanges(ctx, propertyID, c)
}

// hasActiveChannels reports whether a property has an active channel.
func (t *tx) hasActiveChannels(ctx context.Context, propertyID string) (bool, error) {
	var n int
	err := t.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM channels WHERE property_id = ? AND is_active = ? LIMIT 1) x`,
		propertyID, true).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: property channels: %w", err)
	}
	return n > 0, nil
}

// changeRow is one channel_changes row to write.
type changeRow struct {
	kind, target string
	span         keycard.DaySpan
}

// markChanges upserts the channel_changes rows of c at the property's
// next seq.
func (t *tx) markChanges(ctx context.Context, propertyID string, c *cellChanges) error {
	if err := lockProperties(ctx, t, []string{propertyID}); err != nil {
		return err
	}
	var seq int64
	// Past every row and every channel's cursor: sent rows are deleted, and
	// a seq must never go back below a cursor.
	if err := t.QueryRow(ctx, `SELECT MAX(n) + 1 FROM (SELECT COALESCE(MAX(seq), 0) AS n FROM channel_changes WHERE property_id = ?
		UNION ALL SELECT COALESCE(MAX(push_cursor), 0) FROM channels WHERE property_id = ?) x`, propertyID, propertyID).Scan(&seq); err != nil {
		return fmt.Errorf("store: channel changes: %w", err)
	}
	var rows []changeRow
	for _, k := range []struct {
		kind string
		m    map[string][]keycard.DaySpan
	}{{"p", c.plans}, {"r", c.roomTypes}} {
		for id, spans := range k.m {
			for _, sp := range keycard.MergeSpans(spans, 0, fullSyncTo) {
				rows = append(rows, changeRow{k.kind, id, sp})
			}
		}
	}
	slices.SortFunc(rows, func(a, b changeRow) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.target, b.target), cmp.Compare(a.span.From, b.span.From))
	})
	for chunk := range slices.Chunk(rows, 500) {
		var b strings.Builder
		b.WriteString(`INSERT INTO channel_changes (property_id, kind, target_id, date_from, date_to, seq) VALUES `)
		args := make([]any, 0, len(chunk)*6)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, propertyID, r.kind, r.target, int64(r.span.From), int64(r.span.To), seq)
		}
		b.WriteString(` ON CONFLICT (property_id, kind, target_id, date_from, date_to) DO UPDATE SET seq = excluded.seq`)
		if _, err := t.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("store: channel changes: %w", err)
		}
	}
	t.channelWork = true
	return nil
}

// markOutbox upserts outbox rows: a new row, or a row naming the same
// days again, whose version then grows.
func (t *tx) markOutbox(ctx context.Context, marks []outboxMark, now time.Time) error {
	if len(marks) == 0 {
		return nil
	}
	slices.SortFunc(marks, func(a, b outboxMark) int {
		return cmp.Or(strings.Compare(a.channelID, b.channelID), strings.Compare(a.ratePlanID, b.ratePlanID),
			cmp.Compare(a.span.From, b.span.From), cmp.Compare(a.span.To, b.span.To))
	})
	marks = slices.CompactFunc(marks, func(a, b outboxMark) bool { return a == b })
	const per = 500
	for chunk := range slices.Chunk(marks, per) {
		var b strings.Builder
		b.WriteString(`INSERT INTO channel_outbox (id, channel_id, rate_plan_id, date_from, date_to, version, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*6)
		for i, m := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, 1, ?)")
			args = append(args, newID(), m.channelID, m.ratePlanID, int64(m.span.From), int64(m.span.To), micros(now))
		}
		b.WriteString(` ON CONFLICT (channel_id, rate_plan_id, date_from, date_to) DO UPDATE SET version = channel_outbox.version + 1`)
		if _, err := t.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("store: channel outbox: %w", err)
		}
	}
	t.channelWork = true
	return nil
}

// queueChannelFullSync queues a full sync of a channel in t: every day of
// the horizon of every plan it pushes (read-only mappings left out), sent
// when the channel is active, at once (a wait after failures is cut
// short). It records a full_sync channel event.
func (t *tx) queueChannelFullSync(ctx context.Context, channelID string) error {
	now := t.now()
	rows, err := t.Query(ctx, `SELECT DISTINCT rate_plan_id FROM channel_rate_plans WHERE channel_id = ? AND read_only = ?`, channelID, false)
	if err != nil {
		return fmt.Errorf("store: full sync: %w", err)
	}
	var marks []outboxMark
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		marks = append(marks, outboxMark{channelID, id, keycard.DaySpan{From: 0, To: fullSyncTo}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := t.markOutbox(ctx, marks, now); err != nil {
		return err
	}
	if _, err := t.Exec(ctx, `UPDATE channels SET next_push_at = 0 WHERE id = ?`, channelID); err != nil {
		return fmt.Errorf("store: full sync: %w", err)
	}
	return t.addChannelEvent(ctx, &keycard.ChannelEvent{ChannelID: channelID, Type: keycard.ChannelEventFullSync, CreatedAt: now})
}

// markChannelRoomTypes queues the days from to to (both included; to 0:
// open-ended) of the room types roomTypeIDs for the channels channelIDs,
// in t: what a change of an availability rule calls for.
func (t *tx) markChannelRoomTypes(ctx context.Context, channelIDs, roomTypeIDs []string, from, to keycard.Date) error {
	if len(channelIDs) == 0 || len(roomTypeIDs) == 0 {
		return nil
	}
	if to == 0 {
		to = fullSyncTo
	}
	rows, err := t.Query(ctx, `SELECT DISTINCT crp.channel_id, crp.rate_plan_id FROM channel_rate_plans crp
		JOIN rate_plans rp ON rp.id = crp.rate_plan_id
		WHERE crp.channel_id IN (`+placeholders(len(channelIDs))+`) AND rp.room_type_id IN (`+placeholders(len(roomTypeIDs))+`) AND crp.read_only = ?`,
		append(append(anys(channelIDs), anys(roomTypeIDs)...), false)...)
	if err != nil {
		return fmt.Errorf("store: rule cells: %w", err)
	}
	var marks []outboxMark
	for rows.Next() {
		var m outboxMark
		if err := rows.Scan(&m.channelID, &m.ratePlanID); err != nil {
			rows.Close()
			return err
		}
		m.span = keycard.DaySpan{From: from, To: to}
		marks = append(marks, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return t.markOutbox(ctx, marks, t.now())
}

// markChannelPlans records every day of the rate plans ids (and so of
// the plans derived from them) for the active channels of a property, in
// t: what an edit of a plan's defaults calls for.
func (t *tx) markChannelPlans(ctx context.Context, propertyID string, ids []string) error {
	c := &cellChanges{}
	for _, id := range ids {
		c.add(&c.plans, id, 0, fullSyncTo)
	}
	return t.markChannelCells(ctx, propertyID, c, t.now())
}

// SetChannelWake sets what is called after each commit that queued
// pushes to channels: the pusher's wake-up, so that a change goes out at
// once rather than at the pusher's next poll.
func (s *Store) SetChannelWake(fn func()) { s.channelWake = fn }

// markChannelARI records for the property's active channels the cells
// an ARI write changed, as cells yields them (an availability change names
// a room type, a restriction change a rate plan). cells is not called
// when the property has no active channel.
func (s *Store) markChannelARI(ctx context.Context, t *tx, propertyID string, cells func(yield func(ariCell) bool)) error {
	active, err := t.hasActiveChannels(ctx, propertyID)
	if err != nil || !active {
		return err
	}
	c := &cellChanges{}
	for ch := range cells {
		if ch.ratePlanID != "" {
			c.add(&c.plans, ch.ratePlanID, ch.day, ch.day)
		} else {
			c.add(&c.roomTypes, ch.roomTypeID, ch.day, ch.day)
		}
	}
	return t.markChanges(ctx, propertyID, c)
}

// QueueChannelFullSync queues a full sync of a channel in a transaction of
// its own, whoever asks: for operators' tools and the bench (the API's
// full_sync checks the caller first).
func (s *Store) QueueChannelFullSync(ctx context.Context, channelID string) error {
	return s.write(ctx, func(t *tx) error { return t.queueChannelFullSync(ctx, channelID) })
}

// ChannelBacklog returns how many rows a channel has yet to send: its
// own outbox rows and its property's changes past its cursor, for tests
// and the bench.
func (s *Store) ChannelBacklog(ctx context.Context, channelID string) (int, error) {
	var n int
	err := s.read(ctx, func(t *tx) error {
		return t.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM channel_outbox WHERE channel_id = c.id)
			+ (SELECT COUNT(*) FROM channel_changes cc WHERE cc.property_id = c.property_id AND cc.seq > c.push_cursor)
			FROM channels c WHERE c.id = ?`, channelID).Scan(&n)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return n, err
}

// ChannelOutboxSize is ChannelBacklog.
func (s *Store) ChannelOutboxSize(ctx context.Context, channelID string) (int, error) {
	return s.ChannelBacklog(ctx, channelID)
}
