package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestPasswordFromStdin creates a user and changes its password with the
// password on standard input, never on the command line.
func TestPasswordFromStdin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	withStdin := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := runIO(context.Background(), args, getenv, strings.NewReader(stdin), &out)
		return out.String(), err
	}
	migrateDB(t, getenv)
	if _, err := withStdin("first password\n", "user", "create", "--email", "o@hotel.example"); err != nil {
		t.Fatalf("user create, password on stdin: %v", err)
	}
	if _, err := withStdin("second password\r\n", "user", "password", "--email", "o@hotel.example"); err != nil {
		t.Fatalf("user password, password on stdin: %v", err)
	}
	if _, err := withStdin("", "user", "password", "--email", "o@hotel.example"); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Errorf("no password anywhere: %v, want a 'no password' error", err)
	}
	if _, err := withStdin("short\n", "user", "password", "--email", "o@hotel.example"); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a short password on stdin: %v, want it refused", err)
	}
	base, _ := start(t, getenv, "serve")
	for _, tc := range []struct {
		password string
		want     int
	}{{"second password", 200}, {"first password", 401}} {
		if status, _ := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"`+tc.password+`"}}`); status != tc.want {
			t.Errorf("sign in with the %q: %d, want %d", tc.password, status, tc.want)
		}
	}
}

// TestHelpAndVersion checks that every command and subcommand prints its
// usage on request, with success, and that the version is printed.
func TestHelpAndVersion(t *testing.T) {
	getenv := env(nil)
	for _, args := range [][]string{
		{"help"}, {"--help"},
		{"help", "serve"}, {"help", "user"}, {"help", "user", "create"}, {"help", "org"}, {"help", "backup"},
		{"serve", "--help"}, {"demo", "--help"}, {"migrate", "--help"}, {"backup", "--help"},
		{"user", "--help"}, {"user", "help"}, {"user", "create", "--help"}, {"user", "password", "-h"},
		{"org", "--help"}, {"org", "subscription", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := cli(t, getenv, args...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("error %v, want usage", err)
			}
			if !strings.Contains(strings.ToLower(out), "usage") && !strings.Contains(out, "Commands:") {
				t.Errorf("printed %q, want a usage", out)
			}
		})
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := cli(t, getenv, args...)
		if err != nil || !strings.HasPrefix(out, "keycard ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: %q, %v; want the version and the Go release", args, out, err)
		}
	}
}

// TestStartErrors checks that a database that cannot be opened is named,
// with the reason, instead of SQLite's bare "unable to open database file".
func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("these are not the tables you are looking for"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ db, want string }{
		{filepath.Join(dir, "missing", "keycard.db"), "directory " + filepath.Join(dir, "missing") + " does not exist"},
		{filepath.Join(notDB, "keycard.db"), notDB + " is not a directory"},
		{notDB, "not an SQLite database"},
		{dir, "it is a directory"},
	} {
		_, err := cli(t, env(map[string]string{"KEYCARD_DB": tc.db}), "migrate")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.db) {
			t.Errorf("--db %s: %v; want the path and %q", tc.db, err, tc.want)
		}
	}
	_, err := cli(t, env(nil), "migrate", "--database-url", "postgres://keycard:s3cret-pw@127.0.0.1:1/none")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("unreachable PostgreSQL: %v; want the address named and the password not", err)
	}
}

// TestBackupCommand backs a database up with the CLI while a server runs
// on it, and refuses to overwrite a file.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	start(t, getenv, "serve")
	copyPath := filepath.Join(dir, "copy.db")
	if out, err := cli(t, getenv, "backup", "--to", copyPath); err != nil || !strings.Contains(out, copyPath) {
		t.Fatalf("backup: %q, %v", out, err)
	}
	if _, err := cli(t, getenv, "backup", "--to", copyPath); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup onto an existing file: %v, want it refused", err)
	}
	// The copy is a database of its own, holding the user.
	copyDB, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var n int
	if err := copyDB.QueryRow(`SELECT COUNT(*) FROM users WHERE email_key = 'o@hotel.example'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the copy holds %d users named o@hotel.example (%v), want 1", n, err)
	}
	if slices.Contains(storetest.Dialects(t), "postgres") {
		pg := storetest.Config(t, "postgres")
		if _, err := cli(t, env(nil), "backup", "--to", copyPath+"2", "--database-url", pg.PostgresURL); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("backup of PostgreSQL: %v, want it to point to pg_dump", err)
		}
	}
}

