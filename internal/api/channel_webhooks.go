package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// channelInboundRoutes registers what channels call (spec §1.8–1.10),
// authenticated by the connection's inbound key in the api-key header,
// and the user routes of inbound bookings: rolling that key and resolving
// an unmapped booking.
func (s *Server) channelInboundRoutes(mux *routeMux) {
	const base = "POST /api/v1/channel_webhooks/open_channel/"
	mux.Handle(base+"new_booking", s.public(s.channelNewBooking))
	mux.Handle(base+"booking_availability_check", s.public(s.channelAvailabilityCheck))
	mux.Handle(base+"request_full_sync", s.public(s.channelRequestFullSync))
	mux.Handle("POST /api/v1/channels/{id}/roll_inbound_key", s.writes(keycard.FamilyChannels, s.rollInboundKey))
	mux.Handle("POST /api/v1/channel_events/{id}/resolve", s.writes(keycard.FamilyChannels, s.resolveChannelEvent))
}

// inboundChannel authenticates a channel's request and checks the hotel
// it names: a valid key for another connection's hotel code is a 404, as
// an unknown hotel is, and counts toward the failure throttle.
func (s *Server) inboundChannel(r *http.Request, h ocHead) (*store.InboundChannel, error) {
	if len(r.Header.Values("api-key")) > 1 {
		return nil, keycard.Errorf(keycard.EBadRequest, "The api-key header is given more than once; send one key")
	}
	ch, err := s.auth.ChannelKey(r.Context(), strings.TrimSpace(r.Header.Get("api-key")))
	if err != nil {
		return nil, err
	}
	if h.HotelCode != "" && h.HotelCode != ch.HotelCode {
		return nil, s.auth.ChannelRefused(r.Context(), keycard.Errorf(keycard.ENotFound, "no channel connection has this hotel_code for this key"))
	}
	return ch, nil
}

// channelBody reads a channel's request: its object under root (the body
// itself when root is ""), after the api-key was checked, so that an
// unknown caller learns nothing of what a body should be.
func (s *Server) channelBody(r *http.Request, root string) (*fields, ocHead, *store.InboundChannel, json.RawMessage, error) {
	body, err := readBody(r)
	if err != nil {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return nil, ocHead{}, nil, nil, kerr
		}
		return nil, ocHead{}, nil, nil, err
	}
	if !json.Valid(body) {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return nil, ocHead{}, nil, nil, kerr
		}
		return nil, ocHead{}, nil, nil, errNotAnObject()
	}
	raw := json.RawMessage(body)
	if root != "" {
		env, _ := readFields(body)
		var ok bool
		if raw, ok = env.get(root); !ok || isNull(raw) {
			if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
				return nil, ocHead{}, nil, nil, kerr
			}
			return nil, ocHead{}, nil, nil, keycard.Errorf(keycard.EBadRequest, "the body must be a JSON object with a %q member", root)
		}
	}
	f, ok := readFields(raw)
	if !ok {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return nil, ocHead{}, nil, nil, kerr
		}
		return nil, ocHead{}, nil, nil, keycard.Invalid(cmpOr(root, "body"), "must be an object")
	}
	h := openChannelHead(f)
	ch, err := s.inboundChannel(r, h)
	if err != nil {
		return nil, ocHead{}, nil, nil, err
	}
	return f, h, ch, raw, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// channelNewBooking is POST /channel_webhooks/open_channel/new_booking: a
// channel pushes a new, modified or cancelled booking, which becomes a
// revision exactly as a Booking CRS push does.
func (s *Server) channelNewBooking(w http.ResponseWriter, r *http.Request) error {
	f, h, ch, raw, err := s.channelBody(r, "booking")
	if err != nil {
		return err
	}
	bw := openChannelBooking(f, h)
	bw.PropertyID = ch.PropertyID
	bw.Channel.Channel, bw.Channel.Hash = ch, pushHash(raw)
	b, err := s.store.SaveBooking(r.Context(), ch.Principal(), bw)
	if err != nil {
		return err
	}
	type bookingRef struct {
		ID         string `json:"id"`
		UniqueID   string `json:"unique_id"`
		RevisionID string `json:"revision_id"`
	}
	writeJSON(w, http.StatusOK, struct {
		Success  bool         `json:"success"`
		Bookings []bookingRef `json:"bookings"`
	}{true, []bookingRef{{b.ID, b.UniqueID, b.RevisionID}}})
	return nil
}

