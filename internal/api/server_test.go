package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestServerEdges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)

		t.Run("CORS preflight allows user-api-key", func(t *testing.T) {
			req := httptest.NewRequest("OPTIONS", "/api/v1/properties/", nil)
			req.Header.Set("Origin", "https://pms.example")
			req.Header.Set("Access-Control-Request-Method", "GET")
			req.Header.Set("Access-Control-Request-Headers", "user-api-key")
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				t.Errorf("status %d, want 204", rec.Code)
			}
			if h := rec.Header().Get("Access-Control-Allow-Headers"); !strings.Contains(h, "user-api-key") {
				t.Errorf("Access-Control-Allow-Headers = %q, want it to include user-api-key", h)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") == "" {
				t.Errorf("no Access-Control-Allow-Origin")
			}
		})

		t.Run("body over 10 MB", func(t *testing.T) {
			big := `{"property":{"title":"` + strings.Repeat("a", MaxBodyBytes) + `","currency":"EUR"}}`
			f.run(t, scenario{method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: big, status: 413, want: []string{"payload_too_large"}})
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 200, want: []string{`"total":2`}})
		})

		t.Run("headers on every answer", func(t *testing.T) {
			for _, c := range []cred{credOwnerA, noCred} {
				rec := f.response("GET", "/api/v1/properties", c, "")
				if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Content-Type-Options") != "nosniff" ||
					rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
					t.Errorf("as %q: headers %v", c, rec.Header())
				}
			}
		})

		t.Run("health", func(t *testing.T) {
			f.run(t, scenario{method: "GET", path: "/healthz", status: 200})
			f.run(t, scenario{method: "GET", path: "/readyz", status: 200, want: []string{"ready"}})
		})

		t.Run("method not routed", func(t *testing.T) {
			f.run(t, scenario{method: "PATCH", path: "/api/v1/properties/{p1}", cred: credOwnerA, body: `{}`, status: 404, want: []string{"resource_not_found"}})
		})

		t.Run("empty body", func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/groups", nil)
			req.Header.Set("Authorization", "Bearer "+f.tokenA)
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), "bad_request") {
				t.Errorf("status %d, want 400 bad_request", rec.Code)
			}
		})

		t.Run("database down answers 500 without internal text", func(t *testing.T) {
			g := newFixture(t, storetest.Config(t, cfg.Dialect()), keycard.ModeStaging)
			g.st.Close()
			status, body := g.do("GET", "/api/v1/properties", credOwnerA, "")
			if status != 500 || body != `{"errors":{"code":"internal_error","title":"Internal Server Error"}}`+"\n" {
				t.Errorf("got %d %s, want a bare 500 envelope", status, body)
			}
			if status, _ := g.do("GET", "/readyz", noCred, ""); status != 503 {
				t.Errorf("readyz with the database closed: %d, want 503", status)
			}
		})
	})
}

// TestCredentialConflicts checks that a request with more than one
// credential is refused with a 400 naming the conflict, never answered as
// one of them.
func TestCredentialConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	const twoKeys, twoAuthz, keyAndBearer = "user-api-key header is given more than once",
		"Authorization header is given more than once", "Both a user-api-key header and an Authorization: Bearer token are given"
	for _, sc := range []scenario{
		{name: "two keys", method: "GET", path: "/api/v1/properties", cred: credTwoKeys, status: 400,
			want: []string{`"code":"bad_request"`, twoKeys}},
		{name: "two keys joined by a proxy", method: "GET", path: "/api/v1/properties", cred: credJoinedKeys, status: 400,
			want: []string{`"code":"bad_request"`, twoKeys}},
		{name: "a key and a bearer token", method: "GET", path: "/api/v1/properties", cred: credKeyAndBearer, status: 400,
			want: []string{`"code":"bad_request"`, keyAndBearer}},
		{name: "two Authorization headers", method: "GET", path: "/api/v1/properties", cred: credTwoBearers, status: 400,
			want: []string{`"code":"bad_request"`, twoAuthz}},
		{name: "two Authorization headers on refresh", method: "POST", path: "/api/v1/refresh_token", cred: credTwoBearers, status: 400,
			want: []string{`"code":"bad_request"`, twoAuthz}},
		{name: "a write with two keys", method: "POST", path: "/api/v1/groups", cred: credTwoKeys, body: `{"group":{"title":"Porto"}}`, status: 400,
			want: []string{twoKeys}},
		// Basic authorization is no credential of keycard's: the key alone
		// counts, as before.
		{name: "a key and Basic authorization", method: "GET", path: "/api/v1/properties", cred: credKeyAndBasic, status: 200,
			want: []string{"{p1}", "{p2}"}},
	} {
		t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
	}
	// Nothing was written by the refused write.
	f.run(t, scenario{method: "GET", path: "/api/v1/groups", cred: credOwnerA, status: 200, never: []string{"Porto"}})
}

func TestRoutesBuild(t *testing.T) {
	t.Parallel()
	// The mux panics on conflicting patterns; building it is the test.
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("route table: %v", r)
		}
	}()
	New(Config{Mode: keycard.ModeStaging})
}

// TestRepeatedSlashes checks that a path written with repeated slashes, as
// clients that join a base URL ending in "/" to a path starting with one
// build it, is answered as if single-slashed: never with a redirect, which
// a client may not follow on a POST.
func TestRepeatedSlashes(t *testing.T) {
	t.Parallel()
	bk := newBookings(t, storetest.Config(t, "sqlite"))
	push := `{"booking":{"status":"new","reservation_id":"R-SLASH","arrival_date":"{d1}","departure_date":"{d2}","currency":"EUR",
		"customer":{"name":"A","surname":"B"},"rooms":[{"occupancy":{"adults":2},"rate_plan_id":"{rp1}","days":{"{d1}":100}}]}}`
	bk.runAll(t, []scenario{
		{name: "POST //api/v1/bookings/push", method: "POST", path: "//api/v1/bookings/push", cred: credKeyP1, body: push, status: 201,
			want: []string{`"type":"booking"`, `"ota_reservation_code":"R-SLASH"`}},
		{name: "GET //api/v1//properties", method: "GET", path: "//api/v1//properties", cred: credKeyP1, status: 200,
			want: []string{`"total":1`, "{p1}"}},
		{name: "slashes everywhere, and a trailing one", method: "GET", path: "///api//v1///properties//{p1}//", cred: credKeyP1, status: 200,
			want: []string{`"id":"{p1}"`}},
		{name: "a query string keeps its slashes", method: "GET", path: "//api/v1/properties?filter[title]=a//b", cred: credKeyP1, status: 200,
			want: []string{`"total":0`}},
		{name: "an unknown path is still a 404", method: "GET", path: "//api/v1//nothing", cred: credKeyP1, status: 404,
			want: []string{"resource_not_found"}},
	})
}
