package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/http"
	"time"
)

// The rest of a property's set-up: hotel policies, cancellation policies,
// taxes and tax sets, photos, and the facilities catalogue. Like everything else, they reach
// only the properties of the credential; filter lists by "property_id".
// Money is a decimal string in the property's currency ("4.00").

// HotelPolicy is a property's house rules. Times are "HH:MM".
type HotelPolicy struct {
	ID                     string  `json:"id"`
	PropertyID             string  `json:"property_id"`
	Title                  string  `json:"title"`
	Currency               string  `json:"currency"`
	IsAdultsOnly           bool    `json:"is_adults_only"`
	MaxCountOfGuests       int     `json:"max_count_of_guests"`
	CheckinTime            string  `json:"checkin_time"`
	CheckoutTime           string  `json:"checkout_time"`
	InternetAccessType     string  `json:"internet_access_type"`
	InternetAccessCost     *string `json:"internet_access_cost"`
	InternetAccessCoverage *string `json:"internet_access_coverage"`
	ParkingType            string  `json:"parking_type"`
	ParkingReservation     *string `json:"parking_reservation"`
	ParkingIsPrivate       bool    `json:"parking_is_private"`
	PetsPolicy             string  `json:"pets_policy"`
	PetsNonRefundableFee   string  `json:"pets_non_refundable_fee"`
	// RefundableDeposit is the pets' refundable deposit (written as
	// pets_refundable_deposit).
	RefundableDeposit string    `json:"refundable_deposit"`
	SmokingPolicy     string    `json:"smoking_policy"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func (hp *HotelPolicy) UnmarshalJSON(b []byte) error {
	type plain HotelPolicy
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(hp), timeField{&hp.CreatedAt}, timeField{&hp.UpdatedAt}})
}

// NewHotelPolicy is a hotel policy to create. The enumerations are those of
// the API: InternetAccessType "none", "wifi" or "wired"; ParkingType
// "none", "on_site" or "nearby"; PetsPolicy "allowed", "not_allowed",
// "by_arrangements" or "assistive_only"; SmokingPolicy "no_smoking",
// "permitted_areas_only" or "allowed".
type NewHotelPolicy struct {
	PropertyID         string `json:"property_id"`
	Title              string `json:"title"`
	Currency           string `json:"currency,omitempty"`
	IsAdultsOnly       bool   `json:"is_adults_only"`
	MaxCountOfGuests   int    `json:"max_count_of_guests"`
	CheckinTime        string `json:"checkin_time"`
	CheckoutTime       string `json:"checkout_time"`
	InternetAccessType string `json:"internet_access_type"`
	InternetAccessCost string `json:"internet_access_cost,omitempty"`
	// InternetAccessCoverage: "entire_property", "public_areas",
	// "all_rooms", "some_rooms" or "business_centre".
	InternetAccessCoverage string `json:"internet_access_coverage,omitempty"`
	ParkingType            string `json:"parking_type"`
	// ParkingReservation: "needed", "not_needed" or "not_possible".
	ParkingReservation    string `json:"parking_reservation,omitempty"`
	ParkingIsPrivate      bool   `json:"parking_is_private"`
	PetsPolicy            string `json:"pets_policy"`
	PetsNonRefundableFee  string `json:"pets_non_refundable_fee,omitempty"`
	PetsRefundableDeposit string `json:"pets_refundable_deposit,omitempty"`
	SmokingPolicy         string `json:"smoking_policy"`
}

// HotelPolicyChange changes a hotel policy: nil fields are not sent and
// keep their values.
type HotelPolicyChange struct {
	Title                  *string `json:"title,omitempty"`
	Currency               *string `json:"currency,omitempty"`
	IsAdultsOnly           *bool   `json:"is_adults_only,omitempty"`
	MaxCountOfGuests       *int    `json:"max_count_of_guests,omitempty"`
	CheckinTime            *string `json:"checkin_time,omitempty"`
	CheckoutTime           *string `json:"checkout_time,omitempty"`
	InternetAccessType     *string `json:"internet_access_type,omitempty"`
	InternetAccessCost     *string `json:"internet_access_cost,omitempty"`
	InternetAccessCoverage *string `json:"internet_access_coverage,omitempty"`
	ParkingType            *string `json:"parking_type,omitempty"`
	ParkingReservation     *string `json:"parking_reservation,omitempty"`
	ParkingIsPrivate       *bool   `json:"parking_is_private,omitempty"`
	PetsPolicy             *string `json:"pets_policy,omitempty"`
	PetsNonRefundableFee   *string `json:"pets_non_refundable_fee,omitempty"`
	PetsRefundableDeposit  *string `json:"pets_refundable_deposit,omitempty"`
	SmokingPolicy          *string `json:"smoking_policy,omitempty"`
}

// HotelPolicies iterates over hotel policies.
func (c *Client) HotelPolicies(ctx context.Context, opts ListOptions) iter.Seq2[*HotelPolicy, error] {
	return ptrs(list[HotelPolicy](c, ctx, "/api/v1/hotel_policies", opts))
}

// HotelPolicy returns one hotel policy.
func (c *Client) HotelPolicy(ctx context.Context, id string) (*HotelPolicy, error) {
	return one[HotelPolicy](c, ctx, http.MethodGet, "/api/v1/hotel_policies/"+pathID(id), nil)
}

// CreateHotelPolicy creates a hotel policy. A property uses it once its
// HotelPolicyID names it (see UpdateProperty).
func (c *Client) CreateHotelPolicy(ctx context.Context, hp NewHotelPolicy) (*HotelPolicy, error) {
	return one[HotelPolicy](c, ctx, http.MethodPost, "/api/v1/hotel_policies", map[string]any{"hotel_policy": hp})
}

// UpdateHotelPolicy changes a hotel policy.
func (c *Client) UpdateHotelPolicy(ctx context.Context, id string, ch HotelPolicyChange) (*HotelPolicy, error) {
	return one[HotelPolicy](c, ctx, http.MethodPut, "/api/v1/hotel_policies/"+pathID(id), map[string]any{"hotel_policy": ch})
}

// DeleteHotelPolicy deletes a hotel policy.
func (c *Client) DeleteHotelPolicy(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/hotel_policies/"+pathID(id), nil, nil, nil)
}

// CancellationPolicy is a property's terms of cancellation, which its rate
// plans name with their cancellation policy ID. An amount is a decimal
// string in the unit the field beside it sets (whole nights, a percent, or
// money in Currency), and nil when that field needs none.
type CancellationPolicy struct {
	ID         string `json:"id"`
	PropertyID string `json:"property_id"`
	Title      string `json:"title"`
	Currency   string `json:"currency"`
	// GuaranteePaymentPolicy is what a guest pays when booking: "none",
	// "nights_based", "percent_based", "fixed_per_booking" or
	// "fixed_per_booking_room".
	GuaranteePaymentPolicy string  `json:"guarantee_payment_policy"`
	GuaranteePaymentAmount *string `json:"guarantee_payment_amount"`
	// AfterReservationCancellationLogic is what a cancellation costs once
	// booked (until the deadline, if any): "free", "non_refundable",
	// "guarantee_amount", "nights_based" or "percent_based".
	AfterReservationCancellationLogic  string  `json:"after_reservation_cancellation_logic"`
	AfterReservationCancellationAmount *string `json:"after_reservation_cancellation_amount"`
	AllowDeadlineBasedLogic            bool    `json:"allow_deadline_based_logic"`
	// CancellationPolicyLogic is what changes at the deadline: "free"
	// (nothing), "deadline" (the penalty) or "non_refundable".
	CancellationPolicyLogic string `json:"cancellation_policy_logic"`
	// CancellationPolicyDeadline is how many days or hours (see
	// CancellationPolicyDeadlineType) before arrival the deadline falls.
	CancellationPolicyDeadline     *int   `json:"cancellation_policy_deadline"`
	CancellationPolicyDeadlineType string `json:"cancellation_policy_deadline_type"`
	// CancellationPolicyMode is what the penalty counts: "percent" or
	// "nights".
	CancellationPolicyMode    *string `json:"cancellation_policy_mode"`
	CancellationPolicyPenalty *string `json:"cancellation_policy_penalty"`
	// NonShowPolicy is "default" (charged as a late cancellation) or
	// "total_price".
	NonShowPolicy string `json:"non_show_policy"`
	// AssociatedRatePlanIDs are the rate plans that name the policy.
	AssociatedRatePlanIDs []string  `json:"associated_rate_plan_ids"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
}

