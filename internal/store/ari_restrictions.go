package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

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
//
// Calls made at the same time (with PostgreSQL, those to the same one
// property) are written together, in the order they queued, as if one
// after the other (see writeARI).
func (s *Store) ApplyRestrictions(ctx context.Context, p *keycard.Principal, changes []*keycard.RestrictionChange) (*keycard.ARIResult, error) {
	j := &restrictionJob{ariJob: newARIJob(p, len(changes)), changes: changes}
	for i, c := range changes {
		j.entries[i] = ariEntry{c.PropertyID, c.RatePlanID, c.Dates}
	}
	return writeARI(ctx, s, &s.restrictionGroups, j, s.writeRestrictions)
}

// restrictionJob is one ApplyRestrictions call.
type restrictionJob struct {
	ariJob
	changes []*keycard.RestrictionChange
	set     cellValues[optionDay, keycard.Restrictions] // what it writes
}

// optionDay is a rate plan option (an index into rateOptions) on a date.
type optionDay struct {
	option int32
	day    keycard.Date
}

// rateOptions indexes the rate plans and options of the properties that
// a group of restriction jobs writes to.
type rateOptions struct {
	loaded  map[string]bool // property ids
	targets map[string]ariTarget
	index   map[*keycard.RateOption]int32
	ids     []string            // option ids, by index
	plans   []*keycard.RatePlan // each option's plan
	opts    []*keycard.RateOption
}

// load indexes the rate plans of property id, once.
func (o *rateOptions) load(ctx context.Context, s *Store, t *tx, id string) error {
	if o.loaded[id] {
		return nil
	}
	plans, err := s.propertyRatePlans(ctx, t, id)
	if err != nil {
		return err
	}
	o.loaded[id] = true
	for _, rp := range plans {
		o.targets[rp.ID] = ariTarget{plan: rp}
		for i := range rp.Options {
			opt := &rp.Options[i]
			if !opt.IsPrimary {
				o.targets[opt.ID] = ariTarget{plan: rp, option: opt}
			}
			o.index[opt] = int32(len(o.ids))
			o.ids = append(o.ids, opt.ID)
			o.plans, o.opts = append(o.plans, rp), append(o.opts, opt)
		}
	}
	return nil
}

// writeRestrictions writes a group of restriction jobs: each job's
// checks and cells on its own, then the cells of all together, a later
// job's value overriding an earlier one's, then each job's tasks,
// webhook deliveries and channel changes. A job whose checks fail is
// left out (its error in it); an error writing fails the group.
func (s *Store) writeRestrictions(ctx context.Context, t *tx, jobs []*restrictionJob) error {
	opts := &rateOptions{loaded: map[string]bool{}, targets: map[string]ariTarget{}, index: map[*keycard.RateOption]int32{}}
	ok := planGroup(jobs, func(j *restrictionJob) error { return s.planRestrictions(ctx, t, j, opts) })
	if len(ok) == 0 {
		return nil
	}
	all := mergeCells(ok, func(j *restrictionJob) *cellValues[optionDay, keycard.Restrictions] { return &j.set },
		func(dst, src *keycard.Restrictions) { dst.Copy(src, src.Set) })
	if err := writeOptionDays(ctx, t, opts.ids, all.cells, all.values); err != nil {
		return err
	}
	return finishARIGroup(ctx, s, t, ok, keycard.TaskRestrictions, func(prop string, yield func(ariCell) bool) {
		for _, c := range all.cells {
			rp := opts.plans[c.option]
			if rp.PropertyID == prop && !yield(ariCell{roomTypeID: rp.RoomTypeID, ratePlanID: rp.ID, day: c.day}) {
				return
			}
		}
	}, func(j *restrictionJob) error { return s.restrictionWebhooks(ctx, t, j, opts) })
}

// planRestrictions checks job j's changes and works out its cells.
func (s *Store) planRestrictions(ctx context.Context, t *tx, j *restrictionJob, opts *rateOptions) error {
	if err := s.loadProperties(ctx, t, &j.ariJob, func(id string) error { return opts.load(ctx, s, t, id) }); err != nil {
		return err
	}
	j.set = newCellValues[optionDay, keycard.Restrictions](j.days())
	count := 0
	var writes []optionWrite
	used := make([]string, 0, len(j.changes))
	for i, c := range j.changes {
		prop := j.props[c.PropertyID]
		tg, ok := opts.targets[c.RatePlanID]
		var fe keycard.FieldErrors
		switch {
		case prop == nil:
			fe = keycard.FieldErrors{"property_id": {"not found"}}
		case !ok || tg.plan.PropertyID != c.PropertyID:
			fe = keycard.FieldErrors{"rate_plan_id": {"not found"}}
		default:
			writes, fe = restrictionWrites(c, prop, tg, writes[:0], func(o *keycard.RateOption) int32 { return opts.index[o] })
		}
		if len(fe) > 0 {
			j.res.Warnings[i] = fe
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
				j.set.at(optionDay{w.option, d}).Copy(&w.v, w.v.Set)
			}
		}
	}
	j.res.TaskIDs = taskIDs(j.props, used)
	return nil
}

// writeOptionDays writes values to cells (options named by index into
// optionIDs), each only the fields its value sets.
func writeOptionDays(ctx context.Context, t *tx, optionIDs []string, cells []optionDay, values []keycard.Restrictions) error {
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
	return nil
}

// restrictionWebhooks queues the webhook deliveries of what job j wrote.
func (s *Store) restrictionWebhooks(ctx context.Context, t *tx, j *restrictionJob, opts *rateOptions) error {
	for _, prop := range slices.Sorted(maps.Keys(j.props)) {
		err := s.queueARIWebhooks(ctx, t, prop, j.p.UserID, func(yield func(ariChange) bool) {
			for i, c := range j.set.cells {
				rp := opts.plans[c.option]
				if rp.PropertyID != prop {
					continue
				}
				if !yield(restrictionChange(rp, opts.opts[c.option], c.day, &j.set.values[i])) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
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
