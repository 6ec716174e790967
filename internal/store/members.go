package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// MemberKind is what a membership grants access to: one property (a
// property user) or every property of a group (a group user).
type MemberKind struct {
	table     string // property_users or group_users
	targetCol string // property_id or group_id
	// targets returns a subquery selecting the targets p sees.
	targets func(d dialect, p *keycard.Principal) (string, []any)
	// manage checks that p may invite to, change or remove from target, and
	// returns the organisation of the target.
	manage func(ctx context.Context, t *tx, p *keycard.Principal, target string) (string, error)
}

// The kinds of membership.
var (
	PropertyUsers = MemberKind{
		table: "property_users", targetCol: "property_id", targets: reach,
		manage: func(ctx context.Context, t *tx, p *keycard.Principal, target string) (string, error) {
			if err := requireProperty(ctx, t, p, target, true); err != nil {
				return "", err
			}
			var org string
			err := t.QueryRow(ctx, `SELECT organization_id FROM properties WHERE id = ?`, target).Scan(&org)
			return org, err
		},
	}
	GroupUsers = MemberKind{
		table: "group_users", targetCol: "group_id", targets: groupReach,
		manage: requireGroupManager,
	}
)

// TargetField is the name of the member's target field: property_id or
// group_id.
func (k MemberKind) TargetField() string { return k.targetCol }

func (k MemberKind) selectSQL() string {
	return `SELECT m.id, m.` + k.targetCol + `, m.user_id, u.email, u.name, m.role, m.overrides, m.created_at
		FROM ` + k.table + ` m JOIN users u ON u.id = m.user_id`
}

func scanMember(row scanner) (*keycard.Membership, error) {
	var m keycard.Membership
	var overrides string
	var created int64
	if err := row.Scan(&m.ID, &m.TargetID, &m.UserID, &m.UserEmail, &m.UserName, &m.Role, &overrides, &created); err != nil {
		return nil, err
	}
	m.Overrides = json.RawMessage(overrides)
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// ListMembers returns a page of the memberships of the targets p sees.
func (s *Store) ListMembers(ctx context.Context, k MemberKind, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Membership, int, error) {
	fields := map[string]column{k.targetCol: {expr: "m." + k.targetCol}, "user_id": {expr: "m.user_id"}, "role": {expr: "m.role"},
		"id": {expr: "m.id"}, "created_at": {expr: "m.created_at", kind: kindTime}}
	where, args, order, err := listSQL(q, fields, "m.created_at ASC, m.id ASC")
	if err != nil {
		return nil, 0, err
	}
	tr, targs := k.targets(s.dialect, p)
	args = append(targs, args...)
	from := ` FROM ` + k.table + ` m WHERE m.` + k.targetCol + ` IN ` + tr + where
	var out []*keycard.Membership
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count %s: %w", k.table, err)
		}
		rows, err := t.Query(ctx, k.selectSQL()+` WHERE m.id IN (SELECT m.id`+from+`)`+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list %s: %w", k.table, err)
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMember(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, total, err
}

// Member returns a membership of a target p sees.
func (s *Store) Member(ctx context.Context, k MemberKind, p *keycard.Principal, id string) (*keycard.Membership, error) {
	var out *keycard.Membership
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.member(ctx, t, k, p, id)
		return err
	})
	return out, err
}