func (cp *CancellationPolicy) UnmarshalJSON(b []byte) error {
	type plain CancellationPolicy
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(cp), timeField{&cp.CreatedAt}, timeField{&cp.UpdatedAt}})
}

// NewCancellationPolicy is a cancellation policy to create; see
// CancellationPolicy for the values. The currency is the property's
// unless given; AssociatedRatePlanIDs makes exactly those plans name it.
type NewCancellationPolicy struct {
	PropertyID                         string   `json:"property_id"`
	Title                              string   `json:"title"`
	Currency                           string   `json:"currency,omitempty"`
	GuaranteePaymentPolicy             string   `json:"guarantee_payment_policy"`
	GuaranteePaymentAmount             string   `json:"guarantee_payment_amount,omitempty"`
	AfterReservationCancellationLogic  string   `json:"after_reservation_cancellation_logic,omitempty"`
	AfterReservationCancellationAmount string   `json:"after_reservation_cancellation_amount,omitempty"`
	AllowDeadlineBasedLogic            *bool    `json:"allow_deadline_based_logic,omitempty"`
	CancellationPolicyLogic            string   `json:"cancellation_policy_logic"`
	CancellationPolicyDeadline         *int     `json:"cancellation_policy_deadline,omitempty"`
	CancellationPolicyDeadlineType     string   `json:"cancellation_policy_deadline_type,omitempty"`
	CancellationPolicyMode             string   `json:"cancellation_policy_mode,omitempty"`
	CancellationPolicyPenalty          string   `json:"cancellation_policy_penalty,omitempty"`
	NonShowPolicy                      string   `json:"non_show_policy,omitempty"`
	AssociatedRatePlanIDs              []string `json:"associated_rate_plan_ids,omitempty"`
}

