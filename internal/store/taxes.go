package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

const taxColumns = `tt.id, tt.property_id, tt.title, tt.logic, tt.type, tt.rate, tt.currency, tt.is_inclusive, tt.skip_nights,
	tt.max_nights, tt.applicable_date_ranges, tt.created_at, tt.updated_at`

var taxFields = map[string]column{
	"id":          {expr: "tt.id"},
	"title":       {expr: "tt.title"},
	"property_id": {expr: "tt.property_id"},
	"type":        {expr: "tt.type"},
	"logic":       {expr: "tt.logic"},
	"created_at":  {expr: "tt.created_at", kind: kindTime},
	"updated_at":  {expr: "tt.updated_at", kind: kindTime},
}

func scanTax(row scanner) (*keycard.Tax, error) {
	var tx keycard.Tax
	var skip, maxNights sql.NullInt64
	var ranges string
	var created, updated int64
	err := row.Scan(&tx.ID, &tx.PropertyID, &tx.Title, &tx.Logic, &tx.Type, &tx.Rate, &tx.Currency, &tx.IsInclusive, &skip,
		&maxNights, &ranges, &created, &updated)
	if err != nil {
		return nil, err
	}
	if skip.Valid {
		n := int(skip.Int64)
		tx.SkipNights = &n
	}
	if maxNights.Valid {
		n := int(maxNights.Int64)
		tx.MaxNights = &n
	}
	if err := json.Unmarshal([]byte(ranges), &tx.DateRanges); err != nil {
		return nil, fmt.Errorf("store: tax %s date ranges: %w", tx.ID, err)
	}
	tx.CreatedAt, tx.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &tx, nil
}

func taxValues(tx *keycard.Tax) (string, []any) {
	ranges := tx.DateRanges
	if ranges == nil {
		ranges = []keycard.DateRange{}
	}
	rangesJSON, _ := json.Marshal(ranges)
	nullInt := func(n *int) any {
		if n == nil {
			return nil
		}
		return int64(*n)
	}
	return `title, logic, type, rate, currency, is_inclusive, skip_nights, max_nights, applicable_date_ranges, updated_at`,
		[]any{tx.Title, tx.Logic, tx.Type, tx.Rate, tx.Currency, tx.IsInclusive, nullInt(tx.SkipNights), nullInt(tx.MaxNights),
			string(rangesJSON), micros(tx.UpdatedAt)}
}

// ListTaxes returns a page of the taxes of the properties p reaches, and
// their total.
func (s *Store) ListTaxes(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Tax, int, error) {
	var out []*keycard.Tax
	total, err := s.listOwned(ctx, p, q, listSpec{table: "taxes tt", alias: "tt", columns: taxColumns,
		fields: taxFields, order: "tt.title ASC, tt.id ASC"}, func(row scanner) error {
		tx, err := scanTax(row)
		if err == nil {
			out = append(out, tx)
		}
		return err
	})
	return out, total, err
}

// Tax returns a tax of a property p reaches.
func (s *Store) Tax(ctx context.Context, p *keycard.Principal, id string) (*keycard.Tax, error) {
	var out *keycard.Tax
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = tax(ctx, t, p, id)
		return err
	})
	return out, err
}

func tax(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Tax, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(t.d, p)
	tx, err := scanTax(t.QueryRow(ctx, `SELECT `+taxColumns+` FROM taxes tt WHERE tt.id = ? AND tt.property_id IN `+r,
		append([]any{id}, args...)...))
	return tx, notFound(err)
}

