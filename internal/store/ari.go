package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// MaxARICells bounds what one ARI write may expand to: dates times rate
// plan options (or room types), overwrites included. A certification full
// sync of 500 days for 50 rate plans is 25,000.
const MaxARICells = 1_000_000

// MaxARIReadCells bounds what one ARI read may return: dates times rate
// plan options (or room types).
const MaxARIReadCells = 500_000

// Batches of a multi-row upsert: at most maxBatchRows rows and
// maxBatchArgs arguments (SQLite allows 32766, PostgreSQL 65535).
const (
	maxBatchRows = 1000
	maxBatchArgs = 30000
)

// ariProperty is what an ARI write needs to know of a property.
type ariProperty struct {
	today       keycard.Date
	minStayType string
	taskID      string
}

// ariProperties returns the properties among ids that p reaches.
func (s *Store) ariProperties(ctx context.Context, t *tx, p *keycard.Principal, ids []string) (map[string]*ariProperty, error) {
	var valid []string
	seen := map[string]bool{}
	for _, id := range ids {
		if keycard.ValidID(id) && !seen[id] {
			seen[id] = true
			valid = append(valid, id)
		}
	}
	out := map[string]*ariProperty{}
	r, rargs := reach(s.dialect, p)
	now := s.now()
	for chunk := range slices.Chunk(valid, 500) {
		rows, err := t.Query(ctx, `SELECT id, timezone, settings FROM properties WHERE id IN (`+placeholders(len(chunk))+`) AND id IN `+r,
			append(anys(chunk), rargs...)...)
		if err != nil {
			return nil, fmt.Errorf("store: ari properties: %w", err)
		}
		for rows.Next() {
			var id, tz, settings string
			if err := rows.Scan(&id, &tz, &settings); err != nil {
				rows.Close()
				return nil, err
			}
			var sj keycard.PropertySettings
			if err := json.Unmarshal([]byte(settings), &sj); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: property %s settings: %w", id, err)
			}
			out[id] = &ariProperty{today: keycard.Today(now, tz), minStayType: sj.MinStayType}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if err := lockProperties(ctx, t, slices.Collect(maps.Keys(out))); err != nil {
		return nil, err
	}
	return out, nil
}

// lockProperties takes the row lock of each property, in id order, so
// that concurrent ARI writes to one property run one after the other
// rather than lock its rows in different orders (PostgreSQL would abort
// one as a deadlock). SQLite runs one write at a time anyway (BEGIN
// IMMEDIATE on one connection), so there it takes nothing. The lock is a
// SELECT ... FOR UPDATE, not a write: a write to properties would drop
// the property cache (see changeView) on every ARI write and
// booking.
func lockProperties(ctx context.Context, t *tx, ids []string) error {
	if t.d.name() != "postgres" {
		return nil
	}
	sorted := slices.Sorted(slices.Values(ids))
	for _, id := range sorted {
		var got string
		err := t.QueryRow(ctx, `SELECT id FROM properties WHERE id = ? FOR UPDATE`, id).Scan(&got)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: lock property: %w", err)
		}
	}
	return nil
}

// taskIDs gives each property that received values a task id, in the
// order the properties first appear in propertyIDs.
func taskIDs(props map[string]*ariProperty, propertyIDs []string) []string {
	out := []string{}
	for _, id := range propertyIDs {
		if prop := props[id]; prop != nil && prop.taskID == "" {
			prop.taskID = newID()
			out = append(out, prop.taskID)
		}
	}
	return out
}

