package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// mapping is a mapping change for a test.
func mapping(ratePlanID, room, rate string, occupancy int) keycard.ChannelRatePlanChange {
	return keycard.ChannelRatePlanChange{RatePlanID: ratePlanID, Settings: map[string]json.RawMessage{
		"room_type_code": json.RawMessage(`"` + room + `"`), "rate_plan_code": json.RawMessage(`"` + rate + `"`),
		"occupancy": json.RawMessage(itoa(occupancy))}}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// newChannel makes an Open Channel connection of the hotel through the
// domain's rules, as the API does.
func newChannel(t *testing.T, h *hotel, p *keycard.Principal, hotelCode string, maps ...keycard.ChannelRatePlanChange) (*keycard.Channel, error) {
	t.Helper()
	c := &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), PropertiesSent: true, Properties: []string{h.property},
		SettingsSent: true, Settings: map[string]json.RawMessage{"endpoint": json.RawMessage(`"https://ota.example/api"`),
			"api_key": json.RawMessage(`"s3cret-channel-key"`), "hotel_code": json.RawMessage(`"` + hotelCode + `"`)},
		RatePlansSent: len(maps) > 0, RatePlans: maps}
	ch := &keycard.Channel{}
	if err := ch.Apply(c, nil).Err(); err != nil {
		return nil, err
	}
	return h.st.CreateChannel(context.Background(), p, ch, nil)
}

var testMapping = &keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{
	{ID: "DBL", Title: "Double", RatePlans: []keycard.MappingRatePlan{
		{ID: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"},
		{ID: "NR", SellMode: keycard.ChannelPerPerson, MaxPersons: 3, Currency: "EUR", ReadOnly: true}}}}}

func TestChannelLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		ch, err := newChannel(t, h, h.owner, "H1", mapping(h.a.ID, "DBL", "BAR", 2))
		if err != nil {
			t.Fatal(err)
		}
		if ch.IsActive || ch.GroupID == "" || ch.Title == "" || ch.APIKey != "s3cret-channel-key" || len(ch.RatePlans) != 1 {
			t.Fatalf("created channel = %+v", ch)
		}
		if storetest.Contains(t, cfg, "s3cret-channel-key") {
			t.Errorf("the channel's API key is stored in clear")
		}
		got, err := h.st.ChannelByID(ctx, ch.ID)
		if err != nil || got.RatePlans[0].RatePlanID != h.a.ID || got.RatePlans[0].Occupancy != 2 || got.RatePlans[0].RatePlanCode != "BAR" {
			t.Fatalf("ChannelByID = %+v, %v", got, err)
		}

		// A second connection of the same hotel code is refused.
		if _, err := newChannel(t, h, h.owner, "H1"); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("second channel for hotel H1: %v, want a validation error", err)
		}
		// An occupancy the rate plan has not.
		if _, err := newChannel(t, h, h.owner, "H2", mapping(h.a.ID, "DBL", "BAR", 3)); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("mapping at occupancy 3: %v, want a validation error", err)
		}

		// Activation needs the channel's description of its plans.
		if _, err := h.st.ActivateChannel(ctx, h.owner, ch.ID, nil); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("activate without mapping_details: %v, want a validation error", err)
		}
		act, err := h.st.ActivateChannel(ctx, h.owner, ch.ID, testMapping)
		if err != nil || !act.IsActive || act.RatePlans[0].MaxPersons != 2 || act.RatePlans[0].ChannelCurrency != "EUR" {
			t.Fatalf("activate = %+v, %v", act, err)
		}
		if err := h.st.DeleteChannel(ctx, h.owner, ch.ID); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("delete of an active channel: %v, want a validation error", err)
		}

		// rate_plans replace the mappings as a whole; settings too, with
		// the masked key keeping the stored one.
		upd, err := h.st.UpdateChannel(ctx, h.owner, ch.ID, &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel),
			SettingsSent: true, Settings: map[string]json.RawMessage{"endpoint": json.RawMessage(`"https://ota.example/v2/"`),
				"api_key": json.RawMessage(`"***"`), "hotel_code": json.RawMessage(`"H1"`), "extra": json.RawMessage(`1`)},
			RatePlansSent: true, RatePlans: []keycard.ChannelRatePlanChange{mapping(h.b.ID, "DBL", "NR", 1), mapping(h.b.ID, "DBL", "NR", 2)}},
			nil, testMapping)
		if err != nil {
			t.Fatal(err)
		}
		if upd.APIKey != "s3cret-channel-key" || upd.Endpoint != "https://ota.example/v2/" || string(upd.Settings["extra"]) != "1" ||
			len(upd.RatePlans) != 2 || upd.RatePlans[0].RatePlanID != h.b.ID || !upd.RatePlans[1].ReadOnly ||
			upd.RatePlans[1].SellMode != keycard.ChannelPerPerson {
			t.Fatalf("update = %+v", upd)
		}
		known, err := h.st.ChannelKnownMappings(ctx, h.owner, ch.ID)
		if err != nil || len(known) != 1 || known[0].RatePlanCode != "NR" || known[0].RoomTypeID != h.rt2 {
			t.Errorf("known mappings = %+v, %v; want one auto mapping of NR", known, err)
		}
		// The adapter cannot change.
		if _, err := h.st.UpdateChannel(ctx, h.owner, ch.ID, &keycard.ChannelChange{Adapter: new("BookingCom")}, nil, nil); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("change of adapter: %v, want a validation error", err)
		}

		de, err := h.st.DeactivateChannel(ctx, h.owner, ch.ID)
		if err != nil || de.IsActive || de.ExpectedRemovalDate == 0 || len(de.RatePlans) != 2 {
			t.Fatalf("deactivate = %+v, %v", de, err)
		}
		events, _, err := h.st.ListChannelEvents(ctx, h.owner, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || len(events) < 4 {
			t.Errorf("channel events = %d, %v; want created, activated, changed, deactivated", len(events), err)
		}
		if err := h.st.DeleteChannel(ctx, h.owner, ch.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ChannelByID(ctx, ch.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("deleted channel: %v, want not found", err)
		}
	})
}

func TestChannelScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		other, err := h.st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Other", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := h.st.CreateAPIKey(ctx, h.owner, "other only", false, []string{other.ID})
		if err != nil {
			t.Fatal(err)
		}
		restricted := &keycard.Principal{UserID: h.owner.UserID, OrganizationID: h.owner.OrganizationID, APIKeyID: key.ID,
			Permissions: keycard.PresetFull.Permissions}
		ch, err := newChannel(t, h, h.owner, "H1", mapping(h.a.ID, "DBL", "BAR", 2))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.Channel(ctx, restricted, ch.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("get by a key restricted to another property: %v, want not found", err)
		}
		list, total, err := h.st.ListChannels(ctx, restricted, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || total != 0 || len(list) != 0 {
			t.Errorf("list by the restricted key = %d of %d, %v; want none", len(list), total, err)
		}
		if err := h.st.DeleteChannel(ctx, restricted, ch.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("delete by the restricted key: %v, want not found", err)
		}
		if _, err := newChannel(t, h, restricted, "H9"); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("create for an out-of-reach property: %v, want not found", err)
		}
		readOnly := *h.owner
		readOnly.APIKeyID, readOnly.AllProperties, readOnly.Permissions = key.ID, true, keycard.PresetReadOnly.Permissions
		if _, err := h.st.DeactivateChannel(ctx, &readOnly, ch.ID); keycard.ErrorCode(err) != keycard.EForbidden {
			t.Errorf("deactivate by a read-only key: %v, want forbidden", err)
		}
		// A mapped rate plan of another property is refused.
		rt, err := h.st.CreateRoomType(ctx, h.owner, &keycard.RoomType{PropertyID: other.ID, Title: "Room", CountOfRooms: 1,
			OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
		if err != nil {
			t.Fatal(err)
		}
		occ, primary := 2, true
		rp, err := h.st.CreateRatePlan(ctx, h.owner, other.ID, &keycard.RatePlanChange{Title: new("Other BAR"), RoomTypeID: &rt.ID, OptionsSent: true,
			Options: []keycard.RateOptionChange{{Occupancy: &occ, IsPrimary: &primary, Rate: json.RawMessage(`"100"`)}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newChannel(t, h, h.owner, "H3", mapping(rp.ID, "DBL", "BAR", 2)); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("mapping another property's rate plan: %v, want a validation error", err)
		}
	})
}

func TestChannelRuleQueuesCells(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		ch, err := newChannel(t, h, h.owner, "H1", mapping(h.a.ID, "DBL", "BAR", 2))
		if err != nil {
			t.Fatal(err)
		}
		size := func() int {
			t.Helper()
			n, err := store.ChannelOutboxRows(ctx, h.st, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := size(); n != 0 {
			t.Fatalf("outbox of a new inactive channel = %d, want 0", n)
		}
		r := &keycard.ChannelAvailabilityRule{}
		if err := r.Apply(&keycard.ChannelRuleChange{PropertyID: &h.property, Title: new("Close"), Type: new(keycard.RuleCloseOut),
			StartDate: new(h.d0.String()), EndDateSent: true, EndDate: (h.d0 + 3).String(),
			AffectedChannels: &[]string{ch.ID}, AffectedRoomTypes: &[]string{h.rt}}, nil).Err(); err != nil {
			t.Fatal(err)
		}
		rule, err := h.st.CreateChannelRule(ctx, h.owner, r)
		if err != nil {
			t.Fatal(err)
		}
		if n := size(); n == 0 {
			t.Errorf("a rule on a mapped room type queued nothing")
		}
		// A change and a delete queue what the rule covered, in their own transactions.
		if _, err := h.st.UpdateChannelRule(ctx, h.owner, rule.ID, &keycard.ChannelRuleChange{AffectedRoomTypes: &[]string{h.rt2}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := h.st.DeleteChannelRule(ctx, h.owner, rule.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ChannelRule(ctx, h.owner, rule.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("deleted rule: %v, want not found", err)
		}
	})
}

// TestChannelEventsUseStoreClock: a full sync's channel event is stamped
// by the store's clock, as everything else the store records is, not by
// the machine's.
func TestChannelEventsUseStoreClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		r := newChannelRig(t, cfg)
		ctx := context.Background()
		at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
		store.SetNow(r.h.st, func() time.Time { return at })
		if err := r.h.st.QueueChannelFullSync(ctx, r.id); err != nil {
			t.Fatal(err)
		}
		events, _, err := r.h.st.ListChannelEvents(ctx, r.h.owner, keycard.ListQuery{Page: 1, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events {
			if e.Type == keycard.ChannelEventFullSync && e.CreatedAt.Equal(at) {
				found = true
			}
		}
		if !found {
			t.Errorf("no full_sync event stamped %s among %d events", at, len(events))
		}
	})
}
