package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// SetNow makes s read the time from now, for tests.
func SetNow(s *Store, now func() time.Time) { s.now = now }

// PropertyCacheDrops returns how many times s's property cache has been
// dropped, for tests of what drops it.
func PropertyCacheDrops(s *Store) uint64 {
	s.props.mu.Lock()
	defer s.props.mu.Unlock()
	return s.props.gen
}

// SQLiteReaders is how many readers the SQLite read pool admits at once.
const SQLiteReaders = sqliteReaders

// VersionWatch starts on s the check that Watch runs every
// sqliteWatchInterval with SQLite, for tests to drive by hand: check calls
// changed when another connection has committed since the last check,
// and stop gives its connection back.
func VersionWatch(ctx context.Context, s *Store) (check func(changed func()) error, stop func() error, err error) {
	w, err := s.newVersionWatch(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(changed func()) error { return w.check(ctx, changed) }, w.close, nil
}

// ReadConn runs fn on a connection of s's read pool, in turn, as the hot
// reads do.
func ReadConn(ctx context.Context, s *Store, fn func()) error {
	return s.readConn(ctx, func(*tx) error { fn(); return nil })
}

// OnDataHeard sets a function called each time s has applied data
// changes heard from another process (see Version).
func OnDataHeard(s *Store, f func()) { s.data.observed = f }

// ResetNonAcked forgets that any revision was notified as non-acked, for
// benchmarks of the scan.
func ResetNonAcked(s *Store) error {
	_, err := s.wdb.Exec(`UPDATE booking_revisions SET non_acked_notified_at = NULL`)
	return err
}

// Rows returns the rows of query on s's database, each column as text
// ("" for NULL), for tests that compare what writes left.
func Rows(ctx context.Context, s *Store, query string) ([][]string, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// SaveBookingAlone saves w as SaveBooking did before new bookings were
// written in runs (see writeRun): each statement for it alone. Tests
// compare what runs leave with it.
func SaveBookingAlone(ctx context.Context, s *Store, p *keycard.Principal, w BookingWrite) (*keycard.Booking, error) {
	var out *keycard.Booking
	err := s.writeProperties(ctx, p, []string{w.PropertyID}, func(t *tx) error {
		return s.saveBooking(ctx, t, &bookingCall{}, p, w, &out)
	})
	return out, err
}

// OpenAt opens the database of cfg as Open does, but applies the
// migrations numbered up to version only, for tests of what a later
// migration does to the rows of an older database.
func OpenAt(ctx context.Context, cfg Config, version int) (*Store, error) {
	return open(ctx, cfg, version)
}

// Exec runs a statement with "?" placeholders on s's database, for tests
// that write rows as an older keycard left them.
func Exec(ctx context.Context, s *Store, query string, args ...any) error {
	_, err := s.wdb.ExecContext(ctx, s.dialect.rebind(query), args...)
	return err
}

// HoldWrites holds what a write to propertyID waits for, until release
// is called: with SQLite, s's write turn; with PostgreSQL, the property's
// turn in s (see propertyTurns). writeQueued, if not nil, is called each
// time a caller then queues for it.
func HoldWrites(s *Store, propertyID string, writeQueued func()) (release func()) {
	turns, release := s.writeTurns, s.writeTurns.done
	if s.dialect.name() == "postgres" {
		turns, release = s.propTurns.join(propertyID), func() { s.propTurns.leave(propertyID) }
	}
	if err := turns.take(context.Background()); err != nil {
		panic(err)
	}
	turns.mu.Lock()
	turns.queued = writeQueued
	turns.mu.Unlock()
	return release
}

// WatchARIGroups sets, for s's groups of ARI writes, queued, called each
// time a write joins a group's queue, and ran, called with the number of
// writes of each group written.
func WatchARIGroups(s *Store, queued func(), ran func(n int)) {
	s.restrictionGroups.watch(queued, ran)
	s.availabilityGroups.watch(queued, ran)
}

func (gs *groups[J]) watch(queued func(), ran func(int)) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.queued, gs.ran = queued, ran
}

// UnweighARIGroups lifts the bound on the dates of a group of ARI writes
// (see maxGroupWeight), so that a test can put a write of too many
// cells, heavier than the bound, in a group with others.
func UnweighARIGroups(s *Store) {
	s.restrictionGroups.weigh, s.availabilityGroups.weigh = nil, nil
}
