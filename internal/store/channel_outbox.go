package store

import (
	"cmp"
	"context"
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

// mappedPlan is a keycard rate plan an active channel pushes.
type mappedPlan struct {
	channelID, ratePlanID, roomTypeID, parentID string
}

// outboxMark is one outbox row to write: days of a mapped plan.
type outboxMark struct {
	channelID, ratePlanID string
	span                  keycard.DaySpan
}

// mappedPlans returns the keycard rate plans of a property that its
// active channels push (read-only mappings left out).
func (t *tx) mappedPlans(ctx context.Context, propertyID string) ([]mappedPlan, error) {
	rows, err := t.Query(ctx, `SELECT DISTINCT crp.channel_id, crp.rate_plan_id, rp.room_type_id, COALESCE(rp.parent_rate_plan_id, '')
		FROM channels c JOIN channel_rate_plans crp ON crp.channel_id = c.id JOIN rate_plans rp ON rp.id = crp.rate_plan_id
		WHERE c.property_id = ? AND c.is_active = ? AND crp.read_only = ?`, propertyID, true, false)
	if err != nil {
		return nil, fmt.Errorf("store: mapped rate plans: %w", err)
	}
	defer rows.Close()
	var out []mappedPlan
	for rows.Next() {
		var m mappedPlan
		if err := rows.Scan(&m.channelID, &m.ratePlanID, &m.roomTypeID, &m.parentID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// parents returns, for each plan of the property that has a parent,
// its parent's id (so that a change of a parent reaches the plans derived
// from it, at any depth).
func (t *tx) parents(ctx context.Context, propertyID string) (map[string]string, error) {
	rows, err := t.Query(ctx, `SELECT id, parent_rate_plan_id FROM rate_plans WHERE property_id = ? AND parent_rate_plan_id IS NOT NULL`, propertyID)
	if err != nil {
		return nil, fmt.Errorf("store: rate plan parents: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, parent string
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		out[id] = parent
	}
	return out, rows.Err()
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

// markChannelCells writes the outbox rows for what changed in a property:
// for each active channel, the days of each mapped plan whose values
// changed, directly, through a plan it derives from, or through its room
// type's availability. With no active channel mapping the property, it
// costs one query.
func (t *tx) markChannelCells(ctx context.Context, propertyID string, c *cellChanges, now time.Time) error {
	if len(c.plans) == 0 && len(c.roomTypes) == 0 {
		return nil
	}
	mapped, err := t.mappedPlans(ctx, propertyID)
	if err != nil || len(mapped) == 0 {
		return err
	}
	return t.markMapped(ctx, propertyID, mapped, c, now)
}

// markMapped is markChannelCells for the mapped plans of the property.
func (t *tx) markMapped(ctx context.Context, propertyID string, mapped []mappedPlan, c *cellChanges, now time.Time) error {
	var err error
	var parents map[string]string
	if len(c.plans) > 0 && slices.ContainsFunc(mapped, func(m mappedPlan) bool { return m.parentID != "" }) {
		if parents, err = t.parents(ctx, propertyID); err != nil {
			return err
		}
	}
	var marks []outboxMark
	for _, m := range mapped {
		var spans []keycard.DaySpan
		spans = append(spans, c.roomTypes[m.roomTypeID]...)
		// The plan itself and the plans it derives from.
		seen := map[string]bool{}
		for id := m.ratePlanID; id != "" && !seen[id]; id = parents[id] {
			seen[id] = true
			spans = append(spans, c.plans[id]...)
		}
		for _, sp := range keycard.MergeSpans(spans, 0, fullSyncTo) {
			marks = append(marks, outboxMark{m.channelID, m.ratePlanID, sp})
		}
	}
	return t.markOutbox(ctx, marks, now)
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
		args := make([]any, 0, len(chunk)*7)
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
	now := time.Now()
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
	return t.markOutbox(ctx, marks, time.Now())
}

// markChannelPlans queues every day of the rate plans ids (and of the
// plans derived from them) for the active channels of a property that
// push them, in t: what an edit of a plan's defaults calls for.
func (t *tx) markChannelPlans(ctx context.Context, propertyID string, ids []string) error {
	c := &cellChanges{}
	for _, id := range ids {
		c.add(&c.plans, id, 0, fullSyncTo)
	}
	return t.markChannelCells(ctx, propertyID, c, time.Now())
}

// markChannelRoomType queues every day of a room type for the active
// channels of a property that push its plans.
func (t *tx) markChannelRoomType(ctx context.Context, propertyID, roomTypeID string) error {
	c := &cellChanges{}
	c.add(&c.roomTypes, roomTypeID, 0, fullSyncTo)
	return t.markChannelCells(ctx, propertyID, c, time.Now())
}

// SetChannelWake sets what is called after each commit that queued
// pushes to channels: the pusher's wake-up, so that a change goes out at
// once rather than at the pusher's next poll.
func (s *Store) SetChannelWake(fn func()) { s.channelWake = fn }

// markChannelARI queues for the property's active channels the cells an
// ARI write changed, as changes yields them (an availability change names
// a room type, a restriction change a rate plan). changes is not called
// when no active channel maps the property.
func (s *Store) markChannelARI(ctx context.Context, t *tx, propertyID string, changes func(yield func(ariChange) bool)) error {
	mapped, err := t.mappedPlans(ctx, propertyID)
	if err != nil || len(mapped) == 0 {
		return err
	}
	c := &cellChanges{}
	for ch := range changes {
		if ch.ratePlanID != "" {
			c.add(&c.plans, ch.ratePlanID, ch.day, ch.day)
		} else {
			c.add(&c.roomTypes, ch.roomTypeID, ch.day, ch.day)
		}
	}
	return t.markMapped(ctx, propertyID, mapped, c, s.now())
}
