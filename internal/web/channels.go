package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
)

// channelsView is the content of the Channels page: the channels of the
// properties the user reaches.
type channelsView struct {
	Channels   []channelRow
	Total      int
	Properties []*keycard.Property
	Form       *channelForm
	Notice     string
}

type channelRow struct {
	*keycard.Channel
	PropertyTitle string
}

// channelForm is the form that adds an Open Channel connection.
type channelForm struct {
	Title, PropertyID, Endpoint, APIKey, HotelCode string
	// Test is the answer to "Test connection", when asked.
	Test   *channelTest
	Errors keycard.FieldErrors
	Other  []string
}

type channelTest struct {
	OK     bool
	Reason string
}

func (s *Server) channelsView(r *http.Request) (*channelsView, error) {
	p := keycard.PrincipalFrom(r.Context())
	list, total, err := s.store.ListChannels(r.Context(), p, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit})
	if err != nil {
		return nil, err
	}
	props, err := s.store.PropertyOptions(r.Context(), p)
	if err != nil {
		return nil, err
	}
	titles := map[string]string{}
	for _, prop := range props {
		titles[prop.ID] = prop.Title
	}
	v := &channelsView{Total: total, Properties: props}
	for _, c := range list {
		v.Channels = append(v.Channels, channelRow{Channel: c, PropertyTitle: titles[c.PropertyID]})
	}
	return v, nil
}

func (s *Server) channelsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.channelsView(r)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "deleted":
		v.Notice = "The channel was deleted."
	}
	if r.URL.Query().Has("new") {
		v.Form = &channelForm{}
	}
	return s.render(w, r, http.StatusOK, "channels", page{Title: "Channels", Nav: "channels", Data: v})
}

// createChannel tests the connection described by the form (button
// "test") or saves it, inactive (button "create").
func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	form := &channelForm{Title: r.PostForm.Get("title"), PropertyID: r.PostForm.Get("property_id"),
		Endpoint: r.PostForm.Get("endpoint"), APIKey: r.PostForm.Get("api_key"), HotelCode: r.PostForm.Get("hotel_code")}
	c := &keycard.Channel{}
	change := &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), Title: &form.Title, PropertiesSent: true,
		Properties: []string{form.PropertyID}, SettingsSent: true, Settings: map[string]json.RawMessage{
			keycard.SettingEndpoint: jsonString(form.Endpoint), keycard.SettingAPIKey: jsonString(form.APIKey),
			keycard.SettingHotelCode: jsonString(form.HotelCode)}}
	fe := c.Apply(change, nil)
	if !fe.Has("settings.endpoint") {
		if err := s.channels.CheckEndpoint(r.Context(), c.Endpoint); err != nil {
			fe.Add("settings.endpoint", "is refused: "+err.Error())
		}
	}
	err := fe.Err()
	if err == nil && r.PostForm.Get("action") == "test" {
		_, terr := s.channels.TestConnection(r.Context(), connOf(c))
		form.Test = &channelTest{OK: terr == nil, Reason: reason(terr)}
	} else if err == nil {
		var out *keycard.Channel
		out, err = s.store.CreateChannel(r.Context(), keycard.PrincipalFrom(r.Context()), c, nil)
		if err == nil {
			http.Redirect(w, r, pathChannels+"/"+out.ID+"?done=created", http.StatusSeeOther)
			return nil
		}
	}
	if err != nil && keycard.ErrorCode(err) != keycard.EInvalid && keycard.ErrorCode(err) != keycard.ENotFound {
		return err
	}
	v, verr := s.channelsView(r)
	if verr != nil {
		return verr
	}
	// The key is not sent back: a page never shows a secret.
	form.APIKey = ""
	v.Form = form
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
		form.Errors, form.Other = formErrors(err)
	}
	return s.render(w, r, status, "channels", page{Title: "Channels", Nav: "channels", Data: v})
}

// formErrors splits an error into field messages and other messages.
func formErrors(err error) (keycard.FieldErrors, []string) {
	e, ok := errors.AsType[*keycard.Error](err)
	if !ok {
		return nil, []string{"The channel could not be saved."}
	}
	if e.Code == keycard.ENotFound {
		return nil, []string{"That property is not one you can reach."}
	}
	if details, ok := e.Details.(keycard.FieldErrors); ok {
		return details, nil
	}
	return nil, []string{e.Error()}
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func connOf(c *keycard.Channel) openchannel.Conn {
	return openchannel.Conn{Endpoint: c.Endpoint, APIKey: c.APIKey, HotelCode: c.HotelCode}
}

func reason(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*openchannel.Error](err); ok {
		return e.Reason
	}
	return openchannel.ReasonFailed
}

