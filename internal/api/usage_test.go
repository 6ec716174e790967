package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestKeyUsage makes requests of known outcomes with keys, flushes the
// counts as the server does every 10 seconds, and reads them back.
func TestKeyUsage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f, now := clockFixture(t, cfg)
		*now = time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
		f.setAPI(func(c *Config) {
			c.Limits, c.Limiter = Limits{PerKey: 4, PerOrganization: 1000}, ratelimit.NewMemory(func() time.Time { return *now })
		})
		readOnly := true
		if _, err := f.st.UpdateAPIKey(t.Context(), f.ownerA, f.keyP1ID, store.APIKeyChange{ReadOnly: &readOnly}); err != nil {
			t.Fatal(err)
		}
		must := func(c cred, method, path string, want int) {
			t.Helper()
			if status, _ := f.do(method, path, c, ""); status != want {
				t.Fatalf("%s %s as %s: %d, want %d", method, path, c, status, want)
			}
		}
		// keyAll: 3 answered, 1 not found, then over its limit of 4.
		for range 3 {
			must(credKeyAll, "GET", "/api/v1/properties", 200)
		}
		must(credKeyAll, "GET", "/api/v1/properties/"+keycard.NewID(), 404)
		must(credKeyAll, "GET", "/api/v1/properties", 429)
		// keyP1 is read-only: a write is refused by the authenticator.
		must(credKeyP1, "POST", "/api/v1/properties", 403)
		if err := f.auth.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
		// An hour later, one more.
		*now = now.Add(time.Hour)
		must(credKeyAll, "GET", "/api/v1/properties", 200)
		if err := f.auth.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}

		type counts struct{ requests, ok, clientError, denied, throttled, serverError float64 }
		buckets := func(path string, c cred) []counts {
			t.Helper()
			status, body := f.do("GET", path, c, "")
			if status != 200 {
				t.Fatalf("GET %s: %d %s", path, status, body)
			}
			var out []counts
			for _, b := range attributes(t, body)["buckets"].([]any) {
				m := b.(map[string]any)
				out = append(out, counts{m["requests"].(float64), m["ok"].(float64), m["client_error"].(float64),
					m["denied"].(float64), m["throttled"].(float64), m["server_error"].(float64)})
			}
			return out
		}
		hours := buckets("/api/v1/api_keys/{keyAllID}/usage?from=2026-12-01T09:00:00Z&to=2026-12-01T12:00:00Z&granularity=hour", credOwnerA)
		want := []counts{{}, {5, 3, 1, 0, 1, 0}, {1, 1, 0, 0, 0, 0}}
		if len(hours) != 3 || hours[0] != want[0] || hours[1] != want[1] || hours[2] != want[2] {
			t.Errorf("hourly usage of keyAll = %+v, want %+v", hours, want)
		}
		days := buckets("/api/v1/api_keys/{keyAllID}/usage?from=2026-11-30&to=2026-12-02&granularity=day", credOwnerA)
		if len(days) != 2 || days[0] != (counts{}) || days[1] != (counts{6, 4, 1, 0, 1, 0}) {
			t.Errorf("daily usage of keyAll = %+v", days)
		}
		p1 := buckets("/api/v1/api_keys/{keyP1ID}/usage?from=2026-12-01&to=2026-12-02&granularity=day", credOwnerA)
		if len(p1) != 1 || p1[0] != (counts{1, 0, 0, 1, 0, 0}) {
			t.Errorf("daily usage of keyP1 = %+v", p1)
		}

		for _, sc := range []scenario{
			{name: "another organisation", method: "GET", path: "/api/v1/api_keys/{keyAllID}/usage", cred: credOwnerB, status: 404},
			{name: "bad granularity", method: "GET", path: "/api/v1/api_keys/{keyAllID}/usage?granularity=minute", cred: credOwnerA, status: 422,
				want: []string{"granularity"}},
			{name: "bad time", method: "GET", path: "/api/v1/api_keys/{keyAllID}/usage?from=yesterday", cred: credOwnerA, status: 422,
				want: []string{"from"}},
			{name: "backwards", method: "GET", path: "/api/v1/api_keys/{keyAllID}/usage?from=2026-12-02&to=2026-12-01", cred: credOwnerA, status: 422},
			{name: "too long", method: "GET", path: "/api/v1/api_keys/{keyAllID}/usage?from=2025-01-01&to=2026-12-01", cred: credOwnerA, status: 422,
				want: []string{"at most"}},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
		if status, _ := f.do("GET", "/api/v1/api_keys/{keyAllID}/usage?from=2025-01-01&to=2026-12-01&granularity=day", credOwnerA, ""); status != http.StatusOK {
			t.Errorf("a year by day: %d", status)
		}

		// Rows of hours before the retention's start go; the later stay.
		n, err := f.st.PurgeKeyUsage(t.Context(), time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC))
		if err != nil || n != 2 { // keyAll's and keyP1's 10:00 rows
			t.Errorf("purged %d rows (%v), want 2", n, err)
		}
		hours = buckets("/api/v1/api_keys/{keyAllID}/usage?from=2026-12-01T10:00:00Z&to=2026-12-01T12:00:00Z", credOwnerA)
		if len(hours) != 2 || hours[0] != (counts{}) || hours[1] != want[2] {
			t.Errorf("after the purge: %+v", hours)
		}
	})
}
