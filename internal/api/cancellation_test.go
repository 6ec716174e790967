package api

import (
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// cancellationBody is the reference body of a cancellation policy of P1:
// half the stay paid when booking and kept on cancellation, free of
// anything more until 7 days before arrival, then a quarter of the stay,
// and a no-show pays it all. Standard (rp1) takes it.
const cancellationBody = `{"cancellation_policy":{"property_id":"{p1}","title":"Flexible","currency":"EUR",
	"guarantee_payment_policy":"percent_based","guarantee_payment_amount":"50",
	"after_reservation_cancellation_logic":"guarantee_amount","after_reservation_cancellation_amount":null,
	"cancellation_policy_logic":"deadline","cancellation_policy_deadline":7,"cancellation_policy_deadline_type":"days",
	"cancellation_policy_mode":"percent","cancellation_policy_penalty":"25","non_show_policy":"total_price",
	"associated_rate_plan_ids":["{rp1}"]}}`

func TestCancellationPolicies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		id := func(m map[string]any) string { return data(m)["id"].(string) }
		cp := id(inv.get(t, "POST", "/api/v1/cancellation_policies", credKeyP1, cancellationBody, 201))
		// P2's: free of charge, as a connector that has no deadline sends it.
		cp2 := id(inv.get(t, "POST", "/api/v1/cancellation_policies", credKeyAll, `{"cancellation_policy":{"property_id":"{p2}",
			"title":"Free","guarantee_payment_policy":"none","after_reservation_cancellation_logic":"free",
			"after_reservation_cancellation_amount":null,"cancellation_policy_logic":"free","cancellation_policy_deadline":null,
			"cancellation_policy_deadline_type":null,"cancellation_policy_mode":null,"cancellation_policy_penalty":null,
			"non_show_policy":"default"}}`, 201))
		_, readOnly := inv.createKey(credOwnerA, `{"api_key":{"name":"Reports","read_only":true}}`)
		x := strings.NewReplacer("{cp}", cp, "{cp2}", cp2)
		asReadOnly := func(run func(*testing.T, scenario)) func(*testing.T, scenario) {
			return func(t *testing.T, sc scenario) {
				inv.rawKey = readOnly
				defer func() { inv.rawKey = "" }()
				run(t, sc)
			}
		}
		runReplaced(t, inv.run, x, []scenario{
			{name: "get: every field of the reference", method: "GET", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyP1, status: 200,
				want: []string{`"type":"cancellation_policy"`, `"id":"{cp}"`, `"title":"Flexible"`, `"currency":"EUR"`, `"property_id":"{p1}"`,
					`"guarantee_payment_policy":"percent_based"`, `"guarantee_payment_amount":"50.00"`,
					`"after_reservation_cancellation_logic":"guarantee_amount"`, `"after_reservation_cancellation_amount":null`,
					`"allow_deadline_based_logic":true`, `"cancellation_policy_logic":"deadline"`, `"cancellation_policy_deadline":7`,
					`"cancellation_policy_deadline_type":"days"`, `"cancellation_policy_mode":"percent"`, `"cancellation_policy_penalty":"25.00"`,
					`"non_show_policy":"total_price"`, `"associated_rate_plan_ids":["{rp1}"]`,
					`"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`,
					`"rate_plans":{"data":[{"type":"rate_plan","id":"{rp1}","attributes":{"id":"{rp1}","title":"Standard"}}]}`}},
			{name: "get: a free policy has no amounts", method: "GET", path: "/api/v1/cancellation_policies/{cp2}", cred: credKeyAll, status: 200,
				want: []string{`"guarantee_payment_amount":null`, `"cancellation_policy_deadline":null`, `"cancellation_policy_deadline_type":"days"`,
					`"cancellation_policy_mode":null`, `"cancellation_policy_penalty":null`, `"allow_deadline_based_logic":false`,
					`"associated_rate_plan_ids":[]`}},
			{name: "list: restricted key sees only its property's", method: "GET", path: "/api/v1/cancellation_policies", cred: credKeyP1,
				status: 200, want: []string{"{cp}", `"total":1`}, never: []string{"{cp2}"}},
			{name: "list: filter by property", method: "GET", path: "/api/v1/cancellation_policies?filter[property_id]={p2}", cred: credKeyAll,
				status: 200, want: []string{"{cp2}", `"total":1`}, never: []string{`"id":"{cp}"`}},
			{name: "list: another organisation sees none", method: "GET", path: "/api/v1/cancellation_policies", cred: credKeyOther, status: 200,
				want: []string{`"total":0`}, never: []string{"{cp}", "{cp2}"}},
			{name: "get out of reach", method: "GET", path: "/api/v1/cancellation_policies/{cp2}", cred: credKeyP1, status: 404,
				want: []string{"resource_not_found"}, never: []string{"{p2}"}},
			{name: "get: another organisation's", method: "GET", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyOther, status: 404},
			{name: "update out of reach", method: "PUT", path: "/api/v1/cancellation_policies/{cp2}", cred: credKeyP1,
				body: `{"cancellation_policy":{"title":"Mine"}}`, status: 404},
			{name: "delete: another organisation's", method: "DELETE", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyOther, status: 404},
			{name: "create on a property out of reach", method: "POST", path: "/api/v1/cancellation_policies", cred: credKeyP1,
				body: strings.ReplaceAll(cancellationBody, "{p1}", "{p2}"), status: 404},
			{name: "create on another organisation's property", method: "POST", path: "/api/v1/cancellation_policies", cred: credKeyAll,
				body: strings.ReplaceAll(cancellationBody, "{p1}", "{p3}"), status: 404},
			{name: "create: required fields", method: "POST", path: "/api/v1/cancellation_policies", cred: credOwnerA,
				body: `{"cancellation_policy":{}}`, status: 422,
				want: []string{`"property_id":["can't be blank"]`, `"title":["can't be blank"]`, `"guarantee_payment_policy":["can't be blank"]`,
					`"cancellation_policy_logic":["can't be blank"]`}},
			{name: "create: bad values", method: "POST", path: "/api/v1/cancellation_policies", cred: credOwnerA,
				body: `{"cancellation_policy":{"property_id":"{p1}","title":"X","currency":"XXX","guarantee_payment_policy":"percent_based",
					"guarantee_payment_amount":"150","after_reservation_cancellation_logic":"maybe","cancellation_policy_logic":"deadline",
					"cancellation_policy_deadline":"soon","cancellation_policy_deadline_type":"weeks","cancellation_policy_mode":"weeks",
					"non_show_policy":"sometimes","allow_deadline_based_logic":"yes"}}`, status: 422,
				want: []string{`"currency":["is not a valid ISO 4217 currency code"]`, `"guarantee_payment_amount":["must be at most 100 (percent)"]`,
					`"after_reservation_cancellation_logic":["is not included in the list`, `"cancellation_policy_deadline":["must be a whole number"]`,
					`"cancellation_policy_deadline_type":["is not included in the list`, `"cancellation_policy_mode":["is not included in the list`,
					`"non_show_policy":["is not included in the list`, `"allow_deadline_based_logic":["must be true or false"]`}},
			{name: "create: what the policies need", method: "POST", path: "/api/v1/cancellation_policies", cred: credOwnerA,
				body: `{"cancellation_policy":{"property_id":"{p1}","title":"X","guarantee_payment_policy":"nights_based",
					"after_reservation_cancellation_logic":"nights_based","after_reservation_cancellation_amount":1.5,
					"cancellation_policy_logic":"deadline"}}`, status: 422,
				want: []string{`"guarantee_payment_amount":["can't be blank"]`,
					`"after_reservation_cancellation_amount":["must be a whole number of nights"]`,
					`"cancellation_policy_deadline":["can't be blank when cancellation_policy_logic is deadline"]`,
					`"cancellation_policy_mode":["can't be blank when cancellation_policy_logic is deadline"]`}},
			{name: "create: amounts out of range", method: "POST", path: "/api/v1/cancellation_policies", cred: credOwnerA,
				body: `{"cancellation_policy":{"property_id":"{p1}","title":"X","guarantee_payment_policy":"fixed_per_booking",
					"guarantee_payment_amount":"0","cancellation_policy_logic":"non_refundable","cancellation_policy_deadline":0,
					"after_reservation_cancellation_logic":"nights_based","after_reservation_cancellation_amount":400}}`, status: 422,
				want: []string{`"guarantee_payment_amount":["must be greater than 0"]`, `"cancellation_policy_deadline":["must be greater than 0"]`,
					`"after_reservation_cancellation_amount":["must be at most 365 (nights)"]`}},
			{name: "create: a rate plan of another property", method: "POST", path: "/api/v1/cancellation_policies", cred: credKeyAll,
				body: strings.ReplaceAll(cancellationBody, "{rp1}", "{rp2}"), status: 422,
				want: []string{`"associated_rate_plan_ids":["must be rate plans of the property"]`}},
			{name: "create: Channex's non-refundable example", method: "POST", path: "/api/v1/cancellation_policies", cred: credKeyP1,
				body: `{"cancellation_policy":{"property_id":"{p1}","title":"Non refundable","currency":"EUR",
					"guarantee_payment_policy":"fixed_per_booking_room","guarantee_payment_amount":"30",
					"after_reservation_cancellation_logic":"guarantee_amount","cancellation_policy_logic":"non_refundable",
					"cancellation_policy_mode":"percent","non_show_policy":"total_price","cancellation_policy_deadline":48,
					"cancellation_policy_deadline_type":"hours","guarantee_collected_at_days":-1,"cancellation_policy_penalty":null,
					"after_reservation_cancellation_amount":null,"associated_rate_plan_ids":null}}`, status: 201,
				want: []string{`"guarantee_payment_amount":"30.00"`, `"cancellation_policy_deadline":48`, `"cancellation_policy_deadline_type":"hours"`,
					`"cancellation_policy_penalty":null`, `"allow_deadline_based_logic":true`, `"associated_rate_plan_ids":[]`},
				never: []string{"guarantee_collected_at_days"}},
			{name: "no credential", method: "GET", path: "/api/v1/cancellation_policies", cred: noCred, status: 401},
		})
		runReplaced(t, asReadOnly(inv.run), x, []scenario{
			{name: "read-only key reads", method: "GET", path: "/api/v1/cancellation_policies/{cp}", status: 200, want: []string{"{cp}"}},
			{name: "read-only key cannot create", method: "POST", path: "/api/v1/cancellation_policies", body: cancellationBody, status: 403,
				want: []string{"read-only"}},
			{name: "read-only key cannot update", method: "PUT", path: "/api/v1/cancellation_policies/{cp}",
				body: `{"cancellation_policy":{"title":"Changed"}}`, status: 403, want: []string{"read-only"}},
			{name: "read-only key cannot delete", method: "DELETE", path: "/api/v1/cancellation_policies/{cp}", status: 403},
		})

		runReplaced(t, inv.run, x, []scenario{
			{name: "update: an amount keeps its written value in a new unit", method: "PUT", path: "/api/v1/cancellation_policies/{cp}",
				cred: credKeyP1, body: `{"cancellation_policy":{"cancellation_policy_mode":"nights",
					"guarantee_payment_policy":"fixed_per_booking","guarantee_payment_amount":"12.50","title":"Flexible+"}}`, status: 200,
				want: []string{`"cancellation_policy_mode":"nights"`, `"cancellation_policy_penalty":"25"`,
					`"guarantee_payment_policy":"fixed_per_booking"`, `"guarantee_payment_amount":"12.50"`, `"title":"Flexible+"`,
					`"cancellation_policy_deadline":7`, `"non_show_policy":"total_price"`, `"associated_rate_plan_ids":["{rp1}"]`}},
			{name: "update: an amount that no longer fits is refused", method: "PUT", path: "/api/v1/cancellation_policies/{cp}",
				cred: credKeyP1, body: `{"cancellation_policy":{"guarantee_payment_policy":"nights_based"}}`, status: 422,
				want: []string{`"guarantee_payment_amount":["must be a whole number of nights"]`}},
			{name: "update: no guarantee, no amount", method: "PUT", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyP1,
				body: `{"cancellation_policy":{"guarantee_payment_policy":"none","guarantee_payment_amount":"12"}}`, status: 200,
				want: []string{`"guarantee_payment_policy":"none"`, `"guarantee_payment_amount":null`}},
			{name: "update: property cannot move", method: "PUT", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyAll,
				body: `{"cancellation_policy":{"property_id":"{p2}"}}`, status: 422, want: []string{`"property_id":["can't be changed"]`}},

			// The rate plans' side of the link.
			{name: "rate plan names its policy", method: "GET", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1, status: 200,
				want: []string{`"cancellation_policy_id":"{cp}"`}},
			{name: "rate plan without a policy", method: "GET", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1, status: 200,
				want: []string{`"cancellation_policy_id":null`}},
			{name: "rate plan takes a policy of its property", method: "PUT", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1,
				body: `{"rate_plan":{"cancellation_policy_id":"{cp}"}}`, status: 200, want: []string{`"cancellation_policy_id":"{cp}"`}},
			{name: "the policy lists both plans, by title", method: "GET", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyP1,
				status: 200, want: []string{`"associated_rate_plan_ids":["{rpPP}","{rp1}"]`}},
			{name: "rate plan cannot take another property's policy", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credKeyAll,
				body: `{"rate_plan":{"cancellation_policy_id":"{cp2}"}}`, status: 422,
				want: []string{`"cancellation_policy_id":["is not a cancellation policy of the property"]`}},
			{name: "rate plan cannot take another organisation's policy", method: "PUT", path: "/api/v1/rate_plans/{rpB}", cred: credKeyOther,
				body: `{"rate_plan":{"cancellation_policy_id":"{cp}"}}`, status: 422,
				want: []string{`"cancellation_policy_id":["is not a cancellation policy of the property"]`}, never: []string{"{p1}"}},
			{name: "rate plan: not an id", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1,
				body: `{"rate_plan":{"cancellation_policy_id":"nope"}}`, status: 422, want: []string{`"cancellation_policy_id":["is not a valid id"]`}},
			{name: "new rate plan with a policy", method: "POST", path: "/api/v1/rate_plans", cred: credKeyP1,
				body: `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt2}","title":"Probe","cancellation_policy_id":"{cp}",
					"options":[{"occupancy":2,"is_primary":true,"rate":100}]}}`, status: 201, want: []string{`"cancellation_policy_id":"{cp}"`}},
			{name: "the policy lets go of the plans it no longer names", method: "PUT", path: "/api/v1/cancellation_policies/{cp}",
				cred: credKeyP1, body: `{"cancellation_policy":{"associated_rate_plan_ids":["{rp1}"]}}`, status: 200,
				want: []string{`"associated_rate_plan_ids":["{rp1}"]`}},
			{name: "the plan let go has none", method: "GET", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1, status: 200,
				want: []string{`"cancellation_policy_id":null`}},
			{name: "delete", method: "DELETE", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyP1, status: 200,
				want: []string{`"message":"Success"`}},
			{name: "deleted is gone", method: "GET", path: "/api/v1/cancellation_policies/{cp}", cred: credKeyP1, status: 404},
			{name: "its rate plans have none", method: "GET", path: "/api/v1/rate_plans?filter[property_id]={p1}", cred: credKeyP1, status: 200,
				want: []string{`"cancellation_policy_id":null`}, never: []string{"{cp}"}},
			{name: "the other property's policy stays", method: "GET", path: "/api/v1/cancellation_policies/{cp2}", cred: credKeyAll, status: 200},
		})
	})
}
