package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	sqlite3 "modernc.org/sqlite"       // the pure-Go SQLite driver
)

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
