package keycard

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// HotelPolicy holds the general rules of a property: guests, check-in and
// check-out, internet, parking, pets and smoking. A property points to one
// of its policies with its hotel_policy_id. Money is in minor units of
// Currency.
type HotelPolicy struct {
	ID                     string
	PropertyID             string
	Title                  string
	Currency               string
	IsAdultsOnly           bool
	MaxCountOfGuests       int
	CheckinTime            string // "HH:MM"
	CheckoutTime           string
	InternetAccessType     string
	InternetAccessCost     *int64
	InternetAccessCoverage string
	ParkingType            string
	ParkingReservation     string
	ParkingIsPrivate       bool
	PetsPolicy             string
	PetsNonRefundableFee   int64
	PetsRefundableDeposit  int64
	SmokingPolicy          string
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// The accepted values of a hotel policy's enumerated fields.
var (
	InternetAccessTypes     = []string{"none", "wifi", "wired"}
	InternetAccessCoverages = []string{"entire_property", "public_areas", "all_rooms", "some_rooms", "business_centre"}
	ParkingTypes            = []string{"none", "on_site", "nearby"}
	ParkingReservations     = []string{"needed", "not_needed", "not_possible"}
	PetsPolicies            = []string{"allowed", "not_allowed", "by_arrangements", "assistive_only"}
	SmokingPolicies         = []string{"no_smoking", "permitted_areas_only", "allowed"}
)

var clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate checks every field of hp and returns a validation Error naming
// each field that is wrong, or nil. Fields already in skip are not checked
// again.
func (hp *HotelPolicy) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(hp.Title, 255))
	if hp.Currency != "" {
		check("currency", currencyMessage(hp.Currency))
	}
	check("max_count_of_guests", between(hp.MaxCountOfGuests, 1, 10000))
	for field, v := range map[string]string{"checkin_time": hp.CheckinTime, "checkout_time": hp.CheckoutTime} {
		switch {
		case v == "":
			check(field, "can't be blank")
		case !clockRe.MatchString(v):
			check(field, "must be a time of day written HH:MM")
		}
	}
	required := func(field, v string, list []string) {
		if v == "" {
			check(field, "can't be blank")
		} else {
			check(field, oneOf(v, list))
		}
	}
	optional := func(field, v string, list []string) {
		if v != "" {
			check(field, oneOf(v, list))
		}
	}
	required("internet_access_type", hp.InternetAccessType, InternetAccessTypes)
	optional("internet_access_coverage", hp.InternetAccessCoverage, InternetAccessCoverages)
	required("parking_type", hp.ParkingType, ParkingTypes)
	optional("parking_reservation", hp.ParkingReservation, ParkingReservations)
	required("pets_policy", hp.PetsPolicy, PetsPolicies)
	required("smoking_policy", hp.SmokingPolicy, SmokingPolicies)
	if hp.InternetAccessCost != nil && *hp.InternetAccessCost < 0 {
		check("internet_access_cost", "must not be negative")
	}
	if hp.PetsNonRefundableFee < 0 {
		check("pets_non_refundable_fee", "must not be negative")
	}
	if hp.PetsRefundableDeposit < 0 {
		check("pets_refundable_deposit", "must not be negative")
	}
	return c.fe.Err()
}

// oneOf returns the message for v not in list, or "".
func oneOf(v string, list []string) string {
	for _, s := range list {
		if v == s {
			return ""
		}
	}
	return "is not included in the list (" + strings.Join(list, ", ") + ")"
}

// Tax logics: a percent of the price, or a fixed amount per room, person,
// night or booking.
const TaxPercent = "percent"

// The accepted values of a tax's logic and type.
var (
	TaxLogics = []string{TaxPercent, "per_room", "per_room_per_night", "per_person", "per_person_per_night", "per_night", "per_booking"}
	TaxTypes  = []string{"tax", "fee", "city_tax"}
)

// Tax is one tax or fee of a property. Rate is in hundredths of a percent
// for a percent tax (1000 is 10 %), else in minor units of Currency.
type Tax struct {
	ID          string
	PropertyID  string
	Title       string
	Logic       string
	Type        string
	Rate        int64
	Currency    string
	IsInclusive bool
	SkipNights  *int
	MaxNights   *int
	DateRanges  []DateRange
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DateRange is a span of stay dates a tax applies to: After and Before are
// YYYY-MM-DD, either may be empty for an open end.
type DateRange struct {
	After  string `json:"after"`
	Before string `json:"before"`
}

// Validate checks every field of tx and returns a validation Error naming
// each field that is wrong, or nil.
func (tx *Tax) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(tx.Title, 255))
	check("logic", oneOf(tx.Logic, TaxLogics))
	check("type", oneOf(tx.Type, TaxTypes))
	switch {
	case tx.Rate < 0:
		check("rate", "must not be negative")
	case tx.Logic == TaxPercent && tx.Rate > 100_00:
		check("rate", "must be at most 100 (percent)")
	}
	if tx.SkipNights != nil {
		check("skip_nights", between(*tx.SkipNights, 0, 365))
	}
	if tx.MaxNights != nil {
		check("max_nights", between(*tx.MaxNights, 1, 365))
	}
	if len(tx.DateRanges) > 100 {
		check("applicable_date_ranges", "must have at most 100 ranges")
	}
	for _, r := range tx.DateRanges {
		a, aok := ParseDate(r.After)
		b, bok := ParseDate(r.Before)
		if (r.After != "" && !aok) || (r.Before != "" && !bok) || (r.After == "" && r.Before == "") {
			check("applicable_date_ranges", "each range needs after and/or before, as YYYY-MM-DD")
			break
		}
		if aok && bok && a > b {
			check("applicable_date_ranges", "after must not be later than before")
			break
		}
	}
	return c.fe.Err()
}