// CancellationPolicyChange changes a cancellation policy: nil fields are
// not sent and keep their values (an amount keeps the value it was written
// with). AssociatedRatePlanIDs, when not nil, replace the policy's plans.
type CancellationPolicyChange struct {
	Title                              *string  `json:"title,omitempty"`
	Currency                           *string  `json:"currency,omitempty"`
	GuaranteePaymentPolicy             *string  `json:"guarantee_payment_policy,omitempty"`
	GuaranteePaymentAmount             *string  `json:"guarantee_payment_amount,omitempty"`
	AfterReservationCancellationLogic  *string  `json:"after_reservation_cancellation_logic,omitempty"`
	AfterReservationCancellationAmount *string  `json:"after_reservation_cancellation_amount,omitempty"`
	AllowDeadlineBasedLogic            *bool    `json:"allow_deadline_based_logic,omitempty"`
	CancellationPolicyLogic            *string  `json:"cancellation_policy_logic,omitempty"`
	CancellationPolicyDeadline         *int     `json:"cancellation_policy_deadline,omitempty"`
	CancellationPolicyDeadlineType     *string  `json:"cancellation_policy_deadline_type,omitempty"`
	CancellationPolicyMode             *string  `json:"cancellation_policy_mode,omitempty"`
	CancellationPolicyPenalty          *string  `json:"cancellation_policy_penalty,omitempty"`
	NonShowPolicy                      *string  `json:"non_show_policy,omitempty"`
	AssociatedRatePlanIDs              []string `json:"associated_rate_plan_ids,omitzero"`
}

// CancellationPolicies iterates over cancellation policies.
func (c *Client) CancellationPolicies(ctx context.Context, opts ListOptions) iter.Seq2[*CancellationPolicy, error] {
	return ptrs(list[CancellationPolicy](c, ctx, "/api/v1/cancellation_policies", opts))
}

// CancellationPolicy returns one cancellation policy.
func (c *Client) CancellationPolicy(ctx context.Context, id string) (*CancellationPolicy, error) {
	return one[CancellationPolicy](c, ctx, http.MethodGet, "/api/v1/cancellation_policies/"+pathID(id), nil)
}

// CreateCancellationPolicy creates a cancellation policy.
func (c *Client) CreateCancellationPolicy(ctx context.Context, cp NewCancellationPolicy) (*CancellationPolicy, error) {
	return one[CancellationPolicy](c, ctx, http.MethodPost, "/api/v1/cancellation_policies", map[string]any{"cancellation_policy": cp})
}

