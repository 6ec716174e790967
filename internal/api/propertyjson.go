package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// The property routes are what a PMS polls most, and encoding a property
// by reflection (a resource of pointers, interfaces and a map, walked by
// encoding/json) cost more than reading it from the cache. appendProperty
// writes the same bytes directly. The reflective model it replaced,
// propertyResource, stays in the tests as the reference: TestPropertyJSON
// and FuzzPropertyJSON hold the two byte for byte equal.

// maxUsers is the users limit exposed on every property, beside the
// entity limits of package keycard (integrators read them before creating
// room types and rate plans).
const maxUsers = 20

// writeProperty writes {"data": <property>} with its settings, as
// writeData(w, status, propertyResource(p, true, titles)) does. titles
// are those of its hotel policy and tax set (see propertyTitles).
func writeProperty(w http.ResponseWriter, status int, p *keycard.Property, titles map[store.Ref]string) error {
	writeAppended(w, status, func(b []byte) []byte {
		b = append(b, `{"data":`...)
		b = appendProperty(b, p, true, titles)
		return append(b, "}\n"...)
	})
	return nil
}

// writePropertyList writes a page of properties without their settings,
// as writeList does with their propertyResource.
func writePropertyList(w http.ResponseWriter, props []*keycard.Property, total int, q keycard.ListQuery, titles map[store.Ref]string) error {
	warnIgnored(w, q)
	writeAppended(w, http.StatusOK, func(b []byte) []byte {
		b = append(b, `{"data":[`...)
		for i, p := range props {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendProperty(b, p, false, titles)
		}
		b = append(b, `],"meta":{"total":`...)
		b = strconv.AppendInt(b, int64(total), 10)
		b = append(b, `,"page":`...)
		b = strconv.AppendInt(b, int64(q.Page), 10)
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(q.Limit), 10)
		return append(b, "}}\n"...)
	})
	return nil
}

// writeAppended writes the body that appendBody appends to an empty
// buffer, as writeJSON writes an encoded one.
func writeAppended(w http.ResponseWriter, status int, appendBody func([]byte) []byte) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(buf)
	buf.Reset()
	body := appendBody(buf.AvailableBuffer())
	buf.Write(body) // keeps the memory, grown if it had to be, for the pool
	writeBody(w, status, body)
}

