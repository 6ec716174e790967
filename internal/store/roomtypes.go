package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

const roomTypeColumns = `rt.id, rt.property_id, rt.title, rt.count_of_rooms, rt.occ_adults, rt.occ_children, rt.occ_infants,
	rt.default_occupancy, rt.room_kind, rt.capacity, rt.position, rt.facilities, rt.content, rt.created_at, rt.updated_at`

var roomTypeFields = map[string]column{
	"id":                {expr: "rt.id"},
	"title":             {expr: "rt.title"},
	"property_id":       {expr: "rt.property_id"},
	"room_kind":         {expr: "rt.room_kind"},
	"created_at":        {expr: "rt.created_at", kind: kindTime},
	"updated_at":        {expr: "rt.updated_at", kind: kindTime},
	"position":          {expr: "rt.position", kind: kindInt},
	"count_of_rooms":    {expr: "rt.count_of_rooms", kind: kindInt},
	"occ_adults":        {expr: "rt.occ_adults", kind: kindInt},
	"occ_children":      {expr: "rt.occ_children", kind: kindInt},
	"occ_infants":       {expr: "rt.occ_infants", kind: kindInt},
	"default_occupancy": {expr: "rt.default_occupancy", kind: kindInt},
	"capacity":          {expr: "rt.capacity", kind: kindInt},
}

func scanRoomType(row scanner) (*keycard.RoomType, error) {
	var rt keycard.RoomType
	var capacity sql.NullInt64
	var facilities, content string
	var created, updated int64
	err := row.Scan(&rt.ID, &rt.PropertyID, &rt.Title, &rt.CountOfRooms, &rt.OccAdults, &rt.OccChildren, &rt.OccInfants,
		&rt.DefaultOccupancy, &rt.RoomKind, &capacity, &rt.Position, &facilities, &content, &created, &updated)
	if err != nil {
		return nil, err
	}
	if capacity.Valid {
		c := int(capacity.Int64)
		rt.Capacity = &c
	}
	if err := json.Unmarshal([]byte(facilities), &rt.Facilities); err != nil {
		return nil, fmt.Errorf("store: room type %s facilities: %w", rt.ID, err)
	}
	if err := json.Unmarshal([]byte(content), &rt.Content); err != nil {
		return nil, fmt.Errorf("store: room type %s content: %w", rt.ID, err)
	}
	rt.CreatedAt, rt.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &rt, nil
}