// channelView is the content of a channel's page.
type channelView struct {
	Channel       *keycard.Channel
	PropertyTitle string
	Readiness     []keycard.ReadinessError
	// Mapping is the table built from the channel's live mapping_details;
	// MappingError says why it could not be read.
	Mapping      []mappingRow
	MappingError string
	RatePlans    []*keycard.RatePlan
	Events       []*keycard.ChannelEvent
	Logs         []*keycard.ChannelLog
	Notice       string
	// Done names what just happened, for the notice's id.
	Done   string
	Errors []string
}

// mappingRow is one channel rate plan and what it maps to.
type mappingRow struct {
	Index                  int
	RoomTypeCode, RoomType string
	RatePlanCode, RatePlan string
	SellMode               string
	MaxPersons             int
	ReadOnly               bool
	Currency               string
	// MappedTo is the keycard rate plan, Occupancies the keycard
	// occupancies mapped.
	MappedTo    string
	Occupancies []int
}

// Occupancy is the mapped occupancy of a per-room row (0: none).
func (m mappingRow) Occupancy() int {
	if len(m.Occupancies) == 0 {
		return 0
	}
	return m.Occupancies[0]
}

func (s *Server) channelView(r *http.Request, id string) (*channelView, error) {
	p := keycard.PrincipalFrom(r.Context())
	c, err := s.store.Channel(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	v := &channelView{Channel: c, Readiness: c.Readiness()}
	props, err := s.store.PropertyOptions(r.Context(), p)
	if err != nil {
		return nil, err
	}
	for _, prop := range props {
		if prop.ID == c.PropertyID {
			v.PropertyTitle = prop.Title
		}
	}
	v.RatePlans, _, err = s.store.ListRatePlans(r.Context(), p, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit,
		Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{c.PropertyID}}}})
	if err != nil {
		return nil, err
	}
	byChannel := keycard.ListQuery{Page: 1, Limit: 20, Filters: []keycard.Filter{{Field: "channel_id", Op: keycard.OpEq, Values: []string{c.ID}}}}
	if v.Events, _, err = s.store.ListChannelEvents(r.Context(), p, byChannel); err != nil {
		return nil, err
	}
	if v.Logs, _, err = s.store.ChannelLogs(r.Context(), p, c.ID, keycard.ListQuery{Page: 1, Limit: 20}); err != nil {
		return nil, err
	}
	md, _, _, err := s.channels.MappingDetails(r.Context(), connOf(c))
	if err != nil {
		v.MappingError = reason(err)
		return v, nil
	}
	for _, rt := range md.RoomTypes {
		for _, rp := range rt.RatePlans {
			row := mappingRow{Index: len(v.Mapping), RoomTypeCode: rt.ID, RoomType: rt.Title, RatePlanCode: rp.ID, RatePlan: rp.Title,
				SellMode: rp.SellMode, MaxPersons: rp.MaxPersons, ReadOnly: rp.ReadOnly, Currency: rp.Currency}
			for _, m := range c.RatePlans {
				if m.RoomTypeCode == rt.ID && m.RatePlanCode == rp.ID {
					row.MappedTo = m.RatePlanID
					row.Occupancies = append(row.Occupancies, m.Occupancy)
				}
			}
			v.Mapping = append(v.Mapping, row)
		}
	}
	return v, nil
}

var channelNotices = map[string]string{
	"created":     "The channel was added, inactive. Map its rate plans, then activate it.",
	"mapped":      "The mapping was saved.",
	"activated":   "The channel is active: a full sync is on its way.",
	"deactivated": "The channel is inactive: nothing more is pushed to it.",
	"synced":      "A full sync is on its way.",
	"resolved":    "The unmapped booking is resolved: the channel's later bookings with those codes are mapped.",
}

func (s *Server) channelPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.channelView(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Done = r.URL.Query().Get("done")
	v.Notice = channelNotices[v.Done]
	return s.renderChannel(w, r, http.StatusOK, v)
}

func (s *Server) renderChannel(w http.ResponseWriter, r *http.Request, status int, v *channelView) error {
	return s.render(w, r, status, "channel", page{Title: v.Channel.Title, Nav: "channels", Data: v})
}