// appendProperty appends p as propertyResource(p, withSettings, titles)
// encodes.
func appendProperty(b []byte, p *keycard.Property, withSettings bool, titles map[store.Ref]string) []byte {
	b = append(b, `{"type":"property","id":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"attributes":{"id":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"title":`...)
	b = appendString(b, p.Title)
	b = append(b, `,"is_active":`...)
	b = strconv.AppendBool(b, p.IsActive)
	b = append(b, `,"currency":`...)
	b = appendString(b, p.Currency)
	for _, f := range [...]struct {
		name  string
		value string
	}{
		{`,"email":`, p.Email}, {`,"phone":`, p.Phone}, {`,"zip_code":`, p.ZipCode}, {`,"country":`, p.Country},
		{`,"state":`, p.State}, {`,"city":`, p.City}, {`,"address":`, p.Address}, {`,"longitude":`, p.Longitude},
		{`,"latitude":`, p.Latitude}, {`,"timezone":`, p.Timezone}, {`,"property_type":`, p.PropertyType},
		{`,"logo_url":`, p.LogoURL}, {`,"website":`, p.Website},
	} {
		b = append(b, f.name...)
		b = appendNullable(b, f.value)
	}
	b = append(b, `,"facilities":[`...)
	for i, id := range p.Facilities {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, id)
	}
	b = append(b, `],"hotel_policy_id":`...)
	b = appendNullable(b, p.HotelPolicyID)
	b = append(b, `,"default_tax_set_id":`...)
	b = appendNullable(b, p.DefaultTaxSetID)
	b = append(b, `,"content":{"description":`...)
	b = appendNullable(b, p.Content.Description)
	b = append(b, `,"important_information":`...)
	b = appendNullable(b, p.Content.ImportantInformation)
	b = append(b, `,"photos":[`...)
	for i, ph := range p.Content.Photos {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPhoto(b, ph, p.ID, "")
	}
	b = append(b, "]}"...)
	st := &p.Settings
	if withSettings {
		b = append(b, `,"settings":{"allow_availability_autoupdate":`...)
		b = strconv.AppendBool(b, st.AllowAvailabilityAutoupdate)
		b = append(b, `,"allow_availability_autoupdate_on_confirmation":`...)
		b = strconv.AppendBool(b, st.AllowAvailabilityAutoupdateOnConfirmation)
		b = append(b, `,"allow_availability_autoupdate_on_modification":`...)
		b = strconv.AppendBool(b, st.AllowAvailabilityAutoupdateOnModification)
		b = append(b, `,"allow_availability_autoupdate_on_cancellation":`...)
		b = strconv.AppendBool(b, st.AllowAvailabilityAutoupdateOnCancellation)
		b = append(b, `,"min_stay_type":`...)
		b = appendString(b, st.MinStayType)
		b = append(b, `,"min_price":`...)
		b = appendMoney(b, st.MinPrice, p.Currency)
		b = append(b, `,"max_price":`...)
		b = appendMoney(b, st.MaxPrice, p.Currency)
		b = append(b, `,"state_length":`...)
		b = strconv.AppendInt(b, int64(st.StateLength), 10)
		b = append(b, `,"cut_off_time":`...)
		b = appendNullable(b, st.CutOffTime)
		b = append(b, `,"cut_off_days":`...)
		b = appendIntPtr(b, st.CutOffDays)
		b = append(b, `,"max_day_advance":`...)
		b = appendIntPtr(b, st.MaxDayAdvance)
		b = append(b, '}')
	}
	b = append(b, `,"min_stay_type":`...)
	b = appendString(b, st.MinStayType)
	b = append(b, `,"acc_channels_count":0,"max_count_of_room_types":`...)
	b = strconv.AppendInt(b, keycard.MaxRoomTypes, 10)
	b = append(b, `,"max_count_of_rate_plans":`...)
	b = strconv.AppendInt(b, keycard.MaxRatePlans, 10)
	b = append(b, `,"max_count_of_occupancies":`...)
	b = strconv.AppendInt(b, keycard.MaxOccupancies, 10)
	b = append(b, `,"max_count_of_users":`...)
	b = strconv.AppendInt(b, maxUsers, 10)
	b = append(b, `,"created_at":`...)
	b = appendTimestamp(b, p.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTimestamp(b, p.UpdatedAt)
	// Relationships in encoding/json's order for a map: by name.
	b = append(b, `},"relationships":{`...)
	if p.DefaultTaxSetID != "" {
		b = append(b, `"default_tax_set":{"data":`...)
		b = appendTitledRef(b, "tax_set", p.DefaultTaxSetID, titles)
		b = append(b, "},"...)
	}
	b = append(b, `"facilities":{"data":[`...)
	for i, id := range p.Facilities {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTitledRef(b, "facility", id, titles)
	}
	b = append(b, `]},"groups":{"data":[`...)
	for i, g := range p.Groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"group","id":`...)
		b = appendString(b, g.ID)
		b = append(b, `,"attributes":{"id":`...)
		b = appendString(b, g.ID)
		b = append(b, `,"title":`...)
		b = appendString(b, g.Title)
		b = append(b, "}}"...)
	}
	b = append(b, "]}"...)
	if p.HotelPolicyID != "" {
		b = append(b, `,"hotel_policy":{"data":`...)
		b = appendTitledRef(b, "hotel_policy", p.HotelPolicyID, titles)
		b = append(b, '}')
	}
	return append(b, "}}"...)
}

// appendTitledRef appends a relationship item of kind with the
// titleAttributes relate would give it.
func appendTitledRef(b []byte, kind, id string, titles map[store.Ref]string) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, kind...) // a constant of ours, nothing to escape
	b = append(b, `","id":`...)
	b = appendString(b, id)
	b = append(b, `,"attributes":{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"title":`...)
	if title, ok := relationTitle(titles, kind, id); ok {
		b = appendString(b, title)
	} else {
		b = append(b, "null"...)
	}
	return append(b, "}}"...)
}

// propertyTitles returns the titles of the hotel policies and tax sets
// that props name, which their relationships carry: one query, and none
// when no property names one.
func (s *Server) propertyTitles(r *http.Request, props ...*keycard.Property) (map[store.Ref]string, error) {
	var want []store.Ref
	for _, p := range props {
		if p.HotelPolicyID != "" {
			want = append(want, store.Ref{Kind: "hotel_policy", ID: p.HotelPolicyID})
		}
		if p.DefaultTaxSetID != "" {
			want = append(want, store.Ref{Kind: "tax_set", ID: p.DefaultTaxSetID})
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	return s.store.Titles(r.Context(), principal(r), want)
}

// appendPhoto appends a photo as newPhotoView renders it.
func appendPhoto(b []byte, ph keycard.Photo, propertyID, roomTypeID string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, ph.ID)
	b = append(b, `,"url":`...)
	b = appendString(b, ph.URL)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(ph.Position), 10)
	b = append(b, `,"description":`...)
	b = appendNullable(b, ph.Description)
	b = append(b, `,"author":`...)
	b = appendNullable(b, ph.Author)
	b = append(b, `,"kind":`...)
	b = appendString(b, ph.Kind)
	b = append(b, `,"property_id":`...)
	b = appendString(b, propertyID)
	b = append(b, `,"room_type_id":`...)
	b = appendNullable(b, roomTypeID)
	return append(b, '}')
}

// appendString appends s as encoding/json writes it (escaping <, > and &
// for HTML, as its Encoder does by default). Most strings are plain ASCII
// and go out as they are; the others are left to encoding/json itself,
// so that no escaping rule is ours to get wrong.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendNullable appends s, or null for "" (as nullable does).
func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendIntPtr(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*n), 10)
}

// appendMoney appends an amount as money writes it: a string, or null.
func appendMoney(b []byte, minor *int64, currency string) []byte {
	if minor == nil {
		return append(b, "null"...)
	}
	return appendString(b, keycard.FormatMoney(*minor, currency))
}

// appendTimestamp appends t as timestamp writes it.
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendTime(b, t)
	return append(b, '"')
}
