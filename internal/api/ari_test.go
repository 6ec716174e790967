package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// The clean success of an ARI write: one task, no warnings member.
var ariSuccess = []string{`{"data":[{"type":"task","id":"`, `"meta":{"message":"Success"}}`}

func TestAvailability(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		read := "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d2}"
		inv.runAll(t, []scenario{
			{name: "write as the certification does", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d4}","availability":1}]}`,
				want: ariSuccess, never: []string{"warnings"}},
			{name: "read it back; a room type never written reads 0", method: "GET", path: read, cred: credKeyP1, status: 200,
				want: []string{`{"data":{"{rt1}":{"{d0}":1,"{d1}":1,"{d2}":1},"{rt2}":{"{d0}":0,"{d1}":0,"{d2}":0}}}`}},
			{name: "percent-encoded filters, one room type", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/availability/?filter%5Bproperty_id%5D={p1}&filter%5Bdate%5D%5Bgt%5D={d3}&filter%5Bdate%5D%5Blt%5D={d6}&filter%5Broom_type_id%5D={rt1}",
				want: []string{`{"data":{"{rt1}":{"{d4}":1,"{d5}":0}}}`}},
			{name: "single date", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date]={d4}", cred: credKeyP1, status: 200,
				want: []string{`"{rt1}":{"{d4}":1}`}},
			{name: "values apply in order, the last wins", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d2}","availability":7},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d1}","availability":"2"},
					{"property_id":"{p1}","room_type_id":"{rt2}","date":"{d2}","availability":4}]}`, want: ariSuccess},
			{name: "read the override", method: "GET", path: read, cred: credKeyP1, status: 200,
				want: []string{`{"data":{"{rt1}":{"{d0}":7,"{d1}":2,"{d2}":7},"{rt2}":{"{d0}":0,"{d1}":0,"{d2}":4}}}`}},
			{name: "invalid values are echoed with warnings, valid ones apply", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":-1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":3}]}`,
				want: []string{`"data":[{"type":"task"`, `"warnings":[{"availability":-1,"date":"{d0}","property_id":"{p1}","room_type_id":"{rt1}","warning":{"availability":["must be greater than or equal to 0"]}}]`}},
			{name: "every value invalid: no task", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":"many"},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":1.5},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":null},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}"}]}`,
				want: []string{`{"data":[],"meta":{"message":"Success","warnings":[`, `"warning":{"availability":["is not a number"]}`,
					`"warning":{"availability":["must be an integer"]}`, `"warning":{"availability":["Should be a non null value or not existed field"]}`,
					`"warning":{"availability":["can't be blank"]}`}},
			{name: "the refused values changed nothing", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date]={d0}&filter[room_type_id]={rt1}",
				cred: credKeyP1, status: 200, want: []string{`"{d0}":3`}},
			{name: "dates: past, impossible, reversed, beyond the horizon, missing", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"{past}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"2026-02-30","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d5}","date_to":"{d4}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d5}","date_to":"{far}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d5}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d5}","date_to":"{d6}","availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":20261101,"availability":1}]}`,
				want: []string{`"data":[]`, `"warning":{"date":["can't be in the past (today is `, `"warning":{"date":["is not a valid date (YYYY-MM-DD)"]}`,
					`"warning":{"date_to":["must be on or after date_from"]}`, `"warning":{"date_to":["must be at most 730 days after today"]}`,
					`"warning":{"date_to":["can't be blank"]}`, `"warning":{"date":["can't be blank (send date, or date_from and date_to)"]}`,
					`"warning":{"date":["can't be combined with date_from and date_to"]}`}},
			{name: "days filter: weekday codes only", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d5}","days":["sa","xx"],"availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d5}","days":[],"availability":1},
					{"property_id":"{p1}","room_type_id":"{rt1}","date":"{d5}","days":"sa","availability":1}]}`,
				want: []string{`"data":[]`, `"warning":{"days":["must be a non-empty list of weekday codes`, `"warning":{"days":["must be a list of weekday codes`}},
			{name: "unknown and out-of-reach targets are not found", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt3}","date":"{d5}","availability":1},
					{"property_id":"{p2}","room_type_id":"{rt3}","date":"{d5}","availability":1},
					{"property_id":"{p1}","room_type_id":"00000000-0000-4000-8000-000000000000","date":"{d5}","availability":1},
					{"property_id":"P1","room_type_id":"{rt1}","date":"{d5}","availability":1}]}`,
				want: []string{`"data":[]`, `"warning":{"room_type_id":["not found"]}`, `"warning":{"property_id":["not found"]}`,
					`"warning":{"property_id":["is invalid"]}`}},
			{name: "read: missing filters", method: "GET", path: "/api/v1/availability", cred: credKeyP1, status: 400,
				want: []string{`{"errors":{"code":"bad_request","title":"Bad Request","details":["property_id is required","date is required"]}}`}},
			{name: "read: missing date", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}", cred: credKeyP1, status: 400,
				want: []string{`"details":["date is required"]`}},
			{name: "read: half a range", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d0}", cred: credKeyP1,
				status: 400, want: []string{`date needs both ends`}},
			{name: "read: a bad date", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date]=2026-02-30", cred: credKeyP1,
				status: 400, want: []string{`"details":["date is not a valid date (YYYY-MM-DD)"]`}},
			{name: "read: too long a range", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={past}&filter[date][lte]={d0}",
				cred: credKeyP1, status: 400, want: []string{"at most 731 can be read at once"}},
			{name: "read: reversed range", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d2}&filter[date][lte]={d0}",
				cred: credKeyP1, status: 400, want: []string{"the date range is empty"}},
			{name: "read: an unknown filter", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date]={d0}&filter[colour]=red",
				cred: credKeyP1, status: 400, want: []string{`filter[colour] is not supported here`}},
			{name: "read: the past is readable", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}&filter[date]={past}", cred: credKeyP1,
				status: 200, want: []string{`"{rt1}":{"2020-01-01":0}`}},
			{name: "read: out of reach", method: "GET", path: "/api/v1/availability?filter[property_id]={p2}&filter[date]={d0}", cred: credKeyP1,
				status: 404, never: []string{"{rt3}"}},
		})
	})
}

