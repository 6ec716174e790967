package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycard/keycard/client"
)

// TestKeyRollAndAuditCommands makes a key with options, rolls it with and
// without a grace period, and reads the audit log, with the CLI.
func TestKeyRollAndAuditCommands(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(dir, "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0",
		"KEYCARD_CONFIG_DIR": filepath.Join(dir, "config")})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	var out bytes.Buffer
	if err := runIO(context.Background(), []string{"login", "--server", base}, getenv, strings.NewReader("o@hotel.example\npassword1\n"), &out); err != nil {
		t.Fatalf("login: %v", err)
	}
	text, err := cli(t, getenv, "key", "create", "--name", "PMS", "--all", "--read-only", "--ip", "127.0.0.1", "--json")
	var k client.APIKey
	if err != nil || json.Unmarshal([]byte(text), &k) != nil || !k.ReadOnly || len(k.IPAllowlist) != 1 {
		t.Fatalf("key create with options: %v %+v", err, k)
	}
	use := func(key string) int {
		status, _ := call(t, "GET", base+"/api/v1/properties/", map[string]string{"user-api-key": key}, "")
		return status
	}

	text, err = cli(t, getenv, "key", "roll", k.ID, "--grace", "3600")
	if err != nil || !strings.Contains(text, "keeps working until") {
		t.Fatalf("key roll --grace: %v", err)
	}
	second := strings.Fields(text)[0]
	if use(k.Key) != 200 || use(second) != 200 {
		t.Errorf("after a roll with grace: old %d, new %d; want both 200", use(k.Key), use(second))
	}
	text, err = cli(t, getenv, "key", "roll", k.ID, "--json")
	var rolled client.APIKey
	if err != nil || json.Unmarshal([]byte(text), &rolled) != nil || rolled.Key == "" || rolled.Key == second {
		t.Fatalf("key roll --json: %v", err)
	}
	if use(second) != 401 || use(rolled.Key) != 200 {
		t.Errorf("after a roll without grace: old %d, new %d; want 401 and 200", use(second), use(rolled.Key))
	}
	if _, err := cli(t, getenv, "key", "roll", k.ID, "--grace", "604801"); err == nil || !strings.Contains(err.Error(), "\n  grace_period_seconds: must be between 0 and 604800") {
		t.Errorf("roll with too long a grace: %v, want the field's message on a line of its own", err)
	}

	text, err = cli(t, getenv, "audit", "--key", k.ID)
	if err != nil || !strings.Contains(text, "api_key.rolled") || !strings.Contains(text, "api_key.created") || strings.Contains(text, rolled.Key) {
		t.Errorf("audit --key: %v\n%s", err, text)
	}
	text, err = cli(t, getenv, "audit", "--event", "user.signed_in", "--json")
	var events []client.AuditEvent
	if err != nil || json.Unmarshal([]byte(text), &events) != nil || len(events) != 1 || events[0].Event != "user.signed_in" {
		t.Errorf("audit --event --json: %v %s", err, text)
	}
}
