package auth_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/redistest"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestAuthFailThrottleSharedInRedis splits one address's failures between
// two servers counting in one Redis: the limit holds for their sum, and
// both servers then refuse the address's unknown keys, while its valid key,
// and any from another address, are served.
func TestAuthFailThrottleSharedInRedis(t *testing.T) {
	rs := redistest.Start(t)
	st, _, _, secret := setup(t, storetest.Config(t, "sqlite"))
	ctx := context.Background()
	var servers []*auth.Authenticator
	for range 2 {
		l, closeRedis, err := ratelimit.DialRedis(ctx, rs.URL, "keycard-test:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeRedis() })
		a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler), Limiter: l, AuthFailLimit: 10})
		servers = append(servers, a)
	}
	from := func(addr string) context.Context {
		return keycard.WithRequestInfo(ctx, keycard.RequestInfo{Addr: netip.MustParseAddr(addr), Method: "GET"})
	}
	bad, good := from("198.51.100.5"), from("203.0.113.5")
	unknown := tokens.New(tokens.KeyPrefix)
	for i := range 10 {
		if _, err := servers[i%2].APIKey(bad, unknown); keycard.ErrorCode(err) != keycard.EUnauthorized {
			t.Fatalf("failure %d: %v, want unauthorized", i+1, err)
		}
	}
	_, err := servers[0].APIKey(bad, unknown)
	if e, ok := err.(*keycard.Error); !ok || e.Code != keycard.ERateLimited || e.RetryAfter < 30*time.Second {
		t.Fatalf("11th failure: %v, want 429 for the cool-off", err)
	}
	if _, err := servers[1].APIKey(bad, unknown); keycard.ErrorCode(err) != keycard.ERateLimited {
		t.Errorf("the other server on its next failure: %v, want 429", err)
	}
	for i, a := range servers {
		if _, err := a.APIKey(bad, secret); err != nil {
			t.Errorf("server %d, valid key from the throttled address: got %v, want it served", i, err)
		}
		if _, err := a.APIKey(bad, tokens.New(tokens.KeyPrefix)); keycard.ErrorCode(err) != keycard.ERateLimited {
			t.Errorf("server %d, forged key from the throttled address: got %v, want 429", i, err)
		}
		if _, err := a.APIKey(good, secret); err != nil {
			t.Errorf("server %d, valid key from another address: %v", i, err)
		}
	}
}

