package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// Session is a signed-in user's session.
type Session struct {
	Token        string    `json:"token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func (s *Session) UnmarshalJSON(b []byte) error {
	type plain Session
	return json.Unmarshal(b, &struct {
		*plain
		ExpiresAt timeField `json:"expires_at"`
	}{(*plain)(s), timeField{&s.ExpiresAt}})
}

// SignIn signs in with an email and password and returns the session; use
// its Token with WithToken.
func (c *Client) SignIn(ctx context.Context, email, password string) (*Session, error) {
	body := map[string]any{"user": map[string]string{"email": email, "password": password}}
	return one[Session](c, ctx, http.MethodPost, "/api/v1/sign_in", body)
}

// Property is a property's attributes.
type Property struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Currency     string   `json:"currency"`
	IsActive     bool     `json:"is_active"`
	Timezone     *string  `json:"timezone"`
	Email        *string  `json:"email"`
	Phone        *string  `json:"phone"`
	Address      *string  `json:"address"`
	City         *string  `json:"city"`
	State        *string  `json:"state"`
	ZipCode      *string  `json:"zip_code"`
	Country      *string  `json:"country"`
	Website      *string  `json:"website"`
	PropertyType *string  `json:"property_type"`
	LogoURL      *string  `json:"logo_url"`
	Longitude    *string  `json:"longitude"`
	Latitude     *string  `json:"latitude"`
	MinStayType  string   `json:"min_stay_type"`
	Facilities   []string `json:"facilities"`
	// HotelPolicyID names the property's hotel policy; nil for none.
	HotelPolicyID *string `json:"hotel_policy_id"`
	// DefaultTaxSetID names the tax set a new rate plan takes; nil for
	// none.
	DefaultTaxSetID *string           `json:"default_tax_set_id"`
	Content         PropertyContent   `json:"content"`
	Settings        *PropertySettings `json:"settings"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

func (p *Property) UnmarshalJSON(b []byte) error {
	type plain Property
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(p), timeField{&p.CreatedAt}, timeField{&p.UpdatedAt}})
}

// PropertyContent is a property's description and photos. When written,
// a nil member keeps its value; Photos, when not nil, replace the
// property's photos that have no room type (a photo keeps its id when
// given one).
type PropertyContent struct {
	Description          *string `json:"description,omitempty"`
	ImportantInformation *string `json:"important_information,omitempty"`
	Photos               []Photo `json:"photos,omitzero"`
}

// PropertySettings are a property's settings. They are written as a
// whole: a key left out takes its default. Money is a decimal string.
type PropertySettings struct {
	AllowAvailabilityAutoupdate               bool    `json:"allow_availability_autoupdate"`
	AllowAvailabilityAutoupdateOnConfirmation bool    `json:"allow_availability_autoupdate_on_confirmation"`
	AllowAvailabilityAutoupdateOnModification bool    `json:"allow_availability_autoupdate_on_modification"`
	AllowAvailabilityAutoupdateOnCancellation bool    `json:"allow_availability_autoupdate_on_cancellation"`
	MinStayType                               string  `json:"min_stay_type,omitempty"`
	MinPrice                                  *string `json:"min_price,omitempty"`
	MaxPrice                                  *string `json:"max_price,omitempty"`
	StateLength                               int     `json:"state_length,omitempty"`
	CutOffTime                                *string `json:"cut_off_time,omitempty"`
	CutOffDays                                *int    `json:"cut_off_days,omitempty"`
	MaxDayAdvance                             *int    `json:"max_day_advance,omitempty"`
}

