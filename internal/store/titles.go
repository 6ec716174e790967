package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// Ref names a resource by its kind (its API type: "property",
// "room_type", ...) and id.
type Ref struct {
	Kind, ID string
}

// titledTables are the kinds Titles knows, with the table holding their
// titles. Each belongs to a property.
var titledTables = map[string]string{
	"room_type":    "room_types",
	"rate_plan":    "rate_plans",
	"tax_set":      "tax_sets",
	"tax":          "taxes",
	"hotel_policy": "hotel_policies",
	"channel":      "channels",
}

// Titles returns the titles of the resources refs name that p reaches,
// for the relationships of an answer: one query for them all, and none
// for properties in the property cache. The kinds are property, group and
// those of titledTables; a ref of another kind, or one p does not reach,
// has no title in the result.
func (s *Store) Titles(ctx context.Context, p *keycard.Principal, refs []Ref) (map[Ref]string, error) {
	out := make(map[Ref]string, len(refs))
	ids := map[string][]string{} // by kind, each id once
	seen := make(map[Ref]bool, len(refs))
	for _, ref := range refs {
		if !seen[ref] && keycard.ValidID(ref.ID) {
			seen[ref] = true
			ids[ref.Kind] = append(ids[ref.Kind], ref.ID)
		}
	}
	if props := ids["property"]; p.Reach != nil && len(props) > 0 {
		// Only properties in reach are looked for, in the cache first.
		props = slices.DeleteFunc(props, func(id string) bool { return !p.Reach.Has(id) })
		found, missing, _ := s.props.getAll(slices.Values(props))
		for _, prop := range found {
			out[Ref{"property", prop.ID}] = prop.Title
		}
		ids["property"] = missing
	}

	var arms []string
	var args []any
	kinds := make([]string, 0, len(ids))
	for kind := range ids {
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds) // one statement per set of kinds, for the statement cache
	for _, kind := range kinds {
		list := ids[kind]
		if len(list) == 0 {
			continue
		}
		var arm string
		var reachArgs []any
		switch table, ok := titledTables[kind]; {
		case kind == "property":
			var r string
			r, reachArgs = reach(s.dialect, p)
			arm = `SELECT 'property', x.id, x.title FROM properties x WHERE x.id IN ` + s.dialect.idList() + ` AND x.id IN ` + r
		case kind == "group":
			var r string
			r, reachArgs = groupReach(s.dialect, p)
			arm = `SELECT 'group', x.id, x.title FROM groups x WHERE x.id IN ` + s.dialect.idList() + ` AND x.id IN ` + r
		case ok:
			var r string
			r, reachArgs = reach(s.dialect, p)
			arm = `SELECT '` + kind + `', x.id, x.title FROM ` + table + ` x WHERE x.id IN ` + s.dialect.idList() + ` AND x.property_id IN ` + r
		default:
			continue
		}
		arms = append(arms, arm)
		args = append(append(args, keycard.NewReach(list).JSON()), reachArgs...)
	}
	if len(arms) == 0 {
		return out, nil
	}
	err := s.readConn(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, strings.Join(arms, ` UNION ALL `), args...)
		if err != nil {
			return fmt.Errorf("store: titles: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ref Ref
			var title string
			if err := rows.Scan(&ref.Kind, &ref.ID, &title); err != nil {
				return fmt.Errorf("store: titles: %w", err)
			}
			out[ref] = title
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
