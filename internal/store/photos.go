package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	"position":     {expr: "ph.position", kind: kindInt},
	"created_at":   {expr: "ph.created_at", kind: kindTime},
	"updated_at":   {expr: "ph.updated_at", kind: kindTime},
	"url":          {expr: "ph.url"},
	"description":  {expr: "ph.description"},
	"author":       {expr: "ph.author"},
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
	view: true, name: "photo", table: "photos", alias: "ph", columns: photoColumns, fields: photoFields,
	order: "ph.position ASC, ph.created_at ASC, ph.id ASC", scan: scanPhoto,
	ident: func(ph *keycard.PhotoRecord) (string, string) { return ph.ID, ph.PropertyID },
	values: func(ph *keycard.PhotoRecord) (string, []any) {
		return `room_type_id, url, description, author, kind, position, updated_at`,
			[]any{nullID(ph.RoomTypeID), ph.URL, ph.Description, ph.Author, ph.Kind, ph.Position, micros(ph.UpdatedAt)}
	},
	check: func(ctx context.Context, t *tx, ph *keycard.PhotoRecord, skip keycard.FieldErrors) error {
		if skip.Has("room_type_id") {
			return nil
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
	}, func(ph *keycard.PhotoRecord) keycard.FieldErrors {
		// ph is whole: keycard's rules judge it as it is.
		return ph.Apply(&keycard.PhotoChange{}, nil)
	})
}

// insertPhoto writes a new photo row.
func insertPhoto(ctx context.Context, t *tx, ph *keycard.PhotoRecord) error {
	cols, vals := photoRecords.values(ph)
	t.changed(changeView)
	_, err := t.Exec(ctx, `INSERT INTO photos (id, property_id, created_at, `+cols+`) VALUES (?, ?, ?, `+placeholders(len(vals))+`)`,
		append([]any{ph.ID, ph.PropertyID, micros(ph.CreatedAt)}, vals...)...)
	if err != nil {
		return fmt.Errorf("store: create photo: %w", err)
	}
	return nil
}

// UpdatePhoto loads a photo p reaches, applies c to it by keycard's rules
// (decodeErrs is what went wrong decoding c), and saves it. Its property
// cannot change; its room type may, within the property. A url changed
// away from an uploaded file lets the file go, as DeletePhoto does.
func (s *Store) UpdatePhoto(ctx context.Context, p *keycard.Principal, id string, c *keycard.PhotoChange, decodeErrs keycard.FieldErrors) (*keycard.PhotoRecord, error) {
	var before string
	k := *photoRecords
	k.save = func(ctx context.Context, t *tx, ph *keycard.PhotoRecord) error {
		if ph.URL == before {
			return nil
		}
		return releasePropertyPhotoFiles(ctx, t, ph.PropertyID, before)
	}
	return k.update(ctx, s, p, id, func(ph *keycard.PhotoRecord, now time.Time) { before, ph.UpdatedAt = ph.URL, now },
		func(ph *keycard.PhotoRecord) keycard.FieldErrors { return ph.Apply(c, decodeErrs.Clone()) })
}

