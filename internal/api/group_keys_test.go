package api

import (
	"slices"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestGroupPropertiesWithKey puts a property into a group and takes it out
// with API keys, as Channex clients do while setting a property up: a key
// that may write the property may, each move is in the audit log with the
// key, and a restricted key then sees the group, holding only its property.
func TestGroupPropertiesWithKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		status, body := f.do("POST", "/api/v1/groups", credOwnerA, `{"group":{"title":"Porto"}}`)
		if status != 201 {
			t.Fatalf("create group: %d %s", status, body)
		}
		porto := decode(t, body)["data"].(map[string]any)["id"].(string)
		_, readOnly := f.createKey(credOwnerA, `{"api_key":{"name":"read-only","read_only":true}}`)
		if status, body := f.from("POST", "/api/v1/groups/"+porto+"/properties/{p1}", "203.0.113.5:1", "", keyHeader(readOnly), ""); status != 403 {
			t.Errorf("read-only key: got %d %s, want 403", status, redact(f, body))
		}
		for _, sc := range []scenario{
			{name: "restricted key does not see the empty group", method: "GET", path: "/api/v1/groups/" + porto, cred: credKeyP1, status: 404},
			{name: "restricted key adds its property", method: "POST", path: "/api/v1/groups/" + porto + "/properties/{p1}", cred: credKeyP1, status: 200,
				want: []string{"Success"}},
			{name: "restricted key sees the group with its property", method: "GET", path: "/api/v1/groups/" + porto, cred: credKeyP1, status: 200,
				want: []string{"{p1}", "Alpha Hotel"}},
			{name: "restricted key adds a property out of its selection", method: "POST", path: "/api/v1/groups/" + porto + "/properties/{p2}", cred: credKeyP1,
				status: 404, want: []string{`"code":"resource_not_found"`}},
			{name: "all-properties key adds", method: "POST", path: "/api/v1/groups/" + porto + "/properties/{p2}", cred: credKeyAll, status: 200},
			{name: "restricted key still sees only its property", method: "GET", path: "/api/v1/groups/" + porto, cred: credKeyP1, status: 200,
				want: []string{"{p1}"}, never: []string{"{p2}", "Bravo Hotel"}},
			{name: "another organisation's key", method: "POST", path: "/api/v1/groups/" + porto + "/properties/{p3}", cred: credKeyOther, status: 404},
			{name: "all-properties key removes", method: "DELETE", path: "/api/v1/groups/{groupDefault}/properties/{p2}", cred: credKeyAll, status: 200},
			{name: "not out of its last group", method: "DELETE", path: "/api/v1/groups/" + porto + "/properties/{p2}", cred: credKeyAll, status: 400,
				want: []string{"at least one group"}},
			{name: "restricted key removes its property", method: "DELETE", path: "/api/v1/groups/" + porto + "/properties/{p1}", cred: credKeyP1, status: 200},
			{name: "restricted key no longer sees the group", method: "GET", path: "/api/v1/groups/" + porto, cred: credKeyP1, status: 404},
			// Users and keys stay out of a key's reach.
			{name: "key invites a group user", method: "POST", path: "/api/v1/group_users", cred: credKeyAll,
				body: `{"invite":{"group_id":"` + porto + `","user_email":"outsider@example.net","role":"owner"}}`, status: 403},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}

		events := f.auditEvents(t, credOwnerA, "?filter[event]=group.property_added,group.property_removed")
		type seen struct{ event, key, group, property string }
		var got []seen
		for _, e := range events {
			d := e["details"].(map[string]any)
			if actor := e["actor"].(map[string]any); actor["type"] != keycard.ActorAPIKey || actor["id"] != e["api_key_id"] {
				t.Errorf("%s: actor %v, want the key %v", e["event"], actor, e["api_key_id"])
			}
			got = append(got, seen{e["event"].(string), e["api_key_id"].(string), d["group_title"].(string), d["property_title"].(string)})
		}
		slices.Reverse(got)
		want := []seen{
			{keycard.AuditGroupPropertyAdded, f.keyP1ID, "Porto", "Alpha Hotel"},
			{keycard.AuditGroupPropertyAdded, f.keyAllID, "Porto", "Bravo Hotel"},
			{keycard.AuditGroupPropertyRemoved, f.keyAllID, "Default group", "Bravo Hotel"},
			{keycard.AuditGroupPropertyRemoved, f.keyP1ID, "Porto", "Alpha Hotel"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("got events %+v, want %+v", got, want)
		}
	})
}

// TestAuditEventsDocumented holds the OpenAPI document's list of audit
// events to keycard's.
func TestAuditEventsDocumented(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	s := doc.Components.Schemas["AuditEvent"].Value
	var enum []string
	for _, part := range s.AllOf {
		if a := part.Value.Properties["attributes"]; a != nil && a.Value.Properties["event"] != nil {
			for _, v := range a.Value.Properties["event"].Value.Enum {
				enum = append(enum, v.(string))
			}
		}
	}
	for _, e := range keycard.AuditEvents {
		if !slices.Contains(enum, e) {
			t.Errorf("audit event %s is not in openapi.yaml's AuditEvent enum", e)
		}
	}
	for _, e := range enum {
		if !slices.Contains(keycard.AuditEvents, e) {
			t.Errorf("openapi.yaml's AuditEvent enum has %s, which keycard does not record", e)
		}
	}
}
