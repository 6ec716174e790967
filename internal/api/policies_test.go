package api

import (
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// policyBody is the reference body of a hotel policy, for property {p}.
const policyBody = `{"hotel_policy":{"property_id":"{p}","title":"Hotel Policy","currency":"GBP","is_adults_only":false,
	"max_count_of_guests":20,"checkin_time":"14:00","checkout_time":"13:00","internet_access_type":"wifi",
	"internet_access_cost":null,"internet_access_coverage":"entire_property","parking_type":"on_site",
	"parking_reservation":"needed","parking_is_private":true,"pets_policy":"allowed","pets_non_refundable_fee":"0.00",
	"pets_refundable_deposit":"25.50","smoking_policy":"no_smoking"}}`

func policyFor(p string) string { return strings.ReplaceAll(policyBody, "{p}", p) }

func TestHotelPolicies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		var id, idP2 string
		create := func(c cred, p string) string {
			t.Helper()
			status, body := f.do("POST", "/api/v1/hotel_policies", c, policyFor(p))
			if status != 201 {
				t.Fatalf("create policy: status %d, want 201; body %s", status, body)
			}
			return data(decode(t, body))["id"].(string)
		}
		id = create(credKeyP1, "{p1}")
		idP2 = create(credKeyAll, "{p2}")
		runReplaced(t, f.run, strings.NewReplacer("{hp}", id, "{hp2}", idP2), []scenario{
			{name: "get: every field of the reference", method: "GET", path: "/api/v1/hotel_policies/{hp}", cred: credKeyP1, status: 200,
				want: []string{`"type":"hotel_policy"`, `"id":"{hp}"`, `"title":"Hotel Policy"`, `"currency":"GBP"`, `"is_adults_only":false`,
					`"max_count_of_guests":20`, `"checkin_time":"14:00"`, `"checkout_time":"13:00"`, `"internet_access_type":"wifi"`,
					`"internet_access_cost":null`, `"internet_access_coverage":"entire_property"`, `"parking_type":"on_site"`,
					`"parking_reservation":"needed"`, `"parking_is_private":true`, `"pets_policy":"allowed"`,
					`"pets_non_refundable_fee":"0.00"`, `"pets_refundable_deposit":"25.50"`, `"refundable_deposit":"25.50"`,
					`"smoking_policy":"no_smoking"`, `"property_id":"{p1}"`, `"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`}},
			{name: "list: restricted key sees only its property's", method: "GET", path: "/api/v1/hotel_policies", cred: credKeyP1, status: 200,
				want: []string{"{hp}", `"total":1`, `"limit":10`}, never: []string{"{hp2}"}},
			{name: "list: all-properties key sees both", method: "GET", path: "/api/v1/hotel_policies?filter[property_id]={p2}", cred: credKeyAll,
				status: 200, want: []string{"{hp2}", `"total":1`}, never: []string{`"id":"{hp}"`}},
			{name: "list: another organisation sees none", method: "GET", path: "/api/v1/hotel_policies", cred: credKeyOther, status: 200,
				want: []string{`"total":0`}, never: []string{"{hp}", "{hp2}"}},
			{name: "get out of reach", method: "GET", path: "/api/v1/hotel_policies/{hp2}", cred: credKeyP1, status: 404,
				want: []string{"resource_not_found"}, never: []string{"{p2}"}},
			{name: "update out of reach", method: "PUT", path: "/api/v1/hotel_policies/{hp2}", cred: credKeyP1,
				body: `{"hotel_policy":{"title":"Mine"}}`, status: 404},
			{name: "delete out of reach", method: "DELETE", path: "/api/v1/hotel_policies/{hp2}", cred: credKeyOther, status: 404},
			{name: "create on a property out of reach", method: "POST", path: "/api/v1/hotel_policies", cred: credKeyP1,
				body: policyFor("{p2}"), status: 404},
			{name: "create: required fields", method: "POST", path: "/api/v1/hotel_policies", cred: credOwnerA, body: `{"hotel_policy":{}}`,
				status: 422, want: []string{`"property_id":["can't be blank"]`, `"title":["can't be blank"]`,
					`"max_count_of_guests":["can't be blank"]`, `"checkin_time":["can't be blank"]`, `"pets_policy":["can't be blank"]`,
					`"smoking_policy":["can't be blank"]`, `"internet_access_type":["can't be blank"]`, `"parking_type":["can't be blank"]`}},
			{name: "create: bad values", method: "POST", path: "/api/v1/hotel_policies", cred: credOwnerA,
				body: `{"hotel_policy":{"property_id":"{p1}","title":"X","max_count_of_guests":0,"checkin_time":"25:00","checkout_time":"noon",
					"internet_access_type":"pigeon","parking_type":"roof","pets_policy":"maybe","smoking_policy":"always",
					"internet_access_cost":-5,"is_adults_only":"yes","currency":"XXX"}}`, status: 422,
				want: []string{`"max_count_of_guests":["must be greater than 0"]`, `"checkin_time":["must be a time of day written HH:MM"]`,
					`"internet_access_type":["is not included in the list`, `"parking_type":["is not included`, `"pets_policy":["is not included`,
					`"smoking_policy":["is not included`, `"internet_access_cost":["must not be negative"]`,
					`"is_adults_only":["must be true or false"]`, `"currency":[`}},
			{name: "update: money in minor units, seconds dropped", method: "PUT", path: "/api/v1/hotel_policies/{hp}", cred: credKeyP1,
				body:   `{"hotel_policy":{"internet_access_cost":500,"checkin_time":"15:00:00","is_adults_only":true,"refundable_deposit":"10"}}`,
				status: 200, want: []string{`"internet_access_cost":"5.00"`, `"checkin_time":"15:00"`, `"is_adults_only":true`,
					`"pets_refundable_deposit":"10.00"`, `"title":"Hotel Policy"`}},
			{name: "update: property cannot move", method: "PUT", path: "/api/v1/hotel_policies/{hp}", cred: credKeyAll,
				body: `{"hotel_policy":{"property_id":"{p2}"}}`, status: 422, want: []string{`"property_id":["can't be changed"]`}},
			{name: "property without a policy leaves the link out", method: "GET", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200,
				want: []string{`"hotel_policy_id":null`}, never: []string{`"hotel_policy":`}},
			{name: "property points to its policy", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1,
				body: `{"property":{"hotel_policy_id":"{hp}"}}`, status: 200,
				want: []string{`"hotel_policy_id":"{hp}"`, `"hotel_policy":{"data":{"type":"hotel_policy","id":"{hp}","attributes":{"id":"{hp}","title":"Hotel Policy"}}}`}},
			{name: "property cannot point to another property's policy", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyAll,
				body: `{"property":{"hotel_policy_id":"{hp2}"}}`, status: 422, want: []string{`"hotel_policy_id":["is not one of the property's"]`}},
			{name: "new property cannot name a policy", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"N","currency":"EUR","hotel_policy_id":"{hp}"}}`, status: 422, want: []string{`"hotel_policy_id"`}},
			{name: "delete", method: "DELETE", path: "/api/v1/hotel_policies/{hp}", cred: credKeyP1, status: 200, want: []string{`"message":"Success"`}},
			{name: "deleted is gone", method: "GET", path: "/api/v1/hotel_policies/{hp}", cred: credKeyP1, status: 404},
			{name: "property's link is cleared", method: "GET", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200,
				want: []string{`"hotel_policy_id":null`}, never: []string{`"hotel_policy":`, "{hp}"}},
			{name: "no credential", method: "GET", path: "/api/v1/hotel_policies", cred: noCred, status: 401},
		})
	})
}

// runReplaced runs scenarios in order, each as a subtest, after replacing
// x's placeholders (ids made by the test) in their paths, bodies and
// fragments.
func runReplaced(t *testing.T, run func(*testing.T, scenario), x *strings.Replacer, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		sc.path, sc.body = x.Replace(sc.path), x.Replace(sc.body)
		sc.want, sc.never = replaceAll(x, sc.want), replaceAll(x, sc.never)
		t.Run(sc.name, func(t *testing.T) { run(t, sc) })
	}
}

func replaceAll(x *strings.Replacer, in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = x.Replace(s)
	}
	return out
}
