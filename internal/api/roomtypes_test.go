package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// inventory is the fixture with room types and rate plans:
//
//   - P1: room types Double (rt1, 2 adults) and Family (rt2, 4 adults);
//     rate plans Standard (rp1: Double, per room, 100.00 EUR), Saver (rpD:
//     derived from Standard, 10 % less) and Family Flex (rpPP: Family, per
//     person, 150.00 for 2 adults (primary), 120.00 for 1 (ppOpt1));
//   - P2: room type Twin (rt3) with rate plan Twin Rate (rp2);
//   - P3 (organisation B): room type Single (rtB) with rate plan B Rate (rpB).
//
// Scenario paths and bodies may also use {d0} ... {d30}: dates from ten
// days after today on; {past}, a date long gone; and {far}, a date beyond
// the horizon.
type inventory struct {
	*fixture
	rt1, rt2, rt3, rtB       string
	rp1, rpD, rpPP, rp2, rpB string
	ppOpt1                   string
	d0                       keycard.Date
}

func newInventory(t testing.TB, cfg store.Config) *inventory {
	t.Helper()
	f := newFixture(t, cfg, keycard.ModeStaging)
	inv := &inventory{fixture: f, d0: keycard.Today(time.Now(), "") + 10}
	ctx := context.Background()
	roomType := func(p *keycard.Principal, property, title string, adults int) string {
		rt, err := f.st.CreateRoomType(ctx, p, &keycard.RoomType{PropertyID: property, Title: title, CountOfRooms: 5,
			OccAdults: adults, DefaultOccupancy: adults, RoomKind: keycard.RoomKindRoom})
		if err != nil {
			t.Fatalf("inventory: room type %s: %v", title, err)
		}
		return rt.ID
	}
	option := func(occupancy int, primary bool, rate int64) keycard.RateOptionChange {
		return keycard.RateOptionChange{Occupancy: &occupancy, IsPrimary: &primary, Rate: json.RawMessage(strconv.FormatInt(rate, 10))}
	}
	ratePlan := func(p *keycard.Principal, property, title string, c *keycard.RatePlanChange) *keycard.RatePlan {
		c.Title = &title
		rp, err := f.st.CreateRatePlan(ctx, p, property, c, nil)
		if err != nil {
			t.Fatalf("inventory: rate plan %s: %v", title, err)
		}
		return rp
	}
	perRoom := func(rt string, rate int64) *keycard.RatePlanChange {
		return &keycard.RatePlanChange{RoomTypeID: &rt, OptionsSent: true, Options: []keycard.RateOptionChange{option(2, true, rate)}}
	}
	inv.rt1 = roomType(f.ownerA, f.p1, "Double", 2)
	inv.rt2 = roomType(f.ownerA, f.p1, "Family", 4)
	inv.rt3 = roomType(f.ownerA, f.p2, "Twin", 2)
	inv.rtB = roomType(f.ownerB, f.p3, "Single", 2)
	inv.rp1 = ratePlan(f.ownerA, f.p1, "Standard", perRoom(inv.rt1, 10000)).ID
	saver := perRoom(inv.rt1, 0)
	saver.ParentRatePlanID, saver.RateMode = &inv.rp1, new(keycard.RateDerived)
	saver.Options[0].DerivedOption = json.RawMessage(`{"rate": [["decrease_by_percent", "10.00"]]}`)
	inv.rpD = ratePlan(f.ownerA, f.p1, "Saver", saver).ID
	pp := ratePlan(f.ownerA, f.p1, "Family Flex", &keycard.RatePlanChange{RoomTypeID: &inv.rt2, SellMode: new(keycard.SellPerPerson),
		OptionsSent: true, Options: []keycard.RateOptionChange{option(2, true, 15000), option(1, false, 12000)}})
	inv.rpPP, inv.ppOpt1 = pp.ID, pp.Option(1).ID
	inv.rp2 = ratePlan(f.ownerA, f.p2, "Twin Rate", perRoom(inv.rt3, 8000)).ID
	inv.rpB = ratePlan(f.ownerB, f.p3, "B Rate", perRoom(inv.rtB, 5000)).ID
	return inv
}

