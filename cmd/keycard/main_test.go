package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/redistest"
	"github.com/keycard/keycard/internal/storetest"
)

// output is a goroutine-safe stdout that tells when a line matching a
// pattern has been written.
type output struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	wake chan struct{}
}

func newOutput() *output { return &output{wake: make(chan struct{}, 1)} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return n, err
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// await waits until the output matches re, or the server stops, and
// returns the first submatch.
//
// done must be buffered: the error read from it is put back, so that the
// cleanup waiting for the run to end does not hang after a failed start.
func (o *output) await(t *testing.T, re *regexp.Regexp, done chan error) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-o.wake:
		case err := <-done:
			done <- err
			t.Fatalf("keycard stopped before printing %v: %v", re, err)
		case <-timeout:
			t.Fatalf("keycard did not print %v", re)
		}
	}
}

// lifecycleURL matches the log record with msg that carries a url, in
// JSON or in text, and captures the url.
func lifecycleURL(msg string) *regexp.Regexp {
	return regexp.MustCompile(`msg"?[:=]"` + regexp.QuoteMeta(msg) + `"[ ,]"?url"?[:=]"?(http://[^\s",]+)`)
}

var listening = lifecycleURL("keycard listening")

// start runs keycard with args until the test ends, and returns its base
// URL and output.
func start(t *testing.T, getenv func(string) string, args ...string) (string, *output) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := newOutput()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenv, out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("keycard %s: %v", args[0], err)
		}
	})
	return out.await(t, listening, done), out
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// call sends a JSON request and decodes the JSON answer.
func call(t *testing.T, method, url string, header map[string]string, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, url, err)
	}
	return resp.StatusCode, m
}

func attr(m map[string]any, name string) any {
	return m["data"].(map[string]any)["attributes"].(map[string]any)[name]
}

// cli runs one keycard command to completion and returns its output.
func cli(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, getenv, &out)
	return out.String(), err
}

// migrateDB makes the database getenv names, as an operator does with
// keycard migrate before the first user create.
func migrateDB(t *testing.T, getenv func(string) string) {
	t.Helper()
	if _, err := cli(t, getenv, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// TestSeedEndToEnd walks API Key Access through the real server: an
// operator creates an owner with the CLI, the owner signs in, creates a
// restricted key, a PMS uses it, the owner withdraws it, and it stops
// working.
func TestSeedEndToEnd(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			cfg := storetest.Config(t, dialect)
			vars := map[string]string{"KEYCARD_DB": cfg.SQLitePath, "KEYCARD_DATABASE_URL": cfg.PostgresURL,
				"KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_MODE": "production", "KEYCARD_WEBHOOK_KEY_FILE": filepath.Join(t.TempDir(), "webhooks.key")}
			getenv := env(vars)

			migrateDB(t, getenv)
			out, err := cli(t, getenv, "user", "create", "--email", "owner@hotel.example", "--password", "correct horse", "--name", "Owner", "--json")
			if err != nil {
				t.Fatalf("user create: %v", err)
			}
			var ids struct{ UserID, OrganizationID string }
			if err := json.Unmarshal([]byte(strings.NewReplacer("user_id", "UserID", "organization_id", "OrganizationID").Replace(out)), &ids); err != nil || ids.OrganizationID == "" {
				t.Fatalf("user create --json printed %q", out)
			}
			if _, err := cli(t, getenv, "org", "subscription", "--org", ids.OrganizationID, "--status", "active"); err != nil {
				t.Fatalf("org subscription: %v", err)
			}

			base, _ := start(t, getenv, "serve")
			api := base + "/api/v1"
			status, m := call(t, "POST", api+"/sign_in", nil, `{"user":{"email":"owner@hotel.example","password":"correct horse"}}`)
			if status != 200 {
				t.Fatalf("sign in: %d", status)
			}
			bearer := map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}

			var props []string
			for _, title := range []string{"Lisbon Hotel", "Porto Hotel"} {
				status, m := call(t, "POST", api+"/properties", bearer, `{"property":{"title":"`+title+`","currency":"EUR"}}`)
				if status != 201 {
					t.Fatalf("create property: %d", status)
				}
				props = append(props, attr(m, "id").(string))
			}

			status, m = call(t, "POST", api+"/api_keys", bearer,
				`{"api_key":{"name":"PMS","access_all_properties":false,"property_ids":["`+props[0]+`"]}}`)
			if status != 201 {
				t.Fatalf("create key: %d", status)
			}
			keyID, key := attr(m, "id").(string), attr(m, "key").(string)
			pms := map[string]string{"user-api-key": key}

			status, m = call(t, "GET", api+"/properties/", pms, "")
			if status != 200 || len(m["data"].([]any)) != 1 || m["data"].([]any)[0].(map[string]any)["id"] != props[0] {
				t.Fatalf("GET /properties/ with the key: %d, want 200 and only the selected property", status)
			}
			if status, _ := call(t, "GET", api+"/properties/"+props[1], pms, ""); status != 404 {
				t.Errorf("the other property with the key: %d, want 404", status)
			}
			if status, _ := call(t, "POST", api+"/api_keys", pms, `{"api_key":{"name":"minted"}}`); status != 403 {
				t.Errorf("a key minting a key: %d, want 403", status)
			}

			status, m = call(t, "POST", api+"/api_keys/"+keyID+"/withdraw", bearer, "")
			if status != 200 || attr(m, "status") != "withdrawn" || attr(m, "withdrawn_at") == nil {
				t.Fatalf("withdraw: %d %v", status, attr(m, "status"))
			}
			status, m = call(t, "GET", api+"/properties/", pms, "")
			if status != 401 || m["errors"].(map[string]any)["code"] != "unauthorized" {
				t.Errorf("withdrawn key: %d, want 401 unauthorized", status)
			}
			status, m = call(t, "GET", api+"/api_keys", bearer, "")
			if status != 200 || m["meta"].(map[string]any)["total"] != float64(1) {
				t.Errorf("the withdrawn key is no longer listed: %d", status)
			}
		})
	}
}

