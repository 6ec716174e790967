package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

// propertyColumns are the columns scanProperty reads, for each dialect:
// the property's own, then its groups and its photos as JSON arrays, so
// that one statement reads a property whole, or a page of them.
var propertyColumns = map[string]string{
	"sqlite":   propertyColumnsFor(sqlite{}),
	"postgres": propertyColumnsFor(postgres{}),
}

// propertyGroups is the JSON array of the groups of property p, for each
// dialect. The properties a query reads are in the principal's reach, so
// it sees every group that holds one of them (see groupReach): no further
// filter is needed.
var propertyGroups = map[string]string{
	"sqlite":   propertyGroupsFor(sqlite{}),
	"postgres": propertyGroupsFor(postgres{}),
}

func propertyGroupsFor(d dialect) string {
	return d.jsonArray([]string{"id", "title"}, []string{"g.id", "g.title"},
		`FROM group_properties gp JOIN groups g ON g.id = gp.group_id WHERE gp.property_id = p.id`, `g.title, g.id`)
}

func propertyColumnsFor(d dialect) string {
	groups := propertyGroupsFor(d)
	photos := d.jsonArray([]string{"id", "url", "description", "author", "kind", "position"},
		[]string{"ph.id", "ph.url", "ph.description", "ph.author", "ph.kind", "ph.position"},
		`FROM photos ph WHERE ph.property_id = p.id AND ph.room_type_id IS NULL`, `ph.position, ph.created_at, ph.id`)
	return propertyOwnColumns + `, ` + groups + `, ` + photos
}

const propertyOwnColumns = `p.id, p.organization_id, p.title, p.currency, p.email, p.phone, p.zip_code, p.country, p.state, p.city,
	p.address, p.longitude, p.latitude, p.timezone, p.property_type, p.logo_url, p.website, p.facilities, p.settings, p.content,
	p.is_active, p.created_at, p.updated_at, p.hotel_policy_id, p.default_tax_set_id`

var propertyFields = map[string]column{
	"id":                 {expr: "p.id"},
	"title":              {expr: "p.title"},
	"is_active":          {expr: "p.is_active", kind: kindBool},
	"currency":           {expr: "p.currency"},
	"country":            {expr: "p.country"},
	"created_at":         {expr: "p.created_at", kind: kindTime},
	"updated_at":         {expr: "p.updated_at", kind: kindTime},
	"group_id":           {expr: "p.id", in: "SELECT gp.property_id FROM group_properties gp WHERE gp.group_id IN (%s)"},
	"email":              {expr: "p.email"},
	"phone":              {expr: "p.phone"},
	"zip_code":           {expr: "p.zip_code"},
	"state":              {expr: "p.state"},
	"city":               {expr: "p.city"},
	"address":            {expr: "p.address"},
	"longitude":          {expr: "p.longitude"},
	"latitude":           {expr: "p.latitude"},
	"timezone":           {expr: "p.timezone"},
	"property_type":      {expr: "p.property_type"},
	"logo_url":           {expr: "p.logo_url"},
	"website":            {expr: "p.website"},
	"hotel_policy_id":    {expr: "p.hotel_policy_id"},
	"default_tax_set_id": {expr: "p.default_tax_set_id"},
	// min_stay_type comes from the settings document; the limits and the
	// channel count are the same for every property.
	"min_stay_type":            {refuse: refuseDocument},
	"max_count_of_occupancies": {refuse: refuseSame},
	"max_count_of_rate_plans":  {refuse: refuseSame},
	"max_count_of_room_types":  {refuse: refuseSame},
	"max_count_of_users":       {refuse: refuseSame},
	"acc_channels_count":       {refuse: refuseSame},
}

type scanner interface{ Scan(dest ...any) error }

