package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// AdapterOpenChannel is the adapter code of an Open Channel connection,
// the one kind of channel keycard speaks.
const AdapterOpenChannel = "OpenChannel"

// Channel is a connection through which keycard sends one property's
// availability, rates and restrictions to an OTA or booking engine.
type Channel struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Channel  string `json:"channel"`
	Currency string `json:"currency"`
	IsActive bool   `json:"is_active"`
	// Settings holds endpoint, hotel_code and any other key; api_key is
	// write-only, read back as "***" when one is stored.
	Settings   map[string]any    `json:"settings"`
	RatePlans  []ChannelRatePlan `json:"rate_plans"`
	Properties []string          `json:"properties"`
	GroupID    string            `json:"group_id"`
	// ExpectedRemovalDate is set (YYYY-MM-DD) while the channel is
	// deactivated.
	ExpectedRemovalDate string    `json:"expected_removal_date"`
	LastPushAt          time.Time `json:"-"`
	LastError           string    `json:"last_error"`
	CreatedAt           time.Time `json:"-"`
	UpdatedAt           time.Time `json:"-"`
	// KnownMappings are the channel code pairs keycard can read in
	// incoming bookings; only Channel (one channel) fills them.
	KnownMappings []KnownMapping `json:"-"`
}

// ChannelRatePlan maps a channel rate plan to a keycard rate plan.
type ChannelRatePlan struct {
	ID         string `json:"id"`
	RatePlanID string `json:"rate_plan_id"`
	// Settings holds room_type_code and rate_plan_code (the channel's ids
	// from its mapping_details), occupancy (the keycard occupancy whose
	// rate is pushed) and any other key.
	Settings map[string]any `json:"settings"`
	// ChannelPlan is the channel's own description of the plan, nil
	// until keycard has read it.
	ChannelPlan *ChannelPlan `json:"channel_plan"`
}

// ChannelPlan is how a channel describes one of its rate plans.
type ChannelPlan struct {
	SellMode   string `json:"sell_mode"`
	MaxPersons int    `json:"max_persons"`
	ReadOnly   bool   `json:"read_only"`
	Currency   string `json:"currency"`
}

// KnownMapping is a pair of channel codes and the keycard room type and
// rate plan they stand for.
type KnownMapping struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	RoomTypeCode string `json:"room_type_code"`
	RatePlanCode string `json:"rate_plan_code"`
	RoomTypeID   string `json:"room_type_id"`
	RatePlanID   string `json:"rate_plan_id"`
}

func (ch *Channel) UnmarshalJSON(b []byte) error {
	type plain Channel
	return json.Unmarshal(b, &struct {
		*plain
		LastPushAt timeField `json:"last_push_at"`
		CreatedAt  timeField `json:"inserted_at"`
		UpdatedAt  timeField `json:"updated_at"`
	}{(*plain)(ch), timeField{&ch.LastPushAt}, timeField{&ch.CreatedAt}, timeField{&ch.UpdatedAt}})
}

func (ch *Channel) setRelationships(raw json.RawMessage) {
	var rels struct {
		KnownMappings struct {
			Data []struct {
				Attributes KnownMapping `json:"attributes"`
			} `json:"data"`
		} `json:"known_mappings"`
	}
	if json.Unmarshal(raw, &rels) != nil {
		return
	}
	for _, d := range rels.KnownMappings.Data {
		ch.KnownMappings = append(ch.KnownMappings, d.Attributes)
	}
}

// OpenChannelSettings are the settings of an Open Channel connection.
type OpenChannelSettings struct {
	// Endpoint is where keycard calls the channel: test_connection/,
	// mapping_details/ and changes/ under it.
	Endpoint string
	// APIKey is sent in the api-key header ("" sends none); "***" on an
	// update keeps the stored key.
	APIKey    string
	HotelCode string
}

func (s OpenChannelSettings) body() map[string]any {
	return map[string]any{"endpoint": s.Endpoint, "api_key": s.APIKey, "hotel_code": s.HotelCode}
}

// Mapping maps a channel rate plan (its codes from the channel's
// mapping_details) to a keycard rate plan and the occupancy whose rate is
// pushed. A per-person channel plan takes one Mapping per occupancy.
type Mapping struct {
	RatePlanID   string
	RoomTypeCode string
	RatePlanCode string
	Occupancy    int
}

func mappingsBody(ms []Mapping) []map[string]any {
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		out = append(out, map[string]any{"rate_plan_id": m.RatePlanID, "settings": map[string]any{
			"room_type_code": m.RoomTypeCode, "rate_plan_code": m.RatePlanCode, "occupancy": m.Occupancy}})
	}
	return out
}

// NewChannel is an Open Channel connection to create; it starts inactive.
type NewChannel struct {
	Title      string
	PropertyID string
	// GroupID is a group holding the property; "" picks one.
	GroupID   string
	Settings  OpenChannelSettings
	RatePlans []Mapping
}

// ChannelChange changes a channel: nil fields are not sent and keep their
// values; Settings and RatePlans, when set, replace the channel's as a
// whole.
type ChannelChange struct {
	Title     *string
	Settings  *OpenChannelSettings
	RatePlans *[]Mapping
}

