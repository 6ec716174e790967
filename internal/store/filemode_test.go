//go:build unix

package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// TestFilesArePrivate checks that the files keycard makes with SQLite are
// its owner's alone, whatever the umask: the database, its -wal and -shm,
// the photo files and their directory, and a backup with its photos. They
// hold key hashes, session hashes and every guest's booking.
func TestFilesArePrivate(t *testing.T) {
	// No umask: the modes are what keycard asks for, nothing taken away.
	defer syscall.Umask(syscall.Umask(0))
	ctx := context.Background()
	cfg := storetest.Config(t, "sqlite")
	st := storetest.OpenFresh(t, cfg) // made by store.Open, not copied from the test template
	owner := newOwner(t, st)
	f, err := st.SavePhotoFile(ctx, owner, "image/png", []byte("\x89PNG not checked by the store"), keycard.DefaultPhotoQuota)
	if err != nil {
		t.Fatal(err)
	}
	backupDir := t.TempDir()
	to := filepath.Join(backupDir, "copy.db")
	if n, err := st.Backup(ctx, to); err != nil || n != 1 {
		t.Fatalf("backup: %d photo files, %v; want 1", n, err)
	}

	db := cfg.SQLitePath
	photos := filepath.Join(filepath.Dir(db), "photos")
	for _, tt := range []struct {
		name, path string
		want       fs.FileMode
	}{
		{"database", db, 0o600},
		{"wal", db + "-wal", 0o600},
		{"shm", db + "-shm", 0o600},
		{"photos", photos, 0o700},
		{"photo", filepath.Join(photos, f.ID), 0o600},
		{"backup", to, 0o600},
		{"backup photos", filepath.Join(backupDir, "photos"), 0o700},
		{"backup photo", filepath.Join(backupDir, "photos", f.ID), 0o600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fi, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != tt.want {
				t.Errorf("%s: got mode %04o, want %04o", tt.path, got, tt.want)
			}
		})
	}
	// VACUUM INTO filled the empty file made for it and left nothing
	// beside it.
	entries, err := os.ReadDir(backupDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"copy.db", "photos"}; !slices.Equal(names, want) {
		t.Errorf("backup directory holds %q, want %q", names, want)
	}
}