// TestAvailabilityDays checks that days narrows a range to the weekdays
// named.
func TestAvailabilityDays(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	inv.get(t, "POST", "/api/v1/availability", credKeyP1,
		`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d13}","availability":1},
			{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d13}","days":["sa","SU"],"availability":9}]}`, 200)
	got := data(inv.get(t, "GET", "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d13}", credKeyP1, "", 200))
	days := got[inv.rt1].(map[string]any)
	for i := range 14 {
		d := inv.d0 + keycard.Date(i)
		want := 1.0
		if d.Weekday() >= 5 {
			want = 9
		}
		if days[d.String()] != want {
			t.Errorf("%s (weekday %d): availability %v, want %v", d, d.Weekday(), days[d.String()], want)
		}
	}
}

func TestRestrictions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		all := "&filter[restrictions]=rate,min_stay,min_stay_arrival,min_stay_through,max_stay,closed_to_arrival,closed_to_departure,stop_sell"
		read := "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d1}" + all
		inv.runAll(t, []scenario{
			{name: "availability first", method: "POST", path: "/api/v1/availability", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"{d30}","availability":5},
					{"property_id":"{p1}","room_type_id":"{rt2}","date_from":"{d0}","date_to":"{d30}","availability":5}]}`, want: ariSuccess},
			{name: "write as the certification does", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{d0}","date_to":"{d4}","rate":12345,"min_stay_arrival":2,
					"min_stay_through":2,"closed_to_arrival":false,"stop_sell":false}]}`, want: ariSuccess, never: []string{"warnings"}},
			{name: "read it back as Channex answers", method: "GET", path: read, cred: credKeyP1, status: 200,
				want: []string{`"{rp1}":{"{d0}":{"closed_to_arrival":false,"closed_to_departure":false,"max_stay":0,"min_stay_arrival":2,"min_stay_through":2,"rate":"123.45","stop_sell":false,"unavailable_reasons":[]},"{d1}":{`,
					// The derived plan follows: 10 % less, rounded half up; restrictions inherited.
					`"{rpD}":{"{d0}":{"closed_to_arrival":false,"closed_to_departure":false,"max_stay":0,"min_stay_arrival":2,"min_stay_through":2,"rate":"111.11","stop_sell":false,"unavailable_reasons":[]}`,
					// Never written: the option's rate and the plan's defaults.
					`"{rpPP}":{"{d0}":{"closed_to_arrival":false,"closed_to_departure":false,"max_stay":0,"min_stay_arrival":1,"min_stay_through":1,"rate":"150.00","stop_sell":false,"unavailable_reasons":[]}`,
					`"{ppOpt1}":{"{d0}":{"closed_to_arrival":false,"closed_to_departure":false,"max_stay":0,"min_stay_arrival":1,"min_stay_through":1,"rate":"120.00"`},
				never: []string{`"min_stay":`, "{rp2}"}},
			{name: "money: minor units or decimal strings", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":24100},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d1}","rate":"312.66"}]}`, want: ariSuccess},
			{name: "read money", method: "GET", path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d1}&filter[restrictions]=rate&filter[rate_plan_id]={rp1}",
				cred: credKeyP1, status: 200, want: []string{`{"data":{"{rp1}":{"{d0}":{"rate":"241.00","unavailable_reasons":[]},"{d1}":{"rate":"312.66","unavailable_reasons":[]}}}}`}},
			{name: "a bare rate changes the primary option only", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rpPP}","date":"{d0}","rate":20000}]}`, want: ariSuccess},
			{name: "rates set each occupancy", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rpPP}","date":"{d1}","rates":[{"occupancy":1,"rate":5000},{"occupancy":2,"rate":"60.00"}]}]}`,
				want: ariSuccess},
			{name: "an option id narrows restrictions to that option", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{ppOpt1}","date":"{d1}","stop_sell":1}]}`, want: ariSuccess},
			{name: "read the options", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d1}&filter[restrictions]=rate,stop_sell&filter[rate_plan_id]={rpPP}",
				want: []string{`{"data":{"{rpPP}":{"{d0}":{"rate":"200.00","stop_sell":false,"unavailable_reasons":[]},"{d1}":{"rate":"60.00","stop_sell":false,"unavailable_reasons":[]}},` +
					`"{ppOpt1}":{"{d0}":{"rate":"120.00","stop_sell":false,"unavailable_reasons":[]},"{d1}":{"rate":"50.00","stop_sell":true,"unavailable_reasons":["stop_sell"]}}}}`}},
			{name: "rates: an occupancy the plan lacks", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rpPP}","date":"{d1}","rates":[{"occupancy":3,"rate":5000}]},
					{"property_id":"{p1}","rate_plan_id":"{ppOpt1}","date":"{d1}","rates":[{"occupancy":1,"rate":5000}]},
					{"property_id":"{p1}","rate_plan_id":"{rpPP}","date":"{d1}","rates":[{"occupancy":1,"rate":0}]},
					{"property_id":"{p1}","rate_plan_id":"{rpPP}","date":"{d1}","rates":"cheap"}]}`,
				want: []string{`"data":[]`, `"warning":{"rates":["occupancy 3 is not an option of the rate plan"]}`,
					`"warning":{"rates":["can only be used with a rate plan id, not an option id"]}`,
					`"warning":{"rates":["rate for occupancy 1 must be greater than 0"]}`, `"warning":{"rates":["must be a non-empty list of {occupancy, rate}"]}`}},
			{name: "Channex's warning example", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"date_from":"{d0}","date_to":"{d2}","property_id":"{p1}","rate_plan_id":"{rp1}","rate":"-2","max_stay":-2,"stop_sell":123,"min_stay_arrival":0}]}`,
				want: []string{`{"data":[],"meta":{"message":"Success","warnings":[{"date_from":"{d0}","date_to":"{d2}","max_stay":-2,"min_stay_arrival":0,"property_id":"{p1}","rate":"-2","rate_plan_id":"{rp1}","stop_sell":123,"warning":{`,
					`"rate":["must be greater than 0"]`, `"max_stay":["must be greater than or equal to 0"]`,
					`"min_stay_arrival":["must be greater than or equal to 1"]`, `"stop_sell":["is invalid"]`}},
			{name: "nulls, wrong types, zero", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":null},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":0},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":"1.234"},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":true},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","min_stay_through":"x"},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","closed_to_departure":"maybe"},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}"},
					{"property_id":"{p1}","rate_plan_id":null,"date":"{d0}","rate":100},
					7]}`,
				want: []string{`"data":[]`, `"warning":{"rate":["Should be a non null value or not existed field"]}`,
					`"warning":{"rate":["must be greater than 0"]}`, `"warning":{"rate":["has too many decimal places"]}`,
					`"warning":{"rate":["is invalid"]}`, `"warning":{"min_stay_through":["is not a number"]}`,
					`"warning":{"closed_to_departure":["is invalid"]}`, `"warning":{"values":["at least one restriction`,
					`"warning":{"rate_plan_id":["Should be a non null value or not existed field"]}`,
					`{"value":7,"warning":{"value":["must be an object"]}}`}},
			{name: "min_stay while the property keeps both", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","min_stay":3}]}`,
				want: []string{"\"warning\":{\"min_stay\":[\"property doesn't support `min_stay` restriction, please use `min_stay_through` or `min_stay_arrival`\"]}"}},
			{name: "the property counts stays on arrival", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200,
				body: `{"property":{"settings":{"min_stay_type":"arrival"}}}`},
			{name: "then min_stay is min_stay_arrival", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","min_stay":3}]}`, want: ariSuccess},
			{name: "and reads as it", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}&filter[restrictions]=min_stay,min_stay_arrival&filter[rate_plan_id]={rp1}",
				want: []string{`{"data":{"{rp1}":{"{d0}":{"min_stay":3,"min_stay_arrival":3,"unavailable_reasons":[]}}}}`}},
			{name: "a derived plan's inherited fields can't be written", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rpD}","date":"{d0}","rate":100},
					{"property_id":"{p1}","rate_plan_id":"{rpD}","date":"{d0}","stop_sell":true}]}`,
				want: []string{`"data":[]`, `"warning":{"rate":["is inherited from the parent rate plan (inherit_rate is true)"]}`,
					`"warning":{"stop_sell":["is inherited from the parent rate plan (inherit_stop_sell is true)"]}`}},
			{name: "unless it does not inherit them", method: "PUT", path: "/api/v1/rate_plans/{rpD}", cred: credKeyP1, status: 200,
				body: `{"rate_plan":{"inherit_stop_sell":false,"inherit_max_availability":false}}`},
			{name: "then it takes its own", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rpD}","date":"{d0}","stop_sell":true,"max_availability":2},
					{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","availability_offset":1,"max_sell":3}]}`, want: ariSuccess},
			{name: "derived values and availability", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}&filter[restrictions]=availability,availability_offset,max_availability,max_sell,rate,stop_sell",
				want: []string{
					`"{rp1}":{"{d0}":{"availability":3,"availability_offset":1,"max_availability":null,"max_sell":3,"rate":"241.00","stop_sell":false,"unavailable_reasons":[]}}`,
					`"{rpD}":{"{d0}":{"availability":2,"availability_offset":1,"max_availability":2,"max_sell":3,"rate":"216.90","stop_sell":true,"unavailable_reasons":["stop_sell"]}}`}},
			{name: "a derived plan read alone is still computed from its parent", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}&filter[restrictions]=rate&filter[rate_plan_id]={rpD}",
				want: []string{`{"data":{"{rpD}":{"{d0}":{"rate":"216.90","unavailable_reasons":["stop_sell"]}}}}`}},
			{name: "no availability is a reason", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={far}&filter[restrictions]=availability,rate&filter[rate_plan_id]={rp1}",
				want: []string{`{"data":{"{rp1}":{"{far}":{"availability":0,"rate":"100.00","unavailable_reasons":["no_availability"]}}}}`}},
			{name: "unknown and out-of-reach targets are not found", method: "POST", path: "/api/v1/restrictions", cred: credKeyP1, status: 200,
				body: `{"values":[{"property_id":"{p1}","rate_plan_id":"{rp2}","date":"{d0}","rate":100},
					{"property_id":"{p2}","rate_plan_id":"{rp2}","date":"{d0}","rate":100},
					{"property_id":"{p3}","rate_plan_id":"{rpB}","date":"{d0}","rate":100}]}`,
				want: []string{`"data":[]`, `"warning":{"rate_plan_id":["not found"]}`, `"warning":{"property_id":["not found"]}`}},
			{name: "read: restrictions is required", method: "GET", path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}", cred: credKeyP1,
				status: 400, want: []string{`{"errors":{"code":"bad_request","title":"Bad Request","details":["restrictions is required"]}}`}},
			{name: "read: everything is required", method: "GET", path: "/api/v1/restrictions?&&", cred: credKeyP1, status: 400,
				want: []string{`"details":["property_id is required","date is required","restrictions is required"]`}},
			{name: "read: an unknown restriction", method: "GET", path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}&filter[restrictions]=rate,price",
				cred: credKeyP1, status: 400, want: []string{`restrictions: \"price\" is not one of`}},
			{name: "read: out of reach", method: "GET", path: "/api/v1/restrictions?filter[property_id]={p2}&filter[date]={d0}&filter[restrictions]=rate",
				cred: credKeyP1, status: 404},
			{name: "read: unknown property", method: "GET", path: "/api/v1/restrictions?filter[property_id]=nope&filter[date]={d0}&filter[restrictions]=rate",
				cred: credKeyP1, status: 404},
		})
	})
}

