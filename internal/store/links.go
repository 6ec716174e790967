package store

import (
	"context"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

// nullID returns id, or NULL for "".
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// checkPropertyLinks checks that a property's hotel_policy_id and
// default_tax_set_id name a hotel policy and a tax set of the property.
func checkPropertyLinks(ctx context.Context, t *tx, prop *keycard.Property) error {
	fe := keycard.FieldErrors{}
	for _, l := range []struct{ field, table, id string }{
		{"hotel_policy_id", "hotel_policies", prop.HotelPolicyID},
		{"default_tax_set_id", "tax_sets", prop.DefaultTaxSetID},
	} {
		if l.id == "" {
			continue
		}
		if !keycard.ValidID(l.id) {
			fe.Add(l.field, "is not a valid id")
			continue
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM `+l.table+` WHERE id = ? AND property_id = ?`, l.id, prop.ID).Scan(&n); err != nil {
			return fmt.Errorf("store: check %s: %w", l.field, err)
		}
		if n == 0 {
			fe.Add(l.field, "is not one of the property's")
		}
	}
	return fe.Err()
}
