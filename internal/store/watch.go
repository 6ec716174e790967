package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// CanWatch reports whether Watch hears of other servers' changes (it does
// with PostgreSQL; with SQLite, servers poll the epoch instead).
func (s *Store) CanWatch() bool { return s.dialect.name() == "postgres" }

// Watch calls changed each time any server commits a change that cached
// credentials depend on, until ctx ends or the connection fails; it holds
// one connection, LISTENing. With SQLite it returns nil at once.
func (s *Store) Watch(ctx context.Context, changed func()) error {
	if !s.CanWatch() {
		return nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: watch: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: watch: unexpected driver connection %T", dc)
		}
		if _, err := pc.Conn().Exec(ctx, `LISTEN `+changeChannel); err != nil {
			return err
		}
		for {
			if _, err := pc.Conn().WaitForNotification(ctx); err != nil {
				// The connection is LISTENing, or broken: never reuse it.
				return errors.Join(err, driver.ErrBadConn)
			}
			changed()
		}
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("store: watch: %w", err)
}
