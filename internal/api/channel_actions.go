package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
)

func (s *Server) activateChannel(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	c, err := s.store.Channel(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var md *keycard.MappingDetails
	if !c.IsActive && len(c.Readiness()) == 0 {
		// The channel's own description of its plans is read afresh: it
		// decides what is pushed (per room or per person, read-only).
		var ex openchannel.Exchange
		md, _, ex, err = s.channels.MappingDetails(r.Context(), connOf(c))
		if lerr := s.logExchange(r, c.ID, "mapping_details", ex); lerr != nil {
			return lerr
		}
		if err != nil {
			s.logChannelCause(w, err)
			return keycard.Invalid("settings", "the channel's mapping_details could not be read: "+reason(err, ex))
		}
	}
	if _, err := s.store.ActivateChannel(r.Context(), p, c.ID, md); err != nil {
		return err
	}
	return writeMessage(w, "Channel activated")
}

func (s *Server) deactivateChannel(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.DeactivateChannel(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeMessage(w, "Channel deactivated")
}

func (s *Server) fullSyncChannel(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.FullSyncChannel(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeMessage(w, "Full sync queued")
}

// checkChannelReadiness answers why the channel cannot be activated, in
// Channex's shape; it changes nothing, so a read-only key may ask.
func (s *Server) checkChannelReadiness(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Channel(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	type item struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Entity    string `json:"entity"`
		Relation  string `json:"relation"`
		ErrorCode string `json:"error_code"`
	}
	items := []item{}
	for _, e := range c.Readiness() {
		items = append(items, item{e.ID, "entity", e.Entity, e.Relation, e.ErrorCode})
	}
	msg := "Channel is ready"
	if len(items) > 0 {
		msg = "Channel is not ready"
	}
	writeJSON(w, http.StatusOK, struct {
		Data []item      `json:"data"`
		Meta messageMeta `json:"meta"`
	}{items, messageMeta{msg}})
	return nil
}

// probeChannel reads a probe body, {"channel": "OpenChannel", "settings":
// {...}} (or the same inside a "channel" object), optionally naming a
// channel_id whose stored settings fill what the body leaves out (an
// api_key sent as keycard.MaskedValue or not at all: the stored one).
func (s *Server) probeChannel(r *http.Request) (*keycard.Channel, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, errNotAnObject()
	}
	f, _ := readFields(body)
	if raw := f.raw("channel"); len(raw) > 0 && raw[0] == '{' {
		f, _ = readFields(raw)
	}
	c := &keycard.Channel{}
	var id string
	f.str("channel_id", &id)
	if id != "" {
		stored, err := s.store.Channel(r.Context(), principal(r), id)
		if err != nil {
			return nil, err
		}
		c = stored
	}
	ch := channelChange(f)
	if ch.Adapter != nil && *ch.Adapter != keycard.AdapterOpenChannel {
		f.errs.Add("channel", "must be "+keycard.AdapterOpenChannel+", the one adapter keycard speaks")
	} else if ch.Adapter == nil && id == "" {
		f.errs.Add("channel", "can't be blank")
	}
	if ch.SettingsSent && !f.errs.Has("settings") {
		if _, ok := ch.Settings[keycard.SettingAPIKey]; !ok && id != "" {
			ch.Settings[keycard.SettingAPIKey] = jsonString(keycard.MaskedValue)
		}
	} else if id == "" && !f.errs.Has("settings") {
		f.errs.Add("settings", "can't be blank")
	}
	// Only the settings matter to a probe.
	fe := f.errs
	if ch.SettingsSent && !fe.Has("settings") {
		fe = c.ApplySettings(ch.Settings, fe)
	}
	s.checkEndpoint(r, c.Endpoint, fe)
	return c, fe.Err()
}

type probeResult struct {
	Success bool `json:"success"`
	Errors  any  `json:"errors"`
}

// channelTestConnection calls the channel's test_connection/ with the
// settings given; a channel that refuses or cannot be reached is still a
// 200, with success false and the reason.
func (s *Server) channelTestConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.probeChannel(r)
	if err != nil {
		return err
	}
	ex, err := s.channels.TestConnection(r.Context(), connOf(c))
	if lerr := s.logExchange(r, c.ID, "test_connection", ex); lerr != nil {
		return lerr
	}
	res := probeResult{Success: err == nil}
	if err != nil {
		s.logChannelCause(w, err)
		res.Errors = reason(err, ex)
	}
	return writeData(w, http.StatusOK, res)
}

// channelMappingDetails relays the channel's mapping_details, as the
// channel answered it; a channel that refuses or cannot be reached is
// still a 200, with success false and the reason.
func (s *Server) channelMappingDetails(w http.ResponseWriter, r *http.Request) error {
	c, err := s.probeChannel(r)
	if err != nil {
		return err
	}
	_, raw, ex, err := s.channels.MappingDetails(r.Context(), connOf(c))
	if lerr := s.logExchange(r, c.ID, "mapping_details", ex); lerr != nil {
		return lerr
	}
	if err != nil {
		s.logChannelCause(w, err)
		return writeData(w, http.StatusOK, probeResult{Errors: reason(err, ex)})
	}
	return writeData(w, http.StatusOK, raw)
}

// logExchange keeps an exchange with a saved channel (channelID not
// empty) in its channel log, as an event of type typ.
func (s *Server) logExchange(r *http.Request, channelID, typ string, ex openchannel.Exchange) error {
	if channelID == "" {
		return nil
	}
	return s.store.AddChannelExchange(r.Context(), channelID, typ, principal(r).UserID, ex.Log(channelID, "", time.Now()))
}

// reason is what a failed call to a channel is reported as: never an
// address or a key.
func reason(err error, ex openchannel.Exchange) string {
	if ex.Error != "" {
		return ex.Error
	}
	if e, ok := errors.AsType[*openchannel.Error](err); ok {
		return e.Reason
	}
	return openchannel.ReasonFailed
}

// logChannelCause puts the cause of a failed call into the access log.
func (s *Server) logChannelCause(w http.ResponseWriter, err error) {
	if cause := errors.Unwrap(err); cause != nil {
		handler.AddLogAttrs(w, slog.String("channel_error", cause.Error()))
	}
}

// The OpenChannel adapter, as GET /channels/list describes it.
type adapterParam struct {
	Position int    `json:"position"`
	Type     string `json:"type"`
	Title    string `json:"title"`
}

type channelAdapter struct {
	Code            string                  `json:"code"`
	Title           string                  `json:"title"`
	Kind            string                  `json:"kind"`
	Params          map[string]adapterParam `json:"params"`
	RateParams      map[string]adapterParam `json:"rate_params"`
	Actions         []string                `json:"actions"`
	MappingMode     string                  `json:"mapping_mode"`
	MessageSupport  bool                    `json:"message_support"`
	PropertyMapping string                  `json:"property_mapping"`
}

var openChannelAdapter = channelAdapter{
	Code: keycard.AdapterOpenChannel, Title: "Open Channel", Kind: "ota",
	Params: map[string]adapterParam{
		keycard.SettingEndpoint:  {0, "string", "Endpoint"},
		keycard.SettingAPIKey:    {1, "password", "API Key"},
		keycard.SettingHotelCode: {2, "string", "Hotel Code"},
	},
	RateParams: map[string]adapterParam{
		keycard.RateParamRoomTypeCode: {0, "string", "Room Type Code"},
		keycard.RateParamRatePlanCode: {1, "string", "Rate Plan Code"},
		keycard.RateParamOccupancy:    {2, "integer", "Occupancy"},
	},
	Actions: []string{}, MappingMode: "room_rate_multioccupancy", PropertyMapping: "single",
}

func (s *Server) channelAdapters(w http.ResponseWriter, r *http.Request) error {
	return writeData(w, http.StatusOK, []channelAdapter{openChannelAdapter})
}

func (s *Server) channelCodes(w http.ResponseWriter, r *http.Request) error {
	type code struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	return writeData(w, http.StatusOK, []code{{keycard.AdapterOpenChannel, "Open Channel"}})
}
