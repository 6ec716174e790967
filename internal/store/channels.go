package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/keycard/keycard/internal/keycard"
)

const channelColumns = `c.id, c.group_id, c.property_id, c.channel, c.title, c.currency, c.endpoint, c.hotel_code, c.api_key_sealed,
	c.settings, c.is_active, c.expected_removal_date, c.user_id, c.api_key_id, c.last_push_at, c.last_error, c.last_error_at,
	c.created_at, c.updated_at`

var channelFields = map[string]column{
	"id":          {expr: "c.id"},
	"property_id": {expr: "c.property_id"},
	"group_id":    {expr: "c.group_id"},
	"channel":     {expr: "c.channel"},
	"title":       {expr: "c.title"},
	"currency":    {expr: "c.currency"},
	"is_active":   {expr: "c.is_active", kind: kindBool},
	"created_at":  {expr: "c.created_at", kind: kindTime},
	"updated_at":  {expr: "c.updated_at", kind: kindTime},
	"room_type_id": {expr: "c.id", in: `SELECT crp.channel_id FROM channel_rate_plans crp JOIN rate_plans rp ON rp.id = crp.rate_plan_id
		WHERE rp.room_type_id IN (%s)`},
	"rate_plan_id": {expr: "c.id", in: `SELECT channel_id FROM channel_rate_plans WHERE rate_plan_id IN (%s)`},
	"settings":     {refuse: refuseDocument},
}

const channelRatePlanColumns = `id, channel_id, rate_plan_id, room_type_code, rate_plan_code, occupancy, settings, sell_mode, max_persons,
	read_only, channel_currency`

func apiKeyContext(channelID string) string { return "channel-api-key:" + channelID }

func (s *Store) scanChannel(row scanner) (*keycard.Channel, error) {
	var c keycard.Channel
	var sealed []byte
	var settings string
	var removal, lastPush, lastErr sql.NullInt64
	var user, key sql.NullString
	var created, updated int64
	if err := row.Scan(&c.ID, &c.GroupID, &c.PropertyID, &c.Adapter, &c.Title, &c.Currency, &c.Endpoint, &c.HotelCode, &sealed,
		&settings, &c.IsActive, &removal, &user, &key, &lastPush, &c.LastError, &lastErr, &created, &updated); err != nil {
		return nil, err
	}
	plain, err := s.open(sealed, apiKeyContext(c.ID))
	if err != nil {
		return nil, fmt.Errorf("store: channel %s api key: %w", c.ID, err)
	}
	c.APIKey = string(plain)
	if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
		return nil, fmt.Errorf("store: channel %s settings: %w", c.ID, err)
	}
	c.ExpectedRemovalDate = keycard.Date(removal.Int64)
	c.UserID, c.APIKeyID = user.String, key.String
	if lastPush.Valid {
		c.LastPushAt = fromMicros(lastPush.Int64)
	}
	if lastErr.Valid {
		c.LastErrorAt = fromMicros(lastErr.Int64)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// loadChannelRatePlans fills in the mappings of chans, in their order.
func loadChannelRatePlans(ctx context.Context, t *tx, chans []*keycard.Channel) error {
	if len(chans) == 0 {
		return nil
	}
	byID := make(map[string]*keycard.Channel, len(chans))
	ids := make([]string, 0, len(chans))
	for _, c := range chans {
		byID[c.ID] = c
		c.RatePlans = []keycard.ChannelRatePlan{}
		ids = append(ids, c.ID)
	}
	rows, err := t.Query(ctx, `SELECT `+channelRatePlanColumns+` FROM channel_rate_plans WHERE channel_id IN (`+placeholders(len(ids))+`)
		ORDER BY channel_id, position, id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: channel rate plans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m keycard.ChannelRatePlan
		var channelID, settings string
		if err := rows.Scan(&m.ID, &channelID, &m.RatePlanID, &m.RoomTypeCode, &m.RatePlanCode, &m.Occupancy, &settings,
			&m.SellMode, &m.MaxPersons, &m.ReadOnly, &m.ChannelCurrency); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(settings), &m.Settings); err != nil {
			return fmt.Errorf("store: channel rate plan %s settings: %w", m.ID, err)
		}
		c := byID[channelID]
		c.RatePlans = append(c.RatePlans, m)
	}
	return rows.Err()
}

// channelSight returns the condition selecting the channels p sees: those
// of the properties p reaches.
func channelSight(d dialect, p *keycard.Principal) (string, []any) {
	r, args := reach(d, p)
	return `c.property_id IN ` + r, args
}

// ListChannels returns a page of the channels p sees, with their
// mappings, and their total.
func (s *Store) ListChannels(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Channel, int, error) {
	where, args, order, err := listSQL(q, channelFields, "c.title ASC, c.id ASC")
	if err != nil {
		return nil, 0, err
	}
	sight, sargs := channelSight(s.dialect, p)
	args = append(sargs, args...)
	var out []*keycard.Channel
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channels c WHERE `+sight+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count channels: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+channelColumns+` FROM channels c WHERE `+sight+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list channels: %w", err)
		}
		if out, err = s.scanChannels(rows); err != nil {
			return err
		}
		return loadChannelRatePlans(ctx, t, out)
	})
	return out, total, err
}

