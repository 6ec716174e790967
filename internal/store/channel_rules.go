package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

const channelRuleColumns = `r.id, r.property_id, r.title, r.type, r.value, r.start_date, r.end_date, r.days, r.created_at, r.updated_at`

var channelRuleFields = map[string]column{
	"id":           {expr: "r.id"},
	"property_id":  {expr: "r.property_id"},
	"title":        {expr: "r.title"},
	"type":         {expr: "r.type"},
	"value":        {expr: "r.value", kind: kindInt},
	"start_date":   {expr: "r.start_date", kind: kindDate},
	"end_date":     {expr: "r.end_date", kind: kindDate},
	"created_at":   {expr: "r.created_at", kind: kindTime},
	"updated_at":   {expr: "r.updated_at", kind: kindTime},
	"channel_id":   {expr: "r.id", in: `SELECT rule_id FROM channel_availability_rule_channels WHERE channel_id IN (%s)`},
	"room_type_id": {expr: "r.id", in: `SELECT rule_id FROM channel_availability_rule_room_types WHERE room_type_id IN (%s)`},
}

func scanChannelRule(row scanner) (*keycard.ChannelAvailabilityRule, error) {
	var r keycard.ChannelAvailabilityRule
	var end sql.NullInt64
	var days, start int64
	var created, updated int64
	if err := row.Scan(&r.ID, &r.PropertyID, &r.Title, &r.Type, &r.Value, &start, &end, &days, &created, &updated); err != nil {
		return nil, err
	}
	r.StartDate, r.EndDate, r.Days = keycard.Date(start), keycard.Date(end.Int64), keycard.Weekdays(days)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

// loadRuleLinks fills in the channels and room types of rules.
func loadRuleLinks(ctx context.Context, t *tx, rules []*keycard.ChannelAvailabilityRule) error {
	if len(rules) == 0 {
		return nil
	}
	byID := map[string]*keycard.ChannelAvailabilityRule{}
	ids := make([]string, 0, len(rules))
	for _, r := range rules {
		byID[r.ID] = r
		r.ChannelIDs, r.RoomTypeIDs = []string{}, []string{}
		ids = append(ids, r.ID)
	}
	for _, q := range []struct {
		sql string
		dst func(*keycard.ChannelAvailabilityRule) *[]string
	}{
		{`SELECT rule_id, channel_id FROM channel_availability_rule_channels WHERE rule_id IN (%s) ORDER BY channel_id`,
			func(r *keycard.ChannelAvailabilityRule) *[]string { return &r.ChannelIDs }},
		{`SELECT rule_id, room_type_id FROM channel_availability_rule_room_types WHERE rule_id IN (%s) ORDER BY room_type_id`,
			func(r *keycard.ChannelAvailabilityRule) *[]string { return &r.RoomTypeIDs }},
	} {
		rows, err := t.Query(ctx, fmt.Sprintf(q.sql, placeholders(len(ids))), anys(ids)...)
		if err != nil {
			return fmt.Errorf("store: channel rule links: %w", err)
		}
		for rows.Next() {
			var rule, id string
			if err := rows.Scan(&rule, &id); err != nil {
				rows.Close()
				return err
			}
			d := q.dst(byID[rule])
			*d = append(*d, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ListChannelRules returns a page of the channel availability rules p
// sees (those of the properties p reaches), newest first, and their total.
func (s *Store) ListChannelRules(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.ChannelAvailabilityRule, int, error) {
	where, args, order, err := listSQL(q, channelRuleFields, "r.created_at DESC, r.id DESC")
	if err != nil {
		return nil, 0, err
	}
	rc, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.ChannelAvailabilityRule
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channel_availability_rules r WHERE r.property_id IN `+rc+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count channel rules: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+channelRuleColumns+` FROM channel_availability_rules r WHERE r.property_id IN `+rc+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list channel rules: %w", err)
		}
		for rows.Next() {
			r, err := scanChannelRule(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return loadRuleLinks(ctx, t, out)
	})
	return out, total, err
}

// ChannelRule returns a channel availability rule p sees.
func (s *Store) ChannelRule(ctx context.Context, p *keycard.Principal, id string) (*keycard.ChannelAvailabilityRule, error) {
	var out *keycard.ChannelAvailabilityRule
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.channelRule(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) channelRule(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.ChannelAvailabilityRule, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	rc, args := reach(t.d, p)
	r, err := scanChannelRule(t.QueryRow(ctx, `SELECT `+channelRuleColumns+` FROM channel_availability_rules r WHERE r.id = ? AND r.property_id IN `+rc,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return r, loadRuleLinks(ctx, t, []*keycard.ChannelAvailabilityRule{r})
}

// checkChannelRule holds the rules of a rule that need the database: p
// may write its property, and its channels and room types are the
// property's.
func checkChannelRule(ctx context.Context, t *tx, p *keycard.Principal, r *keycard.ChannelAvailabilityRule) error {
	if p.ReadOnly {
		return keycard.Errorf(keycard.EForbidden, "a read-only API key cannot change channel availability rules")
	}
	if err := requireProperty(ctx, t, p, r.PropertyID, false); err != nil {
		return err
	}
	errs := keycard.FieldErrors{}
	for _, c := range []struct {
		field, table string
		ids          []string
	}{
		{"affected_channels", "channels", r.ChannelIDs}, {"affected_room_types", "room_types", r.RoomTypeIDs}} {
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM `+c.table+` WHERE property_id = ? AND id IN (`+placeholders(len(c.ids))+`)`,
			append([]any{r.PropertyID}, anys(c.ids)...)...).Scan(&n); err != nil {
			return fmt.Errorf("store: channel rule %s: %w", c.field, err)
		}
		if n != len(c.ids) {
			errs.Add(c.field, "must name only "+c.table+" of the rule's property")
		}
	}
	return errs.Err()
}

func saveRuleLinks(ctx context.Context, t *tx, r *keycard.ChannelAvailabilityRule) error {
	for _, q := range []string{`DELETE FROM channel_availability_rule_channels WHERE rule_id = ?`,
		`DELETE FROM channel_availability_rule_room_types WHERE rule_id = ?`} {
		if _, err := t.Exec(ctx, q, r.ID); err != nil {
			return fmt.Errorf("store: channel rule links: %w", err)
		}
	}
	for _, id := range r.ChannelIDs {
		if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rule_channels (rule_id, channel_id) VALUES (?, ?)`, r.ID, id); err != nil {
			return fmt.Errorf("store: channel rule links: %w", err)
		}
	}
	for _, id := range r.RoomTypeIDs {
		if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rule_room_types (rule_id, room_type_id) VALUES (?, ?)`, r.ID, id); err != nil {
			return fmt.Errorf("store: channel rule links: %w", err)
		}
	}
	return nil
}

func ruleEnd(r *keycard.ChannelAvailabilityRule) any {
	if r.EndDate == 0 {
		return nil
	}
	return int64(r.EndDate)
}

// CreateChannelRule creates a channel availability rule, judged by
// Apply, and queues the cells it changes for the channels it affects.
func (s *Store) CreateChannelRule(ctx context.Context, p *keycard.Principal, r *keycard.ChannelAvailabilityRule) (*keycard.ChannelAvailabilityRule, error) {
	if err := r.Validate(nil); err != nil {
		return nil, err
	}
	now := s.now()
	r.ID, r.CreatedAt, r.UpdatedAt = newID(), now, now
	var out *keycard.ChannelAvailabilityRule
	err := s.writeProperties(ctx, p, []string{r.PropertyID}, func(t *tx) error {
		if err := checkChannelRule(ctx, t, p, r); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `INSERT INTO channel_availability_rules (id, property_id, title, type, value, start_date, end_date, days,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.PropertyID, r.Title, r.Type, r.Value, int64(r.StartDate),
			ruleEnd(r), int64(r.Days), micros(now), micros(now)); err != nil {
			return fmt.Errorf("store: create channel rule: %w", err)
		}
		if err := saveRuleLinks(ctx, t, r); err != nil {
			return err
		}
		var err error
		if out, err = s.channelRule(ctx, t, p, r.ID); err != nil {
			return err
		}
		if err := s.auditRule(ctx, t, p, out, keycard.AuditChannelRuleCreated); err != nil {
			return err
		}
		return s.channelRuleChanged(ctx, t, nil, out)
	})
	return out, err
}

// UpdateChannelRule applies c to a rule p sees and may change, and
// queues the cells the rule covered or covers now.
func (s *Store) UpdateChannelRule(ctx context.Context, p *keycard.Principal, id string, c *keycard.ChannelRuleChange, decodeErrs keycard.FieldErrors) (*keycard.ChannelAvailabilityRule, error) {
	var out *keycard.ChannelAvailabilityRule
	err := s.write(ctx, func(t *tx) error {
		r, err := s.channelRule(ctx, t, p, id)
		if err != nil {
			return err
		}
		before := *r
		before.ChannelIDs, before.RoomTypeIDs = slices.Clone(r.ChannelIDs), slices.Clone(r.RoomTypeIDs)
		if err := r.Apply(c, decodeErrs.Clone()).Err(); err != nil {
			return err
		}
		if err := checkChannelRule(ctx, t, p, r); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		if _, err := t.Exec(ctx, `UPDATE channel_availability_rules SET title = ?, type = ?, value = ?, start_date = ?, end_date = ?, days = ?,
			updated_at = ? WHERE id = ?`, r.Title, r.Type, r.Value, int64(r.StartDate), ruleEnd(r), int64(r.Days), micros(r.UpdatedAt), r.ID); err != nil {
			return fmt.Errorf("store: update channel rule: %w", err)
		}
		if err := saveRuleLinks(ctx, t, r); err != nil {
			return err
		}
		if out, err = s.channelRule(ctx, t, p, id); err != nil {
			return err
		}
		if err := s.auditRule(ctx, t, p, out, keycard.AuditChannelRuleChanged); err != nil {
			return err
		}
		return s.channelRuleChanged(ctx, t, &before, out)
	})
	return out, err
}

// DeleteChannelRule deletes a rule p sees and may change, and queues the
// cells it covered.
func (s *Store) DeleteChannelRule(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		r, err := s.channelRule(ctx, t, p, id)
		if err != nil {
			return err
		}
		if p.ReadOnly {
			return keycard.Errorf(keycard.EForbidden, "a read-only API key cannot change channel availability rules")
		}
		if err := s.channelRuleChanged(ctx, t, r, nil); err != nil {
			return err
		}
		if err := s.auditRule(ctx, t, p, r, keycard.AuditChannelRuleDeleted); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM channel_availability_rules WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete channel rule: %w", err)
		}
		return nil
	})
}

func (s *Store) auditRule(ctx context.Context, t *tx, p *keycard.Principal, r *keycard.ChannelAvailabilityRule, event string) error {
	var propOrg string
	if err := t.QueryRow(ctx, `SELECT organization_id FROM properties WHERE id = ?`, r.PropertyID).Scan(&propOrg); err != nil {
		return fmt.Errorf("store: channel rule audit: %w", err)
	}
	actorType, actorID := keycard.ActorUser, p.UserID
	if p.ViaAPIKey() {
		actorType, actorID = keycard.ActorAPIKey, p.APIKeyID
	}
	return s.insertAudit(ctx, t, auditEntry{orgID: propOrg, event: event, keyID: p.APIKeyID, userID: p.UserID, actorType: actorType,
		actorID: actorID, details: map[string]any{"rule_id": r.ID, "title": r.Title, "property_id": r.PropertyID}})
}
