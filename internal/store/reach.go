package store

import (
	"context"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

// userReachSQL selects the ids of the properties a user reaches: those of
// the organisation the user owns, those the user is a property user of, and
// those in groups the user is a group user of.
const userReachSQL = `SELECT p.id FROM properties p JOIN organizations o ON o.id = p.organization_id WHERE o.owner_user_id = ?
	UNION SELECT pu.property_id FROM property_users pu WHERE pu.user_id = ?
	UNION SELECT gp.property_id FROM group_properties gp JOIN group_users gu ON gu.group_id = gp.group_id WHERE gu.user_id = ?`

// reach returns a subquery selecting the ids of the properties p reaches,
// and its arguments: the user's reach, narrowed for a key to its selection
// (when restricted) and to what the properties' organisations let keys
// reach (see keyOrgSQL). It is the only place where scope is decided. It is
// evaluated in the query that uses it, unless p carries its reach, loaded
// with its credential (see loadReach): then the ids are bound as one
// argument, and the authenticator drops them on any change of access, so
// that a change still applies to the very next request.
func reach(d dialect, p *keycard.Principal) (string, []any) {
	if p.Reach != nil {
		return d.idList(), []any{p.Reach.JSON()}
	}
	if !p.ViaAPIKey() {
		return `(` + userReachSQL + `)`, []any{p.UserID, p.UserID, p.UserID}
	}
	q := `(SELECT r.id FROM (` + userReachSQL + `) r`
	args := []any{p.UserID, p.UserID, p.UserID}
	if p.Restricted() {
		q += ` JOIN api_key_properties kp ON kp.property_id = r.id AND kp.api_key_id = ?`
		args = append(args, p.APIKeyID)
	}
	q += ` JOIN properties kr ON kr.id = r.id JOIN organizations ko ON ko.id = kr.organization_id WHERE ` + keyOrgSQL("?", "?")
	args = append(args, p.OrganizationID, p.APIKeyID)
	if p.GateSubscriptions {
		q += ` AND ko.subscription_status = 'active'`
	}
	return q + `)`, args
}

// keyOrgSQL is the condition under which the organisation ko lets a key
// of the organisation keyOrg, whose id is key (both SQL expressions),
// reach its properties: its own keys always; a key from outside (a key of
// a user it invited) unless it refuses such keys or blocked this one.
func keyOrgSQL(keyOrg, key string) string {
	return `(ko.id = ` + keyOrg + ` OR (ko.allow_external_keys = TRUE
		AND NOT EXISTS (SELECT 1 FROM api_key_blocks kb WHERE kb.api_key_id = ` + key + ` AND kb.organization_id = ko.id)))`
}

// ownerSQL selects 1 when the user is an owner of the property: the billing
// owner of its organisation, or an owner through a property user or a
// group user.
const ownerSQL = `SELECT 1 FROM properties p JOIN organizations o ON o.id = p.organization_id WHERE p.id = ? AND o.owner_user_id = ?
	UNION SELECT 1 FROM property_users WHERE property_id = ? AND user_id = ? AND role = 'owner'
	UNION SELECT 1 FROM group_properties gp JOIN group_users gu ON gu.group_id = gp.group_id WHERE gp.property_id = ? AND gu.user_id = ? AND gu.role = 'owner'`

// requireProperty returns nil when p reaches the property, and a not-found
// error otherwise (whether it exists or not). With owner set, p must also
// be an owner of it, else the answer is forbidden.
func requireProperty(ctx context.Context, t *tx, p *keycard.Principal, propertyID string, owner bool) error {
	if !keycard.ValidID(propertyID) {
		return keycard.NotFound()
	}
	if p.Reach != nil && !p.Reach.Has(propertyID) {
		return keycard.NotFound()
	}
	cond, rargs := reachCond(t.d, p, "id")
	var n int
	err := t.QueryRow(ctx, `SELECT COUNT(*) FROM properties WHERE id = ?`+cond, append([]any{propertyID}, rargs...)...).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return keycard.NotFound()
	}
	if !owner {
		return nil
	}
	err = t.QueryRow(ctx, `SELECT COUNT(*) FROM (`+ownerSQL+`) x`, propertyID, p.UserID, propertyID, p.UserID, propertyID, p.UserID).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return keycard.Errorf(keycard.EForbidden, "only an owner of the property can do this")
	}
	return nil
}

