package store

import (
	"context"
	"fmt"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// owned describes a table of rows that belong to a property (through
// their property_id column), for the CRUD that hotel policies, taxes, tax
// sets and photos share: every read goes through the principal's reach,
// every write through requireProperty.
type owned[T any] struct {
	name    string // for messages: "hotel policy"
	table   string // "hotel_policies"
	alias   string // "hp"
	columns string // the columns scan reads, with the alias
	fields  map[string]column
	order   string // the default order of lists
	scan    func(scanner) (T, error)
	// ident returns a row's id and property id.
	ident func(T) (id, propertyID string)
	// values returns the writable columns (updated_at among them) and
	// their values, in the same order.
	values func(T) (string, []any)
	// check, when set, checks what keycard's rules cannot see from the row
	// alone (that what it names is its property's), in the transaction
	// that writes it, leaving out the fields in skip (they are wrong
	// already).
	check func(ctx context.Context, t *tx, v T, skip keycard.FieldErrors) error
	// load, when set, fills in what a row holds in other tables.
	load func(ctx context.Context, t *tx, rows []T) error
	// save, when set, writes what a row holds in other tables.
	save func(ctx context.Context, t *tx, v T) error
	// view reports that a property's representation reads the table: a
	// write changes how the property reads (see change).
	view bool
}

// list returns a page of the rows of the properties p reaches, and their
// total.
func (k *owned[T]) list(ctx context.Context, s *Store, p *keycard.Principal, q keycard.ListQuery) ([]T, int, error) {
	where, args, order, err := listSQL(q, k.fields, k.order)
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []T
	var total int
	err = s.read(ctx, func(t *tx) error {
		from := ` FROM ` + k.table + ` ` + k.alias + ` WHERE ` + k.alias + `.property_id IN ` + r + where
		if err := t.QueryRow(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count %s: %w", k.table, err)
		}
		rows, err := t.Query(ctx, `SELECT `+k.columns+from+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list %s: %w", k.table, err)
		}
		defer rows.Close()
		for rows.Next() {
			v, err := k.scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if k.load != nil && len(out) > 0 {
			return k.load(ctx, t, out)
		}
		return nil
	})
	return out, total, err
}

// one returns a row of a property p reaches, in its own transaction.
func (k *owned[T]) one(ctx context.Context, s *Store, p *keycard.Principal, id string) (T, error) {
	var out T
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = k.get(ctx, t, p, id)
		return err
	})
	return out, err
}

// get returns a row of a property p reaches; any other id reads as not
// found.
func (k *owned[T]) get(ctx context.Context, t *tx, p *keycard.Principal, id string) (T, error) {
	var zero T
	if !keycard.ValidID(id) {
		return zero, keycard.NotFound()
	}
	r, args := reach(t.d, p)
	v, err := k.scan(t.QueryRow(ctx, `SELECT `+k.columns+` FROM `+k.table+` `+k.alias+` WHERE `+k.alias+`.id = ? AND `+
		k.alias+`.property_id IN `+r, append([]any{id}, args...)...))
	if err != nil {
		return zero, notFound(err)
	}
	if k.load != nil {
		if err := k.load(ctx, t, []T{v}); err != nil {
			return zero, err
		}
	}
	return v, nil
}

// create makes a row of a property p reaches: start gives the new row its
// id, property, currency (the property's) and times, apply (keycard's
// Apply of the row, bound to the change the request sent) writes the
// change onto it and returns what is wrong with it.
func (k *owned[T]) create(ctx context.Context, s *Store, p *keycard.Principal, propertyID string,
	start func(id, propertyID, currency string, now time.Time) T, apply func(T) keycard.FieldErrors) (T, error) {
	var out T
	err := s.write(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, propertyID, false); err != nil {
			return err
		}
		var currency string
		if err := t.QueryRow(ctx, `SELECT currency FROM properties WHERE id = ?`, propertyID).Scan(&currency); err != nil {
			return fmt.Errorf("store: property currency: %w", err)
		}
		now := s.now()
		v := start(newID(), propertyID, currency, now)
		if err := k.judge(ctx, t, v, apply); err != nil {
			return err
		}
		id, _ := k.ident(v)
		cols, vals := k.values(v)
		if k.view {
			t.changed(changeView)
		}
		if _, err := t.Exec(ctx, `INSERT INTO `+k.table+` (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{id, propertyID, micros(now)}, vals...)...); err != nil {
			return fmt.Errorf("store: create %s: %w", k.name, err)
		}
		if k.save != nil {
			if err := k.save(ctx, t, v); err != nil {
				return err
			}
		}
		var err error
		out, err = k.get(ctx, t, p, id)
		return err
	})
	return out, err
}

// update loads a row p reaches, lets apply (as for create) write the
// change onto it (stamping now, its update time, first), checks and saves
// it, in one transaction.
func (k *owned[T]) update(ctx context.Context, s *Store, p *keycard.Principal, id string, stamp func(T, time.Time),
	apply func(T) keycard.FieldErrors) (T, error) {
	var out T
	err := s.write(ctx, func(t *tx) error {
		v, err := k.get(ctx, t, p, id)
		if err != nil {
			return err
		}
		stamp(v, s.now())
		if err := k.judge(ctx, t, v, apply); err != nil {
			return err
		}
		cols, vals := k.values(v)
		if k.view {
			t.changed(changeView)
		}
		if _, err := t.Exec(ctx, `UPDATE `+k.table+` SET `+setList(cols)+` WHERE id = ?`, append(vals, id)...); err != nil {
			return fmt.Errorf("store: update %s: %w", k.name, err)
		}
		if k.save != nil {
			if err := k.save(ctx, t, v); err != nil {
				return err
			}
		}
		out, err = k.get(ctx, t, p, id)
		return err
	})
	return out, err
}

// judge applies a change to v and runs the table's own check, returning
// one validation error that names every wrong field, or nil.
func (k *owned[T]) judge(ctx context.Context, t *tx, v T, apply func(T) keycard.FieldErrors) error {
	fe := apply(v)
	if k.check == nil {
		return fe.Err()
	}
	return fe.Merge(k.check(ctx, t, v, fe))
}

// remove deletes a row p reaches, after running unlink (statements taking
// the id) to clear what points to it.
func (k *owned[T]) remove(ctx context.Context, s *Store, p *keycard.Principal, id string, unlink ...string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := k.get(ctx, t, p, id); err != nil {
			return err
		}
		if k.view || len(unlink) > 0 { // unlinking writes properties
			t.changed(changeView)
		}
		for _, q := range append(unlink, `DELETE FROM `+k.table+` WHERE id = ?`) {
			if _, err := t.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("store: delete %s: %w", k.name, err)
			}
		}
		return nil
	})
}