// channelAction runs one of a channel's actions, then shows its page.
func (s *Server) channelAction(w http.ResponseWriter, r *http.Request) error {
	p := keycard.PrincipalFrom(r.Context())
	id := r.PathValue("id")
	var err error
	done := ""
	switch r.PathValue("action") {
	case "test":
		c, err := s.store.Channel(r.Context(), p, id)
		if err != nil {
			return err
		}
		ex, terr := s.channels.TestConnection(r.Context(), connOf(c))
		if err := s.store.AddChannelExchange(r.Context(), c.ID, "test_connection", p.UserID, ex.Log(c.ID, "", time.Now())); err != nil {
			return err
		}
		v, err := s.channelView(r, id)
		if err != nil {
			return err
		}
		v.Notice, v.Done = "The channel accepts the connection.", "tested"
		if terr != nil {
			v.Notice, v.Errors = "", []string{"The channel refused the connection: " + reason(terr) + "."}
		}
		return s.renderChannel(w, r, http.StatusOK, v)
	case "activate":
		done = "activated"
		var c *keycard.Channel
		if c, err = s.store.Channel(r.Context(), p, id); err != nil {
			return err
		}
		var md *keycard.MappingDetails
		var ex openchannel.Exchange
		var merr error
		md, _, ex, merr = s.channels.MappingDetails(r.Context(), connOf(c))
		if err := s.store.AddChannelExchange(r.Context(), c.ID, "mapping_details", p.UserID, ex.Log(c.ID, "", time.Now())); err != nil {
			return err
		}
		if merr != nil {
			err = keycard.Invalid("settings", "the channel's mapping_details could not be read: "+reason(merr))
		} else {
			_, err = s.store.ActivateChannel(r.Context(), p, id, md)
		}
	case "deactivate":
		done = "deactivated"
		_, err = s.store.DeactivateChannel(r.Context(), p, id)
	case "sync":
		done = "synced"
		err = s.store.FullSyncChannel(r.Context(), p, id)
	case "delete":
		if err = s.store.DeleteChannel(r.Context(), p, id); err == nil {
			http.Redirect(w, r, pathChannels+"?done=deleted", http.StatusSeeOther)
			return nil
		}
	default:
		return keycard.NotFound()
	}
	return s.afterChannelChange(w, r, id, done, err)
}

// afterChannelChange shows the channel page with done's notice, or with
// the refusal when err is a validation error.
func (s *Server) afterChannelChange(w http.ResponseWriter, r *http.Request, id, done string, err error) error {
	if err == nil {
		http.Redirect(w, r, pathChannels+"/"+id+"?done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
	if keycard.ErrorCode(err) != keycard.EInvalid {
		return err
	}
	v, verr := s.channelView(r, id)
	if verr != nil {
		return verr
	}
	fe, other := formErrors(err)
	for field, msgs := range fe {
		for _, m := range msgs {
			v.Errors = append(v.Errors, field+": "+m)
		}
	}
	slices.Sort(v.Errors)
	v.Errors = append(v.Errors, other...)
	return s.renderChannel(w, r, http.StatusUnprocessableEntity, v)
}

// saveChannelMapping saves the mapping table: each channel rate plan
// (its codes in hidden fields) to a keycard rate plan and, for a
// per-room plan, the occupancy whose rate is pushed; a per-person plan
// maps every occupancy the keycard plan has, up to the channel's
// max_persons.
func (s *Server) saveChannelMapping(w http.ResponseWriter, r *http.Request) error {
	p := keycard.PrincipalFrom(r.Context())
	id := r.PathValue("id")
	c, err := s.store.Channel(r.Context(), p, id)
	if err != nil {
		return err
	}
	md, _, _, merr := s.channels.MappingDetails(r.Context(), connOf(c))
	if merr != nil {
		return s.afterChannelChange(w, r, id, "", keycard.Invalid("mapping", "the channel's mapping_details could not be read: "+reason(merr)))
	}
	plans, _, err := s.store.ListRatePlans(r.Context(), p, keycard.ListQuery{Page: 1, Limit: keycard.MaxLimit,
		Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{c.PropertyID}}}})
	if err != nil {
		return err
	}
	options := map[string][]int{}
	for _, rp := range plans {
		for _, o := range rp.Options {
			options[rp.ID] = append(options[rp.ID], o.Occupancy)
		}
	}
	change := &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), RatePlansSent: true, RatePlans: []keycard.ChannelRatePlanChange{}}
	add := func(ratePlanID, room, plan string, occ int) {
		change.RatePlans = append(change.RatePlans, keycard.ChannelRatePlanChange{RatePlanID: ratePlanID, Settings: map[string]json.RawMessage{
			keycard.RateParamRoomTypeCode: jsonString(room), keycard.RateParamRatePlanCode: jsonString(plan),
			keycard.RateParamOccupancy: json.RawMessage(strconv.Itoa(occ))}})
	}
	i := 0
	for _, rt := range md.RoomTypes {
		for _, rp := range rt.RatePlans {
			field := "map." + strconv.Itoa(i)
			i++
			target := strings.TrimSpace(r.PostForm.Get(field + ".rate_plan"))
			if target == "" {
				continue
			}
			if rp.SellMode == keycard.ChannelPerPerson {
				for _, occ := range options[target] {
					if rp.MaxPersons == 0 || occ <= rp.MaxPersons {
						add(target, rt.ID, rp.ID, occ)
					}
				}
				continue
			}
			occ, _ := strconv.Atoi(r.PostForm.Get(field + ".occupancy"))
			if occ == 0 && len(options[target]) > 0 {
				occ = slices.Max(options[target])
			}
			add(target, rt.ID, rp.ID, occ)
		}
	}
	_, err = s.store.UpdateChannel(r.Context(), p, id, change, nil, md)
	return s.afterChannelChange(w, r, id, "mapped", err)
}
