package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// bookings is the inventory fixture plus the ids of bookings and
// revisions made during a test, for {name} placeholders.
type bookings struct {
	*inventory
	ids map[string]string
}

func newBookings(t testing.TB, cfg store.Config) *bookings {
	return &bookings{inventory: newInventory(t, cfg), ids: map[string]string{}}
}

func (bk *bookings) x(s string) string {
	for k, v := range bk.ids {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return bk.inventory.x(s)
}

// send sends a request and fails unless it gets status want; it returns
// the decoded answer.
func (bk *bookings) send(t *testing.T, method, path string, c cred, body string, want int) map[string]any {
	t.Helper()
	status, out := bk.do(method, bk.x(path), c, bk.x(body))
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, redact(bk.fixture, out))
	}
	return decode(t, out)
}

// keep records the data id and, for bookings, the revision id of an
// answer under name and name+"rev".
func (bk *bookings) keep(name string, m map[string]any) {
	d := data(m)
	bk.ids[name] = d["id"].(string)
	if a, ok := d["attributes"].(map[string]any); ok {
		if rev, ok := a["revision_id"].(string); ok {
			bk.ids[name+"rev"] = rev
		}
	}
}

func (bk *bookings) runAll(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sc.path, sc.body = bk.x(sc.path), bk.x(sc.body)
			for i := range sc.want {
				sc.want[i] = bk.x(sc.want[i])
			}
			for i := range sc.never {
				sc.never[i] = bk.x(sc.never[i])
			}
			bk.fixture.run(t, sc)
		})
	}
}

// bookingBody is a valid booking of P1 in room type rt1 at rate plan rp1
// for the nights d1 and d2; extra members are added at the end.
func bookingBody(code, extra string) string {
	return `{"booking":{"property_id":"{p1}","ota_reservation_code":"` + code + `","ota_name":"Booking.com",
		"arrival_date":"{d1}","departure_date":"{d3}","arrival_hour":"14:00","currency":"EUR","payment_collect":"ota","payment_type":"credit_card",
		"ota_commission":"10.00","notes":"late arrival",
		"customer":{"name":"Ana","surname":"Silva","mail":"ana@example.com","country":"PT","language":"pt","company":{"title":"ACME","number":"1","number_type":"vat","type":"company"}},
		"guarantee":{"card_number":"411111******1111","card_type":"VI","cardholder_name":"Ana Silva","cvv":"737","expiration_date":"10/2030","is_virtual":false},
		"services":[{"name":"Breakfast","type":"breakfast","nights":2,"persons":2,"price_mode":"per_person_per_night","price_per_unit":"5.00","total_price":2000}],
		"rooms":[{"rate_plan_id":"{rp1}","days":{"{d1}":10000,"{d2}":"100.00"},"occupancy":{"adults":2,"children":0,"infants":0},
			"guests":[{"name":"Ana","surname":"Silva"}],"taxes":[{"is_inclusive":true,"name":"VAT","total_price":"12.00","type":"tax"}],
			"meta":{"parent_rate_plan_id":null},"ota_unique_id":"R-1"}]` + extra + `}}`
}

var insertedAtRe = regexp.MustCompile(`"inserted_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"`)

