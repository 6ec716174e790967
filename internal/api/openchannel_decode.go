package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// ocHead is what every Open Channel request names: the provider and the
// channel-side hotel; and for a booking, its status and reservation id.
type ocHead struct {
	Status, ProviderCode, HotelCode, ReservationID string
}

// ocProvider is the provider_code keycard takes pushes from: the Open
// Channel protocol's own.
const ocProvider = "OpenChannel"

// openChannelHead reads the members every Open Channel request names,
// recording what is missing or wrong.
func openChannelHead(f *fields) ocHead {
	var h ocHead
	f.str("provider_code", &h.ProviderCode)
	f.str("hotel_code", &h.HotelCode)
	f.str("status", &h.Status)
	if h.ProviderCode == "" && !f.errs.Has("provider_code") {
		f.errs.Add("provider_code", keycard.MsgBlank)
	} else if h.ProviderCode != "" && !strings.EqualFold(h.ProviderCode, ocProvider) {
		f.errs.Add("provider_code", "is not a provider keycard takes bookings from ("+ocProvider+")")
	}
	if h.HotelCode == "" && !f.errs.Has("hotel_code") {
		f.errs.Add("hotel_code", keycard.MsgBlank)
	}
	if raw := f.raw("reservation_id"); raw != nil && !isNull(raw) {
		var n json.Number
		if json.Unmarshal(raw, &h.ReservationID) != nil {
			if json.Unmarshal(raw, &n) != nil {
				f.errs.Add("reservation_id", "must be a string")
			}
			h.ReservationID = n.String()
		}
		h.ReservationID = strings.TrimSpace(h.ReservationID)
		if len(h.ReservationID) > 255 || !keycard.ValidText(h.ReservationID) {
			f.errs.Add("reservation_id", "must be text of at most 255 characters")
		}
	}
	return h
}

// openChannelBooking decodes an Open Channel booking (spec §1.8) into a
// booking write: the same change a Booking CRS push makes, judged by the
// same rules (keycard.Booking.Apply), with the codes of each room kept
// aside for the store to resolve through the connection's mappings. A
// push is the booking as a whole: what it leaves out is cleared, except
// the guarantee, which a modification that does not repeat the card
// keeps. A full card number is masked here, as Channex masks the cards
// pushed to its non-secure host, and never goes further; the CVV is
// dropped.
func openChannelBooking(f *fields, h ocHead) store.BookingWrite { return openChannelRead(f, h, false) }

