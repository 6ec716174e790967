package store

import "testing"

// TestChangesPropertyView checks which statements drop the property
// cache: those that modify a table a property is read from, whatever
// their case and spacing, and no others.
func TestChangesPropertyView(t *testing.T) {
	for q, want := range map[string]bool{
		`UPDATE properties SET title = ? WHERE id = ?`:                                                          true,
		"\n\t\tupdate properties SET hotel_policy_id = NULL WHERE hotel_policy_id = ?":                          true,
		`INSERT INTO photos (id) VALUES (?)`:                                                                    true,
		`INSERT INTO group_properties(group_id, property_id) VALUES (?, ?)`:                                     true,
		`DELETE FROM groups WHERE id = ?`:                                                                       true,
		`DELETE FROM hotel_policies WHERE id = ?`:                                                               true,
		`DELETE FROM tax_sets WHERE id = ?`:                                                                     true,
		`UPDATE organizations SET subscription_status = ?`:                                                      true,
		`UPDATE api_keys SET last_used_at = ? WHERE id = ?`:                                                     false,
		`INSERT INTO api_key_properties (api_key_id, property_id) VALUES (?, ?)`:                                false,
		`UPDATE booking_feed_counts SET unacked = unacked + 1 WHERE property_id IN (SELECT id FROM properties)`: false,
		`INSERT INTO restrictions (rate_option_id, day) VALUES (?, ?)`:                                          false,
		`SELECT id FROM properties`:                                                                             false,
		`UPDATE`:                                                                                                false,
	} {
		if got := changesPropertyView(q); got != want {
			t.Errorf("changesPropertyView(%q) = %t, want %t", q, got, want)
		}
	}
}
