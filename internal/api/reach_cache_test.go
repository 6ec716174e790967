package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestReachCacheSeesEveryChange proves that a credential's cached reach
// never outlives a change of access: for every kind of change, a warm
// credential gets the old answer, the change is made, and the very next
// request gets the new one.
func TestReachCacheSeesEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type step struct {
		path   string // GET
		cred   cred
		before int
		after  int
	}
	cases := []struct {
		name string
		// setup runs before the cache warms; it may return the id of a
		// new property as {new}.
		setup  func(t *testing.T, f *fixture) string
		check  step
		change func(t *testing.T, f *fixture, newID string)
	}{
		{
			name:  "property created",
			check: step{"/api/v1/properties?filter[title]=Delta%20Hotel", credKeyAll, 200, 200},
			change: func(t *testing.T, f *fixture, _ string) {
				if _, err := f.st.CreateProperty(ctx, f.ownerA, &keycard.Property{Title: "Delta Hotel", Currency: "EUR",
					Settings: keycard.DefaultPropertySettings()}, ""); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:  "property deleted",
			check: step{"/api/v1/properties/{p2}", credKeyAll, 200, 404},
			change: func(t *testing.T, f *fixture, _ string) {
				must(t, f.st.DeleteProperty(ctx, f.ownerA, f.p2))
			},
		},
		{
			name:  "property user added",
			check: step{"/api/v1/properties/{p2}", credMember, 404, 200},
			change: func(t *testing.T, f *fixture, _ string) {
				_, err := f.st.Invite(ctx, store.PropertyUsers, f.ownerA, f.p2, "member-a@example.com", keycard.RoleUser, nil)
				must(t, err)
			},
		},
		{
			name:  "property user removed",
			check: step{"/api/v1/properties/{p1}", credMember, 200, 404},
			change: func(t *testing.T, f *fixture, _ string) {
				ms, _, err := f.st.ListMembers(ctx, store.PropertyUsers, f.ownerA, keycard.ListQuery{Page: 1, Limit: 100})
				must(t, err)
				for _, m := range ms {
					if m.UserID == f.memberA.UserID {
						must(t, f.st.DeleteMember(ctx, store.PropertyUsers, f.ownerA, m.ID))
					}
				}
			},
		},
		{
			name:  "group user added",
			check: step{"/api/v1/properties/{p2}", credMember, 404, 200},
			change: func(t *testing.T, f *fixture, _ string) {
				_, err := f.st.Invite(ctx, store.GroupUsers, f.ownerA, f.groupDefault, "member-a@example.com", keycard.RoleUser, nil)
				must(t, err)
			},
		},
		{
			name: "property added to a group",
			setup: func(t *testing.T, f *fixture) string {
				g, err := f.st.CreateGroup(ctx, f.ownerA, "Porto")
				must(t, err)
				_, err = f.st.Invite(ctx, store.GroupUsers, f.ownerA, g.ID, "member-a@example.com", keycard.RoleUser, nil)
				must(t, err)
				return g.ID
			},
			check: step{"/api/v1/properties/{p2}", credMember, 404, 200},
			change: func(t *testing.T, f *fixture, group string) {
				must(t, f.st.AddPropertyToGroup(ctx, f.ownerA, group, f.p2))
			},
		},
		{
			name: "property taken out of a group",
			setup: func(t *testing.T, f *fixture) string {
				g, err := f.st.CreateGroup(ctx, f.ownerA, "Porto")
				must(t, err)
				_, err = f.st.Invite(ctx, store.GroupUsers, f.ownerA, g.ID, "member-a@example.com", keycard.RoleUser, nil)
				must(t, err)
				must(t, f.st.AddPropertyToGroup(ctx, f.ownerA, g.ID, f.p2))
				return g.ID
			},
			check: step{"/api/v1/properties/{p2}", credMember, 200, 404},
			change: func(t *testing.T, f *fixture, group string) {
				must(t, f.st.RemovePropertyFromGroup(ctx, f.ownerA, group, f.p2))
			},
		},
		{
			name:  "key's selection changed",
			check: step{"/api/v1/properties/{p2}", credKeyP1, 404, 200},
			change: func(t *testing.T, f *fixture, _ string) {
				_, err := f.st.UpdateAPIKey(ctx, f.ownerA, f.keyP1ID, store.APIKeyChange{PropertyIDs: []string{f.p1, f.p2}})
				must(t, err)
			},
		},
		{
			name:  "key made all-properties",
			check: step{"/api/v1/properties/{p2}", credKeyP1, 404, 200},
			change: func(t *testing.T, f *fixture, _ string) {
				all := true
				_, err := f.st.UpdateAPIKey(ctx, f.ownerA, f.keyP1ID, store.APIKeyChange{AccessAllProperties: &all})
				must(t, err)
			},
		},
	}
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, storetest.Config(t, cfg.Dialect()), keycard.ModeStaging)
				var extra string
				if tc.setup != nil {
					extra = tc.setup(t, f)
				}
				// Warm the cache, twice, so the second answer is a hit.
				for range 2 {
					if got, body := f.do("GET", tc.check.path, tc.check.cred, ""); got != tc.check.before {
						t.Fatalf("before: status %d, want %d; body %s", got, tc.check.before, redact(f, body))
					}
				}
				if hits, _ := f.auth.CacheStats(); hits == 0 {
					t.Fatal("the credential was never served from the cache")
				}
				tc.change(t, f, extra)
				got, body := f.do("GET", tc.check.path, tc.check.cred, "")
				if got != tc.check.after {
					t.Fatalf("after: status %d, want %d; body %s", got, tc.check.after, redact(f, body))
				}
				if tc.name == "property created" && !strings.Contains(body, `"title":"Delta Hotel"`) {
					t.Fatalf("after: the new property is missing from the list: %s", redact(f, body))
				}
			})
		}
	})
}

// TestReachCacheHitNeedsNoScopeQuery proves that on a cache hit neither
// authentication nor scope touches the database: with it closed, an
// out-of-reach property is still answered 404.
func TestReachCacheHitNeedsNoScopeQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeProduction)
	if got, _ := f.do("GET", "/api/v1/properties/{p1}", credKeyP1, ""); got != http.StatusOK {
		t.Fatalf("warm-up: %d, want 200", got)
	}
	f.st.Close()
	got, body := f.do("GET", "/api/v1/properties/{p2}", credKeyP1, "")
	if got != http.StatusNotFound || !strings.Contains(body, "resource_not_found") {
		t.Fatalf("out of reach with the database closed: %d %s, want 404", got, body)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
