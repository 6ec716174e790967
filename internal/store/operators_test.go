package store_test

import (
	"context"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestOperatorLists lists organisations and users as the operator's
// command line does: every one, oldest first, with owners, subscriptions
// and an invited user in the organisation that invited it.
func TestOperatorLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		a, orgA, err := st.CreateOwner(ctx, "a@hotel.example", "password1", "Ana")
		if err != nil {
			t.Fatal(err)
		}
		b, orgB, err := st.CreateOwner(ctx, "b@hotel.example", "password1", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetSubscription(ctx, orgB.ID, keycard.SubscriptionActive); err != nil {
			t.Fatal(err)
		}
		owner, err := st.UserPrincipal(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		groups, _, err := st.ListGroups(ctx, owner, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || len(groups) == 0 {
			t.Fatalf("groups of a new owner: %v, %v", groups, err)
		}
		if _, err := st.Invite(ctx, store.GroupUsers, owner, groups[0].ID, "c@hotel.example", "user", nil); err != nil {
			t.Fatalf("invite: %v", err)
		}

		orgs, err := st.ListOrganizations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 2 {
			t.Fatalf("got %d organisations, want 2", len(orgs))
		}
		for i, want := range []store.OrganizationSummary{
			{ID: orgA.ID, OwnerUserID: a.ID, OwnerEmail: "a@hotel.example", SubscriptionStatus: "inactive", Users: 2},
			{ID: orgB.ID, OwnerUserID: b.ID, OwnerEmail: "b@hotel.example", SubscriptionStatus: "active", Users: 1},
		} {
			got := *orgs[i]
			if got.ID != want.ID || got.OwnerUserID != want.OwnerUserID || got.OwnerEmail != want.OwnerEmail ||
				got.SubscriptionStatus != want.SubscriptionStatus || got.Users != want.Users || got.Name == "" || got.CreatedAt.IsZero() {
				t.Errorf("organisation %d: got %+v, want %+v with a name and a time", i, got, want)
			}
		}

		users, err := st.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			email, org, sub string
			owner           bool
		}
		var got []row
		for _, u := range users {
			got = append(got, row{u.Email, u.OrganizationID, u.SubscriptionStatus, u.Owner})
		}
		want := []row{{"a@hotel.example", orgA.ID, "inactive", true}, {"b@hotel.example", orgB.ID, "active", true}, {"c@hotel.example", orgA.ID, "inactive", false}}
		if len(got) != len(want) {
			t.Fatalf("got users %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("user %d: got %v, want %v", i, got[i], want[i])
			}
		}
		if users[0].Name != "Ana" || users[0].OrganizationName != orgs[0].Name {
			t.Errorf("first user: name %q, organisation %q; want Ana and %q", users[0].Name, users[0].OrganizationName, orgs[0].Name)
		}
	})
}
