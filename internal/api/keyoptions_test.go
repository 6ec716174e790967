package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/clientip"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// clockFixture is a fixture whose store and authenticator read a clock the
// test moves, and whose server trusts the proxies in 10.0.0.0/8.
func clockFixture(t *testing.T, cfg store.Config) (*fixture, *time.Time) {
	t.Helper()
	f := newFixture(t, cfg, keycard.ModeStaging)
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	f.st.SetClock(clock)
	proxies, err := clientip.Parse("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	f.apiCfg.ClientIP = proxies
	f.setAuth(func(c *auth.Config) { c.Now = clock })
	return f, &now
}

// from sends a request from the client at remote (host:port), through the
// proxies named in xff, if any, with headers h, and returns the status
// and body.
func (f *fixture) from(method, path, remote, xff string, h http.Header, body string) (int, string) {
	f.t.Helper()
	req := httptest.NewRequest(method, f.expand(path), strings.NewReader(f.expand(body)))
	req.RemoteAddr = remote
	for k, v := range h {
		req.Header[k] = v
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	req.Header.Set("User-Agent", "keycard-test/1.0")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func keyHeader(secret string) http.Header { return http.Header{"User-Api-Key": {secret}} }

func attributes(t testing.TB, body string) map[string]any {
	t.Helper()
	return decode(t, body)["data"].(map[string]any)["attributes"].(map[string]any)
}

// auditEvents returns the audit events c sees at path (with its query).
func (f *fixture) auditEvents(t *testing.T, c cred, query string) []map[string]any {
	t.Helper()
	status, body := f.do("GET", "/api/v1/audit_events"+query, c, "")
	if status != 200 {
		t.Fatalf("GET audit_events%s: %d %s", query, status, redact(f, body))
	}
	var out []map[string]any
	for _, d := range decode(t, body)["data"].([]any) {
		out = append(out, d.(map[string]any)["attributes"].(map[string]any))
	}
	return out
}

func countEvents(events []map[string]any, event, reason string) int {
	n := 0
	for _, e := range events {
		if e["event"] != event {
			continue
		}
		if reason != "" && e["details"].(map[string]any)["reason"] != reason {
			continue
		}
		n++
	}
	return n
}

func TestKeyExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		expires := now.Add(time.Hour).Format(time.RFC3339)
		id, secret := f.createKey(credOwnerA, `{"api_key":{"name":"Expiring","expires_at":"`+expires+`"}}`)
		if status, body := f.do("GET", "/api/v1/api_keys/"+id, credOwnerA, ""); status != 200 ||
			attributes(t, body)["expires_at"] != now.Add(time.Hour).Format("2006-01-02T15:04:05.000000") || attributes(t, body)["status"] != "active" {
			t.Fatalf("before expiry: %d %s", status, body)
		}
		if status, _ := f.from("GET", "/api/v1/properties", "198.51.100.1:1000", "", keyHeader(secret), ""); status != 200 {
			t.Fatalf("before expiry: status %d, want 200", status)
		}

		*now = now.Add(time.Hour)
		for range 3 {
			status, body := f.from("GET", "/api/v1/properties", "198.51.100.1:1000", "", keyHeader(secret), "")
			if status != 401 || !strings.Contains(body, "This API key has expired") {
				t.Fatalf("after expiry: %d %s, want 401 saying it expired", status, body)
			}
		}
		status, body := f.do("GET", "/api/v1/api_keys?filter[status]=expired", credOwnerA, "")
		if status != 200 || !strings.Contains(body, id) || !strings.Contains(body, `"status":"expired"`) {
			t.Errorf("expired filter: %d %s, want the key listed as expired", status, body)
		}
		if _, body := f.do("GET", "/api/v1/api_keys?filter[status]=active", credOwnerA, ""); strings.Contains(body, id) {
			t.Errorf("active filter lists the expired key")
		}
		// The expiry is recorded once, at its first refused use; the
		// refusals after it are rate-limited to one a minute.
		events := f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id)
		if n := countEvents(events, keycard.AuditExpired, ""); n != 1 {
			t.Errorf("%d expired events, want 1", n)
		}
		if n := countEvents(events, keycard.AuditUseRefused, ""); n != 0 {
			t.Errorf("%d refused-use events within the minute, want 0", n)
		}
		*now = now.Add(time.Minute)
		f.from("GET", "/api/v1/properties", "198.51.100.1:1000", "", keyHeader(secret), "")
		if n := countEvents(f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id), keycard.AuditUseRefused, keycard.RefusedExpired); n != 1 {
			t.Errorf("%d refused-use events a minute later, want 1", n)
		}

		// Extending the expiry applies on the next request.
		status, body = f.do("PUT", "/api/v1/api_keys/"+id, credOwnerA, `{"api_key":{"expires_at":null}}`)
		if status != 200 || attributes(t, body)["expires_at"] != nil || attributes(t, body)["status"] != "active" {
			t.Fatalf("clear expiry: %d %s", status, body)
		}
		if status, _ := f.from("GET", "/api/v1/properties", "198.51.100.1:1000", "", keyHeader(secret), ""); status != 200 {
			t.Errorf("after clearing the expiry: status %d, want 200", status)
		}
	})
}

