package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// channelMapping is what the test channel describes: a per-room plan
// for two and a per-person plan for up to three, both of room DBL, and a
// read-only plan.
var channelMapping = keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{
	{ID: "DBL", Title: "Double", RatePlans: []keycard.MappingRatePlan{
		{ID: "BAR", Title: "Best", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"},
		{ID: "FAM", Title: "Family", SellMode: keycard.ChannelPerPerson, MaxPersons: 3, Currency: "EUR"},
		{ID: "RO", Title: "Read only", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR", ReadOnly: true}}}}}

const channelKey = "chan-secret-key-1"

// channelInventory is the inventory fixture with a test channel that
// expects channelKey and hotel code H1, and an API that may call it (it
// listens on a loopback address).
func channelInventory(t *testing.T, cfg store.Config) (*inventory, *openchanneltest.Server) {
	t.Helper()
	inv := newInventory(t, cfg)
	inv.setAPI(func(c *Config) { c.Channels = openchannel.NewClient(true) })
	return inv, openchanneltest.New(t, channelKey, "H1", channelMapping)
}

// createChannel creates a channel through the API and returns its id.
func createChannel(t *testing.T, inv *inventory, c cred, body string) string {
	t.Helper()
	status, out := inv.do("POST", "/api/v1/channels", c, inv.x(inv.expand(body)))
	if status != http.StatusCreated {
		t.Fatalf("create channel: %d %s", status, redact(inv.fixture, out))
	}
	return decode(t, out)["data"].(map[string]any)["id"].(string)
}

func channelBody(endpoint, property, hotel, mappings string) string {
	return `{"channel":{"channel":"OpenChannel","title":"OTA ` + hotel + `","properties":["` + property + `"],
		"settings":{"endpoint":"` + endpoint + `","api_key":"` + channelKey + `","hotel_code":"` + hotel + `"},"rate_plans":[` + mappings + `]}}`
}

func TestChannelRoutes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv, ota := channelInventory(t, cfg)
		ep := ota.Endpoint()
		mapBAR := `{"rate_plan_id":"{rp1}","settings":{"room_type_code":"DBL","rate_plan_code":"BAR","occupancy":2}}`
		mapFAM := `{"rate_plan_id":"{rpPP}","settings":{"room_type_code":"DBL","rate_plan_code":"FAM","occupancy":1}},
			{"rate_plan_id":"{rpPP}","settings":{"room_type_code":"DBL","rate_plan_code":"FAM","occupancy":2}}`
		c1 := createChannel(t, inv, credKeyP1, channelBody(ep, "{p1}", "H1", mapBAR+","+mapFAM))
		c2 := createChannel(t, inv, credOwnerA, channelBody("https://93.184.216.34/ota", "{p2}", "H2", ""))
		ids := strings.NewReplacer("{c1}", c1, "{c2}", c2, "{ep}", ep)
		for _, sc := range []scenario{
			{name: "get with its known mappings", method: "GET", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 200,
				want: []string{`"type":"channel"`, `"channel":"OpenChannel"`, `"is_active":false`, `"api_key":"***"`, `"hotel_code":"H1"`,
					`"properties":["{p1}"]`, `"group":{"data":{"type":"group"`, `"type":"known_mapping"`, `"type":"auto"`, `"rate_plan_code":"FAM"`,
					`"channel_plan":{"sell_mode":"per_person","max_persons":3,"read_only":false,"currency":"EUR"}`},
				never: []string{channelKey}},
			{name: "list by the restricted key", method: "GET", path: "/api/v1/channels", cred: credKeyP1, status: 200,
				want: []string{`"total":1`, "{c1}"}, never: []string{"{c2}"}},
			{name: "list filtered by room type", method: "GET", path: "/api/v1/channels?filter[room_type_id]={rt2}", cred: credOwnerA, status: 200,
				want: []string{`"total":1`, "{c1}"}},
			{name: "list ordered by title desc", method: "GET", path: "/api/v1/channels?order[title]=desc&filter[is_active]=false", cred: credOwnerA, status: 200,
				want: []string{`"total":2`}},
			{name: "a key restricted to P1 does not see P2's channel", method: "GET", path: "/api/v1/channels/{c2}", cred: credKeyP1, status: 404},
			{name: "nor can it delete it", method: "DELETE", path: "/api/v1/channels/{c2}", cred: credKeyP1, status: 404},
			{name: "another organisation sees nothing", method: "GET", path: "/api/v1/channels/{c1}", cred: credKeyOther, status: 404},
			{name: "create for an out-of-reach property", method: "POST", path: "/api/v1/channels", cred: credKeyP1,
				body: channelBody("https://93.184.216.34/x", "{p2}", "H9", ""), status: 404},
			{name: "mapping another property's rate plan", method: "POST", path: "/api/v1/channels", cred: credOwnerA,
				body:   channelBody("https://93.184.216.34/x", "{p1}", "H8", `{"rate_plan_id":"{rp2}","settings":{"room_type_code":"DBL","rate_plan_code":"BAR","occupancy":2}}`),
				status: 422, want: []string{`"rate_plans.0.rate_plan_id"`}},
			{name: "a code the channel does not have", method: "PUT", path: "/api/v1/channels/{c1}", cred: credOwnerA,
				body:   `{"channel":{"channel":"OpenChannel","rate_plans":[{"rate_plan_id":"{rp1}","settings":{"room_type_code":"DBL","rate_plan_code":"NOPE","occupancy":2}}]}}`,
				status: 422, want: []string{`"rate_plans.0.settings"`}},
			{name: "the same hotel code twice", method: "POST", path: "/api/v1/channels", cred: credOwnerA,
				body: channelBody("{ep}", "{p1}", "H1", ""), status: 422, want: []string{`"settings.hotel_code"`}},
			{name: "two properties", method: "POST", path: "/api/v1/channels", cred: credOwnerA,
				body:   `{"channel":{"channel":"OpenChannel","properties":["{p1}","{p2}"],"settings":{"endpoint":"https://93.184.216.34/","hotel_code":"Z"}}}`,
				status: 422, want: []string{`"properties"`}},
			{name: "another adapter", method: "POST", path: "/api/v1/channels", cred: credOwnerA,
				body:   `{"channel":{"channel":"BookingCom","properties":["{p1}"],"settings":{"endpoint":"https://93.184.216.34/","hotel_code":"Z"}}}`,
				status: 422, want: []string{`"channel"`}},
			{name: "a private endpoint, which this server allows", method: "POST", path: "/api/v1/channels", cred: credOwnerA,
				body: channelBody("http://10.0.0.1/ota/", "{p1}", "P", ""), status: 201},
			{name: "a read-only probe: readiness of an unmapped channel", method: "POST", path: "/api/v1/channels/{c2}/check_readiness", cred: credOwnerA,
				status: 200, want: []string{`"relation":"Mapping"`, `"error_code":"required"`, `"Channel is not ready"`}},
			{name: "readiness of a mapped channel", method: "POST", path: "/api/v1/channels/{c1}/check_readiness", cred: credKeyP1,
				status: 200, want: []string{`"data":[]`}},
			{name: "test_connection", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body:   `{"channel":"OpenChannel","settings":{"endpoint":"{ep}","api_key":"` + channelKey + `","hotel_code":"H1"}}`,
				status: 200, want: []string{`{"data":{"success":true,"errors":null}}`}},
			{name: "test_connection refused: a wrong key is still a 200", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body:   `{"channel":"OpenChannel","settings":{"endpoint":"{ep}","api_key":"wrong","hotel_code":"H1"}}`,
				status: 200, want: []string{`"success":false`}, never: []string{"wrong", "127.0.0.1"}},
			{name: "test_connection of a stored channel", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body: `{"channel_id":"{c1}"}`, status: 200, want: []string{`"success":true`}},
			{name: "test_connection of an out-of-reach channel", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body: `{"channel_id":"{c2}"}`, status: 404},
			{name: "test_connection with a bad endpoint", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body: `{"channel":"OpenChannel","settings":{"endpoint":"ftp://x","hotel_code":"H1"}}`, status: 422, want: []string{`"settings.endpoint"`}},
			{name: "mapping_details", method: "POST", path: "/api/v1/channels/mapping_details", cred: credKeyP1,
				body:   `{"channel":"OpenChannel","settings":{"endpoint":"{ep}","api_key":"` + channelKey + `","hotel_code":"H1"}}`,
				status: 200, want: []string{`"type":"mapping_details"`, `"id":"FAM"`, `"sell_mode":"per_person"`}},
			{name: "mapping_details of an unknown hotel", method: "POST", path: "/api/v1/channels/mapping_details", cred: credKeyP1,
				body:   `{"channel":"OpenChannel","settings":{"endpoint":"{ep}","api_key":"` + channelKey + `","hotel_code":"NOPE"}}`,
				status: 200, want: []string{`"success":false`}},
			{name: "adapters", method: "GET", path: "/api/v1/channels/list", cred: credKeyP1, status: 200,
				want: []string{`"code":"OpenChannel"`, `"endpoint":{`, `"hotel_code":{`, `"rate_plan_code":{`, `"occupancy":{`}},
			{name: "codes", method: "GET", path: "/api/v1/channels/codes", cred: credKeyP1, status: 200, want: []string{`"code":"OpenChannel"`}},
			{name: "options", method: "GET", path: "/api/v1/channels/options", cred: credKeyP1, status: 200,
				want: []string{`"title":"OTA H1"`}, never: []string{"{c2}"}},
			{name: "activate an unready channel", method: "POST", path: "/api/v1/channels/{c2}/activate", cred: credOwnerA, status: 422},
			{name: "full sync of an inactive channel", method: "POST", path: "/api/v1/channels/{c1}/full_sync", cred: credKeyP1, status: 422},
			{name: "activate", method: "POST", path: "/api/v1/channels/{c1}/activate", cred: credKeyP1, status: 200,
				want: []string{`"message":"Channel activated"`}},
			{name: "activate again", method: "POST", path: "/api/v1/channels/{c1}/activate", cred: credKeyP1, status: 200},
			{name: "the activation's exchange is in the channel log", method: "GET", path: "/api/v1/channels/{c1}/logs", cred: credKeyP1, status: 200,
				want: []string{`"method":"GET"`, `mapping_details/?hotel_code=H1`, `"status_code":200`}, never: []string{channelKey}},
			{name: "active", method: "GET", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 200,
				want: []string{`"is_active":true`, `"expected_removal_date":null`}},
			{name: "full sync", method: "POST", path: "/api/v1/channels/{c1}/full_sync", cred: credKeyP1, status: 200},
			{name: "an active channel is not deleted", method: "DELETE", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 422},
			{name: "update: the adapter is required", method: "PUT", path: "/api/v1/channels/{c1}", cred: credKeyP1,
				body: `{"channel":{"title":"x"}}`, status: 422, want: []string{`"channel"`}},
			{name: "update: rate_plans replace the mappings", method: "PUT", path: "/api/v1/channels/{c1}", cred: credKeyP1,
				body:   `{"channel":{"channel":"OpenChannel","title":"Renamed","rate_plans":[` + mapBAR + `]}}`,
				status: 200, want: []string{`"title":"Renamed"`, `"rate_plan_code":"BAR"`}, never: []string{`"FAM"`}},
			{name: "update: settings replace, the masked key kept", method: "PUT", path: "/api/v1/channels/{c1}", cred: credKeyP1,
				body:   `{"channel":{"channel":"OpenChannel","settings":{"endpoint":"{ep}","api_key":"***","hotel_code":"H1","derived_option":{"rate":[]}}}}`,
				status: 200, want: []string{`"api_key":"***"`, `"derived_option":{"rate":[]}`}},
			{name: "the kept key still works", method: "POST", path: "/api/v1/channels/test_connection", cred: credKeyP1,
				body: `{"channel_id":"{c1}"}`, status: 200, want: []string{`"success":true`}},
			{name: "events", method: "GET", path: "/api/v1/channel_events?filter[channel_id]={c1}&pagination[limit]=100", cred: credKeyP1, status: 200,
				want: []string{`"event":"created"`, `"event":"activated"`, `"event":"changed"`}},
			{name: "events out of reach", method: "GET", path: "/api/v1/channel_events?filter[channel_id]={c2}", cred: credKeyP1, status: 200,
				want: []string{`"total":0`}},
			{name: "deactivate", method: "POST", path: "/api/v1/channels/{c1}/deactivate", cred: credKeyP1, status: 200},
			{name: "inactive, due for removal", method: "GET", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 200,
				want: []string{`"is_active":false`, `"expected_removal_date":"20`}},
			{name: "audit", method: "GET", path: "/api/v1/audit_events?filter[event]=channel.activated", cred: credOwnerA, status: 200,
				want: []string{`"channel.activated"`, "{c1}"}},
			{name: "delete", method: "DELETE", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 200},
			{name: "gone", method: "GET", path: "/api/v1/channels/{c1}", cred: credKeyP1, status: 404},
		} {
			sc.path, sc.body = ids.Replace(inv.x(sc.path)), ids.Replace(inv.x(sc.body))
			for i := range sc.want {
				sc.want[i] = ids.Replace(inv.x(sc.want[i]))
			}
			for i := range sc.never {
				sc.never[i] = ids.Replace(inv.x(sc.never[i]))
			}
			t.Run(sc.name, func(t *testing.T) { inv.run(t, sc) })
		}
	})
}

// TestChannelActivationPushes activates a mapped channel through the API
// and runs the pusher: the test channel receives the full sync, and the
// per-room plan's rate at its max_persons.
func TestChannelActivationPushes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv, ota := channelInventory(t, cfg)
		c1 := createChannel(t, inv, credKeyP1, channelBody(ota.Endpoint(), "{p1}", "H1",
			`{"rate_plan_id":"{rp1}","settings":{"room_type_code":"DBL","rate_plan_code":"BAR","occupancy":2}}`))
		if status, body := inv.do("POST", "/api/v1/channels/"+c1+"/activate", credKeyP1, ""); status != 200 {
			t.Fatalf("activate: %d %s", status, body)
		}
		pusher := &channelpush.Pusher{Store: inv.st, Client: openchannel.NewClient(true)}
		for range 10 {
			if n, err := pusher.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				break
			}
		}
		if len(ota.Requests()) == 0 {
			t.Fatalf("the channel received nothing after activation")
		}
		cell, ok := ota.Cell("DBL", "BAR", inv.d0)
		if !ok || cell.Rates[2] != "100.00" || !cell.HasAvailability {
			t.Errorf("channel cell DBL/BAR on %s = %+v (%v), want availability and the rate for 2, 100.00", inv.d0, cell, ok)
		}
	})
}

