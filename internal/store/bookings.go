package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

// BookingWrite is one change to a booking, as a Booking CRS route (or a
// channel) sends it.
type BookingWrite struct {
	// BookingID names the booking to change; empty for a create or a push.
	BookingID string
	// PropertyID is the property the body names, or "". A push without
	// one belongs to the property its room types and rate plans belong to.
	PropertyID string
	// Status is the revision to record: new, modified or cancelled. A push
	// of a new booking whose reservation code is known modifies it.
	Status string
	// Push identifies the booking by its OTA name and reservation code.
	Push bool
	// Channel, for a booking a channel connection pushed, identifies the
	// booking by the connection's reservation id instead, and names the
	// codes its rooms are resolved from.
	Channel *ChannelBooking
	// Change is the body, applied onto the booking as it stands (for a new
	// one: empty, in its property's currency) by keycard's rules;
	// DecodeErrs is what went wrong decoding it.
	Change     *keycard.BookingChange
	DecodeErrs keycard.FieldErrors
}

// bookingProperty is what a booking write needs to know of its property.
type bookingProperty struct {
	id       string
	currency string
	settings keycard.PropertySettings
}

// bookingFields are the fields GET /bookings filters and orders by.
var bookingFields = map[string]column{
	"id":                   {expr: "b.id"},
	"property_id":          {expr: "b.property_id"},
	"status":               {expr: "b.status"},
	"ota_name":             {expr: "b.ota_name"},
	"ota_reservation_code": {expr: "b.ota_reservation_code"},
	"arrival_date":         {expr: "b.arrival_date", kind: kindDate},
	"departure_date":       {expr: "b.departure_date", kind: kindDate},
	"inserted_at":          {expr: "b.inserted_at", kind: kindTime},
	"revision_id":          {expr: "b.revision_id"},
	// The rest of a booking's attributes are kept in its document.
	"unique_id":       {refuse: refuseDocument},
	"arrival_hour":    {refuse: refuseDocument},
	"currency":        {refuse: refuseDocument},
	"notes":           {refuse: refuseDocument},
	"payment_collect": {refuse: refuseDocument},
	"payment_type":    {refuse: refuseDocument},
	"amount":          {refuse: refuseMoney},
	"ota_commission":  {refuse: refuseMoney},
}

// revisionFields are the fields the revision lists filter and order by.
var revisionFields = map[string]column{
	"property_id": {expr: "r.property_id"},
	"booking_id":  {expr: "r.booking_id"},
	"status":      {expr: "r.status"},
	"inserted_at": {expr: "r.inserted_at", kind: kindTime},
	"id":          {expr: "r.id"},
	"system_id":   {expr: "r.system_id"},
	// The rest of a revision's attributes are kept in its document.
	"unique_id":            {refuse: refuseDocument},
	"ota_name":             {refuse: refuseDocument},
	"ota_reservation_code": {refuse: refuseDocument},
	"arrival_date":         {refuse: refuseDocument},
	"departure_date":       {refuse: refuseDocument},
	"arrival_hour":         {refuse: refuseDocument},
	"currency":             {refuse: refuseDocument},
	"notes":                {refuse: refuseDocument},
	"payment_collect":      {refuse: refuseDocument},
	"payment_type":         {refuse: refuseDocument},
	"amount":               {refuse: refuseMoney},
	"ota_commission":       {refuse: refuseMoney},
}