// DeletePhoto deletes a photo p reaches, and the uploaded file its url
// names when no other photo of the organisation uses it.
func (s *Store) DeletePhoto(ctx context.Context, p *keycard.Principal, id string) error {
	return s.write(ctx, func(t *tx) error {
		ph, err := photoRecords.get(ctx, t, p, id)
		if err != nil {
			return err
		}
		t.changed(changeView)
		if _, err := t.Exec(ctx, `DELETE FROM photos WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete photo: %w", err)
		}
		return releasePropertyPhotoFiles(ctx, t, ph.PropertyID, ph.URL)
	})
}

// releasePropertyPhotoFiles is releasePhotoFiles for photos of the
// property propertyID.
func releasePropertyPhotoFiles(ctx context.Context, t *tx, propertyID string, urls ...string) error {
	if !slices.ContainsFunc(urls, func(u string) bool { _, ok := keycard.PhotoFileID(u); return ok }) {
		return nil
	}
	var org string
	if err := t.QueryRow(ctx, `SELECT organization_id FROM properties WHERE id = ?`, propertyID).Scan(&org); err != nil {
		return fmt.Errorf("store: photo's organisation: %w", err)
	}
	return releasePhotoFiles(ctx, t, org, urls...)
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
	rows, err := t.Query(ctx, `SELECT id, url FROM photos WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("store: content photos: %w", err)
	}
	existing := map[string]string{} // id -> url
	for rows.Next() {
		var id, url string
		if err := rows.Scan(&id, &url); err != nil {
			rows.Close()
			return err
		}
		existing[id] = url
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
		if _, ok := existing[ph.ID]; ok && !kept[ph.ID] {
			kept[ph.ID] = true
			t.changed(changeView)
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
	var dropped []string // the urls before: those no photo names now let their files go
	for id, url := range existing {
		if !kept[id] {
			t.changed(changeView)
			if _, err := t.Exec(ctx, `DELETE FROM photos WHERE id = ?`, id); err != nil {
				return fmt.Errorf("store: delete content photo: %w", err)
			}
		}
		dropped = append(dropped, url)
	}
	return releasePropertyPhotoFiles(ctx, t, propertyID, dropped...)
}

// SavePhotoFile keeps an uploaded image for p's organisation: in a file
// under the data directory with SQLite, in the database with PostgreSQL.
// The organisation's quota is checked in the transaction that records the
// file, under a lock on the organisation, so that uploads running at once
// cannot together go past it.
func (s *Store) SavePhotoFile(ctx context.Context, p *keycard.Principal, contentType string, data []byte, quota keycard.PhotoQuota) (*keycard.PhotoFile, error) {
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
		if err := checkPhotoQuota(ctx, t, f, quota); err != nil {
			return err
		}
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
	if err != nil {
		return nil, err
	}
	return f, nil
}

// checkPhotoQuota answers a validation error when f would take its
// organisation past quota. With PostgreSQL it first locks the
// organisation's row, which the uploads of one organisation take in turn
// (SQLite runs one write at a time anyway). The lock is FOR NO KEY UPDATE:
// it does not hold up the rows of other tables that reference the
// organisation.
func checkPhotoQuota(ctx context.Context, t *tx, f *keycard.PhotoFile, quota keycard.PhotoQuota) error {
	if quota.Files <= 0 && quota.Bytes <= 0 {
		return nil
	}
	if t.d.name() == "postgres" {
		var id string
		if err := t.QueryRow(ctx, `SELECT id FROM organizations WHERE id = ? FOR NO KEY UPDATE`, f.OrganizationID).Scan(&id); err != nil {
			return fmt.Errorf("store: lock organisation for photo quota: %w", err)
		}
	}
	var files, bytes int64
	if err := t.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM photo_files WHERE organization_id = ?`, f.OrganizationID).
		Scan(&files, &bytes); err != nil {
		return fmt.Errorf("store: photo quota: %w", err)
	}
	if quota.Files > 0 && files+1 > int64(quota.Files) {
		return keycard.Invalid("photo", fmt.Sprintf("the photo quota is reached: an organisation keeps at most %d uploaded files "+
			"(it has %d); delete photos to make room", quota.Files, files))
	}
	if quota.Bytes > 0 && bytes+f.Size > quota.Bytes {
		return keycard.Invalid("photo", fmt.Sprintf("the photo quota is reached: an organisation's uploaded files take at most %s "+
			"(they take %s, and this one %s); delete photos to make room", byteSize(quota.Bytes), byteSize(bytes), byteSize(f.Size)))
	}
	return nil
}

// byteSize writes n bytes for a person: in whole GB, MB or KB (of 1024)
// when it is one, else in bytes.
func byteSize(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GB"}, {1 << 20, "MB"}, {1 << 10, "KB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// releasePhotoFiles deletes the uploaded files that urls (those of photos
// of organisation org just deleted or changed) named, when no photo of
// the organisation names them any more. A file is the organisation's, so
// only its own photos keep it; another organisation linking to its public
// URL does not. With SQLite the files themselves are removed from disk
// after the transaction commits.
func releasePhotoFiles(ctx context.Context, t *tx, org string, urls ...string) error {
	for _, u := range urls {
		id, ok := keycard.PhotoFileID(u)
		if !ok {
			continue
		}
		var n int
		err := t.QueryRow(ctx, `SELECT COUNT(*) FROM photos ph JOIN properties pr ON pr.id = ph.property_id
			WHERE pr.organization_id = ? AND LOWER(ph.url) LIKE ?`, org, "%"+keycard.PhotoFilePath+id+"%").Scan(&n)
		if err != nil {
			return fmt.Errorf("store: photo file in use: %w", err)
		}
		if n > 0 {
			continue
		}
		res, err := t.Exec(ctx, `DELETE FROM photo_files WHERE id = ? AND organization_id = ?`, id, org)
		if err != nil {
			return fmt.Errorf("store: delete photo file: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			t.removedFiles = append(t.removedFiles, id)
		}
	}
	return nil
}

// photoURLsOf returns the urls of the photos whose column ("property_id"
// or "room_type_id") is id, and their organisation, for
// releasePhotoFiles once the property or room type is deleted with them.
func photoURLsOf(ctx context.Context, t *tx, column, id string) (org string, urls []string, err error) {
	rows, err := t.Query(ctx, `SELECT pr.organization_id, ph.url FROM photos ph JOIN properties pr ON pr.id = ph.property_id
		WHERE ph.`+column+` = ?`, id)
	if err != nil {
		return "", nil, fmt.Errorf("store: photos of %s: %w", column, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&org, &u); err != nil {
			return "", nil, err
		}
		urls = append(urls, u)
	}
	return org, urls, rows.Err()
}

// removePhotoFiles removes the files of deleted photo_files rows from
// disk. A file left behind by a failure here is harmless: with its row
// gone it is never served.
func (s *Store) removePhotoFiles(ids []string) {
	if s.photoDir == "" {
		return
	}
	for _, id := range ids {
		os.Remove(filepath.Join(s.photoDir, id))
	}
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
