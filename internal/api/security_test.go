package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// keyForbiddenRoutes are the routes by which a credential could bring a
// new person in or make a new credential. An API key gets 403 on each,
// whatever it reaches: only a signed-in user grants people access or makes
// keys, so that a leaked key hands out nothing that outlives its
// withdrawal.
//
// The other writing routes were checked and cannot: POST /properties
// makes a property of the key user's own organisation, reached by those
// that humans already gave its group to; POST /groups makes a group with
// no users; putting a property into a group (which keys may, as Channex
// clients do while setting a property up, and which is audited) gives it
// to the group's users, whom a signed-in user gave the group to; DELETE of
// a property or group only takes access away; sign_in and refresh_token
// need a password or a refresh token, never a key.
var keyForbiddenRoutes = []struct{ method, path, body string }{
	{"POST", "/api/v1/property_users", `{"invite":{"property_id":"{p1}","user_email":"outsider@example.net","role":"owner"}}`},
	{"PUT", "/api/v1/property_users/{memberP1}", `{"property_user":{"role":"owner"}}`},
	{"DELETE", "/api/v1/property_users/{memberP1}", ``},
	{"POST", "/api/v1/group_users", `{"invite":{"group_id":"{groupLis}","user_email":"outsider@example.net","role":"owner"}}`},
	{"PUT", "/api/v1/group_users/{memberLis}", `{"group_user":{"role":"owner"}}`},
	{"DELETE", "/api/v1/group_users/{memberLis}", ``},
	{"GET", "/api/v1/api_keys", ``},
	{"POST", "/api/v1/api_keys", `{"api_key":{"name":"more","access_all_properties":true}}`},
	{"PUT", "/api/v1/api_keys/{keyP1ID}", `{"api_key":{"access_all_properties":true}}`},
	{"POST", "/api/v1/api_keys/{keyP1ID}/withdraw", ``},
}

// TestLeakedKeyCannotGrantAccess walks the attack of a leaked key: it
// tries to make an outside account an owner of the key's property, first
// with a restricted key and then with an all-properties key, and the key
// is then withdrawn. The outsider must end with no access, and no member,
// key or user may have been made on the way.
func TestLeakedKeyCannotGrantAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		ctx := context.Background()
		// The outsider has an account of their own, so they could sign in
		// and make keys for whatever they were given.
		if _, _, err := f.st.CreateOwner(ctx, "outsider@example.net", "outsider password", ""); err != nil {
			t.Fatal(err)
		}
		outsider := f.signIn("outsider@example.net", "outsider password")
		// A group user of Lisbon, so that group-user routes have a target.
		gu, err := f.st.Invite(ctx, store.GroupUsers, f.ownerA, f.groupLis, "lisbon@example.com", keycard.RoleUser, nil)
		if err != nil {
			t.Fatal(err)
		}
		pus, _, err := f.st.ListMembers(ctx, store.PropertyUsers, f.ownerA, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || len(pus) != 1 {
			t.Fatalf("property users: %d, %v; want memberA's", len(pus), err)
		}
		expand := strings.NewReplacer("{memberP1}", pus[0].ID, "{memberLis}", gu.ID).Replace

		for _, c := range []cred{credKeyP1, credKeyAll} {
			for _, rt := range keyForbiddenRoutes {
				t.Run(string(c)+" "+rt.method+" "+rt.path, func(t *testing.T) {
					f.run(t, scenario{method: rt.method, path: expand(rt.path), cred: c, body: rt.body, status: 403, want: []string{`"code":"forbidden"`, "sign in"}})
				})
			}
		}

		// Nothing changed: the same members with the same roles, no new
		// user, no new key.
		for _, kind := range []store.MemberKind{store.PropertyUsers, store.GroupUsers} {
			list, _, err := f.st.ListMembers(ctx, kind, f.ownerA, keycard.ListQuery{Page: 1, Limit: 10})
			if err != nil || len(list) != 1 || list[0].Role != keycard.RoleUser {
				t.Errorf("%s members after the attack: %d, %v; want the one user it had", kind.TargetField(), len(list), err)
			}
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200, want: []string{`"total":3`}})
		f.run(t, scenario{method: "GET", path: "/api/v1/groups/{groupDefault}", cred: credOwnerA, status: 200, want: []string{"{p2}"}})

		// Withdraw the key; the outsider reaches nothing of organisation A
		// and cannot make a key for its property.
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/{keyAllID}/withdraw", cred: credOwnerA, status: 200})
		f.tokenMem = outsider
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credMember, status: 200, want: []string{`"total":0`}, never: []string{"{p1}", "{p2}"}})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p1}", cred: credMember, status: 404})
		f.run(t, scenario{method: "POST", path: "/api/v1/restrictions", cred: credMember, status: 200,
			body: `{"values":[{"property_id":"{p1}","rate_plan_id":"00000000-0000-4000-8000-000000000000","date":"2099-01-01","rate":100}]}`,
			want: []string{"warnings"}})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys", cred: credMember, status: 422,
			body: `{"api_key":{"name":"mine","access_all_properties":false,"property_ids":["{p1}"]}}`})
	})
}

