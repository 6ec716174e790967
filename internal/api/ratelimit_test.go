package api

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/storetest"
)

// limitedFixture is a fixture whose server limits requests, on a clock the
// test moves.
func limitedFixture(t *testing.T, l Limits) (*fixture, *time.Time) {
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.setAPI(func(c *Config) { c.Limits, c.Limiter = l, ratelimit.NewMemory(func() time.Time { return now }) })
	return f, &now
}

func (f *fixture) response(method, path string, c cred, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, f.expand(path), strings.NewReader(f.expand(body)))
	for k, v := range f.headers(c) {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

func TestKeyRateLimit(t *testing.T) {
	t.Parallel()
	f, now := limitedFixture(t, Limits{PerKey: 3, PerOrganization: 100})
	for i := range 3 {
		rec := f.response("GET", "/api/v1/properties", credKeyP1, "")
		if rec.Code != 200 {
			t.Fatalf("request %d: %d", i+1, rec.Code)
		}
		if got, want := rec.Header().Get("RateLimit-Remaining"), string(rune('2'-i)); got != want {
			t.Errorf("request %d: RateLimit-Remaining %q, want %q", i+1, got, want)
		}
		if rec.Header().Get("RateLimit-Limit") != "3" || rec.Header().Get("RateLimit-Reset") == "" {
			t.Errorf("request %d: RateLimit headers %v", i+1, rec.Header())
		}
	}
	rec := f.response("GET", "/api/v1/properties", credKeyP1, "")
	if rec.Code != 429 || !strings.Contains(rec.Body.String(), `"code":"http_too_many_requests"`) || !strings.Contains(rec.Body.String(), `"title":"Too Many Requests"`) {
		t.Fatalf("4th request: %d %s, want 429 http_too_many_requests", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != "20" {
		t.Errorf("Retry-After = %q, want 20 (a minute over 3 requests)", got)
	}
	// Another key of the same organisation has its own budget.
	if rec := f.response("GET", "/api/v1/properties", credKeyAll, ""); rec.Code != 200 {
		t.Errorf("another key: %d, want 200", rec.Code)
	}
	// Time heals.
	*now = now.Add(20 * time.Second)
	if rec := f.response("GET", "/api/v1/properties", credKeyP1, ""); rec.Code != 200 {
		t.Errorf("after Retry-After: %d, want 200", rec.Code)
	}
	// A failed authentication is not counted and carries no headers.
	if rec := f.response("GET", "/api/v1/properties", credWithdrawn, ""); rec.Code != 401 || rec.Header().Get("RateLimit-Limit") != "" {
		t.Errorf("withdrawn key: %d with headers %v", rec.Code, rec.Header())
	}
}

func TestOrganizationRateLimit(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{PerKey: 100, PerOrganization: 4})
	for _, c := range []cred{credKeyP1, credKeyAll, credOwnerA, credKeyP1} {
		if rec := f.response("GET", "/api/v1/properties", c, ""); rec.Code != 200 {
			t.Fatalf("%s: %d", c, rec.Code)
		}
	}
	if rec := f.response("GET", "/api/v1/groups", credOwnerA, ""); rec.Code != 429 {
		t.Errorf("5th request of the organisation: %d, want 429", rec.Code)
	}
	if rec := f.response("GET", "/api/v1/properties", credKeyOther, ""); rec.Code != 200 {
		t.Errorf("another organisation: %d, want 200", rec.Code)
	}
}

func TestLimitsOff(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{})
	for range 50 {
		rec := f.response("GET", "/api/v1/properties", credKeyP1, "")
		if rec.Code != 200 || rec.Header().Get("RateLimit-Limit") != "" {
			t.Fatalf("with limits off: %d %v", rec.Code, rec.Header())
		}
	}
}

func TestARIRateLimitPerProperty(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{PerKey: 1000, PerOrganization: 1000, ARI: 2})
	day := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	entry := func(property string) string {
		// The rate plan need not exist: the limit is charged per property
		// of every entry that decodes, before the store looks anything up.
		return `{"property_id":"` + property + `","rate_plan_id":"00000000-0000-4000-8000-000000000000","date":"` + day + `","stop_sell":true}`
	}
	postAs := func(c cred, entries ...string) *httptest.ResponseRecorder {
		return f.response("POST", "/api/v1/restrictions", c, `{"values":[`+strings.Join(entries, ",")+`]}`)
	}
	post := func(entries ...string) *httptest.ResponseRecorder { return postAs(credKeyAll, entries...) }
	// Strangers naming P1 and P2 (another organisation's key; a key
	// restricted to P1 naming P2) spend nothing of their budgets.
	for range 3 {
		if rec := postAs(credKeyOther, entry("{p1}"), entry("{p2}")); rec.Code != 200 || rec.Header().Get("RateLimit-Limit") == "2" {
			t.Fatalf("another organisation's key: %d %v, want 200 with no ARI limit charged", rec.Code, rec.Header())
		}
		if rec := postAs(credKeyP1, entry("{p2}")); rec.Code != 200 {
			t.Fatalf("a key restricted to P1, writing P2: %d, want 200 with a warning", rec.Code)
		}
	}
	for i := range 2 {
		// Two entries for P1 count once.
		if rec := post(entry("{p1}"), entry("{p2}"), entry("{p1}")); rec.Code != 200 || rec.Header().Get("RateLimit-Limit") != "2" {
			t.Fatalf("request %d: %d %v", i+1, rec.Code, rec.Header())
		}
	}
	rec := post(entry("{p1}"))
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "30" {
		t.Errorf("3rd write to P1: %d Retry-After %q, want 429 and 30", rec.Code, rec.Header().Get("Retry-After"))
	}
	// An entry that does not decode is not charged.
	if rec := post(`{"property_id":"{p1}","date":"nope"}`); rec.Code != 200 {
		t.Errorf("an invalid entry for P1: %d, want 200 with a warning", rec.Code)
	}
	// A body that is not JSON is refused before anything is counted.
	if rec := post(`x`); rec.Code != 400 {
		t.Errorf("bad body: %d, want 400", rec.Code)
	}
}

