package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// channelHotel is the inventory fixture with P1 selling its last room of
// rt1 on d1 (every autoupdate setting on), an active Open Channel
// connection of P1 (hotel code H1, DBL/BAR mapped to rp1) and one of P2
// (H2), each with its inbound key, and keycard behind a real HTTP server
// that the channels push to.
type channelHotel struct {
	*bookings
	http *httptest.Server
	// otaA and otaB are the channels' own servers (the endpoints keycard
	// pushes ARI to).
	otaA, otaB     *openchanneltest.Server
	chA, chB       string
	keyA, keyB     string
	hotelA, hotelB string
}

func newChannelHotel(t *testing.T, cfg store.Config) *channelHotel {
	t.Helper()
	bk := newBookings(t, cfg)
	f := bk.fixture
	ctx := context.Background()
	for _, prop := range []string{f.p1, f.p2} {
		settings := keycard.DefaultPropertySettings()
		settings.AllowAvailabilityAutoupdateOnConfirmation = true
		settings.AllowAvailabilityAutoupdateOnModification = true
		settings.AllowAvailabilityAutoupdateOnCancellation = true
		if _, err := f.st.UpdateProperty(ctx, f.ownerA, prop, &keycard.PropertyChange{SettingsSent: true,
			Settings: keycard.PropertySettingsChange{Values: settings}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.ApplyAvailability(ctx, f.ownerA, []*keycard.AvailabilityChange{{PropertyID: f.p1, RoomTypeID: bk.rt1,
		Dates: keycard.Dates{From: bk.d0 + 1, To: bk.d0 + 1, Days: keycard.EveryDay}, Availability: 1}}); err != nil {
		t.Fatal(err)
	}
	ch := &channelHotel{bookings: bk, hotelA: "H1", hotelB: "H2"}
	ch.otaA = openchanneltest.New(t, "outbound-secret", "H1", otaMapping)
	ch.otaB = openchanneltest.New(t, "outbound-secret", "H2", otaMapping)
	ch.chA = ch.newChannel(t, f.p1, ch.otaA, bk.rp1)
	ch.chB = ch.newChannel(t, f.p2, ch.otaB, bk.rp2)
	ch.http = httptest.NewServer(f.srv)
	t.Cleanup(ch.http.Close)
	ch.keyA = ch.roll(t, ch.chA)
	ch.keyB = ch.roll(t, ch.chB)
	return ch
}

// otaMapping is what the test channels sell: DBL at BAR, per room.
var otaMapping = keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "DBL", Title: "Double", RatePlans: []keycard.MappingRatePlan{
	{ID: "BAR", Title: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"}}}}}

// newChannel makes an active connection of property to the channel ota
// with DBL/BAR mapped to ratePlan.
func (ch *channelHotel) newChannel(t *testing.T, property string, ota *openchanneltest.Server, ratePlan string) string {
	t.Helper()
	f := ch.fixture
	c := &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), PropertiesSent: true, Properties: []string{property},
		SettingsSent: true, Settings: map[string]json.RawMessage{"endpoint": json.RawMessage(`"` + ota.Endpoint() + `"`),
			"api_key": json.RawMessage(`"outbound-secret"`), "hotel_code": json.RawMessage(`"` + ota.HotelCode + `"`)},
		RatePlansSent: true, RatePlans: []keycard.ChannelRatePlanChange{{RatePlanID: ratePlan, Settings: map[string]json.RawMessage{
			"room_type_code": json.RawMessage(`"DBL"`), "rate_plan_code": json.RawMessage(`"BAR"`), "occupancy": json.RawMessage(`2`)}}}}
	c2 := &keycard.Channel{}
	if err := c2.Apply(c, nil).Err(); err != nil {
		t.Fatal(err)
	}
	md := &otaMapping
	made, err := f.st.CreateChannel(context.Background(), f.ownerA, c2, md)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ActivateChannel(context.Background(), f.ownerA, made.ID, md); err != nil {
		t.Fatal(err)
	}
	return made.ID
}

// roll gives connection id a new inbound key through the API.
func (ch *channelHotel) roll(t *testing.T, id string) string {
	t.Helper()
	out := ch.send(t, "POST", "/api/v1/channels/"+id+"/roll_inbound_key", credOwnerA, "", 200)
	key, _ := data(out)["attributes"].(map[string]any)["inbound_api_key"].(string)
	if !strings.HasPrefix(key, "kcc_") {
		t.Fatalf("roll_inbound_key answered %v", out)
	}
	return key
}

// push posts body to a channel route over HTTP with the api-key key and
// returns the status and the body.
func (ch *channelHotel) push(t *testing.T, route, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ch.http.URL+"/api/v1/channel_webhooks/open_channel/"+route, strings.NewReader(ch.x(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("api-key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// ocBooking is an Open Channel push of reservation code (none when "")
// with status, one room of roomCode/rateCode for the night d1 at price.
func ocBooking(hotel, status, code, roomCode, rateCode, price string) string {
	rid := ""
	if code != "" {
		rid = `"reservation_id":"` + code + `",`
	}
	return `{"booking":{"status":"` + status + `","provider_code":"OpenChannel","hotel_code":"` + hotel + `",` + rid + `
		"ota_name":"Booking.com","arrival_date":"{d1}","departure_date":"{d2}","currency":"EUR",
		"customer":{"name":"Ana","surname":"Silva","mail":"ana@example.com"},
		"guarantee":{"card_number":"4111111111111111","card_type":"visa","cardholder_name":"Ana Silva","cvv":"737","expiration_date":"10/2030"},
		"rooms":[{"room_type_code":"` + roomCode + `","occupancy":{"adults":2,"children":0,"infants":0},
			"days":[{"date":"{d1}","price":` + price + `,"rate_plan_code":"` + rateCode + `"}]}]}}`
}

// feed returns the unacked revisions of P1 as the PMS reads them.
func (ch *channelHotel) feed(t *testing.T) []map[string]any {
	t.Helper()
	out := ch.send(t, "GET", "/api/v1/booking_revisions/feed?filter[property_id]={p1}", credKeyAll, "", 200)
	var list []map[string]any
	for _, item := range out["data"].([]any) {
		list = append(list, item.(map[string]any))
	}
	return list
}

// listen makes a webhook of P1 for every booking event a channel push may
// fire; hookEvents then reads what the pushes queued for it.
func (ch *channelHotel) listen(t *testing.T) {
	t.Helper()
	hook, _, err := ch.st.CreateWebhook(context.Background(), ch.ownerA, &keycard.Webhook{PropertyID: ch.p1,
		CallbackURL: "https://93.184.216.34/h", IsActive: true, SendData: true,
		EventMask: "booking;booking_new;booking_modification;booking_cancellation;booking_unmapped_room;booking_unmapped_rate"})
	if err != nil {
		t.Fatal(err)
	}
	ch.ids["hook"] = hook.ID
}

// hookEvents returns the deliveries queued for the listen webhook, as the
// PMS lists them: per revision id, its events sorted and space separated.
func (ch *channelHotel) hookEvents(t *testing.T) map[string]string {
	t.Helper()
	m := ch.send(t, "GET", "/api/v1/webhooks/{hook}/deliveries?pagination[limit]=100", credOwnerA, "", 200)
	per := map[string][]string{}
	for _, d := range m["data"].([]any) {
		a := d.(map[string]any)["attributes"].(map[string]any)
		p := a["request_body"].(map[string]any)["payload"].(map[string]any)
		rev, _ := p["revision_id"].(string)
		if rev == "" {
			rev, _ = p["booking_revision_id"].(string)
		}
		per[rev] = append(per[rev], a["event"].(string))
	}
	out := map[string]string{}
	for rev, events := range per {
		slices.Sort(events)
		out[rev] = strings.Join(events, " ")
	}
	return out
}

// wantEvents fails unless the listen webhook's deliveries are want.
func (ch *channelHotel) wantEvents(t *testing.T, when string, want map[string]string) {
	t.Helper()
	if got := ch.hookEvents(t); !maps.Equal(got, want) {
		t.Errorf("webhook deliveries %s: %v, want %v", when, got, want)
	}
}

func (ch *channelHotel) availD1(t *testing.T) int32 {
	t.Helper()
	grid, err := ch.st.Availability(context.Background(), ch.ownerA, keycard.ARIQuery{PropertyID: ch.p1, From: ch.d0 + 1, To: ch.d0 + 1, IDs: []string{ch.rt1}})
	if err != nil {
		t.Fatal(err)
	}
	return grid.RoomTypes[0].Days[0]
}

// TestChannelBookingLoop: a channel pushes a booking new, again (a
// retry), modified and cancelled over HTTP; each becomes one revision the
// PMS reads from the feed and acks, with availability following, exactly
// as for a Booking CRS push.
func TestChannelBookingLoop(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		ch.listen(t)
		status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "R-1", "DBL", "BAR", `"120.00"`))
		if status != 200 {
			t.Fatalf("new: %d %s", status, body)
		}
		var ans struct {
			Success  bool
			Bookings []struct {
				ID         string `json:"id"`
				UniqueID   string `json:"unique_id"`
				RevisionID string `json:"revision_id"`
			} `json:"bookings"`
		}
		json.Unmarshal([]byte(body), &ans)
		if !ans.Success || len(ans.Bookings) != 1 || ans.Bookings[0].UniqueID != "OPN-R-1" || ans.Bookings[0].RevisionID == "" {
			t.Fatalf("new answered %s", body)
		}
		if strings.Contains(body, "4111111111111111") {
			t.Fatal("the answer holds the card number")
		}
		first := ans.Bookings[0]
		if got := ch.availD1(t); got != 0 {
			t.Errorf("after the channel's booking: availability %d, want 0", got)
		}
		// The same push again (a retry after a timeout): the same ids, no
		// second revision.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "R-1", "DBL", "BAR", `"120.00"`))
		if status != 200 || !strings.Contains(body, first.RevisionID) {
			t.Fatalf("retry: %d %s, want revision %s", status, body, first.RevisionID)
		}
		feed := ch.feed(t)
		if len(feed) != 1 {
			t.Fatalf("feed after a push and its retry: %d revisions, want 1", len(feed))
		}
		want := map[string]string{first.RevisionID: "booking booking_new"}
		ch.wantEvents(t, "after a new push and its retry", want)
		a := feed[0]["attributes"].(map[string]any)
		room := a["rooms"].([]any)[0].(map[string]any)
		g := a["guarantee"].(map[string]any)
		if a["channel_id"] != ch.chA || a["unique_id"] != "OPN-R-1" || a["status"] != "new" || a["amount"] != "120.00" ||
			room["room_type_id"] != ch.rt1 || room["rate_plan_id"] != ch.rp1 || g["card_number"] != "411111******1111" || g["card_type"] != "VI" {
			t.Fatalf("feed revision = %v", a)
		}
		if storetest.Contains(t, cfg, "4111111111111111") || storetest.Contains(t, cfg, ch.keyA) {
			t.Fatal("the database holds the card number or the inbound key in clear")
		}
		ch.send(t, "POST", "/api/v1/booking_revisions/"+first.RevisionID+"/ack", credKeyAll, "", 200)

		// Modified: a new revision, same booking.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "modified", "R-1", "DBL", "BAR", `130`))
		if status != 200 || !strings.Contains(body, first.ID) || strings.Contains(body, first.RevisionID) {
			t.Fatalf("modified: %d %s", status, body)
		}
		feed = ch.feed(t)
		if len(feed) != 1 || feed[0]["attributes"].(map[string]any)["status"] != "modified" || feed[0]["attributes"].(map[string]any)["amount"] != "130.00" {
			t.Fatalf("feed after modified = %v", feed)
		}
		want[feed[0]["id"].(string)] = "booking booking_modification"
		ch.wantEvents(t, "after modified", want)
		ch.send(t, "POST", "/api/v1/booking_revisions/"+feed[0]["id"].(string)+"/ack", credKeyAll, "", 200)

		// Cancelled: the room comes back.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "cancelled", "R-1", "DBL", "BAR", `130`))
		if status != 200 {
			t.Fatalf("cancelled: %d %s", status, body)
		}
		feed = ch.feed(t)
		if len(feed) != 1 || feed[0]["attributes"].(map[string]any)["status"] != "cancelled" {
			t.Fatalf("feed after cancelled = %v", feed)
		}
		if got := ch.availD1(t); got != 1 {
			t.Errorf("after the cancellation: availability %d, want 1", got)
		}
		want[feed[0]["id"].(string)] = "booking booking_cancellation"
		ch.wantEvents(t, "after cancelled", want)
		ch.send(t, "POST", "/api/v1/booking_revisions/"+feed[0]["id"].(string)+"/ack", credKeyAll, "", 200)
		if feed = ch.feed(t); len(feed) != 0 {
			t.Fatalf("feed after acking the cancellation: %d revisions, want none", len(feed))
		}
		// A modification of a reservation the channel never pushed.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "modified", "NOPE", "DBL", "BAR", `1`))
		if status != 422 || !strings.Contains(body, "reservation_id") {
			t.Errorf("modified of an unknown reservation: %d %s, want 422 on reservation_id", status, body)
		}
		// A new push without a reservation id gets one; its retry names
		// the same booking.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "", "DBL", "BAR", `100`))
		status2, body2 := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "", "DBL", "BAR", `100`))
		if status != 200 || status2 != 200 || body != body2 || !strings.Contains(body, `"unique_id":"OPN-`) {
			t.Errorf("new without reservation_id, twice: %d %s / %d %s", status, body, status2, body2)
		}
	})
}

// TestChannelKeys: only a connection's own key, for its own hotel code,
// is taken; a deactivated connection takes no new booking.
func TestChannelKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		for _, tc := range []struct {
			name, key, hotel string
			status           int
		}{
			{"no key", "", "H1", 403},
			{"a made-up key", "kcc_" + strings.Repeat("a", 46), "H1", 403},
			{"a user key", ch.keyAll, "H1", 403},
			{"B's key for A's hotel", ch.keyB, "H1", 404},
			{"A's key for an unknown hotel", ch.keyA, "H9", 404},
		} {
			status, body := ch.push(t, "new_booking", tc.key, ocBooking(tc.hotel, "new", "K-1", "DBL", "BAR", `1`))
			if status != tc.status || !strings.Contains(body, `"errors"`) {
				t.Errorf("%s: %d %s, want %d in the envelope", tc.name, status, body, tc.status)
			}
		}
		if n := len(ch.feed(t)); n != 0 {
			t.Fatalf("refused pushes made %d revisions", n)
		}
		// A rolled key stops working at once.
		old := ch.keyA
		ch.keyA = ch.roll(t, ch.chA)
		if status, _ := ch.push(t, "new_booking", old, ocBooking("H1", "new", "K-1", "DBL", "BAR", `1`)); status != 403 {
			t.Errorf("the rolled key: %d, want 403", status)
		}
		if status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "K-1", "DBL", "BAR", `1`)); status != 200 {
			t.Fatalf("the new key: %d %s", status, body)
		}
		// Deactivated: no new booking, but its own may still be cancelled.
		if _, err := ch.st.DeactivateChannel(context.Background(), ch.ownerA, ch.chA); err != nil {
			t.Fatal(err)
		}
		if status, _ := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "K-2", "DBL", "BAR", `1`)); status != 403 {
			t.Errorf("new booking on a deactivated channel: %d, want 403", status)
		}
		if status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "cancelled", "K-1", "DBL", "BAR", `1`)); status != 200 {
			t.Errorf("cancel on a deactivated channel: %d %s, want 200", status, body)
		}
		// Deleted: the key is withdrawn with it.
		if err := ch.st.DeleteChannel(context.Background(), ch.ownerA, ch.chA); err != nil {
			t.Fatal(err)
		}
		if status, _ := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "cancelled", "K-1", "DBL", "BAR", `1`)); status != 403 {
			t.Errorf("a deleted connection's key: %d, want 403", status)
		}
	})
}

