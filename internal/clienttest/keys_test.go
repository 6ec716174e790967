package clienttest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestKeyManagement edits, rolls and audits a key through the client.
func TestKeyManagement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		k, err := srv.owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "PMS", AccessAllProperties: true, ReadOnly: true,
			IPAllowlist: []string{"127.0.0.1"}, ExpiresAt: expires.In(time.FixedZone("Lisbon", 3600))})
		if err != nil || !k.ReadOnly || k.ExpiresAt == nil || !k.ExpiresAt.Equal(expires) || len(k.IPAllowlist) != 1 {
			t.Fatalf("create key: %+v, %v; want it to expire at %v", k, err, expires)
		}
		if time.Since(k.CreatedAt).Abs() > time.Hour || k.LastUsedAt != nil {
			t.Errorf("created at %v, last used %v; want about now, and never", k.CreatedAt, k.LastUsedAt)
		}
		pms := client.New(srv.url, client.WithAPIKey(k.Key))
		if _, err := pms.CreateProperty(ctx, client.NewProperty{Title: "X", Currency: "EUR"}); !client.HasCode(err, client.CodeForbidden) {
			t.Errorf("a read-only key creating a property: %v, want forbidden", err)
		}

		later := expires.AddDate(1, 0, 0)
		k2, err := srv.owner.UpdateAPIKey(ctx, k.ID, client.APIKeyChange{ExpiresAt: &later})
		if err != nil || k2.ExpiresAt == nil || !k2.ExpiresAt.Equal(later) || k2.Name != "PMS" {
			t.Fatalf("move the expiry: %+v, %v; want it to expire at %v", k2, err, later)
		}
		k2, err = srv.owner.UpdateAPIKey(ctx, k.ID, client.APIKeyChange{Name: new("PMS 2"), ReadOnly: new(false), NoExpiry: true})
		if err != nil || k2.Name != "PMS 2" || k2.ReadOnly || k2.ExpiresAt != nil || len(k2.IPAllowlist) != 1 {
			t.Fatalf("update key: %+v, %v", k2, err)
		}
		if _, err := pms.CreateProperty(ctx, client.NewProperty{Title: "X", Currency: "EUR"}); err != nil {
			t.Errorf("a writable key creating a property: %v", err)
		}

		rolled, err := srv.owner.RollAPIKey(ctx, k.ID, 0)
		if err != nil || rolled.Key == "" || rolled.Key == k.Key || rolled.ID != k.ID {
			t.Fatalf("roll: %v", err)
		}
		if _, err := pms.Property(ctx, "00000000-0000-0000-0000-000000000000"); !client.HasCode(err, client.CodeUnauthorized) {
			t.Errorf("the old secret after a roll without grace: %v, want unauthorized", err)
		}
		if _, err := srv.owner.RollAPIKey(ctx, k.ID, -1); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("roll with a negative grace: %v, want a validation error", err)
		}

		var events []string
		for e, err := range srv.owner.AuditEvents(ctx, client.ListOptions{Filters: map[string]string{"api_key_id": k.ID}}) {
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e.Event)
		}
		want := map[string]bool{"api_key.created": true, "api_key.changed": true, "api_key.rolled": true, "api_key.use_refused": true}
		for _, e := range events {
			delete(want, e)
		}
		if len(want) > 0 {
			t.Errorf("audit events %v lack %v", events, want)
		}
	})
}

// TestKeyPermissions gives a key permissions through the client, as a
// preset and as levels, and sees them answered and applied.
func TestKeyPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		k, err := srv.owner.CreateAPIKey(ctx, client.NewAPIKey{Name: "RMS", AccessAllProperties: true, Permissions: client.Preset(client.PresetRMS)})
		if err != nil || k.PermissionsPreset != client.PresetRMS || k.Permissions["restrictions"] != client.LevelWrite || k.Permissions["webhooks"] != client.LevelNone {
			t.Fatalf("create an RMS key: %+v, %v", k, err)
		}
		rms := client.New(srv.url, client.WithAPIKey(k.Key))
		_, err = rms.CreateProperty(ctx, client.NewProperty{Title: "X", Currency: "EUR"})
		if !client.HasCode(err, client.CodeForbidden) || !strings.Contains(err.Error(), "properties: write required") {
			t.Errorf("an RMS key creating a property: %v, want forbidden naming properties: write", err)
		}
		k, err = srv.owner.UpdateAPIKey(ctx, k.ID, client.APIKeyChange{Permissions: client.Levels(map[string]string{"properties": client.LevelWrite})})
		if err != nil || k.PermissionsPreset != "" || k.Permissions["properties"] != client.LevelWrite || k.Permissions["restrictions"] != client.LevelNone {
			t.Fatalf("change the permissions: %+v, %v", k, err)
		}
		if _, err := rms.CreateProperty(ctx, client.NewProperty{Title: "X", Currency: "EUR"}); err != nil {
			t.Errorf("after properties: write, creating a property: %v", err)
		}
	})
}