func TestBookings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		created := bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("R100", ""), 201)
		bk.keep("b1", created)
		_, raw := bk.do("GET", bk.x("/api/v1/bookings/{b1}"), credKeyP1, "")
		if !insertedAtRe.MatchString(raw) {
			t.Errorf("booking inserted_at is not microseconds without a zone: %s", raw)
		}
		bk.runAll(t, []scenario{
			{name: "the booking reads back in the reference's shape", method: "GET", path: "/api/v1/bookings/{b1}?relationships=all", cred: credKeyP1, status: 200,
				want: []string{`"type":"booking"`, `"id":"{b1}"`, `"revision_id":"{b1rev}"`, `"status":"new"`, `"unique_id":"BDC-R100"`,
					`"ota_reservation_code":"R100"`, `"ota_name":"Booking.com"`, `"arrival_date":"{d1}"`, `"departure_date":"{d3}"`,
					`"arrival_hour":"14:00"`, `"amount":"220.00"`, `"ota_commission":"10.00"`, `"currency":"EUR"`, `"payment_collect":"ota"`,
					`"days":{"{d1}":"100.00","{d2}":"100.00"}`, `"room_type_id":"{rt1}"`, `"rate_plan_id":"{rp1}"`,
					`"checkin_date":"{d1}"`, `"checkout_date":"{d3}"`, `"occupancy":{"adults":2,"ages":[],"children":0,"infants":0}`,
					`"taxes":[{"is_inclusive":true,"name":"VAT","total_price":"12.00","type":"tax"}]`,
					`"total_price":"20.00"`, `"price_per_unit":"5.00"`,
					`"card_number":"411111******1111"`, `"cvv":"***"`, `"expiration_date":"10/2030"`, `"card_type":"VI"`,
					`"mail":"ana@example.com"`, `"company":{"title":"ACME","number":"1","number_type":"vat","type":"company"}`,
					`"occupancy":{"adults":2,"children":0,"infants":0}`, `"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`},
				never: []string{`"cvv":"737"`, `"data":null`}},
			{name: "a full card number is refused and not repeated", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: strings.Replace(bookingBody("R101", ""), "411111******1111", "4111111111111111", 1),
				want: []string{`"guarantee":["card_number must be masked`}, never: []string{"4111111111111111"}},
			{name: "a room type of another property is refused", method: "POST", path: "/api/v1/bookings", cred: credKeyAll, status: 422,
				body: strings.Replace(bookingBody("R102", ""), `"rate_plan_id":"{rp1}"`, `"room_type_id":"{rt3}","rate_plan_id":null`, 1),
				want: []string{`"rooms":["room 1: room_type_id is not a room type of the property"]`}},
			{name: "a rate plan of another room type is refused", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: strings.Replace(bookingBody("R103", ""), `"rate_plan_id":"{rp1}"`, `"room_type_id":"{rt2}","rate_plan_id":"{rp1}"`, 1),
				want: []string{`rate_plan_id is a rate plan of another room type`}},
			{name: "bad dates and money", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: `{"booking":{"property_id":"{p1}","ota_reservation_code":"X","arrival_date":"2026-02-30","departure_date":"{d1}","ota_commission":"1.234",
					"rooms":[{"days":{"{d1}":"abc"}}]}}`,
				want: []string{`"arrival_date":["is not a valid date (YYYY-MM-DD)"]`, `"ota_commission":["has too many decimal places"]`}},
			{name: "departure before arrival", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: `{"booking":{"property_id":"{p1}","ota_reservation_code":"X","arrival_date":"{d3}","departure_date":"{d1}","rooms":[{}]}}`,
				want: []string{`"departure_date":["must be after arrival_date"]`}},
			{name: "missing fields", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422, body: `{"booking":{"property_id":"{p1}"}}`,
				want: []string{`"ota_reservation_code":["can't be blank"]`, `"arrival_date":["can't be blank"]`, `"rooms":["can't be blank"]`}},
			{name: "a property out of reach is not found", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: strings.Replace(bookingBody("R104", ""), "{p1}", "{p2}", 1), want: []string{`"property_id":["not found"]`}},
			{name: "the same reservation code twice", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 422,
				body: bookingBody("R100", ""), want: []string{`"ota_reservation_code":["has already been taken"]`}},
			{name: "an unmapped room is kept with null ids", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 201,
				body: `{"booking":{"property_id":"{p1}","ota_reservation_code":"U1","arrival_date":"{d1}","departure_date":"{d2}",
					"rooms":[{"room_type_id":null,"rate_plan_id":null,"days":{"{d1}":5000}}]}}`,
				want: []string{`"room_type_id":null`, `"rate_plan_id":null`, `"amount":"50.00"`, `"ota_name":"Offline"`, `"unique_id":"OFF-U1"`}},
			{name: "not JSON", method: "POST", path: "/api/v1/bookings", cred: credKeyP1, status: 400, body: `{"booking":`},
		})

		modified := bk.send(t, "PUT", "/api/v1/bookings/{b1}", credKeyP1, `{"booking":{"departure_date":"{d4}","notes":"changed",
			"rooms":[{"rate_plan_id":"{rp1}","days":{"{d1}":"100.00","{d2}":"100.00","{d3}":"100.00"}}]}}`, 200)
		bk.keep("b1m", modified)
		bk.runAll(t, []scenario{
			{name: "a modification is a new revision over the booking", method: "GET", path: "/api/v1/bookings/{b1}", cred: credKeyP1, status: 200,
				want: []string{`"status":"modified"`, `"revision_id":"{b1mrev}"`, `"departure_date":"{d4}"`, `"notes":"changed"`, `"amount":"320.00"`,
					`"customer":{`, `"ota_reservation_code":"R100"`}},
			{name: "list with filters", method: "GET", cred: credKeyP1, status: 200,
				path: "/api/v1/bookings?filter[property_id]={p1}&filter[arrival_date][gte]={d1}&filter[arrival_date][lte]={d1}&filter[departure_date][gte]={d4}&filter[ota_reservation_code]=R100&filter[inserted_at][gte]=2020-01-01T00:00:00",
				want: []string{`"total":1`, `"id":"{b1}"`}},
			{name: "list filtered out", method: "GET", path: "/api/v1/bookings?filter[arrival_date][gte]={d2}", cred: credKeyP1, status: 200,
				want: []string{`"total":0`, `"data":[]`}},
			{name: "a bad filter", method: "GET", path: "/api/v1/bookings?filter[arrival_date][gte]=tomorrow", cred: credKeyP1, status: 400},
			{name: "revisions list, newest first", method: "GET", path: "/api/v1/booking_revisions?filter[booking_id]={b1}", cred: credKeyP1, status: 200,
				want: []string{`"total":2`, `{"data":[{"type":"booking_revision","id":"{b1mrev}"`, `"booking_id":"{b1}"`, `"system_id":"{b1mrev}"`}},
			{name: "one revision keeps its own state", method: "GET", path: "/api/v1/booking_revisions/{b1rev}", cred: credKeyP1, status: 200,
				want: []string{`"id":"{b1rev}"`, `"status":"new"`, `"departure_date":"{d3}"`, `"booking_id":"{b1}"`}},
			{name: "the feed: unacked, oldest first", method: "GET", path: "/api/v1/booking_revisions/feed?filter[property_id]={p1}&pagination[page]=1&pagination[limit]=100&order[inserted_at]=asc",
				cred: credKeyP1, status: 200, want: []string{`"meta":{"total":3,"page":1,"limit":100}`, `"data":[{"type":"booking_revision","id":"{b1rev}"`}},
			{name: "ack", method: "POST", path: "/api/v1/booking_revisions/{b1rev}/ack", cred: credKeyP1, status: 200, want: []string{`{"meta":{"message":"Success"}}`}},
			{name: "ack again is harmless", method: "POST", path: "/api/v1/booking_revisions/{b1rev}/ack", cred: credKeyP1, body: `{}`, status: 200},
			{name: "once acked, an API key no longer sees the card", method: "GET", path: "/api/v1/booking_revisions/{b1rev}", cred: credKeyP1, status: 200,
				want: []string{`"guarantee":null`}, never: []string{"411111******1111"}},
			{name: "a signed-in user still sees the masked card", method: "GET", path: "/api/v1/booking_revisions/{b1rev}", cred: credOwnerA, status: 200,
				want: []string{`"card_number":"411111******1111"`}},
			{name: "the booking's latest revision is not acked: its card shows", method: "GET", path: "/api/v1/bookings/{b1}", cred: credKeyP1, status: 200,
				want: []string{`"card_number":"411111******1111"`}},
			{name: "the acked revision left the feed", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyP1, status: 200,
				want: []string{`"total":2`, `"id":"{b1mrev}"`}, never: []string{`"id":"{b1rev}"`}},
			{name: "ack of an unknown revision", method: "POST", path: "/api/v1/booking_revisions/00000000-0000-4000-8000-000000000000/ack", cred: credKeyP1, status: 404},
			{name: "the feed filters on a revision's fields", method: "GET", path: "/api/v1/booking_revisions/feed?filter[status]=cancelled", cred: credKeyP1, status: 200,
				want: []string{`"total":0`}},
			{name: "the feed keeps its order", method: "GET", path: "/api/v1/booking_revisions/feed?order[inserted_at]=desc", cred: credKeyP1, status: 400,
				want: []string{"oldest first only"}},
			{name: "no-show report", method: "POST", path: "/api/v1/bookings/{b1}/no_show", cred: credKeyP1, status: 200,
				body: `{"no_show_report":{"waived_fees":true,"penalty_amount":"10.00"}}`, want: []string{`{"meta":{"message":"Success"}}`}},
			{name: "no-show report of the wrong shape", method: "POST", path: "/api/v1/bookings/{b1}/no_show", cred: credKeyP1, status: 422,
				body: `{"no_show_report":{"waived_fees":"yes"}}`, want: []string{`"waived_fees":["must be true or false"]`}},
			{name: "invalid card", method: "POST", path: "/api/v1/bookings/{b1}/invalid_card", cred: credKeyP1, status: 200},
			{name: "cancel due to invalid card", method: "POST", path: "/api/v1/bookings/{b1}/cancel_due_invalid_card", cred: credKeyP1, body: "{}", status: 200},
			{name: "report on an unknown booking", method: "POST", path: "/api/v1/bookings/00000000-0000-4000-8000-000000000000/invalid_card", cred: credKeyP1, status: 404},
			{name: "cancel", method: "PUT", path: "/api/v1/bookings/{b1}", cred: credKeyP1, status: 200, body: `{"booking":{"status":"cancelled"}}`,
				want: []string{`"status":"cancelled"`}},
			{name: "a cancelled booking can't change", method: "PUT", path: "/api/v1/bookings/{b1}", cred: credKeyP1, status: 422,
				body: `{"booking":{"notes":"again"}}`, want: []string{`"status":["the booking is cancelled and can't be changed"]`}},
			{name: "PUT of an unknown booking", method: "PUT", path: "/api/v1/bookings/00000000-0000-4000-8000-000000000000", cred: credKeyP1, status: 404,
				body: `{"booking":{"notes":"x"}}`},
		})
		reports, err := bk.st.BookingReports(t.Context(), bk.ownerA, bk.ids["b1"])
		if err != nil || strings.Join(reports, ",") != "no_show,invalid_card,cancel_due_invalid_card" {
			t.Errorf("reports = %v, %v; want no_show, invalid_card, cancel_due_invalid_card", reports, err)
		}
		if storetest.Contains(t, cfg, "cvv") || storetest.Contains(t, cfg, "4111111111111111") {
			t.Errorf("the database holds a CVV or a full card number")
		}
	})
}

