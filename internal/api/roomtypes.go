package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
)

type roomTypeAttributes struct {
	ID               string          `json:"id"`
	Title            string          `json:"title"`
	Meta             any             `json:"meta"`
	Position         int             `json:"position"`
	CountOfRooms     int             `json:"count_of_rooms"`
	OccAdults        int             `json:"occ_adults"`
	OccChildren      int             `json:"occ_children"`
	OccInfants       int             `json:"occ_infants"`
	DefaultOccupancy int             `json:"default_occupancy"`
	RoomKind         string          `json:"room_kind"`
	Capacity         *int            `json:"capacity"`
	Codes            any             `json:"codes"`
	Content          roomContentView `json:"content"`
	CreatedAt        string          `json:"created_at"`
	UpdatedAt        string          `json:"updated_at"`
}

type roomContentView struct {
	Description *string     `json:"description"`
	Photos      []photoView `json:"photos"`
}

func roomTypeResource(rt *keycard.RoomType) resource {
	photos := contentPhotos(rt.Content.Photos, rt.PropertyID, rt.ID)
	facilities := make([]ref, 0, len(rt.Facilities))
	for _, id := range rt.Facilities {
		facilities = append(facilities, ref{Type: "facility", ID: id})
	}
	return resource{Type: "room_type", ID: rt.ID,
		Attributes: roomTypeAttributes{
			ID: rt.ID, Title: rt.Title, Position: rt.Position, CountOfRooms: rt.CountOfRooms,
			OccAdults: rt.OccAdults, OccChildren: rt.OccChildren, OccInfants: rt.OccInfants, DefaultOccupancy: rt.DefaultOccupancy,
			RoomKind: rt.RoomKind, Capacity: rt.Capacity,
			Content:   roomContentView{Description: nullable(rt.Content.Description), Photos: photos},
			CreatedAt: timestamp(rt.CreatedAt), UpdatedAt: timestamp(rt.UpdatedAt),
		},
		Relationships: map[string]any{
			"property":   relation{ref{Type: "property", ID: rt.PropertyID}},
			"facilities": relation{facilities},
		},
	}
}

func (s *Server) listRoomTypes(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	return s.cached(w, r, s.store.ViewVersion(), func(w http.ResponseWriter) error {
		list, total, err := s.store.ListRoomTypes(r.Context(), principal(r), q)
		if err != nil {
			return err
		}
		items := make([]resource, 0, len(list))
		for _, rt := range list {
			items = append(items, roomTypeResource(rt))
		}
		if err := s.relate(r, items...); err != nil {
			return err
		}
		return writeOrderedList(w, items, total, q)
	})
}

// roomTypeOptions lists every reachable room type, unpaginated, with the
// few attributes a mapping screen needs.
func (s *Server) roomTypeOptions(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, err := s.store.RoomTypeOptions(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, rt := range list {
		items = append(items, resource{Type: "room_type", ID: rt.ID, Attributes: map[string]any{
			"id": rt.ID, "title": rt.Title, "property_id": rt.PropertyID, "default_occupancy": rt.DefaultOccupancy,
		}})
	}
	warnIgnored(w, q)
	return writeData(w, http.StatusOK, items)
}

func (s *Server) getRoomType(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.store.RoomType(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, roomTypeResource(rt))
}

// roomTypeRequired are the members a new room type must have.
var roomTypeRequired = []string{"title", "count_of_rooms", "occ_adults", "occ_children", "occ_infants", "default_occupancy"}

func (s *Server) createRoomType(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "room_type")
	if err != nil {
		return err
	}
	rt := &keycard.RoomType{RoomKind: keycard.RoomKindRoom}
	rt.PropertyID = requiredID(f, "property_id")
	for _, name := range roomTypeRequired {
		if !f.has(name) {
			f.errs.Add(name, "can't be blank")
		}
	}
	if err := rt.Apply(roomTypeChange(f), f.errs).Err(); err != nil {
		return err
	}
	out, err := s.store.CreateRoomType(r.Context(), principal(r), rt)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, roomTypeResource(out))
}

// updateRoomType changes the members given. With ?force=true, lowering
// occ_adults removes the rate plan options above it.
func (s *Server) updateRoomType(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "room_type")
	if err != nil {
		return err
	}
	c := roomTypeChange(f)
	c.PropertyID = f.strSent("property_id")
	out, err := s.store.UpdateRoomType(r.Context(), principal(r), r.PathValue("id"), force(r), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, roomTypeResource(out))
}

