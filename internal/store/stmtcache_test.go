package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	sqlite3 "modernc.org/sqlite"
)

// openCached opens an SQLite database on one connection whose statement
// cache holds size statements.
func openCached(t *testing.T, size int) *sql.DB {
	t.Helper()
	c, err := sqlite3.NewConnector("file:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(stmtCacheConnector{base: c, size: size})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cached returns the texts cached on db's connection, most recent first.
func cached(t *testing.T, db *sql.DB) []string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []string
	err = conn.Raw(func(dc any) error {
		c := dc.(*cachingConn)
		for e := c.lru.Front(); e != nil; e = e.Next() {
			out = append(out, e.Value.(*cachedStmt).query)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func values(t *testing.T, rows *sql.Rows) []int {
	t.Helper()
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStmtCacheReusesAndEvicts(t *testing.T) {
	db := openCached(t, 2)
	const a, b, c = `SELECT v FROM n WHERE v >= ? ORDER BY v`, `SELECT v FROM n WHERE v < ? ORDER BY v`, `SELECT v * 10 FROM n WHERE v = ?`
	for range 2 {
		rows, err := db.Query(a, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := values(t, rows); !slices.Equal(got, []int{2, 3}) {
			t.Fatalf("got %v, want [2 3]", got)
		}
	}
	if got := cached(t, db); !slices.Equal(got, []string{a}) {
		t.Fatalf("cached %q, want only %q", got, a)
	}
	var v int
	if err := db.QueryRow(b, 2).Scan(&v); err != nil || v != 1 {
		t.Fatalf("got %d, %v; want 1", v, err)
	}
	if err := db.QueryRow(c, 3).Scan(&v); err != nil || v != 30 {
		t.Fatalf("got %d, %v; want 30", v, err)
	}
	if got := cached(t, db); !slices.Equal(got, []string{c, b}) {
		t.Fatalf("cached %q, want %q", got, []string{c, b})
	}
	// A script of several statements runs, and is not kept.
	if _, err := db.Exec(`INSERT INTO n VALUES (4); INSERT INTO n VALUES (5)`); err != nil {
		t.Fatal(err)
	}
	if got := cached(t, db); !slices.Equal(got, []string{c, b}) {
		t.Fatalf("cached %q after a script, want %q", got, []string{c, b})
	}
}

// A statement whose rows are still open must neither be run again nor be
// closed under them: a nested query of the same text, and an eviction,
// leave the open rows intact.
func TestStmtCacheBusyStatement(t *testing.T) {
	db := openCached(t, 1)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT v FROM n WHERE v >= ? ORDER BY v`
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !outer.Next() {
		t.Fatal("no first row")
	}
	inner, err := tx.Query(q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, inner); !slices.Equal(got, []int{3}) {
		t.Fatalf("nested query: got %v, want [3]", got)
	}
	// Evict q while outer still reads from it.
	var v int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM n WHERE v > ?`, 0).Scan(&v); err != nil || v != 3 {
		t.Fatalf("count: %d, %v; want 3", v, err)
	}
	var first int
	if err := outer.Scan(&first); err != nil {
		t.Fatal(err)
	}
	if got := append([]int{first}, values(t, outer)...); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("outer rows: got %v, want [1 2 3]", got)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The evicted statement is gone; q prepares afresh and still works.
	rows, err := db.Query(q, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, rows); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("after eviction: got %v, want [2 3]", got)
	}
}