// TestBookingPush checks the Booking CRS push: the reference body, the
// reference answer, and modification and cancellation by reservation
// code.
func TestBookingPush(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		push := func(status, extra string) string {
			return `{"booking":{"status":"` + status + `","channel_id":"00000000-0000-4000-8000-000000000001","reservation_id":"R1",
				"arrival_date":"{d1}","departure_date":"{d3}","arrival_hour":"14:00","currency":"EUR","customer":{"name":"A","surname":"B"},
				"rooms":[{"occupancy":{"adults":2,"children":0,"infants":0},"rate_plan_id":"{rp1}","days":{"{d1}":100,"{d2}":100}}],
				"notes":"…","payment_collect":"property","payment_type":"credit_card"` + extra + `}}`
		}
		bk.keep("n", bk.send(t, "POST", "/api/v1/bookings/push", credKeyAll, push("new", ""), 201))
		bk.runAll(t, []scenario{
			{name: "the pushed booking", method: "GET", path: "/api/v1/bookings/{n}", cred: credKeyP1, status: 200,
				want: []string{`"property_id":"{p1}"`, `"ota_reservation_code":"R1"`, `"amount":"2.00"`, `"status":"new"`}},
			{name: "modify by reservation code", method: "POST", path: "/api/v1/bookings/push", cred: credKeyP1, status: 200,
				body: push("modified", `,"system_id":"S-2"`),
				want: []string{`{"data":{"type":"booking","id":"{n}","attributes":{"id":"{n}","meta":null,"ota_reservation_code":"R1","revision_id":"`,
					`"status":"modified","system_id":"S-2","unique_id":"OFF-R1"}}}`}},
			{name: "cancel by reservation code", method: "POST", path: "/api/v1/bookings/push", cred: credKeyP1, status: 200,
				body: push("cancelled", ""), want: []string{`"status":"cancelled"`}},
			{name: "modify an unknown code", method: "POST", path: "/api/v1/bookings/push", cred: credKeyP1, status: 422,
				body: strings.Replace(push("modified", ""), `"R1"`, `"R9"`, 1), want: []string{`"ota_reservation_code":["is not a known booking of the property"]`}},
			{name: "a push whose rate plan is out of reach", method: "POST", path: "/api/v1/bookings/push", cred: credKeyP1, status: 422,
				body: strings.Replace(push("new", ""), "{rp1}", "{rp2}", 1), want: []string{`"property_id":["can't be blank`}},
			{name: "a bad status", method: "POST", path: "/api/v1/bookings/push", cred: credKeyP1, status: 422,
				body: push("maybe", ""), want: []string{`"status":["is not included in the list (new, modified, cancelled)"]`}},
			{name: "three revisions in the feed", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyP1, status: 200,
				want: []string{`"total":3`, `"status":"new"`, `"status":"modified"`, `"status":"cancelled"`}},
		})
	})
}

