package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// night is one room type's rooms on one date.
type night struct {
	roomType string
	day      keycard.Date
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
	rows, need := heldNights(b, status)
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
	auto := autoUpdates(prop.settings, status)
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
	stored, err := roomTypeDays(ctx, t, nights)
	if err != nil {
		return nil, err
	}
	out := make(map[night]int, len(stored))
	for k, n := range stored {
		out[k] = int(max(n, 0))
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
	err := s.enqueueARI(ctx, t, propertyID, p.UserID, func(yield func(ariCell) bool) {
		for _, k := range moved {
			if !yield(ariCell{roomTypeID: k.roomType, day: k.day}) {
				return
			}
		}
	}, func(yield func(ariChange) bool) {
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
