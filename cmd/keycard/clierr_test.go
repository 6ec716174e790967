package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
)

// TestCLIAPIErrorSentences holds each error code of the envelope to its
// sentence, with the details the server sent: a text appended, field
// errors as "field: message" lines.
func TestCLIAPIErrorSentences(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  *client.Error
		want string
	}{
		{"unauthorized", &client.Error{Status: 401, Code: "unauthorized"}, `the server does not know your session (it expired after 24 hours, or was never made): run "keycard login"`},
		{"forbidden", &client.Error{Status: 403, Code: "forbidden", Details: json.RawMessage(`"the organisation's subscription is not active"`)},
			"the server refused: you may not do this: the organisation's subscription is not active"},
		{"resource_not_found", &client.Error{Status: 404, Code: "resource_not_found"}, "not found: nothing with that id is yours to see (keycard key list shows your keys' ids)"},
		{"validation_error", &client.Error{Status: 422, Code: "validation_error", Details: json.RawMessage(`{"name":["can't be blank"],"expires_at":["must be in the future","is too far"]}`)},
			"the server refused the values given:\n  expires_at: must be in the future\n  expires_at: is too far\n  name: can't be blank"},
		{"http_too_many_requests", &client.Error{Status: 429, Code: "http_too_many_requests", RetryAfter: 30 * time.Second},
			"too many requests: the server asks you to wait 30s before trying again"},
		{"bad_request", &client.Error{Status: 400, Code: "bad_request", Details: json.RawMessage(`"the body is not JSON"`)},
			"the server could not read the request: the body is not JSON"},
		{"payload_too_large", &client.Error{Status: 413, Code: "payload_too_large"}, "the request is too large for the server"},
		{"internal_error", &client.Error{Status: 500, Code: "internal_error"}, "the server failed to answer (an internal error; its log says why)"},
		{"unknown code", &client.Error{Status: 502, Code: "Bad Gateway"}, "the server answered 502 Bad Gateway"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := cliAPIError(tt.err)
			if got == nil || got.Error() != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if other := errors.New("something else"); cliAPIError(other) != other {
		t.Errorf("an error not from the API is changed")
	}
}

// TestCLIErrorsFromServer runs the client-side commands against a real
// server (and against none) and reads what a person would: one sentence,
// never the envelope's JSON, never a second "keycard:" prefix.
func TestCLIErrorsFromServer(t *testing.T) {
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "config")
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(dir, "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0",
		"KEYCARD_CONFIG_DIR": cfgDir, "KEYCARD_MODE": "production"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	withStdin := func(stdin string, args ...string) error {
		t.Helper()
		var out bytes.Buffer
		return runIO(context.Background(), args, getenv, strings.NewReader(stdin), &out)
	}

	check := func(name string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error, want %q", name, want)
			return
		}
		msg := err.Error()
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: got %q, want it to contain %q", name, msg, w)
			}
		}
		if strings.HasPrefix(msg, "keycard") || strings.Contains(msg, `{"`) {
			t.Errorf("%s: got %q, want a sentence without a prefix or JSON", name, msg)
		}
	}

	check("login, wrong password", withStdin("o@hotel.example\nnot the password\n", "login", "--server", base), "wrong email or password")
	err := withStdin("o@hotel.example\n", "login", "--server", base)
	check("login, no password", err, "no password", "standard input")
	if err != nil && strings.Contains(err.Error(), "--password") {
		t.Errorf("login without a password suggests a --password flag login does not have: %q", err)
	}
	check("login, no server", withStdin("o@hotel.example\npassword1\n", "login", "--server", "http://127.0.0.1:1"),
		"cannot reach the keycard server at http://127.0.0.1:1", "connection refused", "is it running?", "--server")

	if err := withStdin("o@hotel.example\npassword1\n", "login", "--server", base); err != nil {
		t.Fatalf("login: %v", err)
	}
	// Production mode, subscription inactive: the key routes answer 403
	// with the reason.
	_, err = cli(t, getenv, "key", "list")
	check("key list, inactive subscription", err, "the server refused: you may not do this: ", "subscription")

	orgs, err := cli(t, getenv, "org", "list", "--json")
	var list []struct{ ID string }
	if err != nil || json.Unmarshal([]byte(orgs), &list) != nil || len(list) != 1 {
		t.Fatalf("org list --json: %v %s", err, orgs)
	}
	if _, err := cli(t, getenv, "org", "subscription", "--org", list[0].ID, "--status", "active"); err != nil {
		t.Fatal(err)
	}
	// The server hears of the CLI's change within a second.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := cli(t, getenv, "key", "list"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("key list 5 s after the subscription was made active: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling the condition, bounded by the deadline
	}
	_, err = cli(t, getenv, "key", "create", "--all")
	check("key create without a name", err, "the server refused the values given:\n  name: can't be blank")
	_, err = cli(t, getenv, "key", "show", "0b5c3d55-7d1c-4f7e-9d7a-3b8e0b9f4a11")
	check("key show, unknown id", err, "not found: ")

	// A session the server does not know.
	credPath := filepath.Join(cfgDir, "credentials.json")
	b, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatal(err)
	}
	var cr credentials
	json.Unmarshal(b, &cr)
	cr.Token = "not-a-session-token"
	b, _ = json.Marshal(cr)
	if err := os.WriteFile(credPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = cli(t, getenv, "key", "list")
	check("key list, unknown session", err, `run "keycard login"`)
	_, err = cli(t, getenv, "audit")
	check("audit, unknown session", err, `run "keycard login"`)
}
