package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretscan"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// scanner is a secret-scanning partner with its own P-256 key pair, as
// GitHub is: the server trusts the public key from a key list.
type scanner struct {
	id   string
	priv *ecdsa.PrivateKey
	keys *secretscan.Keys
}

func newScanner(t *testing.T) *scanner {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := json.Marshal(secretscan.KeyFile{PublicKeys: []secretscan.PublicKey{{KeyIdentifier: "scanner-key-1", IsCurrent: true,
		Key: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}})
	keys, err := secretscan.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{id: "scanner-key-1", priv: priv, keys: keys}
}

// request returns a signed report request for body.
func (sc *scanner) request(t *testing.T, body string) *http.Request {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	sig, err := ecdsa.SignASN1(rand.Reader, sc.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/secret_scanning/report", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(secretscan.HeaderKeyID, sc.id)
	req.Header.Set(secretscan.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return req
}

func report(entries ...scanEntry) string {
	b, _ := json.Marshal(entries)
	return string(b)
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSecretScanningReport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		f := newFixture(t, cfg, keycard.ModeStaging)
		sc := newScanner(t)
		f.setAPI(func(c *Config) { c.SecretScanningKeys = sc.keys })
		// The owner's webhook asks for the event by name; another, with
		// "*", does not get it.
		named, _, err := f.st.CreateWebhook(ctx, f.ownerA, &keycard.Webhook{CallbackURL: "https://93.184.216.34/leaks",
			EventMask: "booking;api_key_leaked", IsActive: true, SendData: true})
		if err != nil {
			t.Fatal(err)
		}
		star, _, err := f.st.CreateWebhook(ctx, f.ownerA, &keycard.Webhook{CallbackURL: "https://93.184.216.34/all", EventMask: "*", IsActive: true})
		if err != nil {
			t.Fatal(err)
		}

		const where = "https://github.com/someone/hotel-sync/blob/1a2b3c/config.yml"
		body := report(
			scanEntry{Token: f.keyAll, Type: "keycard_api_key", URL: where, Source: "content"},
			scanEntry{Token: f.keyWd, Type: "keycard_api_key", URL: where, Source: "content"},
			scanEntry{Token: "kc_" + strings.Repeat("A", 46), Type: "keycard_api_key", URL: where, Source: "content"}, // malformed: bad checksum
			scanEntry{Token: "AKIAIOSFODNN7EXAMPLE", Type: "keycard_api_key", URL: where, Source: "commit"},           // foreign
			// A live keycard key reported as another partner's secret type:
			// not ours to judge, so false_positive, and the key stays live.
			scanEntry{Token: f.keyP1, Type: "acme_api_token", URL: where, Source: "content"},
		)
		rec := serve(f.srv, sc.request(t, body))
		if rec.Code != http.StatusOK {
			t.Fatalf("report: %d %s", rec.Code, redact(f, rec.Body.String()))
		}
		var answers []scanAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &answers); err != nil || len(answers) != 5 {
			t.Fatalf("answers: %v, %d of them", err, len(answers))
		}
		for i, want := range []struct{ token, typ, label string }{
			{f.keyAll, "keycard_api_key", "true_positive"}, {f.keyWd, "keycard_api_key", "false_positive"},
			{"kc_" + strings.Repeat("A", 46), "keycard_api_key", "false_positive"}, {"AKIAIOSFODNN7EXAMPLE", "keycard_api_key", "false_positive"},
			{f.keyP1, "acme_api_token", "false_positive"},
		} {
			if answers[i].TokenRaw != want.token || answers[i].TokenType != want.typ || answers[i].Label != want.label {
				t.Errorf("answer %d: type %q label %q (token echoed: %v), want %s %s", i, answers[i].TokenType, answers[i].Label,
					answers[i].TokenRaw == want.token, want.typ, want.label)
			}
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyP1, ""); status != http.StatusOK {
			t.Errorf("the key reported under another secret type stopped working: %d", status)
		}

		// The live key is withdrawn at once, with the reason and the URL.
		if status, _ := f.do("GET", "/api/v1/properties", credKeyAll, ""); status != http.StatusUnauthorized {
			t.Errorf("the reported key still works: %d", status)
		}
		status, got := f.do("GET", "/api/v1/api_keys/{keyAllID}", credOwnerA, "")
		a := attributes(t, got)
		if status != 200 || a["status"] != "withdrawn" || a["withdrawn_reason"] != "leaked" || a["leaked_url"] != where {
			t.Errorf("reported key: %d status %v reason %v url %v", status, a["status"], a["withdrawn_reason"], a["leaked_url"])
		}
		// The withdrawn key is as it was.
		keys, _, err := f.st.ListAPIKeys(ctx, f.ownerA, keycard.ListQuery{Page: 1, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.Name == "old" && (k.WithdrawnReason != "" || k.LeakedAt != nil) {
				t.Errorf("the key withdrawn before was changed: reason %q leaked %v", k.WithdrawnReason, k.LeakedAt)
			}
			if k.Name == "P1 only" && k.Status != keycard.KeyActive {
				t.Errorf("an unreported key is %s", k.Status)
			}
		}
		// The audit log says so, and the owner's page has the mark.
		events, _, err := f.st.ListAuditEvents(ctx, f.ownerA, keycard.ListQuery{Page: 1, Limit: 50,
			Filters: []keycard.Filter{{Field: "event", Op: keycard.OpEq, Values: []string{keycard.AuditLeaked}}}})
		if err != nil || len(events) != 1 || events[0].APIKeyID != f.keyAllID || !strings.Contains(string(events[0].Details), where) {
			t.Errorf("api_key.leaked events: %v %+v", err, events)
		}
		leaked, err := f.st.LeakedKeys(ctx, f.ownerA)
		if err != nil || len(leaked) != 1 || leaked[0].ID != f.keyAllID || !leaked[0].Withdrawn {
			t.Errorf("leak marks: %v %+v", err, leaked)
		}
		if other, _ := f.st.LeakedKeys(ctx, f.ownerB); len(other) != 0 {
			t.Errorf("organisation B sees A's leak: %+v", other)
		}
		// One api_key_leaked delivery, to the webhook that named it.
		ds, _, err := f.st.ListDeliveries(ctx, f.ownerA, named.ID, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || len(ds) != 1 || ds[0].Event != keycard.EventAPIKeyLeaked || !strings.Contains(string(ds[0].Body), f.keyAllID) ||
			strings.Contains(string(ds[0].Body), f.keyAll) {
			t.Errorf("deliveries of the named webhook: %v %d", err, len(ds))
		}
		if ds, _, _ := f.st.ListDeliveries(ctx, f.ownerA, star.ID, keycard.ListQuery{Page: 1, Limit: 10}); len(ds) != 0 {
			t.Errorf("the * webhook got %d deliveries", len(ds))
		}

		// Reported again: withdrawn now, so false_positive, and nothing
		// more is recorded.
		rec = serve(f.srv, sc.request(t, report(scanEntry{Token: f.keyAll, Type: "keycard_api_key", URL: "https://elsewhere"})))
		if !strings.Contains(rec.Body.String(), `"false_positive"`) {
			t.Errorf("second report: %d", rec.Code)
		}
		if events, _, _ := f.st.ListAuditEvents(ctx, f.ownerA, keycard.ListQuery{Page: 1, Limit: 50,
			Filters: []keycard.Filter{{Field: "event", Op: keycard.OpEq, Values: []string{keycard.AuditLeaked}}}}); len(events) != 1 {
			t.Errorf("%d leak events after a second report", len(events))
		}

		// The owner dismisses the mark.
		if err := f.st.DismissLeak(ctx, f.memberA, f.keyAllID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("a member dismissed the mark: %v", err)
		}
		if err := f.st.DismissLeak(ctx, f.ownerA, f.keyAllID); err != nil {
			t.Fatal(err)
		}
		if leaked, _ := f.st.LeakedKeys(ctx, f.ownerA); len(leaked) != 0 {
			t.Errorf("marks after dismissal: %+v", leaked)
		}

		// A bad signature is refused, and the key it names stays live.
		other := newScanner(t)
		bad := other.request(t, report(scanEntry{Token: f.keyP1, Type: "keycard_api_key", URL: where}))
		if rec := serve(f.srv, bad); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), f.keyP1) {
			t.Errorf("bad signature: %d", rec.Code)
		}
		tampered := sc.request(t, report(scanEntry{Token: f.keyOther, Type: "keycard_api_key", URL: where}))
		tampered.Body = httptestBody(report(scanEntry{Token: f.keyP1, Type: "keycard_api_key", URL: where}))
		if rec := serve(f.srv, tampered); rec.Code != http.StatusUnauthorized {
			t.Errorf("tampered body: %d", rec.Code)
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyP1, ""); status != http.StatusOK {
			t.Errorf("the key named in a badly signed report stopped working: %d", status)
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyOther, ""); status != http.StatusOK {
			t.Errorf("the key of a tampered report stopped working: %d", status)
		}
	})
}

func httptestBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// TestSecretScanningBadSignatureTouchesNoStorage serves a badly signed
// report from a server that has no store at all: any storage access
// would panic, which the handler answers 500.
func TestSecretScanningBadSignatureTouchesNoStorage(t *testing.T) {
	t.Parallel()
	sc, other := newScanner(t), newScanner(t)
	srv := New(Config{Log: slog.New(slog.DiscardHandler), SecretScanningKeys: sc.keys})
	for name, req := range map[string]*http.Request{
		"another key's signature": other.request(t, report(scanEntry{Token: "kc_x", Type: "keycard_api_key"})),
		"no signature": func() *http.Request {
			r := sc.request(t, "[]")
			r.Header.Del(secretscan.HeaderSignature)
			return r
		}(),
		"unknown key id": func() *http.Request {
			r := sc.request(t, "[]")
			r.Header.Set(secretscan.HeaderKeyID, "other")
			return r
		}(),
	} {
		if rec := serve(srv, req); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"code":"unauthorized"`) {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
	// The control: a well-formed key with a good signature goes to the
	// store, which this server lacks (500); so the 401s above were
	// decided before any storage.
	rec := serve(srv, sc.request(t, report(scanEntry{Token: unknownKey, Type: "keycard_api_key"})))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("good signature on a storeless server: %d, want 500", rec.Code)
	}
}

func TestSecretScanningOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	sc := newScanner(t)
	if rec := serve(f.srv, sc.request(t, "[]")); rec.Code != http.StatusNotFound {
		t.Errorf("without --secret-scanning-keys: %d, want 404", rec.Code)
	}
}

// TestLeakReports covers the other ways a leak is handled: the old secret
// of a rolled key, a server that only flags leaks, and the owner's own
// report (keycard key scan --report), which reaches only its
// organisation's keys.
func TestLeakReports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		f := newFixture(t, cfg, keycard.ModeStaging)
		sc := newScanner(t)

		// The old secret of a rolled key, still in its grace period: its
		// grace ends, the key (whose new secret did not leak) is flagged.
		_, newSecret, err := f.st.RollAPIKey(ctx, f.ownerA, f.keyP1ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.setAPI(func(c *Config) { c.SecretScanningKeys = sc.keys })
		rec := serve(f.srv, sc.request(t, report(scanEntry{Token: f.keyP1, Type: "keycard_api_key", URL: "https://x.example/old"})))
		if !strings.Contains(rec.Body.String(), `"true_positive"`) {
			t.Errorf("old secret in grace: %d", rec.Code)
		}
		f.rawKey = f.keyP1
		if status, _ := f.do("GET", "/api/v1/properties", noCred, ""); status != http.StatusUnauthorized {
			t.Errorf("the leaked old secret: %d, want 401", status)
		}
		f.rawKey = newSecret
		if status, _ := f.do("GET", "/api/v1/properties", noCred, ""); status != http.StatusOK {
			t.Errorf("the new secret: %d, want 200", status)
		}
		f.rawKey = ""

		// Flag only: the key keeps working, and is marked.
		f.setAPI(func(c *Config) { c.LeakFlagOnly = true })
		rec = serve(f.srv, sc.request(t, report(scanEntry{Token: f.keyAll, Type: "keycard_api_key", URL: "https://x.example/flag"})))
		if !strings.Contains(rec.Body.String(), `"true_positive"`) {
			t.Errorf("flag only: %d", rec.Code)
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyAll, ""); status != http.StatusOK {
			t.Errorf("a flagged key: %d, want 200", status)
		}
		_, got := f.do("GET", "/api/v1/api_keys/{keyAllID}", credOwnerA, "")
		if a := attributes(t, got); a["status"] != "active" || a["leaked_url"] != "https://x.example/flag" || a["leaked_at"] == nil || a["withdrawn_reason"] != nil {
			t.Errorf("flagged key: status %v url %v at %v reason %v", a["status"], a["leaked_url"], a["leaked_at"], a["withdrawn_reason"])
		}
		if leaked, _ := f.st.LeakedKeys(ctx, f.ownerA); len(leaked) != 2 {
			t.Errorf("%d leak marks, want 2 (the rolled key, the flagged one)", len(leaked))
		}

		// The owner's own report: another organisation's key is not
		// touched, and a user who is not the owner may not report.
		f.setAPI(func(c *Config) { c.LeakFlagOnly = false })
		leaks := `{"leaks":[{"token":"` + f.keyOther + `","url":"file:///a"},{"token":"` + f.keyAll + `","url":"file:///b"},{"token":"kc_nope"}]}`
		status, body := f.do("POST", "/api/v1/api_keys/leaks", credOwnerA, leaks)
		if status != 200 || strings.Count(body, "false_positive") != 2 || strings.Count(body, "true_positive") != 1 ||
			strings.Contains(body, f.keyAll) || strings.Contains(body, f.keyOther) {
			t.Errorf("owner's report: %d %s", status, redact(f, body))
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyOther, ""); status != http.StatusOK {
			t.Errorf("organisation B's key after A's report: %d", status)
		}
		if status, _ := f.do("GET", "/api/v1/properties", credKeyAll, ""); status != http.StatusUnauthorized {
			t.Errorf("A's key after A's report: %d", status)
		}
		if status, _ := f.do("POST", "/api/v1/api_keys/leaks", credMember, `{"leaks":[{"token":"`+f.keyOther+`"}]}`); status != http.StatusForbidden {
			t.Errorf("a member's report: %d, want 403", status)
		}
		if status, _ := f.do("POST", "/api/v1/api_keys/leaks", credOwnerA, `{"nope":1}`); status != http.StatusBadRequest {
			t.Errorf("a report without leaks: %d, want 400", status)
		}
	})
}
