package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestNullRelationshipsLeftOut checks that no answer carries a to-one
// relationship without a value ({"data": null}): real Channex clients
// read relationships.<name>.data.id of every relationship they get.
func TestNullRelationshipsLeftOut(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		raw := func(method, path, body string, want int) string {
			t.Helper()
			status, out := inv.do(method, inv.x(path), credOwnerA, inv.x(body))
			if status != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
			}
			return out
		}
		created := raw("POST", "/api/v1/rate_plans",
			`{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"Compat","options":[{"occupancy":2,"is_primary":true,"rate":10000}]}}`, 201)
		id := decode(t, created)["data"].(map[string]any)["id"].(string)
		for _, path := range []string{"/api/v1/rate_plans", "/api/v1/rate_plans/" + id, "/api/v1/room_types", "/api/v1/properties",
			"/api/v1/properties/{p1}", "/api/v1/groups", "/api/v1/property_users?filter[property_id]={p1}"} {
			checkRelationships(t, path, raw("GET", path, "", 200))
		}
		checkRelationships(t, "update rate plan", raw("PUT", "/api/v1/rate_plans/"+id, `{"rate_plan":{"title":"Compat 2"}}`, 200))
		checkRelationships(t, "create rate plan", created)
		rels := decode(t, created)["data"].(map[string]any)["relationships"].(map[string]any)
		if _, ok := rels["tax_set"]; ok {
			t.Errorf("rate plan relationships = %v, want no tax_set", rels)
		}
		if rels["property"] == nil || rels["room_type"] == nil {
			t.Errorf("rate plan relationships = %v, want property and room_type", rels)
		}
	})
}

// checkRelationships fails when a resource in body has a relationship
// whose data is null.
func checkRelationships(t *testing.T, what, body string) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var items []map[string]any
	if strings.HasPrefix(string(env.Data), "[") {
		json.Unmarshal(env.Data, &items)
	} else {
		var one map[string]any
		json.Unmarshal(env.Data, &one)
		items = append(items, one)
	}
	for _, it := range items {
		rels, _ := it["relationships"].(map[string]any)
		for name, rel := range rels {
			m, ok := rel.(map[string]any)
			if !ok || m["data"] == nil {
				t.Errorf("%s: relationship %q = %v, want it left out when it has no value", what, name, rel)
			}
		}
	}
}

// TestResourceDropsEmptyRelations writes resources as a single item and
// as a list: relationships without a value are left out, and a resource
// left with none has no relationships member.
func TestResourceDropsEmptyRelations(t *testing.T) {
	t.Parallel()
	withEmpties := func() resource {
		return resource{Type: "x", ID: "1", Attributes: map[string]any{}, Relationships: map[string]any{
			"a": relation{nil}, "b": relation{(*ref)(nil)}, "c": relation{ref{Type: "c", ID: "2"}}, "d": relation{[]ref{}}}}
	}
	one, list := httptest.NewRecorder(), httptest.NewRecorder()
	writeData(one, http.StatusOK, withEmpties())
	writeList(list, []resource{withEmpties(), {Type: "y", ID: "3", Attributes: map[string]any{}, Relationships: map[string]any{"a": relation{nil}}}},
		2, keycard.ListQuery{Page: 1, Limit: 10})
	for _, got := range []string{one.Body.String(), list.Body.String()} {
		if strings.Contains(got, `"a"`) || strings.Contains(got, `"b"`) || !strings.Contains(got, `"c":{"data":{"type":"c","id":"2"}}`) || !strings.Contains(got, `"d":{"data":[]}`) {
			t.Errorf("got %s, want a and b left out, c and d kept", got)
		}
	}
	if got := list.Body.String(); !strings.Contains(got, `{"type":"y","id":"3","attributes":{}}`) {
		t.Errorf("got %s, want y without a relationships member", got)
	}
}

// TestPropertyOptionsGroupIDs checks that /properties/options items carry
// group_ids, the groups the caller sees the property in.
func TestPropertyOptionsGroupIDs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, "staging")
		for _, sc := range []scenario{
			{name: "owner", method: "GET", path: "/api/v1/properties/options", cred: credOwnerA, status: 200,
				want: []string{`"group_ids":["{groupLis}"]`, `"group_ids":["{groupDefault}"]`, `"type":"properties"`, `"currency":"EUR"`}},
			{name: "restricted key", method: "GET", path: "/api/v1/properties/options", cred: credKeyP1, status: 200,
				want: []string{`"id":"{p1}"`, `"group_ids":["{groupLis}"]`}, never: []string{"{p2}", "{groupDefault}"}},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
	})
}

// TestPastDateWarningKey checks that a past date is refused with a warning
// keyed by the field the entry was sent with, as the README says.
func TestPastDateWarningKey(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	inv.runAll(t, []scenario{
		{name: "date_from", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
			body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{past}","date_to":"{d1}","stop_sell":true}]}`,
			want: []string{`"warning":{"date_from":["can't be in the past (today is `}, never: []string{`"warning":{"date":`}},
		{name: "date", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
			body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{past}","stop_sell":true}]}`,
			want: []string{`"warning":{"date":["can't be in the past (today is `}, never: []string{`"date_from"`}},
	})
}
