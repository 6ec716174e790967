package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/storetest"
)

// fuzzRoutes are the routes that take a body, with a valid body each to
// start the fuzzer from.
var fuzzRoutes = []struct {
	method, path, body string
}{
	{"POST", "/api/v1/sign_in", `{"user":{"email":"owner-a@example.com","password":"password-owner-a@example.com"}}`},
	{"POST", "/api/v1/properties", `{"property":{"title":"T","currency":"EUR","settings":{"min_price":100},"content":{"photos":[{"url":"https://x.example/p.jpg"}]}}}`},
	{"PUT", "/api/v1/properties/{p1}", `{"property":{"title":"T","latitude":"1.5","facilities":[]}}`},
	{"POST", "/api/v1/groups", `{"group":{"title":"G"}}`},
	{"PUT", "/api/v1/groups/{groupLis}", `{"group":{"title":"G"}}`},
	{"POST", "/api/v1/property_users", `{"invite":{"property_id":"{p1}","user_email":"x@example.com","role":"user","overrides":{}}}`},
	{"POST", "/api/v1/group_users", `{"invite":{"group_id":"{groupLis}","user_email":"y@example.com","role":"owner"}}`},
	{"POST", "/api/v1/api_keys", `{"api_key":{"name":"k","access_all_properties":false,"property_ids":["{p1}"]}}`},
	{"PUT", "/api/v1/api_keys/{keyP1ID}", `{"api_key":{"name":"k","property_ids":["{p1}"]}}`},
	{"POST", "/api/v1/room_types", `{"room_type":{"property_id":"{p1}","title":"R","count_of_rooms":1,"occ_adults":2,"occ_children":0,"occ_infants":0,"default_occupancy":2}}`},
	{"POST", "/api/v1/rate_plans", `{"rate_plan":{"property_id":"{p1}","room_type_id":"{p1}","title":"P","options":[{"occupancy":2,"is_primary":true,"rate":100}]}}`},
	{"POST", "/api/v1/availability", `{"values":[{"property_id":"{p1}","room_type_id":"{p1}","date_from":"2030-01-01","date_to":"2030-01-03","availability":1}]}`},
	{"POST", "/api/v1/restrictions", `{"values":[{"property_id":"{p1}","rate_plan_id":"{p1}","date":"2030-01-01","rate":"10.00","days":["mo"],"stop_sell":1}]}`},
	{"POST", "/api/v1/bookings", `{"booking":{"property_id":"{p1}","ota_reservation_code":"F1","arrival_date":"2030-01-01","departure_date":"2030-01-03","currency":"EUR","amount":"10.00","ota_commission":100,"customer":{"name":"A","company":{"title":"C"}},"guarantee":{"card_number":"411111******1111","card_type":"VI","expiration_date":"10/2030"},"services":[{"name":"S","total_price":"1.00"}],"deposits":[{"amount":100}],"rooms":[{"room_type_id":null,"rate_plan_id":null,"checkin_date":"2030-01-01","days":{"2030-01-01":100,"2030-01-02":"1.00"},"occupancy":{"adults":2,"ages":[3]},"guests":[{"name":"G"}],"taxes":[{"name":"T","total_price":1,"type":"tax"}],"meta":{}}]}}`},
	{"POST", "/api/v1/bookings/push", `{"booking":{"status":"new","reservation_id":"F2","arrival_date":"2030-01-01","departure_date":"2030-01-02","rooms":[{"rate_plan_id":"{p1}","days":{"2030-01-01":100}}]}}`},
	{"PUT", "/api/v1/bookings/{b}", `{"booking":{"notes":"n","departure_date":"2030-01-03","rooms":[{"days":{"2030-01-02":"1.00"}}]}}`},
	{"POST", "/api/v1/bookings/{b}/no_show", `{"no_show_report":{"waived_fees":true,"penalty_amount":"10.00"}}`},
	{"POST", "/api/v1/bookings/{b}/invalid_card", `{}`},
	{"POST", "/api/v1/bookings/{b}/cancel_due_invalid_card", `{}`},
	{"POST", "/api/v1/booking_revisions/{rev}/ack", `{}`},
	{"GET", "/api/v1/bookings", ``},
	{"GET", "/api/v1/booking_revisions/feed", ``},
	{"GET", "/api/v1/booking_revisions", ``},
	{"GET", "/api/v1/tasks", ``},
	{"POST", "/api/v1/webhooks", `{"webhook":{"property_id":"{p1}","callback_url":"https://93.184.216.34/h","event_mask":"booking;ari:rate:*:*","headers":{"A":"b"},"request_params":{"x":1},"is_active":true,"send_data":true}}`},
	{"PUT", "/api/v1/webhooks/{webhook}", `{"webhook":{"property_id":null,"event_mask":"*","headers":{},"is_active":false}}`},
	{"POST", "/api/v1/webhooks/test", `{"webhook":{"property_id":"{p1}","callback_url":"http://127.0.0.1:1/","event_mask":"*"}}`},
	{"GET", "/api/v1/webhooks/{webhook}/deliveries", ``},
	{"POST", "/api/v1/api_keys", `{"api_key":{"name":"o","expires_at":"2030-01-01T00:00:00Z","read_only":true,"ip_allowlist":["10.0.0.0/8","::1"]}}`},
	{"PUT", "/api/v1/api_keys/{keyAllID}", `{"api_key":{"expires_at":null,"read_only":false,"ip_allowlist":["203.0.113.7"],"access_all_properties":false,"property_ids":["{p2}"]}}`},
	{"POST", "/api/v1/api_keys/{keyAllID}/roll", `{"api_key":{"grace_period_seconds":60}}`},
	{"GET", "/api/v1/audit_events", ``},
}