// UpdateCancellationPolicy changes a cancellation policy.
func (c *Client) UpdateCancellationPolicy(ctx context.Context, id string, ch CancellationPolicyChange) (*CancellationPolicy, error) {
	return one[CancellationPolicy](c, ctx, http.MethodPut, "/api/v1/cancellation_policies/"+pathID(id),
		map[string]any{"cancellation_policy": ch})
}

// DeleteCancellationPolicy deletes a cancellation policy; its rate plans no
// longer name it.
func (c *Client) DeleteCancellationPolicy(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/cancellation_policies/"+pathID(id), nil, nil, nil)
}

// DateRange bounds the stay dates (YYYY-MM-DD) a tax applies to; nil is
// open.
type DateRange struct {
	After  *string `json:"after"`
	Before *string `json:"before"`
}

// Tax is a tax or fee of a property.
type Tax struct {
	ID         string `json:"id"`
	PropertyID string `json:"property_id"`
	Title      string `json:"title"`
	// Logic is "percent" (Rate is a percent) or a fixed amount
	// "per_room", "per_room_per_night", "per_person",
	// "per_person_per_night", "per_night" or "per_booking" (Rate is
	// money).
	Logic string `json:"logic"`
	// Type is "tax", "fee" or "city_tax".
	Type        string `json:"type"`
	Rate        string `json:"rate"`
	Currency    string `json:"currency"`
	IsInclusive bool   `json:"is_inclusive"`
	SkipNights  *int   `json:"skip_nights"`
	MaxNights   *int   `json:"max_nights"`
	// ApplicableDateRanges are the stays the tax applies to; none: all.
	ApplicableDateRanges []DateRange `json:"applicable_date_ranges"`
	CreatedAt            time.Time   `json:"created_at"`
	UpdatedAt            time.Time   `json:"updated_at"`
}

func (t *Tax) UnmarshalJSON(b []byte) error {
	type plain Tax
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(t), timeField{&t.CreatedAt}, timeField{&t.UpdatedAt}})
}

// NewTax is a tax to create; see Tax for the values of Logic and Type.
type NewTax struct {
	PropertyID           string      `json:"property_id"`
	Title                string      `json:"title"`
	Logic                string      `json:"logic"`
	Type                 string      `json:"type"`
	Rate                 string      `json:"rate"`
	IsInclusive          bool        `json:"is_inclusive"`
	SkipNights           *int        `json:"skip_nights,omitempty"`
	MaxNights            *int        `json:"max_nights,omitempty"`
	ApplicableDateRanges []DateRange `json:"applicable_date_ranges,omitempty"`
}

// TaxChange changes a tax: nil fields are not sent and keep their values.
type TaxChange struct {
	Title       *string `json:"title,omitempty"`
	Logic       *string `json:"logic,omitempty"`
	Type        *string `json:"type,omitempty"`
	Rate        *string `json:"rate,omitempty"`
	IsInclusive *bool   `json:"is_inclusive,omitempty"`
	SkipNights  *int    `json:"skip_nights,omitempty"`
	MaxNights   *int    `json:"max_nights,omitempty"`
	// ApplicableDateRanges, when not nil, replace the tax's; an empty
	// list makes it apply to every stay.
	ApplicableDateRanges []DateRange `json:"applicable_date_ranges,omitzero"`
}

// Taxes iterates over taxes.
func (c *Client) Taxes(ctx context.Context, opts ListOptions) iter.Seq2[*Tax, error] {
	return ptrs(list[Tax](c, ctx, "/api/v1/taxes", opts))
}

// Tax returns one tax.
func (c *Client) Tax(ctx context.Context, id string) (*Tax, error) {
	return one[Tax](c, ctx, http.MethodGet, "/api/v1/taxes/"+pathID(id), nil)
}

// CreateTax creates a tax.
func (c *Client) CreateTax(ctx context.Context, t NewTax) (*Tax, error) {
	return one[Tax](c, ctx, http.MethodPost, "/api/v1/taxes", map[string]any{"tax": t})
}

// UpdateTax changes a tax.
func (c *Client) UpdateTax(ctx context.Context, id string, ch TaxChange) (*Tax, error) {
	return one[Tax](c, ctx, http.MethodPut, "/api/v1/taxes/"+pathID(id), map[string]any{"tax": ch})
}

