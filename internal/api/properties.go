package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

func (s *Server) listProperties(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	props, total, err := s.store.ListProperties(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	return writePropertyList(w, props, total, q)
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
	return writeProperty(w, http.StatusOK, p)
}

func (s *Server) createProperty(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "property")
	if err != nil {
		return err
	}
	prop := &keycard.Property{Settings: keycard.DefaultPropertySettings()}
	applyProperty(f, prop)
	var groupID string
	f.str("group_id", &groupID)
	groupID = strings.ToLower(strings.TrimSpace(groupID))
	if groupID != "" && !keycard.ValidID(groupID) {
		f.errs.Add("group_id", "is not a valid id")
	}
	if err := f.errs.Merge(prop.Validate(f.errs)); err != nil {
		return err
	}
	out, err := s.store.CreateProperty(r.Context(), principal(r), prop, groupID)
	if err != nil {
		return err
	}
	return writeProperty(w, http.StatusCreated, out)
}

// updateProperty changes the fields given; settings, when given, are
// replaced as a whole (unset keys take their defaults), as in Channex.
func (s *Server) updateProperty(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "property")
	if err != nil {
		return err
	}
	out, err := s.store.UpdateProperty(r.Context(), principal(r), r.PathValue("id"), func(p *keycard.Property) keycard.FieldErrors {
		applyProperty(f, p)
		return f.errs
	})
	if err != nil {
		return err
	}
	return writeProperty(w, http.StatusOK, out)
}

func (s *Server) deleteProperty(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteProperty(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// applyProperty copies the members present in f onto p, recording type
// errors in f.errs.
func applyProperty(f *fields, p *keycard.Property) {
	for name, dst := range map[string]*string{
		"title": &p.Title, "currency": &p.Currency, "email": &p.Email, "phone": &p.Phone, "zip_code": &p.ZipCode,
		"country": &p.Country, "state": &p.State, "city": &p.City, "address": &p.Address, "timezone": &p.Timezone,
		"property_type": &p.PropertyType, "logo_url": &p.LogoURL, "website": &p.Website,
	} {
		f.str(name, dst)
	}
	for name, dst := range map[string]*string{"hotel_policy_id": &p.HotelPolicyID, "default_tax_set_id": &p.DefaultTaxSetID} {
		f.str(name, dst)
		*dst = strings.ToLower(strings.TrimSpace(*dst))
	}
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	p.Title = strings.TrimSpace(p.Title)
	// Coordinates are decimal strings; a client sending a number is
	// understood too.
	for name, dst := range map[string]*string{"longitude": &p.Longitude, "latitude": &p.Latitude} {
		raw := f.raw(name)
		if raw == nil {
			continue
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			*dst = n.String()
			continue
		}
		f.str(name, dst)
	}
	if f.has("facilities") {
		f.stringList("facilities", &p.Facilities)
		for i, id := range p.Facilities {
			p.Facilities[i] = strings.ToLower(strings.TrimSpace(id))
		}
	}
	if f.has("settings") {
		settings, errs := decodeSettings(f.raw("settings"), p.Currency)
		for _, msg := range errs {
			f.errs.Add("settings", msg)
		}
		p.Settings = settings
	}
	if f.has("content") {
		var c struct {
			Description          *string         `json:"description"`
			ImportantInformation *string         `json:"important_information"`
			Photos               []keycard.Photo `json:"photos"`
		}
		if isNull(f.raw("content")) {
			p.Content = keycard.PropertyContent{}
		} else if f.object("content", &c, "must be an object with description, important_information and photos") {
			if c.Description != nil {
				p.Content.Description = *c.Description
			}
			if c.ImportantInformation != nil {
				p.Content.ImportantInformation = *c.ImportantInformation
			}
			if c.Photos != nil {
				p.Content.Photos = c.Photos
				for i := range p.Content.Photos {
					ph := &p.Content.Photos[i]
					if ph.Kind == "" {
						ph.Kind = "photo"
					}
					if !keycard.ValidID(ph.ID) {
						ph.ID = keycard.NewID()
					}
				}
			}
		}
	}
}

// decodeSettings reads a settings object; keys left out take their
// defaults. Money may be minor units or a decimal string.
func decodeSettings(raw json.RawMessage, currency string) (keycard.PropertySettings, []string) {
	st := keycard.DefaultPropertySettings()
	if isNull(raw) {
		return st, nil
	}
	f, ok := readFields(raw)
	if !ok {
		return st, []string{"must be an object"}
	}
	f.boolean("allow_availability_autoupdate", &st.AllowAvailabilityAutoupdate)
	f.boolean("allow_availability_autoupdate_on_confirmation", &st.AllowAvailabilityAutoupdateOnConfirmation)
	f.boolean("allow_availability_autoupdate_on_modification", &st.AllowAvailabilityAutoupdateOnModification)
	f.boolean("allow_availability_autoupdate_on_cancellation", &st.AllowAvailabilityAutoupdateOnCancellation)
	if f.has("min_stay_type") {
		f.str("min_stay_type", &st.MinStayType)
	}
	f.str("cut_off_time", &st.CutOffTime)
	for name, dst := range map[string]**int64{"min_price": &st.MinPrice, "max_price": &st.MaxPrice} {
		if raw := f.raw(name); raw != nil && !isNull(raw) {
			v, msg := keycard.ParseMoney(raw, currency)
			if msg != "" {
				f.errs.Add(name, msg)
				continue
			}
			*dst = &v
		}
	}
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
	var msgs []string
	for name, list := range f.errs {
		for _, m := range list {
			msgs = append(msgs, name+" "+m)
		}
	}
	sort.Strings(msgs)
	return st, msgs
}