// TestRestrictionsLastWins checks Channex's ordering rule: a weekend
// override after a long range wins on weekends, and fields not written
// keep their values.
func TestRestrictionsLastWins(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	inv.get(t, "POST", "/api/v1/restrictions", credKeyP1, `{"values":[
		{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{d0}","date_to":"{d20}","rate":10000,"min_stay_arrival":1},
		{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{d0}","date_to":"{d20}","days":["fr","sa"],"rate":15000,"min_stay_arrival":2},
		{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d7}","closed_to_arrival":true}]}`, 200)
	got := data(inv.get(t, "GET", "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d20}"+
		"&filter[restrictions]=rate,min_stay_arrival,closed_to_arrival&filter[rate_plan_id]={rp1}", credKeyP1, "", 200))
	days := got[inv.rp1].(map[string]any)
	for i := range 21 {
		d := inv.d0 + keycard.Date(i)
		want := map[string]any{"rate": "100.00", "min_stay_arrival": 1.0, "closed_to_arrival": i == 7}
		if w := d.Weekday(); w == 4 || w == 5 {
			want["rate"], want["min_stay_arrival"] = "150.00", 2.0
		}
		day := days[d.String()].(map[string]any)
		for k, v := range want {
			if day[k] != v {
				t.Errorf("%s (weekday %d) %s = %v, want %v", d, d.Weekday(), k, day[k], v)
			}
		}
	}
}

