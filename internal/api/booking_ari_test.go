package api

import (
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestAvailabilityFollowsBookings checks that a booking's nights move
// availability in the transaction of its revision, as the property's
// autoupdate settings say, and that the booked counts and max_sell of
// ARI reads count bookings.
func TestAvailabilityFollowsBookings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		avail := "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d1}&filter[date][lte]={d4}&filter[room_type_id]={rt1}"
		settings := func(confirm, modify, cancel string) string {
			return `{"property":{"settings":{"allow_availability_autoupdate_on_confirmation":` + confirm +
				`,"allow_availability_autoupdate_on_modification":` + modify + `,"allow_availability_autoupdate_on_cancellation":` + cancel + `}}}`
		}
		room := func(from, to string) string {
			return `"arrival_date":"` + from + `","departure_date":"` + to + `","rooms":[{"rate_plan_id":"{rp1}","days":{}}]`
		}
		bk.send(t, "POST", "/api/v1/availability", credKeyP1,
			`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d1}","date_to":"{d4}","availability":5}]}`, 200)
		bk.send(t, "POST", "/api/v1/restrictions", credKeyP1,
			`{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date_from":"{d1}","date_to":"{d4}","max_sell":2}]}`, 200)

		// The defaults: take on confirmation, nothing on modification or
		// cancellation.
		bk.keep("a", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, `{"booking":{"property_id":"{p1}","ota_reservation_code":"A",`+room("{d1}", "{d3}")+`}}`, 201))
		bk.runAll(t, []scenario{
			{name: "a new booking takes its nights", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":4,"{d2}":4,"{d3}":5,"{d4}":5}`}},
			{name: "booked counts and max_sell follow", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d1}&filter[date][lte]={d3}&filter[rate_plan_id]={rp1}&filter[restrictions]=availability,booked,max_sell",
				want: []string{`"{d1}":{"availability":1,"booked":1,"max_sell":2,`, `"{d3}":{"availability":2,"booked":0,"max_sell":2,`}},
			{name: "a modification moves nothing by default", method: "PUT", path: "/api/v1/bookings/{a}", cred: credKeyP1, status: 200,
				body: `{"booking":{` + room("{d2}", "{d4}") + `}}`},
			{name: "availability unchanged", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":4,"{d2}":4,"{d3}":5,"{d4}":5}`}},
			{name: "but the booked counts follow the booking", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date][gte]={d1}&filter[date][lte]={d3}&filter[rate_plan_id]={rp1}&filter[restrictions]=booked",
				want: []string{`"{d1}":{"booked":0,`, `"{d2}":{"booked":1,`, `"{d3}":{"booked":1,`}},
			{name: "ask for all three", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200, body: settings("true", "true", "true")},
			{name: "a modification gives back what the booking held and takes its new nights", method: "PUT", path: "/api/v1/bookings/{a}", cred: credKeyP1, status: 200,
				body: `{"booking":{` + room("{d3}", "{d5}") + `}}`},
			{name: "moved", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":5,"{d2}":5,"{d3}":4,"{d4}":4}`}},
			{name: "a cancellation gives it back", method: "PUT", path: "/api/v1/bookings/{a}", cred: credKeyP1, status: 200,
				body: `{"booking":{"status":"cancelled"}}`},
			{name: "given back", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":5,"{d2}":5,"{d3}":5,"{d4}":5}`}},
			{name: "a cancelled booking is booked no more", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/restrictions?filter[property_id]={p1}&filter[date]={d3}&filter[rate_plan_id]={rp1}&filter[restrictions]=booked",
				want: []string{`"{d3}":{"booked":0,`}},
			{name: "ask for none", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200, body: settings("false", "false", "false")},
			{name: "a booking that moves nothing", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 201,
				body: `{"booking":{"property_id":"{p1}","ota_reservation_code":"B",` + room("{d1}", "{d2}") + `}}`},
			{name: "nothing moved", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":5,"{d2}":5,"{d3}":5,"{d4}":5}`}},
			{name: "an unmapped room moves nothing either", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1, status: 200, body: settings("true", "true", "true")},
			{name: "unmapped booking", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 201,
				body: `{"booking":{"property_id":"{p1}","ota_reservation_code":"C","arrival_date":"{d1}","departure_date":"{d2}","rooms":[{"room_type_id":null}]}}`},
			{name: "still", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":5,"{d2}":5,"{d3}":5,"{d4}":5}`}},
		})
	})
}

// TestOverbookingsCancelled checks that bookings beyond availability,
// which are accepted, take only the room there was, and that cancelling
// them gives back only that: availability ends where it started, and
// never shows the room while a booking is in it.
func TestOverbookingsCancelled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		avail := "/api/v1/availability?filter[property_id]={p1}&filter[date][gte]={d1}&filter[date][lte]={d2}&filter[room_type_id]={rt1}"
		room := `"arrival_date":"{d1}","departure_date":"{d2}","rooms":[{"rate_plan_id":"{rp1}","days":{}}]`
		bk.send(t, "PUT", "/api/v1/properties/{p1}", credKeyP1, `{"property":{"settings":{"allow_availability_autoupdate_on_confirmation":true,`+
			`"allow_availability_autoupdate_on_modification":true,"allow_availability_autoupdate_on_cancellation":true}}}`, 200)
		bk.send(t, "POST", "/api/v1/availability", credKeyP1,
			`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d1}","date_to":"{d2}","availability":1}]}`, 200)
		bk.keep("a", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, `{"booking":{"property_id":"{p1}","ota_reservation_code":"A",`+room+`}}`, 201))
		bk.keep("b", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, `{"booking":{"property_id":"{p1}","ota_reservation_code":"B",`+room+`}}`, 201))
		bk.runAll(t, []scenario{
			{name: "two bookings, one room: none left", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":0,"{d2}":1}`}},
			{name: "the one that took the room is cancelled", method: "PUT", path: "/api/v1/bookings/{a}", cred: credKeyP1, status: 200,
				body: `{"booking":{"status":"cancelled"}}`},
			{name: "the other is in its room", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":0,"{d2}":1}`}},
			{name: "the other is cancelled", method: "PUT", path: "/api/v1/bookings/{b}", cred: credKeyP1, status: 200,
				body: `{"booking":{"status":"cancelled"}}`},
			{name: "the room is back, once", method: "GET", path: avail, cred: credKeyP1, status: 200,
				want: []string{`{"{d1}":1,"{d2}":1}`}},
		})
	})
}