// ParsePercent reads a percent written as a JSON number (10, 12.5) or a
// decimal string ("12.50") into hundredths of a percent.
func ParsePercent(raw json.RawMessage) (int64, string) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, "can't be blank"
	}
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, "is invalid"
		}
		s = strings.TrimSpace(s)
	}
	return parseDecimal(s, 2)
}

// FormatPercent writes hundredths of a percent as "12.50".
func FormatPercent(n int64) string { return FormatMoney(n, "EUR") }

// TaxSet is a property's ordered set of taxes, applied to the rate plans
// associated with it. A tax of level 0 applies to the price; one of level 1
// to the price with the level-0 taxes; and so on.
type TaxSet struct {
	ID          string
	PropertyID  string
	Title       string
	Currency    string
	Taxes       []TaxSetTax
	RatePlanIDs []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TaxSetTax is a tax in a set, at its level.
type TaxSetTax struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
}

// Validate checks a tax set's own fields (the store checks that its taxes
// and rate plans belong to its property).
func (ts *TaxSet) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(ts.Title, 255))
	if ts.Currency != "" {
		check("currency", currencyMessage(ts.Currency))
	}
	seen := map[string]bool{}
	for _, t := range ts.Taxes {
		if !ValidID(t.ID) {
			check("taxes", "each tax needs the id of a tax")
			break
		}
		if seen[t.ID] {
			check("taxes", "lists a tax more than once")
			break
		}
		seen[t.ID] = true
		if t.Level < 0 || t.Level > 10 {
			check("taxes", "level must be between 0 and 10")
			break
		}
	}
	for _, id := range ts.RatePlanIDs {
		if !ValidID(id) {
			check("associated_rate_plan_ids", "must be a list of rate plan ids")
			break
		}
	}
	return c.fe.Err()
}

// PhotoRecord is a photo of a property, or of one of its room types when
// RoomTypeID is set.
type PhotoRecord struct {
	Photo
	PropertyID string
	RoomTypeID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks a photo's fields.
func (ph *PhotoRecord) Validate(skip FieldErrors) error {
	c := newChecker(skip)
	check := c.check
	if ph.URL == "" {
		check("url", "can't be blank")
	} else {
		check("url", webURL(ph.URL))
	}
	check("kind", oneOf(ph.Kind, []string{"photo", "ad", "menu"}))
	check("position", between(ph.Position, 0, 1_000_000))
	check("description", maxLen(ph.Description, 65535))
	check("author", maxLen(ph.Author, 255))
	return c.fe.Err()
}

// PhotoFile is an uploaded image, served at a stable URL.
type PhotoFile struct {
	ID             string
	OrganizationID string
	ContentType    string
	Size           int64
	Data           []byte
	CreatedAt      time.Time
}

// PhotoFilePath is the path under which uploaded photo files are served,
// followed by the file's id and extension.
const PhotoFilePath = "/api/v1/photo_files/"

// PhotoFileID returns the id of the uploaded file that a photo's url
// names, on whatever host, and reports whether it names one.
func PhotoFileID(url string) (string, bool) {
	_, rest, ok := strings.Cut(url, PhotoFilePath)
	if !ok {
		return "", false
	}
	id := strings.ToLower(rest[:min(len(rest), 36)])
	if !ValidID(id) {
		return "", false
	}
	if len(rest) > 36 && !strings.ContainsRune(".?#", rune(rest[36])) {
		return "", false
	}
	return id, true
}

// MaxPhotoBytes is the largest photo upload.
const MaxPhotoBytes = 10 << 20

// MaxPhotoPixels is the largest area, in pixels, of an uploaded image: 40
// megapixels, more than any camera a hotel photographer uses. It is read
// from the image's header before the pixels are decoded, so that a small
// file declaring a huge image cannot make the server allocate its pixels.
const MaxPhotoPixels = 40_000_000

// PhotoQuota bounds the uploaded photo files an organisation keeps: their
// number and their total size in bytes. A zero field is no limit. Files
// belong to the organisation, not to a property: an upload names no
// property (as in Channex), and its URL may be used by several.
type PhotoQuota struct {
	Files int
	Bytes int64
}

// DefaultPhotoQuota is the quota of an organisation unless the operator
// sets another.
var DefaultPhotoQuota = PhotoQuota{Files: 2000, Bytes: 2 << 30}

// PropertyHealth says whether a property's set-up is complete enough to
// sell: room types, rate plans, and availability and rates written for the
// next HealthDays days.
type PropertyHealth struct {
	PropertyID string
	Title      string
	RoomTypes  int
	RatePlans  int
	// AvailabilityDays is the fewest days, over the room types, with
	// availability written in the window; RateDays the fewest, over the
	// manual rate plans, with a rate (written, or a non-zero default).
	AvailabilityDays int
	RateDays         int
	From, To         Date
}

// HealthDays is the window the health check looks at.
const HealthDays = 365

// Issues lists what the property lacks, in words.
func (h *PropertyHealth) Issues() []string {
	out := []string{}
	if h.RoomTypes == 0 {
		out = append(out, "no room types")
	}
	if h.RatePlans == 0 {
		out = append(out, "no rate plans")
	}
	if h.RoomTypes > 0 && h.AvailabilityDays < HealthDays {
		out = append(out, "availability is missing for some of the next 365 days")
	}
	if h.RatePlans > 0 && h.RateDays < HealthDays {
		out = append(out, "rates are missing for some of the next 365 days")
	}
	return out
}