// TestChannelUnmappedBooking: a room whose codes map to nothing is stored
// unmapped and opens an event; resolving it maps the next booking.
func TestChannelUnmappedBooking(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		ch.listen(t)
		status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "U-1", "SUITE", "FLEX", `"200.00"`))
		if status != 200 {
			t.Fatalf("unmapped push: %d %s", status, body)
		}
		feed := ch.feed(t)
		room := feed[0]["attributes"].(map[string]any)["rooms"].([]any)[0].(map[string]any)
		if room["room_type_id"] != nil || room["rate_plan_id"] != nil {
			t.Fatalf("unmapped room = %v", room)
		}
		if got := ch.availD1(t); got != 1 {
			t.Errorf("an unmapped booking moved availability to %d", got)
		}
		// The room type known, the rate not: the rate alone is unmapped.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "U-2", "DBL", "FLEX", `"200.00"`))
		if status != 200 {
			t.Fatalf("unmapped rate push: %d %s", status, body)
		}
		feed = ch.feed(t)
		room = feed[1]["attributes"].(map[string]any)["rooms"].([]any)[0].(map[string]any)
		if room["room_type_id"] != ch.rt1 || room["rate_plan_id"] != nil {
			t.Fatalf("unmapped rate room = %v", room)
		}
		// The room unmapped fires the room event alone; the rate alone
		// unmapped, the rate event alone.
		want := map[string]string{feed[0]["id"].(string): "booking booking_new booking_unmapped_room",
			feed[1]["id"].(string): "booking booking_new booking_unmapped_rate"}
		ch.wantEvents(t, "after unmapped pushes", want)
		var evID string
		var n int
		events, _, err := ch.st.ListChannelEvents(context.Background(), ch.ownerA, keycard.ListQuery{Page: 1, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == keycard.ChannelEventUnmappedBooking && e.Status == "open" {
				n++
				if strings.Contains(string(e.Payload), "SUITE") {
					evID = e.ID
				}
			}
		}
		if n != 2 || evID == "" {
			t.Fatalf("open unmapped_booking events: %d (SUITE's %q), want 2", n, evID)
		}
		ch.ids["ev"] = evID
		ch.send(t, "POST", "/api/v1/channel_events/{ev}/resolve", credOwnerA, `{"solutions":[{"room_type_code":"SUITE","rate_plan_code":"FLEX","rate_plan_id":"{rp2}"}]}`, 422)
		out := ch.send(t, "POST", "/api/v1/channel_events/{ev}/resolve", credOwnerA, `{"solutions":[{"room_type_code":"SUITE","rate_plan_code":"FLEX","rate_plan_id":"{rp1}"}]}`, 200)
		if a := data(out)["attributes"].(map[string]any); a["status"] != "resolved" || !strings.Contains(toJSON(a["known_mappings"]), `"manual"`) {
			t.Fatalf("resolve answered %v", out)
		}
		ch.send(t, "POST", "/api/v1/channel_events/{ev}/resolve", credOwnerA, `{"solutions":[{"room_type_code":"SUITE","rate_plan_code":"FLEX","rate_plan_id":"{rp1}"}]}`, 422)
		// Another owner cannot see the event.
		ch.send(t, "POST", "/api/v1/channel_events/{ev}/resolve", credOwnerB, `{"solutions":[{"room_type_code":"SUITE","rate_plan_code":"FLEX","rate_plan_id":"{rp1}"}]}`, 404)
		// The next booking of the same codes is mapped.
		status, body = ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "U-3", "SUITE", "FLEX", `"200.00"`))
		if status != 200 {
			t.Fatalf("push after resolve: %d %s", status, body)
		}
		feed = ch.feed(t)
		room = feed[2]["attributes"].(map[string]any)["rooms"].([]any)[0].(map[string]any)
		if room["room_type_id"] != ch.rt1 || room["rate_plan_id"] != ch.rp1 {
			t.Fatalf("room after resolve = %v", room)
		}
		want[feed[2]["id"].(string)] = "booking booking_new"
		ch.wantEvents(t, "after the push mapped by the resolution", want)
		if got := ch.availD1(t); got != 0 {
			t.Errorf("the mapped booking left availability %d, want 0", got)
		}
		ch.ids["chA"] = ch.chA
		got := ch.send(t, "GET", "/api/v1/channels/{chA}", credOwnerA, "", 200)
		var kinds []string
		for _, item := range data(got)["relationships"].(map[string]any)["known_mappings"].(map[string]any)["data"].([]any) {
			a := item.(map[string]any)["attributes"].(map[string]any)
			kinds = append(kinds, fmt.Sprint(a["type"], " ", a["room_type_code"], "/", a["rate_plan_code"], " ", a["room_type_id"] == ch.rt1, a["rate_plan_id"] == ch.rp1))
		}
		if want := []string{"auto DBL/BAR true true", "manual SUITE/FLEX true true"}; !slices.Equal(kinds, want) {
			t.Errorf("GET /channels/:id known_mappings: %q, want %q", kinds, want)
		}
	})
}