func (s *Store) scanChannels(rows *sql.Rows) ([]*keycard.Channel, error) {
	defer rows.Close()
	var out []*keycard.Channel
	for rows.Next() {
		c, err := s.scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel returns a channel p sees, with its mappings. Its API key is in
// clear: it is for sending to the channel, never for answering.
func (s *Store) Channel(ctx context.Context, p *keycard.Principal, id string) (*keycard.Channel, error) {
	var out *keycard.Channel
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.channel(ctx, t, p, id)
		return err
	})
	return out, err
}

// ChannelByID returns a channel with its mappings, whoever may see it:
// for the pusher, which acts for keycard.
func (s *Store) ChannelByID(ctx context.Context, id string) (*keycard.Channel, error) {
	var out *keycard.Channel
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.loadChannel(ctx, t, id)
		return err
	})
	return out, err
}

// loadChannel loads a channel and its mappings in t, whoever may see it.
func (s *Store) loadChannel(ctx context.Context, t *tx, id string) (*keycard.Channel, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	c, err := s.scanChannel(t.QueryRow(ctx, `SELECT `+channelColumns+` FROM channels c WHERE c.id = ?`, id))
	if err != nil {
		return nil, notFound(err)
	}
	return c, loadChannelRatePlans(ctx, t, []*keycard.Channel{c})
}