// TestAccessLog checks the JSON access line of a request made with an API
// key: its request id (the client's, echoed), route pattern, status,
// duration, client address and principal, and that the key is nowhere in
// the log.
func TestAccessLog(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, out := start(t, getenv, "serve")
	_, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	token := attr(m, "token").(string)
	_, m = call(t, "POST", base+"/api/v1/api_keys", map[string]string{"Authorization": "Bearer " + token}, `{"api_key":{"name":"PMS","access_all_properties":true}}`)
	key, keyID := attr(m, "key").(string), attr(m, "id").(string)

	req, _ := http.NewRequest("GET", base+"/api/v1/properties/", nil)
	req.Header.Set("user-api-key", key)
	req.Header.Set("X-Request-Id", "pms-req-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "pms-req-42" {
		t.Errorf("X-Request-Id answered %q, want the client's", got)
	}
	req.Header.Set("X-Request-Id", "not a sane id; "+strings.Repeat("x", 200))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	made := resp.Header.Get("X-Request-Id")
	if made == "" || strings.Contains(made, " ") {
		t.Errorf("X-Request-Id for a bad client id: %q, want a new one", made)
	}

	lines := map[string]map[string]any{}
	for line := range strings.Lines(out.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" {
			id, _ := rec["request_id"].(string)
			lines[id] = rec
		}
	}
	rec := lines["pms-req-42"]
	if rec == nil {
		t.Fatalf("no JSON access line with the request id; log:\n%s", out)
	}
	for field, want := range map[string]any{
		"level": "INFO", "method": "GET", "route": "GET /api/v1/properties", "path": "/api/v1/properties",
		"status": float64(200), "principal": "api_key", "key_id": keyID,
	} {
		if rec[field] != want {
			t.Errorf("access line %s = %v, want %v", field, rec[field], want)
		}
	}
	if took, ok := rec["took_ms"].(float64); !ok || took <= 0 {
		t.Errorf("access line took_ms = %v, want a positive number of milliseconds", rec["took_ms"])
	}
	for _, field := range []string{"client", "user_id", "time"} {
		if rec[field] == nil || rec[field] == "" {
			t.Errorf("access line has no %s: %v", field, rec)
		}
	}
	if lines[made] == nil {
		t.Errorf("no access line with the id made for the bad one (%s)", made)
	}
	if strings.Contains(out.String(), key) || strings.Contains(out.String(), token) {
		t.Errorf("a key or token is in the log")
	}
}

