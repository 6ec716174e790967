package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// inheritColumns are the rate_plans columns of the inherit_* flags, in the
// order of keycard.InheritFlags.
var inheritColumns = func() string {
	names := make([]string, len(keycard.InheritFlags))
	for i, f := range keycard.InheritFlags {
		names[i] = "rp." + f.Name
	}
	return strings.Join(names, ", ")
}()

var ratePlanColumns = `rp.id, rp.property_id, rp.room_type_id, rp.parent_rate_plan_id, rp.title, rp.currency, rp.sell_mode,
	rp.rate_mode, rp.meal_type, rp.children_fee, rp.infant_fee, rp.weekday_defaults, ` + inheritColumns + `, rp.created_at, rp.updated_at, rp.tax_set_id,
	rp.cancellation_policy_id`

var ratePlanFields = map[string]column{
	"id":                          {expr: "rp.id"},
	"title":                       {expr: "rp.title"},
	"property_id":                 {expr: "rp.property_id"},
	"room_type_id":                {expr: "rp.room_type_id"},
	"sell_mode":                   {expr: "rp.sell_mode"},
	"rate_mode":                   {expr: "rp.rate_mode"},
	"currency":                    {expr: "rp.currency"},
	"created_at":                  {expr: "rp.created_at", kind: kindTime},
	"updated_at":                  {expr: "rp.updated_at", kind: kindTime},
	"parent_rate_plan_id":         {expr: "rp.parent_rate_plan_id"},
	"tax_set_id":                  {expr: "rp.tax_set_id"},
	"meal_type":                   {expr: "rp.meal_type"},
	"is_derived":                  {expr: "(rp.rate_mode = 'derived')", kind: kindBool},
	"inherit_rate":                {expr: "rp.inherit_rate", kind: kindBool},
	"inherit_closed_to_arrival":   {expr: "rp.inherit_closed_to_arrival", kind: kindBool},
	"inherit_closed_to_departure": {expr: "rp.inherit_closed_to_departure", kind: kindBool},
	"inherit_stop_sell":           {expr: "rp.inherit_stop_sell", kind: kindBool},
	"inherit_min_stay_arrival":    {expr: "rp.inherit_min_stay_arrival", kind: kindBool},
	"inherit_min_stay_through":    {expr: "rp.inherit_min_stay_through", kind: kindBool},
	"inherit_max_stay":            {expr: "rp.inherit_max_stay", kind: kindBool},
	"inherit_max_sell":            {expr: "rp.inherit_max_sell", kind: kindBool},
	"inherit_max_availability":    {expr: "rp.inherit_max_availability", kind: kindBool},
	"inherit_availability_offset": {expr: "rp.inherit_availability_offset", kind: kindBool},
	"children_fee":                {refuse: refuseMoney},
	"infant_fee":                  {refuse: refuseMoney},
	"ui_read_only":                {refuse: refuseSame},
}

// weekdayDefaults is how a rate plan's weekday defaults are kept in the
// weekday_defaults column.
type weekdayDefaults struct {
	MaxStay           [7]int  `json:"max_stay"`
	MinStayArrival    [7]int  `json:"min_stay_arrival"`
	MinStayThrough    [7]int  `json:"min_stay_through"`
	ClosedToArrival   [7]bool `json:"closed_to_arrival"`
	ClosedToDeparture [7]bool `json:"closed_to_departure"`
	StopSell          [7]bool `json:"stop_sell"`
}

func scanRatePlan(row scanner) (*keycard.RatePlan, error) {
	var rp keycard.RatePlan
	var parent, taxSet, cancellation sql.NullString
	var defaults string
	var created, updated int64
	inherit := make([]bool, len(keycard.InheritFlags))
	dest := []any{&rp.ID, &rp.PropertyID, &rp.RoomTypeID, &parent, &rp.Title, &rp.Currency, &rp.SellMode, &rp.RateMode,
		&rp.MealType, &rp.ChildrenFee, &rp.InfantFee, &defaults}
	for i := range inherit {
		dest = append(dest, &inherit[i])
	}
	if err := row.Scan(append(dest, &created, &updated, &taxSet, &cancellation)...); err != nil {
		return nil, err
	}
	rp.ParentRatePlanID, rp.TaxSetID, rp.CancellationPolicyID = parent.String, taxSet.String, cancellation.String
	var wd weekdayDefaults
	if err := json.Unmarshal([]byte(defaults), &wd); err != nil {
		return nil, fmt.Errorf("store: rate plan %s weekday defaults: %w", rp.ID, err)
	}
	rp.MaxStay, rp.MinStayArrival, rp.MinStayThrough = wd.MaxStay, wd.MinStayArrival, wd.MinStayThrough
	rp.ClosedToArrival, rp.ClosedToDeparture, rp.StopSell = wd.ClosedToArrival, wd.ClosedToDeparture, wd.StopSell
	for i, f := range keycard.InheritFlags {
		if inherit[i] {
			rp.Inherit |= f.Bit
		}
	}
	rp.CreatedAt, rp.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &rp, nil
}

