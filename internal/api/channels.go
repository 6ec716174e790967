package api

import (
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
)

// channelRoutes registers the channel routes: the /channels resource with
// its actions and probes, the channel events (the channel log) and the
// channel availability rules. Everything is reached through the
// principal's properties.
func (s *Server) channelRoutes(mux *routeMux) {
	channels := keycard.FamilyChannels
	mux.Handle("GET /api/v1/channels", s.reads(channels, s.listChannels))
	mux.Handle("GET /api/v1/channels/options", s.reads(channels, s.channelOptions))
	mux.Handle("GET /api/v1/channels/list", s.reads(channels, s.channelAdapters))
	mux.Handle("GET /api/v1/channels/codes", s.reads(channels, s.channelCodes))
	mux.Handle("POST /api/v1/channels/test_connection", s.writes(channels, s.channelTestConnection))
	mux.Handle("POST /api/v1/channels/mapping_details", s.writes(channels, s.channelMappingDetails))
	mux.Handle("POST /api/v1/channels", s.writes(channels, s.createChannel))
	mux.Handle("GET /api/v1/channels/{id}", s.reads(channels, s.getChannel))
	mux.Handle("PUT /api/v1/channels/{id}", s.writes(channels, s.updateChannel))
	mux.Handle("DELETE /api/v1/channels/{id}", s.writes(channels, s.deleteChannel))
	mux.Handle("POST /api/v1/channels/{id}/activate", s.writes(channels, s.activateChannel))
	mux.Handle("POST /api/v1/channels/{id}/deactivate", s.writes(channels, s.deactivateChannel))
	mux.Handle("POST /api/v1/channels/{id}/check_readiness", s.writes(channels, s.checkChannelReadiness))
	mux.Handle("POST /api/v1/channels/{id}/full_sync", s.writes(channels, s.fullSyncChannel))
	mux.Handle("GET /api/v1/channels/{id}/logs", s.reads(channels, s.listChannelLogs))

	mux.Handle("GET /api/v1/channel_events", s.reads(channels, s.listChannelEvents))
	mux.Handle("GET /api/v1/channel_events/{id}", s.reads(channels, s.getChannelEvent))
	mux.Handle("GET /api/v1/channel_events/{id}/logs", s.reads(channels, s.listChannelEventLogs))

	mux.Handle("GET /api/v1/channel_availability_rules", s.reads(channels, s.listChannelRules))
	mux.Handle("POST /api/v1/channel_availability_rules", s.writes(channels, s.createChannelRule))
	mux.Handle("GET /api/v1/channel_availability_rules/{id}", s.reads(channels, s.getChannelRule))
	mux.Handle("PUT /api/v1/channel_availability_rules/{id}", s.writes(channels, s.updateChannelRule))
	mux.Handle("DELETE /api/v1/channel_availability_rules/{id}", s.writes(channels, s.deleteChannelRule))
}

type channelAttributes struct {
	ID                  string                      `json:"id"`
	Title               string                      `json:"title"`
	Channel             string                      `json:"channel"`
	Currency            *string                     `json:"currency"`
	IsActive            bool                        `json:"is_active"`
	Settings            map[string]json.RawMessage  `json:"settings"`
	RatePlans           []channelRatePlanAttributes `json:"rate_plans"`
	Properties          []string                    `json:"properties"`
	GroupID             string                      `json:"group_id"`
	Actions             []string                    `json:"actions"`
	ExpectedRemovalDate *string                     `json:"expected_removal_date"`
	LastPushAt          *string                     `json:"last_push_at"`
	LastError           *string                     `json:"last_error"`
	LastErrorAt         *string                     `json:"last_error_at"`
	InsertedAt          string                      `json:"inserted_at"`
	UpdatedAt           string                      `json:"updated_at"`
	// InboundAPIKey is shown once, in the answer to POST /channels.
	InboundAPIKey string `json:"inbound_api_key,omitempty"`
}

type channelRatePlanAttributes struct {
	ID         string                     `json:"id"`
	RatePlanID string                     `json:"rate_plan_id"`
	Settings   map[string]json.RawMessage `json:"settings"`
	// ChannelPlan is the channel's description of the plan, from its
	// mapping_details; null until keycard has read it.
	ChannelPlan *channelPlanAttributes `json:"channel_plan"`
}

