package api

import (
	"context"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func TestPropertiesHealth(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv := newInventory(t, cfg)
		today := keycard.Today(time.Now(), "")
		// P1's two room types get a full year of availability, but one day
		// short for Family; P2's none.
		year := func(rt string, days int) *keycard.AvailabilityChange {
			return &keycard.AvailabilityChange{PropertyID: inv.p1, RoomTypeID: rt, Availability: 3,
				Dates: keycard.Dates{From: today, To: today + keycard.Date(days-1), Days: keycard.EveryDay}}
		}
		res, err := inv.st.ApplyAvailability(context.Background(), inv.ownerA, []*keycard.AvailabilityChange{year(inv.rt1, 365), year(inv.rt2, 364)})
		if err != nil || len(res.Warnings) > 0 && res.Warnings[0] != nil {
			t.Fatalf("availability: %v %v", err, res)
		}
		inv.get(t, "POST", "/api/v1/properties", credOwnerA, `{"property":{"title":"Empty Hotel","currency":"EUR"}}`, 201)
		inv.runAll(t, []scenario{
			{name: "restricted key: its property only", method: "GET", path: "/api/v1/properties/health", cred: credKeyP1, status: 200,
				want: []string{`"type":"property_health"`, `"total":1`, `"property_id":"{p1}"`, `"room_types":2`, `"rate_plans":3`,
					`"has_room_types":true`, `"has_rate_plans":true`, `"availability_days":364`, `"rate_days":365`, `"has_ari":false`,
					`"issues":["availability is missing for some of the next 365 days"]`, `"from":"` + today.String() + `"`,
					`"to":"` + (today + 364).String() + `"`},
				never: []string{"{p2}", "{p3}"}},
			{name: "owner: every property, by title", method: "GET", path: "/api/v1/properties/health?pagination[limit]=100", cred: credOwnerA,
				status: 200, want: []string{`"total":3`, `"title":"Empty Hotel"`, `"issues":["no room types","no rate plans"]`,
					`"property_id":"{p2}"`}, never: []string{"{p3}"}},
			{name: "filtered by title", method: "GET", path: "/api/v1/properties/health?filter[title]=Bravo%20Hotel", cred: credKeyAll,
				status: 200, want: []string{`"total":1`, `"property_id":"{p2}"`, `"availability_days":0`}},
			{name: "other organisation", method: "GET", path: "/api/v1/properties/health", cred: credKeyOther, status: 200,
				want: []string{`"total":1`, `"property_id":"{p3}"`}, never: []string{"{p1}", "{p2}"}},
			{name: "not an id: the route is not shadowed by properties/{id}", method: "GET", path: "/api/v1/properties/health/", cred: credKeyP1,
				status: 200, want: []string{`"property_health"`}},
			{name: "no credential", method: "GET", path: "/api/v1/properties/health", cred: noCred, status: 401},
		})
		// The missing day written, P1 is complete.
		if _, err := inv.st.ApplyAvailability(context.Background(), inv.ownerA, []*keycard.AvailabilityChange{year(inv.rt2, 365)}); err != nil {
			t.Fatal(err)
		}
		inv.run(t, scenario{name: "complete", method: "GET", path: "/api/v1/properties/health", cred: credKeyP1, status: 200,
			want: []string{`"has_ari":true`, `"availability_days":365`, `"issues":[]`}})
	})
}
