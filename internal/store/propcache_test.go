package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestPropertyCacheSeesEveryChange reads a property through a key's cached
// credential (so from the property cache once warm) after each kind of
// change to what a property shows: its own fields, its photos, its
// groups' titles, its groups, its deletion. Each change made on this
// server is seen by the very next read; one made through another server
// on the same database is seen once this server has read the auth epoch
// (as its authenticator does every poll and on each PostgreSQL
// notification). A change to what a property shows leaves cached
// credentials alone, here and on other servers; a change of access drops
// them.
func TestPropertyCacheSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		st := storetest.Open(t, cfg)
		other := storetest.Open(t, cfg) // another server on the same database
		owner := newOwner(t, st)
		prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: "Alpha", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := st.CreateAPIKey(ctx, owner, "pms", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := st.KeyCredential(ctx, tokens.Hash(secret))
		if err != nil {
			t.Fatal(err)
		}
		key := &cred.Principal
		if key.Reach == nil || !key.Reach.Has(prop.ID) {
			t.Fatal("the key's credential carries no reach of the property")
		}
		read := func() *keycard.Property {
			t.Helper()
			got, err := st.Property(ctx, key, prop.ID)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			return got
		}
		// listed returns the titles the key's list shows (its first page,
		// from the cache once warm).
		listed := func() []string {
			t.Helper()
			props, total, err := st.ListProperties(ctx, key, keycard.ListQuery{Page: 1, Limit: 10})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			var titles []string
			for _, p := range props {
				titles = append(titles, p.Title)
			}
			if total != len(titles) {
				t.Errorf("list: total %d for %d properties", total, len(titles))
			}
			return titles
		}
		if first, second := read(), read(); first.Title != "Alpha" || second.Title != "Alpha" { // the second from the cache
			t.Fatal("no property to start from")
		}
		// What a caller does with what it got does not reach the cache.
		read().Groups[0].Title = "scribbled"
		if g := read().Groups[0].Title; g == "scribbled" {
			t.Fatal("a caller's change reached the cached property")
		}

		// Writes to what a property does not show leave the cache, and
		// the credentials, alone: an ARI write takes the property's lock
		// (as bookings do) without writing to it. (Room types and rate
		// plans change how answers cached above the store read, so their
		// writes drop it.)
		rt, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: prop.ID, Title: "Double", CountOfRooms: 5,
			OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
		if err != nil {
			t.Fatal(err)
		}
		read()
		drops := store.PropertyCacheDrops(st)
		if _, err := st.ApplyAvailability(ctx, owner, []*keycard.AvailabilityChange{{PropertyID: prop.ID, RoomTypeID: rt.ID,
			Dates: keycard.Dates{From: keycard.Today(time.Now(), "") + 1, To: keycard.Today(time.Now(), "") + 1, Days: keycard.EveryDay}, Availability: 3}}); err != nil {
			t.Fatal(err)
		}
		if got := store.PropertyCacheDrops(st); got != drops {
			t.Errorf("an ARI write dropped the property cache (%d drops, want %d)", got, drops)
		}

		rename := func(s *store.Store, title string) {
			t.Helper()
			if _, err := s.UpdateProperty(ctx, owner, prop.ID, &keycard.PropertyChange{Title: &title}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := listed(); len(got) != 1 || got[0] != "Alpha" {
			t.Fatalf("listed %q, want Alpha", got)
		}
		credentialDrops := 0
		st.OnChange(func() { credentialDrops++ })
		if _, err := st.AuthEpoch(ctx); err != nil {
			t.Fatal(err)
		}
		rename(st, "Beta")
		if got := read().Title; got != "Beta" {
			t.Errorf("after an update here: title %q, want Beta", got)
		}
		if got := listed(); len(got) != 1 || got[0] != "Beta" {
			t.Errorf("after an update here: listed %q, want Beta", got)
		}

		if _, err := st.CreatePhoto(ctx, owner, &keycard.PhotoRecord{PropertyID: prop.ID,
			Photo: keycard.Photo{URL: "https://img.hotel.example/1.jpg", Kind: "photo"}}); err != nil {
			t.Fatal(err)
		}
		if got := read().Content.Photos; len(got) != 1 {
			t.Errorf("after a photo was added: %d photos, want 1", len(got))
		}

		groupID := read().Groups[0].ID
		if _, err := st.UpdateGroup(ctx, owner, groupID, "Lisbon"); err != nil {
			t.Fatal(err)
		}
		if got := read().Groups; len(got) != 1 || got[0].Title != "Lisbon" {
			t.Errorf("after its group was renamed: groups %+v, want Lisbon", got)
		}
		if credentialDrops != 0 {
			t.Errorf("a new title, photo and group name dropped the cached credentials %d times, want none", credentialDrops)
		}

		g2, err := st.CreateGroup(ctx, owner, "Porto")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddPropertyToGroup(ctx, owner, g2.ID, prop.ID); err != nil {
			t.Fatal(err)
		}
		if got := read().Groups; len(got) != 2 {
			t.Errorf("after it joined a group: groups %+v, want 2", got)
		}
		if credentialDrops != 1 { // the group's users now reach it
			t.Errorf("joining a group dropped the cached credentials %d times, want 1", credentialDrops)
		}

		// Another server's change: seen once the epoch is read here.
		epoch, err := st.AuthEpoch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rename(other, "Gamma")
		if n, err := st.AuthEpoch(ctx); err != nil || n != epoch {
			t.Errorf("after a rename on another server: auth epoch %d (%v), want %d: its credentials are dropped", n, err, epoch)
		}
		if got := read().Title; got != "Gamma" {
			t.Errorf("after an update on another server and an epoch poll: title %q, want Gamma", got)
		}
		if got := listed(); len(got) != 1 || got[0] != "Gamma" {
			t.Errorf("after an update on another server and an epoch poll: listed %q, want Gamma", got)
		}

		if err := st.DeleteProperty(ctx, owner, prop.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Property(ctx, key, prop.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("after deletion: %v, want not found", err)
		}
		if got := listed(); len(got) != 0 {
			t.Errorf("after deletion: listed %q, want nothing", got)
		}
	})
}