// x replaces the inventory's placeholders.
func (inv *inventory) x(s string) string {
	pairs := []string{"{rt1}", inv.rt1, "{rt2}", inv.rt2, "{rt3}", inv.rt3, "{rtB}", inv.rtB,
		"{rp1}", inv.rp1, "{rpD}", inv.rpD, "{rpPP}", inv.rpPP, "{rp2}", inv.rp2, "{rpB}", inv.rpB, "{ppOpt1}", inv.ppOpt1,
		"{past}", "2020-01-01", "{far}", (inv.d0 + keycard.ARIHorizonDays).String()}
	for i := 30; i >= 0; i-- {
		pairs = append(pairs, "{d"+strconv.Itoa(i)+"}", (inv.d0 + keycard.Date(i)).String())
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func (inv *inventory) run(t *testing.T, sc scenario) {
	t.Helper()
	sc.path, sc.body = inv.x(sc.path), inv.x(sc.body)
	each := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = inv.x(s)
		}
		return out
	}
	sc.want, sc.never = each(sc.want), each(sc.never)
	inv.fixture.run(t, sc)
}

// runAll runs scenarios in order, each as a subtest; later ones may
// depend on earlier ones.
func (inv *inventory) runAll(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { inv.run(t, sc) })
	}
}

// get sends a request and decodes its JSON answer, failing on a status
// other than want.
func (inv *inventory) get(t *testing.T, method, path string, c cred, body string, want int) map[string]any {
	t.Helper()
	status, out := inv.do(method, inv.x(path), c, inv.x(body))
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, redact(inv.fixture, out))
	}
	return decode(t, out)
}

// data returns the "data" member of a decoded answer as an object.
func data(m map[string]any) map[string]any {
	d, _ := m["data"].(map[string]any)
	return d
}

