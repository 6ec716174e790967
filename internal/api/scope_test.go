package api

import (
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// outcome is what one credential gets from one route.
type outcome struct {
	status int
	want   []string
	never  []string
}

// TestCredentialMatrix checks every kind of credential against every kind
// of route: the exact status, and that nothing out of reach shows in a
// list.
func TestCredentialMatrix(t *testing.T) {
	t.Parallel()
	unauthenticated := []cred{noCred, credMalformed, credUnknown, credWithdrawn}
	routes := []struct {
		name    string
		method  string
		path    string
		body    string
		mutates bool
		by      map[cred]outcome
	}{
		{name: "list properties", method: "GET", path: "/api/v1/properties", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{p1}", `"total":1`}, []string{"{p2}", "{p3}"}},
			credKeyAll:   {200, []string{"{p1}", "{p2}", `"total":2`}, []string{"{p3}"}},
			credKeyOther: {200, []string{"{p3}", `"total":1`}, []string{"{p1}", "{p2}"}},
		}},
		{name: "property options", method: "GET", path: "/api/v1/properties/options", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{p1}"}, []string{"{p2}", "{p3}"}},
			credKeyAll:   {200, []string{"{p1}", "{p2}"}, []string{"{p3}"}},
			credKeyOther: {200, []string{"{p3}"}, []string{"{p1}", "{p2}"}},
		}},
		{name: "get P1", method: "GET", path: "/api/v1/properties/{p1}", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{p1}", "{groupLis}"}, nil},
			credKeyAll:   {200, []string{"{p1}"}, nil},
			credKeyOther: {404, []string{"resource_not_found"}, []string{"{p1}"}},
		}},
		{name: "get P2", method: "GET", path: "/api/v1/properties/{p2}", by: map[cred]outcome{
			credKeyP1:    {404, []string{"resource_not_found"}, []string{"{p2}"}},
			credKeyAll:   {200, []string{"{p2}"}, nil},
			credKeyOther: {404, []string{"resource_not_found"}, nil},
		}},
		{name: "update P1", method: "PUT", path: "/api/v1/properties/{p1}", body: `{"property":{"title":"Renamed"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {200, []string{`"title":"Renamed"`}, nil},
			credKeyAll:   {200, []string{`"title":"Renamed"`}, nil},
			credKeyOther: {404, nil, nil},
		}},
		{name: "update P2", method: "PUT", path: "/api/v1/properties/{p2}", body: `{"property":{"title":"Renamed"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {404, nil, nil},
			credKeyAll:   {200, []string{`"title":"Renamed"`}, nil},
			credKeyOther: {404, nil, nil},
		}},
		{name: "delete P2", method: "DELETE", path: "/api/v1/properties/{p2}", mutates: true, by: map[cred]outcome{
			credKeyP1:    {404, nil, nil},
			credKeyAll:   {200, []string{`"message":"Success"`}, nil},
			credKeyOther: {404, nil, nil},
		}},
		{name: "delete P1", method: "DELETE", path: "/api/v1/properties/{p1}", mutates: true, by: map[cred]outcome{
			credKeyP1:    {200, nil, nil},
			credKeyAll:   {200, nil, nil},
			credKeyOther: {404, nil, nil},
		}},
		{name: "create property", method: "POST", path: "/api/v1/properties", body: `{"property":{"title":"New","currency":"EUR"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {403, []string{"restricted"}, nil},
			credKeyAll:   {201, []string{`"title":"New"`}, nil},
			credKeyOther: {201, []string{`"title":"New"`}, nil},
		}},
		{name: "list groups", method: "GET", path: "/api/v1/groups", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{groupLis}", "{p1}", `"total":1`}, []string{"{groupDefault}", "{groupB}", "{p2}"}},
			credKeyAll:   {200, []string{"{groupLis}", "{groupDefault}", "{p2}"}, []string{"{groupB}", "{p3}"}},
			credKeyOther: {200, []string{"{groupB}", "{p3}"}, []string{"{groupLis}", "{groupDefault}", "{p1}"}},
		}},
		{name: "get group", method: "GET", path: "/api/v1/groups/{groupLis}", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{p1}"}, nil},
			credKeyAll:   {200, []string{"{p1}"}, nil},
			credKeyOther: {404, nil, []string{"{p1}"}},
		}},
		{name: "rename group", method: "PUT", path: "/api/v1/groups/{groupLis}", body: `{"group":{"title":"Lisboa"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {403, nil, nil},
			credKeyAll:   {200, []string{"Lisboa"}, nil},
			credKeyOther: {404, nil, nil},
		}},
		{name: "create group", method: "POST", path: "/api/v1/groups", body: `{"group":{"title":"Porto"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {403, nil, nil},
			credKeyAll:   {201, []string{"Porto"}, nil},
			credKeyOther: {201, []string{"Porto"}, nil},
		}},
		{name: "list api keys", method: "GET", path: "/api/v1/api_keys", by: map[cred]outcome{
			credKeyP1:    {403, []string{"forbidden"}, []string{"{keyAllID}"}},
			credKeyAll:   {403, []string{"forbidden"}, []string{"{keyAllID}"}},
			credKeyOther: {403, []string{"forbidden"}, nil},
		}},
		{name: "create api key", method: "POST", path: "/api/v1/api_keys", body: `{"api_key":{"name":"minted"}}`, mutates: true, by: map[cred]outcome{
			credKeyP1:    {403, nil, []string{"kc_"}},
			credKeyAll:   {403, nil, []string{"kc_"}},
			credKeyOther: {403, nil, []string{"kc_"}},
		}},
		{name: "withdraw api key", method: "POST", path: "/api/v1/api_keys/{keyP1ID}/withdraw", mutates: true, by: map[cred]outcome{
			credKeyP1:    {403, nil, nil},
			credKeyAll:   {403, nil, nil},
			credKeyOther: {403, nil, nil},
		}},
	}
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		shared := newFixture(t, cfg, keycard.ModeStaging)
		for _, rt := range routes {
			for _, c := range append(unauthenticated, credKeyP1, credKeyAll, credKeyOther) {
				o, ok := rt.by[c]
				if !ok {
					o = outcome{status: 401, want: []string{`"code":"unauthorized"`}}
					if c == credWithdrawn {
						o.want = append(o.want, "withdrawn")
					}
				}
				t.Run(rt.name+"/"+string(c), func(t *testing.T) {
					f := shared
					if rt.mutates && o.status < 300 {
						f = newFixture(t, storetest.Config(t, cfg.Dialect()), keycard.ModeStaging)
					}
					f.run(t, scenario{method: rt.method, path: rt.path, cred: c, body: rt.body, status: o.status, want: o.want, never: o.never})
				})
			}
		}
	})
}
