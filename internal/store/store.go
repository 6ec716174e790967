// Package store keeps keycard's data in SQLite (the default, one file) or
// PostgreSQL (for several servers), through database/sql and one small
// dialect seam.
//
// Every query that touches property-owned data is filtered by the
// principal's reach (see reach.go): scope is enforced here, once, and a
// resource out of reach is indistinguishable from one that does not exist.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	sqlite3 "modernc.org/sqlite"       // the pure-Go SQLite driver

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
)

//go:embed migrations
var migrationFS embed.FS

// Config says which database to open: PostgresURL when set, else the SQLite
// file at SQLitePath.
type Config struct {
	SQLitePath  string
	PostgresURL string
	// MustExist makes Open refuse a database that keycard has not made:
	// a missing or empty SQLite file, or a database without keycard's
	// tables. Commands that only read or change data set it, so that a
	// mistyped path is an error and not a new, empty database.
	MustExist bool
}

// ErrNoDatabase is returned by Open, with the database named, when
// Config.MustExist is set and there is no keycard database to open.
var ErrNoDatabase = errors.New("no keycard database")

// Dialect names the database cfg selects: "sqlite" or "postgres".
func (c Config) Dialect() string {
	if c.PostgresURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// Store is keycard's storage. It is safe for concurrent use.
type Store struct {
	// db serves reads; wdb serves writes. For SQLite, wdb holds a single
	// connection, so writes are serialised in the process and never meet
	// SQLITE_BUSY from each other; for PostgreSQL both are the same pool.
	db, wdb *sql.DB
	// readTurns and writeTurns queue the callers of read and readConn,
	// and of write, for db and wdb in the order they came (the same turns
	// when the pools are one).
	readTurns, writeTurns *turns
	// propTurns lines up writes to the same property (PostgreSQL).
	propTurns propertyTurns
	dialect   dialect
	now       func() time.Time

	passwordCost int
	// gateSubscriptions is the production gate on keys: see
	// SetSubscriptionGate.
	gateSubscriptions bool
	// taskRetention is how long tasks are kept; 0 means the default.
	taskRetention time.Duration

	// box seals webhook secrets; see SetSecretBox.
	box *secretbox.Box

	// photoDir, with SQLite, is where uploaded photo files are kept: next
	// to the database. With PostgreSQL it is empty and they are kept in
	// the database, which every server shares.
	photoDir string

	// onChange is called after a commit that changed something cached
	// credentials depend on.
	onChange func()

	// props caches properties for reads by cached credentials.
	props propertyCache

	// closing ends when Close begins: a Watch then ends, and Close waits
	// (watching) for it to give its connection back, which would else
	// stay open after Close.
	closeMu  sync.Mutex
	closing  context.Context
	closeNow context.CancelFunc
	watching sync.WaitGroup
}

// Open opens the database, applies pending migrations and returns the
// store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s := &Store{now: time.Now, onChange: func() {}}
	s.closing, s.closeNow = context.WithCancel(context.Background())
	var err error
	where := cfg.SQLitePath
	if cfg.PostgresURL != "" {
		where = redactURL(cfg.PostgresURL)
		s.dialect = postgres{}
		s.db, err = sql.Open("pgx", cfg.PostgresURL)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres %s: %w", where, err)
		}
		s.db.SetMaxOpenConns(postgresConns)
		s.db.SetMaxIdleConns(postgresConns) // each keeps its prepared statements
		s.wdb = s.db
		// One connection is left out of the turns: Watch holds one, and
		// a few short reads (the auth epoch, a credential) go straight
		// to the pool.
		s.readTurns = newTurns(postgresConns - 1)
		s.writeTurns = s.readTurns
	} else {
		s.dialect = sqlite{}
		if cfg.SQLitePath == "" {
			return nil, errors.New("store: no database configured")
		}
		if cfg.MustExist {
			if fi, err := os.Stat(cfg.SQLitePath); errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
				return nil, fmt.Errorf("%w at %s", ErrNoDatabase, where)
			}
		}
		if err := checkSQLiteFile(cfg.SQLitePath); err != nil {
			return nil, fmt.Errorf("store: open sqlite database %s: %w", where, err)
		}
		if !cfg.MustExist {
			if err := createPrivate(cfg.SQLitePath); err != nil && !errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("store: create sqlite database %s: %w", where, err)
			}
		}
		if s.db, s.wdb, err = openSQLite(cfg.SQLitePath, cfg.MustExist); err != nil {
			return nil, err
		}
		s.readTurns, s.writeTurns = newTurns(sqliteReaders), newTurns(1)
		s.photoDir = filepath.Join(filepath.Dir(cfg.SQLitePath), "photos")
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect to %s database %s: %w", s.dialect.name(), where, err)
	}
	if cfg.MustExist {
		if ok, err := s.hasSchema(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("store: read %s database %s: %w", s.dialect.name(), where, err)
		} else if !ok {
			s.Close()
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, where)
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w (database %s)", err, where)
	}
	return s, nil
}