// Channels iterates over the channels of the properties the credential
// reaches; filter by "property_id", "is_active", "room_type_id", ...
func (c *Client) Channels(ctx context.Context, opts ListOptions) iter.Seq2[*Channel, error] {
	return ptrs(list[Channel](c, ctx, "/api/v1/channels", opts))
}

// Channel returns one channel, with its known mappings.
func (c *Client) Channel(ctx context.Context, id string) (*Channel, error) {
	return one[Channel](c, ctx, http.MethodGet, "/api/v1/channels/"+pathID(id), nil)
}

// CreateChannel creates an Open Channel connection, inactive.
func (c *Client) CreateChannel(ctx context.Context, ch NewChannel) (*Channel, error) {
	m := map[string]any{"channel": AdapterOpenChannel, "properties": []string{ch.PropertyID}, "settings": ch.Settings.body(),
		"rate_plans": mappingsBody(ch.RatePlans)}
	if ch.Title != "" {
		m["title"] = ch.Title
	}
	if ch.GroupID != "" {
		m["group_id"] = ch.GroupID
	}
	return one[Channel](c, ctx, http.MethodPost, "/api/v1/channels", map[string]any{"channel": m})
}

// UpdateChannel changes a channel; an active channel is then synced in
// full.
func (c *Client) UpdateChannel(ctx context.Context, id string, ch ChannelChange) (*Channel, error) {
	m := map[string]any{"channel": AdapterOpenChannel}
	if ch.Title != nil {
		m["title"] = *ch.Title
	}
	if ch.Settings != nil {
		m["settings"] = ch.Settings.body()
	}
	if ch.RatePlans != nil {
		m["rate_plans"] = mappingsBody(*ch.RatePlans)
	}
	return one[Channel](c, ctx, http.MethodPut, "/api/v1/channels/"+pathID(id), map[string]any{"channel": m})
}

// DeleteChannel deletes an inactive channel with its mappings and log.
func (c *Client) DeleteChannel(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/channels/"+pathID(id), nil, nil, nil)
}

func (c *Client) channelAction(ctx context.Context, id, action string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/channels/"+pathID(id)+"/"+action, nil, nil, nil)
}

// ActivateChannel turns a channel on, reading its mapping_details afresh,
// and queues a full sync.
func (c *Client) ActivateChannel(ctx context.Context, id string) error {
	return c.channelAction(ctx, id, "activate")
}

// DeactivateChannel turns a channel off; its mappings stay.
func (c *Client) DeactivateChannel(ctx context.Context, id string) error {
	return c.channelAction(ctx, id, "deactivate")
}

// FullSyncChannel queues a full sync of an active channel.
func (c *Client) FullSyncChannel(ctx context.Context, id string) error {
	return c.channelAction(ctx, id, "full_sync")
}

// ReadinessError is one reason a channel cannot be activated.
type ReadinessError struct {
	Entity    string `json:"entity"`
	Relation  string `json:"relation"`
	ErrorCode string `json:"error_code"`
}

// ChannelReadiness returns why a channel cannot be activated; none means
// it is ready.
func (c *Client) ChannelReadiness(ctx context.Context, id string) ([]ReadinessError, error) {
	var out struct {
		Data []ReadinessError `json:"data"`
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/channels/"+pathID(id)+"/check_readiness", nil, nil, &out)
	return out.Data, err
}

// ProbeResult is what a channel said to a probe: Success, or Errors.
type ProbeResult struct {
	Success bool   `json:"success"`
	Errors  string `json:"errors"`
}

// TestChannelConnection asks the channel described by settings whether it
// accepts the connection. A refusal is a result, not an error.
func (c *Client) TestChannelConnection(ctx context.Context, settings OpenChannelSettings) (*ProbeResult, error) {
	return c.probe(ctx, map[string]any{"channel": AdapterOpenChannel, "settings": settings.body()})
}

// TestSavedChannel asks a saved channel whether it accepts the
// connection, with its stored settings; the exchange is kept in its log.
func (c *Client) TestSavedChannel(ctx context.Context, id string) (*ProbeResult, error) {
	return c.probe(ctx, map[string]any{"channel_id": id})
}

func (c *Client) probe(ctx context.Context, body any) (*ProbeResult, error) {
	var out struct {
		Data ProbeResult `json:"data"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/channels/test_connection", nil, body, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// MappingDetails is a channel's description of its room types and rate
// plans.
type MappingDetails struct {
	RoomTypes []struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		RatePlans []struct {
			ID         string `json:"id"`
			Title      string `json:"title"`
			SellMode   string `json:"sell_mode"`
			MaxPersons int    `json:"max_persons"`
			Currency   string `json:"currency"`
			ReadOnly   bool   `json:"read_only"`
		} `json:"rate_plans"`
	} `json:"room_types"`
}

// ChannelMappingDetails reads the room types and rate plans of the channel
// described by settings. A channel that refuses gives a ProbeResult with
// its reason and nil details.
func (c *Client) ChannelMappingDetails(ctx context.Context, settings OpenChannelSettings) (*MappingDetails, *ProbeResult, error) {
	var out struct {
		Data struct {
			Attributes *MappingDetails `json:"attributes"`
			ProbeResult
		} `json:"data"`
	}
	body := map[string]any{"channel": AdapterOpenChannel, "settings": settings.body()}
	if err := c.do(ctx, http.MethodPost, "/api/v1/channels/mapping_details", nil, body, &out); err != nil {
		return nil, nil, err
	}
	if out.Data.Attributes == nil {
		return nil, &out.Data.ProbeResult, nil
	}
	return out.Data.Attributes, &ProbeResult{Success: true}, nil
}

// ChannelEvent is one entry of a channel's history.
type ChannelEvent struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	Status     string          `json:"status"`
	ChannelID  string          `json:"channel_id"`
	PropertyID string          `json:"property_id"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"-"`
}

func (e *ChannelEvent) UnmarshalJSON(b []byte) error {
	type plain ChannelEvent
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"inserted_at"`
	}{(*plain)(e), timeField{&e.CreatedAt}})
}

