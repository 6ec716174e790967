package store

import (
	"context"
	"fmt"
	"time"
)

// OrganizationSummary is an organisation as an operator lists it.
type OrganizationSummary struct {
	ID                 string
	Name               string
	OwnerUserID        string
	OwnerEmail         string
	SubscriptionStatus string
	// Users is how many users the organisation is the home of.
	Users     int
	CreatedAt time.Time
}

// UserSummary is a user as an operator lists it, with the organisation
// the user belongs to.
type UserSummary struct {
	ID                 string
	Email              string
	Name               string
	OrganizationID     string
	OrganizationName   string
	SubscriptionStatus string
	// Owner reports whether the user is the organisation's billing owner.
	Owner     bool
	CreatedAt time.Time
}

// ListOrganizations returns every organisation, oldest first, for the
// operator's command line: it is not scoped to a principal, and no API
// route calls it.
func (s *Store) ListOrganizations(ctx context.Context) ([]*OrganizationSummary, error) {
	var out []*OrganizationSummary
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT o.id, o.name, o.owner_user_id, COALESCE(u.email, ''), o.subscription_status, o.created_at,
			(SELECT COUNT(*) FROM users m WHERE m.organization_id = o.id)
			FROM organizations o LEFT JOIN users u ON u.id = o.owner_user_id
			ORDER BY o.created_at, o.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o OrganizationSummary
			var created int64
			if err := rows.Scan(&o.ID, &o.Name, &o.OwnerUserID, &o.OwnerEmail, &o.SubscriptionStatus, &created, &o.Users); err != nil {
				return err
			}
			o.CreatedAt = fromMicros(created)
			out = append(out, &o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list organisations: %w", err)
	}
	return out, nil
}

// ListUsers returns every user, oldest first, with their organisation,
// for the operator's command line: it is not scoped to a principal, and
// no API route calls it.
func (s *Store) ListUsers(ctx context.Context) ([]*UserSummary, error) {
	var out []*UserSummary
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT u.id, u.email, u.name, u.organization_id, o.name, o.subscription_status,
			CASE WHEN o.owner_user_id = u.id THEN 1 ELSE 0 END, u.created_at
			FROM users u JOIN organizations o ON o.id = u.organization_id
			ORDER BY u.created_at, u.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u UserSummary
			var owner int
			var created int64
			if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.OrganizationID, &u.OrganizationName, &u.SubscriptionStatus, &owner, &created); err != nil {
				return err
			}
			u.Owner, u.CreatedAt = owner == 1, fromMicros(created)
			out = append(out, &u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return out, nil
}