// channelAvailabilityCheck is POST .../booking_availability_check: one
// booking ({"booking": {...}}) or a batch ({"bookings": [...]}, or a list
// under "booking"), each answered with whether its rooms can be sold. It
// stores nothing and holds nothing.
func (s *Server) channelAvailabilityCheck(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return kerr
		}
		return err
	}
	if !json.Valid(body) {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return kerr
		}
		return errNotAnObject()
	}
	env, _ := readFields(body)
	var items []json.RawMessage
	batch := false
	if raw, ok := env.get("bookings"); ok && !isNull(raw) {
		batch = true
		if json.Unmarshal(raw, &items) != nil {
			items = nil
		}
	} else if raw, ok := env.get("booking"); ok && !isNull(raw) {
		if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "[") {
			batch = true
			if json.Unmarshal(raw, &items) != nil {
				items = nil
			}
		} else {
			items = []json.RawMessage{raw}
		}
	}
	if len(items) == 0 {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return kerr
		}
		return keycard.Errorf(keycard.EBadRequest, `the body must be {"booking": {...}} or a batch {"bookings": [{...}, ...]}`)
	}
	if len(items) > keycard.MaxBookingRooms {
		return keycard.Invalid("bookings", "must have at most 100 bookings")
	}
	var ch *store.InboundChannel
	stays := make([]store.ChannelStay, 0, len(items))
	allErrs := keycard.FieldErrors{}
	for i, item := range items {
		f, ok := readFields(item)
		prefix := ""
		if batch {
			prefix = "bookings[" + strconv.Itoa(i) + "]."
		}
		if !ok {
			allErrs.Add(strings.TrimSuffix(prefix, ".")+"booking", "must be an object")
			continue
		}
		h := openChannelHead(f)
		if ch == nil {
			if ch, err = s.inboundChannel(r, h); err != nil {
				return err
			}
		} else if h.HotelCode != "" && h.HotelCode != ch.HotelCode {
			return s.auth.ChannelRefused(r.Context(), keycard.Errorf(keycard.ENotFound, "no channel connection has this hotel_code for this key"))
		}
		switch h.Status {
		case keycard.StatusNew, "commit":
		case "":
			if !f.errs.Has("status") {
				f.errs.Add("status", keycard.MsgBlank)
			}
		default:
			f.errs.Add("status", "must be new or commit: an availability check is for a booking not made yet")
		}
		// The rest is read as a new booking's push is (the status judged
		// above).
		h.Status = keycard.StatusNew
		bw := openChannelRead(f, h, true)
		var st store.ChannelStay
		var dok bool
		if bw.Change.ArrivalDate != nil {
			st.Arrival, dok = keycard.ParseDate(*bw.Change.ArrivalDate)
			if !dok {
				f.errs.Add("arrival_date", keycard.MsgDate)
			}
		}
		if bw.Change.DepartureDate != nil {
			st.Departure, dok = keycard.ParseDate(*bw.Change.DepartureDate)
			if !dok {
				f.errs.Add("departure_date", keycard.MsgDate)
			}
		}
		if st.Arrival == 0 || st.Departure <= st.Arrival {
			f.errs.Add("departure_date", "must be after arrival_date")
		}
		if len(bw.Channel.Rooms) == 0 {
			f.errs.Add("rooms", keycard.MsgBlank)
		}
		st.Rooms = bw.Channel.Rooms
		for k, msgs := range f.errs {
			// Prices and guests are not checked: only what the check reads.
			if k == "currency" || k == "customer" || k == "guarantee" {
				continue
			}
			for _, m := range msgs {
				allErrs.Add(prefix+k, m)
			}
		}
		stays = append(stays, st)
	}
	if ch == nil {
		if _, kerr := s.inboundChannel(r, ocHead{}); kerr != nil {
			return kerr
		}
	}
	if err := allErrs.Err(); err != nil {
		return err
	}
	if !ch.IsActive {
		return keycard.Errorf(keycard.EForbidden, "the channel is not active: it takes no new bookings")
	}
	res, err := s.store.CheckChannelStays(r.Context(), ch, stays)
	if err != nil {
		return err
	}
	type roomAnswer struct {
		Index        int    `json:"index"`
		RoomTypeCode string `json:"room_type_code"`
		RatePlanCode string `json:"rate_plan_code"`
		Available    bool   `json:"available"`
	}
	type bookingAnswer struct {
		Index     int          `json:"index"`
		Available bool         `json:"available"`
		Rooms     []roomAnswer `json:"rooms"`
	}
	all := true
	answers := make([]bookingAnswer, len(stays))
	for i, st := range stays {
		a := bookingAnswer{Index: i, Available: true, Rooms: []roomAnswer{}}
		for j, codes := range st.Rooms {
			a.Rooms = append(a.Rooms, roomAnswer{j, codes.RoomTypeCode, codes.RatePlanCode, res[i][j]})
			a.Available = a.Available && res[i][j]
		}
		all = all && a.Available
		answers[i] = a
	}
	if batch {
		writeJSON(w, http.StatusOK, struct {
			Success   bool            `json:"success"`
			Available bool            `json:"available"`
			Bookings  []bookingAnswer `json:"bookings"`
		}{true, all, answers})
		return nil
	}
	writeJSON(w, http.StatusOK, struct {
		Success   bool         `json:"success"`
		Available bool         `json:"available"`
		Rooms     []roomAnswer `json:"rooms"`
	}{true, all, answers[0].Rooms})
	return nil
}