// reachCond returns " AND col IN (the properties p reaches)" with its
// arguments, for a query of properties named by id, or nothing when p's
// reach is cached: the caller then keeps only ids it holds. Binding a
// cached reach would have the query parse the whole set (37 KB at 1,000
// properties) to learn no more than that the properties exist.
func reachCond(d dialect, p *keycard.Principal, col string) (string, []any) {
	if p.Reach != nil {
		return "", nil
	}
	r, args := reach(d, p)
	return " AND " + col + " IN " + r, args
}

// groupReach returns a subquery selecting the ids of the groups p sees:
// for a restricted key, the groups holding a property in its reach; for
// anyone else also the groups of the organisation the user owns and the
// groups the user is a group user of.
func groupReach(d dialect, p *keycard.Principal) (string, []any) {
	r, args := reach(d, p)
	q := `SELECT gp.group_id FROM group_properties gp WHERE gp.property_id IN ` + r
	if !p.Restricted() {
		q += ` UNION SELECT g.id FROM groups g JOIN organizations o ON o.id = g.organization_id WHERE o.owner_user_id = ?
			UNION SELECT group_id FROM group_users WHERE user_id = ?`
		args = append(args, p.UserID, p.UserID)
	}
	return `(` + q + `)`, args
}

// requireGroupManager returns nil when p may change the group: it is in p's
// sight, p is not a restricted key, and the user owns the group's
// organisation or is an owner group user of it.
func requireGroupManager(ctx context.Context, t *tx, p *keycard.Principal, groupID string) (orgID string, err error) {
	if !keycard.ValidID(groupID) {
		return "", keycard.NotFound()
	}
	r, args := groupReach(t.d, p)
	var owner, member int
	err = t.QueryRow(ctx, `SELECT g.organization_id,
			(SELECT COUNT(*) FROM organizations o WHERE o.id = g.organization_id AND o.owner_user_id = ?),
			(SELECT COUNT(*) FROM group_users gu WHERE gu.group_id = g.id AND gu.user_id = ? AND gu.role = 'owner')
		FROM groups g WHERE g.id = ? AND g.id IN `+r,
		append([]any{p.UserID, p.UserID, groupID}, args...)...).Scan(&orgID, &owner, &member)
	if err != nil {
		return "", notFound(err)
	}
	if p.Restricted() {
		return "", keycard.Errorf(keycard.EForbidden, "a key restricted to selected properties cannot manage groups")
	}
	if owner == 0 && member == 0 {
		return "", keycard.Errorf(keycard.EForbidden, "only the organisation's billing account owner or a group owner can manage this group")
	}
	return orgID, nil
}

// ReachableProperties returns those of ids that p reaches, each once.
func (s *Store) ReachableProperties(ctx context.Context, p *keycard.Principal, ids []string) ([]string, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range keycard.TrimIDs(ids) {
		if keycard.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	var out []string
	err := s.read(ctx, func(t *tx) error {
		r, args := reach(t.d, p)
		rows, err := t.Query(ctx, `SELECT id FROM properties WHERE id IN (`+placeholders(len(valid))+`) AND id IN `+r, append(anys(valid), args...)...)
		if err != nil {
			return fmt.Errorf("store: reachable properties: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	return out, err
}

// loadReach sets p.Reach to the properties p reaches now, for a credential
// the authenticator caches.
func loadReach(ctx context.Context, t *tx, p *keycard.Principal) error {
	p.Reach = nil
	r, args := reach(t.d, p)
	rows, err := t.Query(ctx, `SELECT id FROM properties WHERE id IN `+r, args...)
	if err != nil {
		return fmt.Errorf("store: load reach: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	p.Reach = keycard.NewReach(ids)
	return nil
}
