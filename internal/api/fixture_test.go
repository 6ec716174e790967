package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// fixture is a populated keycard behind the real API handler:
//
//   - organisation A, owned by ownerA, with groups "Default group" and
//     "Lisbon", and properties P1 (in Lisbon) and P2 (in the default group);
//   - memberA, a user of organisation A who is a property user of P1 only;
//   - organisation B, owned by ownerB, with property P3;
//   - ownerA's keys: keyP1 (restricted to P1), keyAll, keyWithdrawn;
//     ownerB's keyOther (all properties).
type fixture struct {
	t    testing.TB
	st   *store.Store
	auth *auth.Authenticator
	srv  http.Handler // api, its exchanges held to the OpenAPI document
	api  *Server
	mode keycard.Mode

	ownerA, ownerB, memberA  *keycard.Principal
	orgA, orgB               string
	tokenA, tokenB, tokenMem string
	p1, p2, p3               string
	groupDefault, groupLis   string
	groupB                   string
	keyP1, keyAll, keyWd     string
	keyOther                 string
	keyP1ID, keyAllID        string

	// rawKey, when set, authenticates every request instead of a cred.
	rawKey string

	// authCfg and apiCfg are what reload builds the authenticator and the
	// API server of (Auth is set by reload).
	authCfg auth.Config
	apiCfg  Config
}

func newFixture(t testing.TB, cfg store.Config, mode keycard.Mode) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, cfg)
	st.SetSubscriptionGate(mode == keycard.ModeProduction)
	f := &fixture{t: t, st: st, mode: mode}
	f.reload()

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	owner := func(email string) (*keycard.Principal, string) {
		u, org, err := st.CreateOwner(ctx, email, "password-"+email, "")
		must(err)
		must(st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive))
		p, err := st.UserPrincipal(ctx, u.ID)
		must(err)
		return p, org.ID
	}
	f.ownerA, f.orgA = owner("owner-a@example.com")
	f.ownerB, f.orgB = owner("owner-b@example.com")

	lisbon, err := st.CreateGroup(ctx, f.ownerA, "Lisbon")
	must(err)
	f.groupLis = lisbon.ID
	groups, _, err := st.ListGroups(ctx, f.ownerA, keycard.ListQuery{Page: 1, Limit: 10, Filters: []keycard.Filter{{Field: "title", Op: keycard.OpEq, Values: []string{"Default group"}}}})
	must(err)
	f.groupDefault = groups[0].ID
	groupsB, _, err := st.ListGroups(ctx, f.ownerB, keycard.ListQuery{Page: 1, Limit: 10})
	must(err)
	f.groupB = groupsB[0].ID

	property := func(p *keycard.Principal, title, group string) string {
		prop, err := st.CreateProperty(ctx, p, &keycard.Property{Title: title, Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, group)
		must(err)
		return prop.ID
	}
	f.p1 = property(f.ownerA, "Alpha Hotel", f.groupLis)
	f.p2 = property(f.ownerA, "Bravo Hotel", "")
	f.p3 = property(f.ownerB, "Charlie Hotel", "")

	_, err = st.Invite(ctx, store.PropertyUsers, f.ownerA, f.p1, "member-a@example.com", keycard.RoleUser, nil)
	must(err)
	must(st.SetPassword(ctx, "member-a@example.com", "password-member"))
	mu, err := st.UserByEmail(ctx, "member-a@example.com")
	must(err)
	f.memberA, err = st.UserPrincipal(ctx, mu.ID)
	must(err)

	key := func(p *keycard.Principal, name string, all bool, props ...string) (string, string) {
		k, secret, err := st.CreateAPIKey(ctx, p, name, all, props)
		must(err)
		return secret, k.ID
	}
	f.keyP1, f.keyP1ID = key(f.ownerA, "P1 only", false, f.p1)
	f.keyAll, f.keyAllID = key(f.ownerA, "everything", true)
	var wdID string
	f.keyWd, wdID = key(f.ownerA, "old", true)
	_, err = st.WithdrawAPIKey(ctx, f.ownerA, wdID)
	must(err)
	f.keyOther, _ = key(f.ownerB, "B's key", true)

	f.tokenA = f.signIn("owner-a@example.com", "password-owner-a@example.com")
	f.tokenB = f.signIn("owner-b@example.com", "password-owner-b@example.com")
	f.tokenMem = f.signIn("member-a@example.com", "password-member")
	return f
}

// reload builds a fresh authenticator and handler over the same store, as
// a server restart (or a server in another process) would.
func (f *fixture) reload() {
	if f.authCfg.Store == nil {
		log := slog.New(slog.DiscardHandler)
		f.authCfg = auth.Config{Store: f.st, Mode: f.mode, Log: log}
		f.apiCfg = Config{Store: f.st, Mode: f.mode, Log: log}
	}
	f.auth = auth.New(f.authCfg)
	f.setAPI(func(*Config) {})
}

// setAPI changes the API server's configuration and builds it anew; the
// authenticator stays.
func (f *fixture) setAPI(change func(c *Config)) {
	change(&f.apiCfg)
	f.apiCfg.Auth = f.auth
	f.api = New(f.apiCfg)
	f.srv = docChecked{f: f, api: f.api}
}

// setAuth changes the authenticator's configuration and builds it, and
// the API server over it, anew.
func (f *fixture) setAuth(change func(c *auth.Config)) {
	change(&f.authCfg)
	f.reload()
}

func (f *fixture) signIn(email, password string) string {
	f.t.Helper()
	sess, err := f.st.SignIn(context.Background(), email, password)
	if err != nil {
		f.t.Fatalf("sign in %s: %v", email, err)
	}
	return sess.Token
}