// ratePlans returns the rate plans matching where, with their options.
func (s *Store) ratePlans(ctx context.Context, t *tx, where string, args []any) ([]*keycard.RatePlan, error) {
	rows, err := t.Query(ctx, `SELECT `+ratePlanColumns+` FROM rate_plans rp WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list rate plans: %w", err)
	}
	defer rows.Close()
	var out []*keycard.RatePlan
	for rows.Next() {
		rp, err := scanRatePlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rp)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	byID := make(map[string]*keycard.RatePlan, len(out))
	ids := make([]string, 0, len(out))
	for _, rp := range out {
		byID[rp.ID] = rp
		ids = append(ids, rp.ID)
	}
	// Plans come in pages of at most 100, or all of one property (at most
	// MaxRatePlans): a list of ids is short enough.
	orows, err := t.Query(ctx, `SELECT id, rate_plan_id, occupancy, is_primary, rate, derived_option FROM rate_plan_options
		WHERE rate_plan_id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: rate plan options: %w", err)
	}
	defer orows.Close()
	for orows.Next() {
		var o keycard.RateOption
		var planID string
		var derived sql.NullString
		if err := orows.Scan(&o.ID, &planID, &o.Occupancy, &o.IsPrimary, &o.Rate, &derived); err != nil {
			return nil, err
		}
		if derived.Valid {
			if err := json.Unmarshal([]byte(derived.String), &o.Derived); err != nil {
				return nil, fmt.Errorf("store: option %s derived_option: %w", o.ID, err)
			}
		}
		rp := byID[planID]
		rp.Options = append(rp.Options, o)
	}
	if err := orows.Err(); err != nil {
		return nil, err
	}
	for _, rp := range out {
		rp.SortOptions()
	}
	return out, nil
}

