package clienttest

import (
	"context"
	"testing"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestChannels connects, maps, activates and syncs a channel through the
// client against a test channel server, reads its events and log, makes
// an availability rule, and meets scope: a key restricted to another
// property gets 404.
func TestChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		// The test channel listens on 127.0.0.1.
		srv.cfg.Channels = openchannel.NewClient(true)
		srv.api = api.New(srv.cfg)
		pms := newKey(t, srv, "PMS")
		h := newHotel(t, pms, "Hotel A")
		other := newHotel(t, pms, "Hotel B")
		ota := openchanneltest.New(t, "ota-key", "HA", keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{
			{ID: "DBL", Title: "Double", RatePlans: []keycard.MappingRatePlan{{ID: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"}}}}})
		settings := client.OpenChannelSettings{Endpoint: ota.Endpoint(), APIKey: "ota-key", HotelCode: "HA"}

		res, err := pms.TestChannelConnection(ctx, settings)
		if err != nil || !res.Success {
			t.Fatalf("test connection: %+v, %v", res, err)
		}
		bad := settings
		bad.APIKey = "wrong"
		if res, err := pms.TestChannelConnection(ctx, bad); err != nil || res.Success || res.Errors == "" {
			t.Errorf("test with a wrong key: %+v, %v; want success false with a reason", res, err)
		}
		md, res, err := pms.ChannelMappingDetails(ctx, settings)
		if err != nil || md == nil || len(md.RoomTypes) != 1 || md.RoomTypes[0].RatePlans[0].ID != "BAR" {
			t.Fatalf("mapping details: %+v, %+v, %v", md, res, err)
		}

		ch, err := pms.CreateChannel(ctx, client.NewChannel{Title: "OTA", PropertyID: h.property, Settings: settings,
			RatePlans: []client.Mapping{{RatePlanID: h.ratePlan, RoomTypeCode: "DBL", RatePlanCode: "BAR", Occupancy: 2}}})
		if err != nil {
			t.Fatalf("create channel: %v", err)
		}
		if ch.IsActive || ch.Settings["api_key"] != "***" || len(ch.RatePlans) != 1 || ch.RatePlans[0].ChannelPlan == nil ||
			ch.RatePlans[0].ChannelPlan.MaxPersons != 2 || ch.CreatedAt.IsZero() {
			t.Errorf("created channel = %+v", ch)
		}
		if ready, err := pms.ChannelReadiness(ctx, ch.ID); err != nil || len(ready) != 0 {
			t.Errorf("readiness = %+v, %v; want ready", ready, err)
		}
		if err := pms.ActivateChannel(ctx, ch.ID); err != nil {
			t.Fatalf("activate: %v", err)
		}
		got, err := pms.Channel(ctx, ch.ID)
		if err != nil || !got.IsActive || len(got.KnownMappings) != 1 || got.KnownMappings[0].RoomTypeID != h.roomType {
			t.Errorf("channel after activation = %+v, %v", got, err)
		}
		if err := pms.FullSyncChannel(ctx, ch.ID); err != nil {
			t.Errorf("full sync: %v", err)
		}
		if list := collect(t, pms.Channels(ctx, client.ListOptions{Filters: map[string]string{"property_id": h.property}})); len(list) != 1 {
			t.Errorf("channels of Hotel A = %d, want 1", len(list))
		}
		if err := pms.DeleteChannel(ctx, ch.ID); !client.HasCode(err, "validation_error") {
			t.Errorf("delete of an active channel: %v, want a validation error", err)
		}

		events := collect(t, pms.ChannelEvents(ctx, client.ListOptions{Filters: map[string]string{"channel_id": ch.ID, "event": "mapping_details"}}))
		if len(events) != 1 {
			t.Fatalf("mapping_details events = %d, want the activation's one", len(events))
		}
		if logs := collect(t, pms.ChannelEventLogs(ctx, events[0].ID, client.ListOptions{})); len(logs) != 1 || logs[0].StatusCode != 200 {
			t.Errorf("the activation's exchange = %+v, want one 200", logs)
		}

		rule, err := pms.CreateChannelRule(ctx, client.ChannelRule{PropertyID: h.property, Title: "Keep two back", Type: client.RuleAvailabilityOffset,
			Value: 2, StartDate: keycard.Today(srv.clock(), "").String(), AffectedChannels: []string{ch.ID}, AffectedRoomTypes: []string{h.roomType}})
		if err != nil || rule.Value != 2 || len(rule.Days) != 7 {
			t.Fatalf("create rule: %+v, %v", rule, err)
		}

		// A key restricted to Hotel B sees none of it.
		narrow := newKey(t, srv, "Hotel B only", other.property)
		if _, err := narrow.Channel(ctx, ch.ID); !client.HasCode(err, "resource_not_found") {
			t.Errorf("restricted key reading Hotel A's channel: %v, want 404", err)
		}
		if _, err := narrow.ChannelRule(ctx, rule.ID); !client.HasCode(err, "resource_not_found") {
			t.Errorf("restricted key reading Hotel A's rule: %v, want 404", err)
		}
		if list := collect(t, narrow.Channels(ctx, client.ListOptions{})); len(list) != 0 {
			t.Errorf("restricted key lists %d channels, want 0", len(list))
		}

		if err := pms.DeactivateChannel(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		if err := pms.DeleteChannelRule(ctx, rule.ID); err != nil {
			t.Fatal(err)
		}
		if err := pms.DeleteChannel(ctx, ch.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
}