func (s *Server) deleteRoomType(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteRoomType(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// roomTypeChange decodes a room type body, but its property_id, into a
// change, typed but not judged (the domain's RoomType.Apply does that),
// recording type errors in f.errs.
func roomTypeChange(f *fields) *keycard.RoomTypeChange {
	c := &keycard.RoomTypeChange{Title: f.strSent("title")}
	for _, m := range []struct {
		name string
		dst  **int
	}{
		{"count_of_rooms", &c.CountOfRooms}, {"occ_adults", &c.OccAdults}, {"occ_children", &c.OccChildren},
		{"occ_infants", &c.OccInfants}, {"default_occupancy", &c.DefaultOccupancy}, {"position", &c.Position},
	} {
		*m.dst = intSent(f, m.name)
	}
	if f.has("room_kind") {
		c.RoomKindSent = true
		if !isNull(f.raw("room_kind")) {
			// A kind that is not a string keeps the room type's.
			c.RoomKind = f.strSent("room_kind")
			c.RoomKindSent = c.RoomKind != nil
		}
	}
	if f.has("capacity") {
		if isNull(f.raw("capacity")) {
			c.CapacitySent = true
		} else if c.Capacity = intSent(f, "capacity"); c.Capacity != nil {
			c.CapacitySent = true
		}
	}
	if f.has("facilities") {
		c.FacilitiesSent = f.stringList("facilities", &c.Facilities)
	}
	if f.has("content") {
		var in struct {
			Description *string         `json:"description"`
			Photos      []keycard.Photo `json:"photos"`
		}
		if isNull(f.raw("content")) {
			c.ContentSent = true
		} else if f.object("content", &in, "must be an object with description and photos") {
			c.ContentSent = true
			c.Content = &keycard.RoomTypeContentChange{Description: in.Description, PhotosSent: in.Photos != nil, Photos: in.Photos}
		}
	}
	return c
}

// intSent reads a whole-number member as integer does: nil when absent or
// not a whole number (which is recorded).
func intSent(f *fields, name string) *int {
	var n int
	if !integer(f, name, &n) {
		return nil
	}
	return &n
}

// integer reads a whole-number member into dst; a string of digits is
// read too, as Channex does. Null is an error.
func integer(f *fields, name string, dst *int) bool {
	raw, ok := f.get(name)
	if !ok {
		return false
	}
	n, ok := wholeNumber(raw)
	if !ok {
		f.errs.Add(name, "must be a whole number")
		return false
	}
	*dst = int(n)
	return true
}

// wholeNumber reads a JSON integer (or a string holding one) that fits in
// 32 bits.
func wholeNumber(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return n, err == nil
}

// requiredID reads a required id member, lower-cased; a missing or
// malformed one is recorded in f.errs.
func requiredID(f *fields, name string) string {
	var id string
	if !f.has(name) || isNull(f.raw(name)) {
		f.errs.Add(name, "can't be blank")
		return ""
	}
	f.str(name, &id)
	id = strings.ToLower(strings.TrimSpace(id))
	if !f.errs.Has(name) && !keycard.ValidID(id) {
		f.errs.Add(name, "is not a valid id")
	}
	return id
}

// force reports whether the request asks for ?force=true.
func force(r *http.Request) bool { return r.URL.Query().Get("force") == "true" }

// orderedListMeta is the meta of the room type and rate plan lists, which
// also name their order, as Channex's do.
type orderedListMeta struct {
	Total          int    `json:"total"`
	Page           int    `json:"page"`
	Limit          int    `json:"limit"`
	OrderBy        string `json:"order_by"`
	OrderDirection string `json:"order_direction"`
}

func writeOrderedList(w http.ResponseWriter, items []resource, total int, q keycard.ListQuery) error {
	if items == nil {
		items = []resource{}
	}
	meta := orderedListMeta{Total: total, Page: q.Page, Limit: q.Limit, OrderBy: "title", OrderDirection: "asc"}
	for _, o := range q.Order {
		if q.Ignored.Has(o.Param()) {
			continue
		}
		meta.OrderBy = o.Field
		if o.Desc {
			meta.OrderDirection = "desc"
		}
		break
	}
	pruneData(items)
	warnIgnored(w, q)
	writeJSON(w, http.StatusOK, struct {
		Data []resource      `json:"data"`
		Meta orderedListMeta `json:"meta"`
	}{items, meta})
	return nil
}
