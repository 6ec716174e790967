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
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	// the pure-Go SQLite driver
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
)

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
	// restrictionGroups and availabilityGroups write ARI writes made at
	// the same time together (with PostgreSQL, those to one property).
	restrictionGroups  groups[*restrictionJob]
	availabilityGroups groups[*availabilityJob]
	dialect            dialect
	now                func() time.Time

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

	// channelWake, when set, is called after a commit that queued pushes
	// to channels (see SetChannelWake).
	channelWake func()

	// props caches properties for reads by cached credentials.
	props propertyCache
	// plans caches each property's rate plans for ARI writes and reads.
	plans planCache
	// data counts changes of property data, for answers cached above
	// the store (see Version).
	data dataGens

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
func Open(ctx context.Context, cfg Config) (*Store, error) { return open(ctx, cfg, 0) }

// open is Open applying migrations up to upTo only, or all when it is 0.
func open(ctx context.Context, cfg Config, upTo int) (*Store, error) {
	s := &Store{now: time.Now, onChange: func() {}}
	s.data.origin = newID()
	s.restrictionGroups.weigh = func(j *restrictionJob) int { return j.days() }
	s.availabilityGroups.weigh = func(j *availabilityJob) int { return j.days() }
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
	if err := s.migrate(ctx, upTo); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w (database %s)", err, where)
	}
	return s, nil
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
// An ARI write that queued in a group (see group) waited for the writer.
func (s *Store) Waits() (read, write Waits) {
	write = s.writeTurns.stats()
	for _, g := range []Waits{s.restrictionGroups.waits.stats(), s.availabilityGroups.waits.stats()} {
		write.Count, write.Total = write.Count+g.Count, write.Total+g.Total
	}
	return s.readTurns.stats(), write
}

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// OnChange sets the function called after every commit that changes what
// cached credentials depend on. It must be set before the store is shared.
func (s *Store) OnChange(f func()) { s.onChange = f }

const (
	// changeAccess: what cached credentials hold (a key, a membership, a
	// subscription, a session, which properties exist or which groups
	// hold them, an organisation's rules for keys). It drops cached
	// credentials and cached properties.
	changeAccess change = 1 << iota
	// changeView: how a property reads (its row, its groups, photos,
	// hotel policy, tax set, organisation, room types and rate plans). It
	// drops cached properties, and moves every Version.
	changeView
)

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
	if s.props.observe([2]int64{n, view}) {
		s.data.bumpAll()
	}
	return n, nil
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
