package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// Routes that take no credential, and routes about the user's account
// rather than a property's data (each handler refuses keys where a key
// must not act). Every other route must read or write a family.
var (
	publicRoutes = []string{"GET /healthz", "GET /readyz", "GET /api/v1/openapi.json", "POST /api/v1/sign_in",
		"POST /api/v1/refresh_token", "GET /api/v1/photo_files/{name}", "POST /api/v1/secret_scanning/report",
		// Channels authenticate with their connection's inbound key (api-key).
		"POST /api/v1/channel_webhooks/open_channel/new_booking", "POST /api/v1/channel_webhooks/open_channel/booking_availability_check",
		"POST /api/v1/channel_webhooks/open_channel/request_full_sync", "/api/"}
	accountRoutes = []string{"GET /api/v1/api_keys", "POST /api/v1/api_keys", "GET /api/v1/api_keys/{id}", "PUT /api/v1/api_keys/{id}",
		"POST /api/v1/api_keys/{id}/withdraw", "POST /api/v1/api_keys/{id}/roll", "POST /api/v1/api_keys/{id}/block",
		"POST /api/v1/api_keys/{id}/unblock", "GET /api/v1/api_keys/{id}/usage", "POST /api/v1/api_keys/leaks",
		"GET /api/v1/organization", "PUT /api/v1/organization", "GET /api/v1/audit_events"}
)

// routeAccessProblems returns what is wrong with the declared access of
// each route of m: none declared, a public or account route not on the
// lists above, or a family route whose level does not match its method
// (GET and HEAD read, the rest write).
func routeAccessProblems(m *routeMux) []string {
	var out []string
	for _, p := range m.patterns {
		a, ok := m.access[p]
		method, _, _ := strings.Cut(p, " ")
		switch {
		case !ok:
			out = append(out, p+": declares no family (register it with s.reads, s.writes or s.needs)")
		case a.kind == accessPublic && !slices.Contains(publicRoutes, p):
			out = append(out, p+": public, but not on the list of public routes")
		case a.kind == accessAccount && !slices.Contains(accountRoutes, p):
			out = append(out, p+": an account route, but not on the list of account routes")
		case a.kind == accessFamily && len(a.need.Families) == 0:
			out = append(out, p+": needs no family")
		case a.kind == accessFamily && (method == "GET") != (a.need.Level == keycard.LevelRead):
			out = append(out, p+": needs "+a.need.String()+", which does not match its method")
		}
	}
	return out
}

// TestRouteTableDeclaresAccess holds every route to declaring what it
// reads or writes.
func TestRouteTableDeclaresAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	for _, p := range routeAccessProblems(f.api.mux) {
		t.Error(p)
	}

	t.Run("a route without a family fails", func(t *testing.T) {
		m := &routeMux{ServeMux: http.NewServeMux()}
		m.Handle("GET /api/v1/bookings", f.api.reads(keycard.FamilyBookings, f.api.listBookings))
		m.Handle("GET /api/v1/channels", f.api.handle(f.api.authenticate(nil, f.api.notFound)))
		m.Handle("POST /api/v1/channels", f.api.reads(keycard.FamilyChannels, f.api.notFound))
		got := routeAccessProblems(m)
		if len(got) != 2 || !strings.Contains(got[0], "GET /api/v1/channels: declares no family") ||
			!strings.Contains(got[1], "POST /api/v1/channels: needs channels: read, which does not match") {
			t.Fatalf("got %q, want the undeclared route and the mismatched one", got)
		}
		// At run time, an undeclared route refuses every key, and still
		// serves a signed-in user.
		f.srv = m
		f.run(t, scenario{method: "GET", path: "/api/v1/channels", cred: credKeyAll, status: 403, want: []string{"declares no permission family"}})
		f.run(t, scenario{method: "GET", path: "/api/v1/channels", cred: credOwnerA, status: 404})
	})
}