// TestChannelAvailabilityCheck: the check answers per room, stores
// nothing, and refuses unmapped codes and statuses other than new/commit.
func TestChannelAvailabilityCheck(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		status, body := ch.push(t, "booking_availability_check", ch.keyA, ocBooking("H1", "new", "", "DBL", "BAR", `1`))
		if status != 200 || !strings.Contains(body, `"available":true`) || strings.Contains(body, `"available":false`) {
			t.Fatalf("check with a room left: %d %s", status, body)
		}
		two := strings.Replace(ocBooking("H1", "commit", "", "DBL", "BAR", `1`), `"rooms":[{`, `"rooms":[{"room_type_code":"DBL","days":[{"date":"{d1}","price":1,"rate_plan_code":"BAR"}]},{`, 1)
		status, body = ch.push(t, "booking_availability_check", ch.keyA, two)
		if status != 200 || strings.Contains(body, `"available":true`) {
			t.Fatalf("two rooms for the last one: %d %s", status, body)
		}
		batch := `{"bookings":[` + strings.TrimSuffix(strings.TrimPrefix(ocBooking("H1", "new", "", "DBL", "BAR", `1`), `{"booking":`), "}") + `]}`
		status, body = ch.push(t, "booking_availability_check", ch.keyA, batch)
		if status != 200 || !strings.Contains(body, `"bookings":[{"index":0,"available":true`) {
			t.Fatalf("batch: %d %s", status, body)
		}
		if n := len(ch.feed(t)); n != 0 || ch.availD1(t) != 1 {
			t.Fatalf("the check stored something: %d revisions", n)
		}
		status, body = ch.push(t, "booking_availability_check", ch.keyA, ocBooking("H1", "new", "", "SUITE", "BAR", `1`))
		if status != 422 || !strings.Contains(body, "map to no rate plan") {
			t.Errorf("unmapped codes: %d %s", status, body)
		}
		status, _ = ch.push(t, "booking_availability_check", ch.keyA, ocBooking("H1", "modified", "", "DBL", "BAR", `1`))
		if status != 422 {
			t.Errorf("status modified: %d, want 422", status)
		}
		status, _ = ch.push(t, "booking_availability_check", ch.keyB, ocBooking("H1", "new", "", "DBL", "BAR", `1`))
		if status != 404 {
			t.Errorf("B's key for A's hotel: %d, want 404", status)
		}
		// Stop sell closes the stay.
		if _, err := ch.st.ApplyRestrictions(context.Background(), ch.ownerA, []*keycard.RestrictionChange{{PropertyID: ch.p1, RatePlanID: ch.rp1,
			Dates:  keycard.Dates{From: ch.d0 + 1, To: ch.d0 + 1, Days: keycard.EveryDay},
			Values: keycard.Restrictions{Set: keycard.FieldStopSell, StopSell: true}}}); err != nil {
			t.Fatal(err)
		}
		status, body = ch.push(t, "booking_availability_check", ch.keyA, ocBooking("H1", "new", "", "DBL", "BAR", `1`))
		if status != 200 || !strings.Contains(body, `"available":false`) {
			t.Errorf("stop sell: %d %s", status, body)
		}
		status, body = ch.push(t, "request_full_sync", ch.keyA, `{"provider_code":"OpenChannel","hotel_code":"H1"}`)
		if status != 200 || !strings.Contains(body, `"success":true`) {
			t.Errorf("request_full_sync: %d %s", status, body)
		}
	})
}

