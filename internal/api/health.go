package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

// propertiesHealth answers, per property in reach, whether its set-up is
// complete: room types, rate plans, and ARI for the next 365 days.
func (s *Server) propertiesHealth(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.PropertiesHealth(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, h := range list {
		issues := h.Issues()
		items = append(items, resource{Type: "property_health", ID: h.PropertyID, Attributes: map[string]any{
			"property_id": h.PropertyID, "title": h.Title, "room_types": h.RoomTypes, "rate_plans": h.RatePlans,
			"has_room_types": h.RoomTypes > 0, "has_rate_plans": h.RatePlans > 0,
			"has_ari":           h.RoomTypes > 0 && h.RatePlans > 0 && h.AvailabilityDays == keycard.HealthDays && h.RateDays == keycard.HealthDays,
			"availability_days": h.AvailabilityDays, "rate_days": h.RateDays,
			"from": h.From.String(), "to": h.To.String(), "issues": issues,
		}, Relationships: map[string]any{"property": relation{ref{Type: "property", ID: h.PropertyID,
			Attributes: newTitleAttributes(h.PropertyID, h.Title, true)}}}})
	}
	return writeList(w, items, total, q)
}
