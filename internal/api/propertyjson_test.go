package api

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// The reflective model of a property resource, as it was written before
// appendProperty: the reference the hand-written encoding must match.

type propertyAttributes struct {
	ID                string        `json:"id"`
	Title             string        `json:"title"`
	IsActive          bool          `json:"is_active"`
	Currency          string        `json:"currency"`
	Email             *string       `json:"email"`
	Phone             *string       `json:"phone"`
	ZipCode           *string       `json:"zip_code"`
	Country           *string       `json:"country"`
	State             *string       `json:"state"`
	City              *string       `json:"city"`
	Address           *string       `json:"address"`
	Longitude         *string       `json:"longitude"`
	Latitude          *string       `json:"latitude"`
	Timezone          *string       `json:"timezone"`
	PropertyType      *string       `json:"property_type"`
	LogoURL           *string       `json:"logo_url"`
	Website           *string       `json:"website"`
	Facilities        []string      `json:"facilities"`
	HotelPolicyID     *string       `json:"hotel_policy_id"`
	DefaultTaxSetID   *string       `json:"default_tax_set_id"`
	Content           contentView   `json:"content"`
	Settings          *settingsView `json:"settings,omitempty"`
	MinStayType       string        `json:"min_stay_type"`
	AccChannelsCount  int           `json:"acc_channels_count"`
	MaxCountRoomTypes int           `json:"max_count_of_room_types"`
	MaxCountRatePlans int           `json:"max_count_of_rate_plans"`
	MaxCountOccupancy int           `json:"max_count_of_occupancies"`
	MaxCountUsers     int           `json:"max_count_of_users"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
}

// groupRefAttributes are the attributes of a group a property is in.
type groupRefAttributes struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type contentView struct {
	Description          *string     `json:"description"`
	ImportantInformation *string     `json:"important_information"`
	Photos               []photoView `json:"photos"`
}

type settingsView struct {
	AllowAvailabilityAutoupdate               bool    `json:"allow_availability_autoupdate"`
	AllowAvailabilityAutoupdateOnConfirmation bool    `json:"allow_availability_autoupdate_on_confirmation"`
	AllowAvailabilityAutoupdateOnModification bool    `json:"allow_availability_autoupdate_on_modification"`
	AllowAvailabilityAutoupdateOnCancellation bool    `json:"allow_availability_autoupdate_on_cancellation"`
	MinStayType                               string  `json:"min_stay_type"`
	MinPrice                                  *string `json:"min_price"`
	MaxPrice                                  *string `json:"max_price"`
	StateLength                               int     `json:"state_length"`
	CutOffTime                                *string `json:"cut_off_time"`
	CutOffDays                                *int    `json:"cut_off_days"`
	MaxDayAdvance                             *int    `json:"max_day_advance"`
}

// propertyResource renders a property; lists leave out settings, as
// Channex does. Its relationships are given their attributes as relate
// gives them, with titles.
func propertyResource(p *keycard.Property, withSettings bool, titles map[store.Ref]string) resource {
	a := propertyAttributes{
		ID: p.ID, Title: p.Title, IsActive: p.IsActive, Currency: p.Currency,
		Email: nullable(p.Email), Phone: nullable(p.Phone), ZipCode: nullable(p.ZipCode), Country: nullable(p.Country),
		State: nullable(p.State), City: nullable(p.City), Address: nullable(p.Address), Longitude: nullable(p.Longitude),
		Latitude: nullable(p.Latitude), Timezone: nullable(p.Timezone), PropertyType: nullable(p.PropertyType),
		LogoURL: nullable(p.LogoURL), Website: nullable(p.Website), Facilities: p.Facilities,
		HotelPolicyID: nullable(p.HotelPolicyID), DefaultTaxSetID: nullable(p.DefaultTaxSetID),
		Content: contentView{Description: nullable(p.Content.Description), ImportantInformation: nullable(p.Content.ImportantInformation),
			Photos: contentPhotos(p.Content.Photos, p.ID, "")},
		MinStayType:       p.Settings.MinStayType,
		MaxCountRoomTypes: keycard.MaxRoomTypes, MaxCountRatePlans: keycard.MaxRatePlans, MaxCountOccupancy: keycard.MaxOccupancies,
		MaxCountUsers: maxUsers,
		CreatedAt:     timestamp(p.CreatedAt), UpdatedAt: timestamp(p.UpdatedAt),
	}
	if a.Facilities == nil {
		a.Facilities = []string{}
	}
	if withSettings {
		st := p.Settings
		a.Settings = &settingsView{
			AllowAvailabilityAutoupdate:               st.AllowAvailabilityAutoupdate,
			AllowAvailabilityAutoupdateOnConfirmation: st.AllowAvailabilityAutoupdateOnConfirmation,
			AllowAvailabilityAutoupdateOnModification: st.AllowAvailabilityAutoupdateOnModification,
			AllowAvailabilityAutoupdateOnCancellation: st.AllowAvailabilityAutoupdateOnCancellation,
			MinStayType: st.MinStayType, StateLength: st.StateLength, CutOffTime: nullable(st.CutOffTime),
			CutOffDays: st.CutOffDays, MaxDayAdvance: st.MaxDayAdvance,
			MinPrice: money(st.MinPrice, p.Currency), MaxPrice: money(st.MaxPrice, p.Currency),
		}
	}
	groups := make([]ref, 0, len(p.Groups))
	for _, g := range p.Groups {
		groups = append(groups, ref{Type: "group", ID: g.ID, Attributes: groupRefAttributes{ID: g.ID, Title: g.Title}})
	}
	titled := func(kind, id string) ref {
		title, ok := relationTitle(titles, kind, id)
		return ref{Type: kind, ID: id, Attributes: newTitleAttributes(id, title, ok)}
	}
	facilities := make([]ref, 0, len(a.Facilities))
	for _, id := range a.Facilities {
		facilities = append(facilities, titled("facility", id))
	}
	rels := map[string]any{
		"groups":     relation{groups},
		"facilities": relation{facilities},
	}
	// A link that is not set is left out, not written as {"data": null}.
	if p.HotelPolicyID != "" {
		rels["hotel_policy"] = relation{titled("hotel_policy", p.HotelPolicyID)}
	}
	if p.DefaultTaxSetID != "" {
		rels["default_tax_set"] = relation{titled("tax_set", p.DefaultTaxSetID)}
	}
	return resource{Type: "property", ID: p.ID, Attributes: a, Relationships: rels}
}

func money(minor *int64, currency string) *string {
	if minor == nil {
		return nil
	}
	s := keycard.FormatMoney(*minor, currency)
	return &s
}

// referenceJSON encodes v as writeJSON does.
func referenceJSON(t testing.TB, v any) string {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkPropertyJSON compares both envelopes of p, the single one (with
// settings) and a list of it (without), with the reference.
func checkPropertyJSON(t *testing.T, p *keycard.Property, titles map[store.Ref]string) {
	t.Helper()
	single := propertyResource(p, true, titles)
	pruneData(single)
	want := referenceJSON(t, struct {
		Data any `json:"data"`
	}{single})
	rec := httptest.NewRecorder()
	writeProperty(rec, 200, p, titles)
	if got := rec.Body.String(); got != want {
		t.Fatalf("writeProperty:\n got %s\nwant %s", got, want)
	}
	q := keycard.ListQuery{Page: 2, Limit: 10}
	items := []resource{propertyResource(p, false, titles), propertyResource(p, false, titles)}
	pruneData(items)
	want = referenceJSON(t, struct {
		Data []resource `json:"data"`
		Meta listMeta   `json:"meta"`
	}{items, listMeta{Total: 12, Page: q.Page, Limit: q.Limit}})
	rec = httptest.NewRecorder()
	writePropertyList(rec, []*keycard.Property{p, p}, 12, q, titles)
	if got := rec.Body.String(); got != want {
		t.Fatalf("writePropertyList:\n got %s\nwant %s", got, want)
	}
	if rec.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Fatalf("Content-Length %s for a body of %d bytes", rec.Header().Get("Content-Length"), len(want))
	}
}

// fullProperty returns a property with every member set, strings from s.
func fullProperty(s string, n int) *keycard.Property {
	minPrice, maxPrice, days := int64(n)*100+5, int64(n)*1000, n%30
	return &keycard.Property{
		ID: "0b8c2f1e-7a7d-4a51-9c7e-3f0e6c1d2b00", Title: s, Currency: "JOD", IsActive: n%2 == 0,
		Email: s + "@x.test", Phone: s, ZipCode: s, Country: "PT", State: s, City: s, Address: s, Longitude: "-9.1", Latitude: "38.7",
		Timezone: "Europe/Lisbon", PropertyType: "hotel", LogoURL: "https://x.test/" + s, Website: s,
		Facilities:    []string{"f1", s, keycard.FacilityCatalogue(keycard.PropertyFacility)[(n%3+3)%3].ID},
		HotelPolicyID: "hp-" + s, DefaultTaxSetID: "ts-" + s,
		Settings: keycard.PropertySettings{AllowAvailabilityAutoupdate: true, AllowAvailabilityAutoupdateOnModification: n%3 == 0,
			MinStayType: "through", MinPrice: &minPrice, MaxPrice: &maxPrice, StateLength: 500 + n, CutOffTime: "18:30:00",
			CutOffDays: &days, MaxDayAdvance: &days},
		Content: keycard.PropertyContent{Description: s, ImportantInformation: "\u2028" + s,
			Photos: []keycard.Photo{{ID: "ph1", URL: "https://x.test/a.jpg", Position: n, Description: s, Author: s, Kind: "photo"},
				{ID: "ph2", URL: "https://x.test/b.jpg", Kind: "photo"}}},
		Groups:    []keycard.GroupRef{{ID: "g1", Title: s}, {ID: "g2", Title: "Second"}},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600)), UpdatedAt: time.Unix(int64(n)*99991, int64(n)),
	}
}

// fullTitles returns the titles of fullProperty(s, n)'s relationships:
// its hotel policy's, titled s; its tax set's is missing.
func fullTitles(s string) map[store.Ref]string {
	return map[store.Ref]string{{Kind: "hotel_policy", ID: "hp-" + s}: s}
}

// TestPropertyJSON checks appendProperty against the reference for a bare
// property, a full one, and strings that need every kind of escaping.
func TestPropertyJSON(t *testing.T) {
	t.Parallel()
	checkPropertyJSON(t, &keycard.Property{ID: "p", Title: "Bare", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, nil)
	for i, s := range []string{"Plain Hotel", `Quote " and \ back`, "<b>&amp;</b>", "tab\tnew\nline\x01\x1f\x7f", "Ação 東京 🏨",
		"bad \xff\xfe utf-8", "line\u2028para\u2029", ""} {
		checkPropertyJSON(t, fullProperty(s, i), fullTitles(s))
	}
}

// FuzzPropertyJSON checks appendProperty against the reference for any
// string in any member.
func FuzzPropertyJSON(f *testing.F) {
	for _, s := range []string{"x", "<&>", "\x00\u2029\xc3(", `"\\"`} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		checkPropertyJSON(t, fullProperty(s, n%100000), fullTitles(s))
	})
}
