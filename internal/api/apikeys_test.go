package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// createKey creates a key through the API and returns its id and secret.
func (f *fixture) createKey(c cred, body string) (id, secret string) {
	f.t.Helper()
	status, resp := f.do("POST", "/api/v1/api_keys", c, body)
	if status != http.StatusCreated {
		f.t.Fatalf("create key: status %d: %s", status, redact(f, resp))
	}
	attrs := decode(f.t, resp)["data"].(map[string]any)["attributes"].(map[string]any)
	return attrs["id"].(string), attrs["key"].(string)
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)

		// Create a key restricted to P1.
		status, body := f.do("POST", "/api/v1/api_keys", credOwnerA,
			`{"api_key":{"name":"Channel sync","access_all_properties":false,"property_ids":["{p1}"]}}`)
		if status != 201 {
			t.Fatalf("create: status %d, want 201: %s", status, redact(f, body))
		}
		data := decode(t, body)["data"].(map[string]any)
		attrs := data["attributes"].(map[string]any)
		id, secret := attrs["id"].(string), attrs["key"].(string)
		if data["type"] != "api_key" || data["id"] != id {
			t.Errorf("create: type %v id %v, want api_key and attributes.id", data["type"], data["id"])
		}
		if !tokens.Valid(tokens.KeyPrefix, secret) {
			t.Errorf("create: the key is not a well-formed keycard key")
		}
		for field, want := range map[string]any{"name": "Channel sync", "access_all_properties": false, "status": "active",
			"key_hint": tokens.Hint(secret), "last_used_at": nil, "withdrawn_at": nil} {
			if got := attrs[field]; got != want {
				t.Errorf("create: %s = %v, want %v", field, got, want)
			}
		}
		if ids := attrs["property_ids"].([]any); len(ids) != 1 || ids[0] != f.p1 {
			t.Errorf("create: property_ids = %v, want [P1]", ids)
		}
		if attrs["created_at"] == nil {
			t.Errorf("create: no created_at")
		}

		// The key is never shown again, and never stored in clear.
		for _, path := range []string{"/api/v1/api_keys", "/api/v1/api_keys/" + id, "/api/v1/api_keys?filter[status]=active"} {
			status, body := f.do("GET", path, credOwnerA, "")
			if status != 200 {
				t.Errorf("GET %s: status %d", path, status)
			}
			if strings.Contains(body, secret) || strings.Contains(body, `"key":`) {
				t.Errorf("GET %s shows the key again", path)
			}
			if !strings.Contains(body, id) {
				t.Errorf("GET %s does not list the new key", path)
			}
		}
		if storetest.Contains(t, cfg, secret) || storetest.Contains(t, cfg, secret[3:43]) {
			t.Errorf("the key is stored in clear")
		}
		if !storetest.Contains(t, cfg, tokens.Hash(secret)) {
			t.Errorf("the key's hash is not stored: the search above proves nothing")
		}

		// It works with and without a trailing slash, and only for P1.
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/", status: 200, want: []string{"{p1}"}, never: []string{"{p2}"}})
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 200, want: []string{"{p1}"}, never: []string{"{p2}"}})
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p2}", status: 404})
		})

		// Its uses are counted, written behind in a batch.
		if err := f.auth.FlushUsage(context.Background()); err != nil {
			t.Fatalf("flush usage: %v", err)
		}
		_, body = f.do("GET", "/api/v1/api_keys/"+id, credOwnerA, "")
		if decode(t, body)["data"].(map[string]any)["attributes"].(map[string]any)["last_used_at"] == nil {
			t.Errorf("last_used_at is still null after use")
		}

		// Widen it to all properties: it now reaches P2, at once.
		f.run(t, scenario{method: "PUT", path: "/api/v1/api_keys/" + id, cred: credOwnerA,
			body: `{"api_key":{"name":"Everything","access_all_properties":true}}`, status: 200,
			want: []string{`"name":"Everything"`, `"access_all_properties":true`, `"property_ids":[]`}})
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p2}", status: 200})
		})
		// Narrow it to P2.
		f.run(t, scenario{method: "PUT", path: "/api/v1/api_keys/" + id, cred: credOwnerA,
			body: `{"api_key":{"access_all_properties":false,"property_ids":["{p2}"]}}`, status: 200, want: []string{"{p2}"}})
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p1}", status: 404})
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p2}", status: 200})
		})

		// Withdraw it: it stays listed, marked, and gets 401 at once.
		status, body = f.do("POST", "/api/v1/api_keys/"+id+"/withdraw", credOwnerA, "")
		if status != 200 || !strings.Contains(body, `"status":"withdrawn"`) || strings.Contains(body, `"withdrawn_at":null`) {
			t.Errorf("withdraw: status %d body %s", status, redact(f, body))
		}
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 401, want: []string{`"code":"unauthorized"`, "withdrawn"}})
		})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys?filter[status]=withdrawn", cred: credOwnerA, status: 200, want: []string{id}})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys?filter[status]=active", cred: credOwnerA, status: 200, never: []string{id}})
		// A withdrawn key cannot be revived by an update, and there is no delete.
		f.run(t, scenario{method: "PUT", path: "/api/v1/api_keys/" + id, cred: credOwnerA, body: `{"api_key":{"name":"again"}}`, status: 422})
		f.run(t, scenario{method: "DELETE", path: "/api/v1/api_keys/" + id, cred: credOwnerA, status: 404})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys/" + id, cred: credOwnerA, status: 200, want: []string{`"status":"withdrawn"`}})

		// A server that started after the withdrawal refuses it too.
		f.reload()
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 401, want: []string{"withdrawn"}})
		})
	})
}