// scanProperty scans the propertyColumns of row.
func scanProperty(row scanner) (*keycard.Property, error) {
	var p keycard.Property
	var facilities, settings, content, groups, photos string
	var created, updated int64
	var policy, taxSet sql.NullString
	err := row.Scan(&p.ID, &p.OrganizationID, &p.Title, &p.Currency, &p.Email, &p.Phone, &p.ZipCode, &p.Country, &p.State, &p.City,
		&p.Address, &p.Longitude, &p.Latitude, &p.Timezone, &p.PropertyType, &p.LogoURL, &p.Website, &facilities, &settings, &content,
		&p.IsActive, &created, &updated, &policy, &taxSet, &groups, &photos)
	if err != nil {
		return nil, err
	}
	p.HotelPolicyID, p.DefaultTaxSetID = policy.String, taxSet.String
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return nil, fmt.Errorf("store: property %s settings: %w", p.ID, err)
	}
	if err := unmarshalList(facilities, &p.Facilities); err != nil {
		return nil, fmt.Errorf("store: property %s facilities: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(content), &p.Content); err != nil {
		return nil, fmt.Errorf("store: property %s content: %w", p.ID, err)
	}
	p.Groups, p.Content.Photos = []keycard.GroupRef{}, []keycard.Photo{}
	if err := unmarshalList(groups, &p.Groups); err != nil {
		return nil, fmt.Errorf("store: property %s groups: %w", p.ID, err)
	}
	if err := unmarshalList(photos, &p.Content.Photos); err != nil {
		return nil, fmt.Errorf("store: property %s photos: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// unmarshalList decodes the JSON array s into *v, leaving *v as it is
// when s is empty: most properties have no photos and no facilities, and
// json.Unmarshal costs allocations even for "[]".
func unmarshalList[T any](s string, v *[]T) error {
	if s == "[]" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// ListProperties returns a page of the properties p reaches, and their
// total. The properties may be the property cache's own: the caller reads
// them and must not modify them (Property returns a copy to change).
func (s *Store) ListProperties(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Property, int, error) {
	if p.Reach != nil && len(q.Filters) == 0 && len(q.Order) == 0 && p.Reach.Len() <= maxCachedList {
		return s.listCachedProperties(ctx, p, q)
	}
	where, args, order, err := listSQL(q, propertyFields, "p.title ASC, p.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.Property
	var total int
	err = s.read(ctx, func(t *tx) error {
		// The page's ids are chosen first, so that only its properties
		// are read whole.
		var err error
		out, err = queryProperties(ctx, t, `SELECT `+propertyColumns[t.d.name()]+` FROM (SELECT p.id FROM properties p WHERE p.id IN `+r+where+order+page(q)+
			`) x JOIN properties p ON p.id = x.id`+order, args...)
		if err != nil {
			return err
		}
		// Counting every property in reach costs more than the page, so
		// the total is counted only when nothing else gives it: a short
		// page ends the list, and without filters a cached reach is the
		// list.
		if n, ok := pageTotal(q, len(out)); ok {
			total = n
			return nil
		}
		if p.Reach != nil && where == "" {
			total = p.Reach.Len()
			return nil
		}
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM properties p WHERE p.id IN `+r+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count properties: %w", err)
		}
		return nil
	})
	return out, total, err
}

// queryProperties runs query, which selects propertyColumns, and returns
// the properties it read.
func queryProperties(ctx context.Context, t *tx, query string, args ...any) ([]*keycard.Property, error) {
	rows, err := t.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list properties: %w", err)
	}
	defer rows.Close()
	var out []*keycard.Property
	for rows.Next() {
		prop, err := scanProperty(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, prop)
	}
	return out, rows.Err()
}

// maxCachedList is the largest reach whose unfiltered list is served from
// the property cache, sorted on each request.
const maxCachedList = 1000

// listCachedProperties is ListProperties in the default order without
// filters, for a principal that carries its reach: every property in
// reach comes from the property cache, those missing from it are read in
// one query, and the page is cut from them sorted as the query would
// (title, then id, in byte order: SQLite's BINARY and PostgreSQL's "C").
func (s *Store) listCachedProperties(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Property, int, error) {
	all, missing, gen := s.props.getAll(p.Reach.All())
	if len(missing) > 0 {
		err := s.readConn(ctx, func(t *tx) error {
			read, err := queryProperties(ctx, t, `SELECT `+propertyColumns[t.d.name()]+` FROM properties p WHERE p.id IN `+t.d.idList(),
				keycard.NewReach(missing).JSON())
			for _, prop := range read {
				s.props.put(prop, gen)
			}
			all = append(all, read...)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
	}
	slices.SortFunc(all, func(a, b *keycard.Property) int {
		if c := strings.Compare(a.Title, b.Title); c != 0 { // cmp.Or would compare the ids too
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	from := min(q.Offset(), len(all))
	// The page is not cloned: copying ten 544-byte properties and their
	// lists was a fifth of the request, and more of the GC's work.
	return slices.Clip(all[from:min(from+q.Limit, len(all))]), len(all), nil
}

// PropertyOptions returns every property p reaches, id, title, currency
// and the groups p sees it in only, ordered by title.
func (s *Store) PropertyOptions(ctx context.Context, p *keycard.Principal) ([]*keycard.Property, error) {
	r, args := reach(s.dialect, p)
	var out []*keycard.Property
	err := s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT p.id, p.title, p.currency, `+propertyGroups[t.d.name()]+
			` FROM properties p WHERE p.id IN `+r+` ORDER BY p.title, p.id`, args...)
		if err != nil {
			return fmt.Errorf("store: property options: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var prop keycard.Property
			var groups string
			if err := rows.Scan(&prop.ID, &prop.Title, &prop.Currency, &groups); err != nil {
				return err
			}
			if err := unmarshalList(groups, &prop.Groups); err != nil {
				return fmt.Errorf("store: property %s groups: %w", prop.ID, err)
			}
			out = append(out, &prop)
		}
		return rows.Err()
	})
	return out, err
}

// Property returns a property p reaches. For a principal that carries its
// reach (a cached credential), it comes from the property cache when it
// is there; see propertyCache for when that is dropped.
func (s *Store) Property(ctx context.Context, p *keycard.Principal, id string) (*keycard.Property, error) {
	var gen uint64
	if p.Reach != nil {
		if !p.Reach.Has(id) {
			return nil, keycard.NotFound() // without a query
		}
		var cached *keycard.Property
		if cached, gen = s.props.get(id); cached != nil {
			return cloneProperty(cached), nil
		}
	}
	var prop *keycard.Property
	err := s.readConn(ctx, func(t *tx) error {
		var err error
		prop, err = s.property(ctx, t, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.Reach != nil {
		s.props.put(cloneProperty(prop), gen)
	}
	return prop, nil
}

func (s *Store) property(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.Property, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	var prop *keycard.Property
	var err error
	if p.Reach != nil {
		if !p.Reach.Has(id) {
			return nil, keycard.NotFound()
		}
		prop, err = scanProperty(t.QueryRow(ctx, `SELECT `+propertyColumns[t.d.name()]+` FROM properties p WHERE p.id = ?`, id))
	} else {
		r, args := reach(s.dialect, p)
		prop, err = scanProperty(t.QueryRow(ctx, `SELECT `+propertyColumns[t.d.name()]+` FROM properties p WHERE p.id = ? AND p.id IN `+r, append([]any{id}, args...)...))
	}
	if err != nil {
		return nil, notFound(err)
	}
	return prop, nil
}

// CreateProperty creates a property in p's organisation, in groupID or, when
// that is empty, in the organisation's default group. Only the billing
// account owner may, and not through a restricted key.
func (s *Store) CreateProperty(ctx context.Context, p *keycard.Principal, prop *keycard.Property, groupID string) (*keycard.Property, error) {
	if p.Restricted() {
		return nil, keycard.Errorf(keycard.EForbidden, "a key restricted to selected properties cannot create properties")
	}
	if !p.OrganizationOwner {
		return nil, keycard.Errorf(keycard.EForbidden, "only the organisation's billing account owner can create properties")
	}
	if err := prop.Validate(nil); err != nil {
		return nil, err
	}
	now := s.now()
	prop.ID, prop.OrganizationID, prop.CreatedAt, prop.UpdatedAt = newID(), p.OrganizationID, now, now
	prop.IsActive = true
	var out *keycard.Property
	err := s.write(ctx, func(t *tx) error {
		if groupID == "" {
			if err := t.QueryRow(ctx, `SELECT id FROM groups WHERE organization_id = ? AND is_default = ?`, p.OrganizationID, true).Scan(&groupID); err != nil {
				return fmt.Errorf("store: default group: %w", err)
			}
		} else {
			var n int
			if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM groups WHERE id = ? AND organization_id = ?`, groupID, p.OrganizationID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return keycard.Invalid("group_id", "is not a group of your organisation")
			}
		}
		if err := checkPropertyLinks(ctx, t, prop); err != nil {
			return err
		}
		cols, vals := propertyValues(prop)
		t.changed(changeView)
		if _, err := t.Exec(ctx, `INSERT INTO properties (id, organization_id, is_active, created_at, `+cols+`) VALUES (?, ?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{prop.ID, prop.OrganizationID, true, micros(now)}, vals...)...); err != nil {
			return fmt.Errorf("store: create property: %w", err)
		}
		t.changed(changeView)
		if _, err := t.Exec(ctx, `INSERT INTO group_properties (group_id, property_id) VALUES (?, ?)`, groupID, prop.ID); err != nil {
			return fmt.Errorf("store: add property to group: %w", err)
		}
		if err := s.syncContentPhotos(ctx, t, prop.ID, "", prop.Content.Photos); err != nil {
			return err
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		// p's cached reach predates the new property: read it live.
		live := *p
		live.Reach = nil
		var err error
		out, err = s.property(ctx, t, &live, prop.ID)
		return err
	})
	return out, err
}

// propertyValues returns the writable columns of a property and their
// values, in the same order.
func propertyValues(prop *keycard.Property) (string, []any) {
	facilities, _ := json.Marshal(nonNil(prop.Facilities))
	settings, _ := json.Marshal(prop.Settings)
	// Photos are kept in their own table (see syncContentPhotos).
	c := prop.Content
	c.Photos = []keycard.Photo{}
	content, _ := json.Marshal(c)
	cols := []string{"title", "currency", "email", "phone", "zip_code", "country", "state", "city", "address", "longitude",
		"latitude", "timezone", "property_type", "logo_url", "website", "facilities", "settings", "content", "updated_at",
		"hotel_policy_id", "default_tax_set_id"}
	vals := []any{prop.Title, prop.Currency, prop.Email, prop.Phone, prop.ZipCode, prop.Country, prop.State, prop.City, prop.Address,
		prop.Longitude, prop.Latitude, prop.Timezone, prop.PropertyType, prop.LogoURL, prop.Website, string(facilities), string(settings),
		string(content), micros(prop.UpdatedAt), nullID(prop.HotelPolicyID), nullID(prop.DefaultTaxSetID)}
	return strings.Join(cols, ", "), vals
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// UpdateProperty loads a property p reaches, applies c to it by keycard's
// rules and saves it, all in one transaction. decodeErrs is what went
// wrong decoding c.
func (s *Store) UpdateProperty(ctx context.Context, p *keycard.Principal, id string, c *keycard.PropertyChange, decodeErrs keycard.FieldErrors) (*keycard.Property, error) {
	var out *keycard.Property
	err := s.write(ctx, func(t *tx) error {
		prop, err := s.property(ctx, t, p, id)
		if err != nil {
			return err
		}
		if err := prop.Apply(c, decodeErrs.Clone()).Err(); err != nil {
			return err
		}
		if err := checkPropertyLinks(ctx, t, prop); err != nil {
			return err
		}
		prop.UpdatedAt = s.now()
		cols, vals := propertyValues(prop)
		set := strings.ReplaceAll(cols, ", ", " = ?, ") + " = ?"
		t.changed(changeView)
		if _, err := t.Exec(ctx, `UPDATE properties SET `+set+` WHERE id = ?`, append(vals, prop.ID)...); err != nil {
			return fmt.Errorf("store: update property: %w", err)
		}
		if err := s.syncContentPhotos(ctx, t, prop.ID, "", prop.Content.Photos); err != nil {
			return err
		}
		out, err = s.property(ctx, t, p, id)
		return err
	})
	return out, err
}

// DeleteProperty deletes a property; p must be an owner of it. Its group
// memberships, property users and API key selections go with it.
func (s *Store) DeleteProperty(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := requireProperty(ctx, t, p, id, true); err != nil {
			return err
		}
		t.changed(changeView)
		org, photoURLs, err := photoURLsOf(ctx, t, "property_id", id)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM properties WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete property: %w", err)
		}
		if err := releasePhotoFiles(ctx, t, org, photoURLs...); err != nil {
			return err
		}
		// Reach changes: cached credentials carry it.
		t.changed(changeAccess)
		return nil
	})
}