// expand replaces {name} placeholders with the fixture's values.
func (f *fixture) expand(s string) string {
	return strings.NewReplacer(
		"{p1}", f.p1, "{p2}", f.p2, "{p3}", f.p3,
		"{orgA}", f.orgA, "{orgB}", f.orgB,
		"{groupDefault}", f.groupDefault, "{groupLis}", f.groupLis, "{groupB}", f.groupB,
		"{keyP1ID}", f.keyP1ID, "{keyAllID}", f.keyAllID,
	).Replace(s)
}

// cred names a credential of the fixture.
type cred string

const (
	noCred        cred = "no key"
	credMalformed cred = "malformed"
	credUnknown   cred = "unknown"
	credWithdrawn cred = "withdrawn"
	credKeyP1     cred = "key P1"
	credKeyAll    cred = "key all"
	credKeyOther  cred = "key other org"
	credOwnerA    cred = "session owner A"
	credOwnerB    cred = "session owner B"
	credMember    cred = "session member A"

	// Requests with more than one credential.
	credTwoKeys      cred = "two user-api-key headers"
	credJoinedKeys   cred = "two keys in one user-api-key header"
	credKeyAndBearer cred = "a key and a bearer token"
	credTwoBearers   cred = "two Authorization headers"
	credKeyAndBasic  cred = "a key and Basic authorization"
)

func (f *fixture) headers(c cred) http.Header {
	h := http.Header{}
	if f.rawKey != "" {
		h.Set("user-api-key", f.rawKey)
		return h
	}
	switch c {
	case credMalformed:
		h.Set("user-api-key", "uU08XiMgk8a7CrY4xUjAReUIuTrn83R123adaVb8Tf/qMcVTEgriuJhXWs/1Q1P")
	case credUnknown:
		h.Set("user-api-key", unknownKey)
	case credWithdrawn:
		h.Set("user-api-key", f.keyWd)
	case credKeyP1:
		h.Set("user-api-key", f.keyP1)
	case credKeyAll:
		h.Set("user-api-key", f.keyAll)
	case credKeyOther:
		h.Set("user-api-key", f.keyOther)
	case credOwnerA:
		h.Set("Authorization", "Bearer "+f.tokenA)
	case credOwnerB:
		h.Set("Authorization", "Bearer "+f.tokenB)
	case credMember:
		h.Set("Authorization", "Bearer "+f.tokenMem)
	case credTwoKeys:
		h["User-Api-Key"] = []string{f.keyAll, f.keyP1}
	case credJoinedKeys:
		h.Set("user-api-key", f.keyAll+", "+f.keyP1)
	case credKeyAndBearer:
		h.Set("user-api-key", f.keyAll)
		h.Set("Authorization", "Bearer "+f.tokenA)
	case credTwoBearers:
		h["Authorization"] = []string{"Bearer " + f.tokenA, "Bearer " + f.tokenB}
	case credKeyAndBasic:
		h.Set("user-api-key", f.keyAll)
		h.Set("Authorization", "Basic b3duZXI6cGFzc3dvcmQ=")
	}
	return h
}

// unknownKey is well-formed (its checksum matches) but was never issued.
var unknownKey = tokens.New(tokens.KeyPrefix)

// do sends one request through the handler and returns the status and
// body.
func (f *fixture) do(method, path string, c cred, body string) (int, string) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(f.expand(body))
	}
	req := httptest.NewRequest(method, f.expand(path), rd)
	for k, v := range f.headers(c) {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// decode decodes a JSON body into a generic value for path lookups.
func decode(t testing.TB, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return m
}

// scenario is one row of an API scenario table.
type scenario struct {
	name   string
	method string
	path   string
	cred   cred
	body   string
	status int
	want   []string // fragments the body must contain (after expansion)
	never  []string // fragments it must not contain
}

func (f *fixture) run(t *testing.T, sc scenario) {
	t.Helper()
	status, body := f.do(sc.method, sc.path, sc.cred, sc.body)
	if status != sc.status {
		t.Errorf("%s %s as %q: status = %d, want %d; body: %s", sc.method, sc.path, sc.cred, status, sc.status, redact(f, body))
	}
	for _, w := range sc.want {
		if w = f.expand(w); !strings.Contains(body, w) {
			t.Errorf("%s %s as %q: body lacks %q; body: %s", sc.method, sc.path, sc.cred, w, redact(f, body))
		}
	}
	for _, n := range sc.never {
		if n = f.expand(n); strings.Contains(body, n) {
			t.Errorf("%s %s as %q: body contains %q, which is out of reach", sc.method, sc.path, sc.cred, n)
		}
	}
	if !json.Valid([]byte(body)) {
		t.Errorf("%s %s: body is not JSON", sc.method, sc.path)
	}
	if status >= 500 {
		t.Errorf("%s %s: server error %d", sc.method, sc.path, status)
	}
}

// redact keeps secrets out of test output.
func redact(f *fixture, body string) string {
	for _, secret := range []string{f.keyP1, f.keyAll, f.keyWd, f.keyOther, f.tokenA, f.tokenB, f.tokenMem} {
		body = strings.ReplaceAll(body, secret, "[secret]")
	}
	if i := strings.Index(body, `"key":"kc_`); i >= 0 {
		body = body[:i] + `"key":"[secret]"` + body[min(len(body), i+len(`"key":"`)+49+1):]
	}
	return webhookSecret.ReplaceAllString(body, "whsec_[secret]")
}

// webhookSecret matches a webhook signing secret.
var webhookSecret = regexp.MustCompile(`whsec_[0-9A-Za-z]+`)