func TestChannelRuleRoutes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		inv, ota := channelInventory(t, cfg)
		c1 := createChannel(t, inv, credOwnerA, channelBody(ota.Endpoint(), "{p1}", "H1", ""))
		c2 := createChannel(t, inv, credOwnerA, channelBody("https://93.184.216.34/ota", "{p2}", "H2", ""))
		rule := func(property, channel, roomType string) string {
			return `{"channel_availability_rule":{"property_id":"` + property + `","title":"Hold back","type":"availability_offset","value":2,
				"start_date":"{d0}","end_date":"","days":["sa","su"],"affected_channels":["` + channel + `"],"affected_room_types":["` + roomType + `"]}}`
		}
		status, body := inv.do("POST", "/api/v1/channel_availability_rules", credKeyP1, inv.x(inv.expand(rule("{p1}", c1, "{rt1}"))))
		if status != 201 {
			t.Fatalf("create rule: %d %s", status, body)
		}
		r1 := decode(t, body)["data"].(map[string]any)["id"].(string)
		ids := strings.NewReplacer("{c1}", c1, "{c2}", c2, "{r1}", r1)
		for _, sc := range []scenario{
			{name: "get", method: "GET", path: "/api/v1/channel_availability_rules/{r1}", cred: credKeyP1, status: 200,
				want: []string{`"type":"channel_availability_rule"`, `"days":["sa","su"]`, `"end_date":null`, `"affected_channels":["{c1}"]`, `"value":2`}},
			{name: "list", method: "GET", path: "/api/v1/channel_availability_rules?filter[property_id]={p1}", cred: credKeyP1, status: 200,
				want: []string{`"total":1`}},
			{name: "out of reach", method: "GET", path: "/api/v1/channel_availability_rules/{r1}", cred: credKeyOther, status: 404},
			{name: "a channel of another property", method: "POST", path: "/api/v1/channel_availability_rules", cred: credOwnerA,
				body: rule("{p1}", c2, "{rt1}"), status: 422, want: []string{`"affected_channels"`}},
			{name: "no title", method: "POST", path: "/api/v1/channel_availability_rules", cred: credOwnerA,
				body:   `{"channel_availability_rule":{"property_id":"{p1}","type":"close_out","start_date":"{d0}","affected_channels":["{c1}"],"affected_room_types":["{rt1}"]}}`,
				status: 422, want: []string{`"title":["can't be blank"]`}},
			{name: "a bad type", method: "POST", path: "/api/v1/channel_availability_rules", cred: credOwnerA,
				body:   `{"channel_availability_rule":{"property_id":"{p1}","title":"x","type":"nope","start_date":"{d0}","affected_channels":["{c1}"],"affected_room_types":["{rt1}"]}}`,
				status: 422, want: []string{`"type"`}},
			{name: "update", method: "PUT", path: "/api/v1/channel_availability_rules/{r1}", cred: credKeyP1,
				body: `{"channel_availability_rule":{"type":"close_out","days":[]}}`, status: 200,
				want: []string{`"type":"close_out"`, `"days":["mo","tu","we","th","fr","sa","su"]`}},
			{name: "the property cannot change", method: "PUT", path: "/api/v1/channel_availability_rules/{r1}", cred: credOwnerA,
				body: `{"channel_availability_rule":{"property_id":"{p2}"}}`, status: 422},
			{name: "delete", method: "DELETE", path: "/api/v1/channel_availability_rules/{r1}", cred: credKeyP1, status: 200},
			{name: "gone", method: "GET", path: "/api/v1/channel_availability_rules/{r1}", cred: credKeyP1, status: 404},
		} {
			sc.path, sc.body = ids.Replace(inv.x(sc.path)), ids.Replace(inv.x(sc.body))
			for i := range sc.want {
				sc.want[i] = ids.Replace(inv.x(sc.want[i]))
			}
			t.Run(sc.name, func(t *testing.T) { inv.run(t, sc) })
		}
	})
}
