package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// taskResource renders a task: what one ARI write did to one property,
// or how one booking change moved availability.
func taskResource(t *keycard.Task) resource {
	warnings := make([]keycard.FieldErrors, 0, len(t.Warnings))
	warnings = append(warnings, t.Warnings...)
	ids := func(list []string) []string {
		if list == nil {
			return []string{}
		}
		return list
	}
	a := map[string]any{
		"id": t.ID, "type": t.Type, "property_id": t.PropertyID, "state": t.State,
		"user_id": t.UserID, "api_key_id": nullable(t.APIKeyID),
		"values_count": t.Values, "date_from": t.DateFrom.String(), "date_to": t.DateTo.String(),
		"room_type_ids": ids(t.RoomTypeIDs), "rate_plan_ids": ids(t.RatePlanIDs),
		"booking_id": nullable(t.BookingID), "booking_revision_id": nullable(t.RevisionID),
		"warnings": warnings, "inserted_at": timestamp(t.InsertedAt),
	}
	return resource{Type: "task", ID: t.ID, Attributes: a, Relationships: map[string]any{
		"property": relation{ref{Type: "property", ID: t.PropertyID}},
	}}
}

// listTasks is GET /tasks: filter[property_id], filter[type],
// filter[inserted_at][gte|lte], newest first.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListTasks(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, t := range list {
		items = append(items, taskResource(t))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.Task(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, taskResource(t))
}
