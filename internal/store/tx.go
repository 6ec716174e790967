package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	// the pure-Go SQLite driver
	"github.com/keycard/keycard/internal/keycard"
)

// tx is a transaction that rewrites "?" placeholders for the dialect. For
// a hot read that needs no snapshot (see readConn), it is a bare
// connection instead, and Tx is nil.
type tx struct {
	Tx *sql.Tx
	q  querier // Tx, or the connection
	d  dialect
	// changes is what the transaction changed that servers cache, as
	// marked by its writes (see changed). Only write acts on it.
	changes change
	// removedFiles are the ids of photo files whose rows the transaction
	// deleted: write removes them from disk once it commits.
	removedFiles []string
	// channelWork says the transaction queued pushes to channels: write
	// wakes this server's pusher once it commits.
	channelWork bool
	// touched is what data of which properties the transaction changed
	// (see touch): write announces it and moves their Versions.
	touched map[string]uint8
	// clock is the store's (see Store.now), for what the transaction
	// stamps with the time.
	clock func() time.Time
}

// change is what a write changes that servers cache. A write marks its
// transaction with t.changed right where it writes; write then moves the
// auth epoch in the same transaction (which tells every other server) and
// drops this server's caches once it commits. It is the one way caches
// learn of a change.
type change uint8

// changed marks the transaction as changing c.
func (t *tx) changed(c change) { t.changes |= c }

func (t *tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	return t.q.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := checkArgs(args); err != nil {
		return nil, err
	}
	return t.q.QueryContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) QueryRow(ctx context.Context, query string, args ...any) row {
	if err := checkArgs(args); err != nil {
		return row{err: err}
	}
	return row{Row: t.q.QueryRowContext(ctx, t.d.rebind(query), args...)}
}

// querier is what *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// row is a *sql.Row that may instead hold an error found before the query
// ran.
type row struct {
	*sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.Row.Scan(dest...)
}

// checkArgs refuses text arguments that PostgreSQL cannot store (NUL, bad
// UTF-8), in both dialects alike, as a 400 rather than a database error:
// the one place that guards every query, whatever the caller checked.
func checkArgs(args []any) error {
	for _, a := range args {
		if s, ok := a.(string); ok && !keycard.ValidText(s) {
			return keycard.ErrInvalidText
		}
	}
	return nil
}

// write runs fn in a read-write transaction and commits it when fn returns
// nil; any error rolls everything back.
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	if err := s.writeTurns.take(ctx); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer s.writeTurns.done()
	sqlTx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer sqlTx.Rollback()
	t := &tx{Tx: sqlTx, q: sqlTx, d: s.dialect, clock: s.now}
	if err := fn(t); err != nil {
		return err
	}
	access, view := t.changes&changeAccess != 0, t.changes&changeView != 0
	if access || view {
		// A change of access moves n, which drops cached credentials
		// and properties; a property's new look moves view_n only, which
		// drops cached properties (see AuthEpoch).
		_, err := t.Exec(ctx, `UPDATE auth_epoch SET n = n + ?, view_n = view_n + ? WHERE id = 1`, oneIf(access), oneIf(view))
		if err != nil {
			return fmt.Errorf("store: bump auth epoch: %w", err)
		}
		if err := s.dialect.announceChange(ctx, sqlTx); err != nil {
			return fmt.Errorf("store: announce auth epoch: %w", err)
		}
	}
	if len(t.touched) > 0 {
		if err := s.announceData(ctx, t); err != nil {
			return fmt.Errorf("store: announce data change: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if access || view {
		s.props.drop()
		s.data.bumpAll()
	}
	s.data.bump(t.touched)
	if access {
		s.onChange()
	}
	s.removePhotoFiles(t.removedFiles)
	if t.channelWork && s.channelWake != nil {
		s.channelWake()
	}
	return nil
}

// writeProperties is write for a change to the properties ids, as the
// client named them: with PostgreSQL it first waits, in this process, for
// the turn of each that is a valid id in p's reach (see propertyTurns).
// With SQLite, whose writes run one at a time, it is write.
func (s *Store) writeProperties(ctx context.Context, p *keycard.Principal, ids []string, fn func(*tx) error) error {
	if s.dialect.name() != "postgres" {
		return s.write(ctx, fn)
	}
	done, err := s.propTurns.take(ctx, turnIDs(p, ids))
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer done()
	return s.write(ctx, fn)
}

// turnIDs returns, in order and once each, the ids among ids that are
// valid and in p's reach: the properties whose turns a write of p's to
// ids takes.
func turnIDs(p *keycard.Principal, ids []string) []string {
	var mine []string
	for _, id := range ids {
		if keycard.ValidID(id) && (p.Reach == nil || p.Reach.Has(id)) {
			mine = append(mine, id)
		}
	}
	slices.Sort(mine)
	return slices.Compact(mine)
}

// read runs fn in a read-only transaction, so that it sees one snapshot.
func (s *Store) read(ctx context.Context, fn func(*tx) error) error {
	if err := s.readTurns.take(ctx); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer s.readTurns.done()
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.dialect.name() == "postgres"})
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer sqlTx.Rollback()
	if err := fn(&tx{Tx: sqlTx, q: sqlTx, d: s.dialect, clock: s.now}); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// readConn runs fn on one connection, outside a transaction: each of its
// statements sees the latest commit, but two of them may see different
// ones. It is for hot reads of one thing and its parts, where that is as
// good as two requests and BEGIN and COMMIT would cost more than the
// reads themselves.
func (s *Store) readConn(ctx context.Context, fn func(*tx) error) error {
	if err := s.readTurns.take(ctx); err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer s.readTurns.done()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close()
	return fn(&tx{q: conn, d: s.dialect, clock: s.now})
}

// now is the time by the store's clock.
func (t *tx) now() time.Time { return t.clock() }

// oneIf is 1 when b holds, else 0.
func oneIf(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
