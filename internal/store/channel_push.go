package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// MaxPushRows is how many outbox rows one push claims at most.
const MaxPushRows = 2000

// MaxPushPlanDays bounds one push: the days of all its channel plans
// together (a 500-day full sync of 20 plans fits in one). A push that
// would send more leaves the plans beyond it to the next.
const MaxPushPlanDays = 10_000

// OutboxRow is one outbox row a push claimed: days of a keycard rate
// plan, at the version read.
type OutboxRow struct {
	ID         string
	RatePlanID string
	From, To   keycard.Date
	Version    int64
}

// ChangeRow is one channel_changes row a push read: days of a rate plan
// (Kind "p") or of a room type (Kind "r") of the channel's property.
type ChangeRow struct {
	Kind, TargetID string
	From, To       keycard.Date
	Seq            int64
}

// ChannelPush is a push claimed for a channel: the channel's connection,
// its mappings, the outbox rows of the channel and the changes of its
// property past its cursor that the push answers for.
type ChannelPush struct {
	Channel  keycard.Channel
	Lease    string
	Failures int
	Rows     []OutboxRow
	// Changes are the property's changes from Cursor (excluded) to MaxSeq
	// (included), all of them.
	Changes        []ChangeRow
	Cursor, MaxSeq int64
	// Sent are the rows the push sends (set by ChannelPushDays): those of
	// the plans within MaxPushPlanDays, and those wholly in the past.
	Sent []OutboxRow
}

// Seed returns what names the push's content besides its body, for
// openchannel.RequestID: the channel and the rows sent, at their
// versions. A retry of a push whose rows have not moved has the same
// seed; any later change gives another.
func (p *ChannelPush) Seed() string {
	var b strings.Builder
	b.WriteString(p.Channel.ID)
	for _, r := range p.Sent {
		b.WriteString("|" + r.ID + ":" + strconv.FormatInt(r.Version, 10))
	}
	b.WriteString("|changes:" + strconv.FormatInt(p.Cursor, 10) + ".." + strconv.FormatInt(p.MaxSeq, 10))
	return b.String()
}