// TestReferencesOutOfReachReadAsMissing checks that an id inside a body
// naming another organisation's resource is answered exactly as an id that
// names nothing: no detail of the resource (its currency, say) shows.
func TestReferencesOutOfReachReadAsMissing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		const unknown = "00000000-0000-4000-8000-000000000000"
		for _, tc := range []struct{ name, method, path, body string }{
			{"create derived plan", "POST", "/api/v1/rate_plans",
				`{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"Probe","currency":"GBP","parent_rate_plan_id":"PARENT","options":[{"occupancy":2,"is_primary":true}]}}`},
			{"update to derived plan", "PUT", "/api/v1/rate_plans/{rp1}", `{"rate_plan":{"currency":"GBP","parent_rate_plan_id":"PARENT"}}`},
			{"rate plan on a room type", "POST", "/api/v1/rate_plans",
				`{"rate_plan":{"property_id":"{p1}","room_type_id":"ROOM","title":"Probe","options":[{"occupancy":2,"is_primary":true}]}}`},
			{"property in a group", "POST", "/api/v1/properties", `{"property":{"title":"Probe","currency":"EUR","group_id":"GROUP"}}`},
			{"key for properties", "POST", "/api/v1/api_keys", `{"api_key":{"name":"Probe","access_all_properties":false,"property_ids":["PROPERTY"]}}`},
			{"restrictions", "POST", "/api/v1/restrictions", `{"values":[{"property_id":"{p1}","rate_plan_id":"PARENT","date":"{d0}","rate":100}]}`},
			{"availability", "POST", "/api/v1/availability", `{"values":[{"property_id":"{p1}","room_type_id":"ROOM","date":"{d0}","availability":1}]}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				send := func(parent, room, group, property string) (int, string) {
					body := strings.NewReplacer("PARENT", parent, "ROOM", room, "GROUP", group, "PROPERTY", property).Replace(tc.body)
					return inv.do(tc.method, inv.x(tc.path), credOwnerA, inv.x(body))
				}
				theirs, theirBody := send(inv.rpB, inv.rtB, inv.groupB, inv.p3)
				none, noneBody := send(unknown, unknown, unknown, unknown)
				theirBody = strings.NewReplacer(inv.rpB, unknown, inv.rtB, unknown, inv.groupB, unknown, inv.p3, unknown).Replace(theirBody)
				if theirs != none || theirBody != noneBody {
					t.Errorf("another organisation's id: %d %s\nan unknown id: %d %s", theirs, theirBody, none, noneBody)
				}
			})
		}
	})
}

// TestAbandonedRequestIsNotAnError sends requests whose client has hung
// up: the database calls they make fail with "context canceled", which
// must be logged as a 499 at info level, not as an internal error.
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	var logs bytes.Buffer
	srv := New(Config{Store: f.st, Auth: auth.New(auth.Config{Store: f.st, Mode: f.mode, Log: slog.New(slog.DiscardHandler)}), Mode: f.mode, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []cred{credKeyAll, credOwnerA} {
		req := httptest.NewRequest("GET", "/api/v1/properties", nil).WithContext(ctx)
		for k, v := range f.headers(c) {
			req.Header[k] = v
		}
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	if strings.Contains(logs.String(), "level=ERROR") || strings.Count(logs.String(), "status=499") != 2 {
		t.Errorf("log of two abandoned requests:\n%s\nwant two 499 lines and no error", logs.String())
	}
}

// TestIDsAndRepeatedParameters checks that ids in a path are read in any
// case, and that a list parameter given twice is refused rather than
// quietly read as one of its values.
func TestIDsAndRepeatedParameters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		upper := strings.ToUpper
		inv.runAll(t, []scenario{
			{name: "upper-case property id", method: "GET", path: "/api/v1/properties/" + upper(inv.p1), cred: credKeyP1, status: 200,
				want: []string{`"id":"{p1}"`}},
			{name: "upper-case id with a trailing slash", method: "GET", path: "/api/v1/rate_plans/" + upper(inv.rp1) + "/", cred: credKeyP1, status: 200,
				want: []string{`"id":"{rp1}"`}},
			{name: "upper-case ids in a nested path", method: "POST", path: "/api/v1/groups/" + upper(inv.groupLis) + "/properties/" + upper(inv.p2),
				cred: credOwnerA, status: 200},
			{name: "upper-case id out of reach", method: "GET", path: "/api/v1/properties/" + upper(inv.p2), cred: credKeyP1, status: 404},
			{name: "repeated filter", method: "GET", path: "/api/v1/rate_plans?filter[property_id]={p1}&filter[property_id]={p2}", cred: credOwnerA,
				status: 400, want: []string{`"code":"bad_request"`, "filter[property_id] is given more than once"}},
			{name: "repeated filter, once percent-encoded", method: "GET", path: "/api/v1/rate_plans?filter[property_id]={p1}&filter%5Bproperty_id%5D={p1}",
				cred: credOwnerA, status: 400, want: []string{"filter[property_id] is given more than once"}},
			{name: "repeated filter on an ARI read", method: "GET",
				path:   "/api/v1/availability?filter[property_id]={p1}&filter[property_id]={p2}&filter[date][gte]={d0}&filter[date][lte]={d1}",
				cred:   credOwnerA,
				status: 400, want: []string{"filter[property_id] is given more than once"}},
			{name: "repeated operator", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][gte]={d1}&filter[date][lte]={d2}",
				cred: credOwnerA, status: 400, want: []string{"filter[date][gte] is given more than once"}},
			{name: "repeated page", method: "GET", path: "/api/v1/properties?pagination[page]=1&pagination[page]=2", cred: credOwnerA,
				status: 400, want: []string{"pagination[page] is given more than once"}},
			{name: "a list in one filter", method: "GET", path: "/api/v1/rate_plans?filter[property_id]={p1},{p2}", cred: credOwnerA, status: 200,
				want: []string{"{rp1}", "{rp2}"}},
		})
	})
}