// headersOverride runs fn with requests authenticated by a raw key.
func (f *fixture) headersOverride(key string, fn func()) {
	f.rawKey = key
	defer func() { f.rawKey = "" }()
	fn()
}

func TestAPIKeyRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		for _, sc := range []scenario{
			{name: "property out of the user's reach", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":"x","access_all_properties":false,"property_ids":["{p3}"]}}`, status: 422, want: []string{"property_ids"}},
			{name: "unknown property", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":"x","access_all_properties":false,"property_ids":["00000000-0000-4000-8000-000000000000"]}}`, status: 422, want: []string{"property_ids"}},
			{name: "restricted without properties", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":"x","access_all_properties":false,"property_ids":[]}}`, status: 422, want: []string{"property_ids"}},
			{name: "empty name", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":"  "}}`, status: 422, want: []string{`"name":["can't be blank"]`}},
			{name: "wrong types", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA,
				body: `{"api_key":{"name":5,"access_all_properties":"yes","property_ids":"{p1}"}}`, status: 422,
				want: []string{`"name":["must be a string"]`, `"access_all_properties":["must be true or false"]`, `"property_ids":["must be a list of strings"]`}},
			{name: "malformed JSON", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA, body: `{"api_key":`, status: 400, want: []string{"bad_request"}},
			{name: "NUL in the name", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA, body: `{"api_key":{"name":"x\u0000y"}}`, status: 422,
				want: []string{`"name":["contains a NUL character"]`}},
			{name: "no envelope", method: "POST", path: "/api/v1/api_keys", cred: credOwnerA, body: `{"name":"x"}`, status: 400, want: []string{"api_key"}},
			{name: "member sees only own keys", method: "GET", path: "/api/v1/api_keys", cred: credMember, status: 200,
				want: []string{`"total":0`}, never: []string{"{keyP1ID}"}},
			{name: "member cannot get owner's key", method: "GET", path: "/api/v1/api_keys/{keyP1ID}", cred: credMember, status: 404},
			{name: "member cannot withdraw owner's key", method: "POST", path: "/api/v1/api_keys/{keyP1ID}/withdraw", cred: credMember, status: 404},
			{name: "other org cannot see key", method: "GET", path: "/api/v1/api_keys/{keyP1ID}", cred: credOwnerB, status: 404},
			{name: "member cannot select a property it does not reach", method: "POST", path: "/api/v1/api_keys", cred: credMember,
				body: `{"api_key":{"name":"x","access_all_properties":false,"property_ids":["{p2}"]}}`, status: 422},
			{name: "unknown id", method: "GET", path: "/api/v1/api_keys/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404, want: []string{"resource_not_found"}},
			{name: "garbage id", method: "PUT", path: "/api/v1/api_keys/not-an-id", cred: credOwnerA, body: `{"api_key":{"name":"x"}}`, status: 404},
			{name: "list paginated", method: "GET", path: "/api/v1/api_keys?pagination[limit]=1&pagination[page]=2", cred: credOwnerA, status: 200,
				want: []string{`"total":3`, `"page":2`, `"limit":1`}},
			{name: "a filter naming no field is ignored", method: "GET", path: "/api/v1/api_keys?filter[secret]=x", cred: credOwnerA, status: 200,
				want: []string{`"total":3`}},
			{name: "bad status filter value", method: "GET", path: "/api/v1/api_keys?filter[created_at][gte]=soon", cred: credOwnerA, status: 400,
				want: []string{"filter[created_at]"}},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
		// A failed create created nothing.
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200, want: []string{`"total":3`}})
		// A member (staging) may create a key for what the member reaches.
		id, secret := f.createKey(credMember, `{"api_key":{"name":"member key","access_all_properties":true}}`)
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 200, want: []string{"{p1}", `"total":1`}, never: []string{"{p2}"}})
		})
		// The billing owner sees the member's key and may withdraw it.
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200,
			want: []string{id, `"total":4`, `"user_email":"member-a@example.com"`, `"user_email":"owner-a@example.com"`}})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + id + "/withdraw", cred: credOwnerA, status: 200})
		f.headersOverride(secret, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 401})
		})
	})
}

// TestKeyFollowsUserAccess checks that powers are evaluated per request: a
// key loses a property when its user does, and an all-properties key
// covers properties created later.
func TestKeyFollowsUserAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		_, memberKey := f.createKey(credMember, `{"api_key":{"name":"m","access_all_properties":false,"property_ids":["{p1}"]}}`)
		f.headersOverride(memberKey, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p1}", status: 200})
		})
		// The owner removes the member from P1.
		_, body := f.do("GET", "/api/v1/property_users?filter[property_id]={p1}", credOwnerA, "")
		var memberID string
		for _, item := range decode(t, body)["data"].([]any) {
			attrs := item.(map[string]any)["attributes"].(map[string]any)
			if attrs["user_id"] == f.memberA.UserID {
				memberID = attrs["id"].(string)
			}
		}
		if memberID == "" {
			t.Fatalf("the member is not listed as a property user of P1")
		}
		f.run(t, scenario{method: "DELETE", path: "/api/v1/property_users/" + memberID, cred: credOwnerA, status: 200})
		f.headersOverride(memberKey, func() {
			f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p1}", status: 404})
			f.run(t, scenario{method: "GET", path: "/api/v1/properties", status: 200, want: []string{`"total":0`}, never: []string{"{p1}"}})
		})

		// An all-properties key covers a property created after it.
		status, body := f.do("POST", "/api/v1/properties", credOwnerA, `{"property":{"title":"Delta","currency":"EUR"}}`)
		if status != 201 {
			t.Fatalf("create property: %d", status)
		}
		newID := decode(t, body)["data"].(map[string]any)["id"].(string)
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/" + newID, cred: credKeyAll, status: 200})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/" + newID, cred: credKeyP1, status: 404})
	})
}