// TestARIRoutesAreLimited checks the wiring: the real ARI write routes
// count per property and per route.
func TestARIRoutesAreLimited(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{PerKey: 100, PerOrganization: 100, ARI: 1})
	status, body := f.do("POST", "/api/v1/room_types", credOwnerA,
		`{"room_type":{"property_id":"{p1}","title":"Twin","count_of_rooms":2,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`)
	if status != 201 {
		t.Fatalf("create room type: %d", status)
	}
	rt := decode(t, body)["data"].(map[string]any)["id"].(string)
	day := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	avail := `{"values":[{"property_id":"{p1}","room_type_id":"` + rt + `","date":"` + day + `","availability":1}]}`
	if rec := f.response("POST", "/api/v1/availability", credKeyP1, avail); rec.Code != 200 {
		t.Fatalf("first availability write: %d %s", rec.Code, rec.Body)
	}
	if rec := f.response("POST", "/api/v1/availability", credKeyP1, avail); rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second availability write within the minute: %d, want 429 with Retry-After", rec.Code)
	}
	// Restrictions have a budget of their own.
	restr := `{"values":[{"property_id":"{p1}","rate_plan_id":"00000000-0000-4000-8000-000000000000","date":"` + day + `","stop_sell":true}]}`
	if rec := f.response("POST", "/api/v1/restrictions", credKeyP1, restr); rec.Code != 200 {
		t.Errorf("restrictions after availability: %d, want 200", rec.Code)
	}
}

// stoppedClock is a clock that does not move: a limit's bucket never
// refills during a test, however slow the machine.
func stoppedClock() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func TestSignInLimit(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{})
	f.setAuth(func(c *auth.Config) {
		c.Limiter, c.SignInLimits = ratelimit.NewMemory(stoppedClock), auth.SignInLimits{PerEmail: 2}
	})
	attempt := func(email, password string) *httptest.ResponseRecorder {
		return f.response("POST", "/api/v1/sign_in", noCred, `{"user":{"email":"`+email+`","password":"`+password+`"}}`)
	}
	for i := range 2 {
		if rec := attempt("owner-a@example.com", "guess"); rec.Code != 401 {
			t.Fatalf("guess %d: %d, want 401", i+1, rec.Code)
		}
	}
	rec := attempt("OWNER-A@example.com", "password-owner-a@example.com")
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "sign-in attempts") {
		t.Errorf("3rd attempt, even with the right password: %d %s, want 429 with Retry-After", rec.Code, rec.Body)
	}
	if rec := attempt("owner-b@example.com", "password-owner-b@example.com"); rec.Code != 200 {
		t.Errorf("another email: %d, want 200", rec.Code)
	}
}

