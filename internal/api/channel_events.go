package api

import (
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

type channelEventAttributes struct {
	ID         string          `json:"id"`
	Event      string          `json:"event"`
	Status     string          `json:"status"`
	ChannelID  string          `json:"channel_id"`
	PropertyID string          `json:"property_id"`
	UserID     *string         `json:"user_id"`
	Payload    json.RawMessage `json:"payload"`
	ResolvedAt *string         `json:"resolved_at"`
	InsertedAt string          `json:"inserted_at"`
}

func channelEventResource(e *keycard.ChannelEvent) resource {
	payload := e.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	a := channelEventAttributes{ID: e.ID, Event: e.Type, Status: e.Status, ChannelID: e.ChannelID, PropertyID: e.PropertyID,
		UserID: nullable(e.UserID), Payload: payload, InsertedAt: timestamp(e.CreatedAt)}
	if !e.ResolvedAt.IsZero() {
		a.ResolvedAt = new(timestamp(e.ResolvedAt))
	}
	return resource{Type: "channel_event", ID: e.ID, Attributes: a, Relationships: relationships{
		"channel":  relation{ref{Type: "channel", ID: e.ChannelID}},
		"property": relation{ref{Type: "property", ID: e.PropertyID}},
	}}
}

type channelLogAttributes struct {
	ID             string  `json:"id"`
	ChannelID      string  `json:"channel_id"`
	ChannelEventID *string `json:"channel_event_id"`
	Method         string  `json:"method"`
	URL            string  `json:"url"`
	RequestID      *string `json:"request_id"`
	RequestBody    string  `json:"request_body"`
	StatusCode     int     `json:"status_code"`
	ResponseBody   string  `json:"response_body"`
	Error          *string `json:"error"`
	DurationMS     float64 `json:"duration_ms"`
	InsertedAt     string  `json:"inserted_at"`
}

func channelLogResource(l *keycard.ChannelLog) resource {
	return resource{Type: "channel_log", ID: l.ID, Attributes: channelLogAttributes{ID: l.ID, ChannelID: l.ChannelID,
		ChannelEventID: nullable(l.ChannelEventID), Method: l.Method, URL: l.URL, RequestID: nullable(l.RequestID),
		RequestBody: l.RequestBody, StatusCode: l.Status, ResponseBody: l.ResponseBody, Error: nullable(l.Error),
		DurationMS: float64(l.Duration.Microseconds()) / 1000, InsertedAt: timestamp(l.CreatedAt)}}
}

func (s *Server) listChannelEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListChannelEvents(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, e := range list {
		items = append(items, channelEventResource(e))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getChannelEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := s.store.ChannelEvent(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, channelEventResource(e))
}

func (s *Server) writeLogs(w http.ResponseWriter, r *http.Request, list func(q keycard.ListQuery) ([]*keycard.ChannelLog, int, error)) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	logs, total, err := list(q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(logs))
	for _, l := range logs {
		items = append(items, channelLogResource(l))
	}
	return writeList(w, items, total, q)
}

func (s *Server) listChannelEventLogs(w http.ResponseWriter, r *http.Request) error {
	return s.writeLogs(w, r, func(q keycard.ListQuery) ([]*keycard.ChannelLog, int, error) {
		return s.store.ChannelEventLogs(r.Context(), principal(r), r.PathValue("id"), q)
	})
}

func (s *Server) listChannelLogs(w http.ResponseWriter, r *http.Request) error {
	return s.writeLogs(w, r, func(q keycard.ListQuery) ([]*keycard.ChannelLog, int, error) {
		return s.store.ChannelLogs(r.Context(), principal(r), r.PathValue("id"), q)
	})
}

type channelRuleAttributes struct {
	ID                string   `json:"id"`
	PropertyID        string   `json:"property_id"`
	Title             string   `json:"title"`
	Type              string   `json:"type"`
	Value             int      `json:"value"`
	StartDate         string   `json:"start_date"`
	EndDate           *string  `json:"end_date"`
	Days              []string `json:"days"`
	AffectedChannels  []string `json:"affected_channels"`
	AffectedRoomTypes []string `json:"affected_room_types"`
	InsertedAt        string   `json:"inserted_at"`
	UpdatedAt         string   `json:"updated_at"`
}

func channelRuleResource(rule *keycard.ChannelAvailabilityRule) resource {
	days := []string{}
	for i, code := range keycard.WeekdayCodes {
		if rule.Days&(1<<i) != 0 {
			days = append(days, code)
		}
	}
	a := channelRuleAttributes{ID: rule.ID, PropertyID: rule.PropertyID, Title: rule.Title, Type: rule.Type, Value: rule.Value,
		StartDate: rule.StartDate.String(), Days: days, AffectedChannels: rule.ChannelIDs, AffectedRoomTypes: rule.RoomTypeIDs,
		InsertedAt: timestamp(rule.CreatedAt), UpdatedAt: timestamp(rule.UpdatedAt)}
	if rule.EndDate != 0 {
		a.EndDate = new(rule.EndDate.String())
	}
	return resource{Type: "channel_availability_rule", ID: rule.ID, Attributes: a,
		Relationships: relationships{"property": relation{ref{Type: "property", ID: rule.PropertyID}}}}
}

// channelRuleChange decodes a rule body into a change, typed but not
// judged (keycard's ChannelAvailabilityRule.Apply does that).
func channelRuleChange(f *fields) *keycard.ChannelRuleChange {
	c := &keycard.ChannelRuleChange{PropertyID: f.strPtrOrEmpty("property_id"), Title: f.strPtrOrEmpty("title"),
		Type: f.strPtrOrEmpty("type"), Value: f.intPtr("value"), StartDate: f.strPtrOrEmpty("start_date")}
	if f.has("end_date") {
		c.EndDateSent = true
		f.str("end_date", &c.EndDate)
	}
	var list []string
	if f.stringList("days", &list) {
		c.Days = &list
	}
	var channels, roomTypes []string
	if f.stringList("affected_channels", &channels) {
		c.AffectedChannels = &channels
	}
	if f.stringList("affected_room_types", &roomTypes) {
		c.AffectedRoomTypes = &roomTypes
	}
	return c
}

func (s *Server) listChannelRules(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListChannelRules(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, rule := range list {
		items = append(items, channelRuleResource(rule))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getChannelRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.store.ChannelRule(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, channelRuleResource(rule))
}

func (s *Server) createChannelRule(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "channel_availability_rule")
	if err != nil {
		return err
	}
	rule := &keycard.ChannelAvailabilityRule{}
	if err := rule.Apply(channelRuleChange(f), f.errs).Err(); err != nil {
		return err
	}
	out, err := s.store.CreateChannelRule(r.Context(), principal(r), rule)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, channelRuleResource(out))
}

func (s *Server) updateChannelRule(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "channel_availability_rule")
	if err != nil {
		return err
	}
	out, err := s.store.UpdateChannelRule(r.Context(), principal(r), r.PathValue("id"), channelRuleChange(f), f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, channelRuleResource(out))
}

func (s *Server) deleteChannelRule(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteChannelRule(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}