type channelPlanAttributes struct {
	SellMode   string `json:"sell_mode"`
	MaxPersons int    `json:"max_persons"`
	ReadOnly   bool   `json:"read_only"`
	Currency   string `json:"currency"`
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// channelSettings returns the settings of c as answered: the API key is
// write-only, answered as keycard.MaskedValue when one is stored.
func channelSettings(c *keycard.Channel) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(c.Settings)+3)
	for k, v := range c.Settings {
		out[k] = v
	}
	out[keycard.SettingEndpoint] = jsonString(c.Endpoint)
	out[keycard.SettingHotelCode] = jsonString(c.HotelCode)
	if c.APIKey != "" {
		out[keycard.SettingAPIKey] = jsonString(keycard.MaskedValue)
	}
	return out
}

func channelResource(c *keycard.Channel, known []keycard.KnownMapping) resource {
	plans := make([]channelRatePlanAttributes, 0, len(c.RatePlans))
	for _, m := range c.RatePlans {
		settings := make(map[string]json.RawMessage, len(m.Settings)+3)
		for k, v := range m.Settings {
			settings[k] = v
		}
		settings[keycard.RateParamRoomTypeCode] = jsonString(m.RoomTypeCode)
		settings[keycard.RateParamRatePlanCode] = jsonString(m.RatePlanCode)
		occ, _ := json.Marshal(m.Occupancy)
		settings[keycard.RateParamOccupancy] = occ
		a := channelRatePlanAttributes{ID: m.ID, RatePlanID: m.RatePlanID, Settings: settings}
		if m.MaxPersons > 0 {
			a.ChannelPlan = &channelPlanAttributes{SellMode: m.SellMode, MaxPersons: m.MaxPersons, ReadOnly: m.ReadOnly, Currency: m.ChannelCurrency}
		}
		plans = append(plans, a)
	}
	attrs := channelAttributes{ID: c.ID, Title: c.Title, Channel: c.Adapter, Currency: nullable(c.Currency), IsActive: c.IsActive,
		Settings: channelSettings(c), RatePlans: plans, Properties: []string{c.PropertyID}, GroupID: c.GroupID, Actions: []string{},
		LastError: nullable(c.LastError), InsertedAt: timestamp(c.CreatedAt), UpdatedAt: timestamp(c.UpdatedAt),
		InboundAPIKey: c.InboundAPIKey}
	if c.ExpectedRemovalDate != 0 {
		d := c.ExpectedRemovalDate.String()
		attrs.ExpectedRemovalDate = &d
	}
	if !c.LastPushAt.IsZero() {
		attrs.LastPushAt = new(timestamp(c.LastPushAt))
	}
	if !c.LastErrorAt.IsZero() {
		attrs.LastErrorAt = new(timestamp(c.LastErrorAt))
	}
	rels := relationships{
		"group":      relation{ref{Type: "group", ID: c.GroupID}},
		"properties": relation{[]ref{{Type: "property", ID: c.PropertyID}}},
	}
	if known != nil {
		items := make([]ref, 0, len(known))
		for _, k := range known {
			items = append(items, ref{Type: "known_mapping", ID: k.ID, Attributes: knownMappingAttributes{
				ID: k.ID, Type: k.Type, RoomTypeCode: k.RoomTypeCode, RatePlanCode: k.RatePlanCode, RoomTypeID: k.RoomTypeID, RatePlanID: k.RatePlanID}})
		}
		rels["known_mappings"] = relation{items}
	}
	return resource{Type: "channel", ID: c.ID, Attributes: attrs, Relationships: rels}
}

