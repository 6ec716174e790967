package keycard

import (
	"encoding/json"
	"testing"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestChannelApply(t *testing.T) {
	const prop = "11111111-1111-4111-8111-111111111111"
	const plan = "22222222-2222-4222-8222-222222222222"
	settings := func(endpoint, key string) map[string]json.RawMessage {
		return map[string]json.RawMessage{"endpoint": raw(`"` + endpoint + `"`), "api_key": raw(`"` + key + `"`), "hotel_code": raw(`"H1"`)}
	}
	mapping := func(occ string) ChannelRatePlanChange {
		return ChannelRatePlanChange{RatePlanID: plan, Settings: map[string]json.RawMessage{
			"room_type_code": raw(`"DBL"`), "rate_plan_code": raw(`"BAR"`), "occupancy": raw(occ), "primary_occ": raw(`true`)}}
	}
	base := func() *ChannelChange {
		return &ChannelChange{Adapter: new(AdapterOpenChannel), PropertiesSent: true, Properties: []string{prop},
			SettingsSent: true, Settings: settings("https://ota.example/api", "k1")}
	}
	for _, tc := range []struct {
		name    string
		change  func(c *ChannelChange)
		field   string // the field that must be wrong; "" for none
		wantKey string
	}{
		{name: "valid", change: func(c *ChannelChange) {}, wantKey: "k1"},
		{name: "another adapter", change: func(c *ChannelChange) { c.Adapter = new("AirBNB") }, field: "channel"},
		{name: "two properties", change: func(c *ChannelChange) { c.Properties = []string{prop, plan} }, field: "properties"},
		{name: "no property", change: func(c *ChannelChange) { c.PropertiesSent, c.Properties = false, nil }, field: "properties"},
		{name: "a relative endpoint", change: func(c *ChannelChange) { c.Settings = settings("/api", "k") }, field: "settings.endpoint"},
		{name: "an endpoint with a query", change: func(c *ChannelChange) { c.Settings = settings("https://x.example/?a=1", "k") }, field: "settings.endpoint"},
		{name: "no hotel code", change: func(c *ChannelChange) { delete(c.Settings, "hotel_code") }, field: "settings.hotel_code"},
		{name: "an api key that is not a string", change: func(c *ChannelChange) { c.Settings["api_key"] = raw(`5`) }, field: "settings.api_key"},
		{name: "a bad currency", change: func(c *ChannelChange) { c.Currency = new("EURO") }, field: "currency"},
		{name: "a mapping", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{mapping(`2`)}
		}, wantKey: "k1"},
		{name: "an occupancy as a string", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{mapping(`"2"`)}
		}, wantKey: "k1"},
		{name: "occupancy 0", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{mapping(`0`)}
		}, field: "rate_plans.0.settings.occupancy"},
		{name: "the same mapping twice", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{mapping(`2`), mapping(`2`)}
		}, field: "rate_plans.1"},
		{name: "a mapping without codes", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{{RatePlanID: plan, Settings: map[string]json.RawMessage{"occupancy": raw(`2`)}}}
		}, field: "rate_plans.0.settings.room_type_code"},
		{name: "a removed mapping is left out", change: func(c *ChannelChange) {
			c.RatePlansSent, c.RatePlans = true, []ChannelRatePlanChange{{RatePlanID: "junk", Removed: true}}
		}, wantKey: "k1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.change(c)
			ch := &Channel{}
			errs := ch.Apply(c, nil)
			if tc.field == "" {
				if err := errs.Err(); err != nil {
					t.Fatalf("Apply: %v, want no error", errs)
				}
				if ch.APIKey != tc.wantKey {
					t.Errorf("api key = %q, want %q", ch.APIKey, tc.wantKey)
				}
				return
			}
			if !errs.Has(tc.field) {
				t.Errorf("errors = %v, want one for %s", errs, tc.field)
			}
		})
	}
}

