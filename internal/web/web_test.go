package web

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/tokens"
)

var keyRe = regexp.MustCompile(`value="(kc_[0-9A-Za-z]{46})"`)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	anon := f.client()

	tests := []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"sign-in page", anon, "/sign_in", http.StatusOK},
		{"redirect to sign-in", anon, "/organization/api-keys", http.StatusSeeOther},
		{"api keys page", c, "/organization/api-keys", http.StatusOK},
		{"create form", c, "/organization/api-keys/new", http.StatusOK},
		{"properties page", c, "/properties", http.StatusOK},
		{"not found", c, "/no/such/page", http.StatusNotFound},
		{"stylesheet", anon, "/static/app.css", http.StatusOK},
		{"script", anon, "/static/app.js", http.StatusOK},
		{"missing asset", anon, "/static/nope.js", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.get(tt.path)
			if r.status != tt.status {
				t.Fatalf("GET %s: got status %d, want %d", tt.path, r.status, tt.status)
			}
			for h, want := range map[string]string{
				"X-Frame-Options":        "DENY",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			csp := r.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
			if strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				if got := r.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control of a page: got %q, want no-store", got)
				}
				// The CSP forbids inline code: a page must not need any.
				for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(r.body, -1) {
					if !strings.Contains(tag, " src=") {
						t.Errorf("inline script %s", tag)
					}
				}
				if strings.Contains(r.body, " style=") || strings.Contains(r.body, "<style") || strings.Contains(r.body, " onclick=") {
					t.Error("the page has an inline style or event handler")
				}
			}
		})
	}
}

func TestStaticAssetsAreVersioned(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	page := c.get("/sign_in").body
	m := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the sign-in page links no versioned stylesheet")
	}
	r := c.get(m[1])
	if got := r.header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("Cache-Control of the current version: got %q, want immutable", got)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type: got %q, want text/css", got)
	}
	if got := c.get("/static/app.css?v=old").header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control of another version: got %q, want no-cache", got)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	tests := []struct {
		name      string
		email     string
		password  string
		status    int
		wantID    string // element holding the message
		wantText  string
		signedIn  bool
		location  string
		nextParam string
	}{
		{name: "wrong password", email: ownerEmail, password: "not-the-password", status: http.StatusUnauthorized,
			wantID: "sign-in-error", wantText: "Wrong email or password."},
		{name: "unknown email", email: "nobody@example.com", password: ownerPassword, status: http.StatusUnauthorized,
			wantID: "sign-in-error", wantText: "Wrong email or password."},
		{name: "password too long", email: ownerEmail, password: strings.Repeat("x", 200), status: http.StatusUnauthorized,
			wantID: "sign-in-error", wantText: "Wrong email or password."},
		{name: "blank email", email: " ", password: ownerPassword, status: http.StatusUnprocessableEntity,
			wantID: "email-error", wantText: "Enter your email address."},
		{name: "blank password", email: ownerEmail, status: http.StatusUnprocessableEntity,
			wantID: "password-error", wantText: "Enter your password."},
		{name: "right password", email: ownerEmail, password: ownerPassword, status: http.StatusSeeOther,
			signedIn: true, location: "/organization/api-keys"},
		{name: "email in another case", email: "OWNER@example.com", password: ownerPassword, status: http.StatusSeeOther,
			signedIn: true, location: "/organization/api-keys"},
		{name: "back to the page asked for", email: ownerEmail, password: ownerPassword, status: http.StatusSeeOther,
			signedIn: true, nextParam: "/properties", location: "/properties"},
		{name: "no open redirect", email: ownerEmail, password: ownerPassword, status: http.StatusSeeOther,
			signedIn: true, nextParam: "//evil.example/x", location: "/organization/api-keys"},
		{name: "no redirect to another scheme", email: ownerEmail, password: ownerPassword, status: http.StatusSeeOther,
			signedIn: true, nextParam: "https://evil.example/", location: "/organization/api-keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client()
			token := c.csrf("/sign_in")
			r := c.post("/sign_in", url.Values{"csrf_token": {token}, "email": {tt.email}, "password": {tt.password}, "next": {tt.nextParam}})
			if r.status != tt.status {
				t.Fatalf("got status %d, want %d", r.status, tt.status)
			}
			if got := c.sessionToken() != ""; got != tt.signedIn {
				t.Errorf("session cookie set: got %v, want %v", got, tt.signedIn)
			}
			if tt.location != "" {
				if got := r.header.Get("Location"); got != tt.location {
					t.Errorf("Location: got %q, want %q", got, tt.location)
				}
			}
			if tt.wantID != "" {
				if got := elementText(r.body, tt.wantID); got != tt.wantText {
					t.Errorf("#%s: got %q, want %q", tt.wantID, got, tt.wantText)
				}
			}
			if tt.signedIn {
				if got := c.get("/organization/api-keys").status; got != http.StatusOK {
					t.Errorf("the API keys page after signing in: got status %d, want 200", got)
				}
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			r := serveDirect(f, tls, http.MethodGet, "/sign_in", "", nil)
			csrf := cookieNamed(r, csrfCookie)
			if csrf == nil {
				t.Fatal("the sign-in page sets no CSRF cookie")
			}
			token := csrfRe.FindStringSubmatch(r.Body.String())[1]
			form := url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}
			r = serveDirect(f, tls, http.MethodPost, "/sign_in", form.Encode(), csrf)
			if r.Code != http.StatusSeeOther {
				t.Fatalf("sign in: got status %d, want 303", r.Code)
			}
			c := cookieNamed(r, sessionCookie)
			if c == nil {
				t.Fatal("no session cookie")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != tls {
				t.Errorf("session cookie: got HttpOnly=%v SameSite=%v Path=%q Secure=%v, want HttpOnly, Lax, /, Secure=%v",
					c.HttpOnly, c.SameSite, c.Path, c.Secure, tls)
			}
			if !tokens.Valid(tokens.SessionPrefix, c.Value) {
				t.Error("the session cookie does not hold a session token")
			}
			if c.MaxAge <= 0 {
				t.Errorf("session cookie Max-Age: got %d, want the session's lifetime", c.MaxAge)
			}
		})
	}
}

