// Package storetest opens real databases for tests: SQLite in a temporary
// directory always, and PostgreSQL when KEYCARD_TEST_POSTGRES_URL is set
// (CI sets it, and there a missing PostgreSQL fails the test instead of
// skipping it).
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
	"github.com/keycard/keycard/internal/store"
)

// EnvPostgres names the environment variable holding the PostgreSQL URL.
const EnvPostgres = "KEYCARD_TEST_POSTGRES_URL"

// Dialects returns the dialects to test: "sqlite", plus "postgres" when
// configured.
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is not: the PostgreSQL half of the suite would be skipped", EnvPostgres)
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest for every dialect.
func Each(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, Config(t, d)) })
	}
}

// Config returns a configuration for a new, empty database of the dialect:
// a file in t.TempDir() for SQLite, a schema of its own (dropped at the
// end of the test) for PostgreSQL.
func Config(t testing.TB, dialect string) store.Config {
	t.Helper()
	if dialect == "sqlite" {
		return store.Config{SQLitePath: filepath.Join(t.TempDir(), "keycard.db")}
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("%s is not set", EnvPostgres)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	schema := "test_" + strings.ReplaceAll(keycard.NewID(), "-", "")
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("open postgres: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{PostgresURL: u.String()}
}

// Open opens a store on cfg with a fast password hash, closed at the end
// of the test.
func Open(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	if cfg.SQLitePath != "" {
		if _, err := os.Stat(cfg.SQLitePath); errors.Is(err, fs.ErrNotExist) {
			b, err := sqliteTemplate()
			if err != nil {
				t.Fatalf("migrated SQLite template: %v", err)
			}
			if err := os.WriteFile(cfg.SQLitePath, b, 0o600); err != nil {
				t.Fatalf("write the migrated SQLite template: %v", err)
			}
		}
	}
	return OpenFresh(t, cfg)
}

// OpenFresh is Open without the migrated template: a new SQLite file is
// made and migrated by store.Open itself, as on a server's first start.
// For tests of what that first start does (file modes, migrations).
func OpenFresh(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	st.SetPasswordCost(bcrypt.MinCost)
	st.SetSecretBox(Box(t))
	t.Cleanup(func() { st.Close() })
	return st
}

// Contains reports whether text appears anywhere in the database of cfg:
// in the raw bytes of an SQLite file and its write-ahead log, or in any row
// of any table of a PostgreSQL schema. Tests use it to prove a secret is
// not stored in clear.
func Contains(t testing.TB, cfg store.Config, text string) bool {
	t.Helper()
	if cfg.Dialect() == "sqlite" {
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(cfg.SQLitePath + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatalf("read database: %v", err)
			}
			if strings.Contains(string(b), text) {
				return true
			}
		}
		return false
	}
	db, err := sql.Open("pgx", cfg.PostgresURL)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("list tables: %v", err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM `+table+` t WHERE strpos(t::text, $1) > 0`, text).Scan(&n); err != nil {
			t.Fatalf("search %s: %v", table, err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// Box returns the key tests seal webhook secrets with: the same in every
// store a test opens, as servers sharing one database share their key.
func Box(t testing.TB) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New([]byte("keycard-test-webhook-key-32bytes"))
	if err != nil {
		t.Fatalf("secret box: %v", err)
	}
	return b
}

// DB opens the database of cfg directly, beside the store, closed at the
// end of the test: for tests that check rows no API shows.
func DB(t testing.TB, cfg store.Config) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+cfg.SQLitePath+"?_pragma=busy_timeout(10000)"
	if cfg.Dialect() == "postgres" {
		driver, dsn = "pgx", cfg.PostgresURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteTemplate returns the bytes of an SQLite database migrated once
// per test process (and closed, so its write-ahead log is folded in): a
// new SQLite store in Open starts as a copy of it. Migrating a new file
// took about 1.2 s under the race detector, paid by every test that opens
// one.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "keycard-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	st, err := store.Open(context.Background(), store.Config{SQLitePath: path})
	if err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, errors.New("the template's write-ahead log outlived its close")
	}
	return os.ReadFile(path)
})
