package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// TestWatchHearsOtherServers checks that a change committed through one
// store (another server, the CLI) reaches a watcher on another at once,
// through PostgreSQL's LISTEN/NOTIFY.
func TestWatchHearsOtherServers(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			cfg := storetest.Config(t, dialect)
			a, b := storetest.Open(t, cfg), storetest.Open(t, cfg)
			ctx := context.Background()
			_, org, err := b.CreateOwner(ctx, "o@hotel.example", "password1", "")
			if err != nil {
				t.Fatal(err)
			}
			if !a.CanWatch() {
				if err := a.Watch(ctx, func() { t.Error("SQLite watcher called") }); err != nil {
					t.Errorf("Watch on SQLite: %v, want nil at once", err)
				}
				return
			}
			wctx, cancel := context.WithCancel(ctx)
			heard := make(chan struct{}, 8)
			listening := make(chan error, 1)
			go func() { listening <- a.Watch(wctx, func() { heard <- struct{}{} }) }()
			// The watcher may not be LISTENing yet: keep changing until it
			// hears one, bounded.
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
					t.Fatal("no notification reached the watcher")
				case <-tick.C:
				}
				if status == keycard.SubscriptionActive {
					status = keycard.SubscriptionInactive
				} else {
					status = keycard.SubscriptionActive
				}
			}
			cancel()
			if err := <-listening; err != nil {
				t.Errorf("Watch after cancel: %v, want nil", err)
			}
		})
	}
}
