package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/keycard/keycard/internal/keycard"
)

// ResolveChannelEvent resolves an open unmapped_booking event, which p must
// reach: each solution becomes a manual known mapping of the event's
// channel (replacing one of the same codes), used to resolve the codes of
// the bookings the channel pushes from then on, and the event is marked
// resolved by p. It returns the event and the channel's known mappings.
func (s *Store) ResolveChannelEvent(ctx context.Context, p *keycard.Principal, id string, sols []keycard.KnownMapping) (*keycard.ChannelEvent, []keycard.KnownMapping, error) {
	var ev keycard.ChannelEvent
	var known []keycard.KnownMapping
	err := s.write(ctx, func(t *tx) error {
		if !keycard.ValidID(id) {
			return keycard.NotFound()
		}
		r, args := reach(s.dialect, p)
		var payload string
		err := t.QueryRow(ctx, `SELECT id, channel_id, property_id, type, status, payload, created_at FROM channel_events
			WHERE id = ? AND property_id IN `+r, append([]any{id}, args...)...).Scan(&ev.ID, &ev.ChannelID, &ev.PropertyID, &ev.Type,
			&ev.Status, &payload, new(int64))
		if errors.Is(err, sql.ErrNoRows) {
			return keycard.NotFound()
		}
		if err != nil {
			return fmt.Errorf("store: channel event: %w", err)
		}
		ev.Payload = []byte(payload)
		switch {
		case ev.Type != keycard.ChannelEventUnmappedBooking:
			return keycard.Invalid("id", "is not an unmapped booking event: only those are resolved")
		case ev.Status != "open":
			return keycard.Invalid("status", "the event is "+ev.Status+", not open")
		}
		roomTypes, plans, err := propertyRefs(ctx, t, ev.PropertyID)
		if err != nil {
			return err
		}
		fe := keycard.FieldErrors{}
		for i := range sols {
			k := &sols[i]
			n := "solution " + strconv.Itoa(i+1) + ": "
			if k.RoomTypeCode == "" {
				fe.Add("solutions", n+"room_type_code "+keycard.MsgBlank)
			}
			if k.RatePlanID != "" {
				rt, ok := plans[k.RatePlanID]
				switch {
				case !ok:
					fe.Add("solutions", n+"rate_plan_id is not a rate plan of the property")
				case k.RoomTypeID != "" && k.RoomTypeID != rt:
					fe.Add("solutions", n+"rate_plan_id is a rate plan of another room type")
				default:
					k.RoomTypeID = rt
				}
			} else if k.RoomTypeID == "" {
				fe.Add("solutions", n+"room_type_id or rate_plan_id "+keycard.MsgBlank)
			}
			if k.RoomTypeID != "" && !roomTypes[k.RoomTypeID] {
				fe.Add("solutions", n+"room_type_id is not a room type of the property")
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now()
		for _, k := range sols {
			_, err := t.Exec(ctx, `INSERT INTO channel_known_mappings (id, channel_id, type, room_type_code, rate_plan_code, room_type_id,
				rate_plan_id, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (channel_id, room_type_code, rate_plan_code) DO UPDATE SET type = excluded.type,
				room_type_id = excluded.room_type_id, rate_plan_id = excluded.rate_plan_id, user_id = excluded.user_id`,
				newID(), ev.ChannelID, keycard.KnownMappingManual, k.RoomTypeCode, k.RatePlanCode, k.RoomTypeID, nullString(k.RatePlanID),
				nullString(p.UserID), micros(now))
			if err != nil {
				return fmt.Errorf("store: known mapping: %w", err)
			}
		}
		if _, err := t.Exec(ctx, `UPDATE channel_events SET status = 'resolved', resolved_at = ?, user_id = ? WHERE id = ?`,
			micros(now), nullString(p.UserID), ev.ID); err != nil {
			return fmt.Errorf("store: resolve channel event: %w", err)
		}
		ev.Status, ev.ResolvedAt, ev.UserID = "resolved", now, p.UserID
		known, err = knownMappings(ctx, t, ev.ChannelID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &ev, known, nil
}