// NewProperty is a property to create.
type NewProperty struct {
	Title    string `json:"title"`
	Currency string `json:"currency"`
	Timezone string `json:"timezone,omitempty"`
	GroupID  string `json:"group_id,omitempty"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Address  string `json:"address,omitempty"`
	City     string `json:"city,omitempty"`
	Country  string `json:"country,omitempty"`
	ZipCode  string `json:"zip_code,omitempty"`
}

// Properties iterates over the properties the credential reaches.
func (c *Client) Properties(ctx context.Context, opts ListOptions) iter.Seq2[*Property, error] {
	return ptrs(list[Property](c, ctx, "/api/v1/properties", opts))
}

// Property returns one property.
func (c *Client) Property(ctx context.Context, id string) (*Property, error) {
	return one[Property](c, ctx, http.MethodGet, "/api/v1/properties/"+pathID(id), nil)
}

// CreateProperty creates a property.
func (c *Client) CreateProperty(ctx context.Context, p NewProperty) (*Property, error) {
	return one[Property](c, ctx, http.MethodPost, "/api/v1/properties", map[string]any{"property": p})
}

// PropertyChange changes a property: nil fields are not sent and keep
// their values. A pointer to "" clears a text field.
type PropertyChange struct {
	Title        *string `json:"title,omitempty"`
	Currency     *string `json:"currency,omitempty"`
	IsActive     *bool   `json:"is_active,omitempty"`
	Timezone     *string `json:"timezone,omitempty"`
	Email        *string `json:"email,omitempty"`
	Phone        *string `json:"phone,omitempty"`
	Address      *string `json:"address,omitempty"`
	City         *string `json:"city,omitempty"`
	State        *string `json:"state,omitempty"`
	ZipCode      *string `json:"zip_code,omitempty"`
	Country      *string `json:"country,omitempty"`
	Website      *string `json:"website,omitempty"`
	PropertyType *string `json:"property_type,omitempty"`
	LogoURL      *string `json:"logo_url,omitempty"`
	Longitude    *string `json:"longitude,omitempty"`
	Latitude     *string `json:"latitude,omitempty"`
	// Facilities, when not nil, replace the property's facilities (ids of
	// the property facilities catalogue); an empty list removes them.
	Facilities      []string          `json:"facilities,omitzero"`
	HotelPolicyID   *string           `json:"hotel_policy_id,omitempty"`
	DefaultTaxSetID *string           `json:"default_tax_set_id,omitempty"`
	Content         *PropertyContent  `json:"content,omitempty"`
	Settings        *PropertySettings `json:"settings,omitempty"`
}

// UpdateProperty changes a property; the fields ch leaves nil keep their
// values.
func (c *Client) UpdateProperty(ctx context.Context, id string, ch PropertyChange) (*Property, error) {
	return one[Property](c, ctx, http.MethodPut, "/api/v1/properties/"+pathID(id), map[string]any{"property": ch})
}

// DeleteProperty deletes a property.
func (c *Client) DeleteProperty(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/properties/"+pathID(id), nil, nil, nil)
}

// Group is a group of properties.
type Group struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	IsDefault bool   `json:"is_default"`
	// Properties are the group's properties (those the credential
	// reaches), from the group's relationships.
	Properties []GroupProperty `json:"-"`
}

// GroupProperty is a property of a group.
type GroupProperty struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (g *Group) setRelationships(raw json.RawMessage) {
	var rel struct {
		Properties struct {
			Data []struct {
				ID         string        `json:"id"`
				Attributes GroupProperty `json:"attributes"`
			} `json:"data"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &rel) != nil {
		return
	}
	g.Properties = nil
	for _, p := range rel.Properties.Data {
		g.Properties = append(g.Properties, GroupProperty{ID: p.ID, Title: p.Attributes.Title})
	}
}

// Groups iterates over the groups the credential sees.
func (c *Client) Groups(ctx context.Context, opts ListOptions) iter.Seq2[*Group, error] {
	return ptrs(list[Group](c, ctx, "/api/v1/groups", opts))
}

// CreateGroup creates a group.
func (c *Client) CreateGroup(ctx context.Context, title string) (*Group, error) {
	return one[Group](c, ctx, http.MethodPost, "/api/v1/groups", map[string]any{"group": map[string]string{"title": title}})
}

// DeleteGroup deletes an empty group.
func (c *Client) DeleteGroup(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/groups/"+pathID(id), nil, nil, nil)
}

// RoomType is a room type's attributes.
type RoomType struct {
	ID               string          `json:"id"`
	Title            string          `json:"title"`
	CountOfRooms     int             `json:"count_of_rooms"`
	OccAdults        int             `json:"occ_adults"`
	OccChildren      int             `json:"occ_children"`
	OccInfants       int             `json:"occ_infants"`
	DefaultOccupancy int             `json:"default_occupancy"`
	RoomKind         string          `json:"room_kind"`
	Capacity         *int            `json:"capacity"`
	Position         int             `json:"position"`
	Facilities       []string        `json:"facilities"`
	Content          RoomTypeContent `json:"content"`
	CreatedAt        time.Time       `json:"created_at"`
	UpdatedAt        time.Time       `json:"updated_at"`
}

