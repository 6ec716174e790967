package api

import (
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

type auditActor struct {
	Type string  `json:"type"`
	ID   *string `json:"id"`
}

type auditEventAttributes struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	OccurredAt string          `json:"occurred_at"`
	APIKeyID   *string         `json:"api_key_id"`
	UserID     *string         `json:"user_id"`
	Actor      auditActor      `json:"actor"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	Details    json.RawMessage `json:"details"`
}

// listAuditEvents is GET /api/v1/audit_events, newest first, filtered by
// filter[api_key_id], filter[event], filter[user_id] and
// filter[occurred_at][gte|lte]. The billing owner sees the organisation's
// events, another user those of their own keys and sign-ins. An API key
// cannot read the log: it would show a leaked key where it is watched from.
func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.ViaAPIKey() {
		return keycard.Errorf(keycard.EForbidden, "the audit log cannot be read with an API key; sign in as a user")
	}
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	events, total, err := s.store.ListAuditEvents(r.Context(), p, q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(events))
	for _, e := range events {
		items = append(items, resource{Type: "audit_event", ID: e.ID, Attributes: auditEventAttributes{
			ID: e.ID, Event: e.Event, OccurredAt: timestamp(e.OccurredAt), APIKeyID: nullable(e.APIKeyID), UserID: nullable(e.UserID),
			Actor: auditActor{Type: e.ActorType, ID: nullable(e.ActorID)}, IP: e.IP, UserAgent: e.UserAgent, Details: e.Details,
		}})
	}
	return writeList(w, items, total, q)
}
