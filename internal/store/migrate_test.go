package store_test

import (
	"context"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestMigrationKeyPermissions builds a database at migration 0017, before
// keys had permissions, with a full key and a read-only key written as
// keycard then wrote them, and checks that the rest of the migrations make
// the first Full and the second Read only, both in the key list and in the
// credential a request with the key gets.
func TestMigrationKeyPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		old, err := store.OpenAt(ctx, cfg, 17)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := store.Rows(ctx, old, `SELECT MAX(version) FROM schema_migrations`)
		if err != nil || len(rows) != 1 || rows[0][0] != "17" {
			old.Close()
			t.Fatalf("schema version after OpenAt 17: got %v (%v), want 17", rows, err)
		}
		org, user := keycard.NewID(), keycard.NewID()
		full, readOnly := keycard.NewID(), keycard.NewID()
		fullSecret, readOnlySecret := tokens.New(tokens.KeyPrefix), tokens.New(tokens.KeyPrefix)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO organizations (id, name, owner_user_id, created_at) VALUES (?, 'O', ?, 1)`, []any{org, user}},
			{`INSERT INTO users (id, email, email_key, organization_id, created_at) VALUES (?, 'o@x.example', 'o@x.example', ?, 1)`, []any{user, org}},
			{`INSERT INTO api_keys (id, organization_id, user_id, name, key_hash, hint, access_all_properties, status, created_at, read_only)
				VALUES (?, ?, ?, 'full', ?, ?, TRUE, 'active', 1, ?)`, []any{full, org, user, tokens.Hash(fullSecret), tokens.Hint(fullSecret), false}},
			{`INSERT INTO api_keys (id, organization_id, user_id, name, key_hash, hint, access_all_properties, status, created_at, read_only)
				VALUES (?, ?, ?, 'read only', ?, ?, TRUE, 'active', 2, ?)`, []any{readOnly, org, user, tokens.Hash(readOnlySecret), tokens.Hint(readOnlySecret), true}},
		} {
			if err := store.Exec(ctx, old, q.sql, q.args...); err != nil {
				old.Close()
				t.Fatalf("%.60s: %v", q.sql, err)
			}
		}
		old.Close()

		st := storetest.Open(t, cfg)
		p, err := st.UserPrincipal(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]keycard.Preset{full: keycard.PresetFull, readOnly: keycard.PresetReadOnly}
		secrets := map[string]string{full: fullSecret, readOnly: readOnlySecret}
		for id, preset := range want {
			k, err := st.APIKey(ctx, p, id)
			if err != nil {
				t.Fatal(err)
			}
			if k.Permissions != preset.Permissions {
				t.Errorf("key %q after migration: permissions %s, want %s (%s)", k.Name, k.Permissions, preset.Permissions, preset.Name)
			}
			c, err := st.KeyCredential(ctx, tokens.Hash(secrets[id]))
			if err != nil {
				t.Fatal(err)
			}
			if c.Principal.Permissions != preset.Permissions {
				t.Errorf("credential of key %q after migration: permissions %s, want %s (%s)", k.Name, c.Principal.Permissions, preset.Permissions, preset.Name)
			}
		}
	})
}