func (rt *RoomType) UnmarshalJSON(b []byte) error {
	type plain RoomType
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(rt), timeField{&rt.CreatedAt}, timeField{&rt.UpdatedAt}})
}

// RoomTypeContent is a room type's description and photos; written as
// PropertyContent is.
type RoomTypeContent struct {
	Description *string `json:"description,omitempty"`
	Photos      []Photo `json:"photos,omitzero"`
}

// RoomTypeChange changes a room type: nil fields are not sent and keep
// their values.
type RoomTypeChange struct {
	Title            *string `json:"title,omitempty"`
	CountOfRooms     *int    `json:"count_of_rooms,omitempty"`
	OccAdults        *int    `json:"occ_adults,omitempty"`
	OccChildren      *int    `json:"occ_children,omitempty"`
	OccInfants       *int    `json:"occ_infants,omitempty"`
	DefaultOccupancy *int    `json:"default_occupancy,omitempty"`
	RoomKind         *string `json:"room_kind,omitempty"`
	Capacity         *int    `json:"capacity,omitempty"`
	Position         *int    `json:"position,omitempty"`
	// Facilities, when not nil, replace the room type's facilities (ids
	// of the room facilities catalogue).
	Facilities []string         `json:"facilities,omitzero"`
	Content    *RoomTypeContent `json:"content,omitempty"`
}

// NewRoomType is a room type to create.
type NewRoomType struct {
	PropertyID       string `json:"property_id"`
	Title            string `json:"title"`
	CountOfRooms     int    `json:"count_of_rooms"`
	OccAdults        int    `json:"occ_adults"`
	OccChildren      int    `json:"occ_children"`
	OccInfants       int    `json:"occ_infants"`
	DefaultOccupancy int    `json:"default_occupancy"`
	RoomKind         string `json:"room_kind,omitempty"`
}

// RoomTypes iterates over room types; filter by "property_id".
func (c *Client) RoomTypes(ctx context.Context, opts ListOptions) iter.Seq2[*RoomType, error] {
	return ptrs(list[RoomType](c, ctx, "/api/v1/room_types", opts))
}

// RoomType returns one room type.
func (c *Client) RoomType(ctx context.Context, id string) (*RoomType, error) {
	return one[RoomType](c, ctx, http.MethodGet, "/api/v1/room_types/"+pathID(id), nil)
}

// CreateRoomType creates a room type.
func (c *Client) CreateRoomType(ctx context.Context, rt NewRoomType) (*RoomType, error) {
	return one[RoomType](c, ctx, http.MethodPost, "/api/v1/room_types", map[string]any{"room_type": rt})
}

// UpdateRoomType changes a room type; the fields ch leaves nil keep their
// values.
func (c *Client) UpdateRoomType(ctx context.Context, id string, ch RoomTypeChange) (*RoomType, error) {
	return one[RoomType](c, ctx, http.MethodPut, "/api/v1/room_types/"+pathID(id), map[string]any{"room_type": ch})
}

// DeleteRoomType deletes a room type and its rate plans.
func (c *Client) DeleteRoomType(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/room_types/"+pathID(id), nil, nil, nil)
}

// RateOption is one occupancy option of a rate plan. Rate is a decimal
// string when read ("100.00"); it may be written as minor units (an
// integer) or a decimal string.
type RateOption struct {
	ID        string `json:"id,omitempty"`
	Occupancy int    `json:"occupancy"`
	IsPrimary bool   `json:"is_primary"`
	Rate      any    `json:"rate,omitempty"`
}