// TestCRSPushNamesChannel: a Booking CRS push may name a channel of the
// property (GET /channels lists them), and the booking shows it; another
// property's channel is dropped.
func TestCRSPushNamesChannel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		ch.ids["chA"], ch.ids["chB"] = ch.chA, ch.chB
		list := ch.send(t, "GET", "/api/v1/channels?filter[property_id]={p1}", credKeyAll, "", 200)
		if s := toJSON(list); !strings.Contains(s, ch.chA) || strings.Contains(s, ch.chB) {
			t.Fatalf("GET /channels of P1 does not list A alone: %s", s)
		}
		out := ch.send(t, "POST", "/api/v1/bookings/push", credKeyAll, bookingBody("CRS-1", `,"channel_id":"{chA}"`), 201)
		if data(out)["id"] == nil {
			t.Fatalf("push answered %v", out)
		}
		feed := ch.feed(t)
		if len(feed) != 1 || feed[0]["attributes"].(map[string]any)["channel_id"] != ch.chA {
			t.Fatalf("feed = %v", feed)
		}
		// Another property's channel, or an id of none, is dropped, as
		// before keycard had channels.
		ch.send(t, "POST", "/api/v1/bookings/push", credKeyAll, bookingBody("CRS-2", `,"channel_id":"{chB}"`), 201)
		feed = ch.feed(t)
		if len(feed) != 2 || feed[1]["attributes"].(map[string]any)["channel_id"] != nil {
			t.Fatalf("feed after a push naming another property's channel = %v", feed)
		}
	})
}
func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestChannelBookingPushedBack: a booking channel A pushes takes P1's
// last room, and the pusher sends the new availability to channel C,
// which maps the same room: C's last room closes; A's cancellation opens
// it again.
func TestChannelBookingPushedBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		otaC := openchanneltest.New(t, "outbound-secret", "H3", otaMapping)
		ch.newChannel(t, ch.p1, otaC, ch.rp1)
		pusher := &channelpush.Pusher{Store: ch.st, Client: openchannel.NewClient(true), HorizonDays: 40,
			Backoff: func(int) time.Duration { return 0 }}
		// drain pushes until nothing is left to push (bounded: a push per
		// channel per round).
		drain := func() {
			t.Helper()
			for range 20 {
				n, err := pusher.RunOnce(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
			t.Fatal("the pusher never ran dry")
		}
		availC := func() int {
			t.Helper()
			c, ok := otaC.Cell("DBL", "BAR", ch.d0+1)
			if !ok || !c.HasAvailability {
				t.Fatalf("channel C has no availability for d1: %+v", c)
			}
			return c.Availability
		}
		// The ARI write reaches every active channel that maps the room
		// (activation's full sync is ch-api's to wire).
		if _, err := ch.st.ApplyAvailability(context.Background(), ch.ownerA, []*keycard.AvailabilityChange{{PropertyID: ch.p1, RoomTypeID: ch.rt1,
			Dates: keycard.Dates{From: ch.d0 + 1, To: ch.d0 + 1, Days: keycard.EveryDay}, Availability: 1}}); err != nil {
			t.Fatal(err)
		}
		drain()
		if got := availC(); got != 1 {
			t.Fatalf("channel C before the booking: availability %d, want 1", got)
		}
		if status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "new", "PB-1", "DBL", "BAR", `"80.00"`)); status != 200 {
			t.Fatalf("push on A: %d %s", status, body)
		}
		drain()
		if got := availC(); got != 0 {
			t.Errorf("channel C after A's booking of the last room: availability %d, want 0", got)
		}
		if status, body := ch.push(t, "new_booking", ch.keyA, ocBooking("H1", "cancelled", "PB-1", "DBL", "BAR", `"80.00"`)); status != 200 {
			t.Fatalf("cancel on A: %d %s", status, body)
		}
		drain()
		if got := availC(); got != 1 {
			t.Errorf("channel C after A's cancellation: availability %d, want 1", got)
		}
	})
}

