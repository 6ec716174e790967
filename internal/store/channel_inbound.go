package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// InboundChannel is a connection as its inbound key finds it: what a push
// from the channel is checked against and belongs to.
type InboundChannel struct {
	ID         string
	PropertyID string
	HotelCode  string
	Title      string
	IsActive   bool
	// UserID is who made the connection: the channel's pushes act for
	// them (tasks and webhook events name them), within the connection's
	// property only.
	UserID string
}

// Principal returns who a push from the channel acts as: the maker of the
// connection, reaching the connection's property and nothing else.
func (c *InboundChannel) Principal() *keycard.Principal {
	return &keycard.Principal{UserID: c.UserID, Reach: keycard.NewReach([]string{c.PropertyID})}
}

// ChannelBooking is what a booking write from a channel carries beside the
// change: the connection, the reservation id that names the booking for
// it, the codes of each room of the change (resolved through the
// connection's mappings), and the hash of the push (the same push sent
// again writes nothing).
type ChannelBooking struct {
	Channel       *InboundChannel
	ReservationID string
	Rooms         []keycard.ChannelRoomCodes
	Hash          string
}

// ChannelByInboundKey returns the connection whose inbound key is key; a
// key of no connection (made up, rolled, or of a deleted connection) is
// not found.
func (s *Store) ChannelByInboundKey(ctx context.Context, key string) (*InboundChannel, error) {
	var c InboundChannel
	var active bool
	var user sql.NullString
	err := s.readConn(ctx, func(t *tx) error {
		return t.QueryRow(ctx, `SELECT id, property_id, hotel_code, title, is_active, user_id FROM channels WHERE inbound_key_hash = ?`,
			tokens.Hash(key)).Scan(&c.ID, &c.PropertyID, &c.HotelCode, &c.Title, &active, &user)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keycard.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("store: channel by inbound key: %w", err)
	}
	c.IsActive, c.UserID = active, user.String
	return &c, nil
}

// issueInboundKey gives channel id a new inbound key and returns it, the
// one time it is seen in clear: the previous key stops working.
func (t *tx) issueInboundKey(ctx context.Context, channelID string) (string, error) {
	key := tokens.New(tokens.ChannelPrefix)
	res, err := t.Exec(ctx, `UPDATE channels SET inbound_key_hash = ?, inbound_key_hint = ? WHERE id = ?`,
		tokens.Hash(key), tokens.Hint(key), channelID)
	if err != nil {
		return "", fmt.Errorf("store: issue inbound key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", keycard.NotFound()
	}
	return key, nil
}

// RollInboundKey gives the connection id, which p may change, a new
// inbound key and returns it: shown once, the old one withdrawn at once.
// The audit log and the channel's events record it (never the key).
func (s *Store) RollInboundKey(ctx context.Context, p *keycard.Principal, id string) (string, error) {
	var key string
	err := s.write(ctx, func(t *tx) error {
		ch, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		if key, err = t.issueInboundKey(ctx, id); err != nil {
			return err
		}
		return s.channelHappened(ctx, t, p, ch, keycard.AuditChannelChanged, map[string]any{"changed": []string{"inbound_api_key"}})
	})
	return key, err
}

// channelMappings returns what resolves the codes of connection id's
// bookings.
func (s *Store) channelMappings(ctx context.Context, t *tx, channelID, propertyID string) (*keycard.ChannelMappings, error) {
	m := &keycard.ChannelMappings{RatePlanRoomTypes: map[string]string{}}
	rows, err := t.Query(ctx, `SELECT id, room_type_id FROM rate_plans WHERE property_id = ?`, propertyID)
	if err != nil {
		return nil, fmt.Errorf("store: channel mappings: %w", err)
	}
	for rows.Next() {
		var id, rt string
		if err := rows.Scan(&id, &rt); err != nil {
			rows.Close()
			return nil, err
		}
		m.RatePlanRoomTypes[id] = rt
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = t.Query(ctx, `SELECT rate_plan_id, room_type_code, rate_plan_code FROM channel_rate_plans WHERE channel_id = ? ORDER BY position`, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: channel mappings: %w", err)
	}
	for rows.Next() {
		var rp keycard.ChannelRatePlan
		if err := rows.Scan(&rp.RatePlanID, &rp.RoomTypeCode, &rp.RatePlanCode); err != nil {
			rows.Close()
			return nil, err
		}
		m.RatePlans = append(m.RatePlans, rp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	m.Known, err = knownMappings(ctx, t, channelID)
	return m, err
}

// knownMappings returns the known mappings of connection id, oldest first.
func knownMappings(ctx context.Context, t *tx, channelID string) ([]keycard.KnownMapping, error) {
	rows, err := t.Query(ctx, `SELECT id, type, room_type_code, rate_plan_code, room_type_id, rate_plan_id
		FROM channel_known_mappings WHERE channel_id = ? ORDER BY created_at, id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: known mappings: %w", err)
	}
	defer rows.Close()
	var out []keycard.KnownMapping
	for rows.Next() {
		var k keycard.KnownMapping
		var rp sql.NullString
		if err := rows.Scan(&k.ID, &k.Type, &k.RoomTypeCode, &k.RatePlanCode, &k.RoomTypeID, &rp); err != nil {
			return nil, err
		}
		k.RatePlanID = rp.String
		out = append(out, k)
	}
	return out, rows.Err()
}

// channelBooking prepares a channel's booking write, under the property's
// lock: it resolves the rooms' codes into the change, and returns the
// booking the connection's reservation id names (nil for a new one), and
// whether the push is the one last applied to it (then nothing is
// written).
func (s *Store) channelBooking(ctx context.Context, t *tx, p *keycard.Principal, prop *bookingProperty, w *BookingWrite) (*keycard.Booking, bool, error) {
	cp := w.Channel
	if cp.ReservationID == "" && w.Status == keycard.StatusNew {
		cp.ReservationID = keycard.ChannelReservationID(cp.Channel.ID, cp.Hash)
	}
	w.Change.OTAReservationCode, w.Change.ReservationID = &cp.ReservationID, nil
	var cur *keycard.Booking
	var bookingID, hash string
	err := t.QueryRow(ctx, `SELECT booking_id, push_hash FROM channel_bookings WHERE channel_id = ? AND reservation_id = ?`,
		cp.Channel.ID, cp.ReservationID).Scan(&bookingID, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if w.Status != keycard.StatusNew {
			return nil, false, keycard.Invalid("reservation_id", "is not a booking this channel pushed: a "+w.Status+
				" push must name the reservation_id of a booking the channel pushed as new")
		}
		if !cp.Channel.IsActive {
			return nil, false, keycard.Errorf(keycard.EForbidden, "the channel is not active: it takes no new bookings "+
				"(the bookings it made may still be modified and cancelled)")
		}
	case err != nil:
		return nil, false, fmt.Errorf("store: channel booking: %w", err)
	default:
		if cur, err = s.booking(ctx, t, p, bookingID); err != nil {
			return nil, false, err
		}
		if hash == cp.Hash {
			return cur, true, nil
		}
	}
	m, err := s.channelMappings(ctx, t, cp.Channel.ID, prop.id)
	if err != nil {
		return nil, false, err
	}
	for i := range w.Change.Rooms {
		if i >= len(cp.Rooms) {
			break
		}
		rt, rp := m.Resolve(cp.Rooms[i])
		w.Change.Rooms[i].RoomTypeID, w.Change.Rooms[i].RatePlanID = nullableID(rt), nullableID(rp)
	}
	return cur, false, nil
}

func nullableID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// channelBooked records, after revision b of a channel's booking was
// written, which booking the reservation id names and the push applied;
// and, when some room maps to nothing, opens a channel event for it
// (once per booking while one is open).
func (s *Store) channelBooked(ctx context.Context, t *tx, w *BookingWrite, b *keycard.Booking) error {
	cp := w.Channel
	_, err := t.Exec(ctx, `INSERT INTO channel_bookings (channel_id, reservation_id, booking_id, push_hash) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel_id, reservation_id) DO UPDATE SET push_hash = excluded.push_hash, booking_id = excluded.booking_id`,
		cp.Channel.ID, cp.ReservationID, b.ID, cp.Hash)
	if err != nil {
		return fmt.Errorf("store: channel booking: %w", err)
	}
	room, rate := b.Unmapped()
	if (!room && !rate) || b.Status == keycard.StatusCancelled {
		return nil
	}
	var open int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channel_events WHERE booking_id = ? AND type = ? AND status = 'open'`,
		b.ID, keycard.ChannelEventUnmappedBooking).Scan(&open); err != nil {
		return fmt.Errorf("store: channel event: %w", err)
	}
	if open > 0 {
		return nil
	}
	type unmappedRoom struct {
		Index        int    `json:"index"`
		RoomTypeCode string `json:"room_type_code"`
		RatePlanCode string `json:"rate_plan_code"`
		RoomTypeID   any    `json:"room_type_id"`
		RatePlanID   any    `json:"rate_plan_id"`
	}
	payload := struct {
		BookingID         string         `json:"booking_id"`
		BookingRevisionID string         `json:"booking_revision_id"`
		ReservationID     string         `json:"reservation_id"`
		UniqueID          string         `json:"unique_id"`
		Rooms             []unmappedRoom `json:"rooms"`
	}{BookingID: b.ID, BookingRevisionID: b.RevisionID, ReservationID: cp.ReservationID, UniqueID: b.UniqueID}
	for i, r := range b.Rooms {
		if r.RoomTypeID != "" && r.RatePlanID != "" || i >= len(cp.Rooms) {
			continue
		}
		u := unmappedRoom{Index: i, RoomTypeCode: cp.Rooms[i].RoomTypeCode, RatePlanCode: cp.Rooms[i].RatePlanCode}
		if r.RoomTypeID != "" {
			u.RoomTypeID = r.RoomTypeID
		}
		payload.Rooms = append(payload.Rooms, u)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: encode channel event: %w", err)
	}
	_, err = t.Exec(ctx, `INSERT INTO channel_events (id, channel_id, property_id, type, status, payload, booking_id, created_at)
		VALUES (?, ?, ?, ?, 'open', ?, ?, ?)`, newID(), cp.Channel.ID, b.PropertyID, keycard.ChannelEventUnmappedBooking,
		string(data), b.ID, micros(s.now()))
	if err != nil {
		return fmt.Errorf("store: channel event: %w", err)
	}
	return nil
}
