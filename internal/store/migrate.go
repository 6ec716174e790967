package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	// the pure-Go SQLite driver
)

//go:embed migrations
var migrationFS embed.FS

// hasSchema reports whether the database holds keycard's tables: whether
// a migration has been applied to it.
func (s *Store) hasSchema(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.dialect.tableExists(), "schema_migrations").Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// migrate applies the pending migrations, all of them when upTo is 0, else
// those numbered up to upTo (for tests that build an older database).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	dir := path.Join("migrations", s.dialect.name())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := migrationVersion(name)
		if err != nil {
			return err
		}
		if upTo > 0 && version > upTo {
			break
		}
		body, err := migrationFS.ReadFile(path.Join(dir, name))
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", name, err)
		}
		if err := s.apply(ctx, version, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

// apply runs one migration in its own transaction, unless it has run.
// With PostgreSQL, several servers may start at once: an advisory lock
// makes one of them migrate while the others wait.
func (s *Store) apply(ctx context.Context, version int, body string) error {
	return s.write(ctx, func(tx *tx) error {
		if err := s.dialect.lockMigrations(ctx, tx.Tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Tx.ExecContext(ctx, body); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version)
		return err
	})
}

func migrationVersion(name string) (int, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
		return 0, fmt.Errorf("store: migration %q is not named NNNN_name.sql", name)
	}
	return v, nil
}