func TestKeyIPAllowlist(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, _ := clockFixture(t, cfg)
		id, secret := f.createKey(credOwnerA, `{"api_key":{"name":"Office","ip_allowlist":["203.0.113.0/24"," 2001:db8::1 "]}}`)
		_, body := f.do("GET", "/api/v1/api_keys/"+id, credOwnerA, "")
		if got, _ := json.Marshal(attributes(t, body)["ip_allowlist"]); string(got) != `["203.0.113.0/24","2001:db8::1"]` {
			t.Errorf("ip_allowlist = %s", got)
		}
		for _, tc := range []struct {
			name, remote, xff string
			status            int
		}{
			{"allowed address", "203.0.113.5:4000", "", 200},
			{"allowed IPv6 address", "[2001:db8::1]:4000", "", 200},
			{"disallowed address", "198.51.100.7:4000", "", 403},
			{"allowed client through a trusted proxy", "10.0.0.2:4000", "203.0.113.5", 200},
			{"disallowed client through a trusted proxy", "10.0.0.2:4000", "198.51.100.7", 403},
			{"forged header left of a trusted proxy's hop", "10.0.0.2:4000", "203.0.113.5, 198.51.100.7", 403},
			{"forged header from an untrusted proxy", "198.51.100.7:4000", "203.0.113.5", 403},
			{"allowed address behind an untrusted proxy", "203.0.113.5:4000", "198.51.100.7", 200},
		} {
			status, body := f.from("GET", "/api/v1/properties", tc.remote, tc.xff, keyHeader(secret), "")
			if status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.status, body)
			}
			if status == 403 && !strings.Contains(body, "IP allow-list") {
				t.Errorf("%s: 403 without a clear detail: %s", tc.name, body)
			}
		}
		events := f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id+"&filter[event]=api_key.use_refused")
		if len(events) != 1 || events[0]["details"].(map[string]any)["reason"] != keycard.RefusedIP || events[0]["ip"] != "198.51.100.7" ||
			events[0]["user_agent"] != "keycard-test/1.0" {
			t.Errorf("refused-use events = %v, want one for the first wrong IP, with its address and agent", events)
		}
		// Editing the list applies on the next request.
		if status, body := f.do("PUT", "/api/v1/api_keys/"+id, credOwnerA, `{"api_key":{"ip_allowlist":["198.51.100.0/24"]}}`); status != 200 {
			t.Fatalf("edit allow-list: %d %s", status, body)
		}
		if status, _ := f.from("GET", "/api/v1/properties", "198.51.100.7:4000", "", keyHeader(secret), ""); status != 200 {
			t.Errorf("after editing the allow-list: %d, want 200", status)
		}
		if status, _ := f.from("GET", "/api/v1/properties", "203.0.113.5:4000", "", keyHeader(secret), ""); status != 403 {
			t.Errorf("old address after editing the allow-list: %d, want 403", status)
		}
	})
}

func TestReadOnlyKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, _ := clockFixture(t, cfg)
		_, secret := f.createKey(credOwnerA, `{"api_key":{"name":"Reports","read_only":true}}`)
		h := keyHeader(secret)
		if status, _ := f.from("GET", "/api/v1/properties/{p1}", "203.0.113.5:1", "", h, ""); status != 200 {
			t.Errorf("GET: %d, want 200", status)
		}
		if status, _ := f.from("HEAD", "/api/v1/properties", "203.0.113.5:1", "", h, ""); status != 200 {
			t.Errorf("HEAD: %d, want 200", status)
		}
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			path := "/api/v1/properties/{p1}"
			if m == "POST" {
				path = "/api/v1/properties"
			}
			status, body := f.from(m, path, "203.0.113.5:1", "", h, `{"property":{"title":"Changed"}}`)
			if status != 403 || !strings.Contains(body, "read-only") {
				t.Errorf("%s: %d %s, want 403 read-only", m, status, body)
			}
		}
		if _, body := f.do("GET", "/api/v1/properties/{p1}", credOwnerA, ""); strings.Contains(body, "Changed") {
			t.Errorf("a read-only key changed a property")
		}
		if n := countEvents(f.auditEvents(t, credOwnerA, "?filter[event]=api_key.use_refused"), keycard.AuditUseRefused, keycard.RefusedReadOnly); n != 1 {
			t.Errorf("%d read-only refusals in the audit log, want 1 (one a minute)", n)
		}
		// A restricted key beyond its scope is audited too.
		for range 2 {
			f.run(t, scenario{method: "POST", path: "/api/v1/properties", cred: credKeyP1, body: `{"property":{"title":"New","currency":"EUR"}}`, status: 403})
		}
		if n := countEvents(f.auditEvents(t, credOwnerA, "?filter[api_key_id]={keyP1ID}"), keycard.AuditUseRefused, keycard.RefusedOutOfScope); n != 1 {
			t.Errorf("%d out-of-scope refusals in the audit log, want 1 (one a minute)", n)
		}
	})
}

func TestRollKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		id, old := f.createKey(credOwnerA, `{"api_key":{"name":"PMS","access_all_properties":false,"property_ids":["{p1}"],"read_only":true,"ip_allowlist":["203.0.113.0/24"]}}`)
		for _, sc := range []scenario{
			{name: "no grace period", body: `{"api_key":{}}`, status: 422, want: []string{"grace_period_seconds"}},
			{name: "negative", body: `{"api_key":{"grace_period_seconds":-1}}`, status: 422, want: []string{"grace_period_seconds"}},
			{name: "over 7 days", body: `{"api_key":{"grace_period_seconds":604801}}`, status: 422, want: []string{"grace_period_seconds"}},
			{name: "not a number", body: `{"api_key":{"grace_period_seconds":"2"}}`, status: 422, want: []string{"grace_period_seconds"}},
			{name: "fraction", body: `{"api_key":{"grace_period_seconds":1.5}}`, status: 422, want: []string{"grace_period_seconds"}},
			{name: "with a key", body: `{"api_key":{"grace_period_seconds":2}}`, cred: credKeyAll, status: 403},
			{name: "another organisation's key", body: `{"api_key":{"grace_period_seconds":2}}`, cred: credOwnerB, status: 404},
		} {
			if sc.cred == "" {
				sc.cred = credOwnerA
			}
			sc.method, sc.path = "POST", "/api/v1/api_keys/"+id+"/roll"
			f.run(t, sc)
		}
		status, body := f.do("POST", "/api/v1/api_keys/"+id+"/roll", credOwnerA, `{"api_key":{"grace_period_seconds":2}}`)
		if status != 200 {
			t.Fatalf("roll: %d %s", status, redact(f, body))
		}
		a := attributes(t, body)
		fresh, _ := a["key"].(string)
		if fresh == "" || fresh == old || a["id"] != id || a["name"] != "PMS" || a["read_only"] != true ||
			a["previous_key_expires_at"] != now.Add(2*time.Second).Format("2006-01-02T15:04:05.000000") {
			t.Fatalf("roll: %s", redact(f, body))
		}
		if _, body := f.do("GET", "/api/v1/api_keys/"+id, credOwnerA, ""); strings.Contains(body, fresh) {
			t.Errorf("the new key is shown again")
		}
		from := "203.0.113.5:1"
		for name, key := range map[string]string{"old": old, "new": fresh} {
			if status, _ := f.from("GET", "/api/v1/properties/{p1}", from, "", keyHeader(key), ""); status != 200 {
				t.Errorf("%s key in the grace period: %d, want 200", name, status)
			}
			// Scope and options carry over.
			if status, _ := f.from("GET", "/api/v1/properties/{p2}", from, "", keyHeader(key), ""); status != 404 {
				t.Errorf("%s key out of scope: %d, want 404", name, status)
			}
			if status, _ := f.from("GET", "/api/v1/properties/{p1}", "198.51.100.1:1", "", keyHeader(key), ""); status != 403 {
				t.Errorf("%s key from a wrong IP: %d, want 403", name, status)
			}
		}
		*now = now.Add(2 * time.Second)
		if status, body := f.from("GET", "/api/v1/properties/{p1}", from, "", keyHeader(old), ""); status != 401 || !strings.Contains(body, "rolled") {
			t.Errorf("old key after the grace period: %d %s, want 401 saying it was rolled", status, body)
		}
		if status, _ := f.from("GET", "/api/v1/properties/{p1}", from, "", keyHeader(fresh), ""); status != 200 {
			t.Errorf("new key after the grace period: %d, want 200", status)
		}
		if events := f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id); countEvents(events, keycard.AuditUseRefused, keycard.RefusedRolled) != 1 ||
			countEvents(events, keycard.AuditExpired, "") != 0 {
			t.Errorf("the old secret's refusal: %v, want one use_refused (rolled) and no expiry", events)
		}

		// A roll with no grace period, for a leak, ends the old key at once.
		status, body = f.do("POST", "/api/v1/api_keys/"+id+"/roll", credOwnerA, `{"api_key":{"grace_period_seconds":0}}`)
		if status != 200 {
			t.Fatalf("roll 0: %d", status)
		}
		third := attributes(t, body)["key"].(string)
		if status, _ := f.from("GET", "/api/v1/properties/{p1}", from, "", keyHeader(fresh), ""); status != 401 {
			t.Errorf("rolled with 0 grace: old key %d, want 401", status)
		}
		if status, _ := f.from("GET", "/api/v1/properties/{p1}", from, "", keyHeader(third), ""); status != 200 {
			t.Errorf("rolled with 0 grace: new key %d, want 200", status)
		}
		if n := countEvents(f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id), keycard.AuditRolled, ""); n != 2 {
			t.Errorf("%d rolled events, want 2", n)
		}
		for _, s := range []string{old, fresh, third} {
			if storetest.Contains(t, cfg, s) {
				t.Errorf("a rolled key is stored in clear")
			}
		}
	})
}

func TestEditKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		id, secret := f.createKey(credOwnerA, `{"api_key":{"name":"Everything"}}`)
		h := keyHeader(secret)
		if _, body := f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", h, ""); !strings.Contains(body, f.p2) {
			t.Fatalf("all-properties key does not see P2")
		}
		// Narrow it: the next request sees P1 only.
		status, body := f.do("PUT", "/api/v1/api_keys/"+id, credOwnerA,
			`{"api_key":{"name":"Alpha only","access_all_properties":false,"property_ids":["{p1}"],"expires_at":"`+now.Add(48*time.Hour).Format(time.RFC3339)+`"}}`)
		if status != 200 {
			t.Fatalf("narrow: %d %s", status, body)
		}
		if _, body := f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", h, ""); strings.Contains(body, f.p2) || !strings.Contains(body, f.p1) {
			t.Errorf("narrowed key: %s, want P1 only", body)
		}
		events := f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id+"&filter[event]=api_key.changed")
		if len(events) != 1 {
			t.Fatalf("changed events = %v, want 1", events)
		}
		d := events[0]["details"].(map[string]any)
		for _, field := range []string{"name", "access_all_properties", "property_ids", "expires_at"} {
			if d[field] == nil {
				t.Errorf("changed event lacks %s: %v", field, d)
			}
		}
		if d["name"].(map[string]any)["from"] != "Everything" || d["name"].(map[string]any)["to"] != "Alpha only" {
			t.Errorf("name change = %v", d["name"])
		}
		if a := events[0]["actor"].(map[string]any); a["type"] != "user" || a["id"] != f.ownerA.UserID {
			t.Errorf("actor = %v, want owner A", a)
		}
		for _, sc := range []scenario{
			{name: "expiry in the past", body: `{"api_key":{"expires_at":"2001-01-01T00:00:00Z"}}`, status: 422, want: []string{"expires_at", "in the future"}},
			{name: "expiry not RFC 3339", body: `{"api_key":{"expires_at":"tomorrow"}}`, status: 422, want: []string{"expires_at"}},
			{name: "bad CIDR", body: `{"api_key":{"ip_allowlist":["10.0.0.0/33"]}}`, status: 422, want: []string{"ip_allowlist"}},
			{name: "host name", body: `{"api_key":{"ip_allowlist":["example.com"]}}`, status: 422, want: []string{"ip_allowlist"}},
			{name: "allow-list not a list", body: `{"api_key":{"ip_allowlist":"10.0.0.1"}}`, status: 422, want: []string{"ip_allowlist"}},
			{name: "read_only not a boolean", body: `{"api_key":{"read_only":"yes"}}`, status: 422, want: []string{"read_only"}},
		} {
			sc.method, sc.path, sc.cred = "PUT", "/api/v1/api_keys/"+id, credOwnerA
			f.run(t, sc)
		}
		// Nothing of a refused change was applied.
		if _, body := f.do("GET", "/api/v1/api_keys/"+id, credOwnerA, ""); !strings.Contains(body, `"ip_allowlist":[]`) {
			t.Errorf("a refused change was applied: %s", body)
		}
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
			body: `{"api_key":{"name":"x","expires_at":"2001-01-01T00:00:00Z","ip_allowlist":["nope"]}}`, status: 422, want: []string{"expires_at", "ip_allowlist"}})
	})
}

func TestAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		id, secret := f.createKey(credOwnerA, `{"api_key":{"name":"Audited"}}`)
		memID, memSecret := f.createKey(credMember, `{"api_key":{"name":"Member's","access_all_properties":false,"property_ids":["{p1}"]}}`)
		f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", keyHeader(secret), "")
		f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", keyHeader(secret), "")
		f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", keyHeader(memSecret), "")
		*now = now.Add(time.Second)
		if err := f.auth.FlushUsage(t.Context()); err != nil { // first uses are audited with the usage
			t.Fatal(err)
		}
		f.do("POST", "/api/v1/api_keys/"+id+"/withdraw", credOwnerA, "")
		*now = now.Add(time.Second)
		f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", keyHeader(secret), "")
		f.from("POST", "/api/v1/sign_in", "203.0.113.9:1", "", nil, `{"user":{"email":"owner-a@example.com","password":"wrong-password"}}`)

		events := f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+id+"&limit=100")
		for _, want := range []struct{ event, reason string }{
			{keycard.AuditCreated, ""}, {keycard.AuditFirstUsed, ""}, {keycard.AuditWithdrawn, ""},
			{keycard.AuditUseRefused, keycard.RefusedWithdrawn},
		} {
			if n := countEvents(events, want.event, want.reason); n != 1 {
				t.Errorf("%d %s %s events, want 1", n, want.event, want.reason)
			}
		}
		if events[0]["event"] != keycard.AuditUseRefused {
			t.Errorf("newest event first: got %v", events[0]["event"])
		}
		if n := len(f.auditEvents(t, credOwnerA, "?filter[event]=user.sign_in_failed")); n != 1 {
			t.Errorf("%d failed sign-ins, want 1", n)
		}
		// The owner sees the member's key's events; the member sees only
		// their own; another organisation nothing of A's.
		if n := len(f.auditEvents(t, credOwnerA, "?filter[api_key_id]="+memID)); n != 2 {
			t.Errorf("owner sees %d events of the member's key, want 2 (created, first used)", n)
		}
		if n := len(f.auditEvents(t, credMember, "?filter[api_key_id]="+id)); n != 0 {
			t.Errorf("member sees %d events of the owner's key, want 0", n)
		}
		if n := len(f.auditEvents(t, credMember, "?filter[api_key_id]="+memID)); n != 2 {
			t.Errorf("member sees %d events of their key, want 2", n)
		}
		if n := len(f.auditEvents(t, credOwnerB, "")); n != 0 {
			for _, e := range f.auditEvents(t, credOwnerB, "") {
				if e["api_key_id"] == id || e["api_key_id"] == memID {
					t.Errorf("organisation B sees A's events")
				}
			}
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/audit_events", cred: credKeyAll, status: 403})
		f.run(t, scenario{method: "GET", path: "/api/v1/audit_events?filter[occurred_at]=nope", cred: credOwnerA, status: 400, want: []string{"filter[occurred_at]"}})
		f.run(t, scenario{method: "GET", path: "/api/v1/audit_events?filter[occurred_at][gte]=2999-01-01", cred: credOwnerA, status: 200, want: []string{`"total":0`}})
		f.run(t, scenario{method: "GET", path: "/api/v1/audit_events", cred: noCred, status: 401})
		if n, err := f.st.PurgeAuditEvents(t.Context(), time.Now().Add(time.Hour)); err != nil || n == 0 {
			t.Errorf("purge: %d, %v", n, err)
		}
		if n := len(f.auditEvents(t, credOwnerA, "")); n != 0 {
			t.Errorf("%d events after a purge of everything", n)
		}
	})
}

