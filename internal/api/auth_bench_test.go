package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// authProbe is a handler that only checks the principal is there.
func authProbe(w http.ResponseWriter, r *http.Request) error {
	if principal(r) == nil {
		return &keycard.Error{Code: keycard.EUnauthorized}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TestCacheHitNeedsNoDatabase proves that a cached key costs no query: once
// warm, the middleware authenticates with the database closed.
func TestCacheHitNeedsNoDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeProduction)
	h := f.api.authenticate(nil, authProbe)
	req := httptest.NewRequest("GET", "/api/v1/properties", nil)
	req.Header.Set("user-api-key", f.keyP1)
	serve := func() int {
		rec := httptest.NewRecorder()
		if err := h(rec, req); err != nil {
			return 0
		}
		return rec.Code
	}
	if got := serve(); got != http.StatusNoContent {
		t.Fatalf("cold: %d, want 204", got)
	}
	f.st.Close()
	for range 3 {
		if got := serve(); got != http.StatusNoContent {
			t.Fatalf("warm with the database closed: %d, want 204", got)
		}
	}
	// An unknown key is not served from the cache: it needs the database.
	req.Header.Set("user-api-key", unknownKey)
	if got := serve(); got == http.StatusNoContent {
		t.Fatalf("an unknown key was authenticated")
	}
}

// BenchmarkAuthenticateAPIKey measures the authentication middleware on a
// cache hit: header read, format and checksum check, SHA-256, cache
// look-up, usage count, principal into the context. Target: under 2 µs.
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	f := newFixture(b, storetest.Config(b, "sqlite"), keycard.ModeProduction)
	h := f.api.authenticate(nil, authProbe)
	req := httptest.NewRequest("GET", "/api/v1/properties", nil)
	req.Header.Set("user-api-key", f.keyAll)
	w := httptest.NewRecorder()
	if err := h(w, req); err != nil || w.Code != http.StatusNoContent {
		b.Fatalf("warm-up: %v %d", err, w.Code)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := discardWriter{}
		for pb.Next() {
			if err := h(w, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