// RatePlan is a rate plan's attributes. The restrictions by day of the
// week (MaxStay ... StopSell) hold seven values, Monday first.
type RatePlan struct {
	ID                string       `json:"id"`
	Title             string       `json:"title"`
	Currency          string       `json:"currency"`
	SellMode          string       `json:"sell_mode"`
	RateMode          string       `json:"rate_mode"`
	IsDerived         bool         `json:"is_derived"`
	Options           []RateOption `json:"options"`
	MealType          *string      `json:"meal_type"`
	ChildrenFee       string       `json:"children_fee"`
	InfantFee         string       `json:"infant_fee"`
	MaxStay           []int        `json:"max_stay"`
	MinStayArrival    []int        `json:"min_stay_arrival"`
	MinStayThrough    []int        `json:"min_stay_through"`
	ClosedToArrival   []bool       `json:"closed_to_arrival"`
	ClosedToDeparture []bool       `json:"closed_to_departure"`
	StopSell          []bool       `json:"stop_sell"`
	// TaxSetID is the plan's tax set, from its relationships; "" for
	// none.
	TaxSetID string `json:"-"`
	// CancellationPolicyID is the plan's cancellation policy; "" for
	// none.
	CancellationPolicyID string    `json:"cancellation_policy_id"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func (rp *RatePlan) UnmarshalJSON(b []byte) error {
	type plain RatePlan
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(rp), timeField{&rp.CreatedAt}, timeField{&rp.UpdatedAt}})
}

func (rp *RatePlan) setRelationships(raw json.RawMessage) {
	var rel struct {
		TaxSet struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		} `json:"tax_set"`
	}
	if json.Unmarshal(raw, &rel) == nil {
		rp.TaxSetID = rel.TaxSet.Data.ID
	}
}

// RatePlanChange changes a rate plan: nil fields are not sent and keep
// their values. Options, when not nil, replace the plan's options; the
// restrictions by day of the week take seven values, Monday first.
type RatePlanChange struct {
	Title             *string      `json:"title,omitempty"`
	SellMode          *string      `json:"sell_mode,omitempty"`
	RateMode          *string      `json:"rate_mode,omitempty"`
	MealType          *string      `json:"meal_type,omitempty"`
	Options           []RateOption `json:"options,omitzero"`
	ChildrenFee       *string      `json:"children_fee,omitempty"`
	InfantFee         *string      `json:"infant_fee,omitempty"`
	MaxStay           []int        `json:"max_stay,omitzero"`
	MinStayArrival    []int        `json:"min_stay_arrival,omitzero"`
	MinStayThrough    []int        `json:"min_stay_through,omitzero"`
	ClosedToArrival   []bool       `json:"closed_to_arrival,omitzero"`
	ClosedToDeparture []bool       `json:"closed_to_departure,omitzero"`
	StopSell          []bool       `json:"stop_sell,omitzero"`
	// TaxSetID names a tax set of the property; a pointer to "" takes the
	// plan's away.
	TaxSetID *string `json:"tax_set_id,omitempty"`
	// CancellationPolicyID names a cancellation policy of the property;
	// a pointer to "" takes the plan's away.
	CancellationPolicyID *string `json:"cancellation_policy_id,omitempty"`
}

// NewRatePlan is a rate plan to create.
type NewRatePlan struct {
	PropertyID       string       `json:"property_id"`
	RoomTypeID       string       `json:"room_type_id"`
	Title            string       `json:"title"`
	Currency         string       `json:"currency,omitempty"`
	SellMode         string       `json:"sell_mode,omitempty"`
	RateMode         string       `json:"rate_mode,omitempty"`
	ParentRatePlanID string       `json:"parent_rate_plan_id,omitempty"`
	Options          []RateOption `json:"options"`
}

// RatePlans iterates over rate plans; filter by "property_id".
func (c *Client) RatePlans(ctx context.Context, opts ListOptions) iter.Seq2[*RatePlan, error] {
	return ptrs(list[RatePlan](c, ctx, "/api/v1/rate_plans", opts))
}

// RatePlan returns one rate plan.
func (c *Client) RatePlan(ctx context.Context, id string) (*RatePlan, error) {
	return one[RatePlan](c, ctx, http.MethodGet, "/api/v1/rate_plans/"+pathID(id), nil)
}

// CreateRatePlan creates a rate plan.
func (c *Client) CreateRatePlan(ctx context.Context, rp NewRatePlan) (*RatePlan, error) {
	return one[RatePlan](c, ctx, http.MethodPost, "/api/v1/rate_plans", map[string]any{"rate_plan": rp})
}

// UpdateRatePlan changes a rate plan; the fields ch leaves nil keep their
// values.
func (c *Client) UpdateRatePlan(ctx context.Context, id string, ch RatePlanChange) (*RatePlan, error) {
	return one[RatePlan](c, ctx, http.MethodPut, "/api/v1/rate_plans/"+pathID(id), map[string]any{"rate_plan": ch})
}

// DeleteRatePlan deletes a rate plan.
func (c *Client) DeleteRatePlan(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/rate_plans/"+pathID(id), nil, nil, nil)
}

// Availability is one availability change: a room type's rooms to sell on
// Date, or on every day from DateFrom to DateTo (inclusive), optionally
// only on Days ("mo", "tu", ...).
type Availability struct {
	PropertyID   string   `json:"property_id"`
	RoomTypeID   string   `json:"room_type_id"`
	Date         string   `json:"date,omitempty"`
	DateFrom     string   `json:"date_from,omitempty"`
	DateTo       string   `json:"date_to,omitempty"`
	Days         []string `json:"days,omitempty"`
	Availability int      `json:"availability"`
}

// Restriction is one rates-and-restrictions change of a rate plan (or one
// of its options) over dates. Unset fields are left as they are.
type Restriction struct {
	PropertyID        string   `json:"property_id"`
	RatePlanID        string   `json:"rate_plan_id"`
	Date              string   `json:"date,omitempty"`
	DateFrom          string   `json:"date_from,omitempty"`
	DateTo            string   `json:"date_to,omitempty"`
	Days              []string `json:"days,omitempty"`
	Rate              any      `json:"rate,omitempty"`
	MinStayArrival    *int     `json:"min_stay_arrival,omitempty"`
	MinStayThrough    *int     `json:"min_stay_through,omitempty"`
	MaxStay           *int     `json:"max_stay,omitempty"`
	ClosedToArrival   *bool    `json:"closed_to_arrival,omitempty"`
	ClosedToDeparture *bool    `json:"closed_to_departure,omitempty"`
	StopSell          *bool    `json:"stop_sell,omitempty"`
}

// ARIResult is the answer to an ARI write: its tasks, and the changes the
// server refused, each echoed with a "warning" member of field ->
// messages. The others were applied.
type ARIResult struct {
	TaskIDs  []string
	Warnings []json.RawMessage
}

func (c *Client) writeARI(ctx context.Context, path string, values any) (*ARIResult, error) {
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Meta struct {
			Warnings []json.RawMessage `json:"warnings"`
		} `json:"meta"`
	}
	if err := c.do(ctx, http.MethodPost, path, nil, map[string]any{"values": values}, &out); err != nil {
		return nil, err
	}
	res := &ARIResult{Warnings: out.Meta.Warnings}
	for _, t := range out.Data {
		res.TaskIDs = append(res.TaskIDs, t.ID)
	}
	return res, nil
}

// UpdateAvailability writes availability changes, in order.
func (c *Client) UpdateAvailability(ctx context.Context, values []Availability) (*ARIResult, error) {
	return c.writeARI(ctx, "/api/v1/availability", values)
}

// UpdateRestrictions writes rate and restriction changes, in order.
func (c *Client) UpdateRestrictions(ctx context.Context, values []Restriction) (*ARIResult, error) {
	return c.writeARI(ctx, "/api/v1/restrictions", values)
}

// Availability reads a property's availability from one date to another
// (inclusive): room type id -> date -> rooms.
func (c *Client) Availability(ctx context.Context, propertyID, from, to string) (map[string]map[string]int, error) {
	q := url.Values{"filter[property_id]": {propertyID}, "filter[date][gte]": {from}, "filter[date][lte]": {to}}
	var out struct {
		Data map[string]map[string]int `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/availability", q, nil, &out)
	return out.Data, err
}

