package keycard

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// The settings keys of the OpenChannel adapter (its params), and the keys
// of a mapping's settings (its rate_params).
const (
	SettingEndpoint  = "endpoint"
	SettingAPIKey    = "api_key"
	SettingHotelCode = "hotel_code"

	RateParamRoomTypeCode = "room_type_code"
	RateParamRatePlanCode = "rate_plan_code"
	RateParamOccupancy    = "occupancy"
)

// MaxChannelMappings bounds the mappings of one channel.
const MaxChannelMappings = 500

// ChannelChange is a channel as a client sends it (a new one or a change
// to one), decoded into types but not yet judged: a nil pointer, or a false
// ...Sent, is a member the body did not have. Channel.Apply holds the
// rules.
type ChannelChange struct {
	Adapter  *string
	GroupID  *string
	Title    *string
	Currency *string
	// Properties, when sent, names the one property the channel covers.
	PropertiesSent bool
	Properties     []string
	// Settings, when sent, replaces the channel's settings as a whole;
	// an api_key sent as MaskedValue keeps the stored one.
	SettingsSent bool
	Settings     map[string]json.RawMessage
	// RatePlans, when sent, replaces the channel's mappings as a whole.
	RatePlansSent bool
	RatePlans     []ChannelRatePlanChange
}

// ChannelRatePlanChange is one mapping as sent: a keycard rate plan and
// its settings (room_type_code, rate_plan_code, occupancy and any other
// key). Settings sent as null (Removed) leaves the mapping out.
type ChannelRatePlanChange struct {
	RatePlanID string
	Settings   map[string]json.RawMessage
	Removed    bool
}

// Apply writes c onto ch and judges the channel as a whole. errs holds
// what went wrong decoding the request (the rules skip those fields);
// Apply adds what breaks a rule and returns errs. A new channel starts
// empty; for a change, the adapter cannot change.
func (ch *Channel) Apply(c *ChannelChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	isNew := ch.ID == ""
	if c.Adapter != nil && !errs.Has("channel") {
		a := strings.TrimSpace(*c.Adapter)
		switch {
		case a != AdapterOpenChannel:
			errs.Add("channel", "must be "+AdapterOpenChannel+", the one adapter keycard speaks")
		case !isNew && a != ch.Adapter:
			errs.Add("channel", "can't be changed")
		}
		ch.Adapter = a
	}
	if c.GroupID != nil {
		ch.GroupID = strings.ToLower(strings.TrimSpace(*c.GroupID))
		if ch.GroupID != "" && !ValidID(ch.GroupID) && !errs.Has("group_id") {
			errs.Add("group_id", "is not a valid id")
		}
	}
	trimSent(&ch.Title, c.Title)
	if c.Currency != nil {
		ch.Currency = strings.ToUpper(strings.TrimSpace(*c.Currency))
	}
	if c.PropertiesSent && !errs.Has("properties") {
		ids := TrimIDs(c.Properties)
		switch {
		case len(ids) != 1:
			errs.Add("properties", "must name exactly one property: a channel covers one property")
		case !ValidID(strings.ToLower(ids[0])):
			errs.Add("properties", "is not a list of valid ids")
		default:
			ch.PropertyID = strings.ToLower(ids[0])
		}
	}
	if c.SettingsSent && !errs.Has("settings") {
		ch.applySettings(c.Settings, errs)
	}
	if c.RatePlansSent && !errs.Has("rate_plans") {
		ch.applyRatePlans(c.RatePlans, errs)
	}
	return errs.addValidation(ch.Validate(errs))
}

