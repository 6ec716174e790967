package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

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
}

// revisionFields are the fields the revision lists filter and order by.
var revisionFields = map[string]column{
	"property_id": {expr: "r.property_id"},
	"booking_id":  {expr: "r.booking_id"},
	"status":      {expr: "r.status"},
	"inserted_at": {expr: "r.inserted_at", kind: kindTime},
}

// SaveBooking records one change to a booking: a new booking, a
// modification or a cancellation, as one revision, with the availability
// the property's settings make it move, in one transaction.
func (s *Store) SaveBooking(ctx context.Context, p *keycard.Principal, w BookingWrite) (*keycard.Booking, error) {
	var out *keycard.Booking
	// A new booking names its property; a change to one finds it inside.
	err := s.writeProperties(ctx, p, []string{w.PropertyID}, func(t *tx) error {
		var cur *keycard.Booking
		var prop *bookingProperty
		var err error
		switch {
		case w.BookingID != "":
			if cur, err = s.booking(ctx, t, p, w.BookingID); err != nil {
				return err
			}
			if w.PropertyID != "" && w.PropertyID != cur.PropertyID {
				return keycard.Invalid("property_id", "can't be changed")
			}
			w.PropertyID = cur.PropertyID
		case w.PropertyID == "":
			if w.PropertyID, err = s.propertyOfRefs(ctx, t, p, w.Change.RefIDs()); err != nil {
				return err
			}
		}
		if prop, err = s.bookingProperty(ctx, t, p, w.PropertyID); err != nil {
			return err
		}
		if err := lockProperties(ctx, t, []string{prop.id}); err != nil {
			return err
		}
		b := &keycard.Booking{PropertyID: prop.id, Currency: prop.currency}
		if cur != nil {
			b = cloneBooking(cur)
		}
		fe := b.Apply(w.Change, w.DecodeErrs.Clone())
		if w.Push && cur == nil {
			// The push names its booking by reservation code.
			cur, err = s.bookingByCode(ctx, t, prop.id, b.OTAName, b.OTAReservationCode)
			if err != nil {
				return err
			}
			if cur != nil {
				b = cloneBooking(cur)
				fe = b.Apply(w.Change, w.DecodeErrs.Clone())
			}
		}
		if fe == nil {
			fe = keycard.FieldErrors{}
		}
		status := w.Status
		switch {
		case cur == nil && status != keycard.StatusNew:
			if w.Push {
				return keycard.Invalid("ota_reservation_code", "is not a known booking of the property")
			}
			status = keycard.StatusNew
		case cur != nil && cur.Status == keycard.StatusCancelled:
			if err := fe.Err(); err != nil {
				return err
			}
			return keycard.Invalid("status", "the booking is cancelled and can't be changed")
		case cur != nil && status == keycard.StatusNew:
			status = keycard.StatusModified
		}
		if err := s.checkBookingRefs(ctx, t, prop, b, fe); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now()
		b.Status, b.InsertedAt = status, now
		b.UniqueID = keycard.OTACode(b.OTAName) + "-" + b.OTAReservationCode
		data, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("store: encode booking: %w", err)
		}
		if cur == nil {
			b.ID = newID()
			b.RevisionID = newID()
			_, err = t.Exec(ctx, `INSERT INTO bookings (id, property_id, revision_id, status, ota_name, ota_reservation_code,
				arrival_date, departure_date, data, created_at, inserted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				b.ID, prop.id, b.RevisionID, status, b.OTAName, b.OTAReservationCode, int64(b.ArrivalDate), int64(b.DepartureDate),
				string(data), micros(now), micros(now))
			if t.d.isUnique(err) {
				return keycard.Invalid("ota_reservation_code", "has already been taken")
			}
		} else {
			b.ID = cur.ID
			b.RevisionID = newID()
			_, err = t.Exec(ctx, `UPDATE bookings SET revision_id = ?, status = ?, ota_name = ?, ota_reservation_code = ?,
				arrival_date = ?, departure_date = ?, data = ?, inserted_at = ? WHERE id = ?`,
				b.RevisionID, status, b.OTAName, b.OTAReservationCode, int64(b.ArrivalDate), int64(b.DepartureDate),
				string(data), micros(now), b.ID)
			if t.d.isUnique(err) {
				return keycard.Invalid("ota_reservation_code", "has already been taken")
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
		out = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	if !keycard.ValidID(id) {
		return nil, keycard.Invalid("property_id", "not found")
	}
	r, args := reach(s.dialect, p)
	var prop bookingProperty
	var settings string
	err := t.QueryRow(ctx, `SELECT id, currency, settings FROM properties WHERE id = ? AND id IN `+r,
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

// checkBookingRefs checks that each room's room type and rate plan belong
// to the booking's property (or are null), and fills in a room type from
// its rate plan.
func (s *Store) checkBookingRefs(ctx context.Context, t *tx, prop *bookingProperty, b *keycard.Booking, fe keycard.FieldErrors) error {
	roomTypes := map[string]bool{}
	plans := map[string]string{} // rate plan -> room type
	rows, err := t.Query(ctx, `SELECT id, '' FROM room_types WHERE property_id = ? UNION ALL SELECT id, room_type_id FROM rate_plans WHERE property_id = ?`,
		prop.id, prop.id)
	if err != nil {
		return fmt.Errorf("store: booking rooms: %w", err)
	}
	for rows.Next() {
		var id, rt string
		if err := rows.Scan(&id, &rt); err != nil {
			rows.Close()
			return err
		}
		if rt == "" {
			roomTypes[id] = true
		} else {
			plans[id] = rt
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
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
	return nil
}

const bookingColumns = `b.id, b.property_id, b.revision_id, b.status, b.data, b.inserted_at,
	(SELECT COUNT(*) FROM booking_revisions x WHERE x.id = b.revision_id AND x.acked_at IS NOT NULL)`

// decodeBooking reads a booking's stored JSON into b with the decoder of
// encoding/json/v2's prototype, in less than half encoding/json's time:
// the booking feed decodes every revision it lists. That JSON is written
// by encoding/json's Marshal of a keycard.Booking, so its own member names
// are exact; but the metas inside it are the client's JSON as sent, which
// encoding/json accepted with invalid UTF-8 in strings or a name twice, so
// the decoder is told to accept both too, as encoding/json does.
// TestDecodeBookingMatchesEncodingJSON and FuzzDecodeBooking hold the two
// decoders equal.
func decodeBooking(data string, b *keycard.Booking) error {
	return jsonv2.Unmarshal([]byte(data), b, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
}

func scanBooking(row scanner) (*keycard.Booking, error) {
	var b keycard.Booking
	var data string
	var inserted int64
	var acked int
	if err := row.Scan(&b.ID, &b.PropertyID, &b.RevisionID, &b.Status, &data, &inserted, &acked); err != nil {
		return nil, err
	}
	b.Acked = acked > 0
	if err := decodeBooking(data, &b); err != nil {
		return nil, fmt.Errorf("store: booking %s: %w", b.ID, err)
	}
	b.InsertedAt = fromMicros(inserted)
	return &b, nil
}

func (s *Store) booking(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Booking, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(s.dialect, p)
	b, err := scanBooking(t.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.id = ? AND b.property_id IN `+r,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

func (s *Store) bookingByCode(ctx context.Context, t *tx, propertyID, otaName, code string) (*keycard.Booking, error) {
	b, err := scanBooking(t.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.property_id = ? AND b.ota_name = ? AND b.ota_reservation_code = ?`, propertyID, otaName, code))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return b, err
}

// Booking returns a booking p reaches.
func (s *Store) Booking(ctx context.Context, p *keycard.Principal, id string) (*keycard.Booking, error) {
	var b *keycard.Booking
	err := s.read(ctx, func(t *tx) error {
		var err error
		b, err = s.booking(ctx, t, p, id)
		return err
	})
	return b, err
}

// ListBookings returns a page of the bookings p reaches that q selects,
// newest change first unless q orders otherwise, and their total.
func (s *Store) ListBookings(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Booking, int, error) {
	where, args, order, err := listSQL(q, bookingFields, "b.inserted_at DESC, b.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.Booking
	var total int
	err = s.read(ctx, func(t *tx) error {
		var err error
		out, total, err = scanPage(ctx, t, q, "bookings", scanBooking,
			`SELECT `+bookingColumns+` FROM bookings b WHERE b.property_id IN `+r+where+order+page(q),
			`SELECT COUNT(*) FROM bookings b WHERE b.property_id IN `+r+where, args)
		return err
	})
	return out, total, err
}

// ReportBooking records a report about a booking p reaches: a no-show, an
// invalid card, or a cancellation request for an invalid card.
func (s *Store) ReportBooking(ctx context.Context, p *keycard.Principal, id, kind string, body json.RawMessage) error {
	return s.write(ctx, func(t *tx) error {
		b, err := s.booking(ctx, t, p, id)
		if err != nil {
			return err
		}
		if b.Status == keycard.StatusCancelled && kind != keycard.ReportNoShow {
			return keycard.Invalid("booking", "is cancelled")
		}
		if len(body) == 0 {
			body = json.RawMessage("{}")
		}
		_, err = t.Exec(ctx, `INSERT INTO booking_reports (id, booking_id, kind, body, user_id, api_key_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, newID(), b.ID, kind, string(body), p.UserID, nullString(p.APIKeyID), micros(s.now()))
		if err != nil {
			return fmt.Errorf("store: report booking: %w", err)
		}
		return nil
	})
}

// BookingReports returns the kinds of the reports made about a booking p
// reaches, oldest first.
func (s *Store) BookingReports(ctx context.Context, p *keycard.Principal, id string) ([]string, error) {
	var out []string
	err := s.read(ctx, func(t *tx) error {
		if _, err := s.booking(ctx, t, p, id); err != nil {
			return err
		}
		rows, err := t.Query(ctx, `SELECT kind FROM booking_reports WHERE booking_id = ? ORDER BY created_at, id`, id)
		if err != nil {
			return fmt.Errorf("store: booking reports: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

const revisionColumns = `r.id, r.booking_id, r.property_id, r.status, r.system_id, r.data, r.inserted_at,
	CASE WHEN r.acked_at IS NULL THEN 0 ELSE 1 END`

func scanRevision(row scanner) (*keycard.Booking, error) {
	var b keycard.Booking
	var data string
	var inserted int64
	var acked int
	if err := row.Scan(&b.RevisionID, &b.ID, &b.PropertyID, &b.Status, &b.SystemID, &data, &inserted, &acked); err != nil {
		return nil, err
	}
	b.Acked = acked > 0
	if err := decodeBooking(data, &b); err != nil {
		return nil, fmt.Errorf("store: booking revision %s: %w", b.RevisionID, err)
	}
	b.InsertedAt = fromMicros(inserted)
	return &b, nil
}

// BookingRevision returns a revision p reaches. The booking's RevisionID
// is the revision's id.
func (s *Store) BookingRevision(ctx context.Context, p *keycard.Principal, id string) (*keycard.Booking, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	var out *keycard.Booking
	err := s.read(ctx, func(t *tx) error {
		r, args := reach(s.dialect, p)
		var err error
		out, err = scanRevision(t.QueryRow(ctx, `SELECT `+revisionColumns+` FROM booking_revisions r WHERE r.id = ? AND r.property_id IN `+r,
			append([]any{id}, args...)...))
		return notFound(err)
	})
	return out, err
}

// ListBookingRevisions returns a page of the revisions p reaches, newest
// first unless q orders otherwise, and their total. With unacked set it
// is the feed: only revisions not acked, oldest first.
func (s *Store) ListBookingRevisions(ctx context.Context, p *keycard.Principal, q keycard.ListQuery, unacked bool) ([]*keycard.Booking, int, error) {
	def := "r.seq DESC"
	cond := ""
	if unacked {
		def, cond = "r.seq ASC", " AND r.acked_at IS NULL"
	}
	where, args, order, err := listSQL(q, revisionFields, def)
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.Booking
	var total int
	count := `SELECT COUNT(*) FROM booking_revisions r WHERE r.property_id IN ` + r + cond + where
	if unacked {
		// The feed filters on the property alone: its total is the sum of
		// the properties' counts.
		count = `SELECT COALESCE(SUM(r.unacked), 0) FROM booking_feed_counts r WHERE r.property_id IN ` + r + where
	}
	err = s.read(ctx, func(t *tx) error {
		var err error
		out, total, err = scanPage(ctx, t, q, "booking revisions", scanRevision,
			`SELECT `+revisionColumns+` FROM booking_revisions r WHERE r.property_id IN `+r+cond+where+order+page(q), count, args)
		return err
	})
	return out, total, err
}

// AckRevision removes a revision p reaches from the feed for good. Acking
// an acked revision again changes nothing and is no error.
func (s *Store) AckRevision(ctx context.Context, p *keycard.Principal, id string) error {
	if !keycard.ValidID(id) {
		return keycard.NotFound()
	}
	return s.write(ctx, func(t *tx) error {
		r, args := reach(s.dialect, p)
		res, err := t.Exec(ctx, `UPDATE booking_revisions SET acked_at = ? WHERE id = ? AND acked_at IS NULL AND property_id IN `+r,
			append([]any{micros(s.now()), id}, args...)...)
		if err != nil {
			return fmt.Errorf("store: ack booking revision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			_, err := t.Exec(ctx, `UPDATE booking_feed_counts SET unacked = unacked - 1
				WHERE property_id = (SELECT property_id FROM booking_revisions WHERE id = ?)`, id)
			if err != nil {
				return fmt.Errorf("store: count booking revision ack: %w", err)
			}
			return nil
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM booking_revisions WHERE id = ? AND property_id IN `+r,
			append([]any{id}, args...)...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return keycard.NotFound()
		}
		return nil
	})
}

// night is one room type's rooms on one date.
type night struct {
	roomType string
	day      keycard.Date
}

// bookingNights returns the rooms b occupies per room type and rate plan
// and date, nothing when it is cancelled.
func bookingNights(b *keycard.Booking, status string) map[[2]string]map[keycard.Date]int {
	out := map[[2]string]map[keycard.Date]int{}
	if status == keycard.StatusCancelled {
		return out
	}
	for _, room := range b.Rooms {
		k := [2]string{room.RoomTypeID, room.RatePlanID}
		if out[k] == nil {
			out[k] = map[keycard.Date]int{}
		}
		for d := room.CheckinDate; d < room.CheckoutDate; d++ {
			out[k][d]++
		}
	}
	return out
}

// moveAvailability records the nights of b's new revision and, when the
// property's settings ask for it on this kind of revision, gives back
// what the booking took for the rooms it lets go and takes, as far as
// availability goes, for the rooms it adds (see hold), recording a task
// when availability moved.
func (s *Store) moveAvailability(ctx context.Context, t *tx, p *keycard.Principal, prop *bookingProperty, b *keycard.Booking, status string) error {
	if _, err := t.Exec(ctx, `DELETE FROM booking_nights WHERE booking_id = ?`, b.ID); err != nil {
		return fmt.Errorf("store: booking nights: %w", err)
	}
	nights := bookingNights(b, status)
	keys := slices.SortedFunc(maps.Keys(nights), func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	type row struct {
		k   [2]string
		day keycard.Date
		n   int
	}
	var rows []row
	need := map[night]int{}
	for _, k := range keys {
		for _, d := range slices.Sorted(maps.Keys(nights[k])) {
			rows = append(rows, row{k, d, nights[k][d]})
			if k[0] != "" {
				need[night{k[0], d}] += nights[k][d]
			}
		}
	}
	for chunk := range slices.Chunk(rows, 500) {
		args := make([]any, 0, len(chunk)*5)
		for _, r := range chunk {
			args = append(args, b.ID, nullString(r.k[0]), nullString(r.k[1]), int64(r.day), int64(r.n))
		}
		q := `INSERT INTO booking_nights (booking_id, room_type_id, rate_plan_id, day, rooms) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: booking nights: %w", err)
		}
	}
	var auto bool
	switch status {
	case keycard.StatusNew:
		auto = prop.settings.AllowAvailabilityAutoupdateOnConfirmation
	case keycard.StatusModified:
		auto = prop.settings.AllowAvailabilityAutoupdateOnModification
	case keycard.StatusCancelled:
		auto = prop.settings.AllowAvailabilityAutoupdateOnCancellation
	}
	if !auto {
		return nil
	}
	// The booking's holds become what it now needs, taking for the rooms
	// it adds only what availability has, and giving back for the rooms
	// it lets go only what it took (see hold).
	held, err := bookingHolds(ctx, t, b.ID)
	if err != nil {
		return err
	}
	var adding []night
	for k, n := range need {
		if n > held[k].rooms {
			adding = append(adding, k)
		}
	}
	free, err := availabilityOf(ctx, t, adding)
	if err != nil {
		return err
	}
	// delta is what each night's availability gains (given back) or
	// loses (taken).
	delta := map[night]int{}
	holds := map[night]hold{}
	for k := range held {
		if _, ok := need[k]; !ok {
			need[k] = 0 // let go
		}
	}
	for k, n := range need {
		h := held[k]
		// The rooms let go are those that took nothing first.
		nh := hold{rooms: n, taken: min(h.taken, n)}
		if n > h.rooms {
			nh.taken = h.taken + min(n-h.rooms, free[k])
		}
		delta[k] = h.taken - nh.taken
		if n > 0 {
			holds[k] = nh
		}
	}
	if _, err := t.Exec(ctx, `DELETE FROM booking_holds WHERE booking_id = ?`, b.ID); err != nil {
		return fmt.Errorf("store: booking holds: %w", err)
	}
	holdKeys := slices.SortedFunc(maps.Keys(holds), compareNights)
	for chunk := range slices.Chunk(holdKeys, 500) {
		args := make([]any, 0, len(chunk)*5)
		for _, k := range chunk {
			args = append(args, b.ID, k.roomType, int64(k.day), int64(holds[k].rooms), int64(holds[k].taken))
		}
		q := `INSERT INTO booking_holds (booking_id, room_type_id, day, rooms, taken) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := t.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: booking holds: %w", err)
		}
	}
	if err := giveToShortHolds(ctx, t, b.ID, delta); err != nil {
		return err
	}
	moved := slices.SortedFunc(maps.Keys(delta), compareNights)
	moved = slices.DeleteFunc(moved, func(k night) bool { return delta[k] == 0 })
	if len(moved) == 0 {
		return nil
	}
	task := &keycard.Task{ID: newID(), PropertyID: prop.id, Type: keycard.TaskBooking, BookingID: b.ID, RevisionID: b.RevisionID,
		DateFrom: moved[0].day, DateTo: moved[0].day}
	seenRT := map[string]bool{}
	for _, k := range moved {
		// A room type deleted since the booking was made has no
		// availability left to move.
		_, err := t.Exec(ctx, `INSERT INTO room_type_days (room_type_id, day, availability)
			SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM room_types WHERE id = ?
			ON CONFLICT (room_type_id, day) DO UPDATE SET availability = CASE
				WHEN room_type_days.availability + CAST(? AS BIGINT) < 0 THEN 0
				WHEN room_type_days.availability + CAST(? AS BIGINT) > CAST(? AS BIGINT) THEN CAST(? AS BIGINT)
				ELSE room_type_days.availability + CAST(? AS BIGINT) END`,
			int64(k.day), int64(min(max(delta[k], 0), keycard.MaxAvailability)), k.roomType,
			int64(delta[k]), int64(delta[k]), int64(keycard.MaxAvailability), int64(keycard.MaxAvailability), int64(delta[k]))
		if err != nil {
			return fmt.Errorf("store: booking availability: %w", err)
		}
		task.Values++
		task.DateFrom, task.DateTo = min(task.DateFrom, k.day), max(task.DateTo, k.day)
		if !seenRT[k.roomType] {
			seenRT[k.roomType] = true
			task.RoomTypeIDs = append(task.RoomTypeIDs, k.roomType)
		}
	}
	if err := s.enqueueBookingARI(ctx, t, p, prop.id, moved); err != nil {
		return err
	}
	return s.writeTask(ctx, t, p, task)
}

// hold is what a booking holds of one night of a room type: the rooms it
// holds it for, and how many of them it took from availability. That is
// never more than there was: availability stops at 0 and an overbooking
// is accepted, so a room beyond it is held but not taken, and a
// cancellation or a modification that lets it go gives back nothing for
// it. What a booking gives back goes first to the other bookings of the
// night still short of a room (see giveToShortHolds), then to
// availability. Holds are read and written under the property's lock
// (see lockProperties), which every writer of availability takes: two
// servers cannot both take the last room.
type hold struct{ rooms, taken int }

// bookingHolds returns the holds of booking id.
func bookingHolds(ctx context.Context, t *tx, id string) (map[night]hold, error) {
	rows, err := t.Query(ctx, `SELECT room_type_id, day, rooms, taken FROM booking_holds WHERE booking_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("store: booking holds: %w", err)
	}
	defer rows.Close()
	out := map[night]hold{}
	for rows.Next() {
		var rt string
		var day, rooms, taken int64
		if err := rows.Scan(&rt, &day, &rooms, &taken); err != nil {
			return nil, err
		}
		out[night{rt, keycard.Date(day)}] = hold{int(rooms), int(taken)}
	}
	return out, rows.Err()
}

// availabilityOf returns the availability of each of nights; a night
// never written has none.
func availabilityOf(ctx context.Context, t *tx, nights []night) (map[night]int, error) {
	span := spans(nights)
	out := map[night]int{}
	for _, rt := range slices.Sorted(maps.Keys(span)) {
		rows, err := t.Query(ctx, `SELECT day, availability FROM room_type_days WHERE room_type_id = ? AND day >= ? AND day <= ?`,
			rt, int64(span[rt][0]), int64(span[rt][1]))
		if err != nil {
			return nil, fmt.Errorf("store: booking availability: %w", err)
		}
		for rows.Next() {
			var day, n int64
			if err := rows.Scan(&day, &n); err != nil {
				rows.Close()
				return nil, err
			}
			out[night{rt, keycard.Date(day)}] = int(max(n, 0))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// spans returns, per room type of nights, its first and last day among
// them.
func spans(nights []night) map[string][2]keycard.Date {
	out := map[string][2]keycard.Date{}
	for _, k := range nights {
		if s, ok := out[k.roomType]; ok {
			out[k.roomType] = [2]keycard.Date{min(s[0], k.day), max(s[1], k.day)}
		} else {
			out[k.roomType] = [2]keycard.Date{k.day, k.day}
		}
	}
	return out
}

// giveToShortHolds gives the rooms that booking id gives back (each
// positive delta) to the other bookings that still hold those nights for
// rooms they could not take, oldest booking first, and takes what it
// gave out of delta: those rooms are in the hotel already, and what they
// take is no room for sale. A hold whose booking no longer has the night
// (cancelled, or changed while the property's settings moved nothing)
// takes none.
func giveToShortHolds(ctx context.Context, t *tx, id string, delta map[night]int) error {
	var giving []night
	for k, n := range delta {
		if n > 0 {
			giving = append(giving, k)
		}
	}
	span := spans(giving)
	type short struct {
		booking string
		day     keycard.Date
		rooms   int
	}
	for _, rt := range slices.Sorted(maps.Keys(span)) {
		// Few holds are ever short: the partial index booking_holds_short
		// finds them.
		shorts, err := scanAll(ctx, t, func(row scanner) (short, error) {
			var s short
			var day, rooms int64
			err := row.Scan(&s.booking, &day, &rooms)
			s.day, s.rooms = keycard.Date(day), int(rooms)
			return s, err
		}, `SELECT h.booking_id, h.day, h.rooms - h.taken FROM booking_holds h JOIN bookings b ON b.id = h.booking_id
			WHERE h.room_type_id = ? AND h.day >= ? AND h.day <= ? AND h.taken < h.rooms AND h.booking_id <> ?
				AND EXISTS (SELECT 1 FROM booking_nights bn WHERE bn.booking_id = h.booking_id AND bn.room_type_id = h.room_type_id AND bn.day = h.day)
			ORDER BY h.day, b.created_at, h.booking_id`, rt, int64(span[rt][0]), int64(span[rt][1]), id)
		if err != nil {
			return err
		}
		for _, s := range shorts {
			k := night{rt, s.day}
			g := min(s.rooms, max(delta[k], 0))
			if g == 0 {
				continue
			}
			_, err := t.Exec(ctx, `UPDATE booking_holds SET taken = taken + ? WHERE booking_id = ? AND room_type_id = ? AND day = ?`,
				int64(g), s.booking, rt, int64(s.day))
			if err != nil {
				return fmt.Errorf("store: booking holds: %w", err)
			}
			delta[k] -= g
		}
	}
	return nil
}

// enqueueBookingARI queues ari events for the availability a booking
// change moved: each night's availability as it now stands.
func (s *Store) enqueueBookingARI(ctx context.Context, t *tx, p *keycard.Principal, propertyID string, moved []night) error {
	var qerr error
	err := s.enqueueARI(ctx, t, propertyID, p.UserID, func(yield func(ariChange) bool) {
		for _, k := range moved {
			var n int64
			if err := t.QueryRow(ctx, `SELECT availability FROM room_type_days WHERE room_type_id = ? AND day = ?`, k.roomType, int64(k.day)).Scan(&n); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue // the room type is gone
				}
				qerr = fmt.Errorf("store: booking availability: %w", err)
				return
			}
			if !yield(ariChange{roomTypeID: k.roomType, day: k.day, fields: availabilityFields,
				values: map[string]any{keycard.ARIFieldAvailability: n}}) {
				return
			}
		}
	})
	return cmp.Or(qerr, err)
}

func compareNights(a, b night) int {
	return cmp.Or(strings.Compare(a.roomType, b.roomType), cmp.Compare(a.day, b.day))
}

// scanPage reads a page of a list with scan over query, and the list's
// total: told by the page when it can (see pageTotal), else read with
// count, which takes the same arguments. what names the list in an error.
func scanPage[T any](ctx context.Context, t *tx, q keycard.ListQuery, what string, scan func(scanner) (T, error), query, count string, args []any) ([]T, int, error) {
	out, err := scanAll(ctx, t, scan, query, args...)
	if err != nil {
		return nil, 0, err
	}
	if n, ok := pageTotal(q, len(out)); ok {
		return out, n, nil
	}
	var total int
	if err := t.QueryRow(ctx, count, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count %s: %w", what, err)
	}
	return out, total, nil
}

// scanAll runs query in t and scans every row with scan.
func scanAll[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
