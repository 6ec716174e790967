package auth_test

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/apikey"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/redistest"
	"github.com/keycard/keycard/internal/storetest"
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
		a := auth.New(st, keycard.ModeStaging, slog.New(slog.DiscardHandler))
		a.SetAuthFailLimit(l, 10)
		servers = append(servers, a)
	}
	from := func(addr string) context.Context {
		return keycard.WithRequestInfo(ctx, keycard.RequestInfo{Addr: netip.MustParseAddr(addr), Method: "GET"})
	}
	bad, good := from("198.51.100.5"), from("203.0.113.5")
	unknown := apikey.New(apikey.KeyPrefix)
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
		if _, err := a.APIKey(bad, apikey.New(apikey.KeyPrefix)); keycard.ErrorCode(err) != keycard.ERateLimited {
			t.Errorf("server %d, forged key from the throttled address: got %v, want 429", i, err)
		}
		if _, err := a.APIKey(good, secret); err != nil {
			t.Errorf("server %d, valid key from another address: %v", i, err)
		}
	}
}
