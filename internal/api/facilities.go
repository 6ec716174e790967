package api

import (
	"net/http"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

func facilityResource(kind string, f keycard.Facility) resource {
	return resource{Type: "facility", ID: f.ID, Attributes: map[string]string{
		"id": f.ID, "category": f.Category, "title": f.Title, "kind": kind,
	}}
}

// facilityFilter reads the filters a facility list takes (id, category
// and title, each a list of values), refusing any other.
func facilityFilter(q keycard.ListQuery) (func(keycard.Facility) bool, error) {
	for _, f := range q.Filters {
		if f.Op != keycard.OpEq || (f.Field != "id" && f.Field != "category" && f.Field != "title") {
			return nil, keycard.Errorf(keycard.EBadRequest, "filter[%s] is not supported here; filter facilities by id, category or title", f.Field)
		}
	}
	if len(q.Order) > 0 {
		return nil, keycard.Errorf(keycard.EBadRequest, "facilities come in catalogue order; order[...] is not supported here")
	}
	return func(fac keycard.Facility) bool {
		for field, v := range map[string]string{"id": fac.ID, "category": fac.Category, "title": fac.Title} {
			if vals := q.Values(field); vals != nil && !slices.Contains(vals, v) {
				return false
			}
		}
		return true
	}, nil
}

// facilities returns the catalogue of the kinds, as resources, that q's
// filters select.
func facilities(q keycard.ListQuery, kinds ...string) ([]resource, error) {
	keep, err := facilityFilter(q)
	if err != nil {
		return nil, err
	}
	out := []resource{}
	for _, kind := range kinds {
		for _, f := range keycard.FacilityCatalogue(kind) {
			if keep(f) {
				out = append(out, facilityResource(kind, f))
			}
		}
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
		return writeData(w, http.StatusOK, all)
	}
}
