package clienttest

import (
	"context"
	"github.com/keycard/keycard/client"
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestGroups reads, renames and fills a group through the client; its
// properties come from the group's relationships.
func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		c := srv.owner
		g, err := c.CreateGroup(ctx, "Lisbon")
		if err != nil || g.Title != "Lisbon" || g.IsDefault || len(g.Properties) != 0 {
			t.Fatalf("create group: %+v, %v", g, err)
		}
		p, err := c.CreateProperty(ctx, client.NewProperty{Title: "Casa Azul", Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddPropertyToGroup(ctx, g.ID, p.ID); err != nil {
			t.Fatalf("add property: %v", err)
		}
		got, err := c.Group(ctx, g.ID)
		if err != nil || len(got.Properties) != 1 || got.Properties[0] != (client.GroupProperty{ID: p.ID, Title: "Casa Azul"}) {
			t.Errorf("group after the add: %+v, %v", got, err)
		}
		found := false
		for _, lg := range collect(t, c.Groups(ctx, client.ListOptions{})) {
			if lg.ID == g.ID {
				found = len(lg.Properties) == 1 && lg.Properties[0].ID == p.ID
			}
		}
		if !found {
			t.Errorf("the listed group does not show its property")
		}
		up, err := c.UpdateGroup(ctx, g.ID, "Lisboa")
		if err != nil || up.Title != "Lisboa" || len(up.Properties) != 1 {
			t.Errorf("rename: %+v, %v", up, err)
		}
		if _, err := c.UpdateGroup(ctx, g.ID, ""); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("blank title: %v, want validation_error", err)
		}
		if err := c.RemovePropertyFromGroup(ctx, g.ID, p.ID); err != nil {
			t.Fatalf("remove property: %v", err)
		}
		if got, err := c.Group(ctx, g.ID); err != nil || len(got.Properties) != 0 {
			t.Errorf("group after the removal: %+v, %v", got, err)
		}
		if _, err := c.Group(ctx, "00000000-0000-4000-8000-000000000000"); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("unknown group: %v, want not found", err)
		}
	})
}
