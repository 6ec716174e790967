package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// column describes a field a list may be filtered or ordered by.
type column struct {
	expr string
	kind columnKind
	// noOrder marks a field that can be filtered but not ordered by.
	noOrder bool
	// in, when set, selects rows by a subquery rather than by expr's
	// value: a filter takes eq and not, with in's %s standing for the
	// values, and cannot order (a property's group_id: a property is in
	// several groups).
	in string
	// refuse, when set, says why a scalar attribute the resource has can be
	// neither filtered nor ordered by (it is kept inside a JSON document,
	// or is money in each row's own currency): the list answers 400
	// rather than ignoring it and handing back what the caller asked to
	// leave out.
	refuse string
}

type columnKind int

const (
	kindText columnKind = iota
	kindBool
	kindTime // stored as Unix microseconds; filtered by date or timestamp
	kindDate // stored as days from 1970-01-01; filtered by date
	kindInt
)

// Reasons a list gives for a field it refuses (see column.refuse).
const (
	refuseDocument = "it is kept inside the resource's JSON document, not in a column a list can use"
	refuseMoney    = "it is money in each item's own currency; filter by currency and read the amounts"
	refuseComputed = "it is computed when the item is read"
	refuseSame     = "it is the same for every item"
)

// lookupField finds name in fields. inserted_at is Channex's name for
// created_at on most resources: a list with created_at takes it too.
func lookupField(fields map[string]column, name string) (column, bool) {
	if c, ok := fields[name]; ok {
		return c, true
	}
	if name == "inserted_at" {
		c, ok := fields["created_at"]
		return c, ok
	}
	return column{}, false
}

// listSQL turns a list query's filters and order into SQL for the given
// fields. A parameter naming no field is left out and recorded in
// q.Ignored, as Channex ignores it; a bad value, an operator the field
// cannot take, or a field the list refuses is a 400 naming it.
func listSQL(q keycard.ListQuery, fields map[string]column, defaultOrder string) (where string, args []any, orderBy string, err error) {
	var conds []string
	for _, f := range q.Filters {
		c, ok := lookupField(fields, f.Field)
		if !ok {
			q.Ignored.Add(f.Param())
			continue
		}
		if c.refuse != "" {
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s] is not supported here: %s", f.Field, c.refuse)
		}
		vals := make([]any, 0, len(f.Values))
		for _, v := range f.Values {
			x, err := c.value(v)
			if err != nil {
				return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s]: %v", f.Field, err)
			}
			vals = append(vals, x)
		}
		switch {
		case c.in != "" && (f.Op == keycard.OpEq || f.Op == keycard.OpNot):
			not := ""
			if f.Op == keycard.OpNot {
				not = "NOT "
			}
			conds = append(conds, c.expr+" "+not+"IN ("+fmt.Sprintf(c.in, placeholders(len(vals)))+")")
		case c.in != "":
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s] takes a list of values (eq or not), not %s", f.Field, f.Op)
		case f.Op == keycard.OpEq:
			conds = append(conds, c.expr+" IN ("+placeholders(len(vals))+")")
		case f.Op == keycard.OpNot:
			conds = append(conds, c.expr+" NOT IN ("+placeholders(len(vals))+")")
		default:
			if len(vals) != 1 {
				return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s][%s] takes one value", f.Field, f.Op)
			}
			op := map[string]string{keycard.OpGt: ">", keycard.OpGte: ">=", keycard.OpLt: "<", keycard.OpLte: "<="}[f.Op]
			conds = append(conds, c.expr+" "+op+" ?")
		}
		args = append(args, vals...)
	}
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	var order []string
	for _, o := range q.Order {
		c, ok := lookupField(fields, o.Field)
		switch {
		case !ok:
			q.Ignored.Add(o.Param())
			continue
		case c.refuse != "":
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "order[%s] is not supported here: %s", o.Field, c.refuse)
		case c.noOrder || c.in != "":
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "order[%s] is not supported here: filter by it instead", o.Field)
		}
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		order = append(order, c.expr+dir)
	}
	order = append(order, defaultOrder)
	return where, args, " ORDER BY " + strings.Join(order, ", "), nil
}

func (c column) value(v string) (any, error) {
	switch c.kind {
	case kindBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errorString("must be true or false")
		}
		return b, nil
	case kindInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errorString("must be a whole number")
		}
		return n, nil
	case kindDate:
		d, ok := keycard.ParseDate(v)
		if !ok {
			return nil, errorString("must be a date (YYYY-MM-DD)")
		}
		return int64(d), nil
	case kindTime:
		for _, layout := range []string{"2006-01-02T15:04:05.999999", "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return micros(t), nil
			}
		}
		return nil, errorString("must be a date (YYYY-MM-DD) or a timestamp (YYYY-MM-DDTHH:MM:SS)")
	}
	return v, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// page appends LIMIT and OFFSET.
func page(q keycard.ListQuery) string {
	return " LIMIT " + strconv.Itoa(q.Limit) + " OFFSET " + strconv.Itoa(q.Offset())
}

// pageTotal returns the total of a list when its page of n items under q
// tells it: a page short of the limit ends the list, and so does an empty
// first page. A list's page is read before its count, so that a poll of a
// short list (a PMS's feed, mostly empty) needs no count.
func pageTotal(q keycard.ListQuery, n int) (int, bool) {
	if n > 0 && n < q.Limit || n == 0 && q.Offset() == 0 {
		return q.Offset() + n, true
	}
	return 0, false
}
