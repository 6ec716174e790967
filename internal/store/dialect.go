package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// dialect is everything that differs between SQLite and PostgreSQL. The
// SQL elsewhere is portable and written with "?" placeholders.
type dialect interface {
	name() string
	rebind(query string) string
	// tableExists returns a query counting the tables named by its one
	// argument: 1 when the table exists, else 0.
	tableExists() string
	// isUnique reports whether err is a unique-constraint violation.
	isUnique(err error) bool
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// skipLocked returns the clause that ends a SELECT of queue rows so
	// that servers claiming at once skip each other's rows instead of
	// waiting: "" where writes run one at a time anyway.
	skipLocked() string
	// announceChange tells other servers, when tx commits, that the auth
	// epoch moved. SQLite has no channel for it; servers poll.
	announceChange(ctx context.Context, tx *sql.Tx) error
	// idList returns a subquery selecting the strings of a JSON array bound
	// as its one argument.
	idList() string
	// jsonArray returns a scalar subquery: the JSON array, as text, of the
	// objects with the given keys and value expressions over the rows of
	// from (a FROM clause with its WHERE), in the order of orderBy; "[]"
	// when there are none. It lets one query carry a row's children.
	jsonArray(keys, values []string, from, orderBy string) string
}

// changeChannel is the PostgreSQL notification channel of auth epoch
// changes.
const changeChannel = "keycard_auth_epoch"

type sqlite struct{}

func (sqlite) name() string               { return "sqlite" }
func (sqlite) rebind(query string) string { return query }

func (sqlite) tableExists() string {
	return `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
}

func (sqlite) isUnique(err error) bool {
	if e, ok := errors.AsType[*sqlite3.Error](err); ok {
		return e.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// lockMigrations needs nothing for SQLite: the write transaction is begun
// IMMEDIATE, which already excludes other writers.
func (sqlite) lockMigrations(context.Context, *sql.Tx) error { return nil }

func (sqlite) announceChange(context.Context, *sql.Tx) error { return nil }

func (sqlite) skipLocked() string { return "" }

func (sqlite) idList() string { return `(SELECT value FROM json_each(?))` }

func (sqlite) jsonArray(keys, values []string, from, orderBy string) string {
	return `(SELECT json_group_array(json_object(` + jsonPairs(keys, values) + `) ORDER BY ` + orderBy + `) ` + from + `)`
}

func jsonPairs(keys, values []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + k + "', " + values[i])
	}
	return b.String()
}

type postgres struct{}

func (postgres) name() string { return "postgres" }

func (postgres) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

func (postgres) tableExists() string {
	return `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
}

// rebind turns "?" placeholders into "$1", "$2", ... Our queries contain no
// "?" inside string literals.
func (postgres) rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (postgres) idList() string { return `(SELECT json_array_elements_text(CAST(? AS json)))` }

func (postgres) jsonArray(keys, values []string, from, orderBy string) string {
	return `(SELECT COALESCE(CAST(json_agg(json_build_object(` + jsonPairs(keys, values) + `) ORDER BY ` + orderBy + `) AS text), '[]') ` + from + `)`
}

func (postgres) isUnique(err error) bool {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == "23505"
	}
	return false
}

func (postgres) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	// Any constant key will do, as long as it is keycard's alone.
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7140019)`)
	return err
}

// announceChange sends a notification, delivered when tx commits.
func (postgres) announceChange(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+changeChannel+`', '')`)
	return err
}