// TestSignInAccountLimit guesses one account's password from a new client
// address each time, through a trusted proxy: after 50 failures, the
// account's password sign-ins pause for the hour, the right password
// included, with a 429 that says so; another account, the account's key
// and its existing session keep working.
func TestSignInAccountLimit(t *testing.T) {
	t.Parallel()
	f, now := clockFixture(t, storetest.Config(t, "sqlite"))
	clock := func() time.Time { return *now }
	f.setAuth(func(c *auth.Config) {
		c.Limiter, c.SignInLimits, c.AuthFailLimit = ratelimit.NewMemory(clock), auth.SignInLimits{PerEmail: 10, PerAddress: 30, PerAccount: 50}, 20
	})
	signIn := func(client, email, password string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("POST", "/api/v1/sign_in", strings.NewReader(`{"user":{"email":"`+email+`","password":"`+password+`"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "10.0.0.1:443"
		req.Header.Set("X-Forwarded-For", client)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		return rec
	}
	client := func(i int) string { return "198.51.100." + strconv.Itoa(i+1) }
	for i := range 51 {
		want := 401
		if i == 50 {
			want = 429
		}
		if rec := signIn(client(i), "owner-a@example.com", "wrong-password"); rec.Code != want {
			t.Fatalf("wrong password %d from its own address: got %d, want %d", i+1, rec.Code, want)
		}
	}
	const paused = "Sign-ins to this account are paused after too many failed attempts"
	rec := signIn("203.0.113.50", "owner-a@example.com", "password-owner-a@example.com")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "3600" ||
		!strings.Contains(rec.Body.String(), `"code":"http_too_many_requests","title":"`+paused+`"`) {
		t.Errorf("right password for the paused account: got %d, Retry-After %q, %s; want 429, 3600 and the title %q",
			rec.Code, rec.Header().Get("Retry-After"), rec.Body, paused)
	}
	if rec := signIn("203.0.113.50", "owner-b@example.com", "password-owner-b@example.com"); rec.Code != 200 {
		t.Errorf("another account: got %d, want 200", rec.Code)
	}
	f.run(t, scenario{name: "the paused account's key", method: "GET", path: "/api/v1/properties", cred: credKeyAll, status: 200})
	f.run(t, scenario{name: "the paused account's session", method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 200})
	*now = now.Add(auth.AccountWindow)
	if rec := signIn("203.0.113.50", "owner-a@example.com", "password-owner-a@example.com"); rec.Code != 200 {
		t.Errorf("right password once the hour is up: got %d, want 200", rec.Code)
	}
}

// TestSignInLimitPerAddress checks both sign-in limits: guesses at an
// email from one address do not lock its owner out elsewhere, and one
// address cannot spray guesses across many emails.
func TestSignInLimitPerAddress(t *testing.T) {
	t.Parallel()
	f, _ := limitedFixture(t, Limits{})
	f.setAuth(func(c *auth.Config) {
		c.Limiter, c.SignInLimits = ratelimit.NewMemory(stoppedClock), auth.SignInLimits{PerEmail: 2, PerAddress: 4}
	})
	attempt := func(addr, email, password string) int {
		req := httptest.NewRequest("POST", "/api/v1/sign_in", strings.NewReader(`{"user":{"email":"`+email+`","password":"`+password+`"}}`))
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		return rec.Code
	}
	const attacker, owner, attacker6 = "203.0.113.7:4000", "198.51.100.2:5000", "[2001:db8:1:2::7]:4000"
	for i := range 2 {
		if got := attempt(attacker, "owner-a@example.com", "guess"); got != 401 {
			t.Fatalf("guess %d: %d, want 401", i+1, got)
		}
	}
	if got := attempt(attacker, "owner-a@example.com", "password-owner-a@example.com"); got != 429 {
		t.Errorf("the attacker's 3rd try at the email: %d, want 429", got)
	}
	if got := attempt(owner, "owner-a@example.com", "password-owner-a@example.com"); got != 200 {
		t.Errorf("the owner from another address: %d, want 200 (not locked out)", got)
	}
	// Successes do not count: the owner signs in again and again.
	for i := range 3 {
		if got := attempt(owner, "owner-a@example.com", "password-owner-a@example.com"); got != 200 {
			t.Errorf("the owner's sign-in %d: %d, want 200", i+2, got)
		}
	}
	// Spraying: the attacker has 2 failures; 2 more emails fill the
	// address's budget of 4, and then every email is refused from there.
	for _, email := range []string{"x1@example.com", "x2@example.com"} {
		if got := attempt(attacker, email, "guess"); got != 401 {
			t.Errorf("guess at %s: %d, want 401", email, got)
		}
	}
	if got := attempt(attacker, "owner-b@example.com", "password-owner-b@example.com"); got != 429 {
		t.Errorf("a 5th email from the spraying address: %d, want 429", got)
	}
	if got := attempt(owner, "owner-b@example.com", "password-owner-b@example.com"); got != 200 {
		t.Errorf("the same email from another address: %d, want 200", got)
	}
	// One IPv6 host holds a /64: its addresses share one budget.
	for i := range 4 {
		if got := attempt(strings.Replace(attacker6, "::7", "::"+strconv.Itoa(i+10), 1), "y"+strconv.Itoa(i)+"@example.com", "guess"); got != 401 {
			t.Errorf("IPv6 guess %d: %d, want 401", i+1, got)
		}
	}
	if got := attempt("[2001:db8:1:2::99]:1", "owner-b@example.com", "password-owner-b@example.com"); got != 429 {
		t.Errorf("another address of the same IPv6 /64: %d, want 429", got)
	}
}
