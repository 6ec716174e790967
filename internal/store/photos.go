package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

const photoColumns = `ph.id, ph.property_id, ph.room_type_id, ph.url, ph.description, ph.author, ph.kind, ph.position,
	ph.created_at, ph.updated_at`

var photoFields = map[string]column{
	"id":           {expr: "ph.id"},
	"property_id":  {expr: "ph.property_id"},
	"room_type_id": {expr: "ph.room_type_id"},
	"kind":         {expr: "ph.kind"},
	"position":     {expr: "ph.position"},
	"created_at":   {expr: "ph.created_at", kind: kindTime},
	"updated_at":   {expr: "ph.updated_at", kind: kindTime},
}

func scanPhoto(row scanner) (*keycard.PhotoRecord, error) {
	var ph keycard.PhotoRecord
	var roomType sql.NullString
	var created, updated int64
	err := row.Scan(&ph.ID, &ph.PropertyID, &roomType, &ph.URL, &ph.Description, &ph.Author, &ph.Kind, &ph.Position, &created, &updated)
	if err != nil {
		return nil, err
	}
	ph.RoomTypeID = roomType.String
	ph.CreatedAt, ph.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &ph, nil
}

var photoRecords = &owned[*keycard.PhotoRecord]{
	name: "photo", table: "photos", alias: "ph", columns: photoColumns, fields: photoFields,
	order: "ph.position ASC, ph.created_at ASC, ph.id ASC", scan: scanPhoto,
	ident: func(ph *keycard.PhotoRecord) (string, string) { return ph.ID, ph.PropertyID },
	values: func(ph *keycard.PhotoRecord) (string, []any) {
		return `room_type_id, url, description, author, kind, position, updated_at`,
			[]any{nullID(ph.RoomTypeID), ph.URL, ph.Description, ph.Author, ph.Kind, ph.Position, micros(ph.UpdatedAt)}
	},
	check: func(ctx context.Context, t *tx, ph *keycard.PhotoRecord, skip keycard.FieldErrors) error {
		if err := ph.Validate(skip); err != nil {
			return err
		}
		return checkPhotoRoomType(ctx, t, ph)
	},
}

// ListPhotos returns a page of the photos of the properties p reaches, by
// position, and their total.
func (s *Store) ListPhotos(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.PhotoRecord, int, error) {
	return photoRecords.list(ctx, s, p, q)
}

// Photo returns a photo of a property p reaches.
func (s *Store) Photo(ctx context.Context, p *keycard.Principal, id string) (*keycard.PhotoRecord, error) {
	return photoRecords.one(ctx, s, p, id)
}

// checkPhotoRoomType checks that a photo's room type, if any, is one of
// its property's.
func checkPhotoRoomType(ctx context.Context, t *tx, ph *keycard.PhotoRecord) error {
	if ph.RoomTypeID == "" {
		return nil
	}
	var n int
	if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM room_types WHERE id = ? AND property_id = ?`, ph.RoomTypeID, ph.PropertyID).Scan(&n); err != nil {
		return fmt.Errorf("store: photo room type: %w", err)
	}
	if n == 0 {
		return keycard.Invalid("room_type_id", "is not a room type of the property")
	}
	return nil
}

// CreatePhoto creates the photo ph of a property p reaches, or of one of
// its room types.
func (s *Store) CreatePhoto(ctx context.Context, p *keycard.Principal, ph *keycard.PhotoRecord) (*keycard.PhotoRecord, error) {
	return photoRecords.create(ctx, s, p, ph.PropertyID, func(id, propertyID, _ string, now time.Time) *keycard.PhotoRecord {
		out := *ph
		out.ID, out.PropertyID, out.CreatedAt, out.UpdatedAt = id, propertyID, now, now
		return &out
	}, func(*keycard.PhotoRecord) keycard.FieldErrors { return nil })
}

// insertPhoto writes a new photo row.
func insertPhoto(ctx context.Context, t *tx, ph *keycard.PhotoRecord) error {
	cols, vals := photoRecords.values(ph)
	_, err := t.Exec(ctx, `INSERT INTO photos (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
		append([]any{ph.ID, ph.PropertyID, micros(ph.CreatedAt)}, vals...)...)
	if err != nil {
		return fmt.Errorf("store: create photo: %w", err)
	}
	return nil
}

// UpdatePhoto loads a photo p reaches, lets change edit it, validates and
// saves it. Its property cannot change; its room type may, within the
// property.
func (s *Store) UpdatePhoto(ctx context.Context, p *keycard.Principal, id string, change func(*keycard.PhotoRecord) keycard.FieldErrors) (*keycard.PhotoRecord, error) {
	return photoRecords.update(ctx, s, p, id, func(ph *keycard.PhotoRecord, now time.Time) { ph.UpdatedAt = now }, change)
}

// DeletePhoto deletes a photo p reaches.
func (s *Store) DeletePhoto(ctx context.Context, p *keycard.Principal, id string) error {
	return photoRecords.remove(ctx, s, p, id)
}