func TestRoomTypes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		cert := `{"room_type":{"property_id":"{p1}","title":"Certification Room","count_of_rooms":2,"occ_adults":2,"occ_children":1,"occ_infants":0,"default_occupancy":2}}`
		inv.runAll(t, []scenario{
			{name: "create as the certification does", method: "POST", path: "/api/v1/room_types", cred: credKeyP1, body: cert, status: 201,
				want: []string{`"type":"room_type"`, `"meta":null`, `"position":0`, `"title":"Certification Room"`,
					`"content":{"description":null,"photos":[]}`, `"occ_adults":2`, `"occ_children":1`, `"occ_infants":0`, `"capacity":null`,
					`"codes":null`, `"count_of_rooms":2`, `"default_occupancy":2`, `"room_kind":"room"`,
					`"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`, `"facilities":{"data":[]}`}},
			{name: "duplicate title in the property", method: "POST", path: "/api/v1/room_types", cred: credKeyP1, body: cert, status: 422,
				want: []string{`"title":["Duplication in Room Type title is not allowed"]`}},
			{name: "same title in another property", method: "POST", path: "/api/v1/room_types", cred: credKeyAll,
				body: strings.Replace(cert, "{p1}", "{p2}", 1), status: 201},
			{name: "default occupancy above adults", method: "POST", path: "/api/v1/room_types", cred: credOwnerA,
				body:   `{"room_type":{"property_id":"{p1}","title":"X","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":3}}`,
				status: 422, want: []string{`"default_occupancy":["must be less than or equal to occ_adults"]`}},
			{name: "every required field missing", method: "POST", path: "/api/v1/room_types", cred: credOwnerA, body: `{"room_type":{}}`, status: 422,
				want: []string{`"property_id":["can't be blank"]`, `"title":["can't be blank"]`, `"count_of_rooms":["can't be blank"]`,
					`"occ_adults":["can't be blank"]`, `"occ_children":["can't be blank"]`, `"occ_infants":["can't be blank"]`,
					`"default_occupancy":["can't be blank"]`}},
			{name: "wrong types", method: "POST", path: "/api/v1/room_types", cred: credOwnerA,
				body: `{"room_type":{"property_id":7,"title":["x"],"count_of_rooms":"many","occ_adults":2.5,"occ_children":null,"occ_infants":true,
					"default_occupancy":{},"room_kind":5,"capacity":"x","facilities":"wifi","content":"nice","position":"first"}}`, status: 422,
				want: []string{`"property_id":["must be a string"]`, `"title":["must be a string"]`, `"count_of_rooms":["must be a whole number"]`,
					`"occ_adults":["must be a whole number"]`, `"occ_children":["must be a whole number"]`, `"occ_infants":["must be a whole number"]`,
					`"default_occupancy":["must be a whole number"]`, `"room_kind":["must be a string"]`, `"capacity":["must be a whole number"]`,
					`"facilities":["must be a list of strings"]`, `"content":["must be an object`, `"position":["must be a whole number"]`}},
			{name: "out of range", method: "POST", path: "/api/v1/room_types", cred: credOwnerA,
				body: `{"room_type":{"property_id":"{p1}","title":"` + strings.Repeat("x", 256) + `","count_of_rooms":0,"occ_adults":0,
					"occ_children":-1,"occ_infants":51,"default_occupancy":0,"room_kind":"suite","facilities":["wifi"],
					"content":{"photos":[{"url":"javascript:alert(1)"}]}}}`, status: 422,
				want: []string{`"title":["is too long (maximum is 255 characters)"]`, `"count_of_rooms":["must be greater than 0"]`,
					`"occ_adults":["must be greater than 0"]`, `"occ_children":["must be greater than or equal to 0"]`,
					`"occ_infants":["must be less than or equal to 50"]`, `"default_occupancy":["must be greater than 0"]`,
					`"room_kind":["is not included in the list (room, dorm)"]`, `"facilities":["must be a list of UUIDs"]`,
					`"content":["every photo needs a valid http(s) url"]`}},
			{name: "a room has no capacity", method: "POST", path: "/api/v1/room_types", cred: credOwnerA,
				body:   `{"room_type":{"property_id":"{p1}","title":"X","count_of_rooms":1,"occ_adults":1,"occ_children":0,"occ_infants":0,"default_occupancy":1,"capacity":4}}`,
				status: 422, want: []string{`"capacity":["can only be set for a dorm"]`}},
			{name: "a dorm with capacity, content and facilities", method: "POST", path: "/api/v1/room_types", cred: credOwnerA,
				body: `{"room_type":{"property_id":"{p1}","title":"Dorm","count_of_rooms":"1","occ_adults":1,"occ_children":0,"occ_infants":0,
					"default_occupancy":1,"room_kind":"dorm","capacity":8,"facilities":["0B2E62C4-3F0A-4B8F-9B7A-1D2E3F4A5B6C"],
					"content":{"description":"Eight beds","photos":[{"url":"https://hotel.example/d.jpg","position":1}]}}}`, status: 201,
				want: []string{`"room_kind":"dorm"`, `"capacity":8`, `"description":"Eight beds"`, `"kind":"photo"`,
					`{"type":"facility","id":"0b2e62c4-3f0a-4b8f-9b7a-1d2e3f4a5b6c","attributes":{"id":"0b2e62c4-3f0a-4b8f-9b7a-1d2e3f4a5b6c","title":"Desk"}}`}},
			{name: "property out of reach", method: "POST", path: "/api/v1/room_types", cred: credKeyP1,
				body: strings.Replace(cert, "{p1}", "{p2}", 1), status: 404, want: []string{"resource_not_found"}},
			{name: "property of another organisation", method: "POST", path: "/api/v1/room_types", cred: credKeyAll,
				body: strings.Replace(cert, "{p1}", "{p3}", 1), status: 404},
			{name: "malformed property id", method: "POST", path: "/api/v1/room_types", cred: credKeyAll,
				body: strings.Replace(cert, "{p1}", "P1", 1), status: 422, want: []string{`"property_id":["is not a valid id"]`}},
			{name: "list: title order, filter, Channex meta", method: "GET", path: "/api/v1/room_types?filter[property_id]={p1}", cred: credOwnerA,
				status: 200, want: []string{`"total":4`, `"order_by":"title","order_direction":"asc"`, `"limit":10`},
				never: []string{"{rt3}", "{rtB}"}},
			{name: "list: paginated and ordered", method: "GET", path: "/api/v1/room_types/?pagination[page]=2&pagination[limit]=2&order[title]=desc",
				cred: credKeyP1, status: 200, want: []string{`"total":4`, `"page":2`, `"order_direction":"desc"`, `"title":"Certification Room"`},
				never: []string{`"title":"Family"`}},
			{name: "list: unknown filter is ignored", method: "GET", path: "/api/v1/room_types?filter[colour]=red&order[colour]=desc", cred: credOwnerA, status: 200,
				want: []string{`"total":6`, `"order_by":"title","order_direction":"asc"`}},
			{name: "options", method: "GET", path: "/api/v1/room_types/options?filter[property_id]={p1}", cred: credOwnerA, status: 200,
				want:  []string{`{"type":"room_type","id":"{rt1}","attributes":{"default_occupancy":2,"id":"{rt1}","property_id":"{p1}","title":"Double"}}`},
				never: []string{"{rt3}", `"meta"`}},
			{name: "get", method: "GET", path: "/api/v1/room_types/{rt2}", cred: credKeyP1, status: 200, want: []string{`"id":"{rt2}"`, `"occ_adults":4`}},
			{name: "get unknown", method: "GET", path: "/api/v1/room_types/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404},
			{name: "get garbage", method: "GET", path: "/api/v1/room_types/'%20OR%201=1", cred: credOwnerA, status: 404},
			{name: "update some fields", method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credKeyP1,
				body: `{"room_type":{"title":"Family Room","count_of_rooms":3}}`, status: 200,
				want: []string{`"title":"Family Room"`, `"count_of_rooms":3`, `"occ_adults":4`}},
			{name: "update: property can't change", method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credOwnerA,
				body: `{"room_type":{"property_id":"{p2}"}}`, status: 422, want: []string{`"property_id":["can't be changed"]`}},
			{name: "update: same property is fine", method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credOwnerA,
				body: `{"room_type":{"property_id":"{p1}"}}`, status: 200},
			{name: "update: duplicate title", method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credOwnerA,
				body: `{"room_type":{"title":"Double"}}`, status: 422, want: []string{"Duplication in Room Type title is not allowed"}},
			{name: "update: lowering adults below rate plan options needs force", method: "PUT", path: "/api/v1/room_types/{rt2}", cred: credOwnerA,
				body: `{"room_type":{"occ_adults":1,"default_occupancy":1}}`, status: 422, want: []string{`"occ_adults":["is lower than the occupancy of 1 rate plan option(s)`}},
			{name: "update: with force the options follow", method: "PUT", path: "/api/v1/room_types/{rt2}?force=true", cred: credOwnerA,
				body: `{"room_type":{"occ_adults":1,"default_occupancy":1}}`, status: 200, want: []string{`"occ_adults":1`}},
			{name: "the per-person plan now has one option for one adult, still its primary", method: "GET", path: "/api/v1/rate_plans/{rpPP}",
				cred: credOwnerA, status: 200, want: []string{`"options":[{"id":"{rpPP}","occupancy":1,"is_primary":true,"rate":"150.00"`},
				never: []string{"{ppOpt1}"}},
			{name: "update unknown", method: "PUT", path: "/api/v1/room_types/00000000-0000-4000-8000-000000000000", cred: credOwnerA,
				body: `{"room_type":{"title":"x"}}`, status: 404},
			{name: "member (role user) may update", method: "PUT", path: "/api/v1/room_types/{rt1}", cred: credMember,
				body: `{"room_type":{"count_of_rooms":9}}`, status: 200},
			{name: "member (role user) may not delete", method: "DELETE", path: "/api/v1/room_types/{rt1}", cred: credMember, status: 403},
			{name: "delete", method: "DELETE", path: "/api/v1/room_types/{rt2}", cred: credKeyP1, status: 200, want: []string{`{"meta":{"message":"Success"}}`}},
			{name: "deleted", method: "GET", path: "/api/v1/room_types/{rt2}", cred: credKeyP1, status: 404},
			{name: "its rate plans went with it", method: "GET", path: "/api/v1/rate_plans/{rpPP}", cred: credKeyP1, status: 404},
			{name: "delete unknown", method: "DELETE", path: "/api/v1/room_types/{rt2}", cred: credKeyP1, status: 404},
		})
	})
}