// serveDirect serves one request without a network, as if over TLS when
// tls is set.
func serveDirect(f *fixture, overTLS bool, method, path, body string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	if cookie != nil {
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w
}

func cookieNamed(r *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range r.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignedOutRedirects(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	for path, want := range map[string]string{
		"/":                           "/organization/api-keys",
		"/organization/api-keys":      "/sign_in?next=%2Forganization%2Fapi-keys",
		"/organization/api-keys/new":  "/sign_in?next=%2Forganization%2Fapi-keys%2Fnew",
		"/properties?page=2":          "/sign_in?next=%2Fproperties%3Fpage%3D2",
		"/organization/api-keys/x/id": "",
	} {
		r := c.get(path)
		if want == "" {
			if r.status != http.StatusNotFound {
				t.Errorf("GET %s: got status %d, want 404", path, r.status)
			}
			continue
		}
		if r.status != http.StatusSeeOther || r.header.Get("Location") != want {
			t.Errorf("GET %s: got %d to %q, want 303 to %q", path, r.status, r.header.Get("Location"), want)
		}
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(f.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: tokens.New(tokens.SessionPrefix)}})
	if r := c.get("/organization/api-keys"); r.status != http.StatusSeeOther {
		t.Errorf("with an unknown session token: got status %d, want 303", r.status)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	keyID, _ := f.createKey(f.owner, "existing", true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	token := c.csrf("/organization/api-keys")
	// Another user's valid token is still the wrong one.
	other := f.client()
	other.signIn(memberEmail, memberPassword)
	otherToken := other.csrf("/organization/api-keys")
	anonToken := f.client().csrf("/sign_in")

	create := func(token string) url.Values {
		v := url.Values{"name": {"forged"}, "access_all_properties": {"true"}}
		if token != "" {
			v.Set("csrf_token", token)
		}
		return v
	}
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header []string
	}{
		{"create without a token", "/organization/api-keys", create(""), nil},
		{"create with a wrong token", "/organization/api-keys", create("d3JvbmcgdG9rZW4"), nil},
		{"create with another user's token", "/organization/api-keys", create(otherToken), nil},
		{"create with a sign-in page's token", "/organization/api-keys", create(anonToken), nil},
		{"create from another site", "/organization/api-keys", create(token), []string{"Sec-Fetch-Site", "cross-site"}},
		{"create from another origin", "/organization/api-keys", create(token), []string{"Origin", "https://evil.example"}},
		{"withdraw without a token", "/organization/api-keys/" + keyID + "/withdraw", url.Values{}, nil},
		{"edit without a token", "/organization/api-keys/" + keyID + "/edit", url.Values{"property_ids": {f.p1}}, nil},
		{"sign out without a token", "/sign_out", url.Values{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post(tt.path, tt.form, tt.header...)
			if r.status != http.StatusForbidden {
				t.Fatalf("got status %d, want 403", r.status)
			}
			if !strings.Contains(r.body, "nothing was changed") {
				t.Error("the 403 page does not say that nothing was changed")
			}
			keys := f.keys()
			if len(keys) != 1 || keys[0].Status != keycard.KeyActive || !keys[0].AccessAllProperties {
				t.Errorf("the keys changed: got %d keys, first %s", len(keys), keys[0].Status)
			}
			if got := c.get("/organization/api-keys").status; got != http.StatusOK {
				t.Errorf("still signed in: got status %d, want 200", got)
			}
		})
	}
	t.Run("sign in without a token", func(t *testing.T) {
		anon := f.client()
		r := anon.post("/sign_in", url.Values{"email": {ownerEmail}, "password": {ownerPassword}})
		if r.status != http.StatusForbidden || anon.sessionToken() != "" {
			t.Errorf("got status %d, signed in %v; want 403, not signed in", r.status, anon.sessionToken() != "")
		}
	})
	t.Run("the right token works", func(t *testing.T) {
		r := c.post("/organization/api-keys", create(token))
		if r.status != http.StatusCreated {
			t.Errorf("got status %d, want 201", r.status)
		}
	})
}

func TestCreateKey(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	token := c.csrf("/organization/api-keys/new")
	r := c.post("/organization/api-keys", url.Values{"csrf_token": {token}, "name": {" Hotel PMS "}, "property_ids": {f.p1}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: got status %d, want 201", r.status)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control of the shown-once key: got %q, want no-store", got)
	}
	m := keyRe.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("the response shows no API key")
	}
	secret := m[1]
	if !tokens.Valid(tokens.KeyPrefix, secret) {
		t.Error("the key shown fails its checksum")
	}
	for _, want := range []string{"Copy the key and keep it in a safe place.", "It will only be shown once", "if you lose it, generate a new one", `id="copy-key"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the panel lacks %q", want)
		}
	}
	keys := f.keys()
	if len(keys) != 1 || keys[0].Name != "Hotel PMS" || keys[0].AccessAllProperties || len(keys[0].PropertyIDs) != 1 || keys[0].PropertyIDs[0] != f.p1 {
		t.Fatalf("got keys %+v, want one named Hotel PMS for Alpha Hotel only", keys)
	}
	if !regexp.MustCompile(`class="key-properties">\s*Alpha Hotel\s*<`).MatchString(r.body) {
		t.Error("the list does not show the new key's property")
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("the key on its property: got %d, want 200", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p2); got != http.StatusNotFound {
		t.Errorf("the key on another property: got %d, want 404", got)
	}
	// The key is never shown again.
	for _, path := range []string{"/organization/api-keys", "/organization/api-keys/new", "/organization/api-keys/" + keys[0].ID + "/edit", "/organization/api-keys/" + keys[0].ID + "/withdraw"} {
		page := c.get(path)
		if page.status != http.StatusOK {
			t.Errorf("GET %s: got status %d, want 200", path, page.status)
		}
		if strings.Contains(page.body, secret) {
			t.Errorf("GET %s shows the key again", path)
		}
		if !strings.Contains(page.body, keys[0].Hint) {
			t.Errorf("GET %s does not show the key's hint", path)
		}
	}
	// A key for all properties.
	r = c.post("/organization/api-keys", url.Values{"csrf_token": {token}, "name": {"Everything"}, "access_all_properties": {"true"}, "property_ids": {f.p1}})
	if r.status != http.StatusCreated {
		t.Fatalf("create for all properties: got status %d, want 201", r.status)
	}
	if k := f.keys()[0]; k.Name != "Everything" || !k.AccessAllProperties {
		t.Errorf("got key %q for all properties %v, want Everything for all", k.Name, k.AccessAllProperties)
	}
	if !strings.Contains(r.body, "All properties") {
		t.Error("the list does not say All properties")
	}
}

func TestCreateKeyValidation(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	token := c.csrf("/organization/api-keys/new")
	tests := []struct {
		name   string
		form   url.Values
		id     string // the element next to the field
		want   string
		status int
	}{
		{"empty name", url.Values{"name": {""}, "access_all_properties": {"true"}},
			"name-error", "API Key name can't be blank.", http.StatusUnprocessableEntity},
		{"blank name", url.Values{"name": {"   "}, "access_all_properties": {"true"}},
			"name-error", "API Key name can't be blank.", http.StatusUnprocessableEntity},
		{"name too long", url.Values{"name": {strings.Repeat("n", 101)}, "access_all_properties": {"true"}},
			"name-error", "API Key name is too long (maximum is 100 characters).", http.StatusUnprocessableEntity},
		{"restricted with no property", url.Values{"name": {"PMS"}},
			"property-error", "Select at least one property, or give access to all properties.", http.StatusUnprocessableEntity},
		{"a property of another organisation", url.Values{"name": {"PMS"}, "property_ids": {f.pOther}},
			"property-error", "Contains properties you do not have access to.", http.StatusUnprocessableEntity},
		{"not a property id", url.Values{"name": {"PMS"}, "property_ids": {"../../etc"}},
			"property-error", "Must be a list of property ids.", http.StatusUnprocessableEntity},
		{"a checkbox value no browser sends", url.Values{"name": {"PMS"}, "access_all_properties": {"maybe"}},
			"create-form", "", http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf_token", token)
			r := c.post("/organization/api-keys", tt.form)
			if r.status != tt.status {
				t.Fatalf("got status %d, want %d", r.status, tt.status)
			}
			if tt.want != "" {
				if got := elementText(r.body, tt.id); got != tt.want {
					t.Errorf("#%s: got %q, want %q", tt.id, got, tt.want)
				}
			} else if !strings.Contains(r.body, `role="alert">The box “Access to all properties” must be ticked or not ticked.<`) {
				t.Error("no message shown for the checkbox")
			}
			if !strings.Contains(r.body, `id="create-form"`) {
				t.Error("the form is not shown again")
			}
			if keyRe.MatchString(r.body) {
				t.Error("a key is shown")
			}
			if n := len(f.keys()); n != 0 {
				t.Errorf("got %d keys, want none created", n)
			}
		})
	}
	t.Run("the form keeps what was typed", func(t *testing.T) {
		r := c.post("/organization/api-keys", url.Values{"csrf_token": {token}, "name": {"My <PMS>"}, "property_ids": {f.pOther}})
		if !strings.Contains(r.body, `value="My &lt;PMS&gt;"`) {
			t.Error("the name field lost its value")
		}
		if strings.Contains(r.body, `id="all" name="access_all_properties" value="true" checked`) {
			t.Error("the all-properties box is ticked again")
		}
	})
}

func TestGate(t *testing.T) {
	tests := []struct {
		name         string
		mode         keycard.Mode
		active       bool
		email        string
		password     string
		status       int
		owner, inact bool // the explanations wanted
	}{
		{"production, owner, active", keycard.ModeProduction, true, ownerEmail, ownerPassword, http.StatusOK, false, false},
		{"production, not the owner", keycard.ModeProduction, true, memberEmail, memberPassword, http.StatusForbidden, true, false},
		{"production, inactive subscription", keycard.ModeProduction, false, ownerEmail, ownerPassword, http.StatusForbidden, false, true},
		{"production, not the owner, inactive", keycard.ModeProduction, false, memberEmail, memberPassword, http.StatusForbidden, true, true},
		{"staging, not the owner, inactive", keycard.ModeStaging, false, memberEmail, memberPassword, http.StatusOK, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.mode, tt.active)
			c := f.client()
			c.signIn(tt.email, tt.password)
			token := c.csrf("/properties")
			r := c.get("/organization/api-keys")
			if r.status != tt.status {
				t.Fatalf("got status %d, want %d", r.status, tt.status)
			}
			gated := tt.owner || tt.inact
			if got := strings.Contains(r.body, `id="api-keys-gate"`); got != gated {
				t.Errorf("gate shown: got %v, want %v", got, gated)
			}
			if got := strings.Contains(r.body, `id="create-key"`); got == gated {
				t.Errorf("create button shown: got %v, want %v", got, !gated)
			}
			if got := elementText(r.body, "gate-owner"); (got != "") != tt.owner || tt.owner && !strings.Contains(got, "You are not the billing account owner") {
				t.Errorf("owner explanation: got %q, want it %v", got, tt.owner)
			}
			if got := elementText(r.body, "gate-subscription"); (got != "") != tt.inact || tt.inact && !strings.Contains(got, "has no active subscription") {
				t.Errorf("subscription explanation: got %q, want it %v", got, tt.inact)
			}
			// It says who can activate the subscription, and how.
			if got := strings.Contains(r.body, "The operator who runs this keycard server activates it, with <code>keycard org subscription"); got != tt.inact {
				t.Errorf("who activates the subscription: said %v, want %v", got, tt.inact)
			}
			// Every key route is gated, not only the list.
			for _, path := range []string{"/organization/api-keys/new"} {
				if got := c.get(path).status; got != tt.status {
					t.Errorf("GET %s: got status %d, want %d", path, got, tt.status)
				}
			}
			r = c.post("/organization/api-keys", url.Values{"csrf_token": {token}, "name": {"gated"}, "access_all_properties": {"true"}})
			want := http.StatusCreated
			if gated {
				want = http.StatusForbidden
			}
			if r.status != want {
				t.Errorf("create: got status %d, want %d", r.status, want)
			}
			if gated && len(f.keys()) != 0 {
				t.Error("a gated user created a key")
			}
		})
	}

	t.Run("a subscription activated meanwhile", func(t *testing.T) {
		f := newFixture(t, keycard.ModeProduction, false)
		c := f.client()
		c.signIn(ownerEmail, ownerPassword)
		if got := c.get("/organization/api-keys").status; got != http.StatusForbidden {
			t.Fatalf("before: got status %d, want 403", got)
		}
		if err := f.st.SetSubscription(context.Background(), f.orgID, keycard.SubscriptionActive); err != nil {
			t.Fatal(err)
		}
		r := c.get("/organization/api-keys")
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="create-key"`) {
			t.Errorf("after, same session: got status %d, create button %v; want 200 with it", r.status, strings.Contains(r.body, `id="create-key"`))
		}
	})
}

