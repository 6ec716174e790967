package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose own tools
// make consistent online copies.
var ErrBackupPostgres = errors.New("store: keycard backs up SQLite only; back PostgreSQL up with pg_dump (a consistent online copy) or the server's own backups")

// Backup writes a consistent copy of the SQLite database to the new file
// to, while the database stays in use: it holds every transaction committed
// before it began, and nothing half-done (SQLite's VACUUM INTO, which reads
// one snapshot). It never overwrites a file.
func (s *Store) Backup(ctx context.Context, to string) error {
	if s.dialect.name() != "sqlite" {
		return ErrBackupPostgres
	}
	if to == "" {
		return errors.New("store: backup: no file given")
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("store: backup: %s already exists; give a new file", to)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := checkDir(filepath.Dir(to)); err != nil {
		return fmt.Errorf("store: backup to %s: %w", to, err)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		os.Remove(to)
		return fmt.Errorf("store: backup to %s: %w", to, err)
	}
	return nil
}
