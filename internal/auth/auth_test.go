package auth_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func setup(t *testing.T, cfg store.Config) (*store.Store, *keycard.Principal, string, string) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, cfg)
	u, _, err := st.CreateOwner(ctx, "o@hotel.example", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	k, secret, err := st.CreateAPIKey(ctx, p, "k", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, p, k.ID, secret
}

// TestRunFlushesUsageOnStop checks that key uses counted in memory reach
// the database in one batch when the server stops.
func TestRunFlushesUsageOnStop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		st, p, id, secret := setup(t, cfg)
		a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler)})
		used := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		a.SetClock(func() time.Time { return used })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); a.Run(ctx, time.Hour) }()
		for range 5 {
			if _, err := a.APIKey(context.Background(), secret); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		<-done
		k, err := st.APIKey(context.Background(), p, id)
		if err != nil {
			t.Fatal(err)
		}
		if k.UseCount != 5 || k.LastUsedAt == nil || !k.LastUsedAt.Equal(used) {
			t.Errorf("after stop: use count %d, last used %v; want 5 and %v", k.UseCount, k.LastUsedAt, used)
		}
	})
}

// TestConcurrentUseAndWithdraw hammers the cache from many goroutines while
// the key is withdrawn: once WithdrawAPIKey returns, no request may pass.
func TestConcurrentUseAndWithdraw(t *testing.T) {
	st, p, id, secret := setup(t, storetest.Config(t, "sqlite"))
	a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	var withdrawn sync.WaitGroup
	withdrawn.Add(1)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				a.APIKey(ctx, secret)
			}
			withdrawn.Wait()
			if _, err := a.APIKey(ctx, secret); keycard.ErrorCode(err) != keycard.EUnauthorized {
				errs <- "a withdrawn key still authenticates"
			}
		}()
	}
	if _, err := st.WithdrawAPIKey(ctx, p, id); err != nil {
		t.Fatal(err)
	}
	withdrawn.Done()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestRejectsBeforeStorage(t *testing.T) {
	st, _, _, secret := setup(t, storetest.Config(t, "sqlite"))
	a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler)})
	st.Close() // nothing below may need the database
	last := "x"
	if secret[len(secret)-1] == 'x' {
		last = "y"
	}
	for _, bad := range []string{"", "kc_", secret[:len(secret)-1] + last, "Bearer " + secret, secret + " "} {
		if _, err := a.APIKey(context.Background(), bad); keycard.ErrorCode(err) != keycard.EUnauthorized {
			t.Errorf("a malformed key got %v, want unauthorized without a database", err)
		}
	}
}
