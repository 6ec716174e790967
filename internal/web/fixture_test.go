package web

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// Credentials of the fixture's users.
const (
	ownerEmail     = "owner@example.com"
	ownerPassword  = "owner-password"
	memberEmail    = "member@example.com"
	memberPassword = "member-password"
	otherEmail     = "other@example.com"
	otherPassword  = "other-password"
)

// fixture is keycard as `keycard serve` runs it (the JSON API under /api/,
// /healthz and /readyz, the UI everywhere else) on a real SQLite store:
//
//   - an organisation owned by owner, with properties Alpha Hotel (p1) and
//     Bravo Hotel (p2); member is a property user of Alpha Hotel only;
//   - another organisation, owned by other, with Charlie Hotel (pOther);
//     its subscription is active when the first one's is.
type fixture struct {
	t    *testing.T
	st   *store.Store
	mode keycard.Mode
	srv  *httptest.Server
	// handler is what srv serves, for requests made without a network.
	handler http.Handler
	auth    *auth.Authenticator
	ui      *Server
	// authCfg and uiCfg are what build makes the authenticator and the UI
	// of (Auth is set by build).
	authCfg auth.Config
	uiCfg   Config

	owner, member, other *keycard.Principal
	orgID, otherOrgID    string
	p1, p2               string
	pOther               string
}

// newFixture starts the server in mode; the organisation's subscription is
// active when active is set.
func newFixture(t *testing.T, mode keycard.Mode, active bool) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.Config(t, "sqlite"))
	st.SetSubscriptionGate(mode == keycard.ModeProduction)
	f := &fixture{t: t, st: st, mode: mode}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	u, org, err := st.CreateOwner(ctx, ownerEmail, ownerPassword, "Olivia Owner")
	must(err)
	f.orgID = org.ID
	if active {
		must(st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive))
	}
	f.owner, err = st.UserPrincipal(ctx, u.ID)
	must(err)
	property := func(p *keycard.Principal, title string) string {
		prop, err := st.CreateProperty(ctx, p, &keycard.Property{Title: title, Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		must(err)
		return prop.ID
	}
	f.p1 = property(f.owner, "Alpha Hotel")
	f.p2 = property(f.owner, "Bravo Hotel")

	_, err = st.Invite(ctx, store.PropertyUsers, f.owner, f.p1, memberEmail, keycard.RoleUser, nil)
	must(err)
	must(st.SetPassword(ctx, memberEmail, memberPassword))
	mu, err := st.UserByEmail(ctx, memberEmail)
	must(err)
	f.member, err = st.UserPrincipal(ctx, mu.ID)
	must(err)

	ou, otherOrg, err := st.CreateOwner(ctx, otherEmail, otherPassword, "")
	must(err)
	f.otherOrgID = otherOrg.ID
	if active {
		must(st.SetSubscription(ctx, otherOrg.ID, keycard.SubscriptionActive))
	}
	f.other, err = st.UserPrincipal(ctx, ou.ID)
	must(err)
	f.pOther = property(f.other, "Charlie Hotel")

	log := slog.New(slog.DiscardHandler)
	f.authCfg = auth.Config{Store: st, Mode: mode, Log: log}
	f.uiCfg = Config{Store: st, Mode: mode, Log: log}
	f.build()
	// The server always serves the handler last built.
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.handler.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	return f
}

// build makes the authenticator, the API and the UI of the fixture's
// configuration, as a server start does.
func (f *fixture) build() {
	f.auth = auth.New(f.authCfg)
	apiHandler := api.New(api.Config{Store: f.st, Auth: f.auth, Mode: f.mode, Log: f.authCfg.Log})
	mux := http.NewServeMux()
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("/readyz", apiHandler)
	f.uiCfg.Auth = f.auth
	f.ui = New(f.uiCfg)
	mux.Handle("/", f.ui)
	f.handler = mux
}

// setAuth changes the authenticator's configuration and builds the
// servers anew.
func (f *fixture) setAuth(change func(c *auth.Config)) {
	change(&f.authCfg)
	f.build()
}

// setUI changes the UI's configuration and builds the servers anew.
func (f *fixture) setUI(change func(c *Config)) {
	change(&f.uiCfg)
	f.build()
}

// keys returns the keys the owner sees, newest first.
func (f *fixture) keys() []*keycard.APIKey {
	f.t.Helper()
	keys, _, err := f.st.ListAPIKeys(context.Background(), f.owner, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit})
	if err != nil {
		f.t.Fatalf("list keys: %v", err)
	}
	return keys
}

// createKey makes a key through the store and returns its id and secret.
func (f *fixture) createKey(p *keycard.Principal, name string, all bool, ids ...string) (string, string) {
	f.t.Helper()
	k, secret, err := f.st.CreateAPIKey(context.Background(), p, name, all, ids)
	if err != nil {
		f.t.Fatalf("create key: %v", err)
	}
	return k.ID, secret
}

// apiStatus calls the JSON API with a key and returns the status.
func (f *fixture) apiStatus(key, path string) int {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("user-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// client is a browser without a script engine: it keeps cookies and does
// not follow redirects, so that each answer can be checked.
type client struct {
	t    *testing.T
	f    *fixture
	http *http.Client
}

func (f *fixture) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &client{t: f.t, f: f, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.f.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the forms of the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	r := c.get(path)
	m := csrfRe.FindStringSubmatch(r.body)
	if m == nil {
		c.t.Fatalf("GET %s (status %d): no CSRF token in the page", path, r.status)
	}
	return m[1]
}

// signIn signs in through the sign-in form.
func (c *client) signIn(email, password string) {
	c.t.Helper()
	token := c.csrf(pathSignIn)
	r := c.post(pathSignIn, url.Values{"csrf_token": {token}, "email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: got status %d, want 303", email, r.status)
	}
}

// sessionToken returns the session cookie's value.
func (c *client) sessionToken() string {
	u, _ := url.Parse(c.f.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// elementText returns the text inside the element with the given id, its
// tags removed, or "" when the page has no such element.
func elementText(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	start := strings.IndexByte(rest, '>')
	end := strings.Index(rest, "</")
	if start < 0 || end < start {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(rest[start+1:end], "")))
}