// channelRequestFullSync is POST .../request_full_sync with
// {"provider_code", "hotel_code"}: the connection's ARI is sent to it
// again in full, in the background.
func (s *Server) channelRequestFullSync(w http.ResponseWriter, r *http.Request) error {
	f, _, ch, _, err := s.channelBody(r, "")
	if err != nil {
		return err
	}
	if err := f.errs.Err(); err != nil {
		return err
	}
	if !ch.IsActive {
		return keycard.Errorf(keycard.EForbidden, "the channel is not active: activate it to have its ARI sent")
	}
	if err := s.store.RequestChannelFullSync(r.Context(), ch); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Success bool `json:"success"`
	}{true})
	return nil
}

// rollInboundKey is POST /channels/:id/roll_inbound_key: the connection
// gets a new inbound key, shown in this answer only; the old one stops
// working at once.
func (s *Server) rollInboundKey(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	key, err := s.store.RollInboundKey(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, resource{Type: "channel", ID: id, Attributes: map[string]any{
		"id": id, "inbound_api_key": key,
	}})
}

// resolveChannelEvent is POST /channel_events/:id/resolve for an open
// unmapped_booking event: {"solutions": [{"room_type_code", "rate_plan_code",
// "room_type_id", "rate_plan_id"}]} records each as a manual known mapping
// of the event's channel, which resolves the codes of the bookings the
// channel pushes from then on, and closes the event. The booking that
// opened it stays as it was stored; the PMS has it in the feed.
func (s *Server) resolveChannelEvent(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		return errNotAnObject()
	}
	env, _ := readFields(body)
	var in []struct {
		RoomTypeCode string  `json:"room_type_code"`
		RatePlanCode string  `json:"rate_plan_code"`
		RoomTypeID   *string `json:"room_type_id"`
		RatePlanID   *string `json:"rate_plan_id"`
	}
	raw, ok := env.get("solutions")
	if !ok || isNull(raw) || json.Unmarshal(raw, &in) != nil || len(in) == 0 {
		return keycard.Invalid("solutions", "must be a list of {room_type_code, rate_plan_code, room_type_id, rate_plan_id}")
	}
	sols := make([]keycard.KnownMapping, 0, len(in))
	for _, sv := range in {
		k := keycard.KnownMapping{RoomTypeCode: sv.RoomTypeCode, RatePlanCode: sv.RatePlanCode}
		if sv.RoomTypeID != nil {
			k.RoomTypeID = strings.ToLower(strings.TrimSpace(*sv.RoomTypeID))
		}
		if sv.RatePlanID != nil {
			k.RatePlanID = strings.ToLower(strings.TrimSpace(*sv.RatePlanID))
		}
		sols = append(sols, k)
	}
	ev, known, err := s.store.ResolveChannelEvent(r.Context(), principal(r), r.PathValue("id"), sols)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, resource{Type: "channel_event", ID: ev.ID, Attributes: map[string]any{
		"id": ev.ID, "type": ev.Type, "status": ev.Status, "payload": rawObject(ev.Payload),
		"resolved_at": timestamp(ev.ResolvedAt), "known_mappings": knownMappingsView(known),
	}})
}

// knownMappingView is a known mapping as GET /channels/:id and the
// resolve answer show it.
type knownMappingView struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	RoomTypeCode string  `json:"room_type_code"`
	RatePlanCode string  `json:"rate_plan_code"`
	RoomTypeID   string  `json:"room_type_id"`
	RatePlanID   *string `json:"rate_plan_id"`
}

func knownMappingsView(list []keycard.KnownMapping) []resource {
	out := make([]resource, 0, len(list))
	for _, k := range list {
		out = append(out, resource{Type: "known_mapping", ID: k.ID, Attributes: knownMappingView{
			ID: k.ID, Type: k.Type, RoomTypeCode: k.RoomTypeCode, RatePlanCode: k.RatePlanCode, RoomTypeID: k.RoomTypeID,
			RatePlanID: nullable(k.RatePlanID)}})
	}
	return out
}
