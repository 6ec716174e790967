package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		status, body := f.do("POST", "/api/v1/groups", credOwnerA, `{"group":{"title":"South London Group"}}`)
		if status != 201 {
			t.Fatalf("create group: %d %s", status, body)
		}
		g := decode(t, body)["data"].(map[string]any)["id"].(string)
		for _, sc := range []scenario{
			{name: "get", method: "GET", path: "/api/v1/groups/" + g, cred: credOwnerA, status: 200,
				want: []string{`"type":"group"`, `"title":"South London Group"`, `"properties":{"data":[]}`}},
			{name: "blank title", method: "POST", path: "/api/v1/groups", cred: credOwnerA, body: `{"group":{"title":""}}`, status: 422,
				want: []string{`"title":["can't be blank"]`}},
			{name: "title wrong type", method: "PUT", path: "/api/v1/groups/" + g, cred: credOwnerA, body: `{"group":{"title":[]}}`, status: 422},
			{name: "rename", method: "PUT", path: "/api/v1/groups/" + g, cred: credOwnerA, body: `{"group":{"title":"SE London"}}`, status: 200,
				want: []string{"SE London"}},
			{name: "add P2", method: "POST", path: "/api/v1/groups/" + g + "/properties/{p2}", cred: credOwnerA, status: 200, want: []string{"Success"}},
			{name: "add P2 twice", method: "POST", path: "/api/v1/groups/" + g + "/properties/{p2}", cred: credOwnerA, status: 422,
				want: []string{"Only one GroupHotel entity per Group and Hotel pair allowed!"}},
			{name: "add other org's property", method: "POST", path: "/api/v1/groups/" + g + "/properties/{p3}", cred: credOwnerA, status: 404},
			{name: "group lists P2", method: "GET", path: "/api/v1/groups/" + g, cred: credOwnerA, status: 200, want: []string{"{p2}", "Bravo Hotel"}},
			{name: "delete group with a property", method: "DELETE", path: "/api/v1/groups/" + g, cred: credOwnerA, status: 400, want: []string{"bad_request"}},
			{name: "remove P2 from default group", method: "DELETE", path: "/api/v1/groups/{groupDefault}/properties/{p2}", cred: credOwnerA, status: 200},
			{name: "remove P2 from its last group", method: "DELETE", path: "/api/v1/groups/" + g + "/properties/{p2}", cred: credOwnerA, status: 400,
				want: []string{"at least one group"}},
			{name: "delete default group", method: "DELETE", path: "/api/v1/groups/{groupDefault}", cred: credOwnerA, status: 400},
			{name: "member may not create groups", method: "POST", path: "/api/v1/groups", cred: credMember, body: `{"group":{"title":"x"}}`, status: 403},
			{name: "member sees the group of its property", method: "GET", path: "/api/v1/groups", cred: credMember, status: 200,
				want: []string{"{groupLis}", "{p1}"}, never: []string{"{p2}", "{groupDefault}"}},
			{name: "member may not rename it", method: "PUT", path: "/api/v1/groups/{groupLis}", cred: credMember, body: `{"group":{"title":"x"}}`, status: 403},
			{name: "other org cannot see", method: "GET", path: "/api/v1/groups/" + g, cred: credOwnerB, status: 404},
			{name: "other org cannot delete", method: "DELETE", path: "/api/v1/groups/" + g, cred: credOwnerB, status: 404},
			{name: "unknown group", method: "GET", path: "/api/v1/groups/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
		// Empty again, the group can go.
		f.run(t, scenario{method: "POST", path: "/api/v1/groups/{groupDefault}/properties/{p2}", cred: credOwnerA, status: 200})
		f.run(t, scenario{method: "DELETE", path: "/api/v1/groups/" + g + "/properties/{p2}", cred: credOwnerA, status: 200})
		f.run(t, scenario{method: "DELETE", path: "/api/v1/groups/" + g, cred: credOwnerA, status: 200})
		f.run(t, scenario{method: "GET", path: "/api/v1/groups/" + g, cred: credOwnerA, status: 404})
	})
}

func TestMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		ctx := context.Background()
		// Invite a new person to P2: the account is created without a password.
		status, body := f.do("POST", "/api/v1/property_users", credOwnerA,
			`{"invite":{"property_id":"{p2}","user_email":"New.Person@Example.com","role":"user","overrides":{"rates":false}}}`)
		if status != 201 {
			t.Fatalf("invite: %d %s", status, body)
		}
		pu := decode(t, body)["data"].(map[string]any)
		if pu["type"] != "property_user" || !strings.Contains(body, `"overrides":{"rates":false}`) || !strings.Contains(body, `"email":"New.Person@Example.com"`) {
			t.Errorf("invite: unexpected body %s", body)
		}
		u, err := f.st.UserByEmail(ctx, "new.person@example.com")
		if err != nil || u.HasPassword || u.OrganizationID != f.orgA {
			t.Fatalf("invited user: %+v, %v; want a user of org A without password", u, err)
		}
		id := pu["id"].(string)
		for _, sc := range []scenario{
			{name: "invite again", method: "POST", path: "/api/v1/property_users", cred: credOwnerA,
				body: `{"invite":{"property_id":"{p2}","user_email":"new.person@example.com","role":"user"}}`, status: 400, want: []string{"User already invited"}},
			{name: "invite bad role and email", method: "POST", path: "/api/v1/property_users", cred: credOwnerA,
				body: `{"invite":{"property_id":"{p2}","user_email":"","role":"admin","overrides":[]}}`, status: 422,
				want: []string{`"user_email":["can't be blank"]`, `"role":`, `"overrides":`}},
			{name: "invite to other org's property", method: "POST", path: "/api/v1/property_users", cred: credOwnerA,
				body: `{"invite":{"property_id":"{p3}","user_email":"x@example.com","role":"user"}}`, status: 404},
			{name: "member (role user) may not invite", method: "POST", path: "/api/v1/property_users", cred: credMember,
				body: `{"invite":{"property_id":"{p1}","user_email":"y@example.com","role":"user"}}`, status: 403},
			{name: "list by property", method: "GET", path: "/api/v1/property_users?filter[property_id]={p2}", cred: credOwnerA, status: 200,
				want: []string{id, `"total":1`}},
			{name: "restricted key lists only P1's users", method: "GET", path: "/api/v1/property_users", cred: credKeyP1, status: 200,
				want: []string{`"total":1`, "{p1}"}, never: []string{id}},
			{name: "restricted key cannot read P2's user", method: "GET", path: "/api/v1/property_users/" + id, cred: credKeyP1, status: 404},
			{name: "update role", method: "PUT", path: "/api/v1/property_users/" + id, cred: credOwnerA,
				body: `{"property_user":{"role":"owner"}}`, status: 200, want: []string{`"role":"owner"`, `"rates":false`}},
			{name: "update bad role", method: "PUT", path: "/api/v1/property_users/" + id, cred: credOwnerA,
				body: `{"property_user":{"role":"king"}}`, status: 422},
			{name: "other org cannot delete", method: "DELETE", path: "/api/v1/property_users/" + id, cred: credOwnerB, status: 404},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
		// The invited person, once given a password, reaches P2 only.
		if err := f.st.SetPassword(ctx, "new.person@example.com", "a fine password"); err != nil {
			t.Fatal(err)
		}
		tok := f.signIn("NEW.PERSON@example.com", "a fine password")
		f.tokenMem = tok
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credMember, status: 200, want: []string{"{p2}"}, never: []string{"{p1}"}})
		// Nobody can remove themself.
		f.run(t, scenario{method: "DELETE", path: "/api/v1/property_users/" + id, cred: credMember, status: 400, want: []string{"User can not withdraw themself"}})
		f.run(t, scenario{method: "DELETE", path: "/api/v1/property_users/" + id, cred: credOwnerA, status: 200})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p2}", cred: credMember, status: 404})

		// A group user reaches every property of the group, including ones
		// added later.
		status, body = f.do("POST", "/api/v1/group_users", credOwnerA,
			`{"invite":{"group_id":"{groupDefault}","user_email":"new.person@example.com","role":"user"}}`)
		if status != 201 || !strings.Contains(body, `"type":"group_user"`) || !strings.Contains(body, f.groupDefault) {
			t.Fatalf("group invite: %d %s", status, body)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p2}", cred: credMember, status: 200})
		f.run(t, scenario{method: "GET", path: "/api/v1/group_users?filter[group_id]={groupDefault}", cred: credOwnerA, status: 200, want: []string{`"total":1`}})
		f.run(t, scenario{method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `{"property":{"title":"Later","currency":"EUR"}}`, status: 201})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credMember, status: 200, want: []string{`"Later"`, "{p2}"}})
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		status, body := f.do("POST", "/api/v1/sign_in", noCred, `{"user":{"email":"Owner-A@example.com","password":"password-owner-a@example.com"}}`)
		if status != 200 {
			t.Fatalf("sign in: %d", status)
		}
		m := decode(t, body)
		data := m["data"].(map[string]any)
		attrs := data["attributes"].(map[string]any)
		token, _ := attrs["token"].(string)
		if data["type"] != "session" || token == "" || attrs["refresh_token"] == nil {
			t.Fatalf("sign in: not a session: type %v", data["type"])
		}
		if !strings.Contains(body, `"system_role":"user"`) || !strings.Contains(body, `"email":"owner-a@example.com"`) {
			t.Errorf("sign in: no user relationship")
		}
		f.tokenA = token
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 200, want: []string{"{p1}"}})

		// Wrong password and unknown email: the same 401.
		_, wrong := f.do("POST", "/api/v1/sign_in", noCred, `{"user":{"email":"owner-a@example.com","password":"not the password"}}`)
		_, unknown := f.do("POST", "/api/v1/sign_in", noCred, `{"user":{"email":"nobody@example.com","password":"not the password"}}`)
		if wrong != unknown || !strings.Contains(wrong, `"code":"unauthorized"`) {
			t.Errorf("wrong password %s and unknown email %s answer differently", wrong, unknown)
		}
		// An invited user without a password cannot sign in with an empty one.
		f.run(t, scenario{method: "POST", path: "/api/v1/sign_in", body: `{"user":{"email":"member-a@example.com","password":""}}`, status: 422})
		f.run(t, scenario{method: "POST", path: "/api/v1/sign_in", body: `{"user":{"email":"x"}}`, status: 422, want: []string{"password"}})
		f.run(t, scenario{method: "POST", path: "/api/v1/sign_in", body: `nonsense`, status: 400})
		f.run(t, scenario{method: "POST", path: "/api/v1/sign_in", body: `{"user":{"email":"a\u0000@b.com","password":"xxxxxxxxxx"}}`, status: 422,
			want: []string{`"email":["contains a NUL character"]`}})

		// A refresh token gives a new session and ends the old one.
		rt := attrs["refresh_token"].(string)
		req := httptest.NewRequest("POST", "/api/v1/refresh_token", nil)
		req.Header.Set("Authorization", "Bearer "+rt)
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"type":"session"`) {
			t.Fatalf("refresh: %d", rec.Code)
		}
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 401})
		rec = httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != 401 {
			t.Errorf("refresh token reused: %d, want 401", rec.Code)
		}

		// Tokens expire after 24 hours.
		f.tokenA = f.signIn("owner-a@example.com", "password-owner-a@example.com")
		f.auth.SetClock(func() time.Time { return time.Now().Add(store.SessionTTL + time.Minute) })
		f.run(t, scenario{method: "GET", path: "/api/v1/properties", cred: credOwnerA, status: 401, want: []string{"expired"}})
		// A bearer that is not a session token, or another scheme.
		for _, h := range []string{"Bearer " + f.keyAll, "Basic dXNlcjpwYXNz", "Bearer", "Bearer kcs_x"} {
			req := httptest.NewRequest("GET", "/api/v1/properties", nil)
			req.Header.Set("Authorization", h)
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("Authorization %q: status %d, want 401", strings.Fields(h)[0], rec.Code)
			}
		}
	})
}