// TestRestrictionsManyEntries writes more entries than one core decodes
// alone, with refused ones at the start, the middle and the end: each
// warning echoes its own entry, in order, and every other entry applies,
// the last of those for one date winning (an integer rate is in minor
// units).
func TestRestrictionsManyEntries(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	n := 2*parallelEntries + 3
	bad := map[int]bool{0: true, n / 2: true, n - 1: true}
	var b strings.Builder
	b.WriteString(`{"values":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		date := (inv.d0 + keycard.Date(i%20)).String()
		if bad[i] {
			date = "2026-02-30" // refused with a warning that echoes it
		}
		fmt.Fprintf(&b, `{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"%s","rate":%d,"min_stay_arrival":%d}`, date, 100+i, 1+i%5)
	}
	b.WriteString(`]}`)
	out := inv.get(t, "POST", "/api/v1/restrictions", credKeyP1, b.String(), 200)
	warnings, _ := out["meta"].(map[string]any)["warnings"].([]any)
	if len(warnings) != len(bad) {
		t.Fatalf("%d warnings, want %d: %v", len(warnings), len(bad), warnings)
	}
	for k, i := range []int{0, n / 2, n - 1} {
		w := warnings[k].(map[string]any)
		if w["rate"] != float64(100+i) || w["date"] != "2026-02-30" || w["warning"] == nil {
			t.Errorf("warning %d = %v, want entry %d (rate %d) with its reason", k, w, i, 100+i)
		}
	}
	got := data(inv.get(t, "GET", "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d0}&filter[date][lte]={d19}"+
		"&filter[restrictions]=rate,min_stay_arrival&filter[rate_plan_id]={rp1}", credKeyP1, "", 200))
	days := got[inv.rp1].(map[string]any)
	for d := range 20 {
		last := n - 1
		for bad[last] || last%20 != d {
			last--
		}
		day := days[(inv.d0 + keycard.Date(d)).String()].(map[string]any)
		if want := keycard.FormatMoney(int64(100+last), "EUR"); day["rate"] != want || day["min_stay_arrival"] != float64(1+last%5) {
			t.Errorf("day %d = %v, want entry %d: rate %s, min_stay_arrival %d", d, day, last, want, 1+last%5)
		}
	}
}

// TestARIBadInput sends every field of both ARI writes with values of
// every wrong type and range: each is answered 200 with a warning naming
// the field (or applied, when the value is one Channex accepts), never an
// error.
func TestARIBadInput(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	bad := []string{`null`, `true`, `"x"`, `-1`, `0`, `1.5`, `1e309`, `99999999999999999999`, `[]`, `{}`, `"2026-02-30"`, `"0000-00-00"`,
		`"` + strings.Repeat("9", 300) + `"`, `"\u0000"`, `[1,2,3,4,5,6,7]`, `[{"occupancy":"x","rate":{}}]`, `"9999-12-31"`}
	endpoints := []struct {
		path, base string
		fields     []string
	}{
		{"/api/v1/availability", `"property_id":"{p1}","room_type_id":"{rt1}","date":"{d0}","availability":1`,
			[]string{"property_id", "room_type_id", "date", "date_from", "date_to", "days", "availability"}},
		{"/api/v1/restrictions", `"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d0}","rate":100`,
			[]string{"property_id", "rate_plan_id", "date", "date_from", "date_to", "days", "rate", "rates", "min_stay_arrival", "min_stay_through",
				"min_stay", "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell", "availability_offset", "max_availability", "max_sell"}},
	}
	for _, ep := range endpoints {
		for _, field := range ep.fields {
			for _, v := range bad {
				entry := `{` + ep.base + `,"` + field + `":` + v + `}`
				// A field already in base is replaced (the JSON decoder keeps
				// the last of duplicate members).
				status, body := inv.do("POST", ep.path, credKeyP1, inv.x(`{"values":[`+entry+`]}`))
				if status != http.StatusOK {
					t.Errorf("%s %s=%s: status %d, want 200; body %s", ep.path, field, v, status, redact(inv.fixture, body))
					continue
				}
				var out struct {
					Data []any `json:"data"`
					Meta struct {
						Warnings []struct {
							Warning map[string][]string `json:"warning"`
						} `json:"warnings"`
					} `json:"meta"`
				}
				if err := json.Unmarshal([]byte(body), &out); err != nil {
					t.Fatalf("%s %s=%s: %v", ep.path, field, v, err)
				}
				if len(out.Meta.Warnings) == 0 {
					continue // accepted, like 0 for a boolean or a number as a string
				}
				if len(out.Data) != 0 || len(out.Meta.Warnings) != 1 {
					t.Errorf("%s %s=%s: %d tasks and %d warnings, want 0 and 1", ep.path, field, v, len(out.Data), len(out.Meta.Warnings))
				}
				w := out.Meta.Warnings[0].Warning
				named := len(w[field]) > 0
				if field == "date_from" || field == "date_to" {
					named = len(w["date"]) > 0 // mixed with the base's date
				}
				if !named {
					t.Errorf("%s %s=%s: warning %v does not name %s", ep.path, field, v, w, field)
				}
			}
		}
	}
	for _, body := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"values":{}}`, 422, `"values":["must be a list of objects"]`},
		{`{"values":"x"}`, 422, `"values":["must be a list of objects"]`},
		{`{"values":null}`, 400, `"details":["values is required"]`},
		{`{}`, 400, `"details":["values is required"]`},
		{`[]`, 400, `not a valid JSON object`},
		{`{"values":[`, 400, `not a valid JSON object`},
		{``, 400, `empty`},
		{`{"values":[]}`, 200, `{"data":[],"meta":{"message":"Success"}}`},
	} {
		for _, path := range []string{"/api/v1/availability", "/api/v1/restrictions"} {
			inv.run(t, scenario{method: "POST", path: path, cred: credKeyP1, body: body.body, status: body.status, want: []string{body.want}})
		}
	}
}