// DeleteTax deletes a tax.
func (c *Client) DeleteTax(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/taxes/"+pathID(id), nil, nil, nil)
}

// TaxLevel places a tax in a tax set: level 0 applies to the price, level
// 1 to the price with the level-0 taxes, and so on.
type TaxLevel struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
}

// TaxSet is the taxes that apply together to some rate plans.
type TaxSet struct {
	ID         string     `json:"id"`
	PropertyID string     `json:"property_id"`
	Title      string     `json:"title"`
	Currency   string     `json:"currency"`
	Taxes      []TaxLevel `json:"taxes"`
	// AssociatedRatePlanIDs are the rate plans whose tax set this is.
	AssociatedRatePlanIDs []string  `json:"associated_rate_plan_ids"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
}

func (ts *TaxSet) UnmarshalJSON(b []byte) error {
	type plain TaxSet
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(ts), timeField{&ts.CreatedAt}, timeField{&ts.UpdatedAt}})
}

// NewTaxSet is a tax set to create. AssociatedRatePlanIDs sets exactly
// those plans' tax set (taking them from any other set).
type NewTaxSet struct {
	PropertyID            string     `json:"property_id"`
	Title                 string     `json:"title"`
	Currency              string     `json:"currency,omitempty"`
	Taxes                 []TaxLevel `json:"taxes,omitempty"`
	AssociatedRatePlanIDs []string   `json:"associated_rate_plan_ids,omitempty"`
}

// TaxSetChange changes a tax set: nil fields are not sent and keep their
// values. Taxes and AssociatedRatePlanIDs, when not nil, replace the
// set's (plans left out lose the set).
type TaxSetChange struct {
	Title                 *string    `json:"title,omitempty"`
	Currency              *string    `json:"currency,omitempty"`
	Taxes                 []TaxLevel `json:"taxes,omitzero"`
	AssociatedRatePlanIDs []string   `json:"associated_rate_plan_ids,omitzero"`
}

// TaxSets iterates over tax sets.
func (c *Client) TaxSets(ctx context.Context, opts ListOptions) iter.Seq2[*TaxSet, error] {
	return ptrs(list[TaxSet](c, ctx, "/api/v1/tax_sets", opts))
}

// TaxSet returns one tax set.
func (c *Client) TaxSet(ctx context.Context, id string) (*TaxSet, error) {
	return one[TaxSet](c, ctx, http.MethodGet, "/api/v1/tax_sets/"+pathID(id), nil)
}

// CreateTaxSet creates a tax set.
func (c *Client) CreateTaxSet(ctx context.Context, ts NewTaxSet) (*TaxSet, error) {
	return one[TaxSet](c, ctx, http.MethodPost, "/api/v1/tax_sets", map[string]any{"tax_set": ts})
}

// UpdateTaxSet changes a tax set.
func (c *Client) UpdateTaxSet(ctx context.Context, id string, ch TaxSetChange) (*TaxSet, error) {
	return one[TaxSet](c, ctx, http.MethodPut, "/api/v1/tax_sets/"+pathID(id), map[string]any{"tax_set": ch})
}

// DeleteTaxSet deletes a tax set; its rate plans and property no longer
// name it.
func (c *Client) DeleteTaxSet(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tax_sets/"+pathID(id), nil, nil, nil)
}

// Photo is a photo of a property, or of one of its room types.
type Photo struct {
	ID  string `json:"id,omitempty"`
	URL string `json:"url"`
	// Kind is "photo", "ad" or "menu".
	Kind        string  `json:"kind,omitempty"`
	Position    int     `json:"position"`
	Description *string `json:"description,omitempty"`
	Author      *string `json:"author,omitempty"`
	PropertyID  string  `json:"property_id,omitempty"`
	// RoomTypeID is the photo's room type; nil for a photo of the
	// property.
	RoomTypeID *string `json:"room_type_id,omitempty"`
}

// NewPhoto is a photo to create; URL may be one UploadPhoto answered.
type NewPhoto struct {
	PropertyID  string `json:"property_id"`
	RoomTypeID  string `json:"room_type_id,omitempty"`
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	Author      string `json:"author,omitempty"`
	Kind        string `json:"kind,omitempty"`
	Position    *int   `json:"position,omitempty"`
}

// PhotoChange changes a photo: nil fields are not sent and keep their
// values.
type PhotoChange struct {
	URL         *string `json:"url,omitempty"`
	Description *string `json:"description,omitempty"`
	Author      *string `json:"author,omitempty"`
	Kind        *string `json:"kind,omitempty"`
	Position    *int    `json:"position,omitempty"`
}

// Photos iterates over photos; filter by "property_id" or
// "room_type_id".
func (c *Client) Photos(ctx context.Context, opts ListOptions) iter.Seq2[*Photo, error] {
	return ptrs(list[Photo](c, ctx, "/api/v1/photos", opts))
}

// Photo returns one photo.
func (c *Client) Photo(ctx context.Context, id string) (*Photo, error) {
	return one[Photo](c, ctx, http.MethodGet, "/api/v1/photos/"+pathID(id), nil)
}

// CreatePhoto adds a photo to a property or room type.
func (c *Client) CreatePhoto(ctx context.Context, p NewPhoto) (*Photo, error) {
	return one[Photo](c, ctx, http.MethodPost, "/api/v1/photos", map[string]any{"photo": p})
}

// UpdatePhoto changes a photo.
func (c *Client) UpdatePhoto(ctx context.Context, id string, ch PhotoChange) (*Photo, error) {
	return one[Photo](c, ctx, http.MethodPut, "/api/v1/photos/"+pathID(id), map[string]any{"photo": ch})
}

// DeletePhoto deletes a photo.
func (c *Client) DeletePhoto(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/photos/"+pathID(id), nil, nil, nil)
}

// PhotoFile is an uploaded image.
type PhotoFile struct {
	ID string `json:"id"`
	// URL is where the image is served, publicly, for good: give it to
	// CreatePhoto.
	URL string `json:"url"`
	// ContentType is "image/jpeg", "image/png" or "image/webp".
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// UploadPhoto uploads an image (a JPEG, PNG or WebP of at most 10 MB,
// which the server checks by its content) and returns where it is served.
// name is the file name sent with it.
func (c *Client) UploadPhoto(ctx context.Context, name string, image io.Reader) (*PhotoFile, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("photo", name)
	if err != nil {
		return nil, fmt.Errorf("keycard: upload photo: %w", err)
	}
	if _, err := io.Copy(part, image); err != nil {
		return nil, fmt.Errorf("keycard: upload photo: read image: %w", err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("keycard: upload photo: %w", err)
	}
	var out struct {
		Data item[PhotoFile] `json:"data"`
	}
	err = c.send(ctx, &request{method: http.MethodPost, path: "/api/v1/photos/upload",
		body: rawBody{contentType: mw.FormDataContentType(), data: body.Bytes()}, out: &out})
	if err != nil {
		return nil, err
	}
	return &out.Data.Attributes, nil
}

// Facility is an entry of the facilities catalogue, which is the same on
// every server. Properties and room types name their facilities by ID.
type Facility struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	Title    string `json:"title"`
	// Kind is "property" or "room".
	Kind string `json:"kind"`
}

// PropertyFacilities iterates over the catalogue of property facilities;
// filter by "category", "title" or "id".
func (c *Client) PropertyFacilities(ctx context.Context, opts ListOptions) iter.Seq2[*Facility, error] {
	return ptrs(list[Facility](c, ctx, "/api/v1/property_facilities", opts))
}

// RoomFacilities iterates over the catalogue of room facilities; filter
// as PropertyFacilities.
func (c *Client) RoomFacilities(ctx context.Context, opts ListOptions) iter.Seq2[*Facility, error] {
	return ptrs(list[Facility](c, ctx, "/api/v1/room_facilities", opts))
}

// AllFacilities returns the whole catalogue, property and room facilities
// (see Kind), in one call.
func (c *Client) AllFacilities(ctx context.Context) ([]Facility, error) {
	var out struct {
		Data []item[Facility] `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/facilities/options", nil, nil, &out); err != nil {
		return nil, err
	}
	all := make([]Facility, 0, len(out.Data))
	for _, it := range out.Data {
		all = append(all, it.Attributes)
	}
	return all, nil
}