// TestBookingScope checks that a key restricted to P1 sees no booking,
// revision, feed entry or task of P2, and answers for them as for
// missing ones.
func TestBookingScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		bk.keep("a", bk.send(t, "POST", "/api/v1/bookings", credKeyAll, bookingBody("A1", ""), 201))
		bk.keep("b", bk.send(t, "POST", "/api/v1/bookings", credKeyAll,
			strings.NewReplacer("{p1}", "{p2}", "{rp1}", "{rp2}").Replace(bookingBody("B1", "")), 201))
		bk.send(t, "POST", "/api/v1/availability", credKeyAll,
			`{"values":[{"property_id":"{p2}","room_type_id":"{rt3}","date":"{d1}","availability":3}]}`, 200)
		tasks := bk.send(t, "GET", "/api/v1/tasks?filter[property_id]={p2}", credKeyAll, "", 200)
		if list, _ := tasks["data"].([]any); len(list) == 0 {
			t.Fatalf("no task for P2")
		} else {
			bk.ids["taskB"] = list[0].(map[string]any)["id"].(string)
		}
		bk.runAll(t, []scenario{
			{name: "list", method: "GET", path: "/api/v1/bookings", cred: credKeyP1, status: 200, want: []string{`"total":1`, "{a}"}, never: []string{"{b}", "{p2}"}},
			{name: "get", method: "GET", path: "/api/v1/bookings/{b}", cred: credKeyP1, status: 404, never: []string{"{p2}"}},
			{name: "update", method: "PUT", path: "/api/v1/bookings/{b}", cred: credKeyP1, status: 404, body: `{"booking":{"notes":"x"}}`},
			{name: "report", method: "POST", path: "/api/v1/bookings/{b}/invalid_card", cred: credKeyP1, status: 404},
			{name: "revisions", method: "GET", path: "/api/v1/booking_revisions", cred: credKeyP1, status: 200, want: []string{`"total":1`}, never: []string{"{brev}"}},
			{name: "revision", method: "GET", path: "/api/v1/booking_revisions/{brev}", cred: credKeyP1, status: 404},
			{name: "feed", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyP1, status: 200, want: []string{`"total":1`, "{arev}"}, never: []string{"{brev}"}},
			{name: "feed filtered on P2", method: "GET", path: "/api/v1/booking_revisions/feed?filter[property_id]={p2}", cred: credKeyP1, status: 200,
				want: []string{`"total":0`}},
			{name: "ack", method: "POST", path: "/api/v1/booking_revisions/{brev}/ack", cred: credKeyP1, status: 404},
			{name: "still in the full key's feed", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyAll, status: 200, want: []string{`"total":2`, "{brev}"}},
			{name: "tasks", method: "GET", path: "/api/v1/tasks", cred: credKeyP1, status: 200, never: []string{"{taskB}", "{p2}"}},
			{name: "task", method: "GET", path: "/api/v1/tasks/{taskB}", cred: credKeyP1, status: 404},
			{name: "another organisation", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyOther, status: 200, want: []string{`"total":0`}},
		})
	})
}