// TestChannelCreateShowsInboundKey: POST /channels answers the inbound
// key once; GET never shows it; the key works for the new connection.
func TestChannelCreateShowsInboundKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		out := ch.send(t, "POST", "/api/v1/channels", credOwnerA, `{"channel":{"channel":"OpenChannel","properties":["{p1}"],
			"settings":{"endpoint":"https://ota.example/api/","api_key":"k","hotel_code":"H7"}}}`, 201)
		a := data(out)["attributes"].(map[string]any)
		key, _ := a["inbound_api_key"].(string)
		if !strings.HasPrefix(key, "kcc_") {
			t.Fatalf("POST /channels answered no inbound key: %v", a)
		}
		id := data(out)["id"].(string)
		if got := ch.send(t, "GET", "/api/v1/channels/"+id, credOwnerA, "", 200); strings.Contains(toJSON(got), "kcc_") {
			t.Errorf("GET /channels/:id shows the inbound key: %v", got)
		}
		if storetest.Contains(t, cfg, key) {
			t.Error("the inbound key is stored in clear")
		}
		// Inactive: the key authenticates, and the channel may not book yet.
		if status, body := ch.push(t, "new_booking", key, ocBooking("H7", "new", "N-1", "DBL", "BAR", `1`)); status != 403 || !strings.Contains(body, "not active") {
			t.Errorf("push with the new key on the inactive channel: %d %s", status, body)
		}
	})
}