func (s *Store) member(ctx context.Context, t *tx, k MemberKind, p *keycard.Principal, id string) (*keycard.Membership, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	tr, args := k.targets(s.dialect, p)
	m, err := scanMember(t.QueryRow(ctx, k.selectSQL()+` WHERE m.id = ? AND m.`+k.targetCol+` IN `+tr, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return m, nil
}

// Invite gives the user with email a role on target. An unknown email gets
// a new user, without a password, in the target's organisation.
func (s *Store) Invite(ctx context.Context, k MemberKind, p *keycard.Principal, target, email, role string, overrides json.RawMessage) (*keycard.Membership, error) {
	if err := keycard.CanManageAccess(p); err != nil {
		return nil, err
	}
	fe := keycard.FieldErrors{}
	if target == "" {
		fe.Add(k.targetCol, "can't be blank")
	}
	if msg := keycard.ValidateEmail(email); msg != "" {
		fe.Add("user_email", msg)
	}
	if !keycard.ValidRole(role) {
		fe.Add("role", "must be owner or user")
	}
	overrides, msg := normalizeOverrides(overrides)
	if msg != "" {
		fe.Add("overrides", msg)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *keycard.Membership
	err := s.write(ctx, func(t *tx) error {
		org, err := k.manage(ctx, t, p, target)
		if err != nil {
			return err
		}
		var userID string
		err = t.QueryRow(ctx, `SELECT id FROM users WHERE email_key = ?`, keycard.NormalizeEmail(email)).Scan(&userID)
		if err != nil {
			if err := notFound(err); keycard.ErrorCode(err) != keycard.ENotFound {
				return err
			}
			email = strings.TrimSpace(email)
			u := &keycard.User{ID: newID(), Email: email, Name: email[:strings.IndexByte(email, '@')], OrganizationID: org, CreatedAt: s.now()}
			if err := s.insertUser(ctx, t, u, ""); err != nil {
				return err
			}
			userID = u.ID
		}
		id := newID()
		_, err = t.Exec(ctx, `INSERT INTO `+k.table+` (id, `+k.targetCol+`, user_id, role, overrides, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, target, userID, role, string(overrides), micros(s.now()))
		if s.dialect.isUnique(err) {
			return keycard.Errorf(keycard.EBadRequest, "User already invited")
		}
		if err != nil {
			return fmt.Errorf("store: invite: %w", err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		out, err = s.member(ctx, t, k, p, id)
		return err
	})
	return out, err
}

// UpdateMember changes a membership's role and/or overrides (nil leaves
// them as they are).
func (s *Store) UpdateMember(ctx context.Context, k MemberKind, p *keycard.Principal, id string, role *string, overrides json.RawMessage) (*keycard.Membership, error) {
	if err := keycard.CanManageAccess(p); err != nil {
		return nil, err
	}
	fe := keycard.FieldErrors{}
	if role != nil && !keycard.ValidRole(*role) {
		fe.Add("role", "must be owner or user")
	}
	if overrides != nil {
		var msg string
		if overrides, msg = normalizeOverrides(overrides); msg != "" {
			fe.Add("overrides", msg)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *keycard.Membership
	err := s.write(ctx, func(t *tx) error {
		m, err := s.member(ctx, t, k, p, id)
		if err != nil {
			return err
		}
		if _, err := k.manage(ctx, t, p, m.TargetID); err != nil {
			return err
		}
		if role != nil {
			m.Role = *role
		}
		if overrides != nil {
			m.Overrides = overrides
		}
		if _, err := t.Exec(ctx, `UPDATE `+k.table+` SET role = ?, overrides = ? WHERE id = ?`, m.Role, string(m.Overrides), id); err != nil {
			return fmt.Errorf("store: update %s: %w", k.table, err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		out, err = s.member(ctx, t, k, p, id)
		return err
	})
	return out, err
}

// DeleteMember takes a membership away; nobody can remove themself.
func (s *Store) DeleteMember(ctx context.Context, k MemberKind, p *keycard.Principal, id string) error {
	if err := keycard.CanManageAccess(p); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		m, err := s.member(ctx, t, k, p, id)
		if err != nil {
			return err
		}
		if _, err := k.manage(ctx, t, p, m.TargetID); err != nil {
			return err
		}
		if m.UserID == p.UserID {
			return keycard.Errorf(keycard.EBadRequest, "User can not withdraw themself")
		}
		if _, err := t.Exec(ctx, `DELETE FROM `+k.table+` WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete %s: %w", k.table, err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		return nil
	})
}

// normalizeOverrides accepts a JSON object (or nothing, meaning {}).
func normalizeOverrides(raw json.RawMessage) (json.RawMessage, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(`{}`), ""
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, "must be an object"
	}
	out, _ := json.Marshal(obj)
	return out, ""
}