// TestSubscriptionFromCLI checks that a subscription change made by the
// CLI, another process with its own store, reaches a running production
// server within the 5 seconds the issue allows (it polls every second).
func TestSubscriptionFromCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_MODE": "production"})
	migrateDB(t, getenv)
	out, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ids map[string]string
	json.Unmarshal([]byte(out), &ids)
	org := ids["organization_id"]
	if _, err := cli(t, getenv, "org", "subscription", "--org", org, "--status", "active"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	_, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	bearer := map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}
	status, m := call(t, "POST", base+"/api/v1/api_keys", bearer, `{"api_key":{"name":"k"}}`)
	if status != 201 {
		t.Fatalf("create key: %d", status)
	}
	pms := map[string]string{"user-api-key": attr(m, "key").(string)}
	if status, _ := call(t, "GET", base+"/api/v1/properties", pms, ""); status != 200 {
		t.Fatalf("key before: %d", status)
	}

	if _, err := cli(t, getenv, "org", "subscription", "--org", org, "--status", "inactive"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, m := call(t, "GET", base+"/api/v1/properties", pms, "")
		if status == 403 {
			if !strings.Contains(m["errors"].(map[string]any)["details"].(string), "subscription") {
				t.Errorf("403 details do not name the subscription")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server still answers %d 5 s after the CLI made the subscription inactive", status)
		}
		time.Sleep(50 * time.Millisecond) // polling the condition under test, bounded by the deadline
	}
	if status, _ := call(t, "GET", base+"/api/v1/api_keys", bearer, ""); status != 403 {
		t.Errorf("key routes with an inactive subscription: %d, want 403", status)
	}
}

func TestDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	getenv := env(map[string]string{})
	keyRe := regexp.MustCompile(`API key:\s+(kc_\w+)`)
	curlRe := regexp.MustCompile(`curl -s -H 'user-api-key: (kc_\w+)' (http://\S+)`)

	var firstKey string
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		out := newOutput()
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--db", db}, getenv, out) }()
		key := out.await(t, keyRe, done)
		m := curlRe.FindStringSubmatch(out.await(t, regexp.MustCompile(`(curl .*)`), done))
		if m == nil || m[1] != key {
			t.Fatalf("the curl line does not carry the printed key")
		}
		for _, want := range []string{"/organization/api-keys", demoEmail, demoPassword} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("demo output lacks %q", want)
			}
		}
		ui := regexp.MustCompile(`UI:\s+(\S+)`).FindStringSubmatch(out.String())
		if resp, err := http.Get(ui[1]); err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/sign_in" {
			t.Errorf("the UI address does not lead to the sign-in page: %v", err)
		} else {
			resp.Body.Close()
		}
		// The API reference is served from the binary, at /docs.
		if resp, err := http.Get(strings.Replace(m[2], "/api/v1/properties/", "/docs", 1)); err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/docs/" {
			t.Errorf("/docs does not lead to the API reference: %v", err)
		} else {
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(page), "/api/v1/openapi.json") {
				t.Errorf("/docs/ does not render the OpenAPI document")
			}
		}
		status, body := call(t, "GET", m[2], map[string]string{"user-api-key": key}, "")
		text, _ := json.Marshal(body)
		if status != 200 || !strings.Contains(string(text), "Hotel Alfama") || strings.Contains(string(text), "Hotel Baixa") {
			t.Errorf("round %d: the curl line answers %d, want 200 with Hotel Alfama only", round, status)
		}
		// The demo's properties come with room types, rate plans and ARI.
		base := strings.TrimSuffix(m[2], "/properties/")
		pms := map[string]string{"user-api-key": key}
		if status, rt := call(t, "GET", base+"/room_types", pms, ""); status != 200 || rt["meta"].(map[string]any)["total"] != float64(2) {
			t.Errorf("round %d: room types of the demo key: %d, want 200 and 2", round, status)
		}
		// Hotel Alfama's set-up: a policy, a tax set with a city tax,
		// facilities and a photo served by the demo itself; once only.
		for path, want := range map[string]string{
			"/hotel_policies": `"total":1`, "/tax_sets": `"total":1`, "/taxes?filter[type]=city_tax": `"total":1`, "/photos": `"total":1`,
		} {
			status, got := call(t, "GET", base+path, pms, "")
			text, _ := json.Marshal(got)
			if status != 200 || !strings.Contains(string(text), want) {
				t.Errorf("round %d: GET %s: %d %s, want %s", round, path, status, text, want)
			}
		}
		_, alfama := call(t, "GET", base+"/properties/"+props0(t, base, pms), pms, "")
		if a := alfama["data"].(map[string]any)["attributes"].(map[string]any); len(a["facilities"].([]any)) == 0 || a["hotel_policy_id"] == nil ||
			a["default_tax_set_id"] == nil {
			t.Errorf("round %d: Hotel Alfama lacks facilities, hotel policy or default tax set: %v", round, a)
		}
		_, photos := call(t, "GET", base+"/photos", pms, "")
		photoURL := photos["data"].([]any)[0].(map[string]any)["attributes"].(map[string]any)["url"].(string)
		_, file, _ := strings.Cut(photoURL, "/api/v1")
		if resp, err := http.Get(strings.TrimSuffix(base, "/api/v1") + "/api/v1" + file); err != nil || resp.StatusCode != 200 ||
			resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("round %d: the demo photo %s is not served: %v %v", round, file, err, resp)
		} else {
			resp.Body.Close()
		}
		today := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		status, ari := call(t, "GET", base+"/restrictions?filter[property_id]="+props0(t, base, pms)+"&filter[date]="+today+"&filter[restrictions]=rate,availability", pms, "")
		if status != 200 || len(ari["data"].(map[string]any)) == 0 {
			t.Errorf("round %d: restrictions of the demo property for %s: %d, want rates", round, today, status)
		}
		// The feed holds the one booking the demo leaves unacked, and its
		// curl line reads it.
		feed := regexp.MustCompile(`curl -s -H 'user-api-key: (kc_\w+)' (http://\S+/booking_revisions/feed)`).FindStringSubmatch(out.String())
		if feed == nil || feed[1] != key {
			t.Errorf("round %d: no curl line for the booking feed with the demo key", round)
		} else if status, fb := call(t, "GET", feed[2], pms, ""); status != 200 || fb["meta"].(map[string]any)["total"] != float64(1) {
			t.Errorf("round %d: the feed's curl line answers %d %v, want one unacked revision", round, status, fb["meta"])
		} else if a := fb["data"].([]any)[0].(map[string]any)["attributes"].(map[string]any); a["ota_reservation_code"] != "DEMO-1004" || a["status"] != "new" {
			t.Errorf("round %d: the feed's entry is %v %v, want the new booking DEMO-1004", round, a["ota_reservation_code"], a["status"])
		}
		if status, bl := call(t, "GET", base+"/bookings?filter[status]=cancelled", pms, ""); status != 200 || bl["meta"].(map[string]any)["total"] != float64(1) {
			t.Errorf("round %d: cancelled demo bookings: %d, want one", round, status)
		}
		if round == 1 {
			if key == firstKey {
				t.Errorf("the second start printed the same key")
			}
			if status, _ := call(t, "GET", m[2], map[string]string{"user-api-key": firstKey}, ""); status != 401 {
				t.Errorf("the first demo key still works after a restart: %d", status)
			}
			// The demo was seeded once: still three properties for the owner.
			_, sess := call(t, "POST", strings.Replace(m[2], "/properties/", "/sign_in", 1), nil,
				`{"user":{"email":"`+demoEmail+`","password":"`+demoPassword+`"}}`)
			_, props := call(t, "GET", m[2], map[string]string{"Authorization": "Bearer " + attr(sess, "token").(string)}, "")
			if total := props["meta"].(map[string]any)["total"]; total != float64(3) {
				t.Errorf("after a restart the owner has %v properties, want 3", total)
			}
		}
		firstKey = key
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("demo: %v", err)
		}
	}
}

func TestCLIErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "a@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{}, "no command"},
		{[]string{"launch"}, "unknown command"},
		{[]string{"user", "create", "--email", "A@hotel.example", "--password", "password1"}, "email has already been taken"},
		{[]string{"user", "create", "--email", "b@hotel.example", "--password", "short"}, "password is too short"},
		{[]string{"user", "create", "--email", "not-an-email", "--password", "password1"}, "email is invalid"},
		{[]string{"user", "password", "--email", "nobody@hotel.example", "--password", "password1"}, "no user"},
		{[]string{"org", "subscription", "--org", "nope", "--status", "active"}, "no organisation"},
		{[]string{"org", "subscription", "--org", "nope", "--status", "paid"}, "status must be active or inactive"},
		{[]string{"serve", "--mode", "chaos"}, "--mode must be staging or production"},
		{[]string{"serve", "--database-url", "mysql://x"}, "postgres://"},
		{[]string{"user", "create", "extra"}, "unexpected argument"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := cli(t, getenv, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	// A new password works; the old one no longer does.
	if _, err := cli(t, getenv, "user", "password", "--email", "A@HOTEL.example", "--password", "password2"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0"}), "serve")
	if status, _ := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"a@hotel.example","password":"password2"}}`); status != 200 {
		t.Errorf("sign in with the new password: %d", status)
	}
	if status, _ := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"a@hotel.example","password":"password1"}}`); status != 401 {
		t.Errorf("sign in with the old password: %d", status)
	}
}

func TestRateLimitFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ORG_RATE_LIMIT": "2", "KEYCARD_SIGN_IN_ACCOUNT_LIMIT": "2"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve", "--addr", "127.0.0.1:0")
	_, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	bearer := map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}
	for i, want := range []int{200, 200, 429} {
		if status, _ := call(t, "GET", base+"/api/v1/properties", bearer, ""); status != want {
			t.Errorf("request %d with KEYCARD_ORG_RATE_LIMIT=2: %d, want %d", i+1, status, want)
		}
	}
	for i, want := range []int{401, 401} {
		if status, _ := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"wrong-password"}}`); status != want {
			t.Errorf("wrong password %d with KEYCARD_SIGN_IN_ACCOUNT_LIMIT=2: %d, want %d", i+1, status, want)
		}
	}
	status, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	errs, _ := m["errors"].(map[string]any)
	if title, _ := errs["title"].(string); status != 429 || !strings.Contains(title, "paused") {
		t.Errorf("right password after 2 failures with KEYCARD_SIGN_IN_ACCOUNT_LIMIT=2: %d %q, want 429, paused", status, title)
	}
	if _, err := cli(t, getenv, "serve", "--key-rate-limit", "-1"); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := cli(t, getenv, "serve", "--sign-in-account-limit", "-1"); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative account limit: %v", err)
	}
}

// TestSharedRateLimitInRedis runs two servers on one database and one
// Redis: they share the organisation's budget.
func TestSharedRateLimitInRedis(t *testing.T) {
	redisURL := os.Getenv("KEYCARD_TEST_REDIS_URL")
	if redisURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but KEYCARD_TEST_REDIS_URL is not")
		}
		t.Skip("KEYCARD_TEST_REDIS_URL is not set")
	}
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_REDIS_URL": redisURL, "KEYCARD_ORG_RATE_LIMIT": "3"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	a, out := start(t, getenv, "serve")
	if !strings.Contains(out.String(), `"rate_limits":"in Redis"`) {
		t.Errorf("the server does not say its limits are in Redis")
	}
	b, _ := start(t, getenv, "serve")
	_, m := call(t, "POST", a+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
	bearer := map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}
	for i, base := range []string{a, b, a} {
		if status, _ := call(t, "GET", base+"/api/v1/groups", bearer, ""); status != 200 {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	if status, _ := call(t, "GET", b+"/api/v1/groups", bearer, ""); status != 429 {
		t.Errorf("4th request of the organisation, on the other server: %d, want 429", status)
	}

	if _, err := cli(t, env(map[string]string{"KEYCARD_DB": db}), "serve", "--addr", "127.0.0.1:0", "--redis-url", "redis://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("serve with an unreachable Redis: %v, want a redis error", err)
	}
}

// TestHungRedis pauses the server's Redis (SIGSTOP): requests and sign-ins
// must still be answered, limited in the process instead, and the outage
// logged once rather than per request.
func TestHungRedis(t *testing.T) {
	redis := redistest.Start(t)
	db := filepath.Join(t.TempDir(), "keycard.db")
	getenv := env(map[string]string{"KEYCARD_DB": db, "KEYCARD_ADDR": "127.0.0.1:0", "KEYCARD_REDIS_URL": redis.URL, "KEYCARD_ORG_RATE_LIMIT": "3"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, out := start(t, getenv, "serve")
	signIn := func() map[string]string {
		t.Helper()
		status, m := call(t, "POST", base+"/api/v1/sign_in", nil, `{"user":{"email":"o@hotel.example","password":"password1"}}`)
		if status != 200 {
			t.Fatalf("sign in: %d", status)
		}
		return map[string]string{"Authorization": "Bearer " + attr(m, "token").(string)}
	}
	bearer := signIn()
	if status, _ := call(t, "GET", base+"/api/v1/groups", bearer, ""); status != 200 {
		t.Fatalf("with Redis up: %d", status)
	}

	redis.Pause(t)
	signIn()
	for i := range 3 {
		if status, _ := call(t, "GET", base+"/api/v1/groups", bearer, ""); status != 200 {
			t.Fatalf("request %d with Redis hung: %d, want 200", i+1, status)
		}
	}
	if status, _ := call(t, "GET", base+"/api/v1/groups", bearer, ""); status != 429 {
		t.Errorf("4th request with Redis hung: %d, want 429 (counted in the process)", status)
	}
	if n := strings.Count(out.String(), "Redis does not answer"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", out)
	}
}

// props0 returns the id of the first property the key reaches.
func props0(t *testing.T, base string, h map[string]string) string {
	t.Helper()
	_, m := call(t, "GET", base+"/properties", h, "")
	return m["data"].([]any)[0].(map[string]any)["id"].(string)
}