// TestRMSPermissions is the RMS preset end to end: it writes restrictions
// and reads bookings (guest details included: see the README), and is
// refused, naming the permission, where it may not go.
func TestRMSPermissions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		bk.keep("b1", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("R100", ""), 201))
		hook := createHook(t, bk.fixture, credOwnerA, `"{p1}"`)

		status, body := bk.do("POST", "/api/v1/api_keys", credOwnerA, `{"api_key":{"name":"RMS","permissions":"rms"}}`)
		if status != 201 {
			t.Fatalf("create an rms key: %d %s", status, redact(bk.fixture, body))
		}
		a := attributes(t, body)
		id, secret := a["id"].(string), a["key"].(string)
		wantPerms := map[string]any{"properties": "read", "inventory": "read", "availability": "read", "restrictions": "write",
			"bookings": "read", "webhooks": "none", "channels": "none"}
		if p, _ := a["permissions"].(map[string]any); !mapsEqual(p, wantPerms) || a["permissions_preset"] != "rms" || a["read_only"] != false {
			t.Fatalf("answer shows permissions %v preset %v read_only %v, want %v, rms, false", a["permissions"], a["permissions_preset"], a["read_only"], wantPerms)
		}

		bk.rawKey = secret
		bk.runAll(t, []scenario{
			{name: "writes restrictions", method: "POST", path: "/api/v1/restrictions", status: 200, want: ariSuccess,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{d0}","date_to":"{d4}","rate":12345}]}`},
			{name: "reads availability", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d1}", status: 200},
			{name: "cannot write availability", method: "POST", path: "/api/v1/availability", status: 403, want: []string{"availability: write required"},
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":1}]}`},
			{name: "reads a booking, guest details included", method: "GET", path: "/api/v1/bookings/{b1}", status: 200, want: []string{`"{b1}"`, `"surname":"Silva"`}},
			{name: "reads the feed", method: "GET", path: "/api/v1/booking_revisions/feed", status: 200},
			{name: "cannot acknowledge a revision", method: "POST", path: "/api/v1/booking_revisions/{b1rev}/ack", status: 403, want: []string{"bookings: write required"}},
			{name: "cannot create a room type", method: "POST", path: "/api/v1/room_types", status: 403,
				body:  `{"room_type":{"property_id":"{p1}","title":"Suite","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`,
				want:  []string{`"code":"forbidden"`, "inventory: write required"},
				never: []string{"Suite"}},
			{name: "cannot create a webhook", method: "POST", path: "/api/v1/webhooks", status: 403,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"https://93.184.216.34/hook","event_mask":"*","is_active":true}}`,
				want: []string{`"code":"forbidden"`, "webhooks: write required"}},
			{name: "cannot list webhooks", method: "GET", path: "/api/v1/webhooks", status: 403, want: []string{"webhooks: read required"}, never: []string{hook}},
			{name: "cannot delete the property", method: "DELETE", path: "/api/v1/properties/{p1}", status: 403, want: []string{"properties: write required"}},
			{name: "reads its tasks", method: "GET", path: "/api/v1/tasks", status: 200},
		})
		bk.rawKey = ""
		if n := countEvents(bk.auditEvents(t, credOwnerA, "?filter[event]=api_key.use_refused&filter[api_key_id]="+id), keycard.AuditUseRefused, keycard.RefusedPermission); n != 1 {
			t.Errorf("%d permission refusals in the audit log, want 1 (one a minute)", n)
		}

		// A change of permissions takes effect on the next request, though
		// the key is cached.
		bk.send(t, "PUT", "/api/v1/api_keys/"+id, credOwnerA, `{"api_key":{"permissions":{"rates":"write","inventory":"write"}}}`, 200)
		bk.rawKey = secret
		bk.runAll(t, []scenario{
			{name: "now creates a room type", method: "POST", path: "/api/v1/room_types", status: 201,
				body: `{"room_type":{"property_id":"{p1}","title":"Suite","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`},
			{name: "no longer reads bookings", method: "GET", path: "/api/v1/bookings/{b1}", status: 403, want: []string{"bookings: read required"}, never: []string{"Silva"}},
		})
		bk.rawKey = ""
		got := attributes(t, mustBody(t, bk.fixture, "GET", "/api/v1/api_keys/"+id, credOwnerA))
		if got["permissions_preset"] != nil || got["permissions"].(map[string]any)["restrictions"] != "write" || got["permissions"].(map[string]any)["bookings"] != "none" {
			t.Errorf("after the change: permissions %v preset %v", got["permissions"], got["permissions_preset"])
		}
	})
}

