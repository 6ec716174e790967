package api

import (
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestProperties(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		full := `{"property":{"title":"PMS Certification Property","currency":"eur","timezone":"Europe/Lisbon","group_id":"{groupLis}",
			"city":"Lisbon","country":"pt","email":"desk@hotel.example","phone":"+351 1","zip_code":"1100-001","address":"Rua 1",
			"latitude":"38.7222524","longitude":"-9.1393366","property_type":"hotel","website":"https://hotel.example",
			"logo_url":"https://hotel.example/logo.png","facilities":[],
			"settings":{"min_stay_type":"arrival","min_price":5000,"max_price":"900.50","state_length":365,"cut_off_time":"18:30:00","cut_off_days":1,"max_day_advance":null},
			"content":{"description":"Nice","photos":[{"url":"https://hotel.example/1.jpg","position":0}]}}}`
		for _, sc := range []scenario{
			{name: "create with every field", method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: full, status: 201,
				want: []string{`"type":"property"`, `"title":"PMS Certification Property"`, `"currency":"EUR"`, `"country":"PT"`,
					`"min_stay_type":"arrival"`, `"min_price":"50.00"`, `"max_price":"900.50"`, `"state_length":365`, `"cut_off_time":"18:30:00"`,
					`"is_active":true`, `"{groupLis}"`, `"latitude":"38.7222524"`, `"url":"https://hotel.example/1.jpg"`, `"kind":"photo"`,
					`"max_count_of_room_types":50`, `"acc_channels_count":0`}},
			{name: "create minimal", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"Tiny","currency":"JPY"}}`, status: 201,
				want: []string{`"email":null`, `"min_stay_type":"both"`, `"state_length":500`, `"{groupDefault}"`, `"allow_availability_autoupdate_on_confirmation":true`}},
			{name: "missing required", method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `{"property":{}}`, status: 422,
				want: []string{`"validation_error"`, `"title":["can't be blank"]`, `"currency":["can't be blank"]`}},
			{name: "wrong types", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":7,"currency":"EUR","facilities":"x","settings":[],"content":"y","email":false}}`, status: 422,
				want: []string{`"title":["must be a string"]`, `"facilities":["must be a list of strings"]`, `"settings":["must be an object"]`,
					`"content":["must be an object`, `"email":["must be a string"]`}},
			{name: "bad values", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"x","currency":"EUX","country":"XX","timezone":"Mars/Olympus","property_type":"castle",
					"latitude":"91","longitude":"1.12345678","email":"nope","website":"ftp://x","phone":"` + strings.Repeat("1", 33) + `"}}`, status: 422,
				want: []string{`"currency":[`, `"country":[`, `"timezone":[`, `"property_type":["is not included in the list"]`, `"latitude":[`,
					`"longitude":[`, `"email":["is invalid"]`, `"website":[`, `"phone":["is too long (maximum is 32 characters)"]`}},
			{name: "bad settings", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body:   `{"property":{"title":"x","currency":"EUR","settings":{"min_stay_type":"never","state_length":5,"cut_off_time":"18:15:00","min_price":900,"max_price":100}}}`,
				status: 422, want: []string{"min_stay_type", "state_length", "cut_off_time", "min_price must not be greater than max_price"}},
			{name: "bad settings money", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body:   `{"property":{"title":"x","currency":"EUR","settings":{"min_price":"1.234","max_price":true,"cut_off_days":"2"}}}`,
				status: 422, want: []string{"min_price has too many decimal places", "max_price is invalid", "cut_off_days must be a whole number"}},
			{name: "title too long", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"` + strings.Repeat("é", 256) + `","currency":"EUR"}}`, status: 422, want: []string{"maximum is 255"}},
			{name: "group of another organisation", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"x","currency":"EUR","group_id":"{groupB}"}}`, status: 422, want: []string{"group_id"}},
			{name: "malformed JSON", method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `{"property":{"title":}`, status: 400},
			{name: "NUL in text", method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"a\u0000b","currency":"EUR","city":"\u0000","facilities":["\u0000"]}}`, status: 422,
				want: []string{`"title":["contains a NUL character"]`, `"city":["contains a NUL character"]`, `"facilities":["contains a NUL character"]`}},
			{name: "JSON array body", method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `[1]`, status: 400},
			{name: "envelope not an object", method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `{"property":"x"}`, status: 422},
			{name: "member may not create", method: "POST", path: "/api/v1/properties", cred: credMember,
				body: `{"property":{"title":"x","currency":"EUR"}}`, status: 403},
			{name: "member reads P1", method: "GET", path: "/api/v1/properties/{p1}", cred: credMember, status: 200},
			{name: "member may update P1", method: "PUT", path: "/api/v1/properties/{p1}", cred: credMember, body: `{"property":{"city":"Sintra"}}`,
				status: 200, want: []string{`"city":"Sintra"`, `"title":"Alpha Hotel"`}},
			{name: "member (role user) may not delete P1", method: "DELETE", path: "/api/v1/properties/{p1}", cred: credMember, status: 403},
			{name: "get unknown", method: "GET", path: "/api/v1/properties/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404},
			{name: "get garbage id", method: "GET", path: "/api/v1/properties/x'%20OR%201=1", cred: credOwnerA, status: 404},
			{name: "update unknown", method: "PUT", path: "/api/v1/properties/00000000-0000-4000-8000-000000000000", cred: credOwnerA,
				body: `{"property":{"title":"x"}}`, status: 404},
			{name: "delete unknown", method: "DELETE", path: "/api/v1/properties/00000000-0000-4000-8000-000000000000", cred: credOwnerA, status: 404},
			{name: "unknown route", method: "GET", path: "/api/v1/nothing", cred: credOwnerA, status: 404, want: []string{"resource_not_found"}},
		} {
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
	})
}

// TestFailedUpdateChangesNothing checks that an update with one bad field
// applies none of the good ones.
func TestFailedUpdateChangesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		f.run(t, scenario{method: "PUT", path: "/api/v1/properties/{p1}", cred: credOwnerA,
			body: `{"property":{"title":"Changed","city":"Porto","currency":"NOPE"}}`, status: 422, want: []string{"currency"}})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties/{p1}", cred: credOwnerA, status: 200,
			want: []string{`"title":"Alpha Hotel"`, `"city":null`, `"currency":"EUR"`}})

		// settings are replaced as a whole, as in Channex.
		f.run(t, scenario{method: "PUT", path: "/api/v1/properties/{p1}", cred: credOwnerA,
			body: `{"property":{"settings":{"min_stay_type":"through","cut_off_days":2}}}`, status: 200})
		f.run(t, scenario{method: "PUT", path: "/api/v1/properties/{p1}", cred: credOwnerA,
			body: `{"property":{"settings":{"cut_off_days":3}}}`, status: 200,
			want: []string{`"min_stay_type":"both"`, `"cut_off_days":3`}})
	})
}

func TestListQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		for _, title := range []string{"Echo", "Foxtrot", "Golf"} {
			f.run(t, scenario{method: "POST", path: "/api/v1/properties", cred: credOwnerA,
				body: `{"property":{"title":"` + title + `","currency":"EUR"}}`, status: 201})
		}
		// Organisation A now has Alpha, Bravo, Echo, Foxtrot, Golf.
		for _, sc := range []scenario{
			{name: "default page", path: "/api/v1/properties", status: 200, want: []string{`"meta":{"total":5,"page":1,"limit":10}`}},
			{name: "limit and page", path: "/api/v1/properties?pagination[page]=2&pagination[limit]=2", status: 200,
				want: []string{`"total":5,"page":2,"limit":2`, `"Echo"`, `"Foxtrot"`}, never: []string{`"Alpha Hotel"`, `"Golf"`}},
			{name: "percent-encoded brackets", path: "/api/v1/properties?pagination%5Bpage%5D=3&pagination%5Blimit%5D=2", status: 200,
				want: []string{`"page":3`, `"Golf"`}, never: []string{`"Echo"`}},
			{name: "trailing slash and ?&&", path: "/api/v1/properties/?&&pagination[limit]=1&", status: 200, want: []string{`"limit":1`, `"Alpha Hotel"`}},
			{name: "limit above 100 is clamped", path: "/api/v1/properties?pagination[limit]=1000", status: 200, want: []string{`"limit":100`}},
			{name: "order desc", path: "/api/v1/properties?order[title]=desc&pagination[limit]=1", status: 200, want: []string{`"Golf"`}},
			{name: "filter list", path: "/api/v1/properties?filter[title]=Echo,Golf", status: 200,
				want: []string{`"total":2`, `"Echo"`, `"Golf"`}, never: []string{`"Foxtrot"`}},
			{name: "filter by id", path: "/api/v1/properties?filter[id]={p2}", status: 200, want: []string{`"total":1`, "{p2}"}},
			{name: "filter operator", path: "/api/v1/properties?filter[title][gte]=F", status: 200,
				want: []string{`"total":2`, `"Foxtrot"`, `"Golf"`}, never: []string{`"Echo"`}},
			{name: "filter not", path: "/api/v1/properties?filter[title][not]=Echo", status: 200, want: []string{`"total":4`}},
			{name: "filter bool", path: "/api/v1/properties?filter[is_active]=true", status: 200, want: []string{`"total":5`}},
			{name: "filter created_at date", path: "/api/v1/properties?filter[created_at][gte]=2000-01-01", status: 200, want: []string{`"total":5`}},
			{name: "unknown filter is ignored", path: "/api/v1/properties?filter[secret]=1", status: 200, want: []string{`"total":5`}},
			{name: "filter by group", path: "/api/v1/properties?filter[group_id]={groupLis}", status: 200, want: []string{`"total":1`, `"Alpha Hotel"`}},
			{name: "filter not in group", path: "/api/v1/properties?filter[group_id][not]={groupLis}", status: 200, want: []string{`"total":4`}},
			{name: "group takes no range", path: "/api/v1/properties?filter[group_id][gte]={groupLis}", status: 400, want: []string{"filter[group_id]"}},
			{name: "attribute kept in a document is refused", path: "/api/v1/properties?filter[min_stay_type]=both", status: 400,
				want: []string{"filter[min_stay_type] is not supported here"}},
			{name: "unknown operator", path: "/api/v1/properties?filter[title][like]=E", status: 400},
			{name: "bad bool", path: "/api/v1/properties?filter[is_active]=maybe", status: 400},
			{name: "bad date", path: "/api/v1/properties?filter[created_at][gte]=2019-02-30", status: 400},
			{name: "bad order", path: "/api/v1/properties?order[title]=sideways", status: 400},
			{name: "order unknown field is ignored", path: "/api/v1/properties?order[password]=asc", status: 200, want: []string{`"total":5`}},
			{name: "bad page", path: "/api/v1/properties?pagination[page]=0", status: 400},
			{name: "page that would overflow the offset", path: "/api/v1/properties?pagination[page]=4611686018427387904&pagination[limit]=100", status: 400},
			{name: "last allowed page is empty", path: "/api/v1/properties?pagination[page]=1000000&pagination[limit]=100", status: 200,
				want: []string{`"data":[]`, `"total":5`}},
			{name: "NUL in a filter", path: "/api/v1/properties?filter[title]=a%00b", status: 400},
			{name: "bad UTF-8 in a filter", path: "/api/v1/properties?filter[title]=%FF", status: 400},
			{name: "bad limit", path: "/api/v1/properties?pagination[limit]=x", status: 400},
			{name: "bad escape", path: "/api/v1/properties?filter%ZZ=1", status: 400},
			{name: "unclosed bracket", path: "/api/v1/properties?filter[title=1", status: 400},
			{name: "unrelated params ignored", path: "/api/v1/properties?relationships=all", status: 200, want: []string{`"total":5`}},
		} {
			sc.method, sc.cred = "GET", credOwnerA
			t.Run(sc.name, func(t *testing.T) { f.run(t, sc) })
		}
	})
}

// TestOrderIsCodePointOrder checks that both databases order titles the
// same way (upper case before lower case, as SQLite's BINARY does),
// whatever the PostgreSQL server's locale.
func TestOrderIsCodePointOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		f.run(t, scenario{method: "POST", path: "/api/v1/properties", cred: credOwnerA, body: `{"property":{"title":"aardvark Inn","currency":"EUR"}}`, status: 201})
		// Alpha Hotel, Bravo Hotel, aardvark Inn.
		f.run(t, scenario{method: "GET", path: "/api/v1/properties?order[title]=asc&pagination[limit]=1&pagination[page]=3", cred: credOwnerA,
			status: 200, want: []string{`"aardvark Inn"`}})
		f.run(t, scenario{method: "GET", path: "/api/v1/properties?filter[title][gte]=a", cred: credOwnerA,
			status: 200, want: []string{`"total":1`, `"aardvark Inn"`}})
	})
}