// openChannelRead is openChannelBooking; for an availability check
// (check), which does not verify prices, a night may come without one.
func openChannelRead(f *fields, h ocHead, check bool) store.BookingWrite {
	switch h.Status {
	case keycard.StatusNew, keycard.StatusModified, keycard.StatusCancelled:
	case "":
		if !f.errs.Has("status") {
			f.errs.Add("status", keycard.MsgBlank)
		}
	default:
		f.errs.Add("status", "is not included in the list (new, modified, cancelled)")
	}
	bw := store.BookingWrite{Status: h.Status}
	c := &keycard.BookingChange{}
	c.Currency = f.strPtrOrEmpty("currency")
	if c.Currency == nil || *c.Currency == "" {
		if !f.errs.Has("currency") {
			f.errs.Add("currency", keycard.MsgBlank)
		}
		c.Currency = nil
	}
	for _, m := range []struct {
		name string
		dst  **string
	}{
		{"ota_name", &c.OTAName}, {"notes", &c.Notes}, {"arrival_hour", &c.ArrivalHour}, {"payment_collect", &c.PaymentCollect},
		{"payment_type", &c.PaymentType}, {"arrival_date", &c.ArrivalDate}, {"departure_date", &c.DepartureDate},
	} {
		*m.dst = f.strPtrOrEmpty(m.name)
		if *m.dst == nil {
			empty := ""
			*m.dst = &empty
		}
	}
	if *c.OTAName == "" {
		*c.OTAName = keycard.ChannelOTAName
	}
	if *c.PaymentCollect == "" {
		*c.PaymentCollect = "property"
	}
	c.Meta = json.RawMessage("null")
	if raw := f.raw("meta"); raw != nil {
		c.Meta = objectOrNull(f.errs, "meta", raw)
	}
	c.CustomerSent = true
	if raw := f.raw("customer"); raw != nil && !isNull(raw) {
		var cu keycard.Customer
		if err := strictObject(raw, &cu); err != nil {
			f.errs.Add("customer", "must be an object: name, surname, mail, phone, address, city, zip, country, language, company, meta")
		} else {
			c.Customer = &cu
		}
	}
	if raw := f.raw("guarantee"); raw != nil && !isNull(raw) {
		c.GuaranteeSent = true
		if c.Guarantee = decodeGuarantee(raw, f.errs); c.Guarantee != nil {
			c.Guarantee.CardNumber = keycard.MaskCardNumber(c.Guarantee.CardNumber)
			c.Guarantee.CardType = keycard.CardTypeCode(c.Guarantee.CardType)
			c.Guarantee.IsVirtual = c.Guarantee.IsVirtual || bytes.Contains(c.Guarantee.Meta, []byte(`"virtual_card_`))
		}
	}
	var codes []keycard.ChannelRoomCodes
	c.RoomsSent = true
	if raw := f.raw("rooms"); raw != nil {
		c.Rooms, codes = openChannelRooms(raw, f.errs, check)
	}
	c.ServicesSent, c.DepositsSent = true, true
	if raw := f.raw("services"); raw != nil && !isNull(raw) {
		c.Services = openChannelServices(raw, c.Rooms, f.errs)
	}
	if raw := f.raw("deposits"); raw != nil && !isNull(raw) {
		var list []struct {
			Amount json.RawMessage `json:"amount"`
			Type   string          `json:"type"`
		}
		if json.Unmarshal(raw, &list) != nil {
			f.errs.Add("deposits", "must be a list of {amount, currency, charged_at, type, notes}")
		}
		for _, d := range list {
			c.Deposits = append(c.Deposits, keycard.DepositChange{Amount: ocMoney(d.Amount), Type: d.Type})
		}
	}
	bw.Change, bw.DecodeErrs = c, f.errs
	bw.Channel = &store.ChannelBooking{ReservationID: h.ReservationID, Rooms: codes}
	return bw
}

// ocMoney returns an Open Channel price as keycard reads money: a price
// is in major units whether sent as a string ("100.50") or as a number
// (100), so a number is passed on as the decimal string it spells.
func ocMoney(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	if raw[0] != '"' {
		q, _ := json.Marshal(string(raw))
		return q
	}
	return raw
}