// loadContentPhotos fills in the content photos of properties (their
// photos of no room type) or of room types, keyed by id, in position order.
func loadContentPhotos(ctx context.Context, t *tx, byRoomType bool, dst map[string]*[]keycard.Photo) error {
	if len(dst) == 0 {
		return nil
	}
	ids := make([]string, 0, len(dst))
	for id, photos := range dst {
		ids = append(ids, id)
		*photos = []keycard.Photo{}
	}
	where := `room_type_id IS NULL AND property_id IN (`
	key := "property_id"
	if byRoomType {
		where, key = `room_type_id IN (`, "room_type_id"
	}
	rows, err := t.Query(ctx, `SELECT `+key+`, id, url, description, author, kind, position FROM photos WHERE `+where+
		placeholders(len(ids))+`) ORDER BY position, created_at, id`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("store: content photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var owner string
		var ph keycard.Photo
		if err := rows.Scan(&owner, &ph.ID, &ph.URL, &ph.Description, &ph.Author, &ph.Kind, &ph.Position); err != nil {
			return err
		}
		*dst[owner] = append(*dst[owner], ph)
	}
	return rows.Err()
}

func loadRoomTypePhotos(ctx context.Context, t *tx, rts []*keycard.RoomType) error {
	dst := make(map[string]*[]keycard.Photo, len(rts))
	for _, rt := range rts {
		dst[rt.ID] = &rt.Content.Photos
	}
	return loadContentPhotos(ctx, t, true, dst)
}

// syncContentPhotos makes the photos of a property (roomTypeID "") or of
// a room type exactly photos: those kept by id are updated, the others
// created, and the ones left out deleted. A photo id already used
// elsewhere is replaced by a new one.
func (s *Store) syncContentPhotos(ctx context.Context, t *tx, propertyID, roomTypeID string, photos []keycard.Photo) error {
	where, args := `property_id = ? AND room_type_id IS NULL`, []any{propertyID}
	if roomTypeID != "" {
		where, args = `room_type_id = ?`, []any{roomTypeID}
	}
	rows, err := t.Query(ctx, `SELECT id FROM photos WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("store: content photos: %w", err)
	}
	existing := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		existing[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.now()
	kept := map[string]bool{}
	for i := range photos {
		ph := &photos[i]
		rec := &keycard.PhotoRecord{Photo: *ph, PropertyID: propertyID, RoomTypeID: roomTypeID, CreatedAt: now, UpdatedAt: now}
		if existing[ph.ID] && !kept[ph.ID] {
			kept[ph.ID] = true
			if _, err := t.Exec(ctx, `UPDATE photos SET url = ?, description = ?, author = ?, kind = ?, position = ?, updated_at = ? WHERE id = ?`,
				ph.URL, ph.Description, ph.Author, ph.Kind, ph.Position, micros(now), ph.ID); err != nil {
				return fmt.Errorf("store: update content photo: %w", err)
			}
			continue
		}
		var n int
		if keycard.ValidID(ph.ID) && !kept[ph.ID] {
			if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM photos WHERE id = ?`, ph.ID).Scan(&n); err != nil {
				return fmt.Errorf("store: content photo id: %w", err)
			}
		}
		if !keycard.ValidID(ph.ID) || kept[ph.ID] || n > 0 {
			ph.ID = newID()
		}
		rec.ID = ph.ID
		kept[ph.ID] = true
		if err := insertPhoto(ctx, t, rec); err != nil {
			return err
		}
	}
	for id := range existing {
		if !kept[id] {
			if _, err := t.Exec(ctx, `DELETE FROM photos WHERE id = ?`, id); err != nil {
				return fmt.Errorf("store: delete content photo: %w", err)
			}
		}
	}
	return nil
}

// SavePhotoFile keeps an uploaded image for p's organisation: in a file
// under the data directory with SQLite, in the database with PostgreSQL.
func (s *Store) SavePhotoFile(ctx context.Context, p *keycard.Principal, contentType string, data []byte) (*keycard.PhotoFile, error) {
	f := &keycard.PhotoFile{ID: newID(), OrganizationID: p.OrganizationID, ContentType: contentType, Size: int64(len(data)),
		CreatedAt: s.now()}
	var stored any = data
	if s.photoDir != "" {
		if err := writeFileAtomic(s.photoDir, f.ID, data); err != nil {
			return nil, fmt.Errorf("store: save photo file: %w", err)
		}
		stored = nil
	}
	err := s.write(ctx, func(t *tx) error {
		_, err := t.Exec(ctx, `INSERT INTO photo_files (id, organization_id, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			f.ID, f.OrganizationID, f.ContentType, f.Size, stored, micros(f.CreatedAt))
		if err != nil {
			return fmt.Errorf("store: save photo file: %w", err)
		}
		return nil
	})
	if err != nil && s.photoDir != "" {
		os.Remove(filepath.Join(s.photoDir, f.ID))
	}
	return f, err
}

// writeFileAtomic writes data to dir/name through a temporary file, so
// that a reader never sees half a file. Only keycard reads them: dir is
// made 0700, and the file keeps CreateTemp's 0600.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// PhotoFile returns an uploaded image by id, to anyone: its URL is the
// secret, as for a photo hosting service.
func (s *Store) PhotoFile(ctx context.Context, id string) (*keycard.PhotoFile, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	f := &keycard.PhotoFile{ID: id}
	var created int64
	err := s.read(ctx, func(t *tx) error {
		return notFound(t.QueryRow(ctx, `SELECT organization_id, content_type, size, data, created_at FROM photo_files WHERE id = ?`, id).
			Scan(&f.OrganizationID, &f.ContentType, &f.Size, &f.Data, &created))
	})
	if err != nil {
		return nil, err
	}
	f.CreatedAt = fromMicros(created)
	if f.Data == nil && s.photoDir != "" {
		f.Data, err = os.ReadFile(filepath.Join(s.photoDir, id))
		if errors.Is(err, os.ErrNotExist) {
			return nil, keycard.NotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("store: read photo file: %w", err)
		}
	}
	return f, nil
}
