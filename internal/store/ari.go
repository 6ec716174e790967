package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
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
// maxBatchArgs arguments (SQLite allows 32766, PostgreSQL 65535). On
// PostgreSQL, batches of 16,000 rows (64,000 arguments) and COPY into a
// temporary table then INSERT ... SELECT were measured no faster than
// 1,000 rows (200,000 rows of rate_option_days in 2.7-3.9s each way):
// the server's work per row, much of it the foreign key check, is
// what costs.
const (
	maxBatchRows = 1000
	maxBatchArgs = 30000
)

// errUnfinished is the outcome of a job in a group write that stopped
// before the job's turn.
var errUnfinished = errors.New("store: the write stopped before this change")

// ariJob is what every ARI write has: its caller, what each of its
// changes names (for its tasks), its answer, its outcome, and the
// properties it writes to.
type ariJob struct {
	p       *keycard.Principal
	entries []ariEntry
	res     *keycard.ARIResult
	err     error
	props   map[string]*ariProperty
}

// newARIJob is an ARI write of n changes by p, not yet run; its entries
// are to be filled in.
func newARIJob(p *keycard.Principal, n int) ariJob {
	return ariJob{p: p, entries: make([]ariEntry, n), res: &keycard.ARIResult{Warnings: make([]keycard.FieldErrors, n)}, err: errUnfinished}
}

func (j *ariJob) base() *ariJob { return j }

// propertyIDs returns the property id of each of j's changes.
func (j *ariJob) propertyIDs() []string {
	ids := make([]string, len(j.entries))
	for i, e := range j.entries {
		ids[i] = e.propertyID
	}
	return ids
}

// days returns how many dates j's changes span in all.
func (j *ariJob) days() int {
	n := 0
	for _, e := range j.entries {
		n += int(max(0, e.dates.To-e.dates.From+1))
	}
	return n
}

// loadProperties sets j's properties, those of its changes' that j's
// caller reaches, and calls load with each (once per group, load's own
// business).
func (s *Store) loadProperties(ctx context.Context, t *tx, j *ariJob, load func(id string) error) error {
	props, err := s.ariProperties(ctx, t, j.p, j.propertyIDs())
	if err != nil {
		return err
	}
	j.props = props
	for id := range props {
		if err := load(id); err != nil {
			return err
		}
	}
	return nil
}

// finishARIGroup ends the write of a group of ARI jobs of kind typ, ok
// being those whose checks passed, once their cells are written: the
// property's channels hear of the group's cells (cells yields those of
// one property), once each; each job's webhook deliveries are queued, with
// its own values; and the jobs' tasks are recorded together.
func finishARIGroup[J interface{ base() *ariJob }](ctx context.Context, s *Store, t *tx, ok []J, typ string,
	cells func(prop string, yield func(ariCell) bool), webhooks func(J) error) error {
	for _, prop := range groupProperties(ok) {
		if err := s.markChannelARI(ctx, t, prop, func(yield func(ariCell) bool) { cells(prop, yield) }); err != nil {
			return err
		}
	}
	var tasks []*keycard.Task
	for _, j := range ok {
		if err := webhooks(j); err != nil {
			return err
		}
		b := j.base()
		tasks = append(tasks, ariTasks(b.p, typ, b.props, b.entries, b.res.Warnings)...)
	}
	return s.insertTasks(ctx, t, tasks)
}

// cellValues is what an ARI write sets: cells (a room type, or a rate
// plan option, on a date), each once, in the order first set, with their
// values.
type cellValues[C comparable, V any] struct {
	index  map[C]int
	cells  []C
	values []V
}

// newCellValues returns an empty cellValues with room for about hint
// cells.
func newCellValues[C comparable, V any](hint int) cellValues[C, V] {
	hint = min(hint, 1<<16)
	return cellValues[C, V]{index: make(map[C]int, hint), cells: make([]C, 0, hint), values: make([]V, 0, hint)}
}

// at returns cell c's value, added as the zero value if c is new.
func (s *cellValues[C, V]) at(c C) *V {
	k, ok := s.index[c]
	if !ok {
		k = len(s.cells)
		s.index[c] = k
		var zero V
		s.cells, s.values = append(s.cells, c), append(s.values, zero)
	}
	return &s.values[k]
}

// mergeCells returns the cells the jobs set (set gives a job's), each
// later job's values merged into the earlier ones' with merge. One job's
// are returned as they are.
func mergeCells[J any, C comparable, V any](jobs []J, set func(J) *cellValues[C, V], merge func(dst, src *V)) *cellValues[C, V] {
	if len(jobs) == 1 {
		return set(jobs[0])
	}
	out := newCellValues[C, V](len(set(jobs[0]).cells))
	for _, j := range jobs {
		s := set(j)
		for i, c := range s.cells {
			merge(out.at(c), &s.values[i])
		}
	}
	return &out
}

