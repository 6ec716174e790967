package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const taxColumns = `tt.id, tt.property_id, tt.title, tt.logic, tt.type, tt.rate, tt.currency, tt.is_inclusive, tt.skip_nights,
	tt.max_nights, tt.applicable_date_ranges, tt.created_at, tt.updated_at`

var taxFields = map[string]column{
	"id":           {expr: "tt.id"},
	"title":        {expr: "tt.title"},
	"property_id":  {expr: "tt.property_id"},
	"type":         {expr: "tt.type"},
	"logic":        {expr: "tt.logic"},
	"created_at":   {expr: "tt.created_at", kind: kindTime},
	"updated_at":   {expr: "tt.updated_at", kind: kindTime},
	"currency":     {expr: "tt.currency"},
	"is_inclusive": {expr: "tt.is_inclusive", kind: kindBool},
	"skip_nights":  {expr: "tt.skip_nights", kind: kindInt},
	"max_nights":   {expr: "tt.max_nights", kind: kindInt},
	"rate":         {refuse: refuseMoney},
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

var taxes = &owned[*keycard.Tax]{
	name: "tax", table: "taxes", alias: "tt", columns: taxColumns, fields: taxFields,
	order: "tt.title ASC, tt.id ASC", scan: scanTax, values: taxValues,
	ident: func(tx *keycard.Tax) (string, string) { return tx.ID, tx.PropertyID },
}

// ListTaxes returns a page of the taxes of the properties p reaches, and
// their total.
func (s *Store) ListTaxes(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Tax, int, error) {
	return taxes.list(ctx, s, p, q)
}

// Tax returns a tax of a property p reaches.
func (s *Store) Tax(ctx context.Context, p *keycard.Principal, id string) (*keycard.Tax, error) {
	return taxes.one(ctx, s, p, id)
}

// CreateTax creates a tax of a property p reaches: c applied by keycard's
// rules (decodeErrs is what went wrong decoding it) to a new tax in the
// property's currency.
func (s *Store) CreateTax(ctx context.Context, p *keycard.Principal, propertyID string, c *keycard.TaxChange, decodeErrs keycard.FieldErrors) (*keycard.Tax, error) {
	return taxes.create(ctx, s, p, propertyID, func(id, propertyID, currency string, now time.Time) *keycard.Tax {
		tx := keycard.NewTax(currency)
		tx.ID, tx.PropertyID, tx.CreatedAt, tx.UpdatedAt = id, propertyID, now, now
		return tx
	}, func(tx *keycard.Tax) keycard.FieldErrors { return tx.Apply(c, decodeErrs.Clone()) })
}

// UpdateTax loads a tax p reaches, applies c to it by keycard's rules
// (decodeErrs is what went wrong decoding c) and saves it, in one
// transaction.
func (s *Store) UpdateTax(ctx context.Context, p *keycard.Principal, id string, c *keycard.TaxChange, decodeErrs keycard.FieldErrors) (*keycard.Tax, error) {
	return taxes.update(ctx, s, p, id, func(tx *keycard.Tax, now time.Time) { tx.UpdatedAt = now },
		func(tx *keycard.Tax) keycard.FieldErrors { return tx.Apply(c, decodeErrs.Clone()) })
}

// DeleteTax deletes a tax p reaches; it leaves the tax sets it was in.
func (s *Store) DeleteTax(ctx context.Context, p *keycard.Principal, id string) error {
	return taxes.remove(ctx, s, p, id, `DELETE FROM tax_set_taxes WHERE tax_id = ?`)
}

const taxSetColumns = `ts.id, ts.property_id, ts.title, ts.currency, ts.created_at, ts.updated_at`

var taxSetFields = map[string]column{
	"id":          {expr: "ts.id"},
	"title":       {expr: "ts.title"},
	"property_id": {expr: "ts.property_id"},
	"created_at":  {expr: "ts.created_at", kind: kindTime},
	"updated_at":  {expr: "ts.updated_at", kind: kindTime},
	"currency":    {expr: "ts.currency"},
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

var taxSets = &owned[*keycard.TaxSet]{
	view: true, name: "tax set", table: "tax_sets", alias: "ts", columns: taxSetColumns, fields: taxSetFields,
	order: "ts.title ASC, ts.id ASC", scan: scanTaxSet,
	ident: func(ts *keycard.TaxSet) (string, string) { return ts.ID, ts.PropertyID },
	values: func(ts *keycard.TaxSet) (string, []any) {
		return `title, currency, updated_at`, []any{ts.Title, ts.Currency, micros(ts.UpdatedAt)}
	},
	check: checkTaxSet, load: loadTaxSetLinks, save: saveTaxSetLinks,
}

// ListTaxSets returns a page of the tax sets of the properties p reaches,
// and their total.
func (s *Store) ListTaxSets(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.TaxSet, int, error) {
	return taxSets.list(ctx, s, p, q)
}

// TaxSet returns a tax set of a property p reaches.
func (s *Store) TaxSet(ctx context.Context, p *keycard.Principal, id string) (*keycard.TaxSet, error) {
	return taxSets.one(ctx, s, p, id)
}

// CreateTaxSet creates a tax set of a property p reaches, c applied by
// keycard's rules (decodeErrs is what went wrong decoding it), with its
// taxes, and makes it the tax set of the rate plans it names.
func (s *Store) CreateTaxSet(ctx context.Context, p *keycard.Principal, propertyID string, c *keycard.TaxSetChange, decodeErrs keycard.FieldErrors) (*keycard.TaxSet, error) {
	return taxSets.create(ctx, s, p, propertyID, func(id, propertyID, currency string, now time.Time) *keycard.TaxSet {
		return &keycard.TaxSet{ID: id, PropertyID: propertyID, Currency: currency, Taxes: []keycard.TaxSetTax{},
			RatePlanIDs: []string{}, CreatedAt: now, UpdatedAt: now}
	}, func(ts *keycard.TaxSet) keycard.FieldErrors { return ts.Apply(c, decodeErrs.Clone()) })
}

// UpdateTaxSet loads a tax set p reaches, applies c to it by keycard's
// rules (decodeErrs is what went wrong decoding c), checks and saves it
// with its taxes and rate plans, in one transaction.
func (s *Store) UpdateTaxSet(ctx context.Context, p *keycard.Principal, id string, c *keycard.TaxSetChange, decodeErrs keycard.FieldErrors) (*keycard.TaxSet, error) {
	return taxSets.update(ctx, s, p, id, func(ts *keycard.TaxSet, now time.Time) { ts.UpdatedAt = now },
		func(ts *keycard.TaxSet) keycard.FieldErrors { return ts.Apply(c, decodeErrs.Clone()) })
}

// DeleteTaxSet deletes a tax set p reaches; its rate plans, and a property
// that had it as default, have none after.
func (s *Store) DeleteTaxSet(ctx context.Context, p *keycard.Principal, id string) error {
	return taxSets.remove(ctx, s, p, id, `UPDATE rate_plans SET tax_set_id = NULL WHERE tax_set_id = ?`,
		`UPDATE properties SET default_tax_set_id = NULL WHERE default_tax_set_id = ?`)
}

// checkTaxSet checks that the taxes and rate plans of ts are its
// property's, leaving out the fields in skip.
func checkTaxSet(ctx context.Context, t *tx, ts *keycard.TaxSet, skip keycard.FieldErrors) error {
	fe := keycard.FieldErrors{}
	taxIDs := make([]string, 0, len(ts.Taxes))
	for _, l := range ts.Taxes {
		taxIDs = append(taxIDs, l.ID)
	}
	for _, c := range []struct {
		field, table, msg string
		ids               []string
	}{
		{"taxes", "taxes", "must be taxes of the property", taxIDs},
		{"associated_rate_plan_ids", "rate_plans", "must be rate plans of the property", ts.RatePlanIDs},
	} {
		if len(c.ids) == 0 || skip.Has(c.field) {
			continue
		}
		var n int
		err := t.QueryRow(ctx, `SELECT COUNT(*) FROM `+c.table+` WHERE property_id = ? AND id IN (`+placeholders(len(c.ids))+`)`,
			append([]any{ts.PropertyID}, anys(c.ids)...)...).Scan(&n)
		if err != nil {
			return fmt.Errorf("store: check tax set %s: %w", c.field, err)
		}
		if n != len(c.ids) {
			fe.Add(c.field, c.msg)
		}
	}
	return fe.Err()
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