func TestChannelSettingsReplaceAsAWhole(t *testing.T) {
	ch := &Channel{ID: "x", Adapter: AdapterOpenChannel, PropertyID: "11111111-1111-4111-8111-111111111111",
		Endpoint: "https://a.example/", HotelCode: "H", APIKey: "old", Settings: map[string]json.RawMessage{"extra": raw(`1`)}}
	errs := ch.Apply(&ChannelChange{Adapter: new(AdapterOpenChannel), SettingsSent: true,
		Settings: map[string]json.RawMessage{"endpoint": raw(`"https://b.example/"`), "api_key": raw(`"***"`), "hotel_code": raw(`"H"`)}}, nil)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	if ch.APIKey != "old" || ch.Endpoint != "https://b.example/" || len(ch.Settings) != 0 {
		t.Errorf("after a masked key: key %q, endpoint %q, settings %v; want the old key, the new endpoint, no extra", ch.APIKey, ch.Endpoint, ch.Settings)
	}
	ch.Apply(&ChannelChange{Adapter: new(AdapterOpenChannel), SettingsSent: true,
		Settings: map[string]json.RawMessage{"endpoint": raw(`"https://b.example/"`), "hotel_code": raw(`"H"`)}}, nil)
	if ch.APIKey != "" {
		t.Errorf("settings without api_key left key %q, want none", ch.APIKey)
	}
	if errs := ch.Apply(&ChannelChange{Adapter: new("Other")}, nil); !errs.Has("channel") {
		t.Errorf("a change of adapter: %v, want an error on channel", errs)
	}
}

func TestChannelSnapshot(t *testing.T) {
	ch := &Channel{RatePlans: []ChannelRatePlan{{RoomTypeCode: "DBL", RatePlanCode: "PP", Occupancy: 4}, {RoomTypeCode: "DBL", RatePlanCode: "GONE"}}}
	md := &MappingDetails{RoomTypes: []MappingRoomType{{ID: "DBL", RatePlans: []MappingRatePlan{{ID: "PP", SellMode: ChannelPerPerson, MaxPersons: 3, Currency: "eur"}}}}}
	errs := ch.Snapshot(md)
	if !errs.Has("rate_plans.0.settings.occupancy") || !errs.Has("rate_plans.1.settings") {
		t.Errorf("Snapshot errors = %v, want occupancy above max_persons and an unknown plan", errs)
	}
	if m := ch.RatePlans[0]; m.SellMode != ChannelPerPerson || m.MaxPersons != 3 || m.ChannelCurrency != "EUR" {
		t.Errorf("snapshot = %+v", m)
	}
	if ch.Snapshotted() {
		t.Errorf("Snapshotted with an unknown plan, want false")
	}
}

func TestChannelRuleApply(t *testing.T) {
	const prop = "11111111-1111-4111-8111-111111111111"
	ids := []string{"22222222-2222-4222-8222-222222222222"}
	for _, tc := range []struct {
		name  string
		c     ChannelRuleChange
		field string
	}{
		{"valid", ChannelRuleChange{Title: new("t"), Type: new(RuleCloseOut), StartDate: new("2030-01-01")}, ""},
		{"no title", ChannelRuleChange{Type: new(RuleCloseOut), StartDate: new("2030-01-01")}, "title"},
		{"bad type", ChannelRuleChange{Title: new("t"), Type: new("x"), StartDate: new("2030-01-01")}, "type"},
		{"negative value", ChannelRuleChange{Title: new("t"), Type: new(RuleMaxAvailability), Value: new(-1), StartDate: new("2030-01-01")}, "value"},
		{"end before start", ChannelRuleChange{Title: new("t"), Type: new(RuleCloseOut), StartDate: new("2030-01-02"), EndDateSent: true, EndDate: "2030-01-01"}, "end_date"},
		{"bad day", ChannelRuleChange{Title: new("t"), Type: new(RuleCloseOut), StartDate: new("2030-01-01"), Days: &[]string{"xx"}}, "days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.PropertyID, c.AffectedChannels, c.AffectedRoomTypes = new(prop), &ids, &ids
			r := &ChannelAvailabilityRule{}
			errs := r.Apply(&c, nil)
			if tc.field == "" && errs.Err() != nil || tc.field != "" && !errs.Has(tc.field) {
				t.Errorf("errors = %v, want one for %q", errs, tc.field)
			}
			if tc.field == "" && r.Days != EveryDay {
				t.Errorf("days = %b, want every day", r.Days)
			}
		})
	}
}