// TestPermissionsInput covers the ways permissions are sent, and the
// refusals of bad ones.
func TestPermissionsInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		create := func(body string) (int, map[string]any, string) {
			status, resp := f.do("POST", "/api/v1/api_keys", credOwnerA, body)
			if status != 201 {
				return status, nil, resp
			}
			return status, attributes(t, resp), resp
		}
		for _, tt := range []struct {
			name, body string
			preset     any
			readOnly   bool
		}{
			{"default is full", `{"api_key":{"name":"k"}}`, "full", false},
			{"read_only is an alias", `{"api_key":{"name":"k","read_only":true}}`, "read_only", true},
			{"a preset name", `{"api_key":{"name":"k","permissions":"PMS"}}`, "pms", false},
			{"an object equal to a preset", `{"api_key":{"name":"k","permissions":{"restrictions":"write","properties":"read","inventory":"read","availability":"read","bookings":"read"}}}`, "rms", false},
			{"an object with no write", `{"api_key":{"name":"k","permissions":{"bookings":"read"}}}`, nil, true},
		} {
			status, a, _ := create(tt.body)
			if status != 201 || a["permissions_preset"] != tt.preset || a["read_only"] != tt.readOnly {
				t.Errorf("%s: %d preset %v read_only %v, want 201 %v %v", tt.name, status, a["permissions_preset"], a["read_only"], tt.preset, tt.readOnly)
			}
		}
		for _, tt := range []struct{ name, body, want string }{
			{"an unknown preset", `{"api_key":{"name":"k","permissions":"admin"}}`, "must be a preset"},
			{"an unknown family", `{"api_key":{"name":"k","permissions":{"rooms":"write"}}}`, `unknown family \"rooms\"`},
			{"an unknown level", `{"api_key":{"name":"k","permissions":{"bookings":"all"}}}`, `unknown level \"all\"`},
			{"not a string or object", `{"api_key":{"name":"k","permissions":7}}`, "must be a preset"},
			{"read_only against permissions", `{"api_key":{"name":"k","read_only":true,"permissions":"rms"}}`, "contradicts permissions"},
		} {
			status, _, resp := create(tt.body)
			if status != 422 || !strings.Contains(resp, tt.want) {
				t.Errorf("%s: %d %s, want 422 with %q", tt.name, status, redact(f, resp), tt.want)
			}
		}
		// read_only false on a key that grants no write makes it full; on an
		// RMS key it changes nothing.
		_, ro, _ := create(`{"api_key":{"name":"k","permissions":{"bookings":"read"}}}`)
		a := attributes(t, mustDo(t, f, "PUT", "/api/v1/api_keys/"+ro["id"].(string), `{"api_key":{"read_only":false}}`))
		if a["permissions_preset"] != "full" {
			t.Errorf("read_only false on a read key: preset %v, want full", a["permissions_preset"])
		}
		_, rms, _ := create(`{"api_key":{"name":"k","permissions":"rms"}}`)
		a = attributes(t, mustDo(t, f, "PUT", "/api/v1/api_keys/"+rms["id"].(string), `{"api_key":{"read_only":false}}`))
		if a["permissions_preset"] != "rms" {
			t.Errorf("read_only false on an rms key: preset %v, want rms", a["permissions_preset"])
		}
	})
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustDo(t *testing.T, f *fixture, method, path, body string) string {
	t.Helper()
	status, resp := f.do(method, path, credOwnerA, body)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", method, path, status, redact(f, resp))
	}
	return resp
}

// TestOpenAPIPermissions holds each operation's x-keycard-permission to
// the route's declaration: "public", "account", or the need ("bookings:
// read").
func TestOpenAPIPermissions(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	for _, p := range f.api.mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		op := docOperation(doc, method, path)
		if !ok || op == nil {
			continue // the catch-all; TestOpenAPI reports a route missing from the document
		}
		var want string
		switch a := f.api.mux.access[p]; a.kind {
		case accessPublic:
			want = "public"
		case accessAccount:
			want = "account"
		case accessFamily:
			want = a.need.String()
		}
		if got, _ := op.Extensions["x-keycard-permission"].(string); got != want {
			t.Errorf("%s: x-keycard-permission is %q, want %q", p, got, want)
		}
	}
}