func scanRoomTypes(rows *sql.Rows) ([]*keycard.RoomType, error) {
	defer rows.Close()
	var out []*keycard.RoomType
	for rows.Next() {
		rt, err := scanRoomType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, rows.Err()
}

// ListRoomTypes returns a page of the room types of the properties p
// reaches, and their total.
func (s *Store) ListRoomTypes(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.RoomType, int, error) {
	where, args, order, err := listSQL(q, roomTypeFields, "rt.title ASC, rt.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.RoomType
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM room_types rt WHERE rt.property_id IN `+r+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count room types: %w", err)
		}
		rows, err := t.Query(ctx, `SELECT `+roomTypeColumns+` FROM room_types rt WHERE rt.property_id IN `+r+where+order+page(q), args...)
		if err != nil {
			return fmt.Errorf("store: list room types: %w", err)
		}
		if out, err = scanRoomTypes(rows); err != nil {
			return err
		}
		return loadRoomTypePhotos(ctx, t, out)
	})
	return out, total, err
}

// RoomTypeOptions returns every room type p reaches that q's filters
// select, unpaginated, in q's order (by title by default).
func (s *Store) RoomTypeOptions(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.RoomType, error) {
	where, args, order, err := listSQL(q, roomTypeFields, "rt.title ASC, rt.id ASC")
	if err != nil {
		return nil, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.RoomType
	err = s.read(ctx, func(t *tx) error {
		rows, err := t.Query(ctx, `SELECT `+roomTypeColumns+` FROM room_types rt WHERE rt.property_id IN `+r+where+order, args...)
		if err != nil {
			return fmt.Errorf("store: room type options: %w", err)
		}
		out, err = scanRoomTypes(rows)
		return err
	})
	return out, err
}

// RoomType returns a room type of a property p reaches.
func (s *Store) RoomType(ctx context.Context, p *keycard.Principal, id string) (*keycard.RoomType, error) {
	var out *keycard.RoomType
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.roomType(ctx, t, p, id)
		return err
	})
	return out, err
}

func (s *Store) roomType(ctx context.Context, t *tx, p *keycard.Principal, id string) (*keycard.RoomType, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	r, args := reach(s.dialect, p)
	rt, err := scanRoomType(t.QueryRow(ctx, `SELECT `+roomTypeColumns+` FROM room_types rt WHERE rt.id = ? AND rt.property_id IN `+r,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	if err := loadRoomTypePhotos(ctx, t, []*keycard.RoomType{rt}); err != nil {
		return nil, err
	}
	return rt, nil
}

// CreateRoomType creates a room type in a property p reaches. It has no
// availability yet, which reads as 0.
func (s *Store) CreateRoomType(ctx context.Context, p *keycard.Principal, rt *keycard.RoomType) (*keycard.RoomType, error) {
	if err := rt.Validate(nil); err != nil {
		return nil, err
	}
	now := s.now()
	rt.ID, rt.CreatedAt, rt.UpdatedAt = newID(), now, now
	var out *keycard.RoomType
	err := s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		if err := requireProperty(ctx, t, p, rt.PropertyID, false); err != nil {
			return err
		}
		// Writers of one property's inventory take turns, so that the room
		// type limit holds.
		if err := lockProperties(ctx, t, []string{rt.PropertyID}); err != nil {
			return err
		}
		var n int
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM room_types WHERE property_id = ?`, rt.PropertyID).Scan(&n); err != nil {
			return fmt.Errorf("store: count room types: %w", err)
		}
		if n >= keycard.MaxRoomTypes {
			return keycard.Invalid("property_id", "has reached the limit of "+strconv.Itoa(keycard.MaxRoomTypes)+" room types")
		}
		cols, vals := roomTypeValues(rt)
		_, err := t.Exec(ctx, `INSERT INTO room_types (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
			append([]any{rt.ID, rt.PropertyID, micros(now)}, vals...)...)
		if s.dialect.isUnique(err) {
			return keycard.Invalid("title", keycard.DuplicateRoomTypeTitle)
		}
		if err != nil {
			return fmt.Errorf("store: create room type: %w", err)
		}
		if err := s.syncContentPhotos(ctx, t, rt.PropertyID, rt.ID, rt.Content.Photos); err != nil {
			return err
		}
		out, err = s.roomType(ctx, t, p, rt.ID)
		return err
	})
	return out, err
}

// roomTypeValues returns the writable columns of a room type and their
// values, in the same order.
func roomTypeValues(rt *keycard.RoomType) (string, []any) {
	facilities, _ := json.Marshal(nonNil(rt.Facilities))
	// Photos are kept in their own table (see syncContentPhotos).
	c := rt.Content
	c.Photos = []keycard.Photo{}
	content, _ := json.Marshal(c)
	var capacity any
	if rt.Capacity != nil {
		capacity = int64(*rt.Capacity)
	}
	return `title, count_of_rooms, occ_adults, occ_children, occ_infants, default_occupancy, room_kind, capacity, position,
		facilities, content, updated_at`,
		[]any{rt.Title, rt.CountOfRooms, rt.OccAdults, rt.OccChildren, rt.OccInfants, rt.DefaultOccupancy, rt.RoomKind, capacity,
			rt.Position, string(facilities), string(content), micros(rt.UpdatedAt)}
}

// UpdateRoomType loads a room type p reaches, applies c to it by keycard's
// rules and saves it, in one transaction. decodeErrs is what went wrong
// decoding c.
//
// Lowering occ_adults below the occupancy of some of the room type's rate
// plan options is refused unless force is set; with force, those options
// are removed with their rates, and a primary option above the new
// occ_adults is lowered to it (replacing any option already there).
func (s *Store) UpdateRoomType(ctx context.Context, p *keycard.Principal, id string, force bool, c *keycard.RoomTypeChange, decodeErrs keycard.FieldErrors) (*keycard.RoomType, error) {
	var out *keycard.RoomType
	err := s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		rt, err := s.roomType(ctx, t, p, id)
		if err != nil {
			return err
		}
		if err := rt.Apply(c, decodeErrs.Clone()).Err(); err != nil {
			return err
		}
		if err := s.fitOptions(ctx, t, rt, force); err != nil {
			return err
		}
		rt.UpdatedAt = s.now()
		cols, vals := roomTypeValues(rt)
		_, err = t.Exec(ctx, `UPDATE room_types SET `+setList(cols)+` WHERE id = ?`, append(vals, rt.ID)...)
		if s.dialect.isUnique(err) {
			return keycard.Invalid("title", keycard.DuplicateRoomTypeTitle)
		}
		if err != nil {
			return fmt.Errorf("store: update room type: %w", err)
		}
		if err := s.syncContentPhotos(ctx, t, rt.PropertyID, rt.ID, rt.Content.Photos); err != nil {
			return err
		}
		out, err = s.roomType(ctx, t, p, id)
		return err
	})
	return out, err
}

// fitOptions makes the room type's rate plan options fit its occ_adults,
// or refuses the change when that needs force. The rate plans whose
// options it removes or moves send other rates to channels: their cells
// are queued for the property's active channels.
func (s *Store) fitOptions(ctx context.Context, t *tx, rt *keycard.RoomType, force bool) error {
	plans := `SELECT id FROM rate_plans WHERE room_type_id = ?`
	var n int
	err := t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plan_options WHERE occupancy > ? AND rate_plan_id IN (`+plans+`)`,
		rt.OccAdults, rt.ID).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: count options above occ_adults: %w", err)
	}
	if n == 0 {
		return nil
	}
	if !force {
		return keycard.Invalid("occ_adults", fmt.Sprintf("is lower than the occupancy of %d rate plan option(s); lower those rate plans first, "+
			"or send ?force=true to remove the options above it with their rates", n))
	}
	// Removing options removes their rates: an ARI write, which takes
	// the property's lock first.
	if err := lockProperties(ctx, t, []string{rt.PropertyID}); err != nil {
		return err
	}
	rows, err := t.Query(ctx, `SELECT DISTINCT rate_plan_id FROM rate_plan_options WHERE occupancy > ? AND rate_plan_id IN (`+plans+`)`,
		rt.OccAdults, rt.ID)
	if err != nil {
		return fmt.Errorf("store: rate plans above occ_adults: %w", err)
	}
	var fitted []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		fitted = append(fitted, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM rate_plan_options WHERE is_primary = ? AND occupancy > ? AND rate_plan_id IN (` + plans + `)`,
			[]any{false, rt.OccAdults, rt.ID}},
		{`DELETE FROM rate_plan_options WHERE is_primary = ? AND occupancy = ? AND rate_plan_id IN
			(SELECT rate_plan_id FROM rate_plan_options WHERE is_primary = ? AND occupancy > ? AND rate_plan_id IN (` + plans + `))`,
			[]any{false, rt.OccAdults, true, rt.OccAdults, rt.ID}},
		{`UPDATE rate_plan_options SET occupancy = ? WHERE is_primary = ? AND occupancy > ? AND rate_plan_id IN (` + plans + `)`,
			[]any{rt.OccAdults, true, rt.OccAdults, rt.ID}},
	}
	for _, st := range steps {
		if _, err := t.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("store: fit options to occ_adults: %w", err)
		}
	}
	return t.markChannelPlans(ctx, rt.PropertyID, fitted)
}

// DeleteRoomType deletes a room type with its rate plans and all their
// ARI; p must be an owner of its property. It is refused while a rate plan
// of another room type derives from one of its rate plans.
func (s *Store) DeleteRoomType(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		t.changed(changeView) // answers cached above the store show it
		rt, err := s.roomType(ctx, t, p, id)
		if err != nil {
			return err
		}
		if err := requireProperty(ctx, t, p, rt.PropertyID, true); err != nil {
			return err
		}
		var n int
		err = t.QueryRow(ctx, `SELECT COUNT(*) FROM rate_plans WHERE room_type_id <> ? AND parent_rate_plan_id IN
			(SELECT id FROM rate_plans WHERE room_type_id = ?)`, id, id).Scan(&n)
		if err != nil {
			return fmt.Errorf("store: count derived rate plans: %w", err)
		}
		if n > 0 {
			return keycard.Invalid("room_type", "has rate plans that rate plans of other room types derive from; change their parent first")
		}
		org, photoURLs, err := photoURLsOf(ctx, t, "room_type_id", id)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `DELETE FROM room_types WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete room type: %w", err)
		}
		return releasePhotoFiles(ctx, t, org, photoURLs...)
	})
}

// setList turns "a, b, c" into "a = ?, b = ?, c = ?".
func setList(cols string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(cols, ",", " ")), " = ?, ") + " = ?"
}