// TestFeedTwoConsumers runs two consumers polling and acking one feed at
// once: every revision is acked, and no page read after an ack returned
// shows the acked revision.
func TestFeedTwoConsumers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		const n = 40
		want := map[string]bool{}
		for i := range n {
			m := bk.send(t, "POST", "/api/v1/bookings", credKeyAll, bookingBody(fmt.Sprintf("C%d", i), ""), 201)
			want[data(m)["attributes"].(map[string]any)["revision_id"].(string)] = true
		}
		var mu sync.Mutex
		acked := map[string]int{} // revision -> how many acks returned
		var errs []string
		var wg sync.WaitGroup
		for c := range 2 {
			wg.Go(func() {
				for range 200 {
					mu.Lock()
					before := make(map[string]bool, len(acked))
					for id := range acked {
						before[id] = true
					}
					mu.Unlock()
					status, body := bk.do("GET", "/api/v1/booking_revisions/feed?pagination[limit]=7&order[inserted_at]=asc", credKeyAll, "")
					if status != 200 {
						mu.Lock()
						errs = append(errs, fmt.Sprintf("consumer %d: feed status %d", c, status))
						mu.Unlock()
						return
					}
					var page []string
					for _, it := range decodeList(body) {
						page = append(page, it["id"].(string))
					}
					if len(page) == 0 {
						return
					}
					for _, id := range page {
						if before[id] {
							mu.Lock()
							errs = append(errs, "consumer saw "+id+" after it was acked")
							mu.Unlock()
						}
						if status, _ := bk.do("POST", "/api/v1/booking_revisions/"+id+"/ack", credKeyAll, ""); status != 200 {
							mu.Lock()
							errs = append(errs, fmt.Sprintf("ack %s: status %d", id, status))
							mu.Unlock()
							continue
						}
						mu.Lock()
						acked[id]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for _, e := range errs {
			t.Error(e)
		}
		for id := range want {
			if acked[id] == 0 {
				t.Errorf("revision %s was never acked: lost", id)
			}
		}
		if len(acked) != n {
			t.Errorf("acked %d revisions, want %d", len(acked), n)
		}
		bk.runAll(t, []scenario{{name: "the feed is empty", method: "GET", path: "/api/v1/booking_revisions/feed", cred: credKeyAll, status: 200,
			want: []string{`"data":[]`, `"total":0`}}})
	})
}

// decodeList returns the items of a list answer.
func decodeList(body string) []map[string]any {
	var m struct {
		Data []map[string]any `json:"data"`
	}
	jsonUnmarshal(body, &m)
	return m.Data
}

func jsonUnmarshal(body string, v any) { _ = json.Unmarshal([]byte(body), v) }

// TestBookingMetaAsSent sends booking metas that a strict JSON decoder
// would refuse to read back (a name twice) or rewrite (escapes): the
// booking, its revision and the feed still read, with the meta as it was
// sent. (Invalid UTF-8 never gets this far: the API refuses it.)
func TestBookingMetaAsSent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		metas := []string{`{"k":1,"k":{"again":true}}`, `{"k":"\u00e9\t\"","n":[1.50,-0,1e3]}`}
		for i, meta := range metas {
			name := "m" + strconv.Itoa(i)
			bk.keep(name, bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("META-"+strconv.Itoa(i), `,"meta":`+meta), 201))
			for _, path := range []string{"/api/v1/bookings/{" + name + "}", "/api/v1/booking_revisions/{" + name + "rev}"} {
				status, out := bk.do("GET", bk.x(path), credKeyP1, "")
				if status != 200 || !strings.Contains(out, `"meta":`+meta) {
					t.Errorf("GET %s after a meta of %q: status %d; body %.400s", path, meta, status, out)
				}
			}
		}
		status, out := bk.do("GET", "/api/v1/booking_revisions/feed", credKeyP1, "")
		if status != 200 || strings.Count(out, `"ota_reservation_code":"META-`) != len(metas) {
			t.Errorf("the feed: status %d; body %.400s", status, out)
		}
	})
}

