//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilesArePrivate checks the modes of the files the commands make with
// SQLite, whatever the umask: migrate's database, the -wal and -shm a
// running server writes through, and backup's copy are the owner's alone.
func TestFilesArePrivate(t *testing.T) {
	// No umask: the modes are what keycard asks for, nothing taken away.
	defer syscall.Umask(syscall.Umask(0))
	dir := t.TempDir()
	db := filepath.Join(dir, "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	start(t, getenv, "serve")
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if _, err := cli(t, getenv, "backup", "--to", copyPath); err != nil {
		t.Fatalf("backup: %v", err)
	}
	for _, path := range []string{db, db + "-wal", db + "-shm", copyPath} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: got mode %04o, want 0600", filepath.Base(path), got)
		}
	}
}
