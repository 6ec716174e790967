package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

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
	u, _, err := st.CreateOwner(ctx, "owner@hotel.example", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}

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
	backupErr := st.Backup(ctx, to)
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
	if err := st.Backup(ctx, to); err == nil {
		t.Errorf("a second backup onto the copy: no error, want a refusal to overwrite")
	}
}
