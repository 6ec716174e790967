package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const hotelPolicyColumns = `hp.id, hp.property_id, hp.title, hp.currency, hp.is_adults_only, hp.max_count_of_guests, hp.checkin_time,
	hp.checkout_time, hp.internet_access_type, hp.internet_access_cost, hp.internet_access_coverage, hp.parking_type,
	hp.parking_reservation, hp.parking_is_private, hp.pets_policy, hp.pets_non_refundable_fee, hp.pets_refundable_deposit,
	hp.smoking_policy, hp.created_at, hp.updated_at`

var hotelPolicyFields = map[string]column{
	"id":                       {expr: "hp.id"},
	"title":                    {expr: "hp.title"},
	"property_id":              {expr: "hp.property_id"},
	"created_at":               {expr: "hp.created_at", kind: kindTime},
	"updated_at":               {expr: "hp.updated_at", kind: kindTime},
	"currency":                 {expr: "hp.currency"},
	"is_adults_only":           {expr: "hp.is_adults_only", kind: kindBool},
	"max_count_of_guests":      {expr: "hp.max_count_of_guests", kind: kindInt},
	"checkin_time":             {expr: "hp.checkin_time"},
	"checkout_time":            {expr: "hp.checkout_time"},
	"internet_access_type":     {expr: "hp.internet_access_type"},
	"internet_access_coverage": {expr: "hp.internet_access_coverage"},
	"parking_type":             {expr: "hp.parking_type"},
	"parking_reservation":      {expr: "hp.parking_reservation"},
	"parking_is_private":       {expr: "hp.parking_is_private", kind: kindBool},
	"pets_policy":              {expr: "hp.pets_policy"},
	"smoking_policy":           {expr: "hp.smoking_policy"},
	"internet_access_cost":     {refuse: refuseMoney},
	"pets_non_refundable_fee":  {refuse: refuseMoney},
	"pets_refundable_deposit":  {refuse: refuseMoney},
}

func scanHotelPolicy(row scanner) (*keycard.HotelPolicy, error) {
	var hp keycard.HotelPolicy
	var cost sql.NullInt64
	var created, updated int64
	err := row.Scan(&hp.ID, &hp.PropertyID, &hp.Title, &hp.Currency, &hp.IsAdultsOnly, &hp.MaxCountOfGuests, &hp.CheckinTime,
		&hp.CheckoutTime, &hp.InternetAccessType, &cost, &hp.InternetAccessCoverage, &hp.ParkingType,
		&hp.ParkingReservation, &hp.ParkingIsPrivate, &hp.PetsPolicy, &hp.PetsNonRefundableFee, &hp.PetsRefundableDeposit,
		&hp.SmokingPolicy, &created, &updated)
	if err != nil {
		return nil, err
	}
	if cost.Valid {
		hp.InternetAccessCost = &cost.Int64
	}
	hp.CreatedAt, hp.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &hp, nil
}

func hotelPolicyValues(hp *keycard.HotelPolicy) (string, []any) {
	var cost any
	if hp.InternetAccessCost != nil {
		cost = *hp.InternetAccessCost
	}
	return `title, currency, is_adults_only, max_count_of_guests, checkin_time, checkout_time, internet_access_type,
		internet_access_cost, internet_access_coverage, parking_type, parking_reservation, parking_is_private, pets_policy,
		pets_non_refundable_fee, pets_refundable_deposit, smoking_policy, updated_at`,
		[]any{hp.Title, hp.Currency, hp.IsAdultsOnly, hp.MaxCountOfGuests, hp.CheckinTime, hp.CheckoutTime, hp.InternetAccessType,
			cost, hp.InternetAccessCoverage, hp.ParkingType, hp.ParkingReservation, hp.ParkingIsPrivate, hp.PetsPolicy,
			hp.PetsNonRefundableFee, hp.PetsRefundableDeposit, hp.SmokingPolicy, micros(hp.UpdatedAt)}
}

var hotelPolicies = &owned[*keycard.HotelPolicy]{
	view: true, name: "hotel policy", table: "hotel_policies", alias: "hp", columns: hotelPolicyColumns, fields: hotelPolicyFields,
	order: "hp.title ASC, hp.id ASC", scan: scanHotelPolicy, values: hotelPolicyValues,
	ident: func(hp *keycard.HotelPolicy) (string, string) { return hp.ID, hp.PropertyID },
}

// ListHotelPolicies returns a page of the hotel policies of the properties
// p reaches, and their total.
func (s *Store) ListHotelPolicies(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.HotelPolicy, int, error) {
	return hotelPolicies.list(ctx, s, p, q)
}

// HotelPolicy returns a hotel policy of a property p reaches.
func (s *Store) HotelPolicy(ctx context.Context, p *keycard.Principal, id string) (*keycard.HotelPolicy, error) {
	return hotelPolicies.one(ctx, s, p, id)
}

// CreateHotelPolicy creates a hotel policy of a property p reaches: c
// applied by keycard's rules (decodeErrs is what went wrong decoding it)
// to a policy in the property's currency (so that money is read in the
// one c gives, if any).
func (s *Store) CreateHotelPolicy(ctx context.Context, p *keycard.Principal, propertyID string, c *keycard.HotelPolicyChange, decodeErrs keycard.FieldErrors) (*keycard.HotelPolicy, error) {
	return hotelPolicies.create(ctx, s, p, propertyID, func(id, propertyID, currency string, now time.Time) *keycard.HotelPolicy {
		return &keycard.HotelPolicy{ID: id, PropertyID: propertyID, Currency: currency, CreatedAt: now, UpdatedAt: now}
	}, func(hp *keycard.HotelPolicy) keycard.FieldErrors { return hp.Apply(c, decodeErrs.Clone()) })
}

// UpdateHotelPolicy loads a hotel policy p reaches, applies c to it by
// keycard's rules (decodeErrs is what went wrong decoding c) and saves
// it, in one transaction.
func (s *Store) UpdateHotelPolicy(ctx context.Context, p *keycard.Principal, id string, c *keycard.HotelPolicyChange, decodeErrs keycard.FieldErrors) (*keycard.HotelPolicy, error) {
	return hotelPolicies.update(ctx, s, p, id, func(hp *keycard.HotelPolicy, now time.Time) { hp.UpdatedAt = now },
		func(hp *keycard.HotelPolicy) keycard.FieldErrors { return hp.Apply(c, decodeErrs.Clone()) })
}

// DeleteHotelPolicy deletes a hotel policy p reaches; a property that
// pointed to it has none after.
func (s *Store) DeleteHotelPolicy(ctx context.Context, p *keycard.Principal, id string) error {
	return hotelPolicies.remove(ctx, s, p, id, `UPDATE properties SET hotel_policy_id = NULL WHERE hotel_policy_id = ?`)
}