// TestARILargeRequests checks the size limits: 10 MB of values is
// applied; a body over 10 MB is a 413; values that expand to more dates
// than a write may hold are a 413 too; none of them is a crash.
func TestARILargeRequests(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	values := func(n int, entry string) string {
		var b strings.Builder
		b.WriteString(`{"values":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(inv.expand(inv.x(strings.ReplaceAll(entry, "{i}", strconv.Itoa(i%25)))))
		}
		b.WriteString(`]}`)
		return b.String()
	}
	entry := `{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d{i}}","rate":1{i}00,"min_stay_arrival":2,"stop_sell":false,"closed_to_arrival":false}`
	one := len(inv.expand(inv.x(strings.ReplaceAll(entry, "{i}", "10")))) + 1
	body := values((MaxBodyBytes-100)/one, entry)
	if len(body) > MaxBodyBytes || len(body) < MaxBodyBytes-100_000 {
		t.Fatalf("body of %d bytes, want just under %d", len(body), MaxBodyBytes)
	}
	if status, out := inv.do("POST", "/api/v1/restrictions", credKeyP1, body); status != 200 || strings.Contains(out, "warnings") {
		t.Errorf("10 MB of values: status %d, want 200 without warnings; body starts %.200s", status, out)
	}
	rate := data(inv.get(t, "GET", "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d3}&filter[restrictions]=rate&filter[rate_plan_id]={rp1}",
		credKeyP1, "", 200))
	if got := rate[inv.rp1].(map[string]any)[(inv.d0 + 3).String()].(map[string]any)["rate"]; got != "13.00" {
		t.Errorf("after 10 MB of values, rate of d3 = %v, want 13.00", got)
	}
	if status, out := inv.do("POST", "/api/v1/restrictions", credKeyP1, body+strings.Repeat(" ", MaxBodyBytes)); status != 413 ||
		!strings.Contains(out, `"code":"payload_too_large"`) {
		t.Errorf("over 10 MB: status %d, want 413; body %.200s", status, out)
	}
	wide := `{"property_id":"{p1}","rate_plan_id":"{rpPP}","date_from":"{d0}","date_to":"{far}","stop_sell":true}`
	if status, out := inv.do("POST", "/api/v1/restrictions", credKeyP1, values(keycard.MaxOccupancies*100, strings.Replace(wide, "{far}", (inv.d0+700).String(), 1))); status != 413 ||
		!strings.Contains(out, "send them in several requests") {
		t.Errorf("values covering too many dates: status %d, want 413; body %.200s", status, out)
	}
	if status, out := inv.do("POST", "/api/v1/availability", credKeyP1, values(2000,
		`{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d0}","date_to":"`+(inv.d0+700).String()+`","availability":1}`)); status != 413 {
		t.Errorf("availability covering too many dates: status %d, want 413; body %.200s", status, out)
	}
	// Nothing of the refused writes was applied.
	got := data(inv.get(t, "GET", "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d0}&filter[restrictions]=stop_sell&filter[rate_plan_id]={rpPP}",
		credKeyP1, "", 200))
	if got[inv.rpPP].(map[string]any)[inv.d0.String()].(map[string]any)["stop_sell"] != false {
		t.Errorf("a refused write changed stop_sell: %v", got)
	}
}

// TestRestrictionsReadStreams reads restrictions over a real connection:
// a small read goes out whole with its Content-Length, a large one in
// chunks as it is built, and both are whole, valid JSON.
func TestRestrictionsReadStreams(t *testing.T) {
	t.Parallel()
	inv := newInventory(t, storetest.Config(t, "sqlite"))
	srv := httptest.NewServer(inv.api)
	t.Cleanup(srv.Close)
	get := func(days int) (*http.Response, map[string]map[string]map[string]any) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+inv.expand("/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]="+inv.d0.String()+"&filter[date][lte]="+
			(inv.d0+keycard.Date(days-1)).String()+"&filter[restrictions]=rate,min_stay_arrival,stop_sell,closed_to_arrival,availability"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range inv.headers(credKeyP1) {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		var out struct {
			Data map[string]map[string]map[string]any `json:"data"`
		}
		if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("%d days: status %d, read: %v; body %.300s", days, resp.StatusCode, err, body)
		}
		for id, byDate := range out.Data {
			if len(byDate) != days {
				t.Errorf("%d days: option %s has %d dates", days, id, len(byDate))
			}
			for date, v := range byDate {
				if len(v) != 6 || v["rate"] == nil || v["unavailable_reasons"] == nil {
					t.Fatalf("%d days: option %s on %s = %v, want the 5 fields asked for and unavailable_reasons", days, id, date, v)
				}
			}
		}
		return resp, out.Data
	}
	resp, small := get(1)
	if resp.ContentLength <= 0 || len(resp.TransferEncoding) > 0 {
		t.Errorf("one day: Content-Length %d, Transfer-Encoding %v; want a Content-Length", resp.ContentLength, resp.TransferEncoding)
	}
	resp, large := get(keycard.MaxARIReadDays)
	if resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
		t.Errorf("%d days: Content-Length %d, Transfer-Encoding %v; want chunked", keycard.MaxARIReadDays, resp.ContentLength, resp.TransferEncoding)
	}
	if len(small) < 2 || len(large) != len(small) {
		t.Errorf("options read: %d for one day, %d for %d days; want the same, at least 2", len(small), len(large), keycard.MaxARIReadDays)
	}
	day0 := inv.d0.String()
	for id := range small {
		if fmt.Sprint(large[id][day0]) != fmt.Sprint(small[id][day0]) {
			t.Errorf("option %s on %s: %v in the large read, %v in the small one", id, day0, large[id][day0], small[id][day0])
		}
	}
}

