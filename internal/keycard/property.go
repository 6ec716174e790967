package keycard

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Property is a hotel or vacation rental, owned by an organisation and
// always a member of at least one of its groups. Empty strings are absent
// values (JSON null).
type Property struct {
	ID             string
	OrganizationID string
	Title          string
	Currency       string
	Email          string
	Phone          string
	ZipCode        string
	Country        string
	State          string
	City           string
	Address        string
	Longitude      string
	Latitude       string
	Timezone       string
	PropertyType   string
	LogoURL        string
	Website        string
	Facilities     []string
	// HotelPolicyID and DefaultTaxSetID name one of the property's hotel
	// policies and tax sets, or are empty.
	HotelPolicyID   string
	DefaultTaxSetID string
	Settings        PropertySettings
	Content         PropertyContent
	IsActive        bool
	Groups          []GroupRef
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// GroupRef names a group in a property's relationships.
type GroupRef struct {
	ID    string
	Title string
}

// PropertySettings are a property's settings; a PUT replaces them whole.
// The JSON tags are the stored form (money in minor units); the API writes
// its own view.
type PropertySettings struct {
	AllowAvailabilityAutoupdate               bool   `json:"allow_availability_autoupdate"`
	AllowAvailabilityAutoupdateOnConfirmation bool   `json:"allow_availability_autoupdate_on_confirmation"`
	AllowAvailabilityAutoupdateOnModification bool   `json:"allow_availability_autoupdate_on_modification"`
	AllowAvailabilityAutoupdateOnCancellation bool   `json:"allow_availability_autoupdate_on_cancellation"`
	MinStayType                               string `json:"min_stay_type"`
	MinPrice                                  *int64 `json:"min_price"` // minor units of the property's currency
	MaxPrice                                  *int64 `json:"max_price"`
	StateLength                               int    `json:"state_length"`
	CutOffTime                                string `json:"cut_off_time"` // "HH:MM:SS" in 30-minute steps, or ""
	CutOffDays                                *int   `json:"cut_off_days"`
	MaxDayAdvance                             *int   `json:"max_day_advance"`
}

// DefaultPropertySettings returns the settings of a new property: the
// values Channex's documentation recommends.
func DefaultPropertySettings() PropertySettings {
	return PropertySettings{
		AllowAvailabilityAutoupdate:               true,
		AllowAvailabilityAutoupdateOnConfirmation: true,
		MinStayType: "both",
		StateLength: 500,
	}
}

// PropertyContent is a property's descriptive content.
type PropertyContent struct {
	Description          string  `json:"description,omitempty"`
	ImportantInformation string  `json:"important_information,omitempty"`
	Photos               []Photo `json:"photos"`
}

// Photo is one photo of a property or room type.
type Photo struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Position    int    `json:"position"`
	Description string `json:"description,omitempty"`
	Author      string `json:"author,omitempty"`
	Kind        string `json:"kind"`
}

// PropertyTypes lists the accepted property_type values.
var PropertyTypes = setOf("apart_hotel", "apartment", "boat", "camping", "capsule_hotel", "chalet",
	"country_house", "farm_stay", "guest_house", "holiday_home", "holiday_park", "homestay", "hostel",
	"hotel", "inn", "lodge", "motel", "resort", "riad", "ryokan", "tent", "villa")

