package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 30, 15, 500, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2027-06-30", time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)}, // valid through 30 June, UTC
		{"2027-12-31", time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2027-06-30T18:00:00Z", time.Date(2027, 6, 30, 18, 0, 0, 0, time.UTC)},
		{"2027-06-30T18:00:00+02:00", time.Date(2027, 6, 30, 16, 0, 0, 0, time.UTC)},
		{"30d", time.Date(2027, 1, 6, 10, 30, 15, 0, time.UTC)},
		{"12h", time.Date(2026, 12, 7, 22, 30, 15, 0, time.UTC)},
		{"90m", time.Date(2026, 12, 7, 12, 0, 15, 0, time.UTC)},
		{"1d12h", time.Date(2026, 12, 8, 22, 30, 15, 0, time.UTC)},
		{" 7d ", time.Date(2026, 12, 14, 10, 30, 15, 0, time.UTC)},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseExpiry(tt.in, now)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "tomorrow", "30", "-5d", "0d", "d", "5y", "2027-02-30", "27-06-30", "-1h"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if got, err := parseExpiry(bad, now); err == nil || !strings.Contains(err.Error(), "2027-06-30") {
				t.Errorf("got %v, %v; want an error with an example", got, err)
			}
		})
	}
}

// TestKeyCommandsOptions drives the key commands a person uses after
// creating a key: show with every option, update of each option, the
// confirmation before a withdrawal, the audit log with names and more
// than a page of it, and logout.
func TestKeyCommandsOptions(t *testing.T) {
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "config")
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(dir, "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_CONFIG_DIR": cfgDir})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	withStdin := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := runIO(context.Background(), args, getenv, strings.NewReader(stdin), &out)
		return out.String(), err
	}
	if _, err := withStdin("o@hotel.example\npassword1\n", "login", "--server", base); err != nil {
		t.Fatalf("login: %v", err)
	}
	_, sess := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	bearer := map[string]string{"Authorization": "Bearer " + attr(sess, "token").(string)}
	_, m := call(t, "POST", base+"/api/v1/properties", bearer, `{"property":{"title":"Hotel Rossio","currency":"EUR"}}`)
	propID := attr(m, "id").(string)

	out, err := cli(t, getenv, "key", "create", "--name", "PMS", "--property", propID, "--expires", "2027-06-30", "--read-only", "--ip", "203.0.113.0/24", "--json")
	var k client.APIKey
	if err != nil || json.Unmarshal([]byte(out), &k) != nil {
		t.Fatalf("key create: %v %s", err, out)
	}
	if k.ExpiresAt == nil || !k.ExpiresAt.Equal(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("--expires 2027-06-30 made expires_at %v, want 2027-07-01T00:00:00Z (valid through the 30th, UTC)", k.ExpiresAt)
	}

	out, err = cli(t, getenv, "key", "show", k.ID)
	if err != nil {
		t.Fatalf("key show: %v", err)
	}
	for _, want := range []string{"Name:", "PMS", "Status:", "active", "Key:", k.KeyHint, "Made by:", "o@hotel.example",
		"Access:", "1 property: Hotel Rossio (" + propID + ")", "Permissions:", "read_only (properties: read, inventory: read", "IP allow-list:", "203.0.113.0/24",
		"Expires:", "2027-07-01 00:00:00 UTC", "Last used:", "never", "Created:"} {
		if !strings.Contains(out, want) {
			t.Errorf("key show lacks %q:\n%s", want, out)
		}
	}

	// update: each option, and back.
	for _, tt := range []struct {
		args  []string
		check func(k client.APIKey) bool
	}{
		{[]string{"--name", "Channel manager"}, func(k client.APIKey) bool { return k.Name == "Channel manager" }},
		{[]string{"--all"}, func(k client.APIKey) bool { return k.AccessAllProperties }},
		{[]string{"--property", propID}, func(k client.APIKey) bool { return !k.AccessAllProperties && len(k.PropertyIDs) == 1 }},
		{[]string{"--no-expiry"}, func(k client.APIKey) bool { return k.ExpiresAt == nil }},
		{[]string{"--expires", "30d"}, func(k client.APIKey) bool { return k.ExpiresAt != nil }},
		{[]string{"--read-write"}, func(k client.APIKey) bool { return !k.ReadOnly }},
		{[]string{"--read-only"}, func(k client.APIKey) bool { return k.ReadOnly }},
		{[]string{"--permissions", "rms"}, func(k client.APIKey) bool { return k.PermissionsPreset == "rms" }},
		{[]string{"--permissions", "rates=write,bookings=read"}, func(k client.APIKey) bool {
			return k.PermissionsPreset == "" && k.Permissions["restrictions"] == "write" && k.Permissions["bookings"] == "read" && k.Permissions["inventory"] == "none"
		}},
		{[]string{"--permissions", "full"}, func(k client.APIKey) bool { return k.PermissionsPreset == "full" }},
		{[]string{"--no-ip-allowlist"}, func(k client.APIKey) bool { return len(k.IPAllowlist) == 0 }},
		{[]string{"--ip", "127.0.0.1", "--ip", "::1"}, func(k client.APIKey) bool { return len(k.IPAllowlist) == 2 }},
	} {
		t.Run("update "+strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := cli(t, getenv, append([]string{"key", "update", k.ID, "--json"}, tt.args...)...)
			var got client.APIKey
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || !tt.check(got) {
				t.Errorf("got %+v, %v", got, err)
			}
		})
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"key", "update", k.ID}, "nothing to change"},
		{[]string{"key", "update", k.ID, "--read-only", "--read-write"}, "not both"},
		{[]string{"key", "update", k.ID, "--permissions", "rms", "--read-only"}, "not both"},
		{[]string{"key", "update", k.ID, "--permissions", "rooms=write"}, `unknown family "rooms"`},
		{[]string{"key", "update", k.ID, "--permissions", "admin"}, "neither a preset"},
		{[]string{"key", "update", k.ID, "--all", "--property", propID}, "not both"},
		{[]string{"key", "update", k.ID, "--expires", "soon"}, "--expires"},
		{[]string{"key", "update"}, "give the key's ID"},
	} {
		if _, err := cli(t, getenv, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	if out, err := cli(t, getenv, "key", "show", "--help"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "usage: keycard key show ID") {
		t.Errorf("key show --help: %v\n%s", err, out)
	}

	// withdraw asks first; only a "y" goes ahead.
	prompt := fmt.Sprintf("Withdraw key 'Channel manager' (%s)? It stops working at once and cannot be restored. [y/N] ", k.KeyHint)
	for _, tt := range []struct{ stdin, want string }{
		{"", "no answer on standard input (give --yes"},
		{"n\n", "not confirmed"},
		{"\n", "not confirmed"},
	} {
		out, err := withStdin(tt.stdin, "key", "withdraw", k.ID)
		if err == nil || !strings.Contains(err.Error(), "is not withdrawn") || !strings.Contains(err.Error(), tt.want) || !strings.Contains(out, prompt) {
			t.Errorf("withdraw with %q on stdin: %v\n%s\nwant the prompt and %q", tt.stdin, err, out, tt.want)
		}
	}
	if out, _ := cli(t, getenv, "key", "show", k.ID); !strings.Contains(out, "active") {
		t.Fatalf("the key is not active after withdrawals refused:\n%s", out)
	}
	out, err = withStdin("y\n", "key", "withdraw", k.ID)
	if err != nil || !strings.Contains(out, "is withdrawn") || !strings.Contains(out, "Withdrawn:") {
		t.Errorf("withdraw confirmed: %v\n%s", err, out)
	}

	// More than a page of events: 120 renames of a second key.
	_, m = call(t, "POST", base+"/api/v1/api_keys", bearer, `{"api_key":{"name":"Busy"}}`)
	busy := attr(m, "id").(string)
	for i := range 120 {
		if status, _ := call(t, "PUT", base+"/api/v1/api_keys/"+busy, bearer, fmt.Sprintf(`{"api_key":{"name":"Busy %d"}}`, i)); status != 200 {
			t.Fatalf("rename %d: %d", i, status)
		}
	}
	out, err = cli(t, getenv, "audit", "--limit", "110")
	if n := strings.Count(out, "\n") - 1; err != nil || n != 110 {
		t.Errorf("audit --limit 110: %v, %d events, want 110 (two pages)", err, n)
	}
	if !strings.Contains(out, `"Busy 119"`) || !strings.Contains(out, "o@hotel.example") {
		t.Errorf("audit does not name the key and the user:\n%.600s", out)
	}
	if strings.Contains(out, busy) {
		t.Errorf("audit shows the key's id %s, want its name", busy)
	}
	out, err = cli(t, getenv, "audit", "--all", "--json")
	var events []client.AuditEvent
	if err != nil || json.Unmarshal([]byte(out), &events) != nil || len(events) < 125 {
		t.Errorf("audit --all: %v, %d events, want every one (at least 125)", err, len(events))
	}
	if _, err := cli(t, getenv, "audit", "--limit", "1001"); err == nil || !strings.Contains(err.Error(), "between 1 and 1000") {
		t.Errorf("audit --limit 1001: %v, want it refused", err)
	}

	// logout deletes the credentials, and the key commands then send to login.
	out, err = cli(t, getenv, "logout")
	if err != nil || !strings.Contains(out, "signed out of "+base) {
		t.Errorf("logout: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(cfgDir, "credentials.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the credentials file is still there after logout: %v", err)
	}
	if _, err := cli(t, getenv, "key", "list"); err == nil || !strings.Contains(err.Error(), "keycard login") {
		t.Errorf("key list after logout: %v", err)
	}
	if out, err := cli(t, getenv, "logout"); err != nil || !strings.Contains(out, "not signed in") {
		t.Errorf("logout again: %v %s", err, out)
	}
}