// Restrictions reads a property's rates and restrictions from one date to
// another (inclusive), the named ones ("rate", "stop_sell", ...): rate plan
// id -> date -> restriction -> value.
func (c *Client) Restrictions(ctx context.Context, propertyID, from, to string, names ...string) (map[string]map[string]map[string]any, error) {
	q := url.Values{"filter[property_id]": {propertyID}, "filter[date][gte]": {from}, "filter[date][lte]": {to}}
	if len(names) > 0 {
		list := names[0]
		for _, n := range names[1:] {
			list += "," + n
		}
		q.Set("filter[restrictions]", list)
	}
	var out struct {
		Data map[string]map[string]map[string]any `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/restrictions", q, nil, &out)
	return out.Data, err
}

// APIKey is an API key, as listed: never its secret, but for Key in the
// answer that creates it.
type APIKey struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	AccessAllProperties bool       `json:"access_all_properties"`
	PropertyIDs         []string   `json:"property_ids"`
	Status              string     `json:"status"`
	KeyHint             string     `json:"key_hint"`
	UserID              string     `json:"user_id"`
	UserEmail           string     `json:"user_email"`
	CreatedAt           time.Time  `json:"created_at"`
	LastUsedAt          *time.Time `json:"last_used_at"`
	WithdrawnAt         *time.Time `json:"withdrawn_at"`
	// ExpiresAt is when the key stops working; nil for never.
	ExpiresAt *time.Time `json:"expires_at"`
	// ReadOnly reports whether the key's permissions grant no write.
	ReadOnly bool `json:"read_only"`
	// Permissions are the key's level ("none", "read" or "write") in each
	// resource family; PermissionsPreset names the preset they equal
	// ("full", "read_only", "pms", "rms"), or is empty.
	Permissions       map[string]string `json:"permissions"`
	PermissionsPreset string            `json:"permissions_preset"`
	IPAllowlist       []string          `json:"ip_allowlist"`
	// PreviousKeyExpiresAt, after a roll, is when the old secret stops
	// working.
	PreviousKeyExpiresAt *time.Time `json:"previous_key_expires_at"`
	// External marks, in the billing owner's list, a key of a user from
	// another organisation that reaches some of this organisation's
	// properties (OrganizationPropertyIDs).
	External                bool       `json:"external"`
	OrganizationPropertyIDs []string   `json:"organization_property_ids"`
	BlockedBy               []KeyBlock `json:"blocked_by"`
	// Key is the secret: set only when the key was just created or rolled.
	Key string `json:"key,omitempty"`
}

func (k *APIKey) UnmarshalJSON(b []byte) error {
	type plain APIKey
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt            timeField    `json:"created_at"`
		LastUsedAt           optTimeField `json:"last_used_at"`
		WithdrawnAt          optTimeField `json:"withdrawn_at"`
		ExpiresAt            optTimeField `json:"expires_at"`
		PreviousKeyExpiresAt optTimeField `json:"previous_key_expires_at"`
	}{(*plain)(k), timeField{&k.CreatedAt}, optTimeField{&k.LastUsedAt}, optTimeField{&k.WithdrawnAt},
		optTimeField{&k.ExpiresAt}, optTimeField{&k.PreviousKeyExpiresAt}})
}

// KeyBlock is an organisation's block of a key for its properties.
type KeyBlock struct {
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	BlockedAt        time.Time `json:"blocked_at"`
}

func (kb *KeyBlock) UnmarshalJSON(b []byte) error {
	type plain KeyBlock
	return json.Unmarshal(b, &struct {
		*plain
		BlockedAt timeField `json:"blocked_at"`
	}{(*plain)(kb), timeField{&kb.BlockedAt}})
}

// NewAPIKey is an API key to create.
type NewAPIKey struct {
	Name                string   `json:"name"`
	AccessAllProperties bool     `json:"access_all_properties"`
	PropertyIDs         []string `json:"property_ids,omitempty"`
	// ExpiresAt is when the key stops working; the zero time for never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	ReadOnly  bool      `json:"read_only,omitempty"`
	// Permissions, when set, are the key's permissions; else it has full
	// access (or read only, with ReadOnly).
	Permissions *Permissions `json:"permissions,omitempty"`
	IPAllowlist []string     `json:"ip_allowlist,omitempty"`
}

// APIKeys iterates over the API keys the signed-in user manages. Keys are
// managed with a session (WithToken), never with a key.
func (c *Client) APIKeys(ctx context.Context, opts ListOptions) iter.Seq2[*APIKey, error] {
	return ptrs(list[APIKey](c, ctx, "/api/v1/api_keys", opts))
}

// APIKey returns one API key.
func (c *Client) APIKey(ctx context.Context, id string) (*APIKey, error) {
	return one[APIKey](c, ctx, http.MethodGet, "/api/v1/api_keys/"+pathID(id), nil)
}

// CreateAPIKey creates an API key; the answer's Key is the secret, shown
// this once.
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (*APIKey, error) {
	return one[APIKey](c, ctx, http.MethodPost, "/api/v1/api_keys", map[string]any{"api_key": k})
}

// WithdrawAPIKey withdraws an API key: it stops working at once.
func (c *Client) WithdrawAPIKey(ctx context.Context, id string) (*APIKey, error) {
	return one[APIKey](c, ctx, http.MethodPost, "/api/v1/api_keys/"+pathID(id)+"/withdraw", nil)
}

// ptrs turns an iterator of values into one of pointers to them.
func ptrs[T any](seq iter.Seq2[T, error]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for v, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&v, nil) {
				return
			}
		}
	}
}
