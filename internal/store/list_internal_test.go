package store

import (
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
)

func TestListSQL(t *testing.T) {
	fields := map[string]column{
		"title":      {expr: "x.title"},
		"count":      {expr: "x.count", kind: kindInt},
		"created_at": {expr: "x.created_at", kind: kindTime},
		"group_id":   {expr: "x.id", in: "SELECT g.x_id FROM g WHERE g.group_id IN (%s)"},
		"amount":     {refuse: refuseMoney},
	}
	for _, tc := range []struct {
		name           string
		filters        []keycard.Filter
		order          []keycard.Order
		where, orderBy string
		ignored        []string
		err            string
	}{
		{name: "inserted_at is created_at", filters: []keycard.Filter{{Field: "inserted_at", Op: keycard.OpGte, Values: []string{"2020-01-01"}}},
			order: []keycard.Order{{Field: "inserted_at", Desc: true}}, where: " AND x.created_at >= ?", orderBy: " ORDER BY x.created_at DESC, x.id"},
		{name: "unknown fields are left out and recorded", filters: []keycard.Filter{{Field: "date_from", Op: keycard.OpEq, Values: []string{"a"}},
			{Field: "title", Op: keycard.OpEq, Values: []string{"a", "b"}}, {Field: "date_to", Op: keycard.OpLte, Values: []string{"b"}}},
			order: []keycard.Order{{Field: "colour"}}, where: " AND x.title IN (?, ?)", orderBy: " ORDER BY x.id",
			ignored: []string{"filter[date_from]", "filter[date_to][lte]", "order[colour]"}},
		{name: "a whole number", filters: []keycard.Filter{{Field: "count", Op: keycard.OpLt, Values: []string{"3"}}}, where: " AND x.count < ?", orderBy: " ORDER BY x.id"},
		{name: "not a whole number", filters: []keycard.Filter{{Field: "count", Op: keycard.OpLt, Values: []string{"3.5"}}}, err: "filter[count]: must be a whole number"},
		{name: "in a subquery", filters: []keycard.Filter{{Field: "group_id", Op: keycard.OpNot, Values: []string{"g1"}}},
			where: " AND x.id NOT IN (SELECT g.x_id FROM g WHERE g.group_id IN (?))", orderBy: " ORDER BY x.id"},
		{name: "a subquery takes no range", filters: []keycard.Filter{{Field: "group_id", Op: keycard.OpGt, Values: []string{"g1"}}}, err: "filter[group_id]"},
		{name: "a subquery orders nothing", order: []keycard.Order{{Field: "group_id"}}, err: "order[group_id]"},
		{name: "refused filter", filters: []keycard.Filter{{Field: "amount", Op: keycard.OpEq, Values: []string{"1"}}}, err: "filter[amount] is not supported here: it is money"},
		{name: "refused order", order: []keycard.Order{{Field: "amount"}}, err: "order[amount] is not supported here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := keycard.ListQuery{Page: 1, Limit: 10, Filters: tc.filters, Order: tc.order, Ignored: &keycard.Ignored{}}
			where, _, orderBy, err := listSQL(q, fields, "x.id")
			if tc.err != "" {
				if keycard.ErrorCode(err) != keycard.EBadRequest || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a bad request with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if where != tc.where || orderBy != tc.orderBy {
				t.Errorf("got %q %q, want %q %q", where, orderBy, tc.where, tc.orderBy)
			}
			if got := strings.Join(q.Ignored.Names(), ","); got != strings.Join(tc.ignored, ",") {
				t.Errorf("ignored %q, want %q", got, tc.ignored)
			}
		})
	}
}
