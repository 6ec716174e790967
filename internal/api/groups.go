package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

func groupResource(g *keycard.Group) resource {
	props := make([]ref, 0, len(g.Properties))
	for _, p := range g.Properties {
		props = append(props, ref{Type: "property", ID: p.ID, Attributes: map[string]string{"id": p.ID, "title": p.Title}})
	}
	return resource{Type: "group", ID: g.ID,
		Attributes:    map[string]any{"id": g.ID, "title": g.Title, "is_default": g.IsDefault},
		Relationships: map[string]any{"properties": relation{props}},
	}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	groups, total, err := s.store.ListGroups(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(groups))
	for _, g := range groups {
		items = append(items, groupResource(g))
	}
	return writeList(w, items, total, q)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.store.Group(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, groupResource(g))
}

// groupTitle reads {"group":{"title":...}}.
func groupTitle(r *http.Request) (string, error) {
	f, err := decodeEnvelope(r, "group")
	if err != nil {
		return "", err
	}
	var title string
	f.str("title", &title)
	return title, f.errs.Err()
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	title, err := groupTitle(r)
	if err != nil {
		return err
	}
	g, err := s.store.CreateGroup(r.Context(), principal(r), title)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusCreated, groupResource(g))
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) error {
	title, err := groupTitle(r)
	if err != nil {
		return err
	}
	g, err := s.store.UpdateGroup(r.Context(), principal(r), r.PathValue("id"), title)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, groupResource(g))
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteGroup(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

func (s *Server) addGroupProperty(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.AddPropertyToGroup(r.Context(), principal(r), r.PathValue("group_id"), r.PathValue("property_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

func (s *Server) removeGroupProperty(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.RemovePropertyFromGroup(r.Context(), principal(r), r.PathValue("group_id"), r.PathValue("property_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}