// TestSignInAccountLimit guesses one account's password from a new address
// each time, split between two servers counting in one limiter (one Redis,
// when there is one): after the account's limit of failures, its password
// sign-ins pause on both servers, the right password included, while
// another account, the account's key and its existing session still work.
func TestSignInAccountLimit(t *testing.T) {
	limiters := map[string]func(t *testing.T) (ratelimit.Limiter, ratelimit.Limiter){
		"memory": func(t *testing.T) (ratelimit.Limiter, ratelimit.Limiter) {
			l := ratelimit.NewMemory(func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) })
			return l, l
		},
		"redis": func(t *testing.T) (ratelimit.Limiter, ratelimit.Limiter) {
			rs := redistest.Start(t)
			var out [2]ratelimit.Limiter
			for i := range out {
				l, closeRedis, err := ratelimit.DialRedis(context.Background(), rs.URL, "keycard-test:")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { closeRedis() })
				out[i] = l
			}
			return out[0], out[1]
		},
	}
	for name, newLimiters := range limiters {
		t.Run(name, func(t *testing.T) {
			st, _, _, secret := setup(t, storetest.Config(t, "sqlite"))
			ctx := context.Background()
			if _, _, err := st.CreateOwner(ctx, "other@hotel.example", "password2", ""); err != nil {
				t.Fatal(err)
			}
			sess, err := st.SignIn(ctx, "o@hotel.example", "password1")
			if err != nil {
				t.Fatal(err)
			}
			l0, l1 := newLimiters(t)
			var servers []*auth.Authenticator
			for _, l := range []ratelimit.Limiter{l0, l1} {
				a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler),
					Limiter: l, SignInLimits: auth.SignInLimits{PerEmail: 10, PerAddress: 30, PerAccount: 50}})
				servers = append(servers, a)
			}
			addr := func(i int) string { return fmt.Sprintf("198.51.%d.%d:4000", 100+i/200, i%200+1) }
			for i := range 50 {
				if _, err := servers[i%2].SignIn(ctx, "o@hotel.example", "wrong-password", addr(i)); keycard.ErrorCode(err) != keycard.EUnauthorized {
					t.Fatalf("wrong password %d: got %v, want unauthorized", i+1, err)
				}
			}
			if _, err := servers[0].SignIn(ctx, "o@hotel.example", "wrong-password", addr(50)); !auth.AccountPaused(err) {
				t.Errorf("51st wrong password: got %v, want the account paused", err)
			}
			for i, a := range servers {
				for _, email := range []string{"o@hotel.example", "O@Hotel.Example"} {
					_, err := a.SignIn(ctx, email, "password1", addr(100+i))
					e, ok := err.(*keycard.Error)
					if !ok || !auth.AccountPaused(err) || e.Code != keycard.ERateLimited || e.RetryAfter < 59*time.Minute || e.RetryAfter > auth.AccountWindow {
						t.Errorf("server %d, right password for %s: got %v, want 429 with the account paused for about an hour", i, email, err)
					}
				}
				if _, err := a.SignIn(ctx, "other@hotel.example", "password2", addr(200+i)); err != nil {
					t.Errorf("server %d, another account: got %v, want a session", i, err)
				}
				if _, err := a.APIKey(ctx, secret); err != nil {
					t.Errorf("server %d, the paused account's key: got %v, want it served", i, err)
				}
				if _, err := a.Session(ctx, sess.Token); err != nil {
					t.Errorf("server %d, the paused account's existing session: got %v, want it served", i, err)
				}
			}
		})
	}
}

// TestSignInAccountPauseEnds checks that the pause lasts its window, then
// lets the right password in, and that a limit of 0 is no limit.
func TestSignInAccountPauseEnds(t *testing.T) {
	st, _, _, _ := setup(t, storetest.Config(t, "sqlite"))
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	l := ratelimit.NewMemory(func() time.Time { return now })
	a := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler),
		Limiter: l, SignInLimits: auth.SignInLimits{PerAccount: 3}})
	for i := range 3 {
		if _, err := a.SignIn(ctx, "o@hotel.example", "wrong-password", fmt.Sprintf("203.0.113.%d:1", i+1)); keycard.ErrorCode(err) != keycard.EUnauthorized {
			t.Fatalf("wrong password %d: got %v, want unauthorized", i+1, err)
		}
	}
	// The counter alone would refill one failure's worth in 20 minutes;
	// the pause holds for the whole hour.
	now = now.Add(auth.AccountWindow - time.Minute)
	if _, err := a.SignIn(ctx, "o@hotel.example", "password1", "203.0.113.9:1"); !auth.AccountPaused(err) {
		t.Errorf("right password a minute before the hour is up: got %v, want the account paused", err)
	}
	now = now.Add(time.Minute)
	if _, err := a.SignIn(ctx, "o@hotel.example", "password1", "203.0.113.9:1"); err != nil {
		t.Errorf("right password once the hour is up: got %v, want a session", err)
	}

	off := auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: slog.New(slog.DiscardHandler),
		Limiter: ratelimit.NewMemory(func() time.Time { return now }), SignInLimits: auth.SignInLimits{PerAccount: 0}})
	for i := range 5 {
		off.SignIn(ctx, "o@hotel.example", "wrong-password", fmt.Sprintf("203.0.113.%d:1", i+1))
	}
	if _, err := off.SignIn(ctx, "o@hotel.example", "password1", "203.0.113.9:1"); err != nil {
		t.Errorf("with the limit off: got %v, want a session", err)
	}
}
