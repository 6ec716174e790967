package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/storetest"
)

// BenchmarkBookingFeed reads the first page of 100 of a feed holding
// 100,000 unacked revisions, on SQLite, through the whole handler (key
// check, scope, count, page, rendering).
func BenchmarkBookingFeed(b *testing.B) {
	cfg := storetest.Config(b, "sqlite")
	inv := newInventory(b, cfg)
	f := inv.fixture
	status, out := f.do("POST", "/api/v1/bookings", credKeyAll, inv.x(bookingBody("FEED", "")))
	if status != 201 {
		b.Fatalf("create the template booking: %d %s", status, out)
	}
	// 99,999 more revisions of it, written straight into the database:
	// through the API it would take minutes, and the feed's cost does not
	// depend on how they came.
	db, err := sql.Open("sqlite", cfg.SQLitePath)
	if err != nil {
		b.Fatal(err)
	}
	_, err = db.ExecContext(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
		INSERT INTO booking_revisions (id, booking_id, property_id, status, system_id, data, inserted_at)
		SELECT printf('%08x-0000-4000-8000-%012x', i, i), r.booking_id, r.property_id, 'modified', r.system_id, r.data, r.inserted_at + i
		FROM booking_revisions r, n WHERE r.seq = 1`)
	if err == nil {
		_, err = db.Exec(`UPDATE booking_feed_counts SET unacked = unacked + 99999`)
	}
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	path := "/api/v1/booking_revisions/feed?pagination[page]=1&pagination[limit]=100&order[inserted_at]=asc"
	status, out = f.do("GET", path, credKeyAll, "")
	if status != 200 || !strings.Contains(out, `"meta":{"total":100000,"page":1,"limit":100}`) {
		b.Fatalf("feed: %d %.300s", status, out)
	}
	f.srv = f.api // time the handler, not the document check of the tests
	b.ResetTimer()
	for b.Loop() {
		if status, _ := f.do("GET", path, credKeyAll, ""); status != 200 {
			b.Fatalf("feed: %d", status)
		}
	}
}

// BenchmarkBookingPush pushes one new booking per operation (two rooms,
// three nights, a guarantee and a customer), on SQLite: validation, the
// revision, its nights and the availability it takes, and its task.
func BenchmarkBookingPush(b *testing.B) {
	inv := newInventory(b, storetest.Config(b, "sqlite"))
	body := inv.x(`{"booking":{"status":"new","reservation_id":"%d","arrival_date":"{d1}","departure_date":"{d4}","currency":"EUR",
		"customer":{"name":"A","surname":"B","mail":"a@example.com"},
		"guarantee":{"card_number":"411111******1111","card_type":"VI","cardholder_name":"A B","expiration_date":"10/2030"},
		"rooms":[{"occupancy":{"adults":2},"rate_plan_id":"{rp1}","days":{"{d1}":10000,"{d2}":10000,"{d3}":10000}},
			{"occupancy":{"adults":2},"rate_plan_id":"{rp1}","days":{"{d1}":"100.00","{d2}":"100.00","{d3}":"100.00"}}],
		"payment_collect":"property","payment_type":"credit_card"}}`)
	inv.srv = inv.api // time the handler, not the document check of the tests
	i := 0
	for b.Loop() {
		i++
		if status, out := inv.do("POST", "/api/v1/bookings/push", credKeyP1, fmt.Sprintf(body, i)); status != 201 {
			b.Fatalf("push: %d %s", status, out)
		}
	}
}

// BenchmarkBookingFeedDrained is a PMS's most frequent request: polling a
// feed it has acked to the end, on SQLite, through the whole handler.
func BenchmarkBookingFeedDrained(b *testing.B) {
	inv := newInventory(b, storetest.Config(b, "sqlite"))
	status, out := inv.do("POST", "/api/v1/bookings", credKeyAll, inv.x(bookingBody("DRAINED", "")))
	if status != 201 {
		b.Fatalf("create a booking: %d %s", status, out)
	}
	var created struct {
		Data struct {
			Attributes struct {
				RevisionID string `json:"revision_id"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		b.Fatal(err)
	}
	rev := created.Data.Attributes.RevisionID
	if status, out := inv.do("POST", "/api/v1/booking_revisions/"+rev+"/ack", credKeyAll, ""); status != 200 {
		b.Fatalf("ack: %d %s", status, out)
	}
	inv.srv = inv.api
	for b.Loop() {
		if status, out := inv.do("GET", "/api/v1/booking_revisions/feed", credKeyAll, ""); status != 200 || !strings.Contains(out, `"total":0`) {
			b.Fatalf("feed: %d %.300s", status, out)
		}
	}
}
