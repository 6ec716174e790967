package store

import (
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
}

type columnKind int

const (
	kindText columnKind = iota
	kindBool
	kindTime // stored as Unix microseconds; filtered by date or timestamp
	kindDate // stored as days from 1970-01-01; filtered by date
)

// listSQL turns a list query's filters and order into SQL for the given
// fields. Unknown fields and bad values are a 400: silently ignoring a
// filter would hand the caller data it asked to leave out.
func listSQL(q keycard.ListQuery, fields map[string]column, defaultOrder string) (where string, args []any, orderBy string, err error) {
	var conds []string
	for _, f := range q.Filters {
		c, ok := fields[f.Field]
		if !ok {
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s] is not supported here", f.Field)
		}
		vals := make([]any, 0, len(f.Values))
		for _, v := range f.Values {
			x, err := c.value(v)
			if err != nil {
				return "", nil, "", keycard.Errorf(keycard.EBadRequest, "filter[%s]: %v", f.Field, err)
			}
			vals = append(vals, x)
		}
		switch f.Op {
		case keycard.OpEq:
			conds = append(conds, c.expr+" IN ("+placeholders(len(vals))+")")
		case keycard.OpNot:
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
		c, ok := fields[o.Field]
		if !ok || c.noOrder {
			return "", nil, "", keycard.Errorf(keycard.EBadRequest, "order[%s] is not supported here", o.Field)
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
