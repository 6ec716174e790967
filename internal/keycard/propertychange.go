package keycard

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// PropertyChange is a property as a client sends it, decoded into types
// but not yet judged: a nil pointer, or a false ...Sent, is a member the
// body did not have. Apply holds the rules of what a property may be.
type PropertyChange struct {
	Title, Currency, Email, Phone, ZipCode, Country, State, City, Address *string
	Longitude, Latitude, Timezone, PropertyType, LogoURL, Website         *string
	HotelPolicyID, DefaultTaxSetID                                        *string

	FacilitiesSent bool
	Facilities     []string
	// SettingsSent replaces the settings as a whole: members not sent
	// take their defaults.
	SettingsSent bool
	Settings     PropertySettingsChange
	ContentSent  bool
	Content      *PropertyContentChange // nil when sent as null (cleared)
}

// PropertySettingsChange is a settings object as sent.
type PropertySettingsChange struct {
	// Values holds the members sent over the defaults.
	Values PropertySettings
	// MinPrice and MaxPrice, when not nil, replace the prices of Values:
	// as sent (minor units or a decimal string), JSON null for none. They
	// are read in the property's currency, which the change itself may
	// set.
	MinPrice, MaxPrice json.RawMessage
	// DecodeErrs is what went wrong decoding each member of the object.
	DecodeErrs FieldErrors
}

// PropertyContentChange is a property's content as sent; a nil member, or
// a false PhotosSent, keeps what the property has.
type PropertyContentChange struct {
	Description, ImportantInformation *string
	PhotosSent                        bool
	Photos                            []Photo
}

// Apply writes c onto p, each member sent replacing p's (settings and
// photos as a whole), then validates the property. p is the property as it
// stands: for a new one, empty with the default settings. errs holds what
// went wrong decoding the request (the rules skip those fields); Apply
// adds what breaks a rule, and returns errs.
func (p *Property) Apply(c *PropertyChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	for _, m := range []struct {
		v   *string
		dst *string
	}{
		{c.Title, &p.Title}, {c.Currency, &p.Currency}, {c.Email, &p.Email}, {c.Phone, &p.Phone}, {c.ZipCode, &p.ZipCode},
		{c.Country, &p.Country}, {c.State, &p.State}, {c.City, &p.City}, {c.Address, &p.Address}, {c.Longitude, &p.Longitude},
		{c.Latitude, &p.Latitude}, {c.Timezone, &p.Timezone}, {c.PropertyType, &p.PropertyType}, {c.LogoURL, &p.LogoURL},
		{c.Website, &p.Website}, {c.HotelPolicyID, &p.HotelPolicyID}, {c.DefaultTaxSetID, &p.DefaultTaxSetID},
	} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	p.HotelPolicyID = normalID(p.HotelPolicyID)
	p.DefaultTaxSetID = normalID(p.DefaultTaxSetID)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
	p.Title = strings.TrimSpace(p.Title)
	if c.FacilitiesSent {
		p.Facilities = normalIDs(c.Facilities)
	}
	if c.SettingsSent {
		// Prices are read in the currency just set.
		p.Settings = c.Settings.apply(p.Currency, errs)
	}
	if c.ContentSent {
		if c.Content == nil {
			p.Content = PropertyContent{}
		} else {
			if c.Content.Description != nil {
				p.Content.Description = *c.Content.Description
			}
			if c.Content.ImportantInformation != nil {
				p.Content.ImportantInformation = *c.Content.ImportantInformation
			}
			if c.Content.PhotosSent {
				p.Content.Photos = newPhotos(c.Content.Photos)
			}
		}
	}
	for f, msgs := range p.check(errs) {
		errs[f] = append(errs[f], msgs...)
	}
	return errs
}

// apply returns the settings s describes, recording its messages under
// "settings", each prefixed with its member's name, in order.
func (s *PropertySettingsChange) apply(currency string, errs FieldErrors) PropertySettings {
	st := s.Values
	fe := s.DecodeErrs.Clone()
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		dst  **int64
	}{{"min_price", s.MinPrice, &st.MinPrice}, {"max_price", s.MaxPrice, &st.MaxPrice}} {
		if m.raw == nil {
			continue
		}
		if isJSONNull(m.raw) {
			*m.dst = nil
			continue
		}
		v, msg := ParseMoney(m.raw, currency)
		if msg != "" {
			fe.Add(m.name, msg)
			continue
		}
		*m.dst = &v
	}
	var msgs []string
	for name, list := range fe {
		for _, m := range list {
			msgs = append(msgs, name+" "+m)
		}
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		errs.Add("settings", m)
	}
	return st
}

// newPhotos returns the photos of a content as sent: of kind photo unless
// they say otherwise, with a new id unless they carry one.
func newPhotos(sent []Photo) []Photo {
	photos := slices.Clone(sent)
	for i := range photos {
		ph := &photos[i]
		if ph.Kind == "" {
			ph.Kind = "photo"
		}
		if !ValidID(ph.ID) {
			ph.ID = NewID()
		}
	}
	return photos
}

// normalID returns an id as stored: trimmed and lower case.
func normalID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// normalIDs returns a list of ids as stored.
func normalIDs(sent []string) []string {
	ids := slices.Clone(sent)
	for i, id := range ids {
		ids[i] = normalID(id)
	}
	return ids
}
