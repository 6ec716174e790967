package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// benchRequest measures one request through the whole API handler (path
// canonicalisation, authentication on a warm cache, rate limits off, the
// store, the envelope), on one goroutine so allocations read per request.
func benchRequest(b *testing.B, path string, header, value func(f *fixture) string) {
	benchFixtureRequest(b, newFixture(b, storetest.Config(b, "sqlite"), keycard.ModeProduction), path, header, value)
}

func benchFixtureRequest(b *testing.B, f *fixture, path string, header, value func(f *fixture) string) {
	req := httptest.NewRequest("GET", f.expand(path), nil)
	req.Header.Set(header(f), value(f))
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("warm-up: %d %s", rec.Code, rec.Body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &countingWriter{h: http.Header{}}
		f.api.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

func keyHeaderName(*fixture) string { return "user-api-key" }
func keyAllValue(f *fixture) string { return f.keyAll }

// BenchmarkGetProperty is GET /api/v1/properties/:id with an API key.
func BenchmarkGetProperty(b *testing.B) {
	benchRequest(b, "/api/v1/properties/{p1}", keyHeaderName, keyAllValue)
}

// BenchmarkListProperties is GET /api/v1/properties?pagination[limit]=10.
// The key reaches 50 properties, as in keycard bench, so that the page is
// picked from more than it holds.
func BenchmarkListProperties(b *testing.B) {
	f := newFixture(b, storetest.Config(b, "sqlite"), keycard.ModeProduction)
	for i := range 48 {
		_, err := f.st.CreateProperty(context.Background(), f.ownerA, &keycard.Property{
			Title: fmt.Sprintf("Hotel %02d", 47-i), Currency: "EUR", Settings: keycard.DefaultPropertySettings(),
		}, "")
		if err != nil {
			b.Fatal(err)
		}
	}
	benchFixtureRequest(b, f, "/api/v1/properties?pagination[limit]=10", keyHeaderName, keyAllValue)
}

// countingWriter is a ResponseWriter that keeps only the status.
type countingWriter struct {
	h    http.Header
	code int
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *countingWriter) WriteHeader(code int) { w.code = code }

// BenchmarkOutOfScope is GET /api/v1/properties/:id for a property the
// restricted key does not reach: the middleware (key check from the
// cache, scope from the cached reach, access-log attributes, metrics) and
// the error envelope, with no query at all.
func BenchmarkOutOfScope(b *testing.B) {
	f := newFixture(b, storetest.Config(b, "sqlite"), keycard.ModeProduction)
	req := httptest.NewRequest("GET", f.expand("/api/v1/properties/{p2}"), nil)
	req.Header.Set("user-api-key", f.keyP1)
	f.api.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	for b.Loop() {
		w := &countingWriter{h: http.Header{}}
		f.api.ServeHTTP(w, req)
		if w.code != http.StatusNotFound {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkScopeCheck is the scope check of a cached reach of 50
// properties: one membership test, no query.
func BenchmarkScopeCheck(b *testing.B) {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = keycard.NewID()
	}
	r := keycard.NewReach(ids)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if !r.Has(ids[i%len(ids)]) {
			b.Fatal("lost an id")
		}
		i++
	}
}

// BenchmarkEnvelope encodes one property in the Channex envelope, as GET
// /properties/:id does.
func BenchmarkEnvelope(b *testing.B) {
	p := &keycard.Property{ID: keycard.NewID(), OrganizationID: keycard.NewID(), Title: "Alpha Hotel", Currency: "EUR",
		Settings: keycard.DefaultPropertySettings(), Groups: []keycard.GroupRef{{ID: keycard.NewID(), Title: "Lisbon"}}}
	b.ReportAllocs()
	for b.Loop() {
		w := &countingWriter{h: http.Header{}}
		if err := writeProperty(w, http.StatusOK, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}