// FuzzBadInput sends mutated bodies and queries to every route that takes
// input: whatever comes in, the answer is a JSON envelope, never a 500.
func FuzzBadInput(f *testing.F) {
	routes := append(fuzzRoutes[:len(fuzzRoutes):len(fuzzRoutes)], setupFuzzRoutes...)
	for i, r := range routes {
		f.Add(uint8(i), r.body, "pagination[limit]=5")
	}
	f.Add(uint8(0), `{"user":{"email":["x"],"password":{}}}`, "filter[title][gte]=a&order[title]=desc")
	f.Add(uint8(1), `{"property":{"title":"\u0000","currency":"eur","settings":{"min_price":1e400}}}`, "&&")
	f.Add(uint8(0), `{"user":{"email":"a\u0000@b.com","password":"xxxxxxxxxx"}}`, "")
	f.Add(uint8(7), `{"api_key":{"name":"x\u0000y","property_ids":["\u0000"]}}`, "filter[title]=%FF")
	f.Add(uint8(2), `{"property":{"title":"ok"}}`, "filter[title]=a%00b")
	f.Add(uint8(13), `{"booking":{"property_id":"{p1}","ota_reservation_code":"\u0000","arrival_date":"2030-01-01","departure_date":"2031-01-01","rooms":[{"days":{"x":1e400}}]}}`, "")
	f.Add(uint8(13), `{"booking":{"guarantee":{"card_number":"4111111111111111","cvv":123},"rooms":"r"}}`, "")
	f.Add(uint8(20), ``, "filter[arrival_date][gte]=2030-13-01&filter[inserted_at][lte]=x")
	f.Add(uint8(21), ``, "filter[property_id]={p1}&order[inserted_at]=desc")
	f.Add(uint8(len(fuzzRoutes)-4), `{"api_key":{"name":"o","expires_at":"9999-99-99T00:00:00Z","ip_allowlist":["::ffff:1.2.3.4/200","fe80::1%eth0"]}}`, "")
	f.Add(uint8(len(fuzzRoutes)-2), `{"api_key":{"grace_period_seconds":1e300}}`, "")
	f.Add(uint8(len(fuzzRoutes)-1), ``, "filter[occurred_at][gte]=2026-13-01&filter[event]=api_key.created,x&filter[api_key_id]=%00")
	// PostgreSQL refuses what SQLite takes (NUL, bad UTF-8), so the fuzzer
	// runs against it when it is there, as in CI.
	dialects := storetest.Dialects(f)
	fx := newFixture(f, storetest.Config(f, dialects[len(dialects)-1]), keycard.ModeStaging)
	// A booking for the routes that name one ({b}, and {rev} its revision).
	status, created := fx.do("POST", "/api/v1/bookings", credOwnerA,
		`{"booking":{"property_id":"{p1}","ota_reservation_code":"F0","arrival_date":"2030-01-01","departure_date":"2030-01-02","rooms":[{}]}}`)
	if status != 201 {
		f.Fatalf("create a booking: %d %s", status, created)
	}
	booking := decode(f, created)["data"].(map[string]any)
	hook, _, err := fx.st.CreateWebhook(context.Background(), fx.ownerA, &keycard.Webhook{PropertyID: fx.p1, CallbackURL: "https://93.184.216.34/h", EventMask: "*"})
	if err != nil {
		f.Fatal(err)
	}
	ids := strings.NewReplacer(append([]string{"{b}", booking["id"].(string), "{rev}", booking["attributes"].(map[string]any)["revision_id"].(string),
		"{webhook}", hook.ID}, setupFuzzIDs(f, fx)...)...)
	f.Fuzz(func(t *testing.T, route uint8, body, query string) {
		fx.t = t // the fixture reports through the current input's test
		r := routes[int(route)%len(routes)]
		path := ids.Replace(r.path)
		// Only what can travel in a request line: no control characters,
		// spaces or fragment.
		if strings.IndexFunc(query, func(c rune) bool { return c <= ' ' || c == 0x7f || c == '#' || c > 0x7e }) < 0 {
			path += "?" + query
		}
		status, resp := fx.do(r.method, path, credOwnerA, body)
		if status >= 500 {
			t.Fatalf("%s %s: status %d for body %q", r.method, r.path, status, body)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal([]byte(resp), &env); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v", r.method, r.path, err)
		}
		if status >= 400 {
			var e struct {
				Errors struct{ Code, Title string } `json:"errors"`
			}
			if json.Unmarshal([]byte(resp), &e) != nil || e.Errors.Code == "" || e.Errors.Title == "" {
				t.Fatalf("%s %s: status %d without an error envelope", r.method, r.path, status)
			}
		}
	})
}
