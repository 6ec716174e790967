package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// bookingCall is what one SaveBookings call has looked up, for the
// bookings after: the properties it writes to (their lock taken), and
// their room types and rate plans. A booking write changes none of them.
type bookingCall struct {
	props  map[string]*bookingProperty
	locked map[string]bool
	refs   map[string]propertyRefSet
}

// propertyRefSet is what propertyRefs returns.
type propertyRefSet struct {
	roomTypes map[string]bool
	plans     map[string]string
}

// property is bookingProperty, looked up once per call.
func (c *bookingCall) property(ctx context.Context, s *Store, t *tx, p *keycard.Principal, id string) (*bookingProperty, error) {
	if prop := c.props[id]; prop != nil {
		return prop, nil
	}
	prop, err := s.bookingProperty(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	if c.props == nil {
		c.props = map[string]*bookingProperty{}
	}
	c.props[id] = prop
	return prop, nil
}

// lock is lockProperties for one property, taken once per call.
func (c *bookingCall) lock(ctx context.Context, t *tx, id string) error {
	if c.locked[id] {
		return nil
	}
	if err := lockProperties(ctx, t, []string{id}); err != nil {
		return err
	}
	if c.locked == nil {
		c.locked = map[string]bool{}
	}
	c.locked[id] = true
	return nil
}

// checkRefs is checkBookingRefs against the property's room types and
// rate plans, read once per call.
func (c *bookingCall) checkRefs(ctx context.Context, t *tx, prop *bookingProperty, b *keycard.Booking, fe keycard.FieldErrors) error {
	refs, ok := c.refs[prop.id]
	if !ok {
		roomTypes, plans, err := propertyRefs(ctx, t, prop.id)
		if err != nil {
			return err
		}
		refs = propertyRefSet{roomTypes, plans}
		if c.refs == nil {
			c.refs = map[string]propertyRefSet{}
		}
		c.refs[prop.id] = refs
	}
	checkBookingRefs(refs.roomTypes, refs.plans, b, fe)
	return nil
}

// bookingRun is a run of new bookings of one SaveBookings call, one after
// the other, checked and not yet written (see writeRun). Nothing a new
// booking reads before it is written depends on the bookings before it:
// a reservation code taken twice is refused when the run is written,
// before any error of a booking after the run.
type bookingRun struct {
	items []*preparedBooking
}

// bookingRows are the rows a run of new bookings writes, as arguments of
// multi-row INSERTs, in the order the bookings came.
type bookingRows struct {
	bookings, revisions, nights, holds []any
	feed                               map[string]int64 // revisions added to each property's unacked count
	deliveries                         []delivery
	tasks                              []*keycard.Task
	days                               map[night]int64 // availability as the run leaves it
}

// writeRun writes the run's new bookings, each as saveBooking writes a
// new one: the booking, its revision unacked in the feed and its events,
// its nights, and, when its property's settings ask for it, its holds,
// the availability it takes, the ari events and the channel changes of
// that availability, and its task. The same rows come out, in a few
// statements for the whole run instead of a dozen for each booking: the
// availability each booking takes is what the bookings before it left.
// It empties the run.
func (s *Store) writeRun(ctx context.Context, t *tx, c *bookingCall, p *keycard.Principal, run *bookingRun) error {
	items := run.items
	run.items = nil
	if len(items) == 0 {
		return nil
	}
	// The webhooks and channels of each property, looked up (and the
	// webhooks paused that may no longer hear it) before anything is
	// queued, in the order the properties come.
	hooks := map[string][]hook{}
	channels := map[string]bool{}
	for _, pb := range items {
		id := pb.prop.id
		if _, ok := hooks[id]; ok {
			continue
		}
		h, err := s.activeWebhooks(ctx, t, id)
		if err != nil {
			return err
		}
		hooks[id] = h
		if channels[id], err = t.hasActiveChannels(ctx, id); err != nil {
			return err
		}
	}
	// The availability of every night the run's bookings may take.
	var taking []night
	for _, pb := range items {
		if autoUpdates(pb.prop.settings, pb.status) {
			_, need := heldNights(pb.b, pb.status)
			taking = slices.AppendSeq(taking, maps.Keys(need))
		}
	}
	avail, err := roomTypeDays(ctx, t, taking)
	if err != nil {
		return err
	}
	rows := &bookingRows{feed: map[string]int64{}, days: map[night]int64{}}
	for _, pb := range items {
		if err := s.queueNewBooking(ctx, t, p, pb, hooks[pb.prop.id], channels[pb.prop.id], avail, rows); err != nil {
			return err
		}
	}
	return rows.write(ctx, s, t, p)
}

// queueNewBooking adds to rows what saveBooking writes for the new
// booking pb, taking availability from avail, which it updates.
func (s *Store) queueNewBooking(ctx context.Context, t *tx, p *keycard.Principal, pb *preparedBooking, hooks []hook, channels bool,
	avail map[night]int64, rows *bookingRows) error {
	b, prop, status, data := pb.b, pb.prop, pb.status, string(pb.data)
	now := b.InsertedAt
	b.ID = newID()
	b.RevisionID = newID()
	rows.bookings = append(rows.bookings, b.ID, prop.id, b.RevisionID, status, b.OTAName, b.OTAReservationCode,
		int64(b.ArrivalDate), int64(b.DepartureDate), data, micros(now), micros(now))
	if b.SystemID == "" {
		b.SystemID = b.RevisionID
	}
	// As writeRevision writes it.
	room, rate := b.Unmapped()
	rows.revisions = append(rows.revisions, b.RevisionID, b.ID, prop.id, status, b.SystemID, data, micros(b.InsertedAt))
	rows.feed[prop.id]++
	notice := keycard.RevisionNotice{PropertyID: prop.id, BookingID: b.ID, RevisionID: b.RevisionID,
		Status: status, UnmappedRoom: room, UnmappedRate: rate, UserID: p.UserID}
	for _, event := range notice.Events() {
		s.eventDeliveries(hooks, prop.id, p.UserID, event, notice.Payload(event), func(d delivery) { rows.deliveries = append(rows.deliveries, d) })
	}
	// As moveAvailability moves it, for a booking that holds nothing yet.
	nights, need := heldNights(b, status)
	for _, r := range nights {
		rows.nights = append(rows.nights, b.ID, nullString(r.k[0]), nullString(r.k[1]), int64(r.day), int64(r.n))
	}
	if !autoUpdates(prop.settings, status) {
		return nil
	}
	var moved []night
	for _, k := range slices.SortedFunc(maps.Keys(need), compareNights) {
		n := need[k]
		if n <= 0 {
			continue
		}
		taken := min(n, int(max(avail[k], 0)))
		rows.holds = append(rows.holds, b.ID, k.roomType, int64(k.day), int64(n), int64(taken))
		if taken > 0 {
			// What it takes there was: the night has a row.
			avail[k] = min(max(avail[k]-int64(taken), 0), keycard.MaxAvailability)
			rows.days[k] = avail[k]
			moved = append(moved, k)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	task := &keycard.Task{ID: newID(), PropertyID: prop.id, Type: keycard.TaskBooking, BookingID: b.ID, RevisionID: b.RevisionID,
		DateFrom: moved[0].day, DateTo: moved[0].day}
	seenRT := map[string]bool{}
	for _, k := range moved {
		task.Values++
		task.DateFrom, task.DateTo = min(task.DateFrom, k.day), max(task.DateTo, k.day)
		if !seenRT[k.roomType] {
			seenRT[k.roomType] = true
			task.RoomTypeIDs = append(task.RoomTypeIDs, k.roomType)
		}
	}
	// As enqueueBookingARI queues it.
	if channels {
		err := s.markChannelARI(ctx, t, prop.id, func(yield func(ariCell) bool) {
			for _, k := range moved {
				if !yield(ariCell{roomTypeID: k.roomType, day: k.day}) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	err := s.ariDeliveries(hooks, prop.id, p.UserID, func(yield func(ariChange) bool) {
		for _, k := range moved {
			if !yield(ariChange{roomTypeID: k.roomType, day: k.day, fields: availabilityFields,
				values: map[string]any{keycard.ARIFieldAvailability: avail[k]}}) {
				return
			}
		}
	}, func(d delivery) error { rows.deliveries = append(rows.deliveries, d); return nil })
	if err != nil {
		return err
	}
	rows.tasks = append(rows.tasks, task)
	return nil
}

// write writes rows: a reservation code taken already is refused as
// saveBooking refuses it.
func (rows *bookingRows) write(ctx context.Context, s *Store, t *tx, p *keycard.Principal) error {
	err := insertRows(ctx, t, `INSERT INTO bookings (id, property_id, revision_id, status, ota_name, ota_reservation_code,
		arrival_date, departure_date, data, created_at, inserted_at)`, 11, rows.bookings, "")
	if t.d.isUnique(err) {
		return errCodeTaken()
	}
	if err != nil {
		return fmt.Errorf("store: save booking: %w", err)
	}
	if err := insertRows(ctx, t, `INSERT INTO booking_revisions (id, booking_id, property_id, status, system_id, data, inserted_at)`,
		7, rows.revisions, ""); err != nil {
		return fmt.Errorf("store: write booking revision: %w", err)
	}
	var feed []any
	for _, id := range slices.Sorted(maps.Keys(rows.feed)) {
		feed = append(feed, id, rows.feed[id])
	}
	if err := insertRows(ctx, t, `INSERT INTO booking_feed_counts (property_id, unacked)`, 2, feed,
		` ON CONFLICT (property_id) DO UPDATE SET unacked = booking_feed_counts.unacked + excluded.unacked`); err != nil {
		return fmt.Errorf("store: count booking revision: %w", err)
	}
	if err := insertRows(ctx, t, `INSERT INTO booking_nights (booking_id, room_type_id, rate_plan_id, day, rooms)`, 5, rows.nights, ""); err != nil {
		return fmt.Errorf("store: booking nights: %w", err)
	}
	if err := insertRows(ctx, t, `INSERT INTO booking_holds (booking_id, room_type_id, day, rooms, taken)`, 5, rows.holds, ""); err != nil {
		return fmt.Errorf("store: booking holds: %w", err)
	}
	days := slices.SortedFunc(maps.Keys(rows.days), compareNights)
	err = upsert(ctx, t, "room_type_days", []string{"room_type_id", "day"}, []string{"availability"}, len(days), func(i int, args []any) []any {
		return append(args, days[i].roomType, int64(days[i].day), rows.days[days[i]])
	})
	if err != nil {
		return fmt.Errorf("store: booking availability: %w", err)
	}
	if len(rows.deliveries) > 0 {
		if err := insertDeliveries(ctx, t, rows.deliveries); err != nil {
			return err
		}
	}
	return s.writeTasks(ctx, t, p, rows.tasks)
}

// nightRow is one booking_nights row of a booking: its rooms of a room
// type and rate plan (either "" when unmapped) on a day.
type nightRow struct {
	k   [2]string
	day keycard.Date
	n   int
}

// heldNights returns the booking_nights rows of b's revision of status,
// in order, and the rooms it needs of each night of a room type.
func heldNights(b *keycard.Booking, status string) ([]nightRow, map[night]int) {
	nights := b.NightsHeld(status)
	keys := slices.SortedFunc(maps.Keys(nights), func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	var rows []nightRow
	need := map[night]int{}
	for _, k := range keys {
		for _, d := range slices.Sorted(maps.Keys(nights[k])) {
			rows = append(rows, nightRow{k, d, nights[k][d]})
			if k[0] != "" {
				need[night{k[0], d}] += nights[k][d]
			}
		}
	}
	return rows, need
}

// autoUpdates reports whether a revision of status moves availability
// under the property's settings.
func autoUpdates(settings keycard.PropertySettings, status string) bool {
	switch status {
	case keycard.StatusNew:
		return settings.AllowAvailabilityAutoupdateOnConfirmation
	case keycard.StatusModified:
		return settings.AllowAvailabilityAutoupdateOnModification
	case keycard.StatusCancelled:
		return settings.AllowAvailabilityAutoupdateOnCancellation
	}
	return false
}

// roomTypeDays returns the availability stored for each of nights that
// has a row, as it is (it may be below 0), in a statement per few hundred
// room types.
func roomTypeDays(ctx context.Context, t *tx, nights []night) (map[night]int64, error) {
	span := spans(nights)
	out := map[night]int64{}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(span)), 300) {
		var where []string
		var args []any
		for _, rt := range chunk {
			where = append(where, `(room_type_id = ? AND day >= ? AND day <= ?)`)
			args = append(args, rt, int64(span[rt][0]), int64(span[rt][1]))
		}
		rows, err := t.Query(ctx, `SELECT room_type_id, day, availability FROM room_type_days WHERE `+strings.Join(where, " OR "), args...)
		if err != nil {
			return nil, fmt.Errorf("store: booking availability: %w", err)
		}
		for rows.Next() {
			var rt string
			var day, n int64
			if err := rows.Scan(&rt, &day, &n); err != nil {
				rows.Close()
				return nil, err
			}
			out[night{rt, keycard.Date(day)}] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