type knownMappingAttributes struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	RoomTypeCode string `json:"room_type_code"`
	RatePlanCode string `json:"rate_plan_code"`
	RoomTypeID   string `json:"room_type_id"`
	RatePlanID   string `json:"rate_plan_id"`
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListChannels(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, c := range list {
		items = append(items, channelResource(c, nil))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) channelOptions(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	opts, err := s.store.ChannelOptions(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	warnIgnored(w, q)
	type attrs struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Channel string `json:"channel"`
	}
	items := make([]resource, 0, len(opts))
	for _, o := range opts {
		items = append(items, resource{Type: "channel", ID: o.ID, Attributes: attrs{o.ID, o.Title, o.Adapter}})
	}
	return writeData(w, http.StatusOK, items)
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	c, err := s.store.Channel(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	known, err := s.store.ChannelKnownMappings(r.Context(), p, c.ID)
	if err != nil {
		return err
	}
	if known == nil {
		known = []keycard.KnownMapping{}
	}
	return s.writeRelated(w, r, http.StatusOK, channelResource(c, known))
}

// channelChange decodes a channel body into a change, typed but not
// judged (keycard's Channel.Apply does that), recording type errors in
// f.errs. is_active is read-only and ignored, as Channex ignores it.
func channelChange(f *fields) *keycard.ChannelChange {
	c := &keycard.ChannelChange{Adapter: f.strPtr("channel"), GroupID: f.strPtrOrEmpty("group_id"), Title: f.strPtrOrEmpty("title"),
		Currency: f.strPtrOrEmpty("currency")}
	c.PropertiesSent = f.stringList("properties", &c.Properties)
	if raw, ok := f.get("settings"); ok {
		c.SettingsSent = true
		if !isNull(raw) && json.Unmarshal(raw, &c.Settings) != nil {
			f.fail("settings", "must be an object")
		}
	}
	if raw, ok := f.get("rate_plans"); ok {
		c.RatePlansSent = true
		var items []struct {
			RatePlanID string          `json:"rate_plan_id"`
			Settings   json.RawMessage `json:"settings"`
		}
		if !isNull(raw) && json.Unmarshal(raw, &items) != nil {
			f.fail("rate_plans", "must be a list of {rate_plan_id, settings}")
			return c
		}
		for _, it := range items {
			m := keycard.ChannelRatePlanChange{RatePlanID: it.RatePlanID}
			if len(it.Settings) == 0 || isNull(it.Settings) {
				m.Removed = true
			} else if json.Unmarshal(it.Settings, &m.Settings) != nil {
				f.fail("rate_plans", "settings must be an object")
			}
			c.RatePlans = append(c.RatePlans, m)
		}
	}
	return c
}

// checkEndpoint refuses an endpoint that points to a private,
// special-purpose or this server's own address (unless the server allows
// them), recording it in errs.
func (s *Server) checkEndpoint(r *http.Request, endpoint string, errs keycard.FieldErrors) {
	if errs.Has("settings.endpoint") || keycard.CheckChannelEndpoint(endpoint) != "" {
		return
	}
	if err := s.channels.CheckEndpoint(r.Context(), endpoint); err != nil {
		errs.Add("settings.endpoint", "is refused: "+err.Error())
	}
}

// liveMapping returns the channel's mapping_details as it answers now,
// or nil when it does not answer.
func (s *Server) liveMapping(r *http.Request, c *keycard.Channel) *keycard.MappingDetails {
	if keycard.CheckChannelEndpoint(c.Endpoint) != "" {
		return nil
	}
	md, _, _, err := s.channels.MappingDetails(r.Context(), connOf(c))
	if err != nil {
		return nil
	}
	return md
}

func connOf(c *keycard.Channel) openchannel.Conn {
	return openchannel.Conn{Endpoint: c.Endpoint, APIKey: c.APIKey, HotelCode: c.HotelCode}
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "channel")
	if err != nil {
		return err
	}
	for _, name := range []string{"channel", "settings"} {
		if !f.has(name) || isNull(f.raw(name)) {
			f.errs.Add(name, "can't be blank")
		}
	}
	if !f.has("properties") {
		f.errs.Add("properties", "can't be blank: name the one property the channel covers")
	}
	c := &keycard.Channel{}
	fe := c.Apply(channelChange(f), f.errs)
	s.checkEndpoint(r, c.Endpoint, fe)
	if err := fe.Err(); err != nil {
		return err
	}
	var md *keycard.MappingDetails
	if len(c.RatePlans) > 0 {
		md = s.liveMapping(r, c)
	}
	out, err := s.store.CreateChannel(r.Context(), principal(r), c, md)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, channelResource(out, nil))
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "channel")
	if err != nil {
		return err
	}
	p := principal(r)
	c := channelChange(f)
	// The new settings are checked, and the channel asked for its plans,
	// before the transaction: both may take a while.
	var md *keycard.MappingDetails
	if c.SettingsSent || c.RatePlansSent {
		cur, err := s.store.Channel(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		errs := cur.Apply(c, f.errs.Clone())
		if c.SettingsSent {
			s.checkEndpoint(r, cur.Endpoint, f.errs)
		}
		if c.RatePlansSent && errs.Err() == nil && len(cur.RatePlans) > 0 {
			md = s.liveMapping(r, cur)
		}
	}
	out, err := s.store.UpdateChannel(r.Context(), p, r.PathValue("id"), c, f.errs, md)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, channelResource(out, nil))
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteChannel(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

func writeMessage(w http.ResponseWriter, msg string) error {
	writeJSON(w, http.StatusOK, struct {
		Meta messageMeta `json:"meta"`
	}{messageMeta{msg}})
	return nil
}