// ApplyAvailability writes room type availability: each change in order,
// a later one overriding an earlier one on the same date. A change that
// cannot apply (unknown or out-of-reach property or room type, bad dates)
// is left out with its reasons in the result's Warnings; the others are
// applied together, in one transaction.
func (s *Store) ApplyAvailability(ctx context.Context, p *keycard.Principal, changes []*keycard.AvailabilityChange) (*keycard.ARIResult, error) {
	res := &keycard.ARIResult{Warnings: make([]keycard.FieldErrors, len(changes))}
	propertyIDs := make([]string, len(changes))
	for i, c := range changes {
		propertyIDs[i] = c.PropertyID
	}
	err := s.writeProperties(ctx, p, propertyIDs, func(t *tx) error {
		props, err := s.ariProperties(ctx, t, p, propertyIDs)
		if err != nil {
			return err
		}
		roomTypes := map[string]int32{} // id -> index into rtIDs
		var rtIDs, rtProps []string
		for id := range props {
			rows, err := t.Query(ctx, `SELECT id FROM room_types WHERE property_id = ?`, id)
			if err != nil {
				return fmt.Errorf("store: ari room types: %w", err)
			}
			for rows.Next() {
				var rt string
				if err := rows.Scan(&rt); err != nil {
					rows.Close()
					return err
				}
				roomTypes[rt] = int32(len(rtIDs))
				rtIDs, rtProps = append(rtIDs, rt), append(rtProps, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		type cell struct {
			rt  int32
			day keycard.Date
		}
		index := map[cell]int{}
		var cells []cell
		var values []int32
		count := 0
		used := make([]string, 0, len(changes))
		for i, c := range changes {
			fe := keycard.FieldErrors{}
			prop := props[c.PropertyID]
			rt, ok := roomTypes[c.RoomTypeID]
			switch {
			case prop == nil:
				fe.Add("property_id", "not found")
			case !ok || rtProps[rt] != c.PropertyID:
				fe.Add("room_type_id", "not found")
			default:
				fe = c.Dates.CheckWindow(prop.today)
			}
			if len(fe) > 0 {
				res.Warnings[i] = fe
				continue
			}
			used = append(used, c.PropertyID)
			for d := c.Dates.From; d <= c.Dates.To; d++ {
				if !c.Dates.Days.Has(d) {
					continue
				}
				if count++; count > MaxARICells {
					return tooManyCells()
				}
				k := cell{rt, d}
				j, ok := index[k]
				if !ok {
					j = len(cells)
					index[k] = j
					cells, values = append(cells, k), append(values, 0)
				}
				values[j] = c.Availability
			}
		}
		order := make([]int, len(cells))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			return cmp.Or(strings.Compare(rtIDs[cells[a].rt], rtIDs[cells[b].rt]), cmp.Compare(cells[a].day, cells[b].day))
		})
		err = upsert(ctx, t, "room_type_days", []string{"room_type_id", "day"}, []string{"availability"}, len(order),
			func(i int, args []any) []any {
				c := order[i]
				return append(args, rtIDs[cells[c].rt], int64(cells[c].day), int64(values[c]))
			})
		if err != nil {
			return fmt.Errorf("store: write availability: %w", err)
		}
		res.TaskIDs = taskIDs(props, used)
		for _, prop := range slices.Sorted(maps.Keys(props)) {
			err := s.enqueueARI(ctx, t, prop, p.UserID, func(yield func(ariChange) bool) {
				for _, c := range order {
					if rtProps[cells[c].rt] != prop {
						continue
					}
					ch := ariChange{roomTypeID: rtIDs[cells[c].rt], day: cells[c].day, fields: availabilityFields,
						values: map[string]any{keycard.ARIFieldAvailability: values[c]}}
					if !yield(ch) {
						return
					}
				}
			})
			if err != nil {
				return err
			}
		}
		entries := make([]ariEntry, len(changes))
		for i, c := range changes {
			entries[i] = ariEntry{c.PropertyID, c.RoomTypeID, c.Dates}
		}
		return s.writeARITasks(ctx, t, p, keycard.TaskAvailability, props, entries, res.Warnings)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func tooManyCells() error {
	return keycard.Errorf(keycard.ETooLarge, "the values cover more than %d dates of rate plan options or room types; send them in several requests", MaxARICells)
}

// ariTarget is what a rate_plan_id of a restriction change names: a rate
// plan, or one of its options.
type ariTarget struct {
	plan   *keycard.RatePlan
	option *keycard.RateOption // nil for the whole plan
}

// ApplyRestrictions writes rates and restrictions: each change in order,
// a later one overriding an earlier one for the same option, date and
// field; fields not written keep their values. A change that cannot apply
// is left out with its reasons in the result's Warnings; the others are
// applied together, in one transaction.
func (s *Store) ApplyRestrictions(ctx context.Context, p *keycard.Principal, changes []*keycard.RestrictionChange) (*keycard.ARIResult, error) {
	res := &keycard.ARIResult{Warnings: make([]keycard.FieldErrors, len(changes))}
	propertyIDs := make([]string, len(changes))
	for i, c := range changes {
		propertyIDs[i] = c.PropertyID
	}
	err := s.writeProperties(ctx, p, propertyIDs, func(t *tx) error {
		props, err := s.ariProperties(ctx, t, p, propertyIDs)
		if err != nil {
			return err
		}
		targets := map[string]ariTarget{}
		optionIndex := map[*keycard.RateOption]int32{}
		var optionIDs []string
		var optionPlans []*keycard.RatePlan // the plan of each option, by index
		var optionOpts []*keycard.RateOption
		for id := range props {
			plans, err := s.ratePlans(ctx, t, `rp.property_id = ?`, []any{id})
			if err != nil {
				return err
			}
			for _, rp := range plans {
				targets[rp.ID] = ariTarget{plan: rp}
				for i := range rp.Options {
					o := &rp.Options[i]
					if !o.IsPrimary {
						targets[o.ID] = ariTarget{plan: rp, option: o}
					}
					optionIndex[o] = int32(len(optionIDs))
					optionIDs = append(optionIDs, o.ID)
					optionPlans, optionOpts = append(optionPlans, rp), append(optionOpts, o)
				}
			}
		}
		type cell struct {
			option int32
			day    keycard.Date
		}
		index := map[cell]int{}
		var cells []cell
		var values []keycard.Restrictions
		count := 0
		var writes []optionWrite
		used := make([]string, 0, len(changes))
		for i, c := range changes {
			prop := props[c.PropertyID]
			tg, ok := targets[c.RatePlanID]
			var fe keycard.FieldErrors
			switch {
			case prop == nil:
				fe = keycard.FieldErrors{"property_id": {"not found"}}
			case !ok || tg.plan.PropertyID != c.PropertyID:
				fe = keycard.FieldErrors{"rate_plan_id": {"not found"}}
			default:
				writes, fe = restrictionWrites(c, prop, tg, writes[:0], func(o *keycard.RateOption) int32 { return optionIndex[o] })
			}
			if len(fe) > 0 {
				res.Warnings[i] = fe
				continue
			}
			used = append(used, c.PropertyID)
			for d := c.Dates.From; d <= c.Dates.To; d++ {
				if !c.Dates.Days.Has(d) {
					continue
				}
				if count += len(writes); count > MaxARICells {
					return tooManyCells()
				}
				for _, w := range writes {
					k := cell{w.option, d}
					j, ok := index[k]
					if !ok {
						j = len(cells)
						index[k] = j
						cells, values = append(cells, k), append(values, keycard.Restrictions{})
					}
					values[j].Copy(&w.v, w.v.Set)
				}
			}
		}
		// Rows that set the same fields go in the same statements.
		groups := map[uint16][]int{}
		for i := range values {
			groups[values[i].Set] = append(groups[values[i].Set], i)
		}
		for _, mask := range slices.Sorted(maps.Keys(groups)) {
			rows := groups[mask]
			slices.SortFunc(rows, func(a, b int) int {
				return cmp.Or(strings.Compare(optionIDs[cells[a].option], optionIDs[cells[b].option]), cmp.Compare(cells[a].day, cells[b].day))
			})
			var cols []string
			var bits []uint16
			for _, f := range keycard.RestrictionFields {
				if mask&f.Bit != 0 {
					cols, bits = append(cols, f.Name), append(bits, f.Bit)
				}
			}
			err := upsert(ctx, t, "rate_option_days", []string{"rate_option_id", "day"}, cols, len(rows), func(i int, args []any) []any {
				c := rows[i]
				v := &values[c]
				args = append(args, optionIDs[cells[c].option], int64(cells[c].day))
				for _, b := range bits {
					if keycard.IsBool(b) {
						args = append(args, v.Bool(b))
					} else {
						args = append(args, v.Int(b))
					}
				}
				return args
			})
			if err != nil {
				return fmt.Errorf("store: write restrictions: %w", err)
			}
		}
		res.TaskIDs = taskIDs(props, used)
		for _, prop := range slices.Sorted(maps.Keys(props)) {
			err := s.enqueueARI(ctx, t, prop, p.UserID, func(yield func(ariChange) bool) {
				for i := range cells {
					rp := optionPlans[cells[i].option]
					if rp.PropertyID != prop {
						continue
					}
					if !yield(restrictionChange(rp, optionOpts[cells[i].option], cells[i].day, &values[i])) {
						return
					}
				}
			})
			if err != nil {
				return err
			}
		}
		entries := make([]ariEntry, len(changes))
		for i, c := range changes {
			entries[i] = ariEntry{c.PropertyID, c.RatePlanID, c.Dates}
		}
		return s.writeARITasks(ctx, t, p, keycard.TaskRestrictions, props, entries, res.Warnings)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// optionWrite is what a restriction change writes to one option on each
// of its dates.
type optionWrite struct {
	option int32 // index of the option
	v      keycard.Restrictions
}

// rateWrite is a rate for one option.
type rateWrite struct {
	option *keycard.RateOption
	rate   int64
}

// restrictionWrites checks change c against its property and target, and
// returns what it writes per option and date (appended to dst), or the
// reasons it cannot apply.
func restrictionWrites(c *keycard.RestrictionChange, prop *ariProperty, tg ariTarget, dst []optionWrite, index func(*keycard.RateOption) int32) ([]optionWrite, keycard.FieldErrors) {
	fe := c.Dates.CheckWindow(prop.today)
	rp := tg.plan
	values := c.Values
	if c.MinStay != nil {
		switch prop.minStayType {
		case "arrival":
			if values.Set&keycard.FieldMinStayArrival == 0 {
				values.SetInt(keycard.FieldMinStayArrival, int64(*c.MinStay))
			}
		case "through":
			if values.Set&keycard.FieldMinStayThrough == 0 {
				values.SetInt(keycard.FieldMinStayThrough, int64(*c.MinStay))
			}
		default:
			fe.Add("min_stay", "property doesn't support `min_stay` restriction, please use `min_stay_through` or `min_stay_arrival`")
		}
	}
	options := make([]*keycard.RateOption, 0, len(rp.Options))
	if tg.option != nil {
		options = append(options, tg.option)
	} else {
		for i := range rp.Options {
			options = append(options, &rp.Options[i])
		}
	}
	values.Clear(keycard.FieldRate)
	for _, f := range keycard.RestrictionFields {
		if values.Set&f.Bit != 0 && rp.Inherits(f.Bit, options[0]) {
			fe.Add(f.Name, "is inherited from the parent rate plan (inherit_"+f.Name+" is true)")
		}
	}
	rateTarget := tg.option
	if rateTarget == nil {
		rateTarget = rp.Primary()
	}
	var rates []rateWrite
	if c.Rate != nil {
		v, msg := keycard.ParseMoney(c.Rate, rp.Currency)
		if msg == "" {
			msg = keycard.CheckRestriction(keycard.FieldRate, v)
		}
		switch {
		case msg != "":
			fe.Add("rate", msg)
		case rp.Inherits(keycard.FieldRate, rateTarget):
			fe.Add("rate", "is inherited from the parent rate plan (inherit_rate is true)")
		default:
			rates = append(rates, rateWrite{rateTarget, v})
		}
	}
	if len(c.Rates) > 0 && tg.option != nil {
		fe.Add("rates", "can only be used with a rate plan id, not an option id")
	} else {
		for _, or := range c.Rates {
			o := rp.Option(or.Occupancy)
			if o == nil {
				fe.Add("rates", "occupancy "+strconv.Itoa(or.Occupancy)+" is not an option of the rate plan")
				continue
			}
			v, msg := keycard.ParseMoney(or.Rate, rp.Currency)
			if msg == "" {
				msg = keycard.CheckRestriction(keycard.FieldRate, v)
			}
			switch {
			case msg != "":
				fe.Add("rates", "rate for occupancy "+strconv.Itoa(or.Occupancy)+" "+msg)
			case rp.Inherits(keycard.FieldRate, o):
				fe.Add("rates", "the rate of the primary option is inherited from the parent rate plan (inherit_rate is true)")
			default:
				rates = append(rates, rateWrite{o, v})
			}
		}
	}
	if len(fe) > 0 {
		return dst, fe
	}
	if values.Set != 0 {
		for _, o := range options {
			dst = append(dst, optionWrite{option: index(o), v: values})
		}
	}
	for _, r := range rates {
		var v keycard.Restrictions
		v.SetInt(keycard.FieldRate, r.rate)
		dst = append(dst, optionWrite{option: index(r.option), v: v})
	}
	return dst, nil
}

// upsert writes n rows into table with multi-row INSERT ... ON CONFLICT DO
// UPDATE statements, in batches: key names the conflict columns, cols the
// columns set. args appends row i's values (key columns first) to its
// argument and returns it.
func upsert(ctx context.Context, t *tx, table string, key, cols []string, n int, args func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	width := len(key) + len(cols)
	per := min(maxBatchRows, maxBatchArgs/width)
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = excluded." + c
	}
	tuple := "(" + placeholders(width) + ")"
	statement := func(rows int) string {
		var b strings.Builder
		b.Grow(64 + rows*(len(tuple)+2))
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(key, ", ") + ", " + strings.Join(cols, ", ") + ") VALUES ")
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
		}
		b.WriteString(" ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(sets, ", "))
		return t.d.rebind(b.String())
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	buf := make([]any, 0, min(n, per)*width)
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		buf = buf[:0]
		for i := start; i < end; i++ {
			buf = args(i, buf)
		}
		var err error
		if end-start == per {
			// Full batches share one prepared statement.
			if full == nil {
				if full, err = t.Tx.PrepareContext(ctx, statement(per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, buf...)
		} else {
			_, err = t.Tx.ExecContext(ctx, statement(end-start), buf...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readDays checks an ARI read's span and returns its number of dates.
func readDays(q keycard.ARIQuery) (int, error) {
	if q.To < q.From {
		return 0, keycard.Errorf(keycard.EBadRequest, "the date range is empty")
	}
	n := int(q.To-q.From) + 1
	if n > keycard.MaxARIReadDays {
		return 0, keycard.Errorf(keycard.EBadRequest, "the date range covers %d days; at most %d can be read at once", n, keycard.MaxARIReadDays)
	}
	return n, nil
}

func tooManyReadCells(n int) error {
	return keycard.Errorf(keycard.EBadRequest, "the request covers %d values; at most %d can be read at once: narrow the dates, or filter by id", n, MaxARIReadCells)
}

// Availability returns the availability of the room types of a property p
// reaches (those in q.IDs, or all), per date; a date never written reads
// as 0.
func (s *Store) Availability(ctx context.Context, p *keycard.Principal, q keycard.ARIQuery) (*keycard.AvailabilityGrid, error) {
	n, err := readDays(q)
	if err != nil {
		return nil, err
	}
	grid := &keycard.AvailabilityGrid{From: q.From, To: q.To, RoomTypes: []keycard.RoomTypeDays{}}
	err = s.read(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, q.PropertyID, false); err != nil {
			return err
		}
		rows, err := t.Query(ctx, `SELECT id FROM room_types WHERE property_id = ? ORDER BY title, id`, q.PropertyID)
		if err != nil {
			return fmt.Errorf("store: availability room types: %w", err)
		}
		byID := map[string]int{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if len(q.IDs) == 0 || slices.Contains(q.IDs, id) {
				byID[id] = len(grid.RoomTypes)
				grid.RoomTypes = append(grid.RoomTypes, keycard.RoomTypeDays{ID: id})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if cells := n * len(grid.RoomTypes); cells > MaxARIReadCells {
			return tooManyReadCells(cells)
		}
		for i := range grid.RoomTypes {
			grid.RoomTypes[i].Days = make([]int32, n)
		}
		rows, err = t.Query(ctx, `SELECT room_type_id, day, availability FROM room_type_days
			WHERE room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND day >= ? AND day <= ?`,
			q.PropertyID, int64(q.From), int64(q.To))
		if err != nil {
			return fmt.Errorf("store: read availability: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var day, avail int64
			if err := rows.Scan(&id, &day, &avail); err != nil {
				return err
			}
			if i, ok := byID[id]; ok {
				grid.RoomTypes[i].Days[day-int64(q.From)] = int32(avail)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return grid, nil
}

// Restrictions returns the rates and restrictions of the rate plan options
// of a property p reaches (of the plans or options in q.IDs, or all), per
// date. A value never written reads as the plan's default; a derived
// plan's inherited values are computed from its parent's.
func (s *Store) Restrictions(ctx context.Context, p *keycard.Principal, q keycard.ARIQuery) (*keycard.RestrictionGrid, error) {
	n, err := readDays(q)
	if err != nil {
		return nil, err
	}
	grid := &keycard.RestrictionGrid{From: q.From, To: q.To, Options: []keycard.OptionDays{}}
	err = s.read(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, q.PropertyID, false); err != nil {
			return err
		}
		var settings string
		if err := t.QueryRow(ctx, `SELECT settings FROM properties WHERE id = ?`, q.PropertyID).Scan(&settings); err != nil {
			return fmt.Errorf("store: property settings: %w", err)
		}
		var sj keycard.PropertySettings
		if err := json.Unmarshal([]byte(settings), &sj); err != nil {
			return fmt.Errorf("store: property %s settings: %w", q.PropertyID, err)
		}
		grid.MinStayType = sj.MinStayType
		plans, err := s.ratePlans(ctx, t, `rp.property_id = ? ORDER BY rp.title, rp.id`, []any{q.PropertyID})
		if err != nil {
			return err
		}
		selected := selectOptions(plans, q.IDs)
		needed := withAncestors(plans, selected)
		cells := 0
		for _, rp := range needed {
			cells += n * len(rp.Options)
		}
		if cells > MaxARIReadCells {
			return tooManyReadCells(cells)
		}
		values, err := s.optionDays(ctx, t, q, needed)
		if err != nil {
			return err
		}
		avail, err := s.roomTypeDays(ctx, t, q)
		if err != nil {
			return err
		}
		booked, err := s.bookedDays(ctx, t, q)
		if err != nil {
			return err
		}
		for _, sel := range selected {
			days := values[sel.option.ID]
			od := keycard.OptionDays{ID: sel.option.ID, RatePlanID: sel.plan.ID, Currency: sel.plan.Currency, Days: days,
				Availability: make([]int32, n), Booked: booked[sel.plan.ID]}
			if od.Booked == nil {
				od.Booked = make([]int32, n)
			}
			rooms := avail[sel.plan.RoomTypeID]
			for i := range days {
				var a int32
				if rooms != nil {
					a = rooms[i]
				}
				od.Availability[i] = sellable(a, &days[i], od.Booked[i])
			}
			grid.Options = append(grid.Options, od)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return grid, nil
}

// sellable is what an option can sell of a room type's availability a,
// when its rate plan's bookings hold booked rooms: max_sell caps what the
// plan sells in all, so its bookings count against it.
func sellable(a int32, r *keycard.Restrictions, booked int32) int32 {
	if r.Set&keycard.FieldAvailabilityOffset != 0 {
		a -= r.AvailabilityOffset
	}
	if r.Set&keycard.FieldMaxAvailability != 0 {
		a = min(a, r.MaxAvailability)
	}
	if r.Set&keycard.FieldMaxSell != 0 {
		a = min(a, r.MaxSell-booked)
	}
	return max(a, 0)
}

// bookedDays returns the rooms booked per rate plan of q's property and
// date, for the plans that have any in q's dates.
func (s *Store) bookedDays(ctx context.Context, t *tx, q keycard.ARIQuery) (map[string][]int32, error) {
	n := int(q.To-q.From) + 1
	rows, err := t.Query(ctx, `SELECT rate_plan_id, day, SUM(rooms) FROM booking_nights
		WHERE rate_plan_id IN (SELECT id FROM rate_plans WHERE property_id = ?) AND day >= ? AND day <= ?
		GROUP BY rate_plan_id, day`, q.PropertyID, int64(q.From), int64(q.To))
	if err != nil {
		return nil, fmt.Errorf("store: read booked rooms: %w", err)
	}
	defer rows.Close()
	out := map[string][]int32{}
	for rows.Next() {
		var id string
		var day, rooms int64
		if err := rows.Scan(&id, &day, &rooms); err != nil {
			return nil, err
		}
		days := out[id]
		if days == nil {
			days = make([]int32, n)
			out[id] = days
		}
		days[day-int64(q.From)] = int32(rooms)
	}
	return out, rows.Err()
}

type selectedOption struct {
	plan   *keycard.RatePlan
	option *keycard.RateOption
}

// selectOptions returns the options of the plans (or the options) named in
// ids, or of all plans when ids is empty, in plan order.
func selectOptions(plans []*keycard.RatePlan, ids []string) []selectedOption {
	var out []selectedOption
	for _, rp := range plans {
		whole := len(ids) == 0 || slices.Contains(ids, rp.ID)
		for i := range rp.Options {
			o := &rp.Options[i]
			if whole || slices.Contains(ids, o.ID) {
				out = append(out, selectedOption{rp, o})
			}
		}
	}
	return out
}

// withAncestors returns the plans of the selected options, and the plans
// they derive from, directly or not: what must be read to compute them.
func withAncestors(plans []*keycard.RatePlan, selected []selectedOption) []*keycard.RatePlan {
	byID := make(map[string]*keycard.RatePlan, len(plans))
	for _, rp := range plans {
		byID[rp.ID] = rp
	}
	need := map[string]bool{}
	for _, sel := range selected {
		for rp := sel.plan; rp != nil && !need[rp.ID]; rp = byID[rp.ParentRatePlanID] {
			need[rp.ID] = true
		}
	}
	var out []*keycard.RatePlan
	for _, rp := range plans {
		if need[rp.ID] {
			out = append(out, rp)
		}
	}
	return out
}

// optionDays returns the values of every option of plans (of q's
// property, with the ancestors of any derived one) per date: stored values over the defaults, and inherited
// values of derived plans computed from their parents. Each parent's
// values are read once, whatever the number of its derived plans.
func (s *Store) optionDays(ctx context.Context, t *tx, q keycard.ARIQuery, plans []*keycard.RatePlan) (map[string][]keycard.Restrictions, error) {
	n := int(q.To-q.From) + 1
	own := map[string][]keycard.Restrictions{}
	for _, rp := range plans {
		for i := range rp.Options {
			o := &rp.Options[i]
			days := make([]keycard.Restrictions, n)
			for j := range days {
				days[j] = rp.Defaults(o, q.From+keycard.Date(j))
			}
			own[o.ID] = days
		}
	}
	cols := make([]string, len(keycard.RestrictionFields))
	for i, f := range keycard.RestrictionFields {
		cols[i] = "d." + f.Name
	}
	rows, err := t.Query(ctx, `SELECT d.rate_option_id, d.day, `+strings.Join(cols, ", ")+` FROM rate_option_days d
		JOIN rate_plan_options o ON o.id = d.rate_option_id JOIN rate_plans rp ON rp.id = o.rate_plan_id
		WHERE rp.property_id = ? AND d.day >= ? AND d.day <= ?`, q.PropertyID, int64(q.From), int64(q.To))
	if err != nil {
		return nil, fmt.Errorf("store: read restrictions: %w", err)
	}
	defer rows.Close()
	ints := make([]sql.NullInt64, len(keycard.RestrictionFields))
	bools := make([]sql.NullBool, len(keycard.RestrictionFields))
	var id string
	var day int64
	dest := []any{&id, &day}
	for i, f := range keycard.RestrictionFields {
		if keycard.IsBool(f.Bit) {
			dest = append(dest, &bools[i])
		} else {
			dest = append(dest, &ints[i])
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		days := own[id]
		if days == nil {
			continue
		}
		r := &days[day-int64(q.From)]
		for i, f := range keycard.RestrictionFields {
			if keycard.IsBool(f.Bit) {
				if bools[i].Valid {
					r.SetBool(f.Bit, bools[i].Bool)
				}
			} else if ints[i].Valid {
				r.SetInt(f.Bit, ints[i].Int64)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return deriveAll(plans, own), nil
}

// deriveAll computes the values of derived plans from their parents', in
// place, parents first.
func deriveAll(plans []*keycard.RatePlan, values map[string][]keycard.Restrictions) map[string][]keycard.Restrictions {
	byID := make(map[string]*keycard.RatePlan, len(plans))
	for _, rp := range plans {
		byID[rp.ID] = rp
	}
	state := map[string]int{} // 1 while resolving, 2 when done
	var resolve func(rp *keycard.RatePlan)
	resolve = func(rp *keycard.RatePlan) {
		if state[rp.ID] != 0 {
			// Done, or a cycle (which writes refuse): leave it as it is.
			return
		}
		state[rp.ID] = 1
		defer func() { state[rp.ID] = 2 }()
		parent := byID[rp.ParentRatePlanID]
		if parent == nil || parent.Primary() == nil {
			return
		}
		resolve(parent)
		pp := values[parent.Primary().ID]
		for i := range rp.Options {
			o := &rp.Options[i]
			src := parent.Option(o.Occupancy)
			if src == nil {
				src = parent.Primary()
			}
			ps, days := values[src.ID], values[o.ID]
			for j := range days {
				days[j] = rp.Derive(o, &days[j], &pp[j], &ps[j])
			}
		}
	}
	for _, rp := range plans {
		resolve(rp)
	}
	return values
}

// roomTypeDays returns the availability of each room type of q's property
// that has any written in q's dates.
func (s *Store) roomTypeDays(ctx context.Context, t *tx, q keycard.ARIQuery) (map[string][]int32, error) {
	n := int(q.To-q.From) + 1
	rows, err := t.Query(ctx, `SELECT room_type_id, day, availability FROM room_type_days
		WHERE room_type_id IN (SELECT id FROM room_types WHERE property_id = ?) AND day >= ? AND day <= ?`,
		q.PropertyID, int64(q.From), int64(q.To))
	if err != nil {
		return nil, fmt.Errorf("store: read availability: %w", err)
	}
	defer rows.Close()
	out := map[string][]int32{}
	for rows.Next() {
		var id string
		var day, avail int64
		if err := rows.Scan(&id, &day, &avail); err != nil {
			return nil, err
		}
		days := out[id]
		if days == nil {
			days = make([]int32, n)
			out[id] = days
		}
		days[day-int64(q.From)] = int32(avail)
	}
	return out, rows.Err()
}

// availabilityFields are the fields an availability change writes.
var availabilityFields = []string{keycard.ARIFieldAvailability}

// restrictionChange describes, for ari webhooks, what was written to one
// option on one date.
func restrictionChange(rp *keycard.RatePlan, o *keycard.RateOption, day keycard.Date, v *keycard.Restrictions) ariChange {
	c := ariChange{roomTypeID: rp.RoomTypeID, ratePlanID: rp.ID, day: day, values: map[string]any{}}
	if !o.IsPrimary {
		c.values["occupancy"] = o.Occupancy
	}
	for _, f := range keycard.RestrictionFields {
		if v.Set&f.Bit == 0 {
			continue
		}
		c.fields = append(c.fields, f.Name)
		switch {
		case f.Bit == keycard.FieldRate:
			c.values[f.Name] = keycard.FormatMoney(v.Int(f.Bit), rp.Currency)
		case keycard.IsBool(f.Bit):
			c.values[f.Name] = v.Bool(f.Bit)
		default:
			c.values[f.Name] = v.Int(f.Bit)
		}
	}
	return c
}
