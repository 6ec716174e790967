package keycard

import (
	"encoding/json"
	"errors"
	"strings"
)

// The changes below are a hotel policy, tax, tax set or photo as a client
// sends it (a new one, or a change to one), decoded into types but not yet
// judged: a nil pointer, or a false ...Sent, is a member the body did not
// have. Money stays as sent, since what it means depends on a currency
// the change itself may set. Each entity's Apply holds the rules.
//
// PropertyID, in each, is what an update's body names: it is checked,
// never written, since these belong to their property for good.

// HotelPolicyChange is a hotel policy as sent.
type HotelPolicyChange struct {
	PropertyID *string
	// Currency is nil also when sent as null: the policy keeps its own.
	Currency *string
	Title    *string
	// The enumerated and clock fields; JSON null reads as "".
	CheckinTime, CheckoutTime, InternetAccessType, InternetAccessCoverage *string
	ParkingType, ParkingReservation, PetsPolicy, SmokingPolicy            *string
	IsAdultsOnly, ParkingIsPrivate                                        *bool
	MaxCountOfGuests                                                      *int
	// InternetAccessCost is nil when not sent; JSON null clears it.
	InternetAccessCost json.RawMessage
	// PetsNonRefundableFee and PetsRefundableDeposit are nil when not
	// sent; JSON null makes them 0. RefundableDeposit is the deposit under
	// the name Channex's answers give it, read when PetsRefundableDeposit
	// is not sent.
	PetsNonRefundableFee, PetsRefundableDeposit, RefundableDeposit json.RawMessage
}

// Apply writes c onto hp, the currency first since money is read in it,
// then judges the policy as a whole. errs holds what went wrong decoding
// the request (the rules skip those fields); Apply adds what breaks a
// rule, and returns errs.
func (hp *HotelPolicy) Apply(c *HotelPolicyChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	propertyUnchanged(errs, c.PropertyID, hp.PropertyID)
	if c.Currency != nil {
		hp.Currency = strings.ToUpper(strings.TrimSpace(*c.Currency))
	}
	for _, m := range []struct{ dst, v *string }{
		{&hp.Title, c.Title}, {&hp.CheckinTime, c.CheckinTime}, {&hp.CheckoutTime, c.CheckoutTime},
		{&hp.InternetAccessType, c.InternetAccessType}, {&hp.InternetAccessCoverage, c.InternetAccessCoverage},
		{&hp.ParkingType, c.ParkingType}, {&hp.ParkingReservation, c.ParkingReservation},
		{&hp.PetsPolicy, c.PetsPolicy}, {&hp.SmokingPolicy, c.SmokingPolicy},
	} {
		trimSent(m.dst, m.v)
	}
	// "14:00:00" is understood as "14:00".
	for _, dst := range []*string{&hp.CheckinTime, &hp.CheckoutTime} {
		if len(*dst) == 8 && strings.HasSuffix(*dst, ":00") {
			*dst = (*dst)[:5]
		}
	}
	setSent(&hp.IsAdultsOnly, c.IsAdultsOnly)
	setSent(&hp.ParkingIsPrivate, c.ParkingIsPrivate)
	setSent(&hp.MaxCountOfGuests, c.MaxCountOfGuests)
	if raw := c.InternetAccessCost; raw != nil {
		if isJSONNull(raw) {
			hp.InternetAccessCost = nil
		} else if v, msg := ParseMoney(raw, hp.Currency); msg != "" {
			errs.Add("internet_access_cost", msg)
		} else {
			hp.InternetAccessCost = &v
		}
	}
	deposit, depositRaw := "pets_refundable_deposit", c.PetsRefundableDeposit
	if depositRaw == nil && c.RefundableDeposit != nil {
		deposit, depositRaw = "refundable_deposit", c.RefundableDeposit
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		dst  *int64
	}{{"pets_non_refundable_fee", c.PetsNonRefundableFee, &hp.PetsNonRefundableFee}, {deposit, depositRaw, &hp.PetsRefundableDeposit}} {
		switch {
		case m.raw == nil:
		case isJSONNull(m.raw):
			*m.dst = 0
		default:
			if v, msg := ParseMoney(m.raw, hp.Currency); msg != "" {
				errs.Add(m.name, msg)
			} else {
				*m.dst = v
			}
		}
	}
	return errs.addValidation(hp.Validate(errs))
}

// TaxChange is a tax as sent.
type TaxChange struct {
	PropertyID *string
	Title      *string
	// Logic and Type are nil also when sent as null: the tax keeps its own.
	Logic, Type *string
	IsInclusive *bool
	// Rate is nil when not sent. It is read after the logic: a percent for
	// a percent tax, else money in the tax's currency.
	Rate json.RawMessage
	// SkipNights and MaxNights are nil when sent as null (cleared).
	SkipNightsSent bool
	SkipNights     *int
	MaxNightsSent  bool
	MaxNights      *int
	// DateRanges replace the tax's when sent (null: none).
	DateRangesSent bool
	DateRanges     []DateRange
}

// NewTax returns a tax before any change is applied to it: a percent tax,
// in currency (its property's).
func NewTax(currency string) *Tax {
	return &Tax{Logic: TaxPercent, Type: "tax", Currency: currency}
}

