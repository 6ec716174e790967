package api

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestRatePlans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		cert := `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"Certification Rate","currency":"EUR","sell_mode":"per_room",
			"rate_mode":"manual","parent_rate_plan_id":null,"options":[{"occupancy":2,"is_primary":true,"rate":10000}]}}`
		plan := func(extra string) string {
			return `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt2}","title":"Probe","options":[{"occupancy":2,"is_primary":true}]` + extra + `}}`
		}
		inv.runAll(t, []scenario{
			{name: "create as the certification does", method: "POST", path: "/api/v1/rate_plans", cred: credKeyP1, body: cert, status: 201,
				want: []string{`"type":"rate_plan"`, `"meta":null`, `"title":"Certification Rate"`, `"currency":"EUR"`, `"auto_rate_settings":null`,
					`"rate":"100.00"`, `"derived_option":null`, `"is_primary":true`, `"rate_category_id":null`,
					`"closed_to_arrival":[false,false,false,false,false,false,false]`, `"closed_to_departure":[false,false,false,false,false,false,false]`,
					`"max_stay":[0,0,0,0,0,0,0]`, `"min_stay_arrival":[1,1,1,1,1,1,1]`, `"min_stay_through":[1,1,1,1,1,1,1]`,
					`"stop_sell":[false,false,false,false,false,false,false]`, `"inherit_rate":false`, `"inherit_max_sell":false`,
					`"inherit_availability_offset":false`, `"cancellation_policy_id":null`, `"children_fee":"0.00"`, `"infant_fee":"0.00"`,
					`"meal_type":null`, `"rate_mode":"manual"`, `"sell_mode":"per_room"`, `"tax_set_id":null`, `"ui_read_only":false`,
					`"is_derived":false`, `"parent_rate_plan_id":null`,
					`"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`, `"room_type":{"data":{"type":"room_type","id":"{rt1}","attributes":{"id":"{rt1}","title":"Double"}}}`}},
			{name: "duplicate title in the property", method: "POST", path: "/api/v1/rate_plans", cred: credKeyP1, body: cert, status: 422,
				want: []string{`"title":["Duplication in Rate Plan title is not allowed!"]`}},
			{name: "money as a decimal string, currency defaults to the property's", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body:   plan(`,"title":"Decimal","children_fee":"12.5","infant_fee":300,"options":[{"occupancy":2,"is_primary":true,"rate":"312.66"}]`),
				status: 201, want: []string{`"rate":"312.66"`, `"children_fee":"12.50"`, `"infant_fee":"3.00"`, `"currency":"EUR"`}},
			{name: "JPY has no decimals", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body:   plan(`,"title":"Yen","currency":"JPY","options":[{"occupancy":2,"rate":10000}]`),
				status: 201, want: []string{`"rate":"10000"`, `"currency":"JPY"`, `"children_fee":"0"`}},
			{name: "JPY refuses decimals", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body:   plan(`,"title":"Yen 2","currency":"JPY","options":[{"occupancy":2,"is_primary":true,"rate":"100.5"}]`),
				status: 422, want: []string{`"options":["rate has too many decimal places"]`}},
			{name: "KWD has three", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Dinar","currency":"KWD","options":[{"occupancy":2,"is_primary":true,"rate":"1.5"}]`), status: 201,
				want: []string{`"rate":"1.500"`}},
			{name: "weekday defaults: a scalar is every day, a list is Monday first", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Weekly","min_stay_arrival":2,"min_stay_through":[1,1,1,1,2,3,1],"max_stay":"14","stop_sell":true,
					"closed_to_arrival":[false,false,false,false,false,true,true],"closed_to_departure":false,"meal_type":"breakfast"`),
				status: 201, want: []string{`"min_stay_arrival":[2,2,2,2,2,2,2]`, `"min_stay_through":[1,1,1,1,2,3,1]`, `"max_stay":[14,14,14,14,14,14,14]`,
					`"stop_sell":[true,true,true,true,true,true,true]`, `"closed_to_arrival":[false,false,false,false,false,true,true]`, `"meal_type":"breakfast"`}},
			{name: "weekday defaults of the wrong shape", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"min_stay_arrival":[1,2,3],"min_stay_through":0,"max_stay":-1,"stop_sell":"yes","closed_to_arrival":[true],
					"closed_to_departure":null`), status: 422,
				want: []string{`"min_stay_arrival":["must be a whole number or a list of 7`, `"min_stay_through":["must be greater than 0"]`,
					`"max_stay":["must be greater than or equal to 0"]`, `"stop_sell":["must be true or false, or a list of 7`,
					`"closed_to_arrival":["must be true or false, or a list of 7`, `"closed_to_departure":["must be true or false, or a list of 7`}},
			{name: "enumerations", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"sell_mode":"per_bed","rate_mode":"magic","meal_type":"brunch","currency":"XXX"`), status: 422,
				want: []string{`"sell_mode":["is not included in the list (per_room, per_person)"]`, `"rate_mode":["is not included in the list (manual, derived)"]`,
					`"meal_type":["is not included in the list"]`, `"currency":["is not a valid ISO 4217 currency code"]`}},
			{name: "auto is not supported", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: plan(`,"rate_mode":"auto"`),
				status: 422, want: []string{`"rate_mode":["auto is not supported; use manual or derived"]`}},
			{name: "cascade is not supported", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: plan(`,"rate_mode":"cascade"`),
				status: 422, want: []string{`"rate_mode":["cascade is not supported`}},
			{name: "fees must not be negative", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"children_fee":-1,"infant_fee":"abc"`), status: 422,
				want: []string{`"children_fee":["must be greater than or equal to 0"]`, `"infant_fee":["is invalid"]`}},
			{name: "required members", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: `{"rate_plan":{"property_id":"{p1}"}}`,
				status: 422, want: []string{`"title":["can't be blank"]`, `"room_type_id":["can't be blank"]`, `"options":["can't be blank"]`}},
			{name: "no property", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: `{"rate_plan":{"title":"x"}}`,
				status: 422, want: []string{`"property_id":["can't be blank"]`}},
			{name: "room type of another property", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: strings.Replace(plan(`,"title":"Elsewhere"`), "{rt2}", "{rt3}", 1), status: 422,
				want: []string{`"room_type_id":["is not a room type of the property"]`}},
			{name: "occupancy above the room type's adults", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"options":[{"occupancy":5,"is_primary":true}]`), status: 422,
				want: []string{`"options":["occupancy 5 is above the room type's occ_adults (4)"]`}},
			{name: "per room takes one option", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"options":[{"occupancy":2,"is_primary":true},{"occupancy":1,"is_primary":false}]`), status: 422,
				want: []string{`"options":["a per_room rate plan takes exactly one occupancy option"]`}},
			{name: "exactly one primary", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"sell_mode":"per_person","options":[{"occupancy":2,"is_primary":true},{"occupancy":1,"is_primary":true}]`), status: 422,
				want: []string{`"options":["must have exactly one primary option (is_primary: true)"]`}},
			{name: "options of the wrong shape", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"options":[{"is_primary":"yes","rate":-5}]`), status: 422,
				want: []string{`"is_primary must be true or false"`, `"occupancy can't be blank"`}},
			{name: "options not a list", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: plan(`,"options":{}`), status: 422,
				want: []string{`"options":["must be a list of occupancy options`}},
			{name: "tax sets do not exist", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"tax_set_id":"00000000-0000-4000-8000-000000000000"`), status: 422, want: []string{`"tax_set_id":[`}},
			{name: "inherit flags need a parent", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: plan(`,"inherit_rate":true`),
				status: 422, want: []string{`"inherit_rate":["can only be true for a rate plan with a parent_rate_plan_id"]`}},
			{name: "derived needs a parent", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, body: plan(`,"rate_mode":"derived"`),
				status: 422, want: []string{`"parent_rate_plan_id":["can't be blank for a derived rate plan"]`}},
			{name: "per person, with options per adult count", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Per Person","sell_mode":"per_person","options":[{"occupancy":1,"is_primary":false,"rate":9000},
					{"occupancy":3,"is_primary":true,"rate":"130"},{"occupancy":2,"is_primary":false,"rate":11000}]`), status: 201,
				want: []string{`"sell_mode":"per_person"`, `"occupancy":3,"is_primary":true,"rate":"130.00"`, `"occupancy":1,"is_primary":false,"rate":"90.00"`}},
			{name: "derived: a parent makes it derived, inheriting everything", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Derived","room_type_id":"{rt1}","parent_rate_plan_id":"{rp1}","inherit_stop_sell":false,
					"options":[{"occupancy":2,"is_primary":true,"derived_option":{"rate":[["increase_by_percent","5.00"],["increase_by_amount","12.00"]]}}]`),
				status: 201, want: []string{`"rate_mode":"derived"`, `"is_derived":true`, `"parent_rate_plan_id":"{rp1}"`, `"inherit_rate":true`,
					`"inherit_stop_sell":false`, `"inherit_max_sell":true`,
					`"derived_option":{"rate":[["increase_by_percent","5.00"],["increase_by_amount","12.00"]]}`}},
			{name: "derived: the parent's currency", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body:   plan(`,"title":"Dollars","room_type_id":"{rt1}","currency":"USD","parent_rate_plan_id":"{rp1}"`),
				status: 422, want: []string{`"currency":["must be the parent rate plan's currency (EUR)"]`}},
			{name: "derived: a parent of another property", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Far","parent_rate_plan_id":"{rp2}"`), status: 422,
				want: []string{`"parent_rate_plan_id":["is not a rate plan of the property"]`}},
			{name: "derived: a bad derived option", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Bad rules","parent_rate_plan_id":"{rp1}","options":[{"occupancy":2,"is_primary":true,
					"derived_option":{"rate":[["multiply","2"]],"stop_sell":[["increase_by_amount","1"]]}}]`), status: 422,
				want: []string{`"options":["derived_option: rate operation must be one of`}},
			{name: "derived: percentages only on the rate", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body: plan(`,"title":"Bad rules","parent_rate_plan_id":"{rp1}","options":[{"occupancy":2,"is_primary":true,
					"derived_option":{"min_stay_arrival":[["increase_by_percent","10"]]}}]`), status: 422,
				want: []string{`derived_option: min_stay_arrival can only change by an amount`}},
			{name: "manual plans take no derived option", method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA,
				body:   plan(`,"title":"Manual rules","options":[{"occupancy":2,"is_primary":true,"derived_option":{"rate":[["increase_by_amount","1"]]}}]`),
				status: 422, want: []string{`derived_option can only be set on a rate plan with a parent_rate_plan_id`}},
			{name: "list: no parent_rate_plan_id, Channex meta", method: "GET", path: "/api/v1/rate_plans?filter[property_id]={p1}&pagination[limit]=100",
				cred: credKeyP1, status: 200, want: []string{`"order_by":"title"`, `"id":"{rpD}"`, `"is_derived":true`},
				never: []string{"parent_rate_plan_id", "{rp2}", "{rpB}"}},
			{name: "list: filter by room type", method: "GET", path: "/api/v1/rate_plans?filter[room_type_id]={rt2}&order[title]=asc", cred: credOwnerA,
				status: 200, want: []string{"{rpPP}"}, never: []string{"{rp1}"}},
			{name: "options: one item per occupancy option, with the parent", method: "GET", path: "/api/v1/rate_plans/options?filter[property_id]={p1}",
				cred: credKeyP1, status: 200,
				want: []string{`"id":"{ppOpt1}","is_primary":false,"occupancy":1,"parent_rate_plan_id":null,"property_id":"{p1}","rate_category_id":null,"rate_plan_id":"{rpPP}","room_type_id":"{rt2}","sell_mode":"per_person","title":"Family Flex"`,
					`"id":"{rpD}","is_primary":true,"occupancy":2,"parent_rate_plan_id":"{rp1}"`},
				never: []string{"{rp2}"}},
			{name: "get", method: "GET", path: "/api/v1/rate_plans/{rpD}", cred: credKeyP1, status: 200,
				want: []string{`"parent_rate_plan_id":"{rp1}"`, `"derived_option":{"rate":[["decrease_by_percent","10.00"]]}`}},
			{name: "get unknown", method: "GET", path: "/api/v1/rate_plans/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404},
			{name: "update: rename and change a default", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credKeyP1,
				body: `{"rate_plan":{"title":"Standard Rate","stop_sell":[false,false,false,false,false,false,true]}}`, status: 200,
				want: []string{`"title":"Standard Rate"`, `"stop_sell":[false,false,false,false,false,false,true]`, `"rate":"100.00"`}},
			{name: "update: options keep their ids by occupancy", method: "PUT", path: "/api/v1/rate_plans/{rpPP}", cred: credOwnerA,
				body:   `{"rate_plan":{"options":[{"occupancy":2,"is_primary":true,"rate":16000},{"occupancy":1,"rate":12500},{"occupancy":3,"rate":17000}]}}`,
				status: 200, want: []string{`"id":"{rpPP}","occupancy":2,"is_primary":true,"rate":"160.00"`,
					`"id":"{ppOpt1}","occupancy":1,"is_primary":false,"rate":"125.00"`, `"occupancy":3,"is_primary":false,"rate":"170.00"`}},
			{name: "update: an option left out is removed", method: "PUT", path: "/api/v1/rate_plans/{rpPP}", cred: credOwnerA,
				body: `{"rate_plan":{"options":[{"occupancy":2,"is_primary":true,"rate":16000}]}}`, status: 200, never: []string{"{ppOpt1}"}},
			{name: "update: property can't change", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credOwnerA,
				body: `{"rate_plan":{"property_id":"{p2}"}}`, status: 422, want: []string{`"property_id":["can't be changed"]`}},
			{name: "update: duplicate title", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credOwnerA,
				body: `{"rate_plan":{"title":"Saver"}}`, status: 422, want: []string{"Duplication in Rate Plan title is not allowed!"}},
			{name: "update: a cycle of parents is refused", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credOwnerA,
				body: `{"rate_plan":{"parent_rate_plan_id":"{rpD}"}}`, status: 422,
				want: []string{`"parent_rate_plan_id":["derives from this rate plan; rate plans can't derive from each other"]`}},
			{name: "update: a parent can't change currency under its derived plans", method: "PUT", path: "/api/v1/rate_plans/{rp1}", cred: credOwnerA,
				body: `{"rate_plan":{"currency":"USD"}}`, status: 422, want: []string{`"currency":["can't be changed while rate plans derive from this one"]`}},
			{name: "update: nor to one with other decimals", method: "PUT", path: "/api/v1/rate_plans/{rp2}", cred: credOwnerA,
				body: `{"rate_plan":{"currency":"JPY"}}`, status: 422, want: []string{`"currency":["can't be changed to a currency with a different number of decimals`}},
			{name: "update: a plan losing its parent becomes manual and inherits nothing", method: "PUT", path: "/api/v1/rate_plans/{rpD}", cred: credOwnerA,
				body: `{"rate_plan":{"parent_rate_plan_id":null,"options":[{"occupancy":2,"is_primary":true,"rate":9000}]}}`, status: 200,
				want: []string{`"rate_mode":"manual"`, `"is_derived":false`, `"inherit_rate":false`, `"parent_rate_plan_id":null`, `"rate":"90.00"`}},
			{name: "update: and derived again", method: "PUT", path: "/api/v1/rate_plans/{rpD}", cred: credOwnerA,
				body: `{"rate_plan":{"parent_rate_plan_id":"{rp1}","inherit_min_stay_arrival":false}}`, status: 200,
				want: []string{`"rate_mode":"derived"`, `"inherit_rate":true`, `"inherit_min_stay_arrival":false`}},
			{name: "delete a parent of derived plans", method: "DELETE", path: "/api/v1/rate_plans/{rp1}", cred: credOwnerA, status: 422,
				want: []string{`"rate_plan":["has derived rate plans`}},
			{name: "delete a room type holding a parent and its derived plan", method: "DELETE", path: "/api/v1/room_types/{rt1}", cred: credOwnerA,
				status: 200},
			{name: "the room type took its plans, parent and derived, with it", method: "GET", path: "/api/v1/rate_plans/{rpD}", cred: credOwnerA, status: 404},
			{name: "delete", method: "DELETE", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1, status: 200, want: []string{`"message":"Success"`}},
			{name: "deleted", method: "DELETE", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1, status: 404},
		})
	})
}

