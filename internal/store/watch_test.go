package store_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestWatchHearsOtherServers checks that a change committed through one
// store (another server, the CLI) reaches a watcher on another: through
// PostgreSQL's LISTEN/NOTIFY, or SQLite's data_version checked on a
// ticker; and that the watch ends, giving its connection back, when its
// context ends or its store is closed.
func TestWatchHearsOtherServers(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		for _, stop := range []string{"cancel", "close"} {
			t.Run(dialect+"/"+stop, func(t *testing.T) {
				cfg := storetest.Config(t, dialect)
				a, b := storetest.Open(t, cfg), storetest.Open(t, cfg)
				ctx := context.Background()
				_, org, err := b.CreateOwner(ctx, "o@hotel.example", "password1", "")
				if err != nil {
					t.Fatal(err)
				}
				wctx, cancel := context.WithCancel(ctx)
				defer cancel()
				heard := make(chan struct{}, 8)
				listening := make(chan error, 1)
				go func() {
					listening <- a.Watch(wctx, func() {
						select {
						case heard <- struct{}{}:
						default:
						}
					})
				}()
				// The watcher may not be watching yet: keep changing until
				// it hears one, bounded.
				deadline := time.After(20 * time.Second)
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
			wait:
				for status := keycard.SubscriptionActive; ; {
					if err := b.SetSubscription(ctx, org.ID, status); err != nil {
						t.Fatal(err)
					}
					select {
					case <-heard:
						break wait
					case err := <-listening:
						t.Fatalf("Watch returned early: %v", err)
					case <-deadline:
						t.Fatal("no change reached the watcher")
					case <-tick.C:
					}
					if status == keycard.SubscriptionActive {
						status = keycard.SubscriptionInactive
					} else {
						status = keycard.SubscriptionActive
					}
				}
				if stop == "cancel" {
					cancel()
				} else if err := a.Close(); err != nil {
					t.Fatalf("close: %v", err)
				}
				select {
				case err := <-listening:
					if err != nil {
						t.Errorf("Watch after %s: %v, want nil", stop, err)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("Watch still running after %s", stop)
				}
			})
		}
	}
}

// TestVersionCheckSeesOtherServer drives by hand the check that an SQLite
// server's Watch runs every 50 ms: one check after another server
// withdraws a key makes this server's cache drop it, and a check with no
// commit elsewhere calls nothing, so the auth epoch is not read.
func TestVersionCheckSeesOtherServer(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.Config(t, "sqlite")
	a, b := storetest.Open(t, cfg), storetest.Open(t, cfg)
	owner := newOwner(t, b)
	k, secret, err := b.CreateAPIKey(ctx, owner, "k", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(auth.Config{Store: a, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler)})
	if err := authn.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.APIKey(ctx, secret); err != nil {
		t.Fatalf("key before withdrawal: %v", err)
	}

	check, stop, err := store.VersionWatch(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	polls := 0
	poll := func() {
		polls++
		if err := authn.Poll(ctx); err != nil {
			t.Errorf("poll: %v", err)
		}
	}
	checkPolls := func(when string, want int) {
		t.Helper()
		if err := check(poll); err != nil {
			t.Fatalf("check %s: %v", when, err)
		}
		if polls != want {
			t.Errorf("check %s: %d epoch reads in all, want %d", when, polls, want)
		}
	}

	checkPolls("with no commit", 0)
	if _, err := authn.APIKey(ctx, secret); err != nil { // from the cache
		t.Fatalf("cached key: %v", err)
	}
	checkPolls("after a cached read", 0)

	if _, err := b.WithdrawAPIKey(ctx, owner, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := authn.APIKey(ctx, secret); err != nil {
		t.Fatalf("before the check the key should still be cached (else this test proves nothing): %v", err)
	}
	checkPolls("after the withdrawal on another server", 1)
	checkPolls("again", 1)
	if _, err := authn.APIKey(ctx, secret); keycard.ErrorCode(err) != keycard.EUnauthorized {
		t.Errorf("withdrawn key after one check: got %v, want %s", err, keycard.EUnauthorized)
	}

	// Between checks the connection holds no snapshot: a checkpoint
	// copies the whole log back and empties it.
	db, err := sql.Open("sqlite", cfg.SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, logPages, copied int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &copied); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Errorf("checkpoint beside the watch: busy %d, want 0", busy)
	}
	if _, err := a.Backup(ctx, filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Errorf("backup beside the watch: %v", err)
	}
}

// TestWatchLeavesReadersTheirConnections checks that the connection an
// SQLite Watch holds is not one the readers wait their turn for: with it
// held, every reader the turns admit gets a connection at once.
func TestWatchLeavesReadersTheirConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := storetest.Open(t, storetest.Config(t, "sqlite"))
	_, stop, err := store.VersionWatch(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	in, release := make(chan struct{}), make(chan struct{})
	errs := make(chan error, store.SQLiteReaders)
	for range store.SQLiteReaders {
		go func() {
			errs <- store.ReadConn(ctx, st, func() {
				in <- struct{}{}
				<-release
			})
		}()
	}
	got := 0
	for got < store.SQLiteReaders {
		select {
		case <-in:
			got++
		case err := <-errs:
			t.Fatalf("%d of %d readers had a connection beside the watch; another: %v", got, store.SQLiteReaders, err)
		}
	}
	close(release)
	for range store.SQLiteReaders {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkVersionCheck measures one check of an idle SQLite server's
// Watch, which runs 20 times a second: one PRAGMA data_version on the
// connection held for it.
func BenchmarkVersionCheck(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background()) // as Watch's
	defer cancel()
	st := storetest.Open(b, storetest.Config(b, "sqlite"))
	check, stop, err := store.VersionWatch(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	changed := func() { b.Fatal("changed without a commit") }
	for b.Loop() {
		if err := check(changed); err != nil {
			b.Fatal(err)
		}
	}
}