// Apply writes c onto tx, the logic before the rate, then judges the tax
// as a whole. errs holds what went wrong decoding the request (the rules
// skip those fields); Apply adds what breaks a rule, and returns errs.
func (tx *Tax) Apply(c *TaxChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	propertyUnchanged(errs, c.PropertyID, tx.PropertyID)
	trimSent(&tx.Title, c.Title)
	trimSent(&tx.Logic, c.Logic)
	trimSent(&tx.Type, c.Type)
	setSent(&tx.IsInclusive, c.IsInclusive)
	if c.Rate != nil {
		var v int64
		var msg string
		if tx.Logic == TaxPercent {
			v, msg = ParsePercent(c.Rate)
		} else {
			v, msg = ParseMoney(c.Rate, tx.Currency)
		}
		if msg != "" {
			errs.Add("rate", msg)
		} else {
			tx.Rate = v
		}
	}
	if c.SkipNightsSent {
		tx.SkipNights = c.SkipNights
	}
	if c.MaxNightsSent {
		tx.MaxNights = c.MaxNights
	}
	if c.DateRangesSent {
		tx.DateRanges = make([]DateRange, 0, len(c.DateRanges))
		for _, r := range c.DateRanges {
			tx.DateRanges = append(tx.DateRanges, DateRange{After: strings.TrimSpace(r.After), Before: strings.TrimSpace(r.Before)})
		}
	}
	return errs.addValidation(tx.Validate(errs))
}

// TaxSetChange is a tax set as sent.
type TaxSetChange struct {
	PropertyID *string
	Title      *string
	// Currency is nil also when sent as null: the set keeps its own.
	Currency *string
	// Taxes and RatePlanIDs replace the set's when sent (null: none).
	TaxesSent       bool
	Taxes           []TaxSetTax
	RatePlanIDsSent bool
	RatePlanIDs     []string
}

// Apply writes c onto ts and judges the set's own fields (the store checks
// that its taxes and rate plans belong to its property). errs holds what
// went wrong decoding the request (the rules skip those fields); Apply
// adds what breaks a rule, and returns errs.
func (ts *TaxSet) Apply(c *TaxSetChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	propertyUnchanged(errs, c.PropertyID, ts.PropertyID)
	trimSent(&ts.Title, c.Title)
	if c.Currency != nil {
		ts.Currency = strings.ToUpper(strings.TrimSpace(*c.Currency))
	}
	if c.RatePlanIDsSent {
		ts.RatePlanIDs = TrimIDs(c.RatePlanIDs)
	}
	if c.TaxesSent {
		ts.Taxes = make([]TaxSetTax, 0, len(c.Taxes))
		for _, t := range c.Taxes {
			ts.Taxes = append(ts.Taxes, TaxSetTax{ID: strings.ToLower(strings.TrimSpace(t.ID)), Level: t.Level})
		}
	}
	return errs.addValidation(ts.Validate(errs))
}

// PhotoChange is a photo as sent.
type PhotoChange struct {
	PropertyID *string
	// URL, Description and Author read JSON null as "".
	URL, Description, Author *string
	// Kind is nil when sent as null: a photo.
	KindSent bool
	Kind     *string
	Position *int
	// RoomTypeID is "" (or null) for a photo of the property itself.
	RoomTypeID *string
}

// Apply writes c onto ph and judges the photo (the store checks that its
// room type is one of its property's). errs holds what went wrong
// decoding the request (the rules skip those fields); Apply adds what
// breaks a rule, and returns errs.
func (ph *PhotoRecord) Apply(c *PhotoChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	propertyUnchanged(errs, c.PropertyID, ph.PropertyID)
	trimSent(&ph.URL, c.URL)
	trimSent(&ph.Description, c.Description)
	trimSent(&ph.Author, c.Author)
	if c.KindSent {
		ph.Kind = "photo"
		setSent(&ph.Kind, c.Kind)
	}
	setSent(&ph.Position, c.Position)
	if c.RoomTypeID != nil {
		ph.RoomTypeID = strings.ToLower(strings.TrimSpace(*c.RoomTypeID))
		if ph.RoomTypeID != "" && !ValidID(ph.RoomTypeID) {
			errs.Add("room_type_id", "is not a valid id")
		}
	}
	return errs.addValidation(ph.Validate(errs))
}

// propertyUnchanged records an error when a change names another
// property than current: what belongs to a property stays there.
func propertyUnchanged(errs FieldErrors, sent *string, current string) {
	if sent != nil && !errs.Has("property_id") && !strings.EqualFold(strings.TrimSpace(*sent), current) {
		errs.Add("property_id", "can't be changed")
	}
}

// setSent writes *v to dst when v is not nil.
func setSent[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// trimSent writes *v, without surrounding space, to dst when v is not nil.
func trimSent(dst, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}

// addValidation adds to fe the field errors of err, a validation Error from a
// Validate or nil, and returns fe.
func (fe FieldErrors) addValidation(err error) FieldErrors {
	if e, ok := errors.AsType[*Error](err); ok {
		if details, ok := e.Details.(FieldErrors); ok {
			for f, msgs := range details {
				fe[f] = append(fe[f], msgs...)
			}
		}
	}
	return fe
}
