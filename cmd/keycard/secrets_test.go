package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestSecretsNeverLeak runs a full scenario through the real server (keys
// made, used, rolled, misused, withdrawn; sign-ins right and wrong) and
// then looks for every secret it handled in the server's log output, its
// metrics, the audit log and the database file.
func TestSecretsNeverLeak(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_MODE": "staging"})
	password, wrongPassword := "correct horse battery", "wrong horse battery"
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "owner@hotel.example", "--password", password); err != nil {
		t.Fatalf("user create: %v", err)
	}
	base, out := start(t, getenv, "serve", "--log-level", "debug", "--metrics-public")
	api := base + "/api/v1"
	var secrets []string

	call(t, "POST", api+"/sign_in", nil, `{"user":{"email":"owner@hotel.example","password":"`+wrongPassword+`"}}`)
	status, m := call(t, "POST", api+"/sign_in", nil, `{"user":{"email":"owner@hotel.example","password":"`+password+`"}}`)
	if status != 200 {
		t.Fatalf("sign in: %d", status)
	}
	token, refresh := attr(m, "token").(string), attr(m, "refresh_token").(string)
	secrets = append(secrets, password, wrongPassword, token, refresh)
	bearer := map[string]string{"Authorization": "Bearer " + token}

	status, m = call(t, "POST", api+"/api_keys", bearer, `{"api_key":{"name":"PMS","ip_allowlist":["127.0.0.1"],"expires_at":"2030-01-01T00:00:00Z"}}`)
	if status != 201 {
		t.Fatalf("create key: %d", status)
	}
	keyID, key := attr(m, "id").(string), attr(m, "key").(string)
	status, m = call(t, "POST", api+"/api_keys", bearer, `{"api_key":{"name":"Reports","read_only":true,"ip_allowlist":["203.0.113.1"]}}`)
	if status != 201 {
		t.Fatalf("create key: %d", status)
	}
	elsewhere := attr(m, "key").(string)
	status, m = call(t, "POST", api+"/api_keys", bearer, `{"api_key":{"name":"Read only","read_only":true}}`)
	if status != 201 {
		t.Fatalf("create key: %d", status)
	}
	readOnly := attr(m, "key").(string)
	secrets = append(secrets, key, elsewhere, readOnly)

	call(t, "GET", api+"/properties", map[string]string{"user-api-key": key}, "")
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": elsewhere}, "")
	call(t, "POST", api+"/properties", map[string]string{"user-api-key": readOnly}, `{"property":{"title":"x","currency":"EUR"}}`)
	status, m = call(t, "POST", api+"/api_keys/"+keyID+"/roll", bearer, `{"api_key":{"grace_period_seconds":60}}`)
	if status != 200 {
		t.Fatalf("roll: %d", status)
	}
	rolled := attr(m, "key").(string)
	secrets = append(secrets, rolled)
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": rolled}, "")
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": key}, "")
	// Credentials where they do not belong, and mangled.
	call(t, "GET", api+"/properties", map[string]string{"Authorization": "Bearer " + rolled}, "")
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": token}, "")
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": rolled[:len(rolled)-1] + "x"}, "")
	call(t, "GET", api+"/properties?api_key="+rolled, nil, "")
	call(t, "GET", api+"/properties/"+rolled, bearer, "")
	call(t, "POST", api+"/api_keys/"+keyID+"/withdraw", bearer, "")
	call(t, "GET", api+"/properties", map[string]string{"user-api-key": rolled}, "")
	status, m = call(t, "GET", api+"/audit_events?pagination[limit]=100", bearer, "")
	if status != 200 || len(m["data"].([]any)) < 8 {
		t.Fatalf("audit events: %d, %v", status, m["meta"])
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, audit := call(t, "GET", api+"/audit_events?pagination[limit]=100", bearer, "")
	auditText := strings.ToLower(strings.Join(strings.Fields(func() string { b, _ := jsonText(audit); return b }()), ""))

	status, m = call(t, "POST", api+"/refresh_token", map[string]string{"Authorization": "Bearer " + refresh}, "")
	if status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	secrets = append(secrets, attr(m, "token").(string), attr(m, "refresh_token").(string))

	logs := out.String()
	if !strings.Contains(logs, keyID) {
		t.Fatalf("the log does not name the key by its id: the search below proves nothing")
	}
	for i, s := range secrets {
		for where, text := range map[string]string{"log": logs, "metrics": string(metrics), "audit log": auditText} {
			if strings.Contains(text, s) || (len(s) >= 40 && strings.Contains(text, s[4:24])) {
				t.Errorf("secret #%d appears in the %s", i, where)
				for _, line := range strings.Split(text, "\n") {
					if strings.Contains(line, s) {
						t.Logf("%s", strings.ReplaceAll(line, s, "[SECRET]"))
					}
				}
			}
		}
		if storetest.Contains(t, store.Config{SQLitePath: db}, s) {
			t.Errorf("secret #%d is in the database file", i)
		}
	}
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