// ListRatePlans returns a page of the rate plans of the properties p
// reaches, and their total.
func (s *Store) ListRatePlans(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.RatePlan, int, error) {
	where, args, order, err := listSQL(q, ratePlanFields, "rp.title ASC, rp.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.RatePlan
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans rp WHERE rp.property_id IN `+r+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count rate plans: %w", err)
		}
		var err error
		out, err = s.ratePlans(ctx, t, `rp.property_id IN `+r+where+order+page(q), args)
		return err
	})
	return out, total, err
}

// RatePlanOptions returns every rate plan p reaches that q's filters
// select, unpaginated, in q's order (by title by default).
func (s *Store) RatePlanOptions(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.RatePlan, error) {
	where, args, order, err := listSQL(q, ratePlanFields, "rp.title ASC, rp.id ASC")
	if err != nil {
		return nil, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.RatePlan
	err = s.read(ctx, func(t *tx) error {
		// The options of many properties may be asked for at once: read
		// them in pages of plans, so that no id list grows without bound.
		offset := 0
		for {
			batch, err := s.ratePlans(ctx, t, `rp.property_id IN `+r+where+order+` LIMIT 200 OFFSET `+strconv.Itoa(offset), args)
			if err != nil {
				return err
			}
			out = append(out, batch...)
			if len(batch) < 200 {
				return nil
			}
			offset += len(batch)
		}
	})
	return out, err
}

// RatePlan returns a rate plan of a property p reaches.
func (s *Store) RatePlan(ctx context.Context, p *keycard.Principal, id string) (*keycard.RatePlan, error) {
	var out *keycard.RatePlan
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.ratePlan(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) ratePlan(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.RatePlan, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(s.dialect, p)
	plans, err := s.ratePlans(ctx, t, `rp.id = ? AND rp.property_id IN `+r, append([]any{id}, args...))
	if err != nil {
		return nil, err
	}
	if len(plans) == 0 {
		return nil, keycard.NotFound()
	}
	return plans[0], nil
}

// CreateRatePlan creates a rate plan in a property p reaches: c applied by
// keycard's rules to Channex's defaults in the property's currency, then
// checked against the property's room types and rate plans. decodeErrs is
// what went wrong decoding c.
func (s *Store) CreateRatePlan(ctx context.Context, p *keycard.Principal, propertyID string, c *keycard.RatePlanChange, decodeErrs keycard.FieldErrors) (*keycard.RatePlan, error) {
	var out *keycard.RatePlan
	err := s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		if err := requireProperty(ctx, t, p, propertyID, false); err != nil {
			return err
		}
		// Writers of one property's inventory take turns, so that checks
		// across rows (the plan limit, unique titles, parent cycles) hold.
		if err := lockProperties(ctx, t, []string{propertyID}); err != nil {
			return err
		}
		rp := keycard.NewRatePlan()
		rp.ID, rp.PropertyID = newID(), propertyID
		// A new plan takes the property's currency and default tax set.
		var taxSet sql.NullString
		if err := t.QueryRow(ctx, `SELECT currency, default_tax_set_id FROM properties WHERE id = ?`, propertyID).Scan(&rp.Currency, &taxSet); err != nil {
			return fmt.Errorf("store: property currency: %w", err)
		}
		rp.TaxSetID = taxSet.String
		decodeErrs := rp.Apply(c, decodeErrs.Clone())
		fe, err := s.checkRatePlan(ctx, t, rp, nil, decodeErrs)
		if err != nil {
			return err
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans WHERE property_id = ?`, propertyID).Scan(&n); err != nil {
			return fmt.Errorf("store: count rate plans: %w", err)
		}
		if n >= keycard.MaxRatePlans {
			fe.Add("property_id", "has reached the limit of "+strconv.Itoa(keycard.MaxRatePlans)+" rate plans")
		}
		if err := decodeErrs.Merge(fe.Err()); err != nil {
			return err
		}
		now := s.now()
		rp.CreatedAt, rp.UpdatedAt = now, now
		cols, vals := ratePlanValues(rp)
		_, err = t.Exec(ctx, `INSERT INTO rate_plans (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{rp.ID, rp.PropertyID, micros(now)}, vals...)...)
		if s.dialect.isUnique(err) {
			return keycard.Invalid("title", keycard.DuplicateRatePlanTitle)
		}
		if err != nil {
			return fmt.Errorf("store: create rate plan: %w", err)
		}
		if err := saveOptions(ctx, t, rp, nil); err != nil {
			return err
		}
		out, err = s.ratePlan(ctx, t, p, rp.ID)
		return err
	})
	return out, err
}

// lockedRatePlan reads a rate plan after taking its property's lock (see
// CreateRatePlan), so that what it reads is what the update builds on.
func (s *Store) lockedRatePlan(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.RatePlan, error) {
	rp, err := s.ratePlan(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	if err := lockProperties(ctx, t, []string{rp.PropertyID}); err != nil {
		return nil, err
	}
	return s.ratePlan(ctx, t, p, id)
}

// UpdateRatePlan loads a rate plan p reaches, applies c to it by keycard's
// rules, checks the result against its property's room types and rate
// plans and saves it, in one transaction. decodeErrs is what went wrong
// decoding c. Options keep their ids (and rates) by occupancy; an option
// left out is removed with its rates.
func (s *Store) UpdateRatePlan(ctx context.Context, p *keycard.Principal, id string, c *keycard.RatePlanChange, decodeErrs keycard.FieldErrors) (*keycard.RatePlan, error) {
	var out *keycard.RatePlan
	err := s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		rp, err := s.lockedRatePlan(ctx, t, p, id)
		if err != nil {
			return err
		}
		old := *rp
		old.Options = append([]keycard.RateOption(nil), rp.Options...)
		decodeErrs := rp.Apply(c, decodeErrs.Clone())
		fe, err := s.checkRatePlan(ctx, t, rp, &old, decodeErrs)
		if err != nil {
			return err
		}
		if err := decodeErrs.Merge(fe.Err()); err != nil {
			return err
		}
		rp.UpdatedAt = s.now()
		cols, vals := ratePlanValues(rp)
		_, err = t.Exec(ctx, `UPDATE rate_plans SET `+setList(cols)+` WHERE id = ?`, append(vals, rp.ID)...)
		if s.dialect.isUnique(err) {
			return keycard.Invalid("title", keycard.DuplicateRatePlanTitle)
		}
		if err != nil {
			return fmt.Errorf("store: update rate plan: %w", err)
		}
		if err := saveOptions(ctx, t, rp, old.Options); err != nil {
			return err
		}
		// Its defaults, options or parent may change what its channels
		// are sent, and what the plans derived from it are.
		if err := t.markChannelPlans(ctx, rp.PropertyID, []string{rp.ID}); err != nil {
			return err
		}
		out, err = s.ratePlan(ctx, t, p, id)
		return err
	})
	return out, err
}

// checkRatePlan validates rp, and checks it against its property: its room
// type, its options against the room type's occ_adults, and its parent
// (same property and currency, no cycle). old is the plan as stored, nil
// for a new one.
func (s *Store) checkRatePlan(ctx context.Context, t *tx, rp, old *keycard.RatePlan, skip keycard.FieldErrors) (keycard.FieldErrors, error) {
	fe := rp.Check(skip)
	switch {
	case skip.Has("room_type_id"):
	case rp.RoomTypeID == "":
		fe.Add("room_type_id", "can't be blank")
	default:
		var occAdults int
		err := t.QueryRow(ctx, `SELECT occ_adults FROM room_types WHERE id = ? AND property_id = ?`, rp.RoomTypeID, rp.PropertyID).Scan(&occAdults)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fe.Add("room_type_id", "is not a room type of the property")
		case err != nil:
			return nil, fmt.Errorf("store: rate plan room type: %w", err)
		default:
			for _, o := range rp.Options {
				if o.Occupancy > occAdults && !fe.Has("options") {
					fe.Add("options", fmt.Sprintf("occupancy %d is above the room type's occ_adults (%d)", o.Occupancy, occAdults))
				}
			}
		}
	}
	if rp.ParentRatePlanID != "" && !fe.Has("parent_rate_plan_id") && !skip.Has("parent_rate_plan_id") {
		msg, err := s.checkParent(ctx, t, rp)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			// Nothing more is said of a parent that is not the property's:
			// it may be another organisation's plan, and must read exactly
			// like one that does not exist.
			fe.Add("parent_rate_plan_id", msg)
		} else {
			var currency string
			err := t.QueryRow(ctx, `SELECT currency FROM rate_plans WHERE id = ? AND property_id = ?`, rp.ParentRatePlanID, rp.PropertyID).Scan(&currency)
			if err != nil {
				return nil, fmt.Errorf("store: parent rate plan currency: %w", err)
			}
			if currency != rp.Currency && !fe.Has("currency") {
				fe.Add("currency", "must be the parent rate plan's currency ("+currency+")")
			}
		}
	}
	if rp.TaxSetID != "" && !skip.Has("tax_set_id") {
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM tax_sets WHERE id = ? AND property_id = ?`, rp.TaxSetID, rp.PropertyID).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: rate plan tax set: %w", err)
		}
		if n == 0 {
			fe.Add("tax_set_id", "is not a tax set of the property")
		}
	}
	if rp.CancellationPolicyID != "" && !skip.Has("cancellation_policy_id") {
		var n int
		err := t.QueryRow(ctx, `SELECT COUNT(*) FROM cancellation_policies WHERE id = ? AND property_id = ?`, rp.CancellationPolicyID,
			rp.PropertyID).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("store: rate plan cancellation policy: %w", err)
		}
		if n == 0 {
			fe.Add("cancellation_policy_id", "is not a cancellation policy of the property")
		}
	}
	if old != nil && old.Currency != rp.Currency && !fe.Has("currency") {
		if keycard.CurrencyExponent(old.Currency) != keycard.CurrencyExponent(rp.Currency) {
			fe.Add("currency", "can't be changed to a currency with a different number of decimals (rates are kept in minor units)")
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans WHERE parent_rate_plan_id = ?`, rp.ID).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count derived rate plans: %w", err)
		}
		if n > 0 {
			fe.Add("currency", "can't be changed while rate plans derive from this one")
		}
	}
	return fe, nil
}

// checkParent returns what is wrong with rp's parent, or "": it must be a
// rate plan of the same property, and not derive from rp.
func (s *Store) checkParent(ctx context.Context, t *tx, rp *keycard.RatePlan) (string, error) {
	rows, err := t.Query(ctx, `SELECT id, parent_rate_plan_id FROM rate_plans WHERE property_id = ?`, rp.PropertyID)
	if err != nil {
		return "", fmt.Errorf("store: rate plan parents: %w", err)
	}
	defer rows.Close()
	parents := map[string]string{}
	for rows.Next() {
		var id string
		var parent sql.NullString
		if err := rows.Scan(&id, &parent); err != nil {
			return "", err
		}
		parents[id] = parent.String
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if _, ok := parents[rp.ParentRatePlanID]; !ok {
		return "is not a rate plan of the property", nil
	}
	for id, steps := rp.ParentRatePlanID, 0; id != "" && steps <= len(parents); id, steps = parents[id], steps+1 {
		if id == rp.ID {
			return "derives from this rate plan; rate plans can't derive from each other", nil
		}
	}
	return "", nil
}

// ratePlanValues returns the writable columns of a rate plan and their
// values, in the same order.
func ratePlanValues(rp *keycard.RatePlan) (string, []any) {
	defaults, _ := json.Marshal(weekdayDefaults{
		MaxStay: rp.MaxStay, MinStayArrival: rp.MinStayArrival, MinStayThrough: rp.MinStayThrough,
		ClosedToArrival: rp.ClosedToArrival, ClosedToDeparture: rp.ClosedToDeparture, StopSell: rp.StopSell,
	})
	var parent any
	if rp.ParentRatePlanID != "" {
		parent = rp.ParentRatePlanID
	}
	cols := []string{"room_type_id", "parent_rate_plan_id", "title", "currency", "sell_mode", "rate_mode", "meal_type",
		"children_fee", "infant_fee", "weekday_defaults"}
	vals := []any{rp.RoomTypeID, parent, rp.Title, rp.Currency, rp.SellMode, rp.RateMode, rp.MealType,
		rp.ChildrenFee, rp.InfantFee, string(defaults)}
	for _, f := range keycard.InheritFlags {
		cols = append(cols, f.Name)
		vals = append(vals, rp.Inherit&f.Bit != 0)
	}
	cols = append(cols, "updated_at", "tax_set_id", "cancellation_policy_id")
	vals = append(vals, micros(rp.UpdatedAt), nullID(rp.TaxSetID), nullID(rp.CancellationPolicyID))
	return strings.Join(cols, ", "), vals
}

// saveOptions writes rp's options. The primary option takes the plan's
// id; any other keeps the id of the old non-primary option with its
// occupancy, so that its rates stay with it. Old options not kept are
// deleted, and their rates with them.
func saveOptions(ctx context.Context, t *tx, rp *keycard.RatePlan, old []keycard.RateOption) error {
	keep := make([]any, 0, len(rp.Options))
	for i := range rp.Options {
		o := &rp.Options[i]
		o.ID = ""
		if o.IsPrimary {
			o.ID = rp.ID
		} else {
			for _, prev := range old {
				if !prev.IsPrimary && prev.Occupancy == o.Occupancy {
					o.ID = prev.ID
				}
			}
			if o.ID == "" {
				o.ID = newID()
			}
		}
		keep = append(keep, o.ID)
	}
	if _, err := t.Exec(ctx, `DELETE FROM rate_plan_options WHERE rate_plan_id = ? AND id NOT IN (`+placeholders(len(keep))+`)`,
		append([]any{rp.ID}, keep...)...); err != nil {
		return fmt.Errorf("store: delete rate plan options: %w", err)
	}
	for _, o := range rp.Options {
		var derived any
		if o.Derived != nil {
			b, _ := json.Marshal(o.Derived)
			derived = string(b)
		}
		_, err := t.Exec(ctx, `INSERT INTO rate_plan_options (id, rate_plan_id, occupancy, is_primary, rate, derived_option)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET occupancy = excluded.occupancy,
			is_primary = excluded.is_primary, rate = excluded.rate, derived_option = excluded.derived_option`,
			o.ID, rp.ID, o.Occupancy, o.IsPrimary, o.Rate, derived)
		if err != nil {
			return fmt.Errorf("store: save rate plan option: %w", err)
		}
	}
	return nil
}

// DeleteRatePlan deletes a rate plan with its options and ARI; p must be
// an owner of its property. It is refused while another plan derives from
// it.
func (s *Store) DeleteRatePlan(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		rp, err := s.ratePlan(ctx, t, p, id)
		if err != nil {
			return err
		}
		if err := requireProperty(ctx, t, p, rp.PropertyID, true); err != nil {
			return err
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans WHERE parent_rate_plan_id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("store: count derived rate plans: %w", err)
		}
		if n > 0 {
			return keycard.Invalid("rate_plan", "has derived rate plans; delete them or change their parent first")
		}
		if _, err := t.Exec(ctx, `DELETE FROM rate_plans WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete rate plan: %w", err)
		}
		return nil
	})
}