// TestNewRoomTypeHasNoAvailability checks that a new room type reads as
// availability 0 on every date.
func TestNewRoomTypeHasNoAvailability(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		out := inv.get(t, "POST", "/api/v1/room_types", credOwnerA,
			`{"room_type":{"property_id":"{p2}","title":"New","count_of_rooms":2,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`, 201)
		id := data(out)["id"].(string)
		avail := data(inv.get(t, "GET", "/api/v1/availability?filter[property_id]={p2}&filter[date][gte]={d0}&filter[date][lte]={d2}&filter[room_type_id]="+id,
			credOwnerA, "", 200))
		days, _ := avail[id].(map[string]any)
		if len(avail) != 1 || len(days) != 3 {
			t.Fatalf("availability of the new room type: %v, want 3 dates", avail)
		}
		for date, v := range days {
			if v != 0.0 {
				t.Errorf("%s: availability %v, want 0", date, v)
			}
		}
	})
}

// TestRoomTypeLimit checks the limit a property shows as
// max_count_of_room_types.
func TestRoomTypeLimit(t *testing.T) {
	t.Parallel()
	cfg := storetest.Config(t, "sqlite")
	inv := newInventory(t, cfg)
	for i := range keycard.MaxRoomTypes - 2 {
		inv.run(t, scenario{method: "POST", path: "/api/v1/room_types", cred: credOwnerA, status: 201,
			body: `{"room_type":{"property_id":"{p1}","title":"Room ` + strconv.Itoa(i) + `","count_of_rooms":1,"occ_adults":1,"occ_children":0,"occ_infants":0,"default_occupancy":1}}`})
	}
	inv.run(t, scenario{method: "POST", path: "/api/v1/room_types", cred: credOwnerA, status: 422,
		body: `{"room_type":{"property_id":"{p1}","title":"One too many","count_of_rooms":1,"occ_adults":1,"occ_children":0,"occ_infants":0,"default_occupancy":1}}`,
		want: []string{`"property_id":["has reached the limit of 50 room types"]`}})
}
