package store_test

import (
	"context"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestListAPIKeysByOrganization checks that a billing owner's key list
// filters on the key's organisation, so that a page can list its own keys
// and the keys from outside apart, each with its own total.
func TestListAPIKeysByOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		owner := func(email string) (*keycard.Principal, string) {
			t.Helper()
			u, org, err := st.CreateOwner(ctx, email, "password-"+email, "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.UserPrincipal(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p, org.ID
		}
		a, orgA := owner("a@hotel.example")
		b, _ := owner("b@vendor.example")
		prop, err := st.CreateProperty(ctx, a, &keycard.Property{Title: "Alpha Hotel", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Invite(ctx, store.PropertyUsers, a, prop.ID, "b@vendor.example", keycard.RoleUser, nil); err != nil {
			t.Fatal(err)
		}
		own, _, err := st.CreateAPIKey(ctx, a, "A's PMS", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		ext, _, err := st.CreateAPIKey(ctx, b, "B's PMS", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			op   string
			want string
		}{
			{"own keys", keycard.OpEq, own.ID},
			{"keys from outside", keycard.OpNot, ext.ID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := keycard.ListQuery{Page: 1, Limit: 10, Filters: []keycard.Filter{{Field: "organization_id", Op: tt.op, Values: []string{orgA}}}}
				keys, total, err := st.ListAPIKeys(ctx, a, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 || total != 1 || keys[0].ID != tt.want {
					t.Fatalf("got %d keys (total %d), want only %s", len(keys), total, tt.want)
				}
			})
		}
	})
}