// TestBookingListTotals checks the total that comes with each page of the
// bookings, the revisions and the feed: the same on a full page (counted),
// a short one and an empty first one (told by the page), and past the
// end (counted again).
func TestBookingListTotals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		for i := range 3 {
			name := "t" + strconv.Itoa(i)
			bk.keep(name, bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("TOTAL-"+strconv.Itoa(i), ""), 201))
		}
		bk.send(t, "POST", "/api/v1/booking_revisions/{t0rev}/ack", credKeyP1, "", 200)
		for _, tc := range []struct {
			path  string
			total int
		}{
			{"/api/v1/bookings", 3},
			{"/api/v1/booking_revisions", 3},
			{"/api/v1/booking_revisions/feed", 2},
			{"/api/v1/bookings?filter[ota_reservation_code]=TOTAL-1", 1},
			{"/api/v1/bookings?filter[ota_reservation_code]=NONE", 0},
		} {
			sep := "?"
			if strings.Contains(tc.path, "?") {
				sep = "&"
			}
			for _, pg := range []struct{ page, limit int }{{1, 1}, {1, 2}, {2, 2}, {3, 2}, {1, 10}, {2, 10}, {2, max(tc.total, 1)}} {
				status, out := bk.do("GET", tc.path+sep+"pagination[page]="+strconv.Itoa(pg.page)+"&pagination[limit]="+strconv.Itoa(pg.limit), credKeyP1, "")
				items := min(pg.limit, max(0, tc.total-(pg.page-1)*pg.limit))
				want := `"meta":{"total":` + strconv.Itoa(tc.total) + `,"page":` + strconv.Itoa(pg.page) + `,"limit":` + strconv.Itoa(pg.limit) + `}`
				if status != 200 || !strings.Contains(out, want) || strings.Count(out, `"ota_reservation_code":"TOTAL-`) != items {
					t.Errorf("GET %s page %d of %d: status %d, want %s and %d items; body %.300s", tc.path, pg.page, pg.limit, status, want, items, out)
				}
			}
		}
	})
}
