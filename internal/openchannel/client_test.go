package openchannel_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
)

func mapping() keycard.MappingDetails {
	return keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "RT1", Title: "Double", RatePlans: []keycard.MappingRatePlan{
		{ID: "BAR", Title: "Best", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "GBP"},
		{ID: "RO", Title: "Read only", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "GBP", ReadOnly: true},
	}}}}
}

func TestClientAgainstChannel(t *testing.T) {
	ctx := context.Background()
	ch := openchanneltest.New(t, "secret-key", "H1", mapping())
	c := openchannel.NewClient(true)
	conn := openchannel.Conn{Endpoint: strings.TrimSuffix(ch.Endpoint(), "/"), APIKey: "secret-key", HotelCode: "H1"}

	ex, err := c.TestConnection(ctx, conn)
	if err != nil || ex.Status != 200 || !strings.HasSuffix(ex.URL, "/api/test_connection/?hotel_code=H1") {
		t.Fatalf("test connection: %v %+v", err, ex)
	}
	bad := conn
	bad.APIKey = "wrong"
	if ex, err := c.TestConnection(ctx, bad); err == nil || ex.Status != 401 || strings.Contains(ex.URL+ex.RequestBody+ex.Error, "wrong") {
		t.Fatalf("wrong key: %v %+v", err, ex)
	}
	other := conn
	other.HotelCode = "H2"
	if _, err := c.TestConnection(ctx, other); err == nil {
		t.Fatal("unknown hotel code accepted")
	}

	md, raw, _, err := c.MappingDetails(ctx, conn)
	if err != nil || len(md.RoomTypes) != 1 || len(md.RoomTypes[0].RatePlans) != 2 || !md.RoomTypes[0].RatePlans[1].ReadOnly || len(raw) == 0 {
		t.Fatalf("mapping details: %v %+v", err, md)
	}

	d, _ := keycard.ParseDate("2030-01-01")
	n := &openchannel.Notification{RequestID: "11111111-1111-4111-8111-111111111111",
		Availability: []openchannel.AvailabilityChange{{RoomTypeID: "RT1", RatePlanID: "BAR", DateFrom: d, DateTo: d + 2, Availability: 3}},
		Restrictions: []openchannel.RestrictionChange{{RoomTypeID: "RT1", RatePlanID: "BAR", DateFrom: d, DateTo: d + 1,
			Rates: []openchannel.Rate{{Rate: "120.00", Currency: "GBP", FractionSize: 2, Occupancy: 2}}, MinStayArrival: 2, MinStayThrough: 1}}}
	ex, err = c.PushChanges(ctx, conn, n)
	if err != nil || ex.RequestID != n.RequestID || !strings.Contains(ex.RequestBody, `"date_to":"2030-01-02"`) {
		t.Fatalf("push: %v %+v", err, ex)
	}
	if cell, ok := ch.Cell("RT1", "BAR", d+2); !ok || cell.Availability != 3 || cell.HasRestrictions {
		t.Fatalf("day 3: %+v", cell)
	}
	if cell, _ := ch.Cell("RT1", "BAR", d+1); cell.Rates[2] != "120.00" || cell.MinStayArrival != 2 {
		t.Fatalf("day 2: %+v", cell)
	}
	reqs := ch.Requests()
	if len(reqs) != 1 || reqs[0].RequestID != n.RequestID || !reqs[0].Applied {
		t.Fatalf("requests: %+v", reqs)
	}

	// A strict channel refuses a read-only plan's changes.
	ro := &openchannel.Notification{RequestID: "22222222-2222-4222-8222-222222222222",
		Availability: []openchannel.AvailabilityChange{{RoomTypeID: "RT1", RatePlanID: "RO", DateFrom: d, DateTo: d, Availability: 1}}}
	if ex, err := c.PushChanges(ctx, conn, ro); err == nil || ex.Status != 422 {
		t.Fatalf("read-only push: %v %+v", err, ex)
	}

	for _, m := range []openchanneltest.Mode{openchanneltest.Down, openchanneltest.Failing, openchanneltest.Refusing} {
		ch.SetMode(m)
		n.RequestID = "33333333-3333-4333-8333-333333333333"
		ex, err := c.PushChanges(ctx, conn, n)
		var oe *openchannel.Error
		if !errors.As(err, &oe) || ex.Error == "" {
			t.Fatalf("mode %d: %v %+v", m, err, ex)
		}
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	ctx := context.Background()
	ch := openchanneltest.New(t, "", "H1", mapping())
	c := openchannel.NewClient(false)
	conn := openchannel.Conn{Endpoint: ch.Endpoint(), HotelCode: "H1"}
	ex, err := c.TestConnection(ctx, conn)
	if err == nil || ex.Error != openchannel.ReasonNotAllowed {
		t.Fatalf("loopback channel called: %v %+v", err, ex)
	}
	if err := c.CheckEndpoint(ctx, ch.Endpoint()); !errors.Is(err, openchannel.ErrNotAllowed) {
		t.Fatalf("check endpoint: %v", err)
	}
	if err := c.CheckEndpoint(ctx, "ftp://example.com/"); err == nil {
		t.Fatal("ftp endpoint accepted")
	}
	if err := openchannel.NewClient(true).CheckEndpoint(ctx, ch.Endpoint()); err != nil {
		t.Fatalf("development flag: %v", err)
	}
}
