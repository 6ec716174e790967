package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

func facilityResource(kind string, f keycard.Facility) resource {
	return resource{Type: "facility", ID: f.ID, Attributes: map[string]string{
		"id": f.ID, "category": f.Category, "title": f.Title, "kind": kind,
	}}
}

// facilityItem is a facility of the catalogue with its kind.
type facilityItem struct {
	kind string
	keycard.Facility
}

// facilityFields are the fields a facility list filters and orders by.
var facilityFields = map[string]func(facilityItem) string{
	"id":       func(f facilityItem) string { return f.ID },
	"category": func(f facilityItem) string { return f.Category },
	"title":    func(f facilityItem) string { return f.Title },
	"kind":     func(f facilityItem) string { return f.kind },
}

// facilities returns the catalogue of the kinds, as resources, that q's
// filters select, in q's order (else the catalogue's).
func facilities(q keycard.ListQuery, kinds ...string) ([]resource, error) {
	var all []facilityItem
	for _, kind := range kinds {
		for _, f := range keycard.FacilityCatalogue(kind) {
			all = append(all, facilityItem{kind, f})
		}
	}
	list, err := listInMemory(q, all, facilityFields)
	if err != nil {
		return nil, err
	}
	out := make([]resource, 0, len(list))
	for _, f := range list {
		out = append(out, facilityResource(f.kind, f.Facility))
	}
	return out, nil
}

// listFacilities serves a page of a catalogue.
func (s *Server) listFacilities(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := listQuery(r)
		if err != nil {
			return err
		}
		all, err := facilities(q, kind)
		if err != nil {
			return err
		}
		from := min(len(all), q.Offset())
		return writeList(w, all[from:min(len(all), from+q.Limit)], len(all), q)
	}
}

// facilityOptions serves a whole catalogue, or both, unpaginated.
func (s *Server) facilityOptions(kinds ...string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := listQuery(r)
		if err != nil {
			return err
		}
		all, err := facilities(q, kinds...)
		if err != nil {
			return err
		}
		warnIgnored(w, q)
		return writeData(w, http.StatusOK, all)
	}
}