// hasSchema reports whether the database holds keycard's tables: whether
// a migration has been applied to it.
func (s *Store) hasSchema(ctx context.Context) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.dialect.tableExists(), "schema_migrations").Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkSQLiteFile says, in words an operator can act on, why file cannot be
// opened or created as an SQLite database, or returns nil.
func checkSQLiteFile(file string) error {
	fi, err := os.Stat(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return checkDir(filepath.Dir(file))
	case err != nil:
		// Often a part of the path that is missing or not a directory.
		if derr := checkDir(filepath.Dir(file)); derr != nil {
			return derr
		}
		return err
	case fi.IsDir():
		return errors.New("it is a directory")
	case fi.Size() == 0:
		return checkDir(filepath.Dir(file))
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteHeader {
		return errors.New("the file is not an SQLite database")
	}
	return checkDir(filepath.Dir(file))
}

// checkDir returns why the database's files (the database, its write-ahead
// log, a backup) cannot be made in dir, or nil.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".keycard-check-*")
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("no permission to write in directory %s", dir)
		}
		return fmt.Errorf("cannot write in directory %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// createPrivate creates the empty file, readable and writable by its owner
// alone, or fails with an error matching os.ErrExist if it exists. SQLite
// would create a database 0644, readable by every user of the machine, and
// gives its -wal and -shm files the mode of the database; a backup's file
// (VACUUM INTO takes an empty one) the same.
func createPrivate(file string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// The umask only takes permissions away; Chmod sets exactly these.
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		os.Remove(file)
		return err
	}
	return nil
}

// redactURL returns a database URL fit for a message: without a password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// The pools' sizes: with SQLite, the connections that read in turns (one
// more watches, one more writes); with PostgreSQL, the connections in all.
const (
	sqliteReaders = 4
	postgresConns = 20
)

func openSQLite(file string, mustExist bool) (rdb, wdb *sql.DB, err error) {
	q := url.Values{}
	if mustExist {
		// Not even a file deleted since Open looked is made anew.
		q.Set("mode", "rw")
	}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-32768)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + file + "?" + q.Encode()
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
	// fails half-way on a lock upgrade when another process writes.
	open := func(dsn string) (*sql.DB, error) {
		c, err := sqlite3.NewConnector(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		return sql.OpenDB(stmtCacheConnector{base: c}), nil
	}
	if wdb, err = open(dsn + "&_txlock=immediate"); err != nil {
		return nil, nil, err
	}
	wdb.SetMaxOpenConns(1)
	if rdb, err = open(dsn); err != nil {
		wdb.Close()
		return nil, nil, err
	}
	// One connection more than the read turns admit: a server's Watch
	// holds it (see versionWatch), and a few short reads (the auth epoch,
	// a backup) go straight to the pool.
	rdb.SetMaxOpenConns(sqliteReaders + 1)
	// Keep every connection: one closed when the pool's default of two
	// idle ones is full loses its prepared statements.
	rdb.SetMaxIdleConns(sqliteReaders + 1)
	return rdb, wdb, nil
}

// Close ends any Watch and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	s.closeNow()
	s.closeMu.Unlock()
	s.watching.Wait()
	err := s.db.Close()
	if s.wdb != s.db {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Pools returns the database pools, for their statistics: the one that
// serves reads and the one that serves writes (the same for PostgreSQL).
func (s *Store) Pools() (read, write *sql.DB) { return s.db, s.wdb }

// Waits returns how many callers of the read and the write pool (the same
// for PostgreSQL) have waited for a connection, and for how long in all.
func (s *Store) Waits() (read, write Waits) { return s.readTurns.stats(), s.writeTurns.stats() }

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// OnChange sets the function called after every commit that changes what
// cached credentials depend on. It must be set before the store is shared.
func (s *Store) OnChange(f func()) { s.onChange = f }

func (s *Store) migrate(ctx context.Context) error {
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
}

// change is what a write changes that servers cache. A write marks its
// transaction with t.changed right where it writes; write then moves the
// auth epoch in the same transaction (which tells every other server) and
// drops this server's caches once it commits. It is the one way caches
// learn of a change.
type change uint8

const (
	// changeAccess: what cached credentials hold (a key, a membership, a
	// subscription, a session, which properties exist or which groups
	// hold them, an organisation's rules for keys). It drops cached
	// credentials and cached properties.
	changeAccess change = 1 << iota
	// changeView: how a property reads (its row, its groups, photos,
	// hotel policy, tax set, organisation). It drops cached properties.
	changeView
)

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
	t := &tx{Tx: sqlTx, q: sqlTx, d: s.dialect}
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
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if access || view {
		s.props.drop()
	}
	if access {
		s.onChange()
	}
	s.removePhotoFiles(t.removedFiles)
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
	var mine []string
	for _, id := range ids {
		if keycard.ValidID(id) && (p.Reach == nil || p.Reach.Has(id)) {
			mine = append(mine, id)
		}
	}
	slices.Sort(mine)
	done, err := s.propTurns.take(ctx, slices.Compact(mine))
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer done()
	return s.write(ctx, fn)
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
	if err := fn(&tx{Tx: sqlTx, q: sqlTx, d: s.dialect}); err != nil {
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
	return fn(&tx{q: conn, d: s.dialect})
}

// AuthEpoch returns the counter of changes that cached credentials depend
// on; a server whose cache was filled at another epoch drops it. It drops
// the property cache when another server changed access or a property
// since it last looked.
func (s *Store) AuthEpoch(ctx context.Context) (int64, error) {
	var n, view int64
	err := s.db.QueryRowContext(ctx, `SELECT n, view_n FROM auth_epoch WHERE id = 1`).Scan(&n, &view)
	if err != nil {
		return 0, fmt.Errorf("store: read auth epoch: %w", err)
	}
	s.props.observe([2]int64{n, view})
	return n, nil
}

// oneIf is 1 when b holds, else 0.
func oneIf(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func newID() string { return keycard.NewID() }

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// notFound maps sql.ErrNoRows to the domain's not-found error.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return keycard.NotFound()
	}
	return err
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
