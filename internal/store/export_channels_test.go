package store

import (
	"context"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// AddTestChannel inserts a channel of a property with its mappings
// directly, for the pusher's tests (the /channels resource has its own).
func AddTestChannel(ctx context.Context, s *Store, propertyID, endpoint, apiKey, hotelCode string, active bool, maps []keycard.ChannelRatePlan) (string, error) {
	id := newID()
	err := s.write(ctx, func(t *tx) error {
		var group string
		if err := t.QueryRow(ctx, `SELECT group_id FROM group_properties WHERE property_id = ? ORDER BY group_id LIMIT 1`, propertyID).Scan(&group); err != nil {
			return err
		}
		sealed, err := s.seal([]byte(apiKey), "channel-api-key:"+id)
		if err != nil {
			return err
		}
		now := micros(time.Now())
		if _, err := t.Exec(ctx, `INSERT INTO channels (id, group_id, property_id, channel, title, endpoint, hotel_code, api_key_sealed,
			is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, group, propertyID, keycard.AdapterOpenChannel,
			"Test channel "+hotelCode, endpoint, hotelCode, sealed, active, now, now); err != nil {
			return err
		}
		for i, m := range maps {
			if _, err := t.Exec(ctx, `INSERT INTO channel_rate_plans (id, channel_id, rate_plan_id, room_type_code, rate_plan_code, occupancy,
				sell_mode, max_persons, read_only, channel_currency, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, newID(), id,
				m.RatePlanID, m.RoomTypeCode, m.RatePlanCode, int64(m.Occupancy), m.SellMode, int64(m.MaxPersons), m.ReadOnly,
				m.ChannelCurrency, int64(i)); err != nil {
				return err
			}
		}
		if active {
			return t.queueChannelFullSync(ctx, id)
		}
		return nil
	})
	return id, err
}

// AddTestRule inserts a channel availability rule directly.
func AddTestRule(ctx context.Context, s *Store, r keycard.ChannelAvailabilityRule) error {
	return s.write(ctx, func(t *tx) error {
		now := micros(time.Now())
		var end any
		if r.EndDate != 0 {
			end = int64(r.EndDate)
		}
		id := newID()
		if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rules (id, property_id, title, type, value, start_date, end_date, days,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, r.PropertyID, r.Title, r.Type, int64(r.Value),
			int64(r.StartDate), end, int64(r.Days), now, now); err != nil {
			return err
		}
		for _, c := range r.ChannelIDs {
			if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rule_channels (rule_id, channel_id) VALUES (?, ?)`, id, c); err != nil {
				return err
			}
		}
		for _, rt := range r.RoomTypeIDs {
			if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rule_room_types (rule_id, room_type_id) VALUES (?, ?)`, id, rt); err != nil {
				return err
			}
		}
		return t.markChannelRoomTypes(ctx, r.ChannelIDs, r.RoomTypeIDs, r.StartDate, r.EndDate)
	})
}

// ChannelHistory returns a channel's events and logs, oldest first, and
// the bodies of the sync_error webhook deliveries queued.
func ChannelHistory(ctx context.Context, s *Store, channelID string) (events []keycard.ChannelEvent, logs []keycard.ChannelLog, hooks []string, err error) {
	err = s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT id, type, status, payload FROM channel_events WHERE channel_id = ? ORDER BY created_at, id`, channelID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e keycard.ChannelEvent
			var payload string
			if err := rows.Scan(&e.ID, &e.Type, &e.Status, &payload); err != nil {
				rows.Close()
				return err
			}
			e.Payload = []byte(payload)
			events = append(events, e)
		}
		rows.Close()
		rows, err = t.Query(ctx, `SELECT COALESCE(channel_event_id, ''), request_id, status, error, request_body FROM channel_logs
			WHERE channel_id = ? ORDER BY created_at, id`, channelID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l keycard.ChannelLog
			var status int64
			if err := rows.Scan(&l.ChannelEventID, &l.RequestID, &status, &l.Error, &l.RequestBody); err != nil {
				rows.Close()
				return err
			}
			l.Status = int(status)
			logs = append(logs, l)
		}
		rows.Close()
		rows, err = t.Query(ctx, `SELECT body FROM webhook_deliveries WHERE event = ? ORDER BY created_at, id`, keycard.EventSyncError)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				return err
			}
			hooks = append(hooks, b)
		}
		return rows.Err()
	})
	return
}