func (s *Store) channel(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Channel, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	sight, args := channelSight(s.dialect, p)
	c, err := s.scanChannel(t.QueryRow(ctx, `SELECT `+channelColumns+` FROM channels c WHERE c.id = ? AND `+sight,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return c, loadChannelRatePlans(ctx, t, []*keycard.Channel{c})
}

// changeableChannel returns a channel p sees and may change: p may write
// its property (a read-only key may not).
func (s *Store) changeableChannel(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Channel, error) {
	c, err := s.channel(ctx, t, p, id)
	if err != nil {
		return nil, err
	}
	if err := p.Allow(keycard.Needs(keycard.LevelWrite, keycard.FamilyChannels)); err != nil {
		return nil, err
	}
	return c, nil
}

// ChannelKnownMappings returns the known mappings of a channel p sees:
// the "auto" ones its mappings make, one per pair of channel codes, then
// the "manual" ones resolving its unmapped bookings recorded.
func (s *Store) ChannelKnownMappings(ctx context.Context, p *keycard.Principal, id string) ([]keycard.KnownMapping, error) {
	var out []keycard.KnownMapping
	err := s.read(ctx, func(t *tx) error {
		if _, err := s.channel(ctx, t, p, id); err != nil {
			return err
		}
		rows, err := t.Query(ctx, `SELECT crp.id, crp.room_type_code, crp.rate_plan_code, rp.room_type_id, crp.rate_plan_id
			FROM channel_rate_plans crp JOIN rate_plans rp ON rp.id = crp.rate_plan_id
			WHERE crp.channel_id = ? ORDER BY crp.position, crp.id`, id)
		if err != nil {
			return fmt.Errorf("store: known mappings: %w", err)
		}
		defer rows.Close()
		seen := map[[2]string]bool{}
		for rows.Next() {
			k := keycard.KnownMapping{Type: "auto"}
			if err := rows.Scan(&k.ID, &k.RoomTypeCode, &k.RatePlanCode, &k.RoomTypeID, &k.RatePlanID); err != nil {
				return err
			}
			if seen[[2]string{k.RoomTypeCode, k.RatePlanCode}] {
				continue
			}
			seen[[2]string{k.RoomTypeCode, k.RatePlanCode}] = true
			out = append(out, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// And the "manual" ones resolved unmapped bookings recorded.
		manual, err := knownMappings(ctx, t, id)
		out = append(out, manual...)
		return err
	})
	return out, err
}

// ChannelOption is an item of the channel options list.
type ChannelOption struct{ ID, Title, Adapter string }

// ChannelOptions returns every channel p sees that q selects, by title
// unless q orders them otherwise.
func (s *Store) ChannelOptions(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]ChannelOption, error) {
	where, args, order, err := listSQL(q, channelFields, "c.title ASC, c.id ASC")
	if err != nil {
		return nil, err
	}
	sight, sargs := channelSight(s.dialect, p)
	args = append(sargs, args...)
	var out []ChannelOption
	err = s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT c.id, c.title, c.channel FROM channels c WHERE `+sight+where+order, args...)
		if err != nil {
			return fmt.Errorf("store: channel options: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o ChannelOption
			if err := rows.Scan(&o.ID, &o.Title, &o.Adapter); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// checkChannel holds the rules of a channel that need the database: p may
// write its property; its group is one p sees that holds the property
// (none named: the first such group); its mapped rate plans are rate
// plans of its property, at occupancies they have; its hotel code is not
// connected by another channel. A title left blank is made from the
// adapter and the property's title.
func (s *Store) checkChannel(ctx context.Context, t *tx, p *keycard.Principal, c *keycard.Channel) error {
	if err := p.Allow(keycard.Needs(keycard.LevelWrite, keycard.FamilyChannels)); err != nil {
		return err
	}
	if err := requireProperty(ctx, t, p, c.PropertyID, false); err != nil {
		return err
	}
	gr, gargs := groupReach(t.d, p)
	if c.GroupID == "" {
		err := t.QueryRow(ctx, `SELECT gp.group_id FROM group_properties gp JOIN groups g ON g.id = gp.group_id
			WHERE gp.property_id = ? AND gp.group_id IN `+gr+` ORDER BY g.is_default DESC, g.created_at, g.id LIMIT 1`,
			append([]any{c.PropertyID}, gargs...)...).Scan(&c.GroupID)
		if err == sql.ErrNoRows {
			return keycard.Invalid("group_id", "can't be blank: the property is in no group you can see")
		} else if err != nil {
			return fmt.Errorf("store: channel group: %w", err)
		}
	} else {
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM groups WHERE id = ? AND id IN `+gr, append([]any{c.GroupID}, gargs...)...).Scan(&n); err != nil {
			return fmt.Errorf("store: channel group: %w", err)
		}
		if n == 0 {
			return keycard.Invalid("group_id", "is not a group you can see")
		}
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM group_properties WHERE group_id = ? AND property_id = ?`, c.GroupID, c.PropertyID).Scan(&n); err != nil {
			return fmt.Errorf("store: channel group: %w", err)
		}
		if n == 0 {
			return keycard.Invalid("group_id", "does not hold the channel's property")
		}
	}
	var propTitle string
	if err := t.QueryRow(ctx, `SELECT title FROM properties WHERE id = ?`, c.PropertyID).Scan(&propTitle); err != nil {
		return fmt.Errorf("store: channel property: %w", err)
	}
	if c.Title == "" {
		c.Title = "Open Channel " + propTitle
		if len(c.Title) > 255 {
			c.Title = c.Title[:255]
		}
	}
	errs := keycard.FieldErrors{}
	if len(c.RatePlans) > 0 {
		ids := make([]string, 0, len(c.RatePlans))
		for _, m := range c.RatePlans {
			ids = append(ids, m.RatePlanID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		rows, err := t.Query(ctx, `SELECT rp.id, o.occupancy FROM rate_plans rp JOIN rate_plan_options o ON o.rate_plan_id = rp.id
			WHERE rp.property_id = ? AND rp.id IN (`+placeholders(len(ids))+`)`, append([]any{c.PropertyID}, anys(ids)...)...)
		if err != nil {
			return fmt.Errorf("store: channel rate plans: %w", err)
		}
		occ := map[string][]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			occ[id] = append(occ[id], n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, m := range c.RatePlans {
			field := "rate_plans." + strconv.Itoa(i)
			switch o, ok := occ[m.RatePlanID]; {
			case !ok:
				errs.Add(field+".rate_plan_id", "is not a rate plan of the channel's property")
			case !slices.Contains(o, m.Occupancy):
				errs.Add(field+".settings.occupancy", "is not an occupancy option of the rate plan")
			}
		}
	}
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM channels WHERE channel = ? AND endpoint = ? AND hotel_code = ? AND id <> ?`,
		c.Adapter, c.Endpoint, c.HotelCode, c.ID).Scan(&n); err != nil {
		return fmt.Errorf("store: channel hotel code: %w", err)
	}
	if n > 0 {
		errs.Add("settings.hotel_code", "is already connected by another channel at this endpoint")
	}
	return errs.Err()
}

func (s *Store) channelValues(c *keycard.Channel) (string, []any, error) {
	if c.Settings == nil {
		c.Settings = map[string]json.RawMessage{}
	}
	settings, err := json.Marshal(c.Settings)
	if err != nil {
		return "", nil, fmt.Errorf("store: channel settings: %w", err)
	}
	sealed, err := s.seal([]byte(c.APIKey), apiKeyContext(c.ID))
	if err != nil {
		return "", nil, err
	}
	var removal any
	if c.ExpectedRemovalDate != 0 {
		removal = int64(c.ExpectedRemovalDate)
	}
	return `group_id, property_id, channel, title, currency, endpoint, hotel_code, api_key_sealed, settings, is_active,
		expected_removal_date, updated_at`,
		[]any{c.GroupID, c.PropertyID, c.Adapter, c.Title, c.Currency, c.Endpoint, c.HotelCode, sealed, string(settings), c.IsActive,
			removal, micros(c.UpdatedAt)}, nil
}

// saveChannelRatePlans replaces the mappings of c with c.RatePlans,
// keeping the id of a mapping that stays the same.
func saveChannelRatePlans(ctx context.Context, t *tx, c *keycard.Channel, before []keycard.ChannelRatePlan) error {
	ids := map[string]string{}
	for _, m := range before {
		ids[mappingKey(m)] = m.ID
	}
	if _, err := t.Exec(ctx, `DELETE FROM channel_rate_plans WHERE channel_id = ?`, c.ID); err != nil {
		return fmt.Errorf("store: clear channel rate plans: %w", err)
	}
	for i := range c.RatePlans {
		m := &c.RatePlans[i]
		if m.ID = ids[mappingKey(*m)]; m.ID == "" {
			m.ID = newID()
		}
		if m.SellMode == "" {
			m.SellMode = keycard.ChannelPerRoom
		}
		if m.Settings == nil {
			m.Settings = map[string]json.RawMessage{}
		}
		settings, err := json.Marshal(m.Settings)
		if err != nil {
			return fmt.Errorf("store: channel rate plan settings: %w", err)
		}
		if _, err := t.Exec(ctx, `INSERT INTO channel_rate_plans (`+channelRatePlanColumns+`, position) VALUES (`+placeholders(12)+`)`,
			m.ID, c.ID, m.RatePlanID, m.RoomTypeCode, m.RatePlanCode, m.Occupancy, string(settings), m.SellMode, m.MaxPersons,
			m.ReadOnly, m.ChannelCurrency, i); err != nil {
			return fmt.Errorf("store: save channel rate plan: %w", err)
		}
	}
	return nil
}

func mappingKey(m keycard.ChannelRatePlan) string {
	return m.RatePlanID + "\x00" + m.RoomTypeCode + "\x00" + m.RatePlanCode + "\x00" + strconv.Itoa(m.Occupancy)
}

// CreateChannel creates a channel, always inactive, made by p, from c,
// which Apply judged. md, when set, is the channel's mapping_details as
// it answered just now: the mappings take the channel's description of
// its plans from it, and must name plans it has.
func (s *Store) CreateChannel(ctx context.Context, p *keycard.Principal, c *keycard.Channel, md *keycard.MappingDetails) (*keycard.Channel, error) {
	if err := c.Validate(nil); err != nil {
		return nil, err
	}
	if md != nil {
		if err := c.Snapshot(md).Err(); err != nil {
			return nil, err
		}
	}
	now := s.now()
	c.ID, c.UserID, c.APIKeyID, c.CreatedAt, c.UpdatedAt = newID(), p.UserID, p.APIKeyID, now, now
	c.IsActive, c.ExpectedRemovalDate = false, 0
	var out *keycard.Channel
	err := s.writeProperties(ctx, p, []string{c.PropertyID}, func(t *tx) error {
		if err := s.checkChannel(ctx, t, p, c); err != nil {
			return err
		}
		cols, vals, err := s.channelValues(c)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `INSERT INTO channels (id, user_id, api_key_id, created_at, `+cols+`) VALUES (?, ?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{c.ID, nullString(c.UserID), nullString(c.APIKeyID), micros(now)}, vals...)...); err != nil {
			return fmt.Errorf("store: create channel: %w", err)
		}
		if err := saveChannelRatePlans(ctx, t, c, nil); err != nil {
			return err
		}
		key, err := t.issueInboundKey(ctx, c.ID)
		if err != nil {
			return err
		}
		if out, err = s.channel(ctx, t, p, c.ID); err != nil {
			return err
		}
		out.InboundAPIKey = key
		if err := s.channelHappened(ctx, t, p, out, keycard.AuditChannelCreated, nil); err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// UpdateChannel loads a channel p may change, applies ch to it by
// keycard's rules (decodeErrs is what went wrong decoding it) and saves
// it, in one transaction. md is as for CreateChannel. An active channel
// that changes is synced in full.
func (s *Store) UpdateChannel(ctx context.Context, p *keycard.Principal, id string, ch *keycard.ChannelChange, decodeErrs keycard.FieldErrors, md *keycard.MappingDetails) (*keycard.Channel, error) {
	var out *keycard.Channel
	err := s.write(ctx, func(t *tx) error {
		c, err := s.changeableChannel(ctx, t, p, id)
		if err != nil {
			return err
		}
		before := *c
		before.RatePlans = slices.Clone(c.RatePlans)
		if ch.Adapter == nil {
			decodeErrs = decodeErrs.Clone()
			if decodeErrs == nil {
				decodeErrs = keycard.FieldErrors{}
			}
			decodeErrs.Add("channel", "can't be blank")
		}
		if err := c.Apply(ch, decodeErrs.Clone()).Err(); err != nil {
			return err
		}
		if md != nil && ch.RatePlansSent {
			if err := c.Snapshot(md).Err(); err != nil {
				return err
			}
		}
		if err := s.checkChannel(ctx, t, p, c); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		cols, vals, err := s.channelValues(c)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `UPDATE channels SET `+setList(cols)+` WHERE id = ?`, append(vals, c.ID)...); err != nil {
			return fmt.Errorf("store: update channel: %w", err)
		}
		if ch.RatePlansSent {
			if err := saveChannelRatePlans(ctx, t, c, before.RatePlans); err != nil {
				return err
			}
		}
		if out, err = s.channel(ctx, t, p, id); err != nil {
			return err
		}
		changed := channelChanges(&before, out)
		if len(changed) == 0 {
			return nil
		}
		if err := s.channelHappened(ctx, t, p, out, keycard.AuditChannelChanged, map[string]any{"changed": changed}); err != nil {
			return err
		}
		if out.IsActive {
			return s.channelFullSync(ctx, t, out.ID)
		}
		return nil
	})
	return out, err
}

// channelChanges names the attributes that differ between a and b, for
// the audit log and the channel's events (never the API key's value).
func channelChanges(a, b *keycard.Channel) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("title", a.Title != b.Title)
	add("group_id", a.GroupID != b.GroupID)
	add("properties", a.PropertyID != b.PropertyID)
	add("currency", a.Currency != b.Currency)
	add("settings.endpoint", a.Endpoint != b.Endpoint)
	add("settings.hotel_code", a.HotelCode != b.HotelCode)
	add("settings.api_key", a.APIKey != b.APIKey)
	add("settings", !maps.EqualFunc(a.Settings, b.Settings, func(x, y json.RawMessage) bool { return string(x) == string(y) }))
	add("rate_plans", !slices.EqualFunc(a.RatePlans, b.RatePlans, func(x, y keycard.ChannelRatePlan) bool {
		return mappingKey(x) == mappingKey(y) && x.SellMode == y.SellMode && x.MaxPersons == y.MaxPersons && x.ReadOnly == y.ReadOnly &&
			maps.EqualFunc(x.Settings, y.Settings, func(x, y json.RawMessage) bool { return string(x) == string(y) })
	}))
	return out
}
