package api

import (
	"testing"
)

// setupFuzzRoutes are the set-up routes FuzzBadInput also drives: every
// one that reads a body or a list query.
var setupFuzzRoutes = []struct {
	method, path, body string
}{
	{"POST", "/api/v1/hotel_policies", `{"hotel_policy":{"property_id":"{p1}","title":"H","currency":"GBP","is_adults_only":false,"max_count_of_guests":2,"checkin_time":"14:00","checkout_time":"11:00","internet_access_type":"wifi","internet_access_cost":null,"internet_access_coverage":"entire_property","parking_type":"on_site","parking_reservation":"needed","parking_is_private":true,"pets_policy":"allowed","pets_non_refundable_fee":"0.00","pets_refundable_deposit":100,"smoking_policy":"no_smoking"}}`},
	{"PUT", "/api/v1/hotel_policies/{hp}", `{"hotel_policy":{"checkin_time":"15:00:00","internet_access_cost":"1.50","refundable_deposit":"2"}}`},
	{"GET", "/api/v1/hotel_policies", ``},
	{"POST", "/api/v1/taxes", `{"tax":{"property_id":"{p1}","title":"VAT","logic":"percent","type":"tax","rate":"10.00","is_inclusive":true,"skip_nights":1,"max_nights":7,"applicable_date_ranges":[{"after":"2030-01-01","before":null}]}}`},
	{"PUT", "/api/v1/taxes/{tax}", `{"tax":{"logic":"per_person_per_night","rate":250,"applicable_date_ranges":null}}`},
	{"GET", "/api/v1/taxes", ``},
	{"POST", "/api/v1/tax_sets", `{"tax_set":{"property_id":"{p1}","title":"S","currency":"EUR","taxes":[{"id":"{tax}","level":0}],"associated_rate_plan_ids":[]}}`},
	{"PUT", "/api/v1/tax_set/{set}", `{"tax_set":{"title":"S2","taxes":[{"id":"{tax}","level":"1"}],"associated_rate_plan_ids":["{p1}"]}}`},
	{"GET", "/api/v1/tax_sets", ``},
	{"GET", "/api/v1/property_facilities", ``},
	{"GET", "/api/v1/facilities/options", ``},
	{"PUT", "/api/v1/room_types/{p1}", `{"room_type":{"facilities":["0b2e62c4-3f0a-4b8f-9b7a-1d2e3f4a5b6c"],"content":{"photos":[{"url":"https://x.example/r.jpg","kind":"menu"}]}}}`},
	{"PUT", "/api/v1/rate_plans/{p1}", `{"rate_plan":{"tax_set_id":"{set}"}}`},
	{"PUT", "/api/v1/properties/{p1}", `{"property":{"hotel_policy_id":"{hp}","default_tax_set_id":"{set}","facilities":["0b2e62c4-3f0a-4b8f-9b7a-1d2e3f4a5b6c"],"content":{"photos":[{"id":"{photo}","url":"https://x.example/p.jpg","position":1}]}}}`},
	{"POST", "/api/v1/photos", `{"photo":{"property_id":"{p1}","room_type_id":null,"url":"https://x.example/p.jpg","description":"d","author":"a","kind":"ad","position":0}}`},
	{"PUT", "/api/v1/photos/{photo}", `{"photo":{"room_type_id":"{p1}","position":"2","kind":null}}`},
	{"GET", "/api/v1/photos", ``},
	{"POST", "/api/v1/photos/upload", "--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b--\r\n"},
	{"GET", "/api/v1/photo_files/{photo}.png", ``},
	{"GET", "/api/v1/properties/health", ``},
	{"POST", "/api/v1/cancellation_policies", `{"cancellation_policy":{"property_id":"{p1}","title":"C","currency":"EUR","guarantee_payment_policy":"percent_based","guarantee_payment_amount":"50","after_reservation_cancellation_logic":"nights_based","after_reservation_cancellation_amount":1,"cancellation_policy_logic":"deadline","cancellation_policy_deadline":7,"cancellation_policy_deadline_type":"days","cancellation_policy_mode":"percent","cancellation_policy_penalty":"25","non_show_policy":"total_price","associated_rate_plan_ids":[]}}`},
	{"PUT", "/api/v1/cancellation_policies/{cancel}", `{"cancellation_policy":{"cancellation_policy_mode":"nights","guarantee_payment_policy":"fixed_per_booking","cancellation_policy_deadline":null,"associated_rate_plan_ids":["{p1}"]}}`},
	{"GET", "/api/v1/cancellation_policies", ``},
	{"PUT", "/api/v1/rate_plans/{p1}", `{"rate_plan":{"cancellation_policy_id":"{cancel}"}}`},
}

// setupFuzzIDs makes a hotel policy, a tax, a tax set, a photo and a
// cancellation policy of P1 for the routes above, and returns their
// placeholders and ids.
func setupFuzzIDs(tb testing.TB, fx *fixture) []string {
	tb.Helper()
	id := func(path, body string) string {
		status, out := fx.do("POST", path, credOwnerA, body)
		if status != 201 {
			tb.Fatalf("POST %s: %d %s", path, status, out)
		}
		return decode(tb, out)["data"].(map[string]any)["id"].(string)
	}
	hp := id("/api/v1/hotel_policies", setupFuzzRoutes[0].body)
	tax := id("/api/v1/taxes", setupFuzzRoutes[3].body)
	set := id("/api/v1/tax_sets", `{"tax_set":{"property_id":"{p1}","title":"F","taxes":[{"id":"`+tax+`","level":0}]}}`)
	photo := id("/api/v1/photos", setupFuzzRoutes[14].body)
	cancel := id("/api/v1/cancellation_policies", setupFuzzRoutes[len(setupFuzzRoutes)-4].body)
	return []string{"{hp}", hp, "{tax}", tax, "{set}", set, "{photo}", photo, "{cancel}", cancel}
}