// TestTasks checks that ARI writes and booking changes that move
// availability record tasks, readable by id and in a filtered list.
func TestTasks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		res := bk.send(t, "POST", "/api/v1/availability", credKeyP1,
			`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d1}","date_to":"{d4}","availability":5},
				{"property_id":"{p1}","room_type_id":"{rt3}","date":"{d2}","availability":1}]}`, 200)
		bk.ids["ta"] = res["data"].([]any)[0].(map[string]any)["id"].(string)
		res = bk.send(t, "POST", "/api/v1/restrictions", credOwnerA,
			`{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"{d2}","rate":"120.00"}]}`, 200)
		bk.ids["tr"] = res["data"].([]any)[0].(map[string]any)["id"].(string)
		bk.keep("b", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("T1", ""), 201))
		bk.runAll(t, []scenario{
			{name: "the availability task", method: "GET", path: "/api/v1/tasks/{ta}", cred: credKeyP1, status: 200,
				want: []string{`"type":"task"`, `"id":"{ta}"`, `"type":"availability"`, `"state":"completed"`, `"property_id":"{p1}"`,
					`"api_key_id":"{keyP1ID}"`, `"user_id":"` + bk.ownerA.UserID + `"`, `"values_count":1`, `"date_from":"{d1}"`, `"date_to":"{d4}"`,
					`"room_type_ids":["{rt1}"]`, `"warnings":[{"room_type_id":["not found"]}]`}},
			{name: "the restrictions task", method: "GET", path: "/api/v1/tasks/{tr}", cred: credOwnerA, status: 200,
				want: []string{`"type":"restrictions"`, `"rate_plan_ids":["{rp1}"]`, `"api_key_id":null`, `"warnings":[]`}},
			{name: "the booking's task", method: "GET", path: "/api/v1/tasks?filter[type]=booking", cred: credKeyP1, status: 200,
				want: []string{`"total":1`, `"booking_id":"{b}"`, `"booking_revision_id":"{brev}"`, `"room_type_ids":["{rt1}"]`, `"values_count":2`}},
			{name: "list, newest first, by property and time", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/tasks?filter[property_id]={p1}&filter[inserted_at][gte]=2020-01-01&pagination[limit]=2",
				want: []string{`"meta":{"total":3,"page":1,"limit":2}`}},
			{name: "none before", method: "GET", path: "/api/v1/tasks?filter[inserted_at][lte]=2020-01-01", cred: credKeyP1, status: 200,
				want: []string{`"total":0`}},
			{name: "unknown task", method: "GET", path: "/api/v1/tasks/00000000-0000-4000-8000-000000000000", cred: credKeyP1, status: 404},
		})
	})
}
