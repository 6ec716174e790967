package keycard

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestPropertyApply(t *testing.T) {
	const policy = "0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a10"
	facility := FacilityCatalogue(PropertyFacility)[0].ID
	for _, tc := range []struct {
		name       string
		before     *Property // nil: validProperty
		change     PropertyChange
		decodeErrs FieldErrors
		want       FieldErrors // nil: valid
		check      func(t *testing.T, p *Property)
	}{
		{name: "text is trimmed, codes upper case, ids lower case",
			change: PropertyChange{Title: str("  Casa Azul "), Currency: str(" eur"), Country: str("pt"),
				HotelPolicyID: str(" " + strings.ToUpper(policy)), FacilitiesSent: true, Facilities: []string{strings.ToUpper(facility)}},
			check: func(t *testing.T, p *Property) {
				got := []string{p.Title, p.Currency, p.Country, p.HotelPolicyID, p.Facilities[0]}
				want := []string{"Casa Azul", "EUR", "PT", policy, facility}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got %q, want %q", got, want)
				}
			}},
		{name: "prices are read in the currency the change sets",
			change: PropertyChange{Currency: str("JPY"), SettingsSent: true, Settings: PropertySettingsChange{
				Values: DefaultPropertySettings(), MinPrice: json.RawMessage(`"100"`), MaxPrice: json.RawMessage(`"250"`)}},
			check: func(t *testing.T, p *Property) {
				if p.Settings.MinPrice == nil || *p.Settings.MinPrice != 100 || p.Settings.MaxPrice == nil || *p.Settings.MaxPrice != 250 {
					t.Errorf("got prices %v, %v; want 100 and 250 yen", p.Settings.MinPrice, p.Settings.MaxPrice)
				}
			}},
		{name: "settings are replaced as a whole",
			before: func() *Property {
				p := validProperty()
				p.Settings.StateLength, p.Settings.MinPrice = 300, new(int64(500))
				return p
			}(),
			change: PropertyChange{SettingsSent: true, Settings: PropertySettingsChange{Values: DefaultPropertySettings()}},
			check: func(t *testing.T, p *Property) {
				if p.Settings.StateLength != 500 || p.Settings.MinPrice != nil {
					t.Errorf("got state_length %d, min_price %v; want the defaults, 500 and none", p.Settings.StateLength, p.Settings.MinPrice)
				}
			}},
		{name: "settings not sent are kept",
			before: func() *Property {
				p := validProperty()
				p.Settings.StateLength = 300
				return p
			}(),
			change: PropertyChange{Title: str("Renamed")},
			check: func(t *testing.T, p *Property) {
				if p.Settings.StateLength != 300 {
					t.Errorf("got state_length %d, want 300", p.Settings.StateLength)
				}
			}},
		{name: "settings messages name their member, in order",
			change: PropertyChange{SettingsSent: true, Settings: PropertySettingsChange{Values: DefaultPropertySettings(),
				MinPrice: json.RawMessage(`"1.234"`), DecodeErrs: FieldErrors{"state_length": {"must be a whole number"}}}},
			want: FieldErrors{"settings": {"min_price has too many decimal places", "state_length must be a whole number"}}},
		{name: "settings rules",
			change: PropertyChange{SettingsSent: true, Settings: PropertySettingsChange{Values: DefaultPropertySettings(),
				MinPrice: json.RawMessage(`"20.00"`), MaxPrice: json.RawMessage(`"10.00"`)}},
			want: FieldErrors{"settings": {"min_price must not be greater than max_price"}}},
		{name: "photos take a kind and an id",
			change: PropertyChange{ContentSent: true, Content: &PropertyContentChange{Description: str("By the river"), PhotosSent: true,
				Photos: []Photo{{URL: "https://hotel.example/a.jpg"}}}},
			check: func(t *testing.T, p *Property) {
				ph := p.Content.Photos[0]
				if p.Content.Description != "By the river" || ph.Kind != "photo" || !ValidID(ph.ID) {
					t.Errorf("got content %+v, want the description and a photo of kind photo with an id", p.Content)
				}
			}},
		{name: "content null clears it",
			before: func() *Property {
				p := validProperty()
				p.Content = PropertyContent{Description: "Old", Photos: []Photo{{ID: NewID(), URL: "https://hotel.example/a.jpg", Kind: "photo"}}}
				return p
			}(),
			change: PropertyChange{ContentSent: true},
			check: func(t *testing.T, p *Property) {
				if p.Content.Description != "" || len(p.Content.Photos) != 0 {
					t.Errorf("got content %+v, want none", p.Content)
				}
			}},
		{name: "a new property needs a title and a currency", before: &Property{Settings: DefaultPropertySettings()},
			change: PropertyChange{Title: str("  ")},
			want:   FieldErrors{"title": {MsgBlank}, "currency": {"can't be blank"}}},
		{name: "a member that failed to decode is not judged again", before: &Property{Settings: DefaultPropertySettings()},
			change: PropertyChange{Title: str("Casa")}, decodeErrs: FieldErrors{"currency": {"must be a string"}},
			want: FieldErrors{"currency": {"must be a string"}}},
		{name: "bad values",
			change: PropertyChange{Country: str("XX"), Website: str("ftp://hotel.example"), Longitude: str("200")},
			want: FieldErrors{"country": {"is not a valid ISO 3166-1 alpha-2 country code"},
				"website": {"must be an http or https URL"}, "longitude": {"must be between -180 and 180"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.before
			if p == nil {
				p = validProperty()
			}
			got := p.Apply(&tc.change, tc.decodeErrs.Clone())
			if tc.want == nil {
				tc.want = FieldErrors{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got errors %v, want %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

// validProperty is a property that passes Validate.
func validProperty() *Property {
	return &Property{Title: "Casa Azul", Currency: "EUR", Settings: DefaultPropertySettings()}
}
