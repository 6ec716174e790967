package api

import (
	"net/http"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// memberRoutes describes one of the two membership resources, which share
// their handlers: property users and group users.
type memberRoutes struct {
	path     string // property_users
	typ      string // property_user
	target   string // property (the relationship name)
	kind     store.MemberKind
	bodyRoot string // property_user, the root of an update body
}

var (
	propertyUserRoutes = memberRoutes{path: "property_users", typ: "property_user", target: "property", kind: store.PropertyUsers, bodyRoot: "property_user"}
	groupUserRoutes    = memberRoutes{path: "group_users", typ: "group_user", target: "group", kind: store.GroupUsers, bodyRoot: "group_user"}
)

func (m memberRoutes) resource(mb *keycard.Membership) resource {
	field := m.kind.TargetField()
	return resource{Type: m.typ, ID: mb.ID,
		Attributes: map[string]any{"id": mb.ID, field: mb.TargetID, "user_id": mb.UserID, "role": mb.Role, "overrides": mb.Overrides},
		Relationships: map[string]any{
			m.target: relation{ref{Type: m.target, ID: mb.TargetID}},
			// Channex's documentation gives the user's email and name
			// beside its id, its answers give them in attributes: both.
			"user": relation{map[string]any{"type": "user", "id": mb.UserID, "email": mb.UserEmail, "name": mb.UserName,
				"attributes": map[string]string{"id": mb.UserID, "email": mb.UserEmail, "name": mb.UserName}}},
		},
	}
}

func (s *Server) listMembers(m memberRoutes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := listQuery(r)
		if err != nil {
			return err
		}
		list, total, err := s.store.ListMembers(r.Context(), m.kind, principal(r), q)
		if err != nil {
			return err
		}
		items := make([]resource, 0, len(list))
		for _, mb := range list {
			items = append(items, m.resource(mb))
		}
		if err := s.relate(r, items...); err != nil {
			return err
		}
		return writeList(w, items, total, q)
	}
}

func (s *Server) getMember(m memberRoutes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		mb, err := s.store.Member(r.Context(), m.kind, principal(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		return s.writeRelated(w, r, http.StatusOK, m.resource(mb))
	}
}

// inviteMember is POST with {"invite":{"<target>_id","user_email","role","overrides"}}.
func (s *Server) inviteMember(m memberRoutes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := decodeEnvelope(r, "invite")
		if err != nil {
			return err
		}
		var target, email, role string
		f.str(m.kind.TargetField(), &target)
		f.str("user_email", &email)
		f.str("role", &role)
		if err := f.errs.Err(); err != nil {
			return err
		}
		mb, err := s.store.Invite(r.Context(), m.kind, principal(r), strings.ToLower(strings.TrimSpace(target)), email, role, f.raw("overrides"))
		if err != nil {
			return err
		}
		return s.writeRelated(w, r, http.StatusCreated, m.resource(mb))
	}
}

// updateMember is PUT with {"<type>":{"role","overrides"}}; nothing else
// of a membership can change.
func (s *Server) updateMember(m memberRoutes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := decodeEnvelope(r, m.bodyRoot)
		if err != nil {
			return err
		}
		role := f.strPtr("role")
		if err := f.errs.Err(); err != nil {
			return err
		}
		mb, err := s.store.UpdateMember(r.Context(), m.kind, principal(r), r.PathValue("id"), role, f.raw("overrides"))
		if err != nil {
			return err
		}
		return s.writeRelated(w, r, http.StatusOK, m.resource(mb))
	}
}

func (s *Server) deleteMember(m memberRoutes) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.store.DeleteMember(r.Context(), m.kind, principal(r), r.PathValue("id")); err != nil {
			return err
		}
		return writeSuccess(w)
	}
}
