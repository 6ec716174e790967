package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

var groupFields = map[string]column{
	"id":         {expr: "g.id"},
	"title":      {expr: "g.title"},
	"is_default": {expr: "g.is_default", kind: kindBool},
	"created_at": {expr: "g.created_at", kind: kindTime},
}

// ListGroups returns a page of the groups p sees, each with the properties
// in it that p reaches.
func (s *Store) ListGroups(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Group, int, error) {
	where, args, order, err := listSQL(q, groupFields, "g.title ASC, g.id ASC")
	if err != nil {
		return nil, 0, err
	}
	gr, gargs := groupReach(s.dialect, p)
	args = append(gargs, args...)
	var out []*keycard.Group
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM groups g WHERE g.id IN `+gr+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count groups: %w", err)
		}
		var err error
		out, err = s.groups(ctx, t, p, `g.id IN `+gr+where+order+page(q), args)
		return err
	})
	return out, total, err
}

// Group returns a group p sees.
func (s *Store) Group(ctx context.Context, p *keycard.Principal, id string) (*keycard.Group, error) {
	var out *keycard.Group
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.group(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) group(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Group, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	gr, args := groupReach(s.dialect, p)
	gs, err := s.groups(ctx, t, p, `g.id = ? AND g.id IN `+gr, append([]any{id}, args...))
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, keycard.NotFound()
	}
	return gs[0], nil
}

func (s *Store) groups(ctx context.Context, t *tx, p *keycard.Principal, where string, args []any) ([]*keycard.Group, error) {
	rows, err := t.Query(ctx, `SELECT g.id, g.organization_id, g.title, g.is_default, g.created_at FROM groups g WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer rows.Close()
	var out []*keycard.Group
	byID := map[string]*keycard.Group{}
	for rows.Next() {
		var g keycard.Group
		var created int64
		if err := rows.Scan(&g.ID, &g.OrganizationID, &g.Title, &g.IsDefault, &created); err != nil {
			return nil, err
		}
		g.CreatedAt = fromMicros(created)
		g.Properties = []keycard.PropertyRef{}
		out = append(out, &g)
		byID[g.ID] = &g
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(out))
	for _, g := range out {
		ids = append(ids, g.ID)
	}
	r, rargs := reach(s.dialect, p)
	prows, err := t.Query(ctx, `SELECT gp.group_id, pr.id, pr.title FROM group_properties gp JOIN properties pr ON pr.id = gp.property_id
		WHERE gp.group_id IN (`+placeholders(len(ids))+`) AND pr.id IN `+r+` ORDER BY pr.title, pr.id`, append(anys(ids), rargs...)...)
	if err != nil {
		return nil, fmt.Errorf("store: group properties: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var gid string
		var ref keycard.PropertyRef
		if err := prows.Scan(&gid, &ref.ID, &ref.Title); err != nil {
			return nil, err
		}
		byID[gid].Properties = append(byID[gid].Properties, ref)
	}
	return out, prows.Err()
}

// CreateGroup creates a group in p's organisation; only its billing account
// owner may, and not through a restricted key.
func (s *Store) CreateGroup(ctx context.Context, p *keycard.Principal, title string) (*keycard.Group, error) {
	if p.Restricted() {
		return nil, keycard.Errorf(keycard.EForbidden, "a key restricted to selected properties cannot manage groups")
	}
	if !p.OrganizationOwner {
		return nil, keycard.Errorf(keycard.EForbidden, "only the organisation's billing account owner can create groups")
	}
	title = strings.TrimSpace(title)
	if err := keycard.ValidateGroupTitle(title); err != nil {
		return nil, err
	}
	var out *keycard.Group
	err := s.write(ctx, func(t *tx) error {
		id := newID()
		t.changed(changeView)
		if _, err := t.Exec(ctx, `INSERT INTO groups (id, organization_id, title, is_default, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, p.OrganizationID, title, false, micros(s.now())); err != nil {
			return fmt.Errorf("store: create group: %w", err)
		}
		var err error
		out, err = s.group(ctx, t, p, id)
		return err
	})
	return out, err
}

// UpdateGroup renames a group p may manage.
func (s *Store) UpdateGroup(ctx context.Context, p *keycard.Principal, id, title string) (*keycard.Group, error) {
	title = strings.TrimSpace(title)
	var out *keycard.Group
	err := s.write(ctx, func(t *tx) error {
		if _, err := requireGroupManager(ctx, t, p, id); err != nil {
			return err
		}
		if err := keycard.ValidateGroupTitle(title); err != nil {
			return err
		}
		t.changed(changeView)
		if _, err := t.Exec(ctx, `UPDATE groups SET title = ? WHERE id = ?`, title, id); err != nil {
			return fmt.Errorf("store: update group: %w", err)
		}
		var err error
		out, err = s.group(ctx, t, p, id)
		return err
	})
	return out, err
}

// DeleteGroup deletes an empty, non-default group p may manage.
func (s *Store) DeleteGroup(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		if _, err := requireGroupManager(ctx, t, p, id); err != nil {
			return err
		}
		var isDefault bool
		var n int
		if err := t.QueryRow(ctx, `SELECT g.is_default, (SELECT COUNT(*) FROM group_properties WHERE group_id = g.id) FROM groups g WHERE g.id = ?`, id).Scan(&isDefault, &n); err != nil {
			return err
		}
		if isDefault {
			return keycard.Errorf(keycard.EBadRequest, "The default group can not be removed")
		}
		if n > 0 {
			return keycard.Errorf(keycard.EBadRequest, "Group has properties; remove them from the group first")
		}
		t.changed(changeView)
		if _, err := t.Exec(ctx, `DELETE FROM groups WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete group: %w", err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		return nil
	})
}

// AddPropertyToGroup puts a property into a group of the same organisation.
// The user must be an owner of the property and manage the group (see
// propertyMove). An API key may too, as Channex clients do while setting a
// property up: the move is recorded in the audit log with the key.
func (s *Store) AddPropertyToGroup(ctx context.Context, p *keycard.Principal, groupID, propertyID string) error {
	if err := keycard.CanMoveProperties(p); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		m, err := propertyMove(ctx, t, p, groupID, propertyID)
		if err != nil {
			return err
		}
		if m.propOrg != m.groupOrg {
			return keycard.Invalid("hotel_id", "belongs to another organisation than the group")
		}
		t.changed(changeView)
		_, err = t.Exec(ctx, `INSERT INTO group_properties (group_id, property_id) VALUES (?, ?)`, groupID, propertyID)
		if s.dialect.isUnique(err) {
			return keycard.Invalid("hotel_id", "Only one GroupHotel entity per Group and Hotel pair allowed!")
		}
		if err != nil {
			return fmt.Errorf("store: add property to group: %w", err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		return s.auditPropertyMove(ctx, t, p, keycard.AuditGroupPropertyAdded, m)
	})
}

// RemovePropertyFromGroup takes a property out of a group, unless it is in
// no other group. Who may is as for AddPropertyToGroup.
func (s *Store) RemovePropertyFromGroup(ctx context.Context, p *keycard.Principal, groupID, propertyID string) error {
	if err := keycard.CanMoveProperties(p); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		m, err := propertyMove(ctx, t, p, groupID, propertyID)
		if err != nil {
			return err
		}
		var in, total int
		if err := t.QueryRow(ctx, `SELECT
				(SELECT COUNT(*) FROM group_properties WHERE group_id = ? AND property_id = ?),
				(SELECT COUNT(*) FROM group_properties WHERE property_id = ?)`, groupID, propertyID, propertyID).Scan(&in, &total); err != nil {
			return err
		}
		if in == 0 {
			return keycard.NotFound()
		}
		if total == 1 {
			return keycard.Errorf(keycard.EBadRequest, "A property must belong to at least one group")
		}
		t.changed(changeView)
		if _, err := t.Exec(ctx, `DELETE FROM group_properties WHERE group_id = ? AND property_id = ?`, groupID, propertyID); err != nil {
			return fmt.Errorf("store: remove property from group: %w", err)
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		return s.auditPropertyMove(ctx, t, p, keycard.AuditGroupPropertyRemoved, m)
	})
}

// move is a property and a group that a property is moved into or out of.
type move struct {
	groupID, groupTitle, groupOrg string
	propID, propTitle, propOrg    string
}

// propertyMove returns the property and the group when p may move the
// property into or out of the group: p reaches the property (a key within
// its selection) and its user is an owner of it, and the user manages the
// group (the billing owner of its organisation, or an owner group user of
// it). A key acts with its user's powers: the group is looked for as the
// user sees it, so a restricted key may put its property into a group that
// holds none of its properties yet (which it then sees, as it sees every
// group holding a property it reaches).
func propertyMove(ctx context.Context, t *tx, p *keycard.Principal, groupID, propertyID string) (move, error) {
	m := move{groupID: groupID, propID: propertyID}
	// The property first: one out of the key's reach reads as missing,
	// whatever the group.
	if err := requireProperty(ctx, t, p, propertyID, true); err != nil {
		return m, err
	}
	user := &keycard.Principal{UserID: p.UserID, OrganizationID: p.OrganizationID, OrganizationOwner: p.OrganizationOwner}
	var err error
	if m.groupOrg, err = requireGroupManager(ctx, t, user, groupID); err != nil {
		return m, err
	}
	err = t.QueryRow(ctx, `SELECT g.title, pr.title, pr.organization_id FROM groups g, properties pr WHERE g.id = ? AND pr.id = ?`,
		groupID, propertyID).Scan(&m.groupTitle, &m.propTitle, &m.propOrg)
	return m, notFound(err)
}

// auditPropertyMove records a property put into a group or taken out, in
// the log of the group's organisation and, when p's user belongs to
// another, in the user's too. The titles are kept as they were, so that
// the event still reads after a rename or a deletion.
func (s *Store) auditPropertyMove(ctx context.Context, t *tx, p *keycard.Principal, event string, m move) error {
	actorType, actorID := keycard.ActorUser, p.UserID
	if p.ViaAPIKey() {
		actorType, actorID = keycard.ActorAPIKey, p.APIKeyID
	}
	e := auditEntry{event: event, keyID: p.APIKeyID, userID: p.UserID, actorType: actorType, actorID: actorID,
		details: map[string]any{"group_id": m.groupID, "group_title": m.groupTitle, "property_id": m.propID, "property_title": m.propTitle}}
	orgs := []string{m.groupOrg}
	if p.OrganizationID != "" && p.OrganizationID != m.groupOrg {
		orgs = append(orgs, p.OrganizationID)
	}
	for _, org := range orgs {
		e.orgID = org
		if err := s.insertAudit(ctx, t, e); err != nil {
			return err
		}
	}
	return nil
}