// ClaimChannelPushes claims up to limit active channels that have rows in
// the outbox and are due, each under a lease of its own until
// now+lease, and returns them with their rows (oldest first, at most
// MaxPushRows). A channel is pushed by one pusher at a time.
func (s *Store) ClaimChannelPushes(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*ChannelPush, error) {
	// Most polls find nothing: they look on the read pool first, and take
	// the writer only to claim.
	var due bool
	err := s.read(ctx, func(t *tx) error {
		var n int
		err := t.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM channels c WHERE c.is_active = ? AND c.next_push_at <= ?
			AND (c.push_claimed_until IS NULL OR c.push_claimed_until < ?)
			AND (EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel_id = c.id)
				OR EXISTS (SELECT 1 FROM channel_changes cc WHERE cc.property_id = c.property_id AND cc.seq > c.push_cursor)) LIMIT 1) x`,
			true, micros(now), micros(now)).Scan(&n)
		due = n > 0
		return err
	})
	if err != nil || !due {
		return nil, err
	}
	var out []*ChannelPush
	err = s.write(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT c.id FROM channels c WHERE c.is_active = ? AND c.next_push_at <= ?
			AND (c.push_claimed_until IS NULL OR c.push_claimed_until < ?)
			AND (EXISTS (SELECT 1 FROM channel_outbox o WHERE o.channel_id = c.id)
				OR EXISTS (SELECT 1 FROM channel_changes cc WHERE cc.property_id = c.property_id AND cc.seq > c.push_cursor))
			ORDER BY c.next_push_at, c.id LIMIT `+strconv.Itoa(limit)+s.dialect.skipLocked(), true, micros(now), micros(now))
		if err != nil {
			return fmt.Errorf("store: due channels: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			p := &ChannelPush{Lease: newID()}
			res, err := t.Exec(ctx, `UPDATE channels SET push_lease = ?, push_claimed_until = ? WHERE id = ?
				AND (push_claimed_until IS NULL OR push_claimed_until < ?)`, p.Lease, micros(now.Add(lease)), id, micros(now))
			if err != nil {
				return fmt.Errorf("store: claim channel: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue
			}
			if err := s.loadPush(ctx, t, id, p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// loadPush reads a claimed channel's connection, mappings and rows.
func (s *Store) loadPush(ctx context.Context, t *tx, id string, p *ChannelPush) error {
	c := &p.Channel
	var sealed []byte
	err := t.QueryRow(ctx, `SELECT id, property_id, channel, title, currency, endpoint, hotel_code, api_key_sealed, push_failures,
		push_cursor FROM channels WHERE id = ?`, id).Scan(&c.ID, &c.PropertyID, &c.Adapter, &c.Title, &c.Currency, &c.Endpoint,
		&c.HotelCode, &sealed, &p.Failures, &p.Cursor)
	if err != nil {
		return fmt.Errorf("store: claimed channel: %w", err)
	}
	if len(sealed) > 0 {
		key, err := s.open(sealed, "channel-api-key:"+id)
		if err != nil {
			return fmt.Errorf("store: channel %s api key: %w", id, err)
		}
		c.APIKey = string(key)
	}
	rows, err := t.Query(ctx, `SELECT id, rate_plan_id, room_type_code, rate_plan_code, occupancy, sell_mode, max_persons, read_only,
		channel_currency FROM channel_rate_plans WHERE channel_id = ? ORDER BY position, id`, id)
	if err != nil {
		return fmt.Errorf("store: channel mappings: %w", err)
	}
	for rows.Next() {
		var m keycard.ChannelRatePlan
		if err := rows.Scan(&m.ID, &m.RatePlanID, &m.RoomTypeCode, &m.RatePlanCode, &m.Occupancy, &m.SellMode, &m.MaxPersons,
			&m.ReadOnly, &m.ChannelCurrency); err != nil {
			rows.Close()
			return err
		}
		c.RatePlans = append(c.RatePlans, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = t.Query(ctx, `SELECT id, rate_plan_id, date_from, date_to, version FROM channel_outbox WHERE channel_id = ?
		ORDER BY created_at, id LIMIT `+strconv.Itoa(MaxPushRows), id)
	if err != nil {
		return fmt.Errorf("store: channel outbox rows: %w", err)
	}
	for rows.Next() {
		var r OutboxRow
		var from, to int64
		if err := rows.Scan(&r.ID, &r.RatePlanID, &from, &to, &r.Version); err != nil {
			rows.Close()
			return err
		}
		r.From, r.To = keycard.Date(from), keycard.Date(to)
		p.Rows = append(p.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return p.loadChanges(ctx, t)
}

// loadChanges reads the changes of the channel's property past its
// cursor, oldest first: up to MaxPushRows, but whole writes only (the rows
// of one seq), so that the cursor may move to the last seq read.
func (p *ChannelPush) loadChanges(ctx context.Context, t *tx) error {
	read := func(cond string, arg int64, limit string) ([]ChangeRow, error) {
		rows, err := t.Query(ctx, `SELECT kind, target_id, date_from, date_to, seq FROM channel_changes WHERE property_id = ? AND `+cond+`
			ORDER BY seq, kind, target_id, date_from, date_to`+limit, p.Channel.PropertyID, arg)
		if err != nil {
			return nil, fmt.Errorf("store: channel changes: %w", err)
		}
		defer rows.Close()
		var out []ChangeRow
		for rows.Next() {
			var r ChangeRow
			var from, to int64
			if err := rows.Scan(&r.Kind, &r.TargetID, &from, &to, &r.Seq); err != nil {
				return nil, err
			}
			r.From, r.To = keycard.Date(from), keycard.Date(to)
			out = append(out, r)
		}
		return out, rows.Err()
	}
	rows, err := read("seq > ?", p.Cursor, " LIMIT "+strconv.Itoa(MaxPushRows))
	if err != nil {
		return err
	}
	p.MaxSeq = p.Cursor
	if n := len(rows); n == MaxPushRows {
		last := rows[n-1].Seq
		if rows[0].Seq == last {
			// One write of more rows than a push reads: all of it.
			if rows, err = read("seq = ?", last, ""); err != nil {
				return err
			}
		} else {
			for len(rows) > 0 && rows[len(rows)-1].Seq == last {
				rows = rows[:len(rows)-1]
			}
		}
	}
	if len(rows) > 0 {
		p.MaxSeq = rows[len(rows)-1].Seq
	}
	p.Changes = rows
	return nil
}

// ChannelPushDays reads the current values of what a claimed push names,
// from the property's today (in its time zone, at now) to the horizon
// (horizon days in all), and returns them per channel plan, from the
// first day of the returned From. Days before today are dropped;
// read-only mappings are never sent. It sets p.Sent.
func (s *Store) ChannelPushDays(ctx context.Context, p *ChannelPush, now time.Time, horizon int) (keycard.Date, []keycard.ChannelPlanDays, error) {
	var from keycard.Date
	var out []keycard.ChannelPlanDays
	err := s.read(ctx, func(t *tx) error {
		var tz string
		if err := t.QueryRow(ctx, `SELECT timezone FROM properties WHERE id = ?`, p.Channel.PropertyID).Scan(&tz); err != nil {
			return fmt.Errorf("store: channel property: %w", err)
		}
		today := keycard.Today(now, tz)
		lo, hi := today, today+keycard.Date(horizon)-1
		plans, err := s.propertyRatePlans(ctx, t, p.Channel.PropertyID)
		if err != nil {
			return err
		}
		byID := map[string]*keycard.RatePlan{}
		for _, rp := range plans {
			byID[rp.ID] = rp
		}
		// The keycard plans the channel pushes, in mapping order.
		var mapped []string
		for _, m := range p.Channel.RatePlans {
			if !m.ReadOnly && byID[m.RatePlanID] != nil && !slices.Contains(mapped, m.RatePlanID) {
				mapped = append(mapped, m.RatePlanID)
			}
		}
		// The property's changes, as days of mapped plans: a plan's own,
		// those of the plans it derives from, its room type's.
		changed := map[string][]keycard.DaySpan{}
		for _, id := range mapped {
			rp := byID[id]
			for _, c := range p.Changes {
				hit := c.Kind == "r" && c.TargetID == rp.RoomTypeID
				seen := map[string]bool{}
				for a := rp; !hit && a != nil && !seen[a.ID]; a = byID[a.ParentRatePlanID] {
					seen[a.ID] = true
					hit = c.Kind == "p" && c.TargetID == a.ID
				}
				if hit {
					changed[id] = append(changed[id], keycard.DaySpan{From: c.From, To: c.To})
				}
			}
		}
		// The channel's own rows (full syncs, rules) per plan; those of
		// plans it no longer pushes are dropped.
		own := map[string][]keycard.DaySpan{}
		rowsOf := map[string][]OutboxRow{}
		p.Sent = p.Sent[:0]
		for _, r := range p.Rows {
			if !slices.Contains(mapped, r.RatePlanID) {
				p.Sent = append(p.Sent, r)
				continue
			}
			own[r.RatePlanID] = append(own[r.RatePlanID], keycard.DaySpan{From: r.From, To: r.To})
			rowsOf[r.RatePlanID] = append(rowsOf[r.RatePlanID], r)
		}
		count := func(spans []keycard.DaySpan) int {
			n := 0
			for _, s := range spans {
				n += int(s.To-s.From) + 1
			}
			return n
		}
		type planSpans struct {
			id    string
			spans []keycard.DaySpan
		}
		var todo []planSpans
		budget := MaxPushPlanDays
		qFrom, qTo := hi, lo
		for _, id := range mapped {
			per := max(1, len(mappingsOf(p.Channel.RatePlans, id)))
			spans := keycard.MergeSpans(changed[id], lo, hi)
			budget -= count(spans) * per
			if rows := rowsOf[id]; len(rows) > 0 {
				ownSpans := keycard.MergeSpans(own[id], lo, hi)
				cost := count(ownSpans) * per
				if cost > 0 && budget-cost < 0 && len(todo) > 0 {
					// The next push sends it (the property's changes go now).
				} else {
					budget -= cost
					p.Sent = append(p.Sent, rows...)
					spans = keycard.MergeSpans(append(spans, ownSpans...), lo, hi)
				}
			}
			if len(spans) == 0 {
				continue
			}
			todo = append(todo, planSpans{id, spans})
			qFrom, qTo = min(qFrom, spans[0].From), max(qTo, spans[len(spans)-1].To)
		}
		if len(todo) == 0 {
			return nil
		}
		from = qFrom
		q := keycard.ARIQuery{PropertyID: p.Channel.PropertyID, From: qFrom, To: qTo}
		var selected []selectedOption
		for _, ps := range todo {
			rp := byID[ps.id]
			for i := range rp.Options {
				selected = append(selected, selectedOption{rp, &rp.Options[i]})
			}
		}
		values, err := s.optionDays(ctx, t, q, withAncestors(plans, selected))
		if err != nil {
			return err
		}
		avail, err := s.roomTypeDays(ctx, t, q)
		if err != nil {
			return err
		}
		booked, err := s.bookedDays(ctx, t, q)
		if err != nil {
			return err
		}
		rules, err := channelRules(ctx, t, p.Channel.ID)
		if err != nil {
			return err
		}
		n := int(qTo-qFrom) + 1
		for _, ps := range todo {
			rp := byID[ps.id]
			for _, group := range channelPlans(mappingsOf(p.Channel.RatePlans, ps.id)) {
				first := group[0]
				o := rp.Option(first.Occupancy)
				if o == nil {
					o = rp.Primary()
				}
				days := values[o.ID]
				pd := keycard.ChannelPlanDays{RoomTypeCode: first.RoomTypeCode, RatePlanCode: first.RatePlanCode, Days: ps.spans,
					Availability: make([]int32, n), Restrictions: days, Currency: rp.Currency}
				rooms, bk := avail[rp.RoomTypeID], booked[rp.ID]
				rtRules := rulesFor(rules, rp.RoomTypeID)
				for i := range n {
					var a, b int32
					if rooms != nil {
						a = rooms[i]
					}
					if bk != nil {
						b = bk[i]
					}
					a = keycard.Sellable(a, &days[i], b)
					pd.Availability[i] = keycard.ApplyChannelRules(a, qFrom+keycard.Date(i), rtRules)
				}
				for _, m := range group {
					occ := m.Occupancy
					if m.SellMode == keycard.ChannelPerRoom && m.MaxPersons > 0 {
						occ = m.MaxPersons
					}
					ro := rp.Option(m.Occupancy)
					if ro == nil {
						continue // no rate for that occupancy: none is sent
					}
					minor := make([]int64, n)
					for i, r := range values[ro.ID] {
						minor[i] = r.Rate
					}
					pd.Rates = append(pd.Rates, keycard.ChannelRates{Occupancy: occ, Minor: minor})
					if m.SellMode == keycard.ChannelPerRoom {
						break // one rate
					}
				}
				slices.SortFunc(pd.Rates, func(a, b keycard.ChannelRates) int { return cmp.Compare(b.Occupancy, a.Occupancy) })
				out = append(out, pd)
			}
		}
		return nil
	})
	return from, out, err
}

// mappingsOf returns the mappings of a keycard rate plan that are pushed.
func mappingsOf(all []keycard.ChannelRatePlan, ratePlanID string) []keycard.ChannelRatePlan {
	var out []keycard.ChannelRatePlan
	for _, m := range all {
		if m.RatePlanID == ratePlanID && !m.ReadOnly {
			out = append(out, m)
		}
	}
	return out
}

// channelPlans groups mappings by channel plan (room type and rate plan
// codes), in order.
func channelPlans(ms []keycard.ChannelRatePlan) [][]keycard.ChannelRatePlan {
	var out [][]keycard.ChannelRatePlan
	index := map[[2]string]int{}
	for _, m := range ms {
		k := [2]string{m.RoomTypeCode, m.RatePlanCode}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], m)
	}
	return out
}

// ruleOf is a channel availability rule with its room types.
type ruleOf struct {
	rule      keycard.ChannelAvailabilityRule
	roomTypes []string
}

// channelRules reads the availability rules that affect a channel, oldest
// first.
func channelRules(ctx context.Context, t *tx, channelID string) ([]ruleOf, error) {
	rows, err := t.Query(ctx, `SELECT r.id, r.type, r.value, r.start_date, r.end_date, r.days, rt.room_type_id
		FROM channel_availability_rules r JOIN channel_availability_rule_channels rc ON rc.rule_id = r.id
		JOIN channel_availability_rule_room_types rt ON rt.rule_id = r.id
		WHERE rc.channel_id = ? ORDER BY r.created_at, r.id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: channel rules: %w", err)
	}
	defer rows.Close()
	var out []ruleOf
	for rows.Next() {
		var r keycard.ChannelAvailabilityRule
		var value, start, days int64
		var end sql.NullInt64
		var rt string
		if err := rows.Scan(&r.ID, &r.Type, &value, &start, &end, &days, &rt); err != nil {
			return nil, err
		}
		r.Value, r.StartDate, r.EndDate, r.Days = int(value), keycard.Date(start), keycard.Date(end.Int64), keycard.Weekdays(days)
		if k := len(out); k > 0 && out[k-1].rule.ID == r.ID {
			out[k-1].roomTypes = append(out[k-1].roomTypes, rt)
			continue
		}
		out = append(out, ruleOf{r, []string{rt}})
	}
	return out, rows.Err()
}

// rulesFor returns the rules that affect a room type.
func rulesFor(rules []ruleOf, roomTypeID string) []keycard.ChannelAvailabilityRule {
	var out []keycard.ChannelAvailabilityRule
	for _, r := range rules {
		if slices.Contains(r.roomTypes, roomTypeID) {
			out = append(out, r.rule)
		}
	}
	return out
}

// PushOutcome is how a push went.
type PushOutcome struct {
	// Sent is false when the push had nothing to send (its rows were all
	// in the past, or no longer pushed): no exchange, no event.
	Sent bool
	OK   bool
	// Exchange is the call, for the channel log.
	Exchange keycard.ChannelLog
	// RetryAt is when a failed push is tried again.
	RetryAt time.Time
}

// CompleteChannelPush records a claimed push's outcome, if the claim
// still holds (else it returns false and changes nothing): on success the
// rows sent are removed (those a later change marked again stay, at
// their new version), and the channel's failures are cleared; on failure
// the channel waits until RetryAt, and a sync_error channel event and
// webhook record it. Each exchange is a channel event with its log.
func (s *Store) CompleteChannelPush(ctx context.Context, p *ChannelPush, o PushOutcome, now time.Time) (bool, error) {
	held := false
	err := s.write(ctx, func(t *tx) error {
		var res sql.Result
		var err error
		if !o.Sent || o.OK {
			last := any(nil)
			if o.Sent {
				last = micros(now)
			}
			res, err = t.Exec(ctx, `UPDATE channels SET push_lease = NULL, push_claimed_until = NULL, next_push_at = 0, push_failures = 0,
				last_push_at = COALESCE(?, last_push_at), push_cursor = CASE WHEN push_cursor < ? THEN ? ELSE push_cursor END
				WHERE id = ? AND push_lease = ?`, last, p.MaxSeq, p.MaxSeq, p.Channel.ID, p.Lease)
		} else {
			res, err = t.Exec(ctx, `UPDATE channels SET push_lease = NULL, push_claimed_until = NULL, next_push_at = ?,
				push_failures = push_failures + 1, last_error = ?, last_error_at = ? WHERE id = ? AND push_lease = ?`,
				micros(o.RetryAt), o.Exchange.Error, micros(now), p.Channel.ID, p.Lease)
		}
		if err != nil {
			return fmt.Errorf("store: complete push: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		held = true
		if !o.Sent || o.OK {
			if err := deleteSent(ctx, t, p.Channel.ID, p.Sent); err != nil {
				return err
			}
			// The changes every active channel of the property has sent.
			if _, err := t.Exec(ctx, `DELETE FROM channel_changes WHERE property_id = ? AND seq <= (SELECT COALESCE(MIN(push_cursor), ?)
				FROM channels WHERE property_id = ? AND is_active = ?)`, p.Channel.PropertyID, p.MaxSeq, p.Channel.PropertyID, true); err != nil {
				return fmt.Errorf("store: channel changes sent: %w", err)
			}
		}
		if !o.Sent {
			return nil
		}
		e := &keycard.ChannelEvent{ChannelID: p.Channel.ID, PropertyID: p.Channel.PropertyID, Type: keycard.ChannelEventSync, CreatedAt: now}
		if !o.OK {
			e.Type, e.Status = keycard.ChannelEventSyncError, keycard.ChannelEventFailed
			e.Payload, _ = json.Marshal(map[string]any{"error": o.Exchange.Error, "request_id": o.Exchange.RequestID, "attempt": p.Failures + 1})
		}
		if err := t.addChannelEvent(ctx, e); err != nil {
			return err
		}
		l := o.Exchange
		l.ChannelID, l.ChannelEventID, l.CreatedAt = p.Channel.ID, e.ID, now
		if err := t.addChannelLog(ctx, &l); err != nil {
			return err
		}
		if o.OK {
			return nil
		}
		var property string
		if err := t.QueryRow(ctx, `SELECT title FROM properties WHERE id = ?`, p.Channel.PropertyID).Scan(&property); err != nil {
			return fmt.Errorf("store: channel property: %w", err)
		}
		return s.enqueue(ctx, t, p.Channel.PropertyID, "", keycard.EventSyncError, map[string]any{
			"channel": p.Channel.Adapter, "channel_event_id": e.ID, "channel_id": p.Channel.ID, "channel_name": p.Channel.Title,
			"error_type": "general_error", "error": o.Exchange.Error, "property_id": p.Channel.PropertyID, "property_name": property,
		})
	})
	return held, err
}

// deleteSent removes the outbox rows a push sent, each only at the version
// it read.
func deleteSent(ctx context.Context, t *tx, channelID string, rows []OutboxRow) error {
	for chunk := range slices.Chunk(rows, 300) {
		var b strings.Builder
		args := []any{channelID}
		b.WriteString(`DELETE FROM channel_outbox WHERE channel_id = ? AND (`)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(id = ? AND version = ?)")
			args = append(args, r.ID, r.Version)
		}
		b.WriteString(")")
		if _, err := t.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("store: push done: %w", err)
		}
	}
	return nil
}
