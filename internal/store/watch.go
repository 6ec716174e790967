package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// sqliteWatchInterval is how often Watch, with SQLite, asks whether
// another connection has committed: a change made by another server or
// the CLI reaches this server's caches within it. One check is one PRAGMA
// on a connection held for it (see BenchmarkVersionCheck).
const sqliteWatchInterval = 50 * time.Millisecond

// Watch calls changed each time another server, or another connection of
// this one, may have committed a change that cached credentials depend
// on, until ctx ends, the store is closed or the connection fails. It
// holds one connection: with PostgreSQL LISTENing, which hears a change
// at once; with SQLite asking every sqliteWatchInterval whether any other
// connection has committed, which only then calls changed.
func (s *Store) Watch(ctx context.Context, changed func()) error {
	ctx, done, ok := s.startWatch(ctx)
	if !ok {
		return nil
	}
	defer done()
	var err error
	if s.dialect.name() == "postgres" {
		err = s.listen(ctx, changed)
	} else {
		err = s.pollVersion(ctx, changed)
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("store: watch: %w", err)
}

// startWatch registers a Watch with the store, unless it is closed: it
// returns ctx, also ended by Close, and the function to call once the
// watch has given its connection back, which Close waits for.
func (s *Store) startWatch(ctx context.Context) (context.Context, func(), bool) {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closing.Err() != nil {
		return nil, nil, false
	}
	s.watching.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.watching.Done()
	}, true
}

// listen LISTENs on one PostgreSQL connection and calls changed at each
// notification.
func (s *Store) listen(ctx context.Context, changed func()) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		for _, channel := range []string{changeChannel, dataChannel} {
			if _, err := pc.Conn().Exec(ctx, `LISTEN `+channel); err != nil {
				return err
			}
		}
		// Data changes made before the LISTEN were not heard.
		s.data.bumpAll()
		for {
			n, err := pc.Conn().WaitForNotification(ctx)
			if err != nil {
				// The connection is LISTENing, or broken: never reuse it.
				return errors.Join(err, driver.ErrBadConn)
			}
			if n.Channel == dataChannel {
				s.data.heard(n.Payload)
				continue
			}
			changed()
		}
	})
}

// pollVersion runs a versionWatch's check every sqliteWatchInterval.
func (s *Store) pollVersion(ctx context.Context, changed func()) error {
	w, err := s.newVersionWatch(ctx)
	if err != nil {
		return err
	}
	defer w.close()
	if err := s.data.startSeen(ctx, w.conn); err != nil {
		return err
	}
	t := time.NewTicker(sqliteWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		var readErr error
		if err := w.check(ctx, func() {
			if readErr = s.data.readChanges(ctx, w.conn); readErr != nil {
				s.data.bumpAll() // whatever was missed
			}
			changed()
		}); err != nil {
			return err
		}
		if readErr != nil {
			return readErr
		}
	}
}

// versionWatch tells, with SQLite, whether another connection has
// committed, from this process or another: SQLite's PRAGMA data_version
// moves on a connection when any other connection commits, and not for
// its own commits. So it asks on a connection of its own, held for that
// alone, and the question costs no read of any table.
//
// The connection is one more than the read pool's turns admit (see
// openSQLite), so holding it takes nothing from the readers. It holds no
// transaction between checks, so it never keeps a snapshot alive that a
// checkpoint or a backup would wait for.
type versionWatch struct {
	conn *sql.Conn
	last int64
}

func (s *Store) newVersionWatch(ctx context.Context) (*versionWatch, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &versionWatch{conn: conn}
	if w.last, err = w.version(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

func (w *versionWatch) version(ctx context.Context) (int64, error) {
	var v int64
	// Without ctx's end: under a context that can end, database/sql and
	// the driver each start a goroutine to watch it, which more than
	// doubles the cost of a check. The PRAGMA reads a counter and
	// returns; Watch looks at ctx between checks.
	err := w.conn.QueryRowContext(context.WithoutCancel(ctx), `PRAGMA data_version`).Scan(&v)
	return v, err
}

// check calls changed if another connection has committed since the last
// check (or since the watch began).
func (w *versionWatch) check(ctx context.Context, changed func()) error {
	v, err := w.version(ctx)
	if err != nil {
		return err
	}
	if v != w.last {
		w.last = v
		changed()
	}
	return nil
}

func (w *versionWatch) close() error { return w.conn.Close() }
