package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestTitles checks the titles read for relationships: of each kind, only
// of what the principal reaches (read in the query, or carried with its
// credential and partly served from the property cache), and a renamed
// property's new title.
func TestTitles(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		st := storetest.Open(t, cfg)
		owner := newOwner(t, st)
		property := func(title string) string {
			t.Helper()
			prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: title, Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
			if err != nil {
				t.Fatal(err)
			}
			return prop.ID
		}
		alpha, bravo := property("Alpha"), property("Bravo")
		rt, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: bravo, Title: "Double", CountOfRooms: 1,
			OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
		if err != nil {
			t.Fatal(err)
		}
		group, err := st.CreateGroup(ctx, owner, "Lisbon")
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := st.CreateOwner(ctx, "other@hotel.example", "password1", "")
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.UserPrincipal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// A principal that carries its reach, Alpha only, as a restricted
		// key's credential does; Alpha is in the property cache.
		cached := *owner
		cached.Reach = keycard.NewReach([]string{alpha})
		if _, err := st.Property(ctx, &cached, alpha); err != nil {
			t.Fatal(err)
		}

		refs := []store.Ref{{"property", alpha}, {"property", bravo}, {"property", alpha}, {"room_type", rt.ID},
			{"group", group.ID}, {"rate_plan", keycard.NewID()}, {"nothing", alpha}, {"property", "not an id"}}
		for _, tc := range []struct {
			name string
			p    *keycard.Principal
			want map[store.Ref]string
		}{
			{"the owner", owner, map[store.Ref]string{{"property", alpha}: "Alpha", {"property", bravo}: "Bravo",
				{"room_type", rt.ID}: "Double", {"group", group.ID}: "Lisbon"}},
			{"a cached reach of Alpha only", &cached, map[store.Ref]string{{"property", alpha}: "Alpha", {"group", group.ID}: "Lisbon"}},
			{"another organisation's owner", other, map[store.Ref]string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.Titles(ctx, tc.p, refs)
				if err != nil || !maps.Equal(got, tc.want) {
					t.Errorf("got %v, %v; want %v", got, err, tc.want)
				}
			})
		}

		t.Run("a renamed property", func(t *testing.T) {
			title := "Alpha Renamed"
			if _, err := st.UpdateProperty(ctx, owner, alpha, &keycard.PropertyChange{Title: &title}, nil); err != nil {
				t.Fatal(err)
			}
			got, err := st.Titles(ctx, &cached, []store.Ref{{"property", alpha}})
			if want := "Alpha Renamed"; err != nil || got[store.Ref{Kind: "property", ID: alpha}] != want {
				t.Errorf("got %v, %v; want %q", got, err, want)
			}
		})

		t.Run("nothing to read", func(t *testing.T) {
			got, err := st.Titles(ctx, owner, nil)
			if err != nil || len(got) != 0 {
				t.Errorf("got %v, %v; want nothing", got, err)
			}
		})
	})
}
