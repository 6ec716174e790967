package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestKeysMoveProperties checks who may put a property into a group and
// take it out with an API key: a key that may write the property (not
// read-only, the property in its selection) and whose user manages the
// group, of the property's organisation. A key only stops being refused
// for being a key: its user needs the same powers as without it. Each move
// is in the audit log with the key, and a restricted key sees a group once
// it holds one of its properties, as it sees every such group.
func TestKeysMoveProperties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		st := storetest.Open(t, cfg)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		user := func(id string) *keycard.Principal {
			t.Helper()
			p, err := st.UserPrincipal(ctx, id)
			must(err)
			return p
		}
		owner := func(email string) *keycard.Principal {
			t.Helper()
			u, _, err := st.CreateOwner(ctx, email, "password-"+email, "")
			must(err)
			return user(u.ID)
		}
		a, b := owner("a@hotel.example"), owner("b@hotel.example")
		property := func(p *keycard.Principal, title string) string {
			t.Helper()
			prop, err := st.CreateProperty(ctx, p, &keycard.Property{Title: title, Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
			must(err)
			return prop.ID
		}
		alpha, bravo, charlie := property(a, "Alpha Hotel"), property(a, "Bravo Hotel"), property(b, "Charlie Hotel")
		group := func(p *keycard.Principal, title string) string {
			t.Helper()
			g, err := st.CreateGroup(ctx, p, title)
			must(err)
			return g.ID
		}
		lisbon, porto, groupB := group(a, "Lisbon"), group(a, "Porto"), group(b, "B's group")
		groups, _, err := st.ListGroups(ctx, a, keycard.ListQuery{Page: 1, Limit: 10, Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{"Default group"}}}})
		must(err)
		defaultA := groups[0].ID

		// A user of Alpha who may not manage groups, and B's owner, an
		// owner of Alpha by invitation.
		_, err = st.Invite(ctx, store.PropertyUsers, a, alpha, "member@hotel.example", keycard.RoleUser, nil)
		must(err)
		mu, err := st.UserByEmail(ctx, "member@hotel.example")
		must(err)
		member := user(mu.ID)
		_, err = st.Invite(ctx, store.PropertyUsers, a, alpha, "b@hotel.example", keycard.RoleOwner, nil)
		must(err)
		b = user(b.UserID)

		// key makes a key of p and returns its id and a function that loads
		// its principal as the authenticator does.
		key := func(p *keycard.Principal, nk store.NewAPIKey) (string, func() *keycard.Principal) {
			t.Helper()
			k, secret, err := st.CreateKey(ctx, p, nk)
			must(err)
			return k.ID, func() *keycard.Principal {
				t.Helper()
				c, err := st.KeyCredential(ctx, tokens.Hash(secret))
				must(err)
				return &c.Principal
			}
		}
		allID, keyAll := key(a, store.NewAPIKey{Name: "all", AccessAllProperties: true})
		alphaID, keyAlpha := key(a, store.NewAPIKey{Name: "alpha", PropertyIDs: []string{alpha}})
		_, keyReadOnly := key(a, store.NewAPIKey{Name: "read-only", AccessAllProperties: true, ReadOnly: true})
		_, keyMember := key(member, store.NewAPIKey{Name: "member's", AccessAllProperties: true})
		_, keyB := key(b, store.NewAPIKey{Name: "B's", AccessAllProperties: true})

		// sees lists the titles of the groups p sees, and of the
		// properties it sees in each.
		sees := func(p *keycard.Principal) map[string][]string {
			t.Helper()
			gs, _, err := st.ListGroups(ctx, p, keycard.ListQuery{Page: 1, Limit: 10})
			must(err)
			out := map[string][]string{}
			for _, g := range gs {
				out[g.Title] = []string{}
				for _, pr := range g.Properties {
					out[g.Title] = append(out[g.Title], pr.Title)
				}
			}
			return out
		}
		if got := sees(keyAlpha()); len(got) != 1 || !slices.Equal(got["Default group"], []string{"Alpha Hotel"}) {
			t.Fatalf("the restricted key sees %v before, want only the default group with Alpha Hotel", got)
		}

		add, remove := st.AddPropertyToGroup, st.RemovePropertyFromGroup
		for _, tt := range []struct {
			name            string
			move            func(context.Context, *keycard.Principal, string, string) error
			p               func() *keycard.Principal
			group, property string
			want            string // an error code, "" for none
		}{
			{"all-properties key adds", add, keyAll, lisbon, bravo, ""},
			{"adds it twice", add, keyAll, lisbon, bravo, keycard.EInvalid},
			{"restricted key adds its property to a group it does not see", add, keyAlpha, porto, alpha, ""},
			{"restricted key adds a property out of its selection", add, keyAlpha, lisbon, bravo, keycard.ENotFound},
			{"read-only key", add, keyReadOnly, lisbon, alpha, keycard.EForbidden},
			{"another organisation's property", add, keyAll, lisbon, charlie, keycard.ENotFound},
			{"another organisation's group", add, keyAll, groupB, alpha, keycard.ENotFound},
			{"key of a user who may not manage groups", add, keyMember, lisbon, alpha, keycard.EForbidden},
			{"a group of another organisation than the property", add, keyB, groupB, alpha, keycard.EInvalid},
			{"unknown group", add, keyAll, "00000000-0000-4000-8000-000000000000", alpha, keycard.ENotFound},
			{"read-only key removes", remove, keyReadOnly, lisbon, bravo, keycard.EForbidden},
			{"key of a user who may not manage groups removes", remove, keyMember, porto, alpha, keycard.EForbidden},
			{"key of an owner of the property who does not manage the group", remove, keyB, defaultA, alpha, keycard.EForbidden},
			{"all-properties key removes", remove, keyAll, defaultA, bravo, ""},
			{"removes it from its last group", remove, keyAll, lisbon, bravo, keycard.EBadRequest},
			{"restricted key removes a property out of its selection", remove, keyAlpha, lisbon, bravo, keycard.ENotFound},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.move(ctx, tt.p(), tt.group, tt.property)
				got := ""
				if err != nil {
					got = keycard.ErrorCode(err)
				}
				if got != tt.want {
					t.Errorf("got %v (%q), want %q", err, got, tt.want)
				}
			})
		}

		// The restricted key now sees Porto, with its one property in it,
		// and no more than before of the others.
		want := map[string][]string{"Default group": {"Alpha Hotel"}, "Porto": {"Alpha Hotel"}}
		if got := sees(keyAlpha()); !mapsEqual(got, want) {
			t.Errorf("the restricted key sees %v after the move, want %v", got, want)
		}
		if got := sees(a); !slices.Equal(got["Lisbon"], []string{"Bravo Hotel"}) || !slices.Equal(got["Default group"], []string{"Alpha Hotel"}) {
			t.Errorf("the owner sees %v, want Bravo Hotel moved from the default group to Lisbon", got)
		}
		must(st.RemovePropertyFromGroup(ctx, keyAlpha(), porto, alpha))
		if got := sees(keyAlpha()); len(got) != 1 {
			t.Errorf("the restricted key sees %v after taking its property out of Porto, want the default group only", got)
		}

		// The owner's log has every move, with the key that made it.
		events, _, err := st.ListAuditEvents(ctx, a, keycard.ListQuery{Page: 1, Limit: 20, Filters: []keycard.Filter{{Field: "event", Op: keycard.OpEq,
			Values: []string{keycard.AuditGroupPropertyAdded, keycard.AuditGroupPropertyRemoved}}}})
		must(err)
		type seen struct{ event, key, actor, group, property string }
		var got []seen
		for _, e := range events {
			var d struct {
				GroupID       string `json:"group_id"`
				GroupTitle    string `json:"group_title"`
				PropertyID    string `json:"property_id"`
				PropertyTitle string `json:"property_title"`
			}
			if err := json.Unmarshal(e.Details, &d); err != nil {
				t.Fatal(err)
			}
			if e.ActorType != keycard.ActorAPIKey || e.APIKeyID != e.ActorID || e.UserID != a.UserID {
				t.Errorf("%s: actor %s %s, key %s, user %s; want the key as actor and its user", e.Event, e.ActorType, e.ActorID, e.APIKeyID, e.UserID)
			}
			if d.GroupID == "" || d.PropertyID == "" {
				t.Errorf("%s: details %s name no group or property id", e.Event, e.Details)
			}
			got = append(got, seen{e.Event, e.APIKeyID, e.ActorType, d.GroupTitle, d.PropertyTitle})
		}
		slices.Reverse(got) // oldest first
		wantEvents := []seen{
			{keycard.AuditGroupPropertyAdded, allID, keycard.ActorAPIKey, "Lisbon", "Bravo Hotel"},
			{keycard.AuditGroupPropertyAdded, alphaID, keycard.ActorAPIKey, "Porto", "Alpha Hotel"},
			{keycard.AuditGroupPropertyRemoved, allID, keycard.ActorAPIKey, "Default group", "Bravo Hotel"},
			{keycard.AuditGroupPropertyRemoved, alphaID, keycard.ActorAPIKey, "Porto", "Alpha Hotel"},
		}
		if !slices.Equal(got, wantEvents) {
			t.Errorf("got events %+v, want %+v", got, wantEvents)
		}
	})
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}
