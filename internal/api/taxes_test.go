package api

import (
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestTaxesAndTaxSets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		id := func(m map[string]any) string { return data(m)["id"].(string) }
		vat := id(inv.get(t, "POST", "/api/v1/taxes", credKeyP1, `{"tax":{"property_id":"{p1}","title":"VAT","logic":"percent",
			"type":"tax","rate":"10.00","is_inclusive":true}}`, 201))
		city := id(inv.get(t, "POST", "/api/v1/taxes", credKeyP1, `{"tax":{"property_id":"{p1}","title":"City tax",
			"logic":"per_person_per_night","type":"city_tax","rate":250,"is_inclusive":false,"skip_nights":0,"max_nights":7,
			"applicable_date_ranges":[{"after":"2030-04-01","before":"2030-10-31"},{"after":"2031-04-01","before":null}]}}`, 201))
		taxP2 := id(inv.get(t, "POST", "/api/v1/taxes", credKeyAll, `{"tax":{"property_id":"{p2}","title":"P2 VAT","logic":"percent","type":"tax","rate":23}}`, 201))
		setP2 := id(inv.get(t, "POST", "/api/v1/tax_sets", credKeyAll, `{"tax_set":{"property_id":"{p2}","title":"P2 set","taxes":[{"id":"`+taxP2+`","level":0}]}}`, 201))
		x := strings.NewReplacer("{vat}", vat, "{city}", city, "{taxP2}", taxP2, "{setP2}", setP2)
		var set string
		steps := []scenario{
			{name: "percent tax reads back", method: "GET", path: "/api/v1/taxes/{vat}", cred: credKeyP1, status: 200,
				want: []string{`"type":"tax"`, `"title":"VAT"`, `"logic":"percent"`, `"rate":"10.00"`, `"is_inclusive":true`,
					`"property_id":"{p1}"`, `"skip_nights":null`, `"max_nights":null`, `"applicable_date_ranges":[]`, `"currency":"EUR"`}},
			{name: "city tax: money rate, nights and date ranges", method: "GET", path: "/api/v1/taxes/{city}", cred: credKeyP1, status: 200,
				want: []string{`"logic":"per_person_per_night"`, `"type":"city_tax"`, `"rate":"2.50"`, `"skip_nights":0`, `"max_nights":7`,
					`"applicable_date_ranges":[{"after":"2030-04-01","before":"2030-10-31"},{"after":"2031-04-01","before":null}]`}},
			{name: "list taxes: restricted key", method: "GET", path: "/api/v1/taxes", cred: credKeyP1, status: 200,
				want: []string{`"total":2`, "{vat}", "{city}"}, never: []string{"{taxP2}"}},
			{name: "list taxes: filter by type", method: "GET", path: "/api/v1/taxes?filter[type]=city_tax", cred: credOwnerA, status: 200,
				want: []string{`"total":1`, "{city}"}, never: []string{"{vat}"}},
			{name: "list taxes: other organisation", method: "GET", path: "/api/v1/taxes", cred: credKeyOther, status: 200,
				want: []string{`"total":0`}},
			{name: "tax out of reach", method: "GET", path: "/api/v1/taxes/{taxP2}", cred: credKeyP1, status: 404},
			{name: "update tax out of reach", method: "PUT", path: "/api/v1/taxes/{taxP2}", cred: credKeyP1, body: `{"tax":{"rate":1}}`, status: 404},
			{name: "delete tax out of reach", method: "DELETE", path: "/api/v1/taxes/{vat}", cred: credKeyOther, status: 404},
			{name: "create tax on a property out of reach", method: "POST", path: "/api/v1/taxes", cred: credKeyP1,
				body: `{"tax":{"property_id":"{p2}","title":"X","rate":1}}`, status: 404},
			{name: "create tax: bad values", method: "POST", path: "/api/v1/taxes", cred: credOwnerA,
				body: `{"tax":{"property_id":"{p1}","title":"","logic":"per_moon","type":"bribe","rate":"ten","skip_nights":-1,"max_nights":"x",
					"applicable_date_ranges":[{"after":"2030-13-01"}],"is_inclusive":"no"}}`, status: 422,
				want: []string{`"title":["can't be blank"]`, `"logic":["is not included in the list`, `"type":["is not included in the list`,
					`"rate":["is invalid"]`, `"skip_nights":["must be greater than or equal to 0"]`, `"max_nights":["must be a whole number"]`,
					`"applicable_date_ranges":[`, `"is_inclusive":["must be true or false"]`}},
			{name: "create tax: percent above 100", method: "POST", path: "/api/v1/taxes", cred: credOwnerA,
				body: `{"tax":{"property_id":"{p1}","title":"X","rate":"100.01"}}`, status: 422, want: []string{`"rate":["must be at most 100 (percent)"]`}},
			{name: "create tax: range the wrong way round", method: "POST", path: "/api/v1/taxes", cred: credOwnerA,
				body:   `{"tax":{"property_id":"{p1}","title":"X","rate":5,"applicable_date_ranges":[{"after":"2030-05-01","before":"2030-04-01"}]}}`,
				status: 422, want: []string{`"applicable_date_ranges":["after must not be later than before"]`}},
			{name: "create tax: required", method: "POST", path: "/api/v1/taxes", cred: credOwnerA, body: `{"tax":{}}`, status: 422,
				want: []string{`"property_id":["can't be blank"]`, `"title":["can't be blank"]`, `"rate":["can't be blank"]`}},
			{name: "update tax", method: "PUT", path: "/api/v1/taxes/{vat}", cred: credKeyP1, body: `{"tax":{"rate":12.5,"is_inclusive":false}}`,
				status: 200, want: []string{`"rate":"12.50"`, `"is_inclusive":false`, `"title":"VAT"`}},
			{name: "tax set with a tax of another property", method: "POST", path: "/api/v1/tax_sets", cred: credKeyAll,
				body: `{"tax_set":{"property_id":"{p1}","title":"S","taxes":[{"id":"{taxP2}","level":0}]}}`, status: 422,
				want: []string{`"taxes":["must be taxes of the property"]`}},
			{name: "tax set with a rate plan of another property", method: "POST", path: "/api/v1/tax_sets", cred: credKeyAll,
				body: `{"tax_set":{"property_id":"{p1}","title":"S","associated_rate_plan_ids":["{rp2}"]}}`, status: 422,
				want: []string{`"associated_rate_plan_ids":["must be rate plans of the property"]`}},
			{name: "tax set: bad shapes", method: "POST", path: "/api/v1/tax_sets", cred: credOwnerA,
				body:   `{"tax_set":{"property_id":"{p1}","title":"S","taxes":[{"id":"nope","level":0}],"associated_rate_plan_ids":"all"}}`,
				status: 422, want: []string{`"taxes":[`, `"associated_rate_plan_ids":["must be a list of strings"]`}},
			{name: "tax set on a property out of reach", method: "POST", path: "/api/v1/tax_sets", cred: credKeyP1,
				body: `{"tax_set":{"property_id":"{p2}","title":"S"}}`, status: 404},
			{name: "tax set out of reach", method: "GET", path: "/api/v1/tax_sets/{setP2}", cred: credKeyP1, status: 404},
			{name: "update tax set out of reach", method: "PUT", path: "/api/v1/tax_set/{setP2}", cred: credKeyP1,
				body: `{"tax_set":{"title":"Mine"}}`, status: 404},
			{name: "rate plan without a tax set leaves the link out", method: "GET", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1, status: 200,
				want: []string{`"tax_set_id":null`}, never: []string{`"tax_set":`}},
		}
		runReplaced(t, inv.run, x, steps)

		set = id(inv.get(t, "POST", "/api/v1/tax_sets", credKeyP1, x.Replace(`{"tax_set":{"property_id":"{p1}","title":"Lisbon taxes",
			"currency":"EUR","taxes":[{"id":"{city}","level":1},{"id":"{vat}","level":0}],"associated_rate_plan_ids":["{rp1}","{rpPP}"]}}`), 201))
		x = strings.NewReplacer("{vat}", vat, "{city}", city, "{taxP2}", taxP2, "{setP2}", setP2, "{set}", set)
		steps = []scenario{
			{name: "tax set reads back, taxes by level", method: "GET", path: "/api/v1/tax_sets/{set}", cred: credKeyP1, status: 200,
				want: []string{`"type":"tax_set"`, `"title":"Lisbon taxes"`, `"currency":"EUR"`, `"property_id":"{p1}"`,
					`"taxes":[{"id":"{vat}","level":0},{"id":"{city}","level":1}]`,
					`"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`, `{"type":"rate_plan","id":"{rp1}","attributes":{"id":"{rp1}","title":"Standard"}}`, `{"type":"rate_plan","id":"{rpPP}","attributes":{"id":"{rpPP}","title":"Family Flex"}}`,
					`{"type":"tax","id":"{vat}","attributes":{"id":"{vat}","title":"VAT","level":0}}`}},
			{name: "associated rate plan shows its tax set", method: "GET", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1, status: 200,
				want: []string{`"tax_set_id":"{set}"`, `"tax_set":{"data":{"type":"tax_set","id":"{set}","attributes":{"id":"{set}","title":"Lisbon taxes"}}}`}},
			{name: "list tax sets: restricted key", method: "GET", path: "/api/v1/tax_sets", cred: credKeyP1, status: 200,
				want: []string{`"total":1`, "{set}"}, never: []string{"{setP2}"}},
			{name: "documented singular update path re-associates", method: "PUT", path: "/api/v1/tax_set/{set}", cred: credKeyP1,
				body: `{"tax_set":{"associated_rate_plan_ids":["{rpD}"]}}`, status: 200,
				want: []string{`"associated_rate_plan_ids":["{rpD}"]`}, never: []string{"{rp1}"}},
			{name: "released rate plan has no tax set", method: "GET", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1, status: 200,
				want: []string{`"tax_set_id":null`}, never: []string{`"tax_set":`}},
			{name: "plural update path, rate plans emptied", method: "PUT", path: "/api/v1/tax_sets/{set}", cred: credKeyP1,
				body: `{"tax_set":{"title":"Renamed","associated_rate_plan_ids":[]}}`, status: 200,
				want: []string{`"title":"Renamed"`, `"associated_rate_plan_ids":[]`}},
			{name: "rate plan takes the set itself", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1,
				body: `{"rate_plan":{"tax_set_id":"{set}"}}`, status: 200, want: []string{`"tax_set_id":"{set}"`}},
			{name: "rate plan refuses another property's set", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credKeyAll,
				body: `{"rate_plan":{"tax_set_id":"{setP2}"}}`, status: 422, want: []string{`"tax_set_id":["is not a tax set of the property"]`}},
			{name: "property default tax set", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1,
				body: `{"property":{"default_tax_set_id":"{set}"}}`, status: 200,
				want: []string{`"default_tax_set_id":"{set}"`, `"default_tax_set":{"data":{"type":"tax_set","id":"{set}","attributes":{"id":"{set}","title":"Renamed"}}}`}},
			{name: "property refuses another property's set", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyAll,
				body: `{"property":{"default_tax_set_id":"{setP2}"}}`, status: 422, want: []string{`"default_tax_set_id":["is not one of the property's"]`}},
			{name: "a new rate plan takes the property's default", method: "POST", path: "/api/v1/rate_plans", cred: credKeyP1,
				body:   `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"Taxed","options":[{"occupancy":2,"is_primary":true,"rate":100}]}}`,
				status: 201, want: []string{`"tax_set_id":"{set}"`}},
			{name: "deleting a tax takes it out of its sets", method: "DELETE", path: "/api/v1/taxes/{city}", cred: credKeyP1, status: 200},
			{name: "the set keeps its other tax", method: "GET", path: "/api/v1/tax_sets/{set}", cred: credKeyP1, status: 200,
				want: []string{`"taxes":[{"id":"{vat}","level":0}]`}, never: []string{"{city}"}},
			{name: "delete tax set out of reach", method: "DELETE", path: "/api/v1/tax_sets/{set}", cred: credKeyOther, status: 404},
			{name: "delete tax set", method: "DELETE", path: "/api/v1/tax_sets/{set}", cred: credKeyP1, status: 200, want: []string{`"Success"`}},
			{name: "its rate plans have none", method: "GET", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1, status: 200,
				want: []string{`"tax_set_id":null`}, never: []string{"{set}"}},
			{name: "its property has no default", method: "GET", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200,
				want: []string{`"default_tax_set_id":null`}, never: []string{"{set}", `"default_tax_set":`}},
		}
		runReplaced(t, inv.run, x, steps)
	})
}