// TestMetrics scrapes /metrics after a scenario and finds the counters
// moved, with no key or token in any label; without --metrics-public the
// public address does not serve them.
func TestMetrics(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_KEY_RATE_LIMIT": "2"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	closed, _ := start(t, getenv, "serve")
	if status, _ := get(t, closed+"/metrics", nil); status != 404 {
		t.Errorf("/metrics without --metrics-public: %d, want 404", status)
	}
	base, _ := start(t, getenv, "serve", "--metrics-public")
	_, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	token := attr(m, "token").(string)
	// The key's name is one nothing else in /metrics could hold.
	const keyName = "Quillwort metrics probe"
	_, m = call(t, "POST", base+"/api/v1/api_keys", map[string]string{"Authorization": "Bearer " + token}, `{"api_key":{"name":"`+keyName+`","access_all_properties":true}}`)
	key, keyID, keyHint := attr(m, "key").(string), m["data"].(map[string]any)["id"].(string), attr(m, "key_hint").(string)
	// A booking waits in the feed, unacked: the feed's backlog is 1.
	owner := map[string]string{"Authorization": "Bearer " + token}
	_, m = call(t, "POST", base+"/api/v1/properties", owner, `{"property":{"title":"Hotel","currency":"EUR"}}`)
	property := attr(m, "id").(string)
	arrival := time.Now().UTC().AddDate(0, 0, 7)
	if status, _ := call(t, "POST", base+"/api/v1/bookings", owner, `{"booking":{"property_id":"`+property+`","ota_reservation_code":"M-1",
		"arrival_date":"`+arrival.Format(time.DateOnly)+`","departure_date":"`+arrival.AddDate(0, 0, 1).Format(time.DateOnly)+`","currency":"EUR",
		"rooms":[{"days":{"`+arrival.Format(time.DateOnly)+`":"90.00"},"occupancy":{"adults":2,"children":0,"infants":0}}]}}`); status != 201 {
		t.Fatalf("POST /bookings: %d", status)
	}
	for range 3 { // the third is over the key's limit of 2
		call(t, "GET", base+"/api/v1/properties", map[string]string{"user-api-key": key}, "")
	}
	call(t, "GET", base+"/api/v1/properties", map[string]string{"user-api-key": "kc_nonsense"}, "")
	get(t, base+"/sign_in", nil)

	status, body := get(t, base+"/metrics", nil)
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	for _, want := range []string{
		`keycard_http_requests_total{route="GET /api/v1/properties",status="200",surface="api"} 2`,
		`keycard_http_requests_total{route="GET /api/v1/properties",status="429",surface="api"} 1`,
		`keycard_http_requests_total{route="POST /api/v1/sign_in",status="200",surface="api"} 1`,
		`keycard_http_requests_total{route="GET /sign_in",status="200",surface="web"} 1`,
		`keycard_http_request_duration_seconds_count{route="GET /api/v1/properties",surface="api"} 4`,
		`keycard_auth_total{kind="api_key",outcome="ok"} 3`,
		`keycard_auth_total{kind="api_key",outcome="invalid"} 1`,
		`keycard_auth_total{kind="session",outcome="ok"} 3`,
		`keycard_rate_limited_total{limit="request"} 1`,
		`keycard_booking_feed_backlog 1`,
		`go_sql_open_connections{db_name="read"}`,
		`keycard_db_queue_waits_total{db_name="write"}`,
		`keycard_db_queue_wait_seconds_total{db_name="read"}`,
		`go_goroutines`,
		`keycard_answer_cache_hits_total`,
		`keycard_answer_cache_misses_total`,
		`keycard_answer_cache_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// How many look-ups hit depends on timing: creating the property
	// changes the session's reach and drops the cache, and so does the
	// once-a-second epoch poll that follows any change. At least one of
	// the key's back-to-back requests is a hit.
	if m := regexp.MustCompile(`(?m)^keycard_credential_cache_hits_total (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("/metrics: credential cache hits %v, want at least 1", m)
	}
	if strings.Contains(body, key) || strings.Contains(body, token) || strings.Contains(body, "kc_nonsense") {
		t.Errorf("/metrics holds a credential")
	}
	// Nothing per key (unbounded labels): neither the key's id, name nor
	// hint (prefix and last four), nor a label named after keys.
	last4 := key[len(key)-4:]
	for what, s := range map[string]string{"id": keyID, "name": keyName, "hint": keyHint, "last four": "…" + last4,
		"last four as a label value": `"` + last4 + `"`, "prefix and last four": tokens.KeyPrefix + "..." + last4} {
		if strings.Contains(body, s) {
			t.Errorf("/metrics holds the key's %s", what)
		}
	}
	labels := regexp.MustCompile(`[{,]([A-Za-z_][A-Za-z0-9_]*)="`).FindAllStringSubmatch(body, -1)
	if len(labels) == 0 {
		t.Errorf("/metrics: found no label to check")
	}
	for _, m := range labels {
		if strings.Contains(strings.ToLower(m[1]), "key") {
			t.Errorf("/metrics has a label %s: nothing is labelled per key", m[1])
		}
	}
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestLoginAndKeyCommands signs in with "keycard login" (email and
// password on stdin), makes a key with "keycard key create", uses it over
// HTTP as curl would, lists, shows and withdraws it with the CLI, and
// finds it refused.
func TestLoginAndKeyCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "keycard.db")
	cfgDir := filepath.Join(dir, "config")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_CONFIG_DIR": cfgDir})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	withStdin := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := runIO(context.Background(), args, getenv, strings.NewReader(stdin), &out)
		return out.String(), err
	}
	if _, err := cli(t, getenv, "key", "list"); err == nil || !strings.Contains(err.Error(), "keycard login") {
		t.Errorf("key list before login: %v, want to be sent to login", err)
	}
	if _, err := withStdin("o@hotel.example\nwrong password\n", "login", "--server", base); err == nil || err.Error() != "wrong email or password" {
		t.Errorf("login with a wrong password: %v, want \"wrong email or password\"", err)
	}
	out, err := withStdin("o@hotel.example\npassword1\n", "login", "--server", base)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	credPath := filepath.Join(cfgDir, "credentials.json")
	if fi, err := os.Stat(credPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	if strings.Contains(out, "password1") {
		t.Errorf("login printed the password")
	}

	out, err = cli(t, getenv, "key", "create", "--name", "PMS", "--all")
	if err != nil {
		t.Fatalf("key create: %v", err)
	}
	key := strings.Fields(out)[0]
	if !strings.HasPrefix(key, "kc_") || !strings.Contains(out, "not shown again") {
		t.Fatalf("key create printed no key and warning")
	}
	if status, _ := call(t, "GET", base+"/api/v1/properties/", map[string]string{"user-api-key": key}, ""); status != 200 {
		t.Fatalf("the new key: %d, want 200", status)
	}

	out, err = cli(t, getenv, "key", "list", "--json")
	var keys []client.APIKey
	if err != nil || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 1 || keys[0].Name != "PMS" || keys[0].Key != "" {
		t.Fatalf("key list --json: %v; want the one key, without its secret", err)
	}
	out, err = cli(t, getenv, "key", "list")
	if err != nil || !strings.Contains(out, "NAME") || !strings.Contains(out, "PMS") || !strings.Contains(out, "all properties") || strings.Contains(out, key) {
		t.Errorf("key list: %v; want a table without the secret", err)
	}
	if out, err := cli(t, getenv, "key", "show", keys[0].ID); err != nil || !strings.Contains(out, keys[0].KeyHint) {
		t.Errorf("key show: %v", err)
	}
	if out, err := cli(t, getenv, "key", "withdraw", keys[0].ID, "--json", "--yes"); err != nil || !strings.Contains(out, `"status":"withdrawn"`) {
		t.Errorf("key withdraw: %v", err)
	}
	if status, _ := call(t, "GET", base+"/api/v1/properties/", map[string]string{"user-api-key": key}, ""); status != 401 {
		t.Errorf("the withdrawn key: %d, want 401", status)
	}
	if _, err := cli(t, getenv, "key", "show"); err == nil {
		t.Errorf("key show without an id: no error")
	}
}

// TestCommandsNeverCreateADatabase checks that only serve, demo and
// migrate make a database: every other command, pointed at a missing or
// empty file or a PostgreSQL schema keycard never migrated, fails with
// "no keycard database" and leaves nothing behind, and a server that
// cannot have its address creates nothing either.
func TestCommandsNeverCreateADatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "copy.db")
	commands := [][]string{
		{"backup", "--to", to},
		{"user", "create", "--email", "o@hotel.example", "--password", "password1"},
		{"user", "password", "--email", "o@hotel.example", "--password", "password1"},
		{"org", "subscription", "--org", "x", "--status", "active"},
		{"org", "list"},
		{"user", "list"},
	}
	for _, db := range []string{missing, empty} {
		for _, args := range commands {
			_, err := cli(t, env(nil), append(args, "--db", db)...)
			if want := "no keycard database at " + db; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v on %s: %v, want %q", args, filepath.Base(db), err, want)
			}
		}
	}
	for _, f := range []string{missing, missing + "-wal", to} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after the refused commands (%v)", filepath.Base(f), err)
		}
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was written to: %v, %v", fi, err)
	}

	if slices.Contains(storetest.Dialects(t), "postgres") {
		pg := storetest.Config(t, "postgres") // a schema of its own, never migrated
		for _, args := range commands[1:] {
			_, err := cli(t, env(nil), append(args, "--database-url", pg.PostgresURL)...)
			if err == nil || !strings.Contains(err.Error(), "no keycard database at") {
				t.Errorf("%v on an empty PostgreSQL schema: %v, want it refused", args, err)
			}
		}
	}

	// A port already taken: serve fails before it touches the database.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, cmd := range []string{"serve", "demo"} {
		if _, err := cli(t, env(nil), cmd, "--db", missing, "--addr", taken.Addr().String()); err == nil || !strings.Contains(err.Error(), "listen on") {
			t.Errorf("%s on a taken port: %v, want a listen error", cmd, err)
		}
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s on a taken port created the database (%v)", cmd, err)
		}
	}

	// migrate makes it, and then every command works on it.
	if _, err := cli(t, env(nil), "migrate", "--db", missing); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, env(nil), "user", "create", "--email", "o@hotel.example", "--password", "password1", "--db", missing); err != nil {
		t.Errorf("user create after migrate: %v", err)
	}
}
