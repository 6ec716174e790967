package api

import (
	"context"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestProductionGate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeProduction)
		ctx := context.Background()
		for _, sc := range []scenario{
			{name: "owner with active subscription lists", method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200, want: []string{"{keyP1ID}"}},
			{name: "owner with active subscription creates", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":"prod"}}`, status: 201, want: []string{`"key":"kc_`}},
			{name: "non-owner may not list", method: "GET", path: "/api/v1/api_keys", cred: credMember, status: 403,
				want: []string{`"code":"forbidden"`, "billing account owner"}},
			{name: "non-owner may not create", method: "POST", path: "/api/v1/api_keys", cred: credMember,
				body: `{"api_key":{"name":"x"}}`, status: 403, want: []string{"billing account owner"}, never: []string{"kc_"}},
			{name: "key may not manage keys", method: "GET", path: "/api/v1/api_keys", cred: credKeyAll, status: 403, want: []string{"sign in"}},
			{name: "keys work while active", method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 200},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}

		// The subscription lapses, through the server's own store: at once.
		if err := f.st.SetSubscription(ctx, f.orgA, keycard.SubscriptionInactive); err != nil {
			t.Fatal(err)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 403, want: []string{"no active subscription"}})
		f.run(t, scenario{method: "PUT", path: "/api/v1/api_keys/{keyP1ID}", cred: credOwnerA, body: `{"api_key":{"name":"x"}}`, status: 403})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 403, want: []string{"suspended"}, never: []string{"{p1}"}})
		// The session still works for the rest of the API.
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 200, want: []string{"{p1}"}})
		// Organisation B is not affected.
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyOther, status: 200, want: []string{"{p3}"}})

		// It comes back from another process (the CLI): the server sees it
		// at its next poll of the change counter (every second in serve).
		cli := storetest.Open(t, cfg)
		if err := cli.SetSubscription(ctx, f.orgA, keycard.SubscriptionActive); err != nil {
			t.Fatal(err)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 403}) // still cached
		if err := f.auth.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 200, want: []string{"{p1}"}})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200})

		// A withdrawal by another server is seen at the next poll too.
		if _, err := cli.WithdrawAPIKey(ctx, f.ownerA, f.keyP1ID); err != nil {
			t.Fatal(err)
		}
		if err := f.auth.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 401, want: []string{"withdrawn"}})
	})
}

func TestStagingIgnoresSubscription(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		if err := f.st.SetSubscription(context.Background(), f.orgA, keycard.SubscriptionInactive); err != nil {
			t.Fatal(err)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credKeyP1, status: 200})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys", cred: credMember, body: `{"api_key":{"name":"m"}}`, status: 201})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200})
	})
}
