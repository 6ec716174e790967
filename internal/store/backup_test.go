package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestBackupWhileWriting backs a database up while another goroutine
// commits groups one after another. The copy must open as a keycard
// database and hold every group committed before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.Config(t, "sqlite")
	st := storetest.Open(t, cfg)
	owner := newOwner(t, st)

	var mu sync.Mutex
	var committed []string
	stop, done := make(chan struct{}), make(chan error, 1)
	firstTen := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			g, err := st.CreateGroup(ctx, owner, "group "+strconv.Itoa(i))
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			committed = append(committed, g.ID)
			mu.Unlock()
			if i == 9 {
				close(firstTen)
			}
		}
	}()
	<-firstTen
	mu.Lock()
	before := append([]string(nil), committed...)
	mu.Unlock()
	to := filepath.Join(t.TempDir(), "copy.db")
	_, backupErr := st.Backup(ctx, to)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if backupErr != nil {
		t.Fatalf("backup: %v", backupErr)
	}

	// The copy opens as a keycard database (migrations find it current),
	// and holds the groups.
	storetest.Open(t, store.Config{SQLitePath: to})
	db, err := sql.Open("sqlite", to)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check of the copy: %q, %v", check, err)
	}
	have := map[string]bool{}
	rows, err := db.Query(`SELECT id FROM groups`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	rows.Close()
	for _, id := range before {
		if !have[id] {
			t.Errorf("group %s, committed before the backup began, is not in the copy", id)
		}
	}
	if _, err := st.Backup(ctx, to); err == nil {
		t.Errorf("a second backup onto the copy: no error, want a refusal to overwrite")
	}
}

// TestBackupCopiesPhotoFiles uploads a photo, backs up to another
// directory and opens the copy: the photo is served from it, byte for
// byte. A second backup into the database's own directory copies nothing.
func TestBackupCopiesPhotoFiles(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.Config(t, "sqlite")
	st := storetest.Open(t, cfg)
	owner := newOwner(t, st)
	image := []byte("\x89PNG not checked by the store")
	f, err := st.SavePhotoFile(ctx, owner, "image/png", image, keycard.PhotoQuota{})
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "copy.db")
	if n, err := st.Backup(ctx, to); err != nil || n != 1 {
		t.Fatalf("backup: %d photo files, %v; want 1", n, err)
	}
	copied := storetest.Open(t, store.Config{SQLitePath: to})
	got, err := copied.PhotoFile(ctx, f.ID)
	if err != nil || string(got.Data) != string(image) {
		t.Fatalf("the photo from the copy: %v; %q, want %q", err, got.Data, image)
	}
	if n, err := st.Backup(ctx, filepath.Join(filepath.Dir(cfg.SQLitePath), "beside.db")); err != nil || n != 0 {
		t.Errorf("backup beside the database: %d photo files, %v; want none copied (the same directory)", n, err)
	}
}

// newOwner creates the billing owner of a new organisation in st and
// returns the owner's principal.
func newOwner(t *testing.T, st *store.Store) *keycard.Principal {
	t.Helper()
	ctx := context.Background()
	u, _, err := st.CreateOwner(ctx, "owner@hotel.example", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