// CreateTax creates a tax of a property p reaches. build fills it in once
// its currency (the property's) is known, and returns the field errors it
// met decoding.
func (s *Store) CreateTax(ctx context.Context, p *keycard.Principal, propertyID string, build func(*keycard.Tax) keycard.FieldErrors) (*keycard.Tax, error) {
	var out *keycard.Tax
	err := s.write(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, propertyID, false); err != nil {
			return err
		}
		currency, err := propertyCurrency(ctx, t, propertyID)
		if err != nil {
			return err
		}
		now := s.now()
		tx := &keycard.Tax{ID: newID(), PropertyID: propertyID, Currency: currency, Logic: keycard.TaxPercent, Type: "tax",
			CreatedAt: now, UpdatedAt: now}
		decodeErrs := build(tx)
		if err := decodeErrs.Merge(tx.Validate(decodeErrs)); err != nil {
			return err
		}
		cols, vals := taxValues(tx)
		if _, err := t.Exec(ctx, `INSERT INTO taxes (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{tx.ID, tx.PropertyID, micros(now)}, vals...)...); err != nil {
			return fmt.Errorf("store: create tax: %w", err)
		}
		out, err = tax(ctx, t, p, tx.ID)
		return err
	})
	return out, err
}

// UpdateTax loads a tax p reaches, lets change edit it, validates and
// saves it, in one transaction.
func (s *Store) UpdateTax(ctx context.Context, p *keycard.Principal, id string, change func(*keycard.Tax) keycard.FieldErrors) (*keycard.Tax, error) {
	var out *keycard.Tax
	err := s.write(ctx, func(t *tx) error {
		tx, err := tax(ctx, t, p, id)
		if err != nil {
			return err
		}
		decodeErrs := change(tx)
		if err := decodeErrs.Merge(tx.Validate(decodeErrs)); err != nil {
			return err
		}
		tx.UpdatedAt = s.now()
		cols, vals := taxValues(tx)
		if _, err := t.Exec(ctx, `UPDATE taxes SET `+setList(cols)+` WHERE id = ?`, append(vals, tx.ID)...); err != nil {
			return fmt.Errorf("store: update tax: %w", err)
		}
		out, err = tax(ctx, t, p, id)
		return err
	})
	return out, err
}

// DeleteTax deletes a tax p reaches; it leaves the tax sets it was in.
func (s *Store) DeleteTax(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := tax(ctx, t, p, id); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM tax_set_taxes WHERE tax_id = ?`, id); err != nil {
			return fmt.Errorf("store: delete tax from its sets: %w", err)
		}
		if _, err := t.Exec(ctx, `DELETE FROM taxes WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete tax: %w", err)
		}
		return nil
	})
}

const taxSetColumns = `ts.id, ts.property_id, ts.title, ts.currency, ts.created_at, ts.updated_at`

var taxSetFields = map[string]column{
	"id":          {expr: "ts.id"},
	"title":       {expr: "ts.title"},
	"property_id": {expr: "ts.property_id"},
	"created_at":  {expr: "ts.created_at", kind: kindTime},
	"updated_at":  {expr: "ts.updated_at", kind: kindTime},
}

func scanTaxSet(row scanner) (*keycard.TaxSet, error) {
	var ts keycard.TaxSet
	var created, updated int64
	if err := row.Scan(&ts.ID, &ts.PropertyID, &ts.Title, &ts.Currency, &created, &updated); err != nil {
		return nil, err
	}
	ts.CreatedAt, ts.UpdatedAt = fromMicros(created), fromMicros(updated)
	ts.Taxes, ts.RatePlanIDs = []keycard.TaxSetTax{}, []string{}
	return &ts, nil
}

// loadTaxSetLinks fills in the taxes and rate plans of sets.
func loadTaxSetLinks(ctx context.Context, t *tx, sets []*keycard.TaxSet) error {
	if len(sets) == 0 {
		return nil
	}
	byID := make(map[string]*keycard.TaxSet, len(sets))
	ids := make([]string, 0, len(sets))
	for _, ts := range sets {
		byID[ts.ID] = ts
		ids = append(ids, ts.ID)
	}
	rows, err := t.Query(ctx, `SELECT tax_set_id, tax_id, level FROM tax_set_taxes WHERE tax_set_id IN (`+placeholders(len(ids))+`)
		ORDER BY level, tax_id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: tax set taxes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var setID string
		var l keycard.TaxSetTax
		if err := rows.Scan(&setID, &l.ID, &l.Level); err != nil {
			return err
		}
		byID[setID].Taxes = append(byID[setID].Taxes, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	prows, err := t.Query(ctx, `SELECT tax_set_id, id FROM rate_plans WHERE tax_set_id IN (`+placeholders(len(ids))+`) ORDER BY title, id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: tax set rate plans: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var setID, planID string
		if err := prows.Scan(&setID, &planID); err != nil {
			return err
		}
		byID[setID].RatePlanIDs = append(byID[setID].RatePlanIDs, planID)
	}
	return prows.Err()
}

// ListTaxSets returns a page of the tax sets of the properties p reaches,
// and their total.
func (s *Store) ListTaxSets(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.TaxSet, int, error) {
	where, args, order, err := listSQL(q, taxSetFields, "ts.title ASC, ts.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.TaxSet
	var total int
	err = s.read(ctx, func(t *tx) error {
		from := ` FROM tax_sets ts WHERE ts.property_id IN ` + r + where
		if err := t.QueryRow(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count tax sets: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+taxSetColumns+from+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list tax sets: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			ts, err := scanTaxSet(rows)
			if err != nil {
				return err
			}
			out = append(out, ts)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return loadTaxSetLinks(ctx, t, out)
	})
	return out, total, err
}

// TaxSet returns a tax set of a property p reaches.
func (s *Store) TaxSet(ctx context.Context, p *keycard.Principal, id string) (*keycard.TaxSet, error) {
	var out *keycard.TaxSet
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = taxSet(ctx, t, p, id)
		return err
	})
	return out, err
}

func taxSet(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.TaxSet, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(t.d, p)
	ts, err := scanTaxSet(t.QueryRow(ctx, `SELECT `+taxSetColumns+` FROM tax_sets ts WHERE ts.id = ? AND ts.property_id IN `+r,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return ts, loadTaxSetLinks(ctx, t, []*keycard.TaxSet{ts})
}

// CreateTaxSet creates a tax set of a property p reaches, with its taxes,
// and makes it the tax set of the rate plans it names.
func (s *Store) CreateTaxSet(ctx context.Context, p *keycard.Principal, propertyID string, build func(*keycard.TaxSet) keycard.FieldErrors) (*keycard.TaxSet, error) {
	var out *keycard.TaxSet
	err := s.write(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, propertyID, false); err != nil {
			return err
		}
		currency, err := propertyCurrency(ctx, t, propertyID)
		if err != nil {
			return err
		}
		now := s.now()
		ts := &keycard.TaxSet{ID: newID(), PropertyID: propertyID, Currency: currency, Taxes: []keycard.TaxSetTax{},
			RatePlanIDs: []string{}, CreatedAt: now, UpdatedAt: now}
		decodeErrs := build(ts)
		if err := s.checkTaxSet(ctx, t, ts, decodeErrs); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `INSERT INTO tax_sets (id, property_id, title, currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			ts.ID, ts.PropertyID, ts.Title, ts.Currency, micros(now), micros(now)); err != nil {
			return fmt.Errorf("store: create tax set: %w", err)
		}
		if err := saveTaxSetLinks(ctx, t, ts); err != nil {
			return err
		}
		out, err = taxSet(ctx, t, p, ts.ID)
		return err
	})
	return out, err
}

// UpdateTaxSet loads a tax set p reaches, lets change edit it, checks and
// saves it with its taxes and rate plans, in one transaction.
func (s *Store) UpdateTaxSet(ctx context.Context, p *keycard.Principal, id string, change func(*keycard.TaxSet) keycard.FieldErrors) (*keycard.TaxSet, error) {
	var out *keycard.TaxSet
	err := s.write(ctx, func(t *tx) error {
		ts, err := taxSet(ctx, t, p, id)
		if err != nil {
			return err
		}
		decodeErrs := change(ts)
		if err := s.checkTaxSet(ctx, t, ts, decodeErrs); err != nil {
			return err
		}
		ts.UpdatedAt = s.now()
		if _, err := t.Exec(ctx, `UPDATE tax_sets SET title = ?, currency = ?, updated_at = ? WHERE id = ?`,
			ts.Title, ts.Currency, micros(ts.UpdatedAt), ts.ID); err != nil {
			return fmt.Errorf("store: update tax set: %w", err)
		}
		if err := saveTaxSetLinks(ctx, t, ts); err != nil {
			return err
		}
		out, err = taxSet(ctx, t, p, id)
		return err
	})
	return out, err
}

// checkTaxSet validates ts and checks that its taxes and rate plans are
// its property's.
func (s *Store) checkTaxSet(ctx context.Context, t *tx, ts *keycard.TaxSet, decodeErrs keycard.FieldErrors) error {
	ts.RatePlanIDs = keycard.TrimIDs(ts.RatePlanIDs)
	fe := keycard.FieldErrors{}
	if err := ts.Validate(decodeErrs); err != nil {
		return decodeErrs.Merge(err)
	}
	count := func(table string, ids []string) (int, error) {
		if len(ids) == 0 {
			return 0, nil
		}
		var n int
		err := t.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE property_id = ? AND id IN (`+placeholders(len(ids))+`)`,
			append([]any{ts.PropertyID}, anys(ids)...)...).Scan(&n)
		return n, err
	}
	taxIDs := make([]string, 0, len(ts.Taxes))
	for _, l := range ts.Taxes {
		taxIDs = append(taxIDs, l.ID)
	}
	if n, err := count("taxes", taxIDs); err != nil {
		return fmt.Errorf("store: check tax set taxes: %w", err)
	} else if n != len(taxIDs) {
		fe.Add("taxes", "must be taxes of the property")
	}
	if n, err := count("rate_plans", ts.RatePlanIDs); err != nil {
		return fmt.Errorf("store: check tax set rate plans: %w", err)
	} else if n != len(ts.RatePlanIDs) {
		fe.Add("associated_rate_plan_ids", "must be rate plans of the property")
	}
	return decodeErrs.Merge(fe.Err())
}

// saveTaxSetLinks replaces the taxes of ts, and makes it the tax set of
// exactly the rate plans it names (taking them from any other set).
func saveTaxSetLinks(ctx context.Context, t *tx, ts *keycard.TaxSet) error {
	if _, err := t.Exec(ctx, `DELETE FROM tax_set_taxes WHERE tax_set_id = ?`, ts.ID); err != nil {
		return fmt.Errorf("store: clear tax set taxes: %w", err)
	}
	for _, l := range ts.Taxes {
		if _, err := t.Exec(ctx, `INSERT INTO tax_set_taxes (tax_set_id, tax_id, level) VALUES (?, ?, ?)`, ts.ID, l.ID, l.Level); err != nil {
			return fmt.Errorf("store: add tax to set: %w", err)
		}
	}
	args := append([]any{ts.ID}, anys(ts.RatePlanIDs)...)
	release := `UPDATE rate_plans SET tax_set_id = NULL WHERE tax_set_id = ?`
	if len(ts.RatePlanIDs) > 0 {
		// (With no ids, NOT IN (NULL) would match nothing.)
		release += ` AND id NOT IN (` + placeholders(len(ts.RatePlanIDs)) + `)`
	}
	if _, err := t.Exec(ctx, release, args...); err != nil {
		return fmt.Errorf("store: release rate plans: %w", err)
	}
	if len(ts.RatePlanIDs) > 0 {
		if _, err := t.Exec(ctx, `UPDATE rate_plans SET tax_set_id = ? WHERE id IN (`+placeholders(len(ts.RatePlanIDs))+`)`, args...); err != nil {
			return fmt.Errorf("store: associate rate plans: %w", err)
		}
	}
	return nil
}

// DeleteTaxSet deletes a tax set p reaches; its rate plans, and a property
// that had it as default, have none after.
func (s *Store) DeleteTaxSet(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := taxSet(ctx, t, p, id); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE rate_plans SET tax_set_id = NULL WHERE tax_set_id = ?`,
			`UPDATE properties SET default_tax_set_id = NULL WHERE default_tax_set_id = ?`,
			`DELETE FROM tax_sets WHERE id = ?`,
		} {
			if _, err := t.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("store: delete tax set: %w", err)
			}
		}
		return nil
	})
}