func TestEditProperties(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	id, secret := f.createKey(f.owner, "PMS", false, f.p1)
	allID, _ := f.createKey(f.owner, "All", true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)

	list := c.get("/organization/api-keys").body
	if !strings.Contains(list, "/organization/api-keys/"+id+"/edit") {
		t.Error("a restricted key has no Edit action")
	}
	// A key for all properties can be narrowed too.
	if !strings.Contains(list, "/organization/api-keys/"+allID+"/edit") {
		t.Error("a key for all properties has no Edit action")
	}
	edit := c.get("/organization/api-keys/" + id + "/edit")
	if edit.status != http.StatusOK || !strings.Contains(edit.body, `value="`+f.p1+`" checked`) {
		t.Fatalf("edit page: got status %d; want 200 with Alpha Hotel ticked", edit.status)
	}
	token := csrfRe.FindStringSubmatch(edit.body)[1]

	r := c.post("/organization/api-keys/"+id+"/edit", url.Values{"csrf_token": {token}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("no property: got status %d, want 422", r.status)
	}
	if got := elementText(r.body, "property-error"); got != "Select at least one property, or give access to all properties." {
		t.Errorf("no property: got message %q", got)
	}

	r = c.post("/organization/api-keys/"+id+"/edit", url.Values{"csrf_token": {token}, "property_ids": {f.p2}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: got status %d, want 303", r.status)
	}
	page := c.get(r.header.Get("Location"))
	if got := elementText(page.body, "notice"); !strings.Contains(got, "was saved") {
		t.Errorf("notice: got %q", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p2); got != http.StatusOK {
		t.Errorf("the key on its new property: got %d, want 200", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusNotFound {
		t.Errorf("the key on its old property: got %d, want 404", got)
	}
}

func TestWithdrawWithoutScript(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	id, secret := f.createKey(f.owner, "PMS", true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)

	confirm := c.get("/organization/api-keys/" + id + "/withdraw")
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `action="/organization/api-keys/`+id+`/withdraw"`) {
		t.Fatalf("confirmation page: got status %d; want 200 with the form", confirm.status)
	}
	if f.keys()[0].Status != keycard.KeyActive {
		t.Fatal("the confirmation page withdrew the key")
	}
	token := csrfRe.FindStringSubmatch(confirm.body)[1]
	r := c.post("/organization/api-keys/"+id+"/withdraw", url.Values{"csrf_token": {token}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("withdraw: got status %d, want 303", r.status)
	}
	list := c.get(r.header.Get("Location"))
	if got := elementText(list.body, "notice"); !strings.Contains(got, "was withdrawn") {
		t.Errorf("notice: got %q", got)
	}
	if !strings.Contains(list.body, `data-status="withdrawn"`) || !strings.Contains(list.body, "Withdrawn") {
		t.Error("the list does not show the key withdrawn")
	}
	if k := f.keys()[0]; k.Status != keycard.KeyWithdrawn || k.WithdrawnAt == nil {
		t.Errorf("got status %s, want withdrawn with its time", k.Status)
	}
	if got := f.apiStatus(secret, "/api/v1/properties"); got != http.StatusUnauthorized {
		t.Errorf("the withdrawn key: got %d, want 401", got)
	}
	if got := c.get("/organization/api-keys/" + id + "/edit").status; got != http.StatusUnprocessableEntity {
		t.Errorf("the edit page of a withdrawn key: got status %d, want 422", got)
	}
	r = c.post("/organization/api-keys/"+id+"/edit", url.Values{"csrf_token": {token}, "property_ids": {f.p1}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "A withdrawn key cannot be changed.") {
		t.Errorf("editing a withdrawn key: got status %d; want 422 saying it cannot be changed", r.status)
	}
	if k := f.keys()[0]; !k.AccessAllProperties {
		t.Error("a withdrawn key was changed")
	}
}

func TestSignOut(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	session := c.sessionToken()
	token := c.csrf("/organization/api-keys")
	r := c.post("/sign_out", url.Values{"csrf_token": {token}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/sign_in" {
		t.Fatalf("sign out: got %d to %q, want 303 to /sign_in", r.status, r.header.Get("Location"))
	}
	if c.sessionToken() != "" {
		t.Error("the session cookie is still set")
	}
	// The session ended on the server: the old token works nowhere.
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/properties", nil)
	req.Header.Set("Authorization", "Bearer "+session)
	if got := c.do(req).status; got != http.StatusUnauthorized {
		t.Errorf("the API with the old session: got %d, want 401", got)
	}
	u, _ := url.Parse(f.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: session, Path: "/"}})
	if r := c.get("/organization/api-keys"); r.status != http.StatusSeeOther {
		t.Errorf("the UI with the old session cookie: got %d, want 303 to sign in", r.status)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ownerKey, _ := f.createKey(f.owner, "owner's", true)
	c := f.client()
	c.signIn(memberEmail, memberPassword)
	token := c.csrf("/organization/api-keys")

	gets := []struct {
		path   string
		status int
	}{
		{"/organization/api-keys?page=abc", http.StatusOK},
		{"/organization/api-keys?page=-3", http.StatusOK},
		{"/organization/api-keys?page=99999999999999999999", http.StatusOK},
		{"/organization/api-keys?withdrawn=nonsense", http.StatusOK},
		{"/organization/api-keys/not-an-id/edit", http.StatusNotFound},
		{"/organization/api-keys/" + keycard.NewID() + "/withdraw", http.StatusNotFound},
		// Another user's key is answered as one that does not exist.
		{"/organization/api-keys/" + ownerKey + "/edit", http.StatusNotFound},
		{"/properties?page=0", http.StatusOK},
	}
	for _, tt := range gets {
		if got := c.get(tt.path).status; got != tt.status {
			t.Errorf("GET %s: got status %d, want %d", tt.path, got, tt.status)
		}
	}

	raw := func(path, body string) int {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return c.do(req).status
	}
	posts := []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"broken encoding", "/organization/api-keys", "csrf_token=" + token + "&name=%zz", http.StatusBadRequest},
		{"too large", "/organization/api-keys", "csrf_token=" + token + "&name=" + strings.Repeat("a", maxFormBytes+10), http.StatusRequestEntityTooLarge},
		{"unknown key", "/organization/api-keys/" + keycard.NewID() + "/withdraw", "csrf_token=" + token, http.StatusNotFound},
		{"another user's key", "/organization/api-keys/" + ownerKey + "/withdraw", "csrf_token=" + token, http.StatusNotFound},
		{"edit an unknown key", "/organization/api-keys/nope/edit", "csrf_token=" + token + "&property_ids=" + f.p1, http.StatusNotFound},
	}
	for _, tt := range posts {
		if got := raw(tt.path, tt.body); got != tt.status {
			t.Errorf("%s: got status %d, want %d", tt.name, got, tt.status)
		}
	}
	if k := f.keys(); len(k) != 1 || k[0].Status != keycard.KeyActive {
		t.Error("bad input changed the keys")
	}
}

func TestPropertiesPage(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	for _, tt := range []struct {
		email, password string
		want, notWant   []string
	}{
		{ownerEmail, ownerPassword, []string{"Alpha Hotel", "Bravo Hotel", f.p1}, []string{"Charlie Hotel"}},
		{memberEmail, memberPassword, []string{"Alpha Hotel"}, []string{"Bravo Hotel", "Charlie Hotel"}},
	} {
		c := f.client()
		c.signIn(tt.email, tt.password)
		r := c.get("/properties")
		if r.status != http.StatusOK {
			t.Fatalf("%s: got status %d, want 200", tt.email, r.status)
		}
		for _, s := range tt.want {
			if !strings.Contains(r.body, s) {
				t.Errorf("%s: the page lacks %q", tt.email, s)
			}
		}
		for _, s := range tt.notWant {
			if strings.Contains(r.body, s) {
				t.Errorf("%s: the page shows %q", tt.email, s)
			}
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/organization/api-keys",
		"/properties":             "/properties",
		"/properties?page=2":      "/properties?page=2",
		"//evil.example":          "/organization/api-keys",
		`/\evil.example`:          "/organization/api-keys",
		"https://evil.example/":   "/organization/api-keys",
		"javascript:alert(1)":     "/organization/api-keys",
		"relative/path":           "/organization/api-keys",
		"/%zz":                    "/organization/api-keys",
		"http:/organization/keys": "/organization/api-keys",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q): got %q, want %q", in, got, want)
		}
	}
}

// TestOwnerSeesWhoMadeAKey checks that the billing owner, who sees every
// key of the organisation, sees who made the ones that are not theirs.
// TestOwnerSeesWhoMadeAKey checks the list's "Created by" column: there
// when someone other than the viewer made a key of it, saying who; absent
// when the viewer made them all.
func TestOwnerSeesWhoMadeAKey(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ownerKey, _ := f.createKey(f.owner, "Owner's PMS", true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	if page := c.get("/organization/api-keys").body; strings.Contains(page, "Created by") {
		t.Error("the list has a Created by column while the viewer made every key")
	}
	memberKey, _ := f.createKey(f.member, "Member's PMS", true)
	page := c.get("/organization/api-keys").body
	if !strings.Contains(page, `<th scope="col">Created by</th>`) {
		t.Fatal("the list has no Created by column while two people made keys")
	}
	for _, tt := range []struct{ key, want string }{{memberKey, memberEmail}, {ownerKey, "you"}} {
		if got := cellText(keyRowHTML(page, tt.key), "key-maker"); got != tt.want {
			t.Errorf("Created by: got %q, want %q", got, tt.want)
		}
	}
}

// cellText returns the text of the first element of class in row, its tags
// removed.
func cellText(row, class string) string {
	i := strings.Index(row, `class="`+class+`"`)
	if i < 0 {
		return ""
	}
	rest := row[i:]
	start, end := strings.IndexByte(rest, '>'), strings.Index(rest, "</td>")
	if start < 0 || end < start {
		return ""
	}
	return strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(rest[start+1:end], ""))
}

// stoppedClock is a clock that does not move: a limit's bucket never
// refills during a test, however slow the machine.
func stoppedClock() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func TestSignInLimit(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	f.setAuth(func(c *auth.Config) {
		c.Limiter, c.SignInLimits = ratelimit.NewMemory(stoppedClock), auth.SignInLimits{PerEmail: 1}
	})
	c := f.client()
	token := c.csrf("/sign_in")
	if r := c.post("/sign_in", url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {"guess"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("first guess: got status %d, want 401", r.status)
	}
	r := c.post("/sign_in", url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second attempt within the minute: got status %d, want 429", r.status)
	}
	if got := elementText(r.body, "sign-in-error"); !strings.Contains(got, "Too many failed sign-in attempts") {
		t.Errorf("#sign-in-error: got %q, want it to say there were too many attempts", got)
	}
	if c.sessionToken() != "" {
		t.Errorf("a refused attempt set a session cookie")
	}
}

// TestSignInAccountPaused checks that once an account's password
// sign-ins pause after failures from many addresses, the sign-in page says
// so, even for the right password, while a browser already signed in to
// the account keeps working.
func TestSignInAccountPaused(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	f.setAuth(func(c *auth.Config) {
		c.Limiter, c.SignInLimits = ratelimit.NewMemory(stoppedClock), auth.SignInLimits{PerEmail: 10, PerAddress: 30, PerAccount: 3}
	})
	signedIn := f.client()
	signedIn.signIn(ownerEmail, ownerPassword)
	for i := range 3 {
		if _, err := f.auth.SignIn(context.Background(), ownerEmail, "guess", "198.51.100."+strconv.Itoa(i+1)+":4000"); keycard.ErrorCode(err) != keycard.EUnauthorized {
			t.Fatalf("guess %d: got %v, want unauthorized", i+1, err)
		}
	}
	c := f.client()
	r := c.post("/sign_in", url.Values{"csrf_token": {c.csrf("/sign_in")}, "email": {ownerEmail}, "password": {ownerPassword}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("right password for the paused account: got status %d, want 429", r.status)
	}
	if got, want := elementText(r.body, "sign-in-error"), "Sign-ins to this account are paused after too many failed attempts; try again in 60 minutes."; got != want {
		t.Errorf("#sign-in-error: got %q, want %q", got, want)
	}
	if c.sessionToken() != "" {
		t.Errorf("a refused attempt set a session cookie")
	}
	if r := signedIn.get("/organization/api-keys"); r.status != http.StatusOK {
		t.Errorf("the browser already signed in: got status %d, want 200", r.status)
	}
}

// TestCreateFormWorksOnce checks that sending one create form twice, as a
// reload of the shown-once page without JavaScript does, makes one key and
// never shows a key again.
func TestCreateFormWorksOnce(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	nonceRe := regexp.MustCompile(`name="form_nonce" value="([^"]+)"`)
	form := func() url.Values {
		page := c.get("/organization/api-keys/new")
		m := nonceRe.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("the create form carries no nonce")
		}
		return url.Values{"csrf_token": {c.csrf("/organization/api-keys/new")}, "form_nonce": {m[1]}, "name": {"PMS"}, "access_all_properties": {"true"}}
	}
	first := form()
	if r := c.post("/organization/api-keys", first); r.status != http.StatusCreated || keyRe.FindStringSubmatch(r.body) == nil {
		t.Fatalf("first send: got status %d, want 201 with the key", r.status)
	}
	r := c.post("/organization/api-keys", first)
	if r.status != http.StatusOK || keyRe.FindStringSubmatch(r.body) != nil || !strings.Contains(r.body, "already sent") {
		t.Errorf("second send of the same form: got status %d, want 200 with a notice and no key", r.status)
	}
	if n := len(f.keys()); n != 1 {
		t.Errorf("%d keys after sending one form twice, want 1", n)
	}
	if r := c.post("/organization/api-keys", form()); r.status != http.StatusCreated {
		t.Errorf("a new form: got status %d, want 201", r.status)
	}
	if n := len(f.keys()); n != 2 {
		t.Errorf("%d keys after a second form, want 2", n)
	}
}

// TestSecureCookiesBehindProxy checks that an operator whose HTTPS ends at
// a proxy gets Secure cookies over the plain HTTP between the two.
func TestSecureCookiesBehindProxy(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	f.setUI(func(c *Config) { c.SecureCookies = true })
	r := serveDirect(f, false, http.MethodGet, "/sign_in", "", nil)
	csrf := cookieNamed(r, csrfCookie)
	if csrf == nil || !csrf.Secure {
		t.Fatalf("CSRF cookie over plain HTTP with secure cookies on: %+v, want Secure", csrf)
	}
	token := csrfRe.FindStringSubmatch(r.Body.String())[1]
	form := url.Values{"csrf_token": {token}, "email": {ownerEmail}, "password": {ownerPassword}}
	r = serveDirect(f, false, http.MethodPost, "/sign_in", form.Encode(), csrf)
	if c := cookieNamed(r, sessionCookie); c == nil || !c.Secure {
		t.Errorf("session cookie over plain HTTP with secure cookies on: %+v, want Secure", c)
	}
}