// openChannelRooms decodes the rooms of a push: each night's price keyed
// by its date, the room's stay from its first to its last night, and its
// codes (the room type's, and the first night's rate plan code).
func openChannelRooms(raw json.RawMessage, errs keycard.FieldErrors, check bool) ([]keycard.RoomChange, []keycard.ChannelRoomCodes) {
	var list []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &list) != nil {
		errs.Add("rooms", "must be a list of rooms")
		return nil, nil
	}
	if len(list) > keycard.MaxBookingRooms {
		errs.Add("rooms", "must have at most "+strconv.Itoa(keycard.MaxBookingRooms)+" rooms")
		return nil, nil
	}
	var rooms []keycard.RoomChange
	var codes []keycard.ChannelRoomCodes
	for i, rr := range list {
		n := "room " + strconv.Itoa(i+1) + ": "
		var in struct {
			RoomTypeCode string             `json:"room_type_code"`
			Occupancy    *keycard.Occupancy `json:"occupancy"`
			Guests       []keycard.Guest    `json:"guests"`
			Days         []struct {
				Date         string          `json:"date"`
				Price        json.RawMessage `json:"price"`
				RatePlanCode string          `json:"rate_plan_code"`
			} `json:"days"`
			Meta json.RawMessage `json:"meta"`
		}
		if strictObject(rr, &in) != nil {
			errs.Add("rooms", n+"must be an object with room_type_code, occupancy, guests, days[{date, price, rate_plan_code}], meta")
			continue
		}
		if in.RoomTypeCode == "" {
			errs.Add("rooms", n+"room_type_code "+keycard.MsgBlank)
		}
		if len(in.Days) == 0 {
			errs.Add("rooms", n+"days "+keycard.MsgBlank)
			continue
		}
		if len(in.Days) > keycard.MaxBookingNights {
			errs.Add("rooms", n+"days has more nights than a booking may")
			continue
		}
		room := keycard.RoomChange{N: i + 1, Days: map[string]json.RawMessage{}, Guests: in.Guests, Occupancy: in.Occupancy,
			ServicesSent: true, Meta: compactObject(errs, "rooms", n+"meta must be an object", in.Meta)}
		var dates []keycard.Date
		first := 0
		for j, d := range in.Days {
			day, ok := keycard.ParseDate(d.Date)
			if !ok {
				errs.Add("rooms", n+"days date "+keycard.MsgDate)
				continue
			}
			if _, dup := room.Days[day.String()]; dup {
				errs.Add("rooms", n+"days names "+day.String()+" twice")
			}
			if len(dates) == 0 || day < slices.Min(dates) {
				first = j
			}
			dates = append(dates, day)
			price := ocMoney(d.Price)
			if price == nil && check {
				price = json.RawMessage(`"0"`)
			}
			if price == nil {
				errs.Add("rooms", n+"days price "+keycard.MsgBlank)
				continue
			}
			room.Days[day.String()] = price
		}
		if len(dates) > 0 {
			in, out := slices.Min(dates).String(), (slices.Max(dates) + 1).String()
			room.CheckinDate, room.CheckoutDate = &in, &out
		}
		rooms = append(rooms, room)
		codes = append(codes, keycard.ChannelRoomCodes{RoomTypeCode: in.RoomTypeCode, RatePlanCode: in.Days[first].RatePlanCode})
	}
	return rooms, codes
}

// openChannelServices decodes a push's services: one the booking's
// total excludes ("excluded": true, added to the total) belongs to the
// booking; one already in a room's price belongs to that room (by
// room_index), or to the booking when it names no room.
func openChannelServices(raw json.RawMessage, rooms []keycard.RoomChange, errs keycard.FieldErrors) []keycard.ServiceChange {
	var list []struct {
		serviceIn
		Excluded  bool `json:"excluded"`
		RoomIndex *int `json:"room_index"`
	}
	if json.Unmarshal(raw, &list) != nil {
		errs.Add("services", "must be a list of {name, type, excluded, room_index, nights, persons, price_mode, price_per_unit, total_price}")
		return nil
	}
	var out []keycard.ServiceChange
	for _, sv := range list {
		s := keycard.ServiceChange{Name: sv.Name, Type: sv.Type, Nights: sv.Nights, Persons: sv.Persons, PriceMode: sv.PriceMode,
			PricePerUnit: ocMoney(sv.PricePerUnit), TotalPrice: ocMoney(sv.TotalPrice)}
		if !sv.Excluded && sv.RoomIndex != nil && *sv.RoomIndex >= 0 && *sv.RoomIndex < len(rooms) {
			rooms[*sv.RoomIndex].Services = append(rooms[*sv.RoomIndex].Services, s)
			continue
		}
		out = append(out, s)
	}
	return out
}

// pushHash returns the hash that tells the same push sent twice: of the
// booking object with its members in a canonical order, so that a retry
// that re-encodes the same booking matches.
func pushHash(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		v = string(raw)
	}
	canon, _ := json.Marshal(v)
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}
