package main

import (
	"context"
	"fmt"
	"io"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// The demo's login. It is a demo: the password is printed on every start.
const (
	demoEmail    = "owner@demo.keycard.test"
	demoPassword = "keycard-demo"
	demoKeyName  = "Demo PMS (Hotel Alfama only)"
)

func demoCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("demo", args, getenv, stdout, "keycard-demo.db", true, nil)
	if err != nil {
		return err
	}
	cfg.Mode = keycard.ModeStaging
	if cfg.LogFormat == "" {
		cfg.LogFormat = "text" // a person reads the demo's output
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, err := store.Open(ctx, cfg.Store())
	if err != nil {
		return err
	}
	defer st.Close()
	owner, err := seedDemo(ctx, st)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := seedDemoInventory(ctx, st, owner); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := seedDemoBookings(ctx, st, owner); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := seedDemoSetup(ctx, st, owner, ln.Addr().String()); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	// A key's secret is shown once and never stored, so each start makes a
	// fresh demo key and withdraws the previous ones, which stay listed.
	key, err := demoKey(ctx, st, owner)
	if err != nil {
		return fmt.Errorf("demo key: %w", err)
	}
	return serve(ctx, cfg, st, ln, stdout, serveHooks{ready: func(baseURL string) {
		fmt.Fprintf(stdout, `
keycard demo is running (staging mode, %s). Ctrl-C stops it.

  UI:        %s/organization/api-keys
  Sign in:   %s  /  %s
  API key:   %s
             (restricted to Hotel Alfama; a new one is made at every start)

Try it:
  curl -s -H 'user-api-key: %s' %s/api/v1/properties/

Read the booking feed (one new booking waits unacked), then ack it with
POST /api/v1/booking_revisions/<id>/ack:
  curl -s -H 'user-api-key: %s' %s/api/v1/booking_revisions/feed

`, demoDatabase(cfg), baseURL, demoEmail, demoPassword, key, key, baseURL, key, baseURL)
	}})
}

// seedDemo fills an empty demo database: an organisation with an active
// subscription, its billing owner, two groups and three properties. It
// returns the owner's principal.
func seedDemo(ctx context.Context, st *store.Store) (*keycard.Principal, error) {
	if u, err := st.UserByEmail(ctx, demoEmail); err == nil {
		return st.UserPrincipal(ctx, u.ID)
	} else if keycard.ErrorCode(err) != keycard.ENotFound {
		return nil, err
	}
	u, org, err := st.CreateOwner(ctx, demoEmail, demoPassword, "Demo Owner")
	if err != nil {
		return nil, err
	}
	if err := st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive); err != nil {
		return nil, err
	}
	p, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	lisbon, err := st.CreateGroup(ctx, p, "Lisbon")
	if err != nil {
		return nil, err
	}
	porto, err := st.CreateGroup(ctx, p, "Porto")
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		group, title, city, tz, kind string
	}{
		{lisbon.ID, "Hotel Alfama", "Lisbon", "Europe/Lisbon", "hotel"},
		{lisbon.ID, "Hotel Baixa", "Lisbon", "Europe/Lisbon", "hotel"},
		{porto.ID, "Ribeira Apartments", "Porto", "Europe/Lisbon", "apartment"},
	} {
		prop := &keycard.Property{Title: d.title, Currency: "EUR", Country: "PT", City: d.city, Timezone: d.tz,
			PropertyType: d.kind, Settings: keycard.DefaultPropertySettings()}
		if _, err := st.CreateProperty(ctx, p, prop, d.group); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func demoKey(ctx context.Context, st *store.Store, owner *keycard.Principal) (string, error) {
	q := keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit, Filters: []keycard.Filter{
		{Field: "name", Op: keycard.OpEq, Values: []string{demoKeyName}},
		{Field: "status", Op: keycard.OpEq, Values: []string{keycard.KeyActive}},
	}}
	old, _, err := st.ListAPIKeys(ctx, owner, q)
	if err != nil {
		return "", err
	}
	for _, k := range old {
		if _, err := st.WithdrawAPIKey(ctx, owner, k.ID); err != nil {
			return "", err
		}
	}
	props, _, err := st.ListProperties(ctx, owner, keycard.ListQuery{Page: 1, Limit: 1,
		Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{"Hotel Alfama"}}}})
	if err != nil {
		return "", err
	}
	if len(props) == 0 {
		return "", fmt.Errorf("the demo database has no Hotel Alfama")
	}
	_, secret, err := st.CreateAPIKey(ctx, owner, demoKeyName, false, []string{props[0].ID})
	return secret, err
}

// demoDatabase names where the demo keeps its data, for its banner.
func demoDatabase(cfg Config) string {
	if cfg.DatabaseURL != "" {
		return "PostgreSQL database from --database-url"
	}
	return "database " + cfg.DBPath
}