// SaveBooking records one change to a booking: a new booking, a
// modification or a cancellation, as one revision, with the availability
// the property's settings make it move, in one transaction.
func (s *Store) SaveBooking(ctx context.Context, p *keycard.Principal, w BookingWrite) (*keycard.Booking, error) {
	out, err := s.SaveBookings(ctx, p, []BookingWrite{w})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// SaveBookings records several changes as SaveBooking does each, in order,
// in one transaction: all of them, or none and the first error. It is for
// loading many at once (keycard bench --properties seeds its bookings
// with it), where a transaction per booking would be most of the cost.
// New bookings that follow one another are written together (see
// bookingRun): what they leave is what they would leave one by one.
func (s *Store) SaveBookings(ctx context.Context, p *keycard.Principal, ws []BookingWrite) ([]*keycard.Booking, error) {
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.PropertyID
	}
	out := make([]*keycard.Booking, len(ws))
	// A new booking names its property; a change to one finds it inside.
	err := s.writeProperties(ctx, p, ids, func(t *tx) error {
		c := &bookingCall{}
		run := &bookingRun{}
		for i, w := range ws {
			if !w.creates() {
				// It reads the bookings and availability as they stand:
				// the run before it is written first.
				if err := s.writeRun(ctx, t, c, p, run); err != nil {
					return err
				}
				if err := s.saveBooking(ctx, t, c, p, w, &out[i]); err != nil {
					return err
				}
				continue
			}
			pb, err := s.prepareBooking(ctx, t, c, p, w)
			if err != nil {
				// The bookings before it come first: a refusal of theirs
				// (a reservation code taken) is the first error.
				if rerr := s.writeRun(ctx, t, c, p, run); rerr != nil && keycard.ErrorCode(rerr) != keycard.EInternal {
					return rerr
				}
				return err
			}
			run.items = append(run.items, pb)
			out[i] = pb.b
		}
		return s.writeRun(ctx, t, c, p, run)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// creates reports whether w can only make a new booking: it names no
// booking, by id, by reservation code or by a channel's reservation id,
// so nothing it reads depends on the bookings written before it.
func (w *BookingWrite) creates() bool {
	return w.BookingID == "" && !w.Push && w.Channel == nil
}

// preparedBooking is a booking write checked and applied, ready to be
// written.
type preparedBooking struct {
	w      BookingWrite
	prop   *bookingProperty
	cur    *keycard.Booking // the booking as it stands; nil for a new one
	b      *keycard.Booking // as it will stand
	status string
	data   []byte // b as stored
	// same is a channel's push of what it pushed last: nothing to write,
	// b is the booking as it stands.
	same bool
}

// saveBooking is SaveBooking's work in t, the booking saved put in *out.
func (s *Store) saveBooking(ctx context.Context, t *tx, c *bookingCall, p *keycard.Principal, w BookingWrite, out **keycard.Booking) error {
	pb, err := s.prepareBooking(ctx, t, c, p, w)
	if err != nil || pb.same {
		if pb != nil {
			*out = pb.b
		}
		return err
	}
	b, prop, status, data := pb.b, pb.prop, pb.status, pb.data
	now := b.InsertedAt
	if pb.cur == nil {
		b.ID = newID()
		b.RevisionID = newID()
		_, err = t.Exec(ctx, `INSERT INTO bookings (id, property_id, revision_id, status, ota_name, ota_reservation_code,
			arrival_date, departure_date, data, created_at, inserted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, prop.id, b.RevisionID, status, b.OTAName, b.OTAReservationCode, int64(b.ArrivalDate), int64(b.DepartureDate),
			string(data), micros(now), micros(now))
		if t.d.isUnique(err) {
			return errCodeTaken()
		}
	} else {
		b.ID = pb.cur.ID
		b.RevisionID = newID()
		_, err = t.Exec(ctx, `UPDATE bookings SET revision_id = ?, status = ?, ota_name = ?, ota_reservation_code = ?,
			arrival_date = ?, departure_date = ?, data = ?, inserted_at = ? WHERE id = ?`,
			b.RevisionID, status, b.OTAName, b.OTAReservationCode, int64(b.ArrivalDate), int64(b.DepartureDate),
			string(data), micros(now), b.ID)
		if t.d.isUnique(err) {
			return errCodeTaken()
		}
	}
	if err != nil {
		return fmt.Errorf("store: save booking: %w", err)
	}
	if b.SystemID == "" {
		b.SystemID = b.RevisionID
	}
	room, rate := b.Unmapped()
	if err := s.writeRevision(ctx, t, p, prop, b, data, status, room, rate); err != nil {
		return err
	}
	if err := s.moveAvailability(ctx, t, p, prop, b, status); err != nil {
		return err
	}
	if pb.w.Channel != nil {
		if err := s.channelBooked(ctx, t, &pb.w, b); err != nil {
			return err
		}
	}
	*out = b
	return nil
}

func errCodeTaken() error { return keycard.Invalid("ota_reservation_code", "has already been taken") }

// prepareBooking checks w and applies it onto the booking it changes (or
// a new one), without writing it: the booking to write, its status and
// its document, stamped now.
func (s *Store) prepareBooking(ctx context.Context, t *tx, c *bookingCall, p *keycard.Principal, w BookingWrite) (*preparedBooking, error) {
	var cur *keycard.Booking
	var prop *bookingProperty
	var err error
	switch {
	case w.BookingID != "":
		if cur, err = s.booking(ctx, t, p, w.BookingID); err != nil {
			return nil, err
		}
		if w.PropertyID != "" && w.PropertyID != cur.PropertyID {
			return nil, keycard.Invalid("property_id", "can't be changed")
		}
		w.PropertyID = cur.PropertyID
	case w.PropertyID == "":
		if w.PropertyID, err = s.propertyOfRefs(ctx, t, p, w.Change.RefIDs()); err != nil {
			return nil, err
		}
	}
	if prop, err = c.property(ctx, s, t, p, w.PropertyID); err != nil {
		return nil, err
	}
	t.touch(dataARI|dataFeed, prop.id)
	if err := c.lock(ctx, t, prop.id); err != nil {
		return nil, err
	}
	if w.Channel != nil {
		same := false
		if cur, same, err = s.channelBooking(ctx, t, p, prop, &w); err != nil || same {
			if err != nil {
				return nil, err
			}
			return &preparedBooking{b: cur, same: true}, nil
		}
	}
	b := &keycard.Booking{PropertyID: prop.id, Currency: prop.currency}
	if cur != nil {
		b = cloneBooking(cur)
	}
	fe := b.Apply(w.Change, w.DecodeErrs.Clone())
	if w.Push && cur == nil {
		// The push names its booking by reservation code.
		switch cur, err = s.bookingByCode(ctx, t, prop.id, b.OTAName, b.OTAReservationCode); {
		case keycard.ErrorCode(err) == keycard.ENotFound:
			cur = nil // a new booking
		case err != nil:
			return nil, err
		default:
			b = cloneBooking(cur)
			fe = b.Apply(w.Change, w.DecodeErrs.Clone())
		}
	}
	if fe == nil {
		fe = keycard.FieldErrors{}
	}
	if w.Channel != nil {
		b.ChannelID = w.Channel.Channel.ID
	}
	status := w.Status
	switch {
	case cur == nil && status != keycard.StatusNew:
		if w.Push {
			return nil, keycard.Invalid("ota_reservation_code", "is not a known booking of the property")
		}
		status = keycard.StatusNew
	case cur != nil && cur.Status == keycard.StatusCancelled:
		if err := fe.Err(); err != nil {
			return nil, err
		}
		return nil, keycard.Invalid("status", "the booking is cancelled and can't be changed")
	case cur != nil && status == keycard.StatusNew:
		status = keycard.StatusModified
	}
	if err := c.checkRefs(ctx, t, prop, b, fe); err != nil {
		return nil, err
	}
	if w.Change.ChannelID != nil {
		if err := checkBookingChannel(ctx, t, prop, b); err != nil {
			return nil, err
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	b.Status, b.InsertedAt = status, now
	b.UniqueID = keycard.OTACode(b.OTAName) + "-" + b.OTAReservationCode
	if w.Channel != nil {
		b.UniqueID = keycard.ChannelUniqueIDPrefix + b.OTAReservationCode
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("store: encode booking: %w", err)
	}
	return &preparedBooking{w: w, prop: prop, cur: cur, b: b, status: status, data: data}, nil
}

// writeRevision records revision b.RevisionID of booking b (whose state
// as stored is data) with the given status, unacked, in the feed. Every
// revision is written here and only here, in the transaction of the
// change: whatever must happen with a revision (webhook events: booking,
// booking_new/_modification/_cancellation, booking_unmapped_room when
// unmappedRoom, booking_unmapped_rate when unmappedRate) belongs here too.
func (s *Store) writeRevision(ctx context.Context, t *tx, p *keycard.Principal, prop *bookingProperty, b *keycard.Booking,
	data []byte, status string, unmappedRoom, unmappedRate bool) error {
	_, err := t.Exec(ctx, `INSERT INTO booking_revisions (id, booking_id, property_id, status, system_id, data, inserted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, b.RevisionID, b.ID, prop.id, status, b.SystemID, string(data), micros(b.InsertedAt))
	if err != nil {
		return fmt.Errorf("store: write booking revision: %w", err)
	}
	_, err = t.Exec(ctx, `INSERT INTO booking_feed_counts (property_id, unacked) VALUES (?, 1)
		ON CONFLICT (property_id) DO UPDATE SET unacked = booking_feed_counts.unacked + 1`, prop.id)
	if err != nil {
		return fmt.Errorf("store: count booking revision: %w", err)
	}
	return s.enqueueRevision(ctx, t, keycard.RevisionNotice{PropertyID: prop.id, BookingID: b.ID, RevisionID: b.RevisionID,
		Status: status, UnmappedRoom: unmappedRoom, UnmappedRate: unmappedRate, UserID: p.UserID})
}

func cloneBooking(b *keycard.Booking) *keycard.Booking {
	data, _ := json.Marshal(b)
	c := &keycard.Booking{}
	json.Unmarshal(data, c)
	c.ID, c.PropertyID, c.RevisionID, c.Status, c.InsertedAt = b.ID, b.PropertyID, b.RevisionID, b.Status, b.InsertedAt
	// A new revision has its own system id unless the change gives one.
	c.SystemID = ""
	return c
}

// bookingProperty returns the property of a booking write, which p must
// reach; a property out of reach is named not found.
func (s *Store) bookingProperty(ctx context.Context, t *tx, p *keycard.Principal, id string) (*bookingProperty, error) {
	if !keycard.ValidID(id) || p.Reach != nil && !p.Reach.Has(id) {
		return nil, keycard.Invalid("property_id", "not found")
	}
	cond, args := reachCond(s.dialect, p, "id")
	var prop bookingProperty
	var settings string
	err := t.QueryRow(ctx, `SELECT id, currency, settings FROM properties WHERE id = ?`+cond,
		append([]any{id}, args...)...).Scan(&prop.id, &prop.currency, &settings)
	if err == sql.ErrNoRows {
		return nil, keycard.Invalid("property_id", "not found")
	}
	if err != nil {
		return nil, fmt.Errorf("store: booking property: %w", err)
	}
	if err := json.Unmarshal([]byte(settings), &prop.settings); err != nil {
		return nil, fmt.Errorf("store: property %s settings: %w", id, err)
	}
	return &prop, nil
}

// propertyOfRefs returns the one property that the room types and rate
// plans named by ids belong to, among those p reaches.
func (s *Store) propertyOfRefs(ctx context.Context, t *tx, p *keycard.Principal, ids []string) (string, error) {
	var valid []string
	for _, id := range ids {
		if keycard.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return "", keycard.Invalid("property_id", "can't be blank")
	}
	r, args := reach(s.dialect, p)
	in := placeholders(len(valid))
	rows, err := t.Query(ctx, `SELECT property_id FROM room_types WHERE id IN (`+in+`) AND property_id IN `+r+`
		UNION SELECT property_id FROM rate_plans WHERE id IN (`+in+`) AND property_id IN `+r,
		append(append(append(anys(valid), args...), anys(valid)...), args...)...)
	if err != nil {
		return "", fmt.Errorf("store: booking property: %w", err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		found = append(found, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(found) != 1 {
		return "", keycard.Invalid("property_id", "can't be blank (and the rooms' rate plans do not name one property)")
	}
	return found[0], nil
}

// propertyRefs returns the ids of a property's room types, and of its
// rate plans with the room type of each.
func propertyRefs(ctx context.Context, t *tx, propertyID string) (roomTypes map[string]bool, plans map[string]string, err error) {
	roomTypes, plans = map[string]bool{}, map[string]string{}
	rows, err := t.Query(ctx, `SELECT id, '' FROM room_types WHERE property_id = ? UNION ALL SELECT id, room_type_id FROM rate_plans WHERE property_id = ?`,
		propertyID, propertyID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: a property's room types and rate plans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, rt string
		if err := rows.Scan(&id, &rt); err != nil {
			return nil, nil, err
		}
		if rt == "" {
			roomTypes[id] = true
		} else {
			plans[id] = rt
		}
	}
	return roomTypes, plans, rows.Err()
}

// checkBookingRefs checks that each room's room type and rate plan belong
// to the booking's property (or are null), and fills in a room type from
// its rate plan: roomTypes are the property's room types, plans its rate
// plans with the room type of each.
func checkBookingRefs(roomTypes map[string]bool, plans map[string]string, b *keycard.Booking, fe keycard.FieldErrors) {
	for i := range b.Rooms {
		room := &b.Rooms[i]
		n := fmt.Sprintf("room %d: ", i+1)
		if room.RatePlanID != "" {
			rt, ok := plans[room.RatePlanID]
			switch {
			case !ok:
				fe.Add("rooms", n+"rate_plan_id is not a rate plan of the property")
			case room.RoomTypeID == "":
				room.RoomTypeID = rt
			case room.RoomTypeID != rt:
				fe.Add("rooms", n+"rate_plan_id is a rate plan of another room type")
			}
		}
		if room.RoomTypeID != "" && !roomTypes[room.RoomTypeID] {
			fe.Add("rooms", n+"room_type_id is not a room type of the property")
		}
	}
}

// checkBookingChannel keeps the channel a booking write names only when
// it is a connection of the booking's property; any other id is dropped,
// as keycard did before it had channels (clients send the reference
// body's channel_id as it is). Only a write that names one is looked at:
// a booking keeps the channel it came through when that channel is
// deleted later.
func checkBookingChannel(ctx context.Context, t *tx, prop *bookingProperty, b *keycard.Booking) error {
	if b.ChannelID == "" {
		return nil
	}
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channels WHERE id = ? AND property_id = ?`, b.ChannelID, prop.id).Scan(&n); err != nil {
		return fmt.Errorf("store: booking channel: %w", err)
	}
	if n == 0 {
		b.ChannelID = ""
	}
	return nil
}
