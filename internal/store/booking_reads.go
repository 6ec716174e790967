package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/keycard/keycard/internal/keycard"
)

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

// bookingByCode returns the booking of a property with an OTA name and
// reservation code, as a push names it, or a not-found error.
func (s *Store) bookingByCode(ctx context.Context, t *tx, propertyID, otaName, code string) (*keycard.Booking, error) {
	b, err := scanBooking(t.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.property_id = ? AND b.ota_name = ? AND b.ota_reservation_code = ?`, propertyID, otaName, code))
	if err != nil {
		return nil, notFound(err)
	}
	return b, nil
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
	if unacked && order != " ORDER BY "+def {
		return nil, 0, keycard.Errorf(keycard.EBadRequest, "the feed is ordered oldest first only: order[inserted_at]=asc")
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.Booking
	var total int
	count := `SELECT COUNT(*) FROM booking_revisions r WHERE r.property_id IN ` + r + cond + where
	if unacked && feedCounted(q) {
		// A feed filtered on the property alone: its total is the sum of
		// the properties' counts.
		count = `SELECT COALESCE(SUM(r.unacked), 0) FROM booking_feed_counts r WHERE r.property_id IN ` + r + where
	}
	list := `SELECT ` + revisionColumns + ` FROM booking_revisions r WHERE r.property_id IN ` + r + cond + where + order + page(q)
	if unacked && s.dialect.name() == "postgres" && p.Reach != nil && p.Reach.Len() <= maxLateralFeedReach {
		// PostgreSQL would walk every unacked revision in seq order,
		// testing each against the reach, to find the first page: with
		// 200,000 of them waiting elsewhere, a drained poll of one
		// property took 360 ms. Instead, each property in reach gives
		// its first revisions from the unacked index, and those are
		// merged: 0.5 ms. For a reach of 1,000 properties with a backlog
		// in each, that merge took 106 ms against the walk's 8, hence
		// the bound.
		list = `SELECT ` + revisionColumns + ` FROM (SELECT DISTINCT id FROM ` + r + ` AS ids (id)) reach CROSS JOIN LATERAL
			(SELECT * FROM booking_revisions r WHERE r.property_id = reach.id` + cond + where + order +
			` LIMIT ` + strconv.Itoa(q.Offset()+q.Limit) + `) r` + order + page(q)
	}
	err = s.read(ctx, func(t *tx) error {
		var err error
		out, total, err = scanPage(ctx, t, q, "booking revisions", scanRevision, list, count, args)
		return err
	})
	return out, total, err
}

// maxLateralFeedReach is the largest reach whose feed is read property by
// property on PostgreSQL (see ListBookingRevisions).
const maxLateralFeedReach = 100

// feedCounted reports whether the feed's total under q is the sum of its
// properties' counts: q filters on nothing but property_id (or on fields
// revisions do not have, which listSQL leaves out).
func feedCounted(q keycard.ListQuery) bool {
	for _, f := range q.Filters {
		if _, known := lookupField(revisionFields, f.Field); known && (f.Field != "property_id" || f.Op != keycard.OpEq) {
			return false
		}
	}
	return true
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
			var propertyID string
			if err := t.QueryRow(ctx, `SELECT property_id FROM booking_revisions WHERE id = ?`, id).Scan(&propertyID); err != nil {
				return fmt.Errorf("store: ack booking revision: %w", err)
			}
			t.touch(dataFeed, propertyID)
			_, err := t.Exec(ctx, `UPDATE booking_feed_counts SET unacked = unacked - 1 WHERE property_id = ?`, propertyID)
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