// TestInventoryScope checks every inventory route against every kind of
// credential: a key restricted to P1 neither reads nor writes anything of
// P2 (not found, or a "not found" warning for ARI writes), and lists
// leave it out.
func TestInventoryScope(t *testing.T) {
	t.Parallel()
	unauthenticated := []cred{noCred, credMalformed, credUnknown, credWithdrawn}
	notFound := outcome{404, []string{"resource_not_found"}, []string{"{rt3}", "{rp2}"}}
	ariRefused := outcome{200, []string{`"data":[]`, `["not found"]`}, nil}
	rtBody := `{"room_type":{"property_id":"{p2}","title":"New","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`
	rpBody := `{"rate_plan":{"property_id":"{p2}","room_type_id":"{rt3}","title":"New","options":[{"occupancy":2,"is_primary":true,"rate":100}]}}`
	dates := "&filter[date][gte]={d0}&filter[date][lte]={d1}"
	routes := []struct {
		name, method, path, body string
		mutates                  bool
		by                       map[cred]outcome
	}{
		{name: "list room types", method: "GET", path: "/api/v1/room_types?pagination[limit]=100", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{rt1}", "{rt2}", `"total":2`}, []string{"{rt3}", "{rtB}"}},
			credKeyAll:   {200, []string{"{rt1}", "{rt3}", `"total":3`}, []string{"{rtB}"}},
			credKeyOther: {200, []string{"{rtB}", `"total":1`}, []string{"{rt1}", "{rt3}"}},
		}},
		{name: "list room types of P2", method: "GET", path: "/api/v1/room_types?filter[property_id]={p2}", by: map[cred]outcome{
			credKeyP1:    {200, []string{`"total":0`}, []string{"{rt3}"}},
			credKeyAll:   {200, []string{"{rt3}", `"total":1`}, nil},
			credKeyOther: {200, []string{`"total":0`}, []string{"{rt3}"}},
		}},
		{name: "room type options", method: "GET", path: "/api/v1/room_types/options", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{rt1}", "{rt2}"}, []string{"{rt3}", "{rtB}"}},
			credKeyAll:   {200, []string{"{rt1}", "{rt3}"}, []string{"{rtB}"}},
			credKeyOther: {200, []string{"{rtB}"}, []string{"{rt1}", "{rt3}"}},
		}},
		{name: "get room type of P2", method: "GET", path: "/api/v1/room_types/{rt3}", by: map[cred]outcome{
			credKeyP1: notFound, credKeyAll: {200, []string{"{rt3}"}, nil}, credKeyOther: notFound,
		}},
		{name: "create room type in P2", method: "POST", path: "/api/v1/room_types", body: rtBody, mutates: true, by: map[cred]outcome{
			credKeyP1: notFound, credKeyAll: {201, []string{`"title":"New"`}, nil}, credKeyOther: notFound,
		}},
		{name: "update room type of P2", method: "PUT", path: "/api/v1/room_types/{rt3}", body: `{"room_type":{"title":"Renamed"}}`, mutates: true,
			by: map[cred]outcome{credKeyP1: notFound, credKeyAll: {200, []string{`"title":"Renamed"`}, nil}, credKeyOther: notFound}},
		{name: "delete room type of P2", method: "DELETE", path: "/api/v1/room_types/{rt3}", mutates: true,
			by: map[cred]outcome{credKeyP1: notFound, credKeyAll: {200, nil, nil}, credKeyOther: notFound}},
		{name: "update room type of P1", method: "PUT", path: "/api/v1/room_types/{rt1}", body: `{"room_type":{"title":"Renamed"}}`, mutates: true,
			by: map[cred]outcome{credKeyP1: {200, nil, nil}, credKeyAll: {200, nil, nil}, credKeyOther: notFound}},
		{name: "list rate plans", method: "GET", path: "/api/v1/rate_plans?pagination[limit]=100", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{rp1}", "{rpD}", "{rpPP}", `"total":3`}, []string{"{rp2}", "{rpB}"}},
			credKeyAll:   {200, []string{"{rp1}", "{rp2}", `"total":4`}, []string{"{rpB}"}},
			credKeyOther: {200, []string{"{rpB}", `"total":1`}, []string{"{rp1}", "{rp2}"}},
		}},
		{name: "rate plan options", method: "GET", path: "/api/v1/rate_plans/options", by: map[cred]outcome{
			credKeyP1:    {200, []string{"{rp1}", "{ppOpt1}"}, []string{"{rp2}", "{rpB}"}},
			credKeyAll:   {200, []string{"{rp1}", "{rp2}"}, []string{"{rpB}"}},
			credKeyOther: {200, []string{"{rpB}"}, []string{"{rp1}", "{rp2}"}},
		}},
		{name: "get rate plan of P2", method: "GET", path: "/api/v1/rate_plans/{rp2}", by: map[cred]outcome{
			credKeyP1: notFound, credKeyAll: {200, []string{"{rp2}"}, nil}, credKeyOther: notFound,
		}},
		{name: "create rate plan in P2", method: "POST", path: "/api/v1/rate_plans", body: rpBody, mutates: true, by: map[cred]outcome{
			credKeyP1: notFound, credKeyAll: {201, []string{`"title":"New"`}, nil}, credKeyOther: notFound,
		}},
		{name: "create rate plan in P1 on P2's room type", method: "POST", path: "/api/v1/rate_plans", mutates: true,
			body: strings.Replace(rpBody, `"property_id":"{p2}"`, `"property_id":"{p1}"`, 1), by: map[cred]outcome{
				credKeyP1:    {422, []string{`"room_type_id":["is not a room type of the property"]`}, nil},
				credKeyAll:   {422, []string{`"room_type_id":["is not a room type of the property"]`}, nil},
				credKeyOther: notFound,
			}},
		{name: "update rate plan of P2", method: "PUT", path: "/api/v1/rate_plans/{rp2}", body: `{"rate_plan":{"title":"Renamed"}}`, mutates: true,
			by: map[cred]outcome{credKeyP1: notFound, credKeyAll: {200, []string{`"title":"Renamed"`}, nil}, credKeyOther: notFound}},
		{name: "delete rate plan of P2", method: "DELETE", path: "/api/v1/rate_plans/{rp2}", mutates: true,
			by: map[cred]outcome{credKeyP1: notFound, credKeyAll: {200, nil, nil}, credKeyOther: notFound}},
		{name: "read availability of P2", method: "GET", path: "/api/v1/availability?filter[property_id]={p2}" + dates, by: map[cred]outcome{
			credKeyP1: notFound, credKeyAll: {200, []string{"{rt3}"}, nil}, credKeyOther: notFound,
		}},
		{name: "read availability of P1", method: "GET", path: "/api/v1/availability?filter[property_id]={p1}" + dates, by: map[cred]outcome{
			credKeyP1: {200, []string{"{rt1}"}, []string{"{rt3}"}}, credKeyAll: {200, []string{"{rt1}"}, nil}, credKeyOther: notFound,
		}},
		{name: "write availability of P2", method: "POST", path: "/api/v1/availability", mutates: true,
			body: `{"values":[{"property_id":"{p2}","room_type_id":"{rt3}","date":"{d0}","availability":9}]}`,
			by:   map[cred]outcome{credKeyP1: ariRefused, credKeyAll: {200, ariSuccess, nil}, credKeyOther: ariRefused}},
		{name: "read restrictions of P2", method: "GET", path: "/api/v1/restrictions?filter[property_id]={p2}&filter[restrictions]=rate" + dates,
			by: map[cred]outcome{credKeyP1: notFound, credKeyAll: {200, []string{"{rp2}"}, nil}, credKeyOther: notFound}},
		{name: "write restrictions of P2", method: "POST", path: "/api/v1/restrictions", mutates: true,
			body: `{"values":[{"property_id":"{p2}","rate_plan_id":"{rp2}","date":"{d0}","rate":99900}]}`,
			by:   map[cred]outcome{credKeyP1: ariRefused, credKeyAll: {200, ariSuccess, nil}, credKeyOther: ariRefused}},
	}
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		shared := newInventory(t, cfg)
		for _, rt := range routes {
			for _, c := range append(unauthenticated, credKeyP1, credKeyAll, credKeyOther) {
				o, ok := rt.by[c]
				if !ok {
					o = outcome{status: 401, want: []string{`"code":"unauthorized"`}}
				}
				// Only credKeyAll reaches P2: the others' ARI writes are
				// refused with a warning, and must change nothing.
				refused := strings.HasPrefix(rt.body, `{"values"`) && c != credKeyAll
				t.Run(rt.name+"/"+string(c), func(t *testing.T) {
					inv := shared
					if rt.mutates && o.status < 300 && !refused {
						inv = newInventory(t, storetest.Config(t, cfg.Dialect()))
					}
					inv.run(t, scenario{method: rt.method, path: rt.path, cred: c, body: rt.body, status: o.status, want: o.want, never: o.never})
					if refused {
						// The refused write left P2 as it was.
						inv.run(t, scenario{method: "GET", cred: credKeyAll, status: 200,
							path: "/api/v1/restrictions?filter[property_id]={p2}&filter[restrictions]=availability,rate&filter[date]={d0}",
							want: []string{`"{rp2}":{"{d0}":{"availability":0,"rate":"80.00"`}})
					}
				})
			}
		}
	})
}

