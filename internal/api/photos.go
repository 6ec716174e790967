package api

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/photo"
)

// photoView is a photo as the API shows it, in a list, alone or in a
// property's or room type's content.
type photoView struct {
	ID          string  `json:"id"`
	URL         string  `json:"url"`
	Position    int     `json:"position"`
	Description *string `json:"description"`
	Author      *string `json:"author"`
	Kind        string  `json:"kind"`
	PropertyID  string  `json:"property_id"`
	RoomTypeID  *string `json:"room_type_id"`
}

func newPhotoView(ph keycard.Photo, propertyID, roomTypeID string) photoView {
	return photoView{ID: ph.ID, URL: ph.URL, Position: ph.Position, Description: nullable(ph.Description), Author: nullable(ph.Author),
		Kind: ph.Kind, PropertyID: propertyID, RoomTypeID: nullable(roomTypeID)}
}

// contentPhotos renders a property's (roomTypeID "") or room type's
// content photos.
func contentPhotos(photos []keycard.Photo, propertyID, roomTypeID string) []photoView {
	out := make([]photoView, 0, len(photos))
	for _, ph := range photos {
		out = append(out, newPhotoView(ph, propertyID, roomTypeID))
	}
	return out
}

func photoResource(ph *keycard.PhotoRecord) resource {
	rels := map[string]any{"property": relation{ref{Type: "property", ID: ph.PropertyID}}}
	if ph.RoomTypeID != "" {
		rels["room_type"] = relation{ref{Type: "room_type", ID: ph.RoomTypeID}}
	}
	return resource{Type: "photo", ID: ph.ID, Attributes: newPhotoView(ph.Photo, ph.PropertyID, ph.RoomTypeID), Relationships: rels}
}

func (s *Server) listPhotos(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListPhotos(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, ph := range list {
		items = append(items, photoResource(ph))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request) error {
	ph, err := s.store.Photo(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, photoResource(ph))
}

func (s *Server) createPhoto(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "photo")
	if err != nil {
		return err
	}
	ph := &keycard.PhotoRecord{Photo: keycard.Photo{Kind: "photo"}}
	ph.PropertyID = requiredID(f, "property_id")
	if !f.has("url") {
		f.errs.Add("url", "can't be blank")
	}
	if err := ph.Apply(photoChange(f), f.errs).Err(); err != nil {
		return err
	}
	out, err := s.store.CreatePhoto(r.Context(), principal(r), ph)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, photoResource(out))
}

func (s *Server) updatePhoto(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "photo")
	if err != nil {
		return err
	}
	c := photoChange(f)
	c.PropertyID = f.strPtrOrEmpty("property_id")
	out, err := s.store.UpdatePhoto(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, photoResource(out))
}

func (s *Server) deletePhoto(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeletePhoto(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// photoChange decodes a photo body into a change, typed but not judged
// (keycard's PhotoRecord.Apply does that), recording type errors in
// f.errs. property_id is left to the caller.
func photoChange(f *fields) *keycard.PhotoChange {
	c := &keycard.PhotoChange{URL: f.strPtrOrEmpty("url"), Description: f.strPtrOrEmpty("description"),
		Author: f.strPtrOrEmpty("author"), RoomTypeID: f.strPtrOrEmpty("room_type_id")}
	if raw := f.raw("kind"); raw != nil {
		if isNull(raw) {
			c.KindSent = true
		} else if kind := f.strPtrOrEmpty("kind"); kind != nil {
			c.KindSent, c.Kind = true, kind
		}
	}
	if raw := f.raw("position"); raw != nil {
		var n int // null reads as 0
		if isNull(raw) || integer(f, "position", &n) {
			c.Position = &n
		}
	}
	return c
}

// maxUploadBody bounds an upload's whole body: the image plus the
// multipart envelope around it.
const maxUploadBody = keycard.MaxPhotoBytes + 64<<10

// decodeSlots is how many uploads a server decodes at once: an image of
// the largest size may take a few hundred MB while it is decoded.
const decodeSlots = 2

// uploadPhoto takes one image in a multipart body (field "photo" or
// "file"), of at most 10 MB: a JPEG or PNG, decoded whole and encoded
// anew (see package photo), which it keeps within the organisation's
// quota and answers the stable URL it is served at.
func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request) error {
	if err := s.chargePhotoUpload(w, r); err != nil {
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return keycard.Errorf(keycard.EBadRequest, "send the image as multipart/form-data, in a field named photo")
	}
	var data []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return err
			}
			return keycard.Errorf(keycard.EBadRequest, "the multipart body is malformed")
		}
		if name := part.FormName(); name != "photo" && name != "file" {
			part.Close()
			continue
		}
		data, err = readPart(part)
		if err != nil {
			return err
		}
		break
	}
	if data == nil {
		return keycard.Invalid("photo", "can't be blank: send the image in a field named photo")
	}
	select {
	case s.decoding <- struct{}{}:
		defer func() { <-s.decoding }()
	case <-r.Context().Done():
		return r.Context().Err()
	}
	img, err := photo.Clean(data, keycard.MaxPhotoPixels)
	if err != nil {
		return err
	}
	f, err := s.store.SavePhotoFile(r.Context(), principal(r), img.ContentType, img.Data, s.photoQuota)
	if err != nil {
		return err
	}
	u := photoFileURL(r, f.ID+img.Ext)
	return writeData(w, http.StatusCreated, resource{Type: "photo_file", ID: f.ID, Attributes: map[string]any{
		"id": f.ID, "url": u, "content_type": f.ContentType, "size": f.Size,
	}})
}

// readPart reads an uploaded file, refusing one over the limit.
func readPart(part *multipart.Part) ([]byte, error) {
	defer part.Close()
	data, err := io.ReadAll(io.LimitReader(part, keycard.MaxPhotoBytes+1))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		return nil, keycard.Errorf(keycard.EBadRequest, "the upload could not be read")
	}
	if len(data) > keycard.MaxPhotoBytes {
		return nil, keycard.Errorf(keycard.ETooLarge, "the image is larger than %d bytes", keycard.MaxPhotoBytes)
	}
	return data, nil
}

// photoFileURL returns the absolute URL of an uploaded file, on the host
// the request came to.
func photoFileURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + keycard.PhotoFilePath + name
}

// servePhotoFile serves an uploaded image. The name is its id with an
// optional extension. Files never change, so caches may keep them.
func (s *Server) servePhotoFile(w http.ResponseWriter, r *http.Request) error {
	id, _, _ := strings.Cut(r.PathValue("name"), ".")
	f, err := s.store.PhotoFile(r.Context(), strings.ToLower(id))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(f.Data)
	}
	return nil
}