var (
	minStayTypes = setOf("both", "arrival", "through")
	photoKinds   = setOf("photo", "ad", "menu")
	cutOffTimeRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):(00|30)(:00)?$`)
)

// Validate checks every field of p and returns a validation Error naming
// each field that is wrong, or nil. Fields already in skip (because they
// failed to decode) are not checked again.
func (p *Property) Validate(skip FieldErrors) error { return p.check(skip).Err() }

// check is Validate returning the field errors themselves.
func (p *Property) check(skip FieldErrors) FieldErrors {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(p.Title, 255))
	check("currency", currencyMessage(p.Currency))
	if p.Email != "" {
		check("email", ValidateEmail(p.Email))
	}
	check("phone", maxLen(p.Phone, 32))
	check("zip_code", maxLen(p.ZipCode, 32))
	check("state", maxLen(p.State, 255))
	check("city", maxLen(p.City, 255))
	check("address", maxLen(p.Address, 255))
	if p.Country != "" && !countryCodes[p.Country] {
		check("country", "is not a valid ISO 3166-1 alpha-2 country code")
	}
	check("longitude", coordinate(p.Longitude, 10, 180))
	check("latitude", coordinate(p.Latitude, 9, 90))
	if p.Timezone != "" {
		if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "Local" {
			check("timezone", "is not a known IANA time zone")
		}
	}
	if p.PropertyType != "" && !PropertyTypes[p.PropertyType] {
		check("property_type", "is not included in the list")
	}
	check("logo_url", webURL(p.LogoURL))
	check("website", webURL(p.Website))
	check("facilities", facilitiesMessage(PropertyFacility, p.Facilities))
	p.Settings.validate(check)
	p.Content.validate(check)
	return c.fe
}

func (s *PropertySettings) validate(check func(field, msg string)) {
	if !minStayTypes[s.MinStayType] {
		check("settings", "min_stay_type is not included in the list (both, arrival, through)")
	}
	if s.StateLength < 100 || s.StateLength > 730 {
		check("settings", "state_length must be between 100 and 730")
	}
	if s.CutOffTime != "" && !cutOffTimeRe.MatchString(s.CutOffTime) {
		check("settings", "cut_off_time must be a time of day in 30-minute steps, like \"18:30:00\"")
	}
	if s.CutOffDays != nil && (*s.CutOffDays < 0 || *s.CutOffDays > 365) {
		check("settings", "cut_off_days must be between 0 and 365")
	}
	if s.MaxDayAdvance != nil && (*s.MaxDayAdvance < 0 || *s.MaxDayAdvance > 730) {
		check("settings", "max_day_advance must be between 0 and 730")
	}
	if s.MinPrice != nil && *s.MinPrice < 0 || s.MaxPrice != nil && *s.MaxPrice < 0 {
		check("settings", "min_price and max_price must not be negative")
	}
	if s.MinPrice != nil && s.MaxPrice != nil && *s.MinPrice > *s.MaxPrice {
		check("settings", "min_price must not be greater than max_price")
	}
}

func (c *PropertyContent) validate(check func(field, msg string)) {
	if len(c.Description) > 65535 || len(c.ImportantInformation) > 65535 {
		check("content", "description and important_information must be at most 65535 characters")
	}
	for _, ph := range c.Photos {
		if webURL(ph.URL) != "" || ph.URL == "" {
			check("content", "every photo needs a valid http(s) url")
			return
		}
		if !photoKinds[ph.Kind] {
			check("content", "photo kind must be photo, ad or menu")
			return
		}
		if ph.Position < 0 {
			check("content", "photo position must not be negative")
			return
		}
	}
}

func requiredText(s string, max int) string {
	if strings.TrimSpace(s) == "" {
		return "can't be blank"
	}
	return maxLen(s, max)
}

func maxLen(s string, max int) string {
	if !ValidText(s) {
		return "contains a NUL character"
	}
	if n := len([]rune(s)); n > max {
		return "is too long (maximum is " + strconv.Itoa(max) + " characters)"
	}
	return ""
}

// coordinate checks a decimal-string coordinate the way a DECIMAL(digits,
// 7) column would: at most digits digits in all, at most 7 of them
// decimals, and within ±limit.
func coordinate(s string, digits int, limit float64) string {
	if s == "" {
		return ""
	}
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) || len(frac) > 7 {
		return "must be a decimal number with at most 7 decimal places"
	}
	if len(whole)+len(frac) > digits {
		return "must have at most " + strconv.Itoa(digits) + " digits"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < -limit || f > limit {
		return "must be between -" + strconv.Itoa(int(limit)) + " and " + strconv.Itoa(int(limit))
	}
	return ""
}

func webURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return "must be an http or https URL"
	}
	return ""
}

// ValidID reports whether s has the form of a keycard id (a lower-case
// UUID).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