// fullSync is the body of a certification full sync of rates and
// restrictions: every field, for every rate plan and each of days dates
// from first, one value per plan and date. round varies the values.
func fullSync(propertyID string, plans []string, first keycard.Date, days, round int) string {
	var b strings.Builder
	b.Grow(len(plans) * days * 260)
	b.WriteString(`{"values":[`)
	for i, plan := range plans {
		for d := range days {
			if i+d > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"property_id":%q,"rate_plan_id":%q,"date":"%s","rate":%d,"min_stay_arrival":%d,"min_stay_through":%d,`+
				`"max_stay":%d,"closed_to_arrival":%t,"closed_to_departure":%t,"stop_sell":%t}`,
				propertyID, plan, first+keycard.Date(d), 10000+(d*7+i+round)%5000, 1+(d+round)%3, 1+(d+i)%2, (d+round)%30,
				d%7 == 5, d%7 == 6, (d+i+round)%11 == 0)
		}
	}
	b.WriteString(`]}`)
	return b.String()
}

// fullSyncHotel makes a property with one room type and the given number
// of rate plans on it, and returns them with the inventory fixture.
func fullSyncHotel(b *testing.B, plans int) (*inventory, *keycard.Property, []string) {
	inv := newInventory(b, storetest.Config(b, "sqlite"))
	ctx := context.Background()
	prop, err := inv.st.CreateProperty(ctx, inv.ownerA, &keycard.Property{Title: "Full Sync Hotel", Currency: "EUR",
		Settings: keycard.DefaultPropertySettings()}, "")
	if err != nil {
		b.Fatal(err)
	}
	rt, err := inv.st.CreateRoomType(ctx, inv.ownerA, &keycard.RoomType{PropertyID: prop.ID, Title: "Double", CountOfRooms: 10,
		OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for i := range plans {
		rp, err := inv.st.CreateRatePlan(ctx, inv.ownerA, prop.ID, &keycard.RatePlanChange{Title: new("Plan " + strconv.Itoa(i)),
			RoomTypeID: &rt.ID, OptionsSent: true,
			Options: []keycard.RateOptionChange{{Occupancy: new(2), IsPrimary: new(true), Rate: json.RawMessage(`10000`)}}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, rp.ID)
	}
	return inv, prop, ids
}

// BenchmarkRestrictionsRange posts the ranges a revenue system sends: one
// entry per rate plan covering 500 days (50 entries, 25,000 option-dates),
// each setting a rate, a minimum stay and stop-sell. It measures the
// expansion of ranges into dates and their write.
func BenchmarkRestrictionsRange(b *testing.B) {
	const plans, days = 50, 500
	inv, prop, ids := fullSyncHotel(b, plans)
	first := keycard.Today(time.Now(), "") + 1
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		var body strings.Builder
		body.WriteString(`{"values":[`)
		for i, id := range ids {
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"property_id":%q,"rate_plan_id":%q,"date_from":"%s","date_to":"%s","rate":%d,"min_stay_arrival":%d,"stop_sell":%t}`,
				prop.ID, id, first, first+days-1, 10000+round%100, 1+round%3, round%2 == 0)
		}
		body.WriteString(`]}`)
		req := httptest.NewRequest("POST", "/api/v1/restrictions", strings.NewReader(body.String()))
		req.Header.Set("user-api-key", inv.keyAll)
		rec := httptest.NewRecorder()
		inv.api.ServeHTTP(rec, req)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "warnings") {
			b.Fatalf("ranges: status %d; body %.300s", rec.Code, rec.Body.String())
		}
		round++
	}
}

