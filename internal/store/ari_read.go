package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

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
		plans, err := s.propertyRatePlans(ctx, t, q.PropertyID)
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
				od.Availability[i] = keycard.Sellable(a, &days[i], od.Booked[i])
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
	return keycard.DeriveAll(plans, own), nil
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
