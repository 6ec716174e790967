package api

import (
	"strconv"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// Fixed catalogue ids: Free WiFi and Free parking (property), Balcony (room).
const (
	facWiFi    = "570073f4-e156-437e-a7d6-5ecf41737249"
	facParking = "6157f405-5b6d-4cf0-8572-c9e34cc6c80e"
	facBalcony = "3277d515-1f7b-476e-9e89-13042313e658"
)

func TestFacilities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		nProp, nRoom := len(keycard.FacilityCatalogue(keycard.PropertyFacility)), len(keycard.FacilityCatalogue(keycard.RoomFacility))
		itoa := strconv.Itoa
		inv.runAll(t, []scenario{
			{name: "property facilities, paginated", method: "GET", path: "/api/v1/property_facilities", cred: credKeyP1, status: 200,
				want: []string{`"type":"facility"`, `"total":` + itoa(nProp), `"limit":10`, `"category":"General"`}},
			{name: "property facilities, a page by category", method: "GET", path: "/api/v1/property_facilities?filter[category]=Internet&pagination[limit]=100",
				cred: credKeyAll, status: 200, want: []string{`"total":4`, `{"category":"Internet","id":"` + facWiFi + `","kind":"property","title":"Free WiFi"}`},
				never: []string{facParking}},
			{name: "property facility options: all, unpaginated", method: "GET", path: "/api/v1/property_facilities/options", cred: credKeyP1,
				status: 200, want: []string{facWiFi, facParking}, never: []string{facBalcony, `"meta"`}},
			{name: "room facilities", method: "GET", path: "/api/v1/room_facilities?pagination[limit]=100&pagination[page]=1", cred: credKeyP1,
				status: 200, want: []string{`"total":` + itoa(nRoom), `"page":1`}},
			{name: "room facility options", method: "GET", path: "/api/v1/room_facilities/options", cred: credKeyP1, status: 200,
				want: []string{facBalcony, `"kind":"room"`}, never: []string{facWiFi}},
			{name: "facilities/options: both", method: "GET", path: "/api/v1/facilities/options/", cred: credKeyOther, status: 200,
				want: []string{facBalcony, facWiFi}},
			{name: "unknown filter is ignored", method: "GET", path: "/api/v1/property_facilities?filter[colour]=red&pagination[limit]=100", cred: credKeyP1, status: 200,
				want: []string{facWiFi}},
			{name: "order and operators", method: "GET", path: "/api/v1/property_facilities?filter[title][gte]=Z&order[title]=desc&pagination[limit]=100", cred: credKeyP1, status: 200,
				never: []string{facWiFi}},
			{name: "no credential", method: "GET", path: "/api/v1/property_facilities/options", cred: noCred, status: 401},
			{name: "property takes property facilities", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1,
				body: `{"property":{"facilities":["` + facWiFi + `","` + facParking + `"]}}`, status: 200,
				want: []string{`"facilities":["` + facWiFi + `","` + facParking + `"]`, `{"type":"facility","id":"` + facWiFi + `","attributes":{"id":"` + facWiFi + `","title":"Free WiFi"}}`}},
			{name: "property refuses a room facility", method: "PUT", path: "/api/v1/properties/{p1}", cred: credKeyP1,
				body: `{"property":{"facilities":["` + facBalcony + `"]}}`, status: 422, want: []string{`"facilities":["includes an id that is not a property facility`}},
			{name: "property refuses an unknown id", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body:   `{"property":{"title":"F","currency":"EUR","facilities":["00000000-0000-4000-8000-000000000000"]}}`,
				status: 422, want: []string{`"facilities":["includes an id that is not a property facility`}},
			{name: "room type takes room facilities", method: "PUT", path: "/api/v1/room_types/{rt1}", cred: credKeyP1,
				body: `{"room_type":{"facilities":["` + facBalcony + `"]}}`, status: 200, want: []string{`{"type":"facility","id":"` + facBalcony + `","attributes":{"id":"` + facBalcony + `","title":"Balcony"}}`}},
			{name: "room type refuses a property facility", method: "PUT", path: "/api/v1/room_types/{rt1}", cred: credKeyP1,
				body: `{"room_type":{"facilities":["` + facWiFi + `"]}}`, status: 422, want: []string{`"facilities":["includes an id that is not a room facility`}},
		})
	})
}