// BenchmarkRestrictionsFullSync posts a full sync as a PMS certification
// asks for it (one call: 500 days for 50 rate plans of one property, every
// field, one value per plan and date) and reads it back. It reports the
// write and the read separately, in ms per call.
func BenchmarkRestrictionsFullSync(b *testing.B) {
	const plans, days = 50, 500
	inv, prop, ids := fullSyncHotel(b, plans)
	first := keycard.Today(time.Now(), "") + 1
	read := "/api/v1/restrictions?filter[property_id]=" + prop.ID + "&filter[date][gte]=" + first.String() + "&filter[date][lte]=" +
		(first + days - 1).String() + "&filter[restrictions]=rate,min_stay_arrival,min_stay_through,max_stay,closed_to_arrival,closed_to_departure,stop_sell,availability"
	// The recorder's buffer is the client's, not the server's work: it is
	// made once, big enough for the read-back, so that growing it (copying
	// megabytes twice over) is not counted against the server.
	var sink bytes.Buffer
	sink.Grow(plans * days * 300)
	send := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("user-api-key", inv.keyAll)
		sink.Reset()
		rec := httptest.NewRecorder()
		rec.Body = &sink
		inv.api.ServeHTTP(rec, req) // the bare server: the OpenAPI check would dwarf the sync
		return rec
	}
	var write, readBack time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		body := fullSync(prop.ID, ids, first, days, i)
		b.StartTimer()
		start := time.Now()
		rec := send("POST", "/api/v1/restrictions", body)
		write += time.Since(start)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "warnings") {
			b.Fatalf("full sync: status %d; body %.300s", rec.Code, rec.Body.String())
		}
		start = time.Now()
		rec = send("GET", read, "")
		readBack += time.Since(start)
		if rec.Code != 200 {
			b.Fatalf("read back: status %d; body %.300s", rec.Code, rec.Body.String())
		}
		if i == 0 {
			b.StopTimer()
			checkFullSync(b, rec.Body.Bytes(), ids, first, days, i)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(write)/float64(time.Millisecond)/float64(b.N), "write-ms/op")
	b.ReportMetric(float64(readBack)/float64(time.Millisecond)/float64(b.N), "read-ms/op")
}

// checkFullSync checks that a read-back holds what fullSync wrote.
func checkFullSync(b *testing.B, body []byte, ids []string, first keycard.Date, days, round int) {
	var out struct {
		Data map[string]map[string]map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		b.Fatal(err)
	}
	if len(out.Data) != len(ids) {
		b.Fatalf("read back %d rate plans, want %d", len(out.Data), len(ids))
	}
	for i, id := range ids {
		for d := range days {
			got := out.Data[id][(first + keycard.Date(d)).String()]
			want := keycard.FormatMoney(int64(10000+(d*7+i+round)%5000), "EUR")
			if got["rate"] != want || got["min_stay_arrival"] != float64(1+(d+round)%3) || got["stop_sell"] != ((d+i+round)%11 == 0) {
				b.Fatalf("plan %d day %d: %v, want rate %s", i, d, got, want)
			}
		}
	}
}

// FuzzSplitObject checks splitObject against encoding/json on every valid
// JSON text: the same members with the same values for an object (the
// last of duplicates winning), and a refusal for anything else.
func FuzzSplitObject(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b":"x,}" }`, `{"rate":"1\"0","days":["sa","su"],"rates":[{"occupancy":1,"rate":{"x":[1,{}]}}]}`,
		`{"a":1,"a":2}`, `{"k\u0065y":true,"n":null,"f":-1.5e3}`, `[1]`, `"x"`, `7`, "{\"a\":\t[ ]\n}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) || !utf8.ValidString(s) {
			return
		}
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal([]byte(s), &want)
		members, ok := splitObject(nil, []byte(s))
		if ok != (wantErr == nil && want != nil) {
			t.Fatalf("%q: ok = %v, encoding/json: %v", s, ok, wantErr)
		}
		if !ok {
			return
		}
		got := map[string]json.RawMessage{}
		for _, m := range members {
			got[string(m.name)] = m.value
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", s, len(got), len(want))
		}
		e := &entry{fields: fields{members: members}}
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Fatalf("%q: member %q = %q, want %q", s, k, got[k], v)
			}
			if g, _ := e.get(k); string(g) != string(v) {
				t.Fatalf("%q: get(%q) = %q, want %q", s, k, g, v)
			}
		}
	})
}

// FuzzSplitValues checks splitValues against encoding/json on any input:
// it accepts exactly the bodies that decode into {"values": [...]} and
// returns the same entries, byte for byte.
func FuzzSplitValues(f *testing.F) {
	for _, seed := range []string{
		`{"values":[]}`, `{"values":[{"a":1}, 2 ,"x",[3],null]}`, ` {"x":{"values":1},"values":[{}]} `, `{"VALUES":[1]}`,
		`{"values":[1],"values":[2,3]}`, `{"values":[1],"values":2}`, `{"values":null}`, `{}`, `{"values":[1]} x`,
		`{"values":[1]}{}`, `{"values":[1,]}`, `{"values":["\u00e9\"",{"k":[{}]}]}`, "{\"values\":[\"\xff\"]}", `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want struct {
			Values []json.RawMessage `json:"values"`
		}
		wantOK := json.Unmarshal(body, &want) == nil && want.Values != nil
		got, ok := splitValues(body)
		if ok != wantOK {
			t.Fatalf("%q: ok = %v, want %v", body, ok, wantOK)
		}
		if !ok {
			return
		}
		if len(got) != len(want.Values) {
			t.Fatalf("%q: %d entries, want %d", body, len(got), len(want.Values))
		}
		for i := range got {
			if string(got[i]) != string(want.Values[i]) {
				t.Fatalf("%q: entry %d = %q, want %q", body, i, got[i], want.Values[i])
			}
		}
	})
}

// firstReadSize is a body that records the size of the buffer it is first
// asked to fill.
type firstReadSize struct {
	body  io.Reader
	first int
}

func (f *firstReadSize) Read(p []byte) (int, error) {
	if f.first == 0 {
		f.first = len(p)
	}
	return f.body.Read(p)
}

// TestReadBodyIgnoresDeclaredLength declares a 10 MB body and sends a few
// bytes: the server must not make room for what was declared, or anyone
// could make it hold 10 MB per connection (sign-in reads a body too).
func TestReadBodyIgnoresDeclaredLength(t *testing.T) {
	t.Parallel()
	body := &firstReadSize{body: strings.NewReader(`{"values":[]}`)}
	req := httptest.NewRequest("POST", "/api/v1/restrictions", body)
	req.ContentLength = MaxBodyBytes
	got, err := readBody(req)
	if err != nil || string(got) != `{"values":[]}` {
		t.Fatalf("readBody: %q, %v", got, err)
	}
	if body.first > 64<<10 {
		t.Errorf("the first read was offered %d bytes for a 13-byte body declared as %d", body.first, MaxBodyBytes)
	}
}
