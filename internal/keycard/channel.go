package keycard

import (
	"encoding/json"
	"time"
)

// AdapterOpenChannel is the adapter code of an Open Channel connection, the
// one adapter keycard speaks: the protocol any OTA, booking engine or
// channel manager can implement to receive ARI and push bookings.
const AdapterOpenChannel = "OpenChannel"

// Channel sell modes, as a channel's mapping_details describes its plans.
const (
	ChannelPerRoom   = "per_room"
	ChannelPerPerson = "per_person"
)

// Channel push limits and defaults.
const (
	// ChannelHorizonDays is how many days from today a full sync covers,
	// and how far ahead any push reaches (the serve flag may change it).
	ChannelHorizonDays = 500
	// ChannelLogRetention is how long the channel log is kept (flag).
	ChannelLogRetention = 90 * 24 * time.Hour
	// ChannelRemovalDelay is how long after deactivation a channel is
	// scheduled for removal (expected_removal_date).
	ChannelRemovalDelay = 30 * 24 * time.Hour
)

// Channel is a connection through which keycard distributes one property's
// ARI to an OTA, a booking engine or another channel manager. It belongs to
// a group and covers one property. APIKey, the key keycard sends to the
// channel (header api-key), is held in clear only in memory: it is sealed
// in storage and never answered.
type Channel struct {
	ID         string
	GroupID    string
	PropertyID string
	// Adapter is the adapter code (the "channel" attribute).
	Adapter  string
	Title    string
	Currency string
	// The Open Channel settings.
	Endpoint  string
	HotelCode string
	APIKey    string
	// Settings holds every other settings key as sent.
	Settings map[string]json.RawMessage
	IsActive bool
	// ExpectedRemovalDate is set on deactivation, 0 otherwise.
	ExpectedRemovalDate Date
	// UserID and APIKeyID record who made the channel.
	UserID    string
	APIKeyID  string
	RatePlans []ChannelRatePlan
	// Push state, for the list and the UI.
	LastPushAt  time.Time
	LastError   string
	LastErrorAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// InboundAPIKey is the key the channel pushes bookings with (header
	// api-key), in clear only in the answer that issued it (create, or
	// roll_inbound_key): storage holds its SHA-256.
	InboundAPIKey string
}

// ChannelRatePlan maps one channel rate plan (its room type and rate plan
// codes, the ids of the channel's mapping_details) to a keycard rate plan
// and the occupancy whose rate is pushed. A per_person channel plan has one
// mapping per occupancy it sells.
type ChannelRatePlan struct {
	ID           string
	RatePlanID   string
	RoomTypeCode string
	RatePlanCode string
	Occupancy    int
	// Settings holds the mapping's settings as sent (derived_option and
	// any other key).
	Settings map[string]json.RawMessage
	// The channel's description of its plan, from its mapping_details.
	SellMode   string
	MaxPersons int
	ReadOnly   bool
	// ChannelCurrency is the currency the channel sells the plan in.
	ChannelCurrency string
}

// MappingDetails is what a channel answers to mapping_details: its room
// types, each with the rate plans it sells.
type MappingDetails struct {
	RoomTypes []MappingRoomType `json:"room_types"`
}

// MappingRoomType is one room type of a channel's mapping_details.
type MappingRoomType struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	RatePlans []MappingRatePlan `json:"rate_plans"`
}

// MappingRatePlan is one rate plan of a channel's mapping_details.
type MappingRatePlan struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	SellMode   string `json:"sell_mode"`
	MaxPersons int    `json:"max_persons"`
	Currency   string `json:"currency"`
	ReadOnly   bool   `json:"read_only"`
}

// Channel availability rule types.
const (
	RuleCloseOut           = "close_out"
	RuleAvailabilityOffset = "availability_offset"
	RuleMaxAvailability    = "max_availability"
)

// ChannelAvailabilityRule changes what some channels receive as the
// availability of some room types, on the dates from StartDate to EndDate
// (0: open-ended) that fall on Days.
type ChannelAvailabilityRule struct {
	ID          string
	PropertyID  string
	Title       string
	Type        string
	Value       int
	StartDate   Date
	EndDate     Date
	Days        Weekdays
	ChannelIDs  []string
	RoomTypeIDs []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ChannelEvent is one entry of a channel's history: a push (with the
// exchanges of its channel log), a failure, a change of mapping or state.
type ChannelEvent struct {
	ID         string
	ChannelID  string
	PropertyID string
	Type       string
	// Status is "ok", "failed", or for events that await a user "open"
	// and then "resolved".
	Status     string
	Payload    json.RawMessage
	UserID     string
	ResolvedAt time.Time
	CreatedAt  time.Time
}

// ChannelLog is one exchange with a channel: the request keycard sent and
// what came back.
type ChannelLog struct {
	ID             string
	ChannelID      string
	ChannelEventID string
	Method         string
	URL            string
	RequestID      string
	RequestBody    string
	Status         int
	ResponseBody   string
	Error          string
	Duration       time.Duration
	CreatedAt      time.Time
}
