package store

import (
	"context"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

// PropertiesHealth returns, for a page of the properties p reaches (q as
// for ListProperties), whether each has room types, rate plans, and
// availability and rates written for the next keycard.HealthDays days of
// its time zone, and the total.
func (s *Store) PropertiesHealth(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.PropertyHealth, int, error) {
	props, total, err := s.ListProperties(ctx, p, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*keycard.PropertyHealth, 0, len(props))
	err = s.read(ctx, func(t *tx) error {
		for _, prop := range props {
			from := keycard.Today(s.now(), prop.Timezone)
			h := &keycard.PropertyHealth{PropertyID: prop.ID, Title: prop.Title, From: from, To: from + keycard.HealthDays - 1}
			if err := propertyHealth(ctx, t, h); err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	return out, total, err
}

func propertyHealth(ctx context.Context, t *tx, h *keycard.PropertyHealth) error {
	rows, err := t.Query(ctx, `SELECT (SELECT COUNT(*) FROM room_type_days d WHERE d.room_type_id = rt.id AND d.day >= ? AND d.day <= ?)
		FROM room_types rt WHERE rt.property_id = ?`, int64(h.From), int64(h.To), h.PropertyID)
	if err != nil {
		return fmt.Errorf("store: health of room types: %w", err)
	}
	h.AvailabilityDays = keycard.HealthDays
	for rows.Next() {
		var days int
		if err := rows.Scan(&days); err != nil {
			rows.Close()
			return err
		}
		h.RoomTypes++
		h.AvailabilityDays = min(h.AvailabilityDays, days)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// A manual plan's primary option (whose id is the plan's) has a rate
	// every day when its default is above 0, else on the days one was
	// written; a derived plan follows its parent.
	rows, err = t.Query(ctx, `SELECT rp.rate_mode, o.rate, (SELECT COUNT(*) FROM rate_option_days d WHERE d.rate_option_id = o.id
			AND d.day >= ? AND d.day <= ? AND d.rate > 0)
		FROM rate_plans rp JOIN rate_plan_options o ON o.id = rp.id WHERE rp.property_id = ?`, int64(h.From), int64(h.To), h.PropertyID)
	if err != nil {
		return fmt.Errorf("store: health of rate plans: %w", err)
	}
	defer rows.Close()
	h.RateDays = keycard.HealthDays
	for rows.Next() {
		var mode string
		var rate int64
		var days int
		if err := rows.Scan(&mode, &rate, &days); err != nil {
			return err
		}
		h.RatePlans++
		if mode == keycard.RateDerived {
			continue
		}
		if rate <= 0 {
			h.RateDays = min(h.RateDays, days)
		}
	}
	if h.RoomTypes == 0 {
		h.AvailabilityDays = 0
	}
	if h.RatePlans == 0 {
		h.RateDays = 0
	}
	return rows.Err()
}
