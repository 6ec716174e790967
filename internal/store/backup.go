package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose own tools
// make consistent online copies.
var ErrBackupPostgres = errors.New("store: keycard backs up SQLite only; back PostgreSQL up with pg_dump (a consistent online copy) or the server's own backups")

// Backup writes a consistent copy of the SQLite database to the new file
// to, while the database stays in use: it holds every transaction committed
// before it began, and nothing half-done (SQLite's VACUUM INTO, which reads
// one snapshot). It never overwrites a file.
//
// The uploaded photo files, which SQLite keeps in a photos directory next
// to the database, are then copied to the photos directory next to to,
// where a server started on the copy looks for them. A file is written
// before its row is committed and never changes, so every file the
// snapshot names is there to copy; one already in the destination is
// left as it is. It returns how many files it copied.
func (s *Store) Backup(ctx context.Context, to string) (photos int, err error) {
	if s.dialect.name() != "sqlite" {
		return 0, ErrBackupPostgres
	}
	if err := s.backupDatabase(ctx, to); err != nil {
		return 0, err
	}
	n, err := copyPhotoFiles(s.photoDir, filepath.Join(filepath.Dir(to), "photos"))
	if err != nil {
		return n, fmt.Errorf("store: backup: the database is copied to %s, but not every photo file: %w", to, err)
	}
	return n, nil
}

func (s *Store) backupDatabase(ctx context.Context, to string) error {
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
	// Made here, empty and private, for VACUUM INTO to fill: it would
	// make the file readable by all. O_EXCL also keeps a file made since
	// the check above from being overwritten.
	if err := createPrivate(to); errors.Is(err, os.ErrExist) {
		return fmt.Errorf("store: backup: %s already exists; give a new file", to)
	} else if err != nil {
		return fmt.Errorf("store: backup to %s: %w", to, err)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		os.Remove(to)
		return fmt.Errorf("store: backup to %s: %w", to, err)
	}
	return nil
}

// copyPhotoFiles copies the photo files of dir to the directory to, but
// those it already holds; it copies nothing when the two are one.
func copyPhotoFiles(dir, to string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // no upload yet
	}
	if err != nil {
		return 0, err
	}
	if from, err := os.Stat(dir); err == nil {
		if dst, err := os.Stat(to); err == nil && os.SameFile(from, dst) {
			return 0, nil
		}
	}
	n := 0
	for _, e := range entries {
		// Skip an upload being written (see writeFileAtomic).
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(to, e.Name())); err == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return n, err
		}
		if err := writeFileAtomic(to, e.Name(), data); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