// ChannelLog is one exchange with a channel.
type ChannelLog struct {
	ID           string  `json:"id"`
	Method       string  `json:"method"`
	URL          string  `json:"url"`
	RequestID    string  `json:"request_id"`
	RequestBody  string  `json:"request_body"`
	StatusCode   int     `json:"status_code"`
	ResponseBody string  `json:"response_body"`
	Error        string  `json:"error"`
	DurationMS   float64 `json:"duration_ms"`
}

// ChannelEvents iterates over the events of the channels the credential
// reaches, newest first; filter by "channel_id", "event", "status".
func (c *Client) ChannelEvents(ctx context.Context, opts ListOptions) iter.Seq2[*ChannelEvent, error] {
	return ptrs(list[ChannelEvent](c, ctx, "/api/v1/channel_events", opts))
}

// ChannelEventLogs iterates over the exchanges of one channel event.
func (c *Client) ChannelEventLogs(ctx context.Context, eventID string, opts ListOptions) iter.Seq2[*ChannelLog, error] {
	return ptrs(list[ChannelLog](c, ctx, "/api/v1/channel_events/"+pathID(eventID)+"/logs", opts))
}

// ChannelLogs iterates over the exchanges with a channel, newest first.
func (c *Client) ChannelLogs(ctx context.Context, channelID string, opts ListOptions) iter.Seq2[*ChannelLog, error] {
	return ptrs(list[ChannelLog](c, ctx, "/api/v1/channels/"+pathID(channelID)+"/logs", opts))
}

// ChannelRule is a channel availability rule: what some channels receive
// as the availability of some room types.
type ChannelRule struct {
	ID                string   `json:"id"`
	PropertyID        string   `json:"property_id"`
	Title             string   `json:"title"`
	Type              string   `json:"type"`
	Value             int      `json:"value"`
	StartDate         string   `json:"start_date"`
	EndDate           string   `json:"end_date"`
	Days              []string `json:"days"`
	AffectedChannels  []string `json:"affected_channels"`
	AffectedRoomTypes []string `json:"affected_room_types"`
}

// Channel availability rule types.
const (
	RuleCloseOut           = "close_out"
	RuleAvailabilityOffset = "availability_offset"
	RuleMaxAvailability    = "max_availability"
)

func (r ChannelRule) body() map[string]any {
	m := map[string]any{"property_id": r.PropertyID, "title": r.Title, "type": r.Type, "value": r.Value,
		"start_date": r.StartDate, "end_date": r.EndDate, "affected_channels": r.AffectedChannels,
		"affected_room_types": r.AffectedRoomTypes}
	if r.Days != nil {
		m["days"] = r.Days
	}
	return map[string]any{"channel_availability_rule": m}
}

// ChannelRules iterates over the rules of the properties the credential
// reaches; filter by "property_id".
func (c *Client) ChannelRules(ctx context.Context, opts ListOptions) iter.Seq2[*ChannelRule, error] {
	return ptrs(list[ChannelRule](c, ctx, "/api/v1/channel_availability_rules", opts))
}

// ChannelRule returns one rule.
func (c *Client) ChannelRule(ctx context.Context, id string) (*ChannelRule, error) {
	return one[ChannelRule](c, ctx, http.MethodGet, "/api/v1/channel_availability_rules/"+pathID(id), nil)
}

// CreateChannelRule creates a rule (ID is ignored); the cells it changes
// are pushed to its channels.
func (c *Client) CreateChannelRule(ctx context.Context, r ChannelRule) (*ChannelRule, error) {
	return one[ChannelRule](c, ctx, http.MethodPost, "/api/v1/channel_availability_rules", r.body())
}

// UpdateChannelRule replaces a rule's values with r's (its property
// stays).
func (c *Client) UpdateChannelRule(ctx context.Context, id string, r ChannelRule) (*ChannelRule, error) {
	return one[ChannelRule](c, ctx, http.MethodPut, "/api/v1/channel_availability_rules/"+pathID(id), r.body())
}

// DeleteChannelRule deletes a rule.
func (c *Client) DeleteChannelRule(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/channel_availability_rules/"+pathID(id), nil, nil, nil)
}