// applySettings replaces ch's settings with m: the adapter's params in
// their fields, every other key as sent.
func (ch *Channel) applySettings(m map[string]json.RawMessage, errs FieldErrors) {
	str := func(key string) (string, bool) {
		raw, ok := m[key]
		if !ok || string(raw) == "null" {
			return "", true
		}
		var s string
		if json.Unmarshal(raw, &s) != nil || !ValidText(s) {
			errs.Add("settings."+key, "must be a string")
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	endpoint, _ := str(SettingEndpoint)
	hotel, _ := str(SettingHotelCode)
	key, keyOK := str(SettingAPIKey)
	ch.Endpoint, ch.HotelCode = endpoint, hotel
	if keyOK && key != MaskedValue {
		ch.APIKey = key
	}
	ch.Settings = map[string]json.RawMessage{}
	for k, v := range m {
		if k != SettingEndpoint && k != SettingHotelCode && k != SettingAPIKey {
			ch.Settings[k] = v
		}
	}
}

// applyRatePlans replaces ch's mappings with list, keeping the channel's
// description of a plan (sell mode, persons, read-only, currency) for a
// mapping that names the same channel plan as before.
func (ch *Channel) applyRatePlans(list []ChannelRatePlanChange, errs FieldErrors) {
	known := map[[2]string]ChannelRatePlan{}
	for _, m := range ch.RatePlans {
		known[[2]string{m.RoomTypeCode, m.RatePlanCode}] = m
	}
	out := make([]ChannelRatePlan, 0, len(list))
	seen := map[string]bool{}
	for i, c := range list {
		if c.Removed {
			continue
		}
		field := "rate_plans." + strconv.Itoa(i)
		m := ChannelRatePlan{RatePlanID: strings.ToLower(strings.TrimSpace(c.RatePlanID)), Settings: map[string]json.RawMessage{}}
		if !ValidID(m.RatePlanID) {
			errs.Add(field+".rate_plan_id", "is not a valid id")
		}
		for k, v := range c.Settings {
			switch k {
			case RateParamRoomTypeCode, RateParamRatePlanCode:
				var s string
				if json.Unmarshal(v, &s) != nil || !ValidText(s) || strings.TrimSpace(s) == "" {
					errs.Add(field+".settings."+k, "must be the channel's id from its mapping_details")
					continue
				}
				if k == RateParamRoomTypeCode {
					m.RoomTypeCode = strings.TrimSpace(s)
				} else {
					m.RatePlanCode = strings.TrimSpace(s)
				}
			case RateParamOccupancy:
				// A number, or a string of digits as form posts send it.
				var n int
				var s string
				if json.Unmarshal(v, &n) != nil {
					if json.Unmarshal(v, &s) != nil {
						n = -1
					} else if n, _ = strconv.Atoi(strings.TrimSpace(s)); n == 0 {
						n = -1
					}
				}
				if n < 1 || n > MaxOccupancy {
					errs.Add(field+".settings.occupancy", "must be a whole number from 1 to "+strconv.Itoa(MaxOccupancy))
					continue
				}
				m.Occupancy = n
			default:
				m.Settings[k] = v
			}
		}
		for _, k := range []string{RateParamRoomTypeCode, RateParamRatePlanCode, RateParamOccupancy} {
			if _, ok := c.Settings[k]; !ok {
				errs.Add(field+".settings."+k, "can't be blank")
			}
		}
		key := m.RoomTypeCode + "\x00" + m.RatePlanCode + "\x00" + strconv.Itoa(m.Occupancy)
		if seen[key] && m.RoomTypeCode != "" {
			errs.Add(field, "maps the same channel rate plan and occupancy twice")
		}
		seen[key] = true
		if k, ok := known[[2]string{m.RoomTypeCode, m.RatePlanCode}]; ok {
			m.SellMode, m.MaxPersons, m.ReadOnly, m.ChannelCurrency = k.SellMode, k.MaxPersons, k.ReadOnly, k.ChannelCurrency
		}
		out = append(out, m)
	}
	if len(out) > MaxChannelMappings {
		errs.Add("rate_plans", "can't have more than "+strconv.Itoa(MaxChannelMappings)+" mappings")
	}
	ch.RatePlans = out
}

// Validate checks the channel as a whole; skip names fields already found
// wrong.
func (ch *Channel) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	if ch.Adapter == "" {
		c.check("channel", "can't be blank")
	}
	if ch.PropertyID == "" {
		c.check("properties", "can't be blank: name the one property the channel covers")
	}
	c.check("title", lengthMsg(ch.Title, 255))
	if ch.Currency != "" && !ValidCurrency(ch.Currency) {
		c.check("currency", "is not an ISO 4217 currency code")
	}
	c.check("settings.endpoint", CheckChannelEndpoint(ch.Endpoint))
	if ch.HotelCode == "" {
		c.check("settings.hotel_code", "can't be blank")
	}
	c.check("settings.hotel_code", lengthMsg(ch.HotelCode, 255))
	c.check("settings.api_key", lengthMsg(ch.APIKey, 1024))
	return c.fe.Err()
}

func lengthMsg(s string, n int) string {
	if len(s) > n {
		return "is too long (at most " + strconv.Itoa(n) + " bytes)"
	}
	return ""
}

// CheckChannelEndpoint returns why endpoint cannot be an Open Channel
// endpoint, or "": an absolute http or https URL without credentials,
// query or fragment.
func CheckChannelEndpoint(endpoint string) string {
	if endpoint == "" {
		return "can't be blank"
	}
	if len(endpoint) > 2048 {
		return "is too long"
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http or https URL"
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "must not carry credentials, a query or a fragment"
	}
	return ""
}

// Snapshot records, on each of ch's mappings, the channel's description
// of the plan it maps, from the channel's mapping_details, and returns
// what does not fit: a code the channel does not have, or a per_person
// occupancy above the plan's max_persons.
func (ch *Channel) Snapshot(md *MappingDetails) FieldErrors {
	errs := FieldErrors{}
	plans := map[[2]string]MappingRatePlan{}
	for _, rt := range md.RoomTypes {
		for _, rp := range rt.RatePlans {
			plans[[2]string{rt.ID, rp.ID}] = rp
		}
	}
	for i := range ch.RatePlans {
		m := &ch.RatePlans[i]
		field := "rate_plans." + strconv.Itoa(i)
		rp, ok := plans[[2]string{m.RoomTypeCode, m.RatePlanCode}]
		if !ok {
			errs.Add(field+".settings", "names a room type and rate plan the channel's mapping_details does not have")
			continue
		}
		m.SellMode, m.MaxPersons, m.ReadOnly, m.ChannelCurrency = rp.SellMode, rp.MaxPersons, rp.ReadOnly, strings.ToUpper(rp.Currency)
		if m.SellMode != ChannelPerPerson {
			m.SellMode = ChannelPerRoom
		}
		if m.SellMode == ChannelPerPerson && rp.MaxPersons > 0 && m.Occupancy > rp.MaxPersons {
			errs.Add(field+".settings.occupancy", "is above the channel plan's max_persons ("+strconv.Itoa(rp.MaxPersons)+")")
		}
	}
	return errs
}

// Snapshotted reports whether every mapping of ch holds the channel's
// description of its plan (see Snapshot).
func (ch *Channel) Snapshotted() bool {
	for _, m := range ch.RatePlans {
		if m.MaxPersons == 0 {
			return false
		}
	}
	return true
}

// KnownMapping is a pair of channel codes keycard knows how to read in
// an incoming booking: "auto" ones come from the channel's mappings,
// "manual" ones from resolved unmapped bookings.
type KnownMapping struct {
	ID           string
	Type         string
	RoomTypeCode string
	RatePlanCode string
	RoomTypeID   string
	RatePlanID   string
}

// ReadinessError is one reason a channel cannot be activated, in
// Channex's check_readiness shape.
type ReadinessError struct {
	ID        string
	Entity    string
	Relation  string
	ErrorCode string
}

// Readiness returns why ch cannot be activated: no property, no mapping,
// no endpoint. An empty list means it is ready.
func (ch *Channel) Readiness() []ReadinessError {
	var out []ReadinessError
	if ch.PropertyID == "" {
		out = append(out, ReadinessError{ID: ch.ID, Entity: "Channel", Relation: "Property", ErrorCode: "required"})
	}
	if len(ch.RatePlans) == 0 {
		out = append(out, ReadinessError{ID: ch.ID, Entity: "Channel", Relation: "Mapping", ErrorCode: "required"})
	}
	if ch.Endpoint == "" {
		out = append(out, ReadinessError{ID: ch.ID, Entity: "Channel", Relation: "Settings", ErrorCode: "required"})
	}
	return out
}

// ChannelRuleChange is a channel availability rule as sent, typed but
// not yet judged.
type ChannelRuleChange struct {
	PropertyID        *string
	Title             *string
	Type              *string
	Value             *int
	StartDate         *string
	EndDateSent       bool
	EndDate           string
	Days              *[]string
	AffectedChannels  *[]string
	AffectedRoomTypes *[]string
}

// Apply writes c onto r and judges the rule as a whole; a rule keeps its
// property.
func (r *ChannelAvailabilityRule) Apply(c *ChannelRuleChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	if r.ID == "" {
		if c.PropertyID != nil {
			r.PropertyID = strings.ToLower(strings.TrimSpace(*c.PropertyID))
		}
	} else {
		propertyUnchanged(errs, c.PropertyID, r.PropertyID)
	}
	trimSent(&r.Title, c.Title)
	trimSent(&r.Type, c.Type)
	setSent(&r.Value, c.Value)
	if c.StartDate != nil && !errs.Has("start_date") {
		d, ok := ParseDate(strings.TrimSpace(*c.StartDate))
		if !ok {
			errs.Add("start_date", "must be a date (YYYY-MM-DD)")
		}
		r.StartDate = d
	}
	if c.EndDateSent && !errs.Has("end_date") {
		r.EndDate = 0
		if s := strings.TrimSpace(c.EndDate); s != "" {
			d, ok := ParseDate(s)
			if !ok {
				errs.Add("end_date", "must be a date (YYYY-MM-DD) or empty")
			}
			r.EndDate = d
		}
	}
	if c.Days != nil && !errs.Has("days") {
		r.Days = EveryDay
		if len(*c.Days) > 0 {
			w, ok := ParseWeekdays(*c.Days)
			if !ok {
				errs.Add("days", "must be weekday codes: mo, tu, we, th, fr, sa, su")
			}
			r.Days = w
		}
	}
	if c.AffectedChannels != nil {
		r.ChannelIDs = lowerIDs(*c.AffectedChannels)
	}
	if c.AffectedRoomTypes != nil {
		r.RoomTypeIDs = lowerIDs(*c.AffectedRoomTypes)
	}
	if r.Days == 0 {
		r.Days = EveryDay
	}
	return errs.addValidation(r.Validate(errs))
}

func lowerIDs(ids []string) []string {
	out := TrimIDs(ids)
	for i := range out {
		out[i] = strings.ToLower(out[i])
	}
	return out
}

// Validate checks the rule as a whole; skip names fields already found
// wrong.
func (r *ChannelAvailabilityRule) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	if !ValidID(r.PropertyID) {
		c.check("property_id", "can't be blank")
	}
	if r.Title == "" {
		c.check("title", "can't be blank")
	}
	c.check("title", lengthMsg(r.Title, 255))
	switch r.Type {
	case RuleCloseOut:
	case RuleAvailabilityOffset, RuleMaxAvailability:
		if r.Value < 0 || r.Value > 1_000_000 {
			c.check("value", "must be a whole number from 0 to 1000000")
		}
	case "":
		c.check("type", "can't be blank")
	default:
		c.check("type", "must be close_out, availability_offset or max_availability")
	}
	if r.StartDate == 0 {
		c.check("start_date", "can't be blank")
	}
	if r.EndDate != 0 && r.EndDate < r.StartDate {
		c.check("end_date", "must not be before start_date")
	}
	checkIDs := func(field string, ids []string) {
		if len(ids) == 0 {
			c.check(field, "can't be blank")
		}
		for _, id := range ids {
			if !ValidID(id) {
				c.check(field, "is not a list of valid ids")
				return
			}
		}
	}
	checkIDs("affected_channels", r.ChannelIDs)
	checkIDs("affected_room_types", r.RoomTypeIDs)
	return c.fe.Err()
}

// ApplySettings replaces ch's settings with m, as Apply does, and judges
// only them: for a probe of a channel that is not saved.
func (ch *Channel) ApplySettings(m map[string]json.RawMessage, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	ch.applySettings(m, errs)
	c := newChecker(errs)
	c.check("settings.endpoint", CheckChannelEndpoint(ch.Endpoint))
	if ch.HotelCode == "" {
		c.check("settings.hotel_code", "can't be blank")
	}
	for f, msgs := range c.fe {
		errs[f] = append(errs[f], msgs...)
	}
	return errs
}
