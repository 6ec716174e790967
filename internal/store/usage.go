package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// usageColumns are api_key_usage's count columns, in the order of the
// keycard.Usage classes.
const usageColumns = `ok, client_error, denied, throttled, server_error`

// recordUsage adds a key's hourly counts in t. A key that does not exist
// (a test's made-up id) adds nothing.
func recordUsage(ctx context.Context, t *tx, keyID string, hours map[int64]keycard.UsageCounts) error {
	for _, h := range slices.Sorted(maps.Keys(hours)) {
		c := hours[h]
		if c.Total() == 0 {
			continue
		}
		if _, err := t.Exec(ctx, `INSERT INTO api_key_usage (api_key_id, hour, `+usageColumns+`)
			SELECT id, ?, ?, ?, ?, ?, ? FROM api_keys WHERE id = ?
			ON CONFLICT (api_key_id, hour) DO UPDATE SET ok = api_key_usage.ok + excluded.ok,
				client_error = api_key_usage.client_error + excluded.client_error, denied = api_key_usage.denied + excluded.denied,
				throttled = api_key_usage.throttled + excluded.throttled, server_error = api_key_usage.server_error + excluded.server_error`,
			h, c[keycard.UsageOK], c[keycard.UsageClientError], c[keycard.UsageDenied], c[keycard.UsageThrottled], c[keycard.UsageServerError],
			keyID); err != nil {
			return fmt.Errorf("store: record key usage: %w", err)
		}
	}
	return nil
}

// KeyUsage returns the usage of a key p may manage over r, every period of
// it present.
func (s *Store) KeyUsage(ctx context.Context, p *keycard.Principal, id string, r keycard.UsageRange) ([]keycard.KeyUsage, error) {
	var out []keycard.KeyUsage
	err := s.read(ctx, func(t *tx) error {
		if _, err := s.apiKey(ctx, t, p, id); err != nil {
			return err
		}
		hours, err := usageHours(ctx, t, []string{id}, r.From, r.To)
		if err != nil {
			return err
		}
		out = r.Buckets(hours[id])
		return nil
	})
	return out, err
}

// KeysUsage returns the usage of keys, by day, over the days since from
// up to now: for the Organisation page, whose keys p was shown (only the
// keys p may manage are read).
func (s *Store) KeysUsage(ctx context.Context, p *keycard.Principal, ids []string, days int) (map[string][]keycard.KeyUsage, error) {
	r := keycard.UsageRange{Step: 24 * time.Hour, To: s.now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)}
	r.From = r.To.Add(-time.Duration(days) * 24 * time.Hour)
	out := map[string][]keycard.KeyUsage{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.read(ctx, func(t *tx) error {
		vis, args := keysVisible(p)
		rows, err := t.Query(ctx, `SELECT k.id FROM api_keys k WHERE k.id IN (`+placeholders(len(ids))+`) AND `+vis, append(anys(ids), args...)...)
		if err != nil {
			return fmt.Errorf("store: keys for usage: %w", err)
		}
		var mine []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			mine = append(mine, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(mine) == 0 {
			return err
		}
		hours, err := usageHours(ctx, t, mine, r.From, r.To)
		if err != nil {
			return err
		}
		for _, id := range mine {
			out[id] = r.Buckets(hours[id])
		}
		return nil
	})
	return out, err
}

// usageHours reads the hourly rows of keys in [from, to).
func usageHours(ctx context.Context, t *tx, ids []string, from, to time.Time) (map[string]map[int64]keycard.UsageCounts, error) {
	rows, err := t.Query(ctx, `SELECT api_key_id, hour, `+usageColumns+` FROM api_key_usage
		WHERE api_key_id IN (`+placeholders(len(ids))+`) AND hour >= ? AND hour < ?`, append(anys(ids), micros(from), micros(to))...)
	if err != nil {
		return nil, fmt.Errorf("store: read key usage: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int64]keycard.UsageCounts{}
	for rows.Next() {
		var id string
		var h int64
		var c keycard.UsageCounts
		if err := rows.Scan(&id, &h, &c[0], &c[1], &c[2], &c[3], &c[4]); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[int64]keycard.UsageCounts{}
		}
		out[id][h] = c
	}
	return out, rows.Err()
}

// PurgeKeyUsage deletes the hourly usage rows of hours before before, and
// returns how many.
func (s *Store) PurgeKeyUsage(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `DELETE FROM api_key_usage WHERE hour < ?`, micros(before))
		if err != nil {
			return fmt.Errorf("store: purge key usage: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
