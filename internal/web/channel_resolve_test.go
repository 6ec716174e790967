package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
)

// TestChannelResolveUnmapped: a booking a channel pushed with codes that
// map to nothing shows, on the channel's page, a form that maps them; the
// mapping is saved as a manual known mapping and the form goes away.
func TestChannelResolveUnmapped(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	rt, err := f.st.CreateRoomType(ctx, f.owner, &keycard.RoomType{PropertyID: f.p1, Title: "Suite", CountOfRooms: 2,
		OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
	if err != nil {
		t.Fatal(err)
	}
	occ, primary := 2, true
	rp, err := f.st.CreateRatePlan(ctx, f.owner, f.p1, &keycard.RatePlanChange{Title: new("Suite Flex"), RoomTypeID: &rt.ID, OptionsSent: true,
		Options: []keycard.RateOptionChange{{Occupancy: &occ, IsPrimary: &primary, Rate: json.RawMessage(`"200"`)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	md := keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "DBL", Title: "Double", RatePlans: []keycard.MappingRatePlan{
		{ID: "BAR", Title: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"}}}}}
	ota := openchanneltest.New(t, "", "H1", md)
	f.setUI(func(c *Config) { c.Channels = openchannel.NewClient(true) })
	cc := &keycard.Channel{}
	if err := cc.Apply(&keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), PropertiesSent: true, Properties: []string{f.p1},
		SettingsSent: true, Settings: map[string]json.RawMessage{"endpoint": json.RawMessage(`"` + ota.Endpoint() + `"`),
			"hotel_code": json.RawMessage(`"H1"`)}}, nil).Err(); err != nil {
		t.Fatal(err)
	}
	ch, err := f.st.CreateChannel(ctx, f.owner, cc, nil)
	if err != nil {
		t.Fatal(err)
	}
	inbound, err := f.st.ChannelByInboundKey(ctx, ch.InboundAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	inbound.IsActive = true // as if activated: the store takes its word from the key's lookup
	day := (keycard.Today(time.Now(), "") + 5).String()
	next := (keycard.Today(time.Now(), "") + 6).String()
	cur := "EUR"
	_, err = f.st.SaveBooking(ctx, inbound.Principal(), store.BookingWrite{PropertyID: f.p1, Status: keycard.StatusNew,
		Change: &keycard.BookingChange{Currency: &cur, ArrivalDate: &day, DepartureDate: &next, RoomsSent: true,
			Rooms: []keycard.RoomChange{{N: 1, Days: map[string]json.RawMessage{day: json.RawMessage(`"200.00"`)}}}},
		Channel: &store.ChannelBooking{Channel: inbound, ReservationID: "U-1", Hash: "push-1",
			Rooms: []keycard.ChannelRoomCodes{{RoomTypeCode: "SUITE", RatePlanCode: "FLEX"}}}})
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := f.st.ListChannelEvents(ctx, f.owner, keycard.ListQuery{Page: 1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ev string
	for _, e := range events {
		if e.Type == keycard.ChannelEventUnmappedBooking {
			ev = e.ID
		}
	}
	if ev == "" {
		t.Fatal("no unmapped_booking event")
	}

	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	page := "/organization/channels/" + ch.ID
	r := c.get(page)
	if r.status != 200 || !strings.Contains(r.body, `id="resolve-`+ev+`"`) || !strings.Contains(r.body, "<code>SUITE</code>") {
		t.Fatalf("the channel page has no resolve form for the unmapped booking (status %d)", r.status)
	}
	form := url.Values{"csrf_token": {c.csrf(page)}, "room.0.room_type_code": {"SUITE"}, "room.0.rate_plan_code": {"FLEX"},
		"room.0.rate_plan_id": {keycard.NewID()}}
	if r := c.post(page+"/resolve/"+ev, form); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not a rate plan of the property") {
		t.Errorf("resolve to an unknown rate plan: status %d, want 422 with the reason", r.status)
	}
	form.Set("room.0.rate_plan_id", rp.ID)
	if r := c.post(page+"/resolve/"+ev, form); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "done=resolved") {
		t.Fatalf("resolve: status %d, Location %q", r.status, r.header.Get("Location"))
	}
	r = c.get(page + "?done=resolved")
	if strings.Contains(r.body, `id="resolve-`+ev+`"`) || elementText(r.body, "notice-resolved") == "" {
		t.Errorf("after resolving: the form is still there, or no notice")
	}
	known, err := f.st.ChannelKnownMappings(ctx, f.owner, ch.ID)
	if err != nil || len(known) != 1 || known[0].Type != keycard.KnownMappingManual || known[0].RatePlanID != rp.ID || known[0].RoomTypeID != rt.ID {
		t.Errorf("known mappings = %+v, %v", known, err)
	}
}
