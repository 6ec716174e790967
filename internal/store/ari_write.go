package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

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
		pending, err := updateRuns(ctx, t, "room_type_days", "room_type_id", []string{"availability"}, order,
			func(c int) (string, keycard.Date) { return rtIDs[cells[c].rt], cells[c].day },
			func(a, b int) bool { return values[a] == values[b] },
			func(c int, args []any) []any { return append(args, int64(values[c])) })
		if err != nil {
			return fmt.Errorf("store: write availability: %w", err)
		}
		err = upsert(ctx, t, "room_type_days", []string{"room_type_id", "day"}, []string{"availability"}, len(pending),
			func(i int, args []any) []any {
				c := pending[i]
				return append(args, rtIDs[cells[c].rt], int64(cells[c].day), int64(values[c]))
			})
		if err != nil {
			return fmt.Errorf("store: write availability: %w", err)
		}
		res.TaskIDs = taskIDs(props, used)
		for _, prop := range slices.Sorted(maps.Keys(props)) {
			err := s.enqueueARI(ctx, t, prop, p.UserID, func(yield func(ariCell) bool) {
				for _, c := range order {
					if rtProps[cells[c].rt] == prop && !yield(ariCell{roomTypeID: rtIDs[cells[c].rt], day: cells[c].day}) {
						return
					}
				}
			}, func(yield func(ariChange) bool) {
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
			plans, err := s.propertyRatePlans(ctx, t, id)
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
			set := func(c int, args []any) []any {
				v := &values[c]
				for _, b := range bits {
					if keycard.IsBool(b) {
						args = append(args, v.Bool(b))
					} else {
						args = append(args, v.Int(b))
					}
				}
				return args
			}
			rows, err := updateRuns(ctx, t, "rate_option_days", "rate_option_id", cols, rows,
				func(c int) (string, keycard.Date) { return optionIDs[cells[c].option], cells[c].day },
				func(a, b int) bool { return values[a] == values[b] }, set) // a group's rows set the same fields, the others zero
			if err != nil {
				return fmt.Errorf("store: write restrictions: %w", err)
			}
			err = upsert(ctx, t, "rate_option_days", []string{"rate_option_id", "day"}, cols, len(rows), func(i int, args []any) []any {
				c := rows[i]
				return set(c, append(args, optionIDs[cells[c].option], int64(cells[c].day)))
			})
			if err != nil {
				return fmt.Errorf("store: write restrictions: %w", err)
			}
		}
		res.TaskIDs = taskIDs(props, used)
		for _, prop := range slices.Sorted(maps.Keys(props)) {
			err := s.enqueueARI(ctx, t, prop, p.UserID, func(yield func(ariCell) bool) {
				for i := range cells {
					rp := optionPlans[cells[i].option]
					if rp.PropertyID == prop && !yield(ariCell{roomTypeID: rp.RoomTypeID, ratePlanID: rp.ID, day: cells[i].day}) {
						return
					}
				}
			}, func(yield func(ariChange) bool) {
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

// insertRows runs head (an INSERT INTO a table and its columns) on the
// rows of args, width arguments to a row, followed by tail, in as few
// statements as the batch limits allow. Nothing is run for no rows.
func insertRows(ctx context.Context, t *tx, head string, width int, args []any, tail string) error {
	per := min(maxBatchRows, maxBatchArgs/width)
	tuple := "(" + placeholders(width) + ")"
	for start := 0; start < len(args); start += per * width {
		chunk := args[start:min(len(args), start+per*width)]
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(tuple+", ", len(chunk)/width), ", ") + tail
		if _, err := t.Exec(ctx, q, chunk...); err != nil {
			return err
		}
	}
	return nil
}