// TestChannelPushThrottle: refused channel pushes (no key, a made-up
// key, a valid key for another hotel) count toward the address's failure
// throttle, as failed user keys do; a valid push still passes.
func TestChannelPushThrottle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		f := ch.fixture
		f.setAuth(func(c *auth.Config) {
			c.Limiter, c.AuthFailLimit = ratelimit.NewMemory(time.Now), 4
		})
		bad := "198.51.100.77:1"
		path := "/api/v1/channel_webhooks/open_channel/new_booking"
		body := func(hotel, code string) string { return ch.x(ocBooking(hotel, "new", code, "DBL", "BAR", `1`)) }
		for i, tc := range []struct {
			key, hotel string
			status     int
		}{{"", "H1", 403}, {"kcc_" + strings.Repeat("b", 46), "H1", 403}, {ch.keyB, "H1", 404}, {ch.keyB, "H1", 404}} {
			if status, out := f.from("POST", path, bad, "", http.Header{"Api-Key": {tc.key}}, body(tc.hotel, "T-1")); status != tc.status {
				t.Fatalf("refused push %d: %d %s, want %d", i, status, out, tc.status)
			}
		}
		if status, out := f.from("POST", path, bad, "", http.Header{"Api-Key": {ch.keyB}}, body("H1", "T-1")); status != 429 {
			t.Errorf("5th refused push: %d %s, want 429", status, out)
		}
		if status, out := f.from("POST", path, bad, "", http.Header{"Api-Key": {"kcc_x"}}, body("H1", "T-1")); status != 429 {
			t.Errorf("a bad key from the throttled address: %d %s, want 429", status, out)
		}
		if status, out := f.from("POST", path, bad, "", http.Header{"Api-Key": {ch.keyA}}, body("H1", "T-2")); status != 200 {
			t.Errorf("a valid push from the throttled address: %d %s, want 200", status, out)
		}
	})
}
