package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

func (s *Server) listProperties(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	// A page of a large portfolio is read from the database; it changes
	// with how properties read, as the property cache does.
	return s.cached(w, r, s.store.ViewVersion(), func(w http.ResponseWriter) error {
		props, total, err := s.store.ListProperties(r.Context(), principal(r), q)
		if err != nil {
			return err
		}
		titles, err := s.propertyTitles(r, props...)
		if err != nil {
			return err
		}
		return writePropertyList(w, props, total, q, titles)
	})
}

// propertyOptionFields are the fields the property options filter and
// order by: those they show (every property in reach is few enough to
// filter where it is read).
var propertyOptionFields = map[string]func(*keycard.Property) string{
	"id":       func(p *keycard.Property) string { return p.ID },
	"title":    func(p *keycard.Property) string { return p.Title },
	"currency": func(p *keycard.Property) string { return p.Currency },
}

// propertyOptions lists every reachable property, unpaginated, with the
// plural "properties" type that Channex uses here.
func (s *Server) propertyOptions(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	props, err := s.store.PropertyOptions(r.Context(), principal(r))
	if err != nil {
		return err
	}
	if props, err = listInMemory(q, props, propertyOptionFields); err != nil {
		return err
	}
	items := make([]resource, 0, len(props))
	for _, p := range props {
		groupIDs := make([]string, 0, len(p.Groups))
		for _, g := range p.Groups {
			groupIDs = append(groupIDs, g.ID)
		}
		items = append(items, resource{Type: "properties", ID: p.ID,
			Attributes: map[string]any{"id": p.ID, "title": p.Title, "currency": p.Currency, "group_ids": groupIDs}})
	}
	warnIgnored(w, q)
	return writeData(w, http.StatusOK, items)
}

func (s *Server) getProperty(w http.ResponseWriter, r *http.Request) error {
	p, err := s.store.Property(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	titles, err := s.propertyTitles(r, p)
	if err != nil {
		return err
	}
	return writeProperty(w, http.StatusOK, p, titles)
}

func (s *Server) createProperty(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "property")
	if err != nil {
		return err
	}
	prop := &keycard.Property{Settings: keycard.DefaultPropertySettings()}
	c := propertyChange(f)
	var groupID string
	f.str("group_id", &groupID)
	groupID = strings.ToLower(strings.TrimSpace(groupID))
	if groupID != "" && !keycard.ValidID(groupID) {
		f.errs.Add("group_id", "is not a valid id")
	}
	if err := prop.Apply(c, f.errs).Err(); err != nil {
		return err
	}
	out, err := s.store.CreateProperty(r.Context(), principal(r), prop, groupID)
	if err != nil {
		return err
	}
	titles, err := s.propertyTitles(r, out)
	if err != nil {
		return err
	}
	return writeProperty(w, http.StatusCreated, out, titles)
}

// updateProperty changes the fields given; settings, when given, are
// replaced as a whole (unset keys take their defaults), as in Channex.
func (s *Server) updateProperty(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "property")
	if err != nil {
		return err
	}
	c := propertyChange(f)
	out, err := s.store.UpdateProperty(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	titles, err := s.propertyTitles(r, out)
	if err != nil {
		return err
	}
	return writeProperty(w, http.StatusOK, out, titles)
}

func (s *Server) deleteProperty(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteProperty(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// propertyChange decodes a property body into a change, typed but not
// judged (the domain's Property.Apply does that), recording type errors
// in f.errs.
func propertyChange(f *fields) *keycard.PropertyChange {
	c := &keycard.PropertyChange{}
	for _, m := range []struct {
		name string
		dst  **string
	}{
		{"title", &c.Title}, {"currency", &c.Currency}, {"email", &c.Email}, {"phone", &c.Phone}, {"zip_code", &c.ZipCode},
		{"country", &c.Country}, {"state", &c.State}, {"city", &c.City}, {"address", &c.Address}, {"timezone", &c.Timezone},
		{"property_type", &c.PropertyType}, {"logo_url", &c.LogoURL}, {"website", &c.Website},
		{"hotel_policy_id", &c.HotelPolicyID}, {"default_tax_set_id", &c.DefaultTaxSetID},
	} {
		*m.dst = f.strSent(m.name)
	}
	// Coordinates are decimal strings; a client sending a number is
	// understood too.
	for _, m := range []struct {
		name string
		dst  **string
	}{{"longitude", &c.Longitude}, {"latitude", &c.Latitude}} {
		raw := f.raw(m.name)
		if raw == nil {
			continue
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			s := n.String()
			*m.dst = &s
			continue
		}
		*m.dst = f.strSent(m.name)
	}
	if f.has("facilities") {
		c.FacilitiesSent = f.stringList("facilities", &c.Facilities)
	}
	if f.has("settings") {
		c.SettingsSent = true
		c.Settings = settingsChange(f.errs, f.raw("settings"))
	}
	if f.has("content") {
		var in struct {
			Description          *string         `json:"description"`
			ImportantInformation *string         `json:"important_information"`
			Photos               []keycard.Photo `json:"photos"`
		}
		if isNull(f.raw("content")) {
			c.ContentSent = true
		} else if f.object("content", &in, "must be an object with description, important_information and photos") {
			c.ContentSent = true
			c.Content = &keycard.PropertyContentChange{Description: in.Description, ImportantInformation: in.ImportantInformation,
				PhotosSent: in.Photos != nil, Photos: in.Photos}
		}
	}
	return c
}

// settingsChange decodes a settings object; keys left out take their
// defaults. A member of the wrong type is recorded in the change, to be
// reported with the prices, which are read in the property's currency; a
// value that is not an object is recorded in errs.
func settingsChange(errs keycard.FieldErrors, raw json.RawMessage) keycard.PropertySettingsChange {
	c := keycard.PropertySettingsChange{Values: keycard.DefaultPropertySettings()}
	if isNull(raw) {
		return c
	}
	f, ok := readFields(raw)
	if !ok {
		errs.Add("settings", "must be an object")
		return c
	}
	st := &c.Values
	f.boolean("allow_availability_autoupdate", &st.AllowAvailabilityAutoupdate)
	f.boolean("allow_availability_autoupdate_on_confirmation", &st.AllowAvailabilityAutoupdateOnConfirmation)
	f.boolean("allow_availability_autoupdate_on_modification", &st.AllowAvailabilityAutoupdateOnModification)
	f.boolean("allow_availability_autoupdate_on_cancellation", &st.AllowAvailabilityAutoupdateOnCancellation)
	if f.has("min_stay_type") {
		f.str("min_stay_type", &st.MinStayType)
	}
	f.str("cut_off_time", &st.CutOffTime)
	c.MinPrice, c.MaxPrice = f.raw("min_price"), f.raw("max_price")
	for name, dst := range map[string]**int{"cut_off_days": &st.CutOffDays, "max_day_advance": &st.MaxDayAdvance} {
		if raw := f.raw(name); raw != nil && !isNull(raw) {
			var n int
			if json.Unmarshal(raw, &n) != nil {
				f.errs.Add(name, "must be a whole number")
				continue
			}
			*dst = &n
		}
	}
	if raw := f.raw("state_length"); raw != nil && !isNull(raw) {
		if json.Unmarshal(raw, &st.StateLength) != nil {
			f.errs.Add("state_length", "must be a whole number")
		}
	}
	c.DecodeErrs = f.errs
	return c
}
