package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// ApplyAvailability writes room type availability: each change in order,
// a later one overriding an earlier one on the same date. A change that
// cannot apply (unknown or out-of-reach property or room type, bad dates)
// is left out with its reasons in the result's Warnings; the others are
// applied together, in one transaction.
//
// Calls made at the same time (with PostgreSQL, those to the same one
// property) are written together, in the order they queued, as if one
// after the other (see writeARI).
func (s *Store) ApplyAvailability(ctx context.Context, p *keycard.Principal, changes []*keycard.AvailabilityChange) (*keycard.ARIResult, error) {
	j := &availabilityJob{ariJob: newARIJob(p, len(changes)), changes: changes}
	for i, c := range changes {
		j.entries[i] = ariEntry{c.PropertyID, c.RoomTypeID, c.Dates}
	}
	return writeARI(ctx, s, &s.availabilityGroups, j, s.writeAvailability)
}

// availabilityJob is one ApplyAvailability call.
type availabilityJob struct {
	ariJob
	changes []*keycard.AvailabilityChange
	set     cellValues[roomDay, int32] // what it writes
}

// roomDay is a room type (an index into roomTypes) on a date.
type roomDay struct {
	rt  int32
	day keycard.Date
}

// roomTypes indexes the room types of the properties that a group of
// availability jobs writes to.
type roomTypes struct {
	loaded map[string]bool // property ids
	index  map[string]int32
	ids    []string // room type ids, by index
	props  []string // each room type's property
}

// load indexes the room types of property id, once.
func (r *roomTypes) load(ctx context.Context, t *tx, id string) error {
	if r.loaded[id] {
		return nil
	}
	rows, err := t.Query(ctx, `SELECT id FROM room_types WHERE property_id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: ari room types: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rt string
		if err := rows.Scan(&rt); err != nil {
			return err
		}
		r.index[rt] = int32(len(r.ids))
		r.ids, r.props = append(r.ids, rt), append(r.props, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.loaded[id] = true
	return nil
}

// order returns the indexes of cells in order of room type id and date.
func (r *roomTypes) order(cells []roomDay) []int {
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(r.ids[cells[a].rt], r.ids[cells[b].rt]), cmp.Compare(cells[a].day, cells[b].day))
	})
	return order
}

// writeAvailability writes a group of availability jobs as
// writeRestrictions does restriction jobs.
func (s *Store) writeAvailability(ctx context.Context, t *tx, jobs []*availabilityJob) error {
	rts := &roomTypes{loaded: map[string]bool{}, index: map[string]int32{}}
	ok := planGroup(jobs, func(j *availabilityJob) error { return s.planAvailability(ctx, t, j, rts) })
	if len(ok) == 0 {
		return nil
	}
	all := mergeCells(ok, func(j *availabilityJob) *cellValues[roomDay, int32] { return &j.set },
		func(dst, src *int32) { *dst = *src })
	cells, values := all.cells, all.values
	order := rts.order(cells)
	pending, err := updateRuns(ctx, t, "room_type_days", "room_type_id", []string{"availability"}, order,
		func(c int) (string, keycard.Date) { return rts.ids[cells[c].rt], cells[c].day },
		func(a, b int) bool { return values[a] == values[b] },
		func(c int, args []any) []any { return append(args, int64(values[c])) })
	if err != nil {
		return fmt.Errorf("store: write availability: %w", err)
	}
	err = upsert(ctx, t, "room_type_days", []string{"room_type_id", "day"}, []string{"availability"}, len(pending),
		func(i int, args []any) []any {
			c := pending[i]
			return append(args, rts.ids[cells[c].rt], int64(cells[c].day), int64(values[c]))
		})
	if err != nil {
		return fmt.Errorf("store: write availability: %w", err)
	}
	return finishARIGroup(ctx, s, t, ok, keycard.TaskAvailability, func(prop string, yield func(ariCell) bool) {
		for _, c := range cells {
			if rts.props[c.rt] == prop && !yield(ariCell{roomTypeID: rts.ids[c.rt], day: c.day}) {
				return
			}
		}
	}, func(j *availabilityJob) error { return s.availabilityWebhooks(ctx, t, j, rts) })
}

// planAvailability checks job j's changes and works out its cells.
func (s *Store) planAvailability(ctx context.Context, t *tx, j *availabilityJob, rts *roomTypes) error {
	if err := s.loadProperties(ctx, t, &j.ariJob, func(id string) error { return rts.load(ctx, t, id) }); err != nil {
		return err
	}
	j.set = newCellValues[roomDay, int32](j.days())
	count := 0
	used := make([]string, 0, len(j.changes))
	for i, c := range j.changes {
		fe := keycard.FieldErrors{}
		prop := j.props[c.PropertyID]
		rt, ok := rts.index[c.RoomTypeID]
		switch {
		case prop == nil:
			fe.Add("property_id", "not found")
		case !ok || rts.props[rt] != c.PropertyID:
			fe.Add("room_type_id", "not found")
		default:
			fe = c.Dates.CheckWindow(prop.today)
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
			if count++; count > MaxARICells {
				return tooManyCells()
			}
			*j.set.at(roomDay{rt, d}) = c.Availability
		}
	}
	j.res.TaskIDs = taskIDs(j.props, used)
	return nil
}

// availabilityWebhooks queues the webhook deliveries of what job j
// wrote, in order of room type and date.
func (s *Store) availabilityWebhooks(ctx context.Context, t *tx, j *availabilityJob, rts *roomTypes) error {
	var order []int // sorted when a webhook hears the changes
	for _, prop := range slices.Sorted(maps.Keys(j.props)) {
		err := s.queueARIWebhooks(ctx, t, prop, j.p.UserID, func(yield func(ariChange) bool) {
			if order == nil {
				order = rts.order(j.set.cells)
			}
			for _, c := range order {
				rt := j.set.cells[c].rt
				if rts.props[rt] != prop {
					continue
				}
				ch := ariChange{roomTypeID: rts.ids[rt], day: j.set.cells[c].day, fields: availabilityFields,
					values: map[string]any{keycard.ARIFieldAvailability: j.set.values[c]}}
				if !yield(ch) {
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

func tooManyCells() error {
	return keycard.Errorf(keycard.ETooLarge, "the values cover more than %d dates of rate plan options or room types; send them in several requests", MaxARICells)
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