// TestDerivedAcrossRoomTypes checks that a room type whose rate plan is
// the parent of a plan of another room type cannot be deleted.
func TestDerivedAcrossRoomTypes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		inv.runAll(t, []scenario{
			{name: "derive the Family plan from Standard", method: "PUT", path: "/api/v1/rate_plans/{rpPP}", cred: credOwnerA,
				body: `{"rate_plan":{"parent_rate_plan_id":"{rp1}"}}`, status: 200, want: []string{`"is_derived":true`}},
			{name: "Double can't go", method: "DELETE", path: "/api/v1/room_types/{rt1}", cred: credOwnerA, status: 422,
				want: []string{`"room_type":["has rate plans that rate plans of other room types derive from`}},
			{name: "the property can, with everything in it", method: "DELETE", path: "/api/v1/properties/{p1}", cred: credOwnerA, status: 200},
			{name: "gone", method: "GET", path: "/api/v1/rate_plans/{rpPP}", cred: credOwnerA, status: 404},
		})
	})
}

// TestRatePlanLimits checks the limits a property shows as
// max_count_of_rate_plans and max_count_of_occupancies.
func TestRatePlanLimits(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	var options []string
	for i := 1; i <= keycard.MaxOccupancies+1; i++ {
		options = append(options, `{"occupancy":`+strconv.Itoa(i)+`,"is_primary":`+strconv.FormatBool(i == 1)+`}`)
	}
	inv.run(t, scenario{method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credOwnerA, body: `{"room_type":{"occ_adults":20}}`, status: 200})
	inv.run(t, scenario{method: "PUT", path: "/api/v1/rate_plans/{rpPP}", cred: credOwnerA, status: 422,
		body: `{"rate_plan":{"options":[` + strings.Join(options, ",") + `]}}`, want: []string{`"options":["must have at most 10 occupancy options"]`}})
	for i := range keycard.MaxRatePlans - 4 {
		_, err := inv.st.CreateRatePlan(context.Background(), inv.ownerA, inv.p1, &keycard.RatePlanChange{Title: new("Plan " + strconv.Itoa(i)),
			RoomTypeID: &inv.rt1, OptionsSent: true, Options: []keycard.RateOptionChange{{Occupancy: new(2), IsPrimary: new(true)}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	inv.run(t, scenario{method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, status: 201,
		body: `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"The last one","options":[{"occupancy":2}]}}`})
	inv.run(t, scenario{method: "POST", path: "/api/v1/rate_plans", cred: credOwnerA, status: 422,
		body: `{"rate_plan":{"property_id":"{p1}","room_type_id":"{rt1}","title":"One too many","options":[{"occupancy":2}]}}`,
		want: []string{`"property_id":["has reached the limit of 400 rate plans"]`}})
}

// TestInventoryBadInput sends every member of room types and rate plans
// with values of every wrong type: each gets a 422 naming it (or is
// accepted), never another error.
func TestInventoryBadInput(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	bad := []string{`null`, `true`, `"x"`, `-1`, `0`, `1.5`, `1e309`, `99999999999999999999`, `[]`, `{}`, `[1]`, `[{}]`,
		`"` + strings.Repeat("9", 300) + `"`, `[1,2,3,4,5,6,7]`, `[true,false,true,false,true,false,true]`, `{"rate":[[1,2]]}`}
	kinds := []struct {
		path, root, base string
		members          []string
	}{
		{"/api/v1/room_types", "room_type",
			`"property_id":"{p1}","title":"T{n}","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2`,
			[]string{"property_id", "title", "count_of_rooms", "occ_adults", "occ_children", "occ_infants", "default_occupancy",
				"room_kind", "capacity", "facilities", "content", "position"}},
		{"/api/v1/rate_plans", "rate_plan",
			`"property_id":"{p1}","room_type_id":"{rt2}","title":"T{n}","options":[{"occupancy":2,"is_primary":true}]`,
			[]string{"property_id", "room_type_id", "title", "options", "currency", "sell_mode", "rate_mode", "meal_type", "parent_rate_plan_id",
				"tax_set_id", "children_fee", "infant_fee", "max_stay", "min_stay_arrival", "min_stay_through", "closed_to_arrival",
				"closed_to_departure", "stop_sell", "inherit_rate", "inherit_max_sell", "auto_rate_settings"}},
	}
	n := 0
	for _, k := range kinds {
		for _, member := range k.members {
			for _, v := range bad {
				n++
				body := `{"` + k.root + `":{` + strings.ReplaceAll(k.base, "{n}", strconv.Itoa(n)) + `,"` + member + `":` + v + `}}`
				status, out := inv.do("POST", k.path, credOwnerA, inv.x(body))
				switch {
				case status == 201:
				case status == 422 && strings.Contains(out, `"`+member+`":[`):
				case status == 404 && member == "property_id":
				default:
					t.Errorf("POST %s with %s=%s: status %d; body %s", k.path, member, v, status, redact(inv.fixture, out))
				}
				// And the same as a change of an existing one.
				id := map[string]string{"room_type": inv.rt2, "rate_plan": inv.rpPP}[k.root]
				status, out = inv.do("PUT", k.path+"/"+id, credOwnerA, `{"`+k.root+`":{"`+member+`":`+v+`}}`)
				if status != 200 && (status != 422 || !strings.Contains(out, `"`+member+`":[`)) {
					t.Errorf("PUT %s with %s=%s: status %d; body %s", k.path, member, v, status, redact(inv.fixture, out))
				}
			}
		}
	}
}