// planGroup checks each of a group's jobs with plan, which works out its
// cells, gives each job its outcome, and returns those that passed.
func planGroup[J interface{ base() *ariJob }](jobs []J, plan func(J) error) []J {
	var ok []J
	for _, j := range jobs {
		b := j.base()
		if b.err = plan(j); b.err == nil {
			ok = append(ok, j)
		}
	}
	return ok
}

// groupProperties returns the properties that the jobs write to, in
// order.
func groupProperties[J interface{ base() *ariJob }](jobs []J) []string {
	seen := map[string]bool{}
	for _, j := range jobs {
		for id := range j.base().props {
			seen[id] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// writeARI runs an ARI write job with write, which gives each job it is
// given its outcome (nil, or why that job alone failed) and returns an
// error only when the transaction must fail. The job goes in a group (see
// group) with the jobs made at the same time: with SQLite, whose writes
// run one at a time, any; with PostgreSQL, where writes to different
// properties run at once, those to the same one property. A job's
// failure leaves the others of its group be. With PostgreSQL a job that
// writes to several properties has a transaction of its own, and its
// failure rolls it back.
func writeARI[J interface{ base() *ariJob }](ctx context.Context, s *Store, gs *groups[J], job J,
	write func(context.Context, *tx, []J) error) (*keycard.ARIResult, error) {
	b := job.base()
	key := ""
	if s.dialect.name() == "postgres" {
		ids := turnIDs(b.p, b.propertyIDs())
		if len(ids) != 1 {
			err := s.writeProperties(ctx, b.p, ids, func(t *tx) error {
				if err := write(ctx, t, []J{job}); err != nil {
					return err
				}
				return b.err
			})
			if err != nil {
				return nil, err
			}
			return b.res, nil
		}
		key = ids[0]
	}
	err := gs.do(ctx, key, job, func(gather func() []J) {
		// The group's transaction is not any one caller's: a caller that
		// leaves must not take the others' writes with it.
		gctx := context.WithoutCancel(ctx)
		var jobs []J
		err := s.writeProperties(gctx, b.p, b.propertyIDs(), func(t *tx) error {
			jobs = gather()
			return write(gctx, t, jobs)
		})
		if jobs == nil {
			b.err = err
			return
		}
		for _, j := range jobs {
			if jb := j.base(); err != nil && (jb.err == nil || jb.err == errUnfinished) {
				jb.err = err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.res, nil
}

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
		if keycard.ValidID(id) && !seen[id] && (p.Reach == nil || p.Reach.Has(id)) {
			seen[id] = true
			valid = append(valid, id)
		}
	}
	out := map[string]*ariProperty{}
	cond, rargs := reachCond(s.dialect, p, "id")
	now := s.now()
	for chunk := range slices.Chunk(valid, 500) {
		rows, err := t.Query(ctx, `SELECT id, timezone, settings FROM properties WHERE id IN (`+placeholders(len(chunk))+`)`+cond,
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
	found := slices.Collect(maps.Keys(out))
	if err := lockProperties(ctx, t, found); err != nil {
		return nil, err
	}
	t.touch(dataARI, found...)
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

// minUpdateRun is the shortest run of days that updateRuns writes with a
// range UPDATE rather than row by row.
const minUpdateRun = 4

// updateRuns writes, with one UPDATE each, the runs of rows (given in
// order of id and day) that name consecutive days of one id with the same
// values, when the rows exist already: a PMS sends ranges, and updating a
// range of a table keyed by (id, day) costs SQLite far less than
// upserting its rows one by one. It returns the rows it did not write,
// in order, for upsert: short runs, and runs whose days were not all
// there. of gives a row's id and day, same whether two rows set the same
// values, and set appends a row's values (for cols) to args.
func updateRuns(ctx context.Context, t *tx, table, idCol string, cols []string, rows []int,
	of func(int) (string, keycard.Date), same func(a, b int) bool, set func(int, []any) []any) ([]int, error) {
	rest := rows[:0:0]
	var args []any
	stmt := `UPDATE ` + table + ` SET ` + strings.Join(cols, " = ?, ") + ` = ? WHERE ` + idCol + ` = ? AND day >= ? AND day <= ?`
	for start := 0; start < len(rows); {
		id, from := of(rows[start])
		end := start + 1
		for end < len(rows) {
			next, day := of(rows[end])
			if next != id || day != from+keycard.Date(end-start) || !same(rows[start], rows[end]) {
				break
			}
			end++
		}
		run := rows[start:end]
		start = end
		if len(run) < minUpdateRun {
			rest = append(rest, run...)
			continue
		}
		args = append(set(run[0], args[:0]), id, int64(from), int64(from)+int64(len(run)-1))
		res, err := t.Exec(ctx, stmt, args...)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(run)) {
			rest = append(rest, run...) // some days are new: upsert writes them all
		}
	}
	return rest, nil
}