func TestAuthFailThrottle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		f.setAuth(func(c *auth.Config) {
			c.Limiter, c.AuthFailLimit = ratelimit.NewMemory(func() time.Time { return *now }), 20
		})
		bad := "198.51.100.66:1"
		for i := 1; i <= 20; i++ {
			h := keyHeader(unknownKey)
			if i%4 == 0 {
				h = keyHeader("not-a-key")
			}
			if status, _ := f.from("GET", "/api/v1/properties", bad, "", h, ""); status != 401 {
				t.Fatalf("bad key %d: %d, want 401", i, status)
			}
		}
		if status, _ := f.from("GET", "/api/v1/properties", bad, "", keyHeader(unknownKey), ""); status != 429 {
			t.Errorf("21st bad key: %d, want 429", status)
		}
		// The address cools off for forged keys and tokens and for
		// password sign-ins...
		for _, tc := range []struct {
			name string
			h    http.Header
		}{
			{"forged key", keyHeader(unknownKey)},
			{"malformed key", keyHeader("not-a-key")},
			{"forged session token", http.Header{"Authorization": {"Bearer " + tokens.New(tokens.SessionPrefix)}}},
		} {
			status, body := f.from("GET", "/api/v1/properties", bad, "", tc.h, "")
			if status != 429 || !strings.Contains(body, "Too many failed authentications") {
				t.Errorf("%s from the throttled address: got %d %s, want 429", tc.name, status, body)
			}
		}
		if status, _ := f.from("POST", "/api/v1/sign_in", bad, "", nil, `{"user":{"email":"owner-a@example.com","password":"password-owner-a@example.com"}}`); status != 429 {
			t.Errorf("sign-in from the throttled address: %d, want 429", status)
		}
		// ...but a valid key or session token from it is served: anyone
		// behind the same NAT could otherwise stop a PMS.
		for _, tc := range []struct {
			name string
			h    http.Header
		}{
			{"valid key", keyHeader(f.keyAll)},
			{"valid session token", http.Header{"Authorization": {"Bearer " + f.tokenA}}},
		} {
			if status, _ := f.from("GET", "/api/v1/properties", bad, "", tc.h, ""); status != 200 {
				t.Errorf("%s from the throttled address: got %d, want 200", tc.name, status)
			}
		}
		// ...while a valid key from elsewhere is not slowed.
		if status, _ := f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", keyHeader(f.keyAll), ""); status != 200 {
			t.Errorf("valid key from another address: %d, want 200", status)
		}
		*now = now.Add(2 * time.Minute)
		if status, _ := f.from("GET", "/api/v1/properties", bad, "", keyHeader(f.keyAll), ""); status != 200 {
			t.Errorf("after the cool-off: %d, want 200", status)
		}
		// Wrong passwords count too.
		for i := range 21 {
			status, _ := f.from("POST", "/api/v1/sign_in", "198.51.100.77:1", "", nil, `{"user":{"email":"nobody-`+string(rune('a'+i))+`@example.com","password":"wrong-password"}}`)
			if want := map[bool]int{true: 429, false: 401}[i == 20]; status != want {
				t.Errorf("wrong password %d: %d, want %d", i+1, status, want)
			}
		}
	})
}

func TestHelpful401(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	for _, tc := range []struct {
		name   string
		h      http.Header
		detail string
	}{
		{"session token as a key", http.Header{"User-Api-Key": {f.tokenA}}, "session token"},
		{"key as a bearer token", http.Header{"Authorization": {"Bearer " + f.keyAll}}, "user-api-key header"},
		{"malformed key", http.Header{"User-Api-Key": {"kc_short"}}, "malformed"},
		{"unknown key", http.Header{"User-Api-Key": {unknownKey}}, ""},
	} {
		status, body := f.from("GET", "/api/v1/properties", "203.0.113.5:1", "", tc.h, "")
		if status != 401 {
			t.Errorf("%s: %d, want 401", tc.name, status)
		}
		if tc.detail == "" {
			if strings.Contains(body, "details") {
				t.Errorf("%s: %s, want no details that would tell an unknown key from a known one", tc.name, body)
			}
		} else if !strings.Contains(body, tc.detail) {
			t.Errorf("%s: %s, want details saying %q", tc.name, body, tc.detail)
		}
		if strings.Contains(body, f.tokenA) || strings.Contains(body, f.keyAll) {
			t.Errorf("%s: the body echoes the secret", tc.name)
		}
	}
}
