package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

const hotelPolicyColumns = `hp.id, hp.property_id, hp.title, hp.currency, hp.is_adults_only, hp.max_count_of_guests, hp.checkin_time,
	hp.checkout_time, hp.internet_access_type, hp.internet_access_cost, hp.internet_access_coverage, hp.parking_type,
	hp.parking_reservation, hp.parking_is_private, hp.pets_policy, hp.pets_non_refundable_fee, hp.pets_refundable_deposit,
	hp.smoking_policy, hp.created_at, hp.updated_at`

var hotelPolicyFields = map[string]column{
	"id":          {expr: "hp.id"},
	"title":       {expr: "hp.title"},
	"property_id": {expr: "hp.property_id"},
	"created_at":  {expr: "hp.created_at", kind: kindTime},
	"updated_at":  {expr: "hp.updated_at", kind: kindTime},
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

// ListHotelPolicies returns a page of the hotel policies of the properties
// p reaches, and their total.
func (s *Store) ListHotelPolicies(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.HotelPolicy, int, error) {
	var out []*keycard.HotelPolicy
	total, err := s.listOwned(ctx, p, q, listSpec{table: "hotel_policies hp", alias: "hp", columns: hotelPolicyColumns,
		fields: hotelPolicyFields, order: "hp.title ASC, hp.id ASC"}, func(row scanner) error {
		hp, err := scanHotelPolicy(row)
		if err == nil {
			out = append(out, hp)
		}
		return err
	})
	return out, total, err
}

// listSpec describes a list of property-owned rows.
type listSpec struct {
	table, alias, columns, order string
	fields                       map[string]column
}

// listOwned runs a list query over rows owned by the properties p reaches
// (through their property_id), calling scan for each row of the page, and
// returns the total.
func (s *Store) listOwned(ctx context.Context, p *keycard.Principal, q keycard.ListQuery, ls listSpec, scan func(scanner) error) (int, error) {
	where, args, order, err := listSQL(q, ls.fields, ls.order)
	if err != nil {
		return 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var total int
	err = s.read(ctx, func(t *tx) error {
		from := ` FROM ` + ls.table + ` WHERE ` + ls.alias + `.property_id IN ` + r + where
		if err := t.QueryRow(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count %s: %w", ls.table, err)
		}
		rows, err := t.Query(ctx, `SELECT `+ls.columns+from+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list %s: %w", ls.table, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return total, err
}

// HotelPolicy returns a hotel policy of a property p reaches.
func (s *Store) HotelPolicy(ctx context.Context, p *keycard.Principal, id string) (*keycard.HotelPolicy, error) {
	var out *keycard.HotelPolicy
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = hotelPolicy(ctx, t, p, id)
		return err
	})
	return out, err
}

func hotelPolicy(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.HotelPolicy, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(t.d, p)
	hp, err := scanHotelPolicy(t.QueryRow(ctx, `SELECT `+hotelPolicyColumns+` FROM hotel_policies hp WHERE hp.id = ? AND hp.property_id IN `+r,
		append([]any{id}, args...)...))
	return hp, notFound(err)
}

// propertyCurrency returns the currency of a property (already checked to
// be in reach).
func propertyCurrency(ctx context.Context, t *tx, propertyID string) (string, error) {
	var c string
	if err := t.QueryRow(ctx, `SELECT currency FROM properties WHERE id = ?`, propertyID).Scan(&c); err != nil {
		return "", fmt.Errorf("store: property currency: %w", err)
	}
	return c, nil
}

// CreateHotelPolicy creates a hotel policy of a property p reaches. build
// fills it in once its currency (by default the property's) is known, so
// that money is read in it; it returns the field errors it met decoding.
func (s *Store) CreateHotelPolicy(ctx context.Context, p *keycard.Principal, propertyID string, build func(*keycard.HotelPolicy) keycard.FieldErrors) (*keycard.HotelPolicy, error) {
	var out *keycard.HotelPolicy
	err := s.write(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, propertyID, false); err != nil {
			return err
		}
		currency, err := propertyCurrency(ctx, t, propertyID)
		if err != nil {
			return err
		}
		now := s.now()
		hp := &keycard.HotelPolicy{ID: newID(), PropertyID: propertyID, Currency: currency, CreatedAt: now, UpdatedAt: now}
		decodeErrs := build(hp)
		if err := decodeErrs.Merge(hp.Validate(decodeErrs)); err != nil {
			return err
		}
		cols, vals := hotelPolicyValues(hp)
		if _, err := t.Exec(ctx, `INSERT INTO hotel_policies (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{hp.ID, hp.PropertyID, micros(now)}, vals...)...); err != nil {
			return fmt.Errorf("store: create hotel policy: %w", err)
		}
		out, err = hotelPolicy(ctx, t, p, hp.ID)
		return err
	})
	return out, err
}

// UpdateHotelPolicy loads a hotel policy p reaches, lets change edit it,
// validates and saves it, in one transaction.
func (s *Store) UpdateHotelPolicy(ctx context.Context, p *keycard.Principal, id string, change func(*keycard.HotelPolicy) keycard.FieldErrors) (*keycard.HotelPolicy, error) {
	var out *keycard.HotelPolicy
	err := s.write(ctx, func(t *tx) error {
		hp, err := hotelPolicy(ctx, t, p, id)
		if err != nil {
			return err
		}
		decodeErrs := change(hp)
		if err := decodeErrs.Merge(hp.Validate(decodeErrs)); err != nil {
			return err
		}
		hp.UpdatedAt = s.now()
		cols, vals := hotelPolicyValues(hp)
		if _, err := t.Exec(ctx, `UPDATE hotel_policies SET `+setList(cols)+` WHERE id = ?`, append(vals, hp.ID)...); err != nil {
			return fmt.Errorf("store: update hotel policy: %w", err)
		}
		out, err = hotelPolicy(ctx, t, p, id)
		return err
	})
	return out, err
}

// DeleteHotelPolicy deletes a hotel policy p reaches; a property that
// pointed to it has none after.
func (s *Store) DeleteHotelPolicy(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := hotelPolicy(ctx, t, p, id); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE properties SET hotel_policy_id = NULL WHERE hotel_policy_id = ?`, id); err != nil {
			return fmt.Errorf("store: unlink hotel policy: %w", err)
		}
		if _, err := t.Exec(ctx, `DELETE FROM hotel_policies WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete hotel policy: %w", err)
		}
		return nil
	})
}
