package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// bookingWrite decodes a booking body into the store's write: the
// change, typed but not judged (the domain's Booking.Apply does that), and
// what went wrong decoding it.
func bookingWrite(f *fields, status string) store.BookingWrite {
	bw := store.BookingWrite{Status: status}
	var pid string
	f.str("property_id", &pid)
	bw.PropertyID = strings.ToLower(strings.TrimSpace(pid))
	c := &keycard.BookingChange{}
	var msg string
	if bw.Status, msg = keycard.BookingStatus(f.strPtrOrEmpty("status"), status); msg != "" {
		f.errs.Add("status", msg)
	}
	c.Currency = f.strPtrOrEmpty("currency")
	for _, m := range []struct {
		name string
		dst  **string
	}{
		{"ota_reservation_code", &c.OTAReservationCode}, {"reservation_id", &c.ReservationID}, {"ota_name", &c.OTAName}, {"channel_id", &c.ChannelID},
		{"system_id", &c.SystemID}, {"notes", &c.Notes}, {"arrival_hour", &c.ArrivalHour}, {"payment_collect", &c.PaymentCollect},
		{"payment_type", &c.PaymentType}, {"arrival_date", &c.ArrivalDate}, {"departure_date", &c.DepartureDate},
	} {
		*m.dst = f.strPtrOrEmpty(m.name)
	}
	c.OTACommission, c.Amount = f.raw("ota_commission"), f.raw("amount")
	if raw := f.raw("meta"); raw != nil {
		c.Meta = objectOrNull(f.errs, "meta", raw)
	}
	if raw := f.raw("occupancy"); raw != nil {
		c.OccupancySent = true
		if !isNull(raw) {
			var o keycard.Occupancy
			if strictObject(raw, &o) != nil {
				f.errs.Add("occupancy", msgOccupancy)
			} else {
				c.Occupancy = &o
			}
		}
	}
	if raw := f.raw("customer"); raw != nil {
		c.CustomerSent = true
		if !isNull(raw) {
			var cu keycard.Customer
			if err := strictObject(raw, &cu); err != nil {
				f.errs.Add("customer", "must be an object of strings: name, surname, mail, phone, address, city, zip, country, language, company, meta")
			} else {
				c.Customer = &cu
			}
		}
	}
	if raw := f.raw("guarantee"); raw != nil {
		c.GuaranteeSent = true
		if !isNull(raw) {
			c.Guarantee = decodeGuarantee(raw, f.errs)
		}
	}
	if raw := f.raw("services"); raw != nil {
		c.ServicesSent = true
		c.Services = decodeServices(raw, "services", f.errs)
	}
	if raw := f.raw("deposits"); raw != nil {
		c.DepositsSent = true
		var list []struct {
			Amount   json.RawMessage `json:"amount"`
			Currency string          `json:"currency"`
			Type     string          `json:"type"`
		}
		if !isNull(raw) && json.Unmarshal(raw, &list) != nil {
			f.errs.Add("deposits", "must be a list of {amount, currency, type}")
		}
		for _, d := range list {
			c.Deposits = append(c.Deposits, keycard.DepositChange{Amount: d.Amount, Type: d.Type})
		}
	}
	if raw := f.raw("rooms"); raw != nil {
		c.RoomsSent = true
		c.Rooms = decodeRooms(raw, f.errs)
	}
	bw.Change, bw.DecodeErrs = c, f.errs
	return bw
}

const msgOccupancy = "must be an object of whole numbers: adults, children, infants, ages"

// strictObject decodes a JSON object into dst.
func strictObject(raw json.RawMessage, dst any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(raw, dst)
}

var errNotObject = keycard.Errorf(keycard.EBadRequest, "not an object")

// objectOrNull returns an object member compacted, JSON null for null,
// and records a message (and null) for anything else.
func objectOrNull(errs keycard.FieldErrors, name string, raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return json.RawMessage("null")
	}
	var m map[string]json.RawMessage
	var b bytes.Buffer
	if strictObject(raw, &m) != nil || json.Compact(&b, raw) != nil {
		errs.Add(name, "must be an object")
		return json.RawMessage("null")
	}
	return b.Bytes()
}

// compactObject returns an object compacted, nil for null or nothing,
// and records msg for anything else.
func compactObject(errs keycard.FieldErrors, name, msg string, raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var m map[string]json.RawMessage
	var b bytes.Buffer
	if strictObject(raw, &m) != nil || json.Compact(&b, raw) != nil {
		errs.Add(name, msg)
		return nil
	}
	return b.Bytes()
}

func decodeGuarantee(raw json.RawMessage, errs keycard.FieldErrors) *keycard.GuaranteeChange {
	var in struct {
		CardNumber     string          `json:"card_number"`
		CardType       string          `json:"card_type"`
		CardholderName string          `json:"cardholder_name"`
		ExpirationDate string          `json:"expiration_date"`
		IsVirtual      bool            `json:"is_virtual"`
		Meta           json.RawMessage `json:"meta"`
		// The CVV is read so that a wrong type is refused, and dropped:
		// it is never stored.
		CVV any `json:"cvv"`
	}
	if strictObject(raw, &in) != nil {
		errs.Add("guarantee", "must be an object: card_number, card_type, cardholder_name, expiration_date, is_virtual, meta")
		return nil
	}
	return &keycard.GuaranteeChange{CardNumber: in.CardNumber, CardType: in.CardType, CardholderName: in.CardholderName,
		ExpirationDate: in.ExpirationDate, IsVirtual: in.IsVirtual, Meta: compactObject(errs, "guarantee", "meta must be an object", in.Meta)}
}

type serviceIn struct {
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	Nights       int             `json:"nights"`
	Persons      int             `json:"persons"`
	PriceMode    string          `json:"price_mode"`
	PricePerUnit json.RawMessage `json:"price_per_unit"`
	TotalPrice   json.RawMessage `json:"total_price"`
}

// decodeServices decodes a list of services; null is none.
func decodeServices(raw json.RawMessage, field string, errs keycard.FieldErrors) []keycard.ServiceChange {
	var list []serviceIn
	if isNull(raw) {
		return nil
	}
	if json.Unmarshal(raw, &list) != nil {
		errs.Add(field, "must be a list of {name, type, nights, persons, price_mode, price_per_unit, total_price}")
		return nil
	}
	out := make([]keycard.ServiceChange, 0, len(list))
	for _, sv := range list {
		out = append(out, keycard.ServiceChange{Name: sv.Name, Type: sv.Type, Nights: sv.Nights, Persons: sv.Persons,
			PriceMode: sv.PriceMode, PricePerUnit: sv.PricePerUnit, TotalPrice: sv.TotalPrice})
	}
	return out
}

// decodeRooms decodes a booking's rooms; a room that is not an object of
// the right types is reported and left out.
func decodeRooms(raw json.RawMessage, errs keycard.FieldErrors) []keycard.RoomChange {
	var list []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &list) != nil {
		errs.Add("rooms", "must be a list of rooms")
		return nil
	}
	if len(list) > keycard.MaxBookingRooms {
		// Not decoded: the rule refuses them anyway.
		return make([]keycard.RoomChange, len(list))
	}
	out := make([]keycard.RoomChange, 0, len(list))
	for i, rr := range list {
		n := "room " + strconv.Itoa(i+1) + ": "
		var in struct {
			BookingRoomID string                     `json:"booking_room_id"`
			RoomTypeID    *string                    `json:"room_type_id"`
			RatePlanID    *string                    `json:"rate_plan_id"`
			CheckinDate   *string                    `json:"checkin_date"`
			CheckoutDate  *string                    `json:"checkout_date"`
			Amount        json.RawMessage            `json:"amount"`
			Days          map[string]json.RawMessage `json:"days"`
			Occupancy     json.RawMessage            `json:"occupancy"`
			Guests        []keycard.Guest            `json:"guests"`
			Services      json.RawMessage            `json:"services"`
			Taxes         []struct {
				IsInclusive bool            `json:"is_inclusive"`
				Name        string          `json:"name"`
				TotalPrice  json.RawMessage `json:"total_price"`
				Type        string          `json:"type"`
			} `json:"taxes"`
			Meta        json.RawMessage `json:"meta"`
			OTAUniqueID string          `json:"ota_unique_id"`
		}
		if strictObject(rr, &in) != nil {
			errs.Add("rooms", n+"must be an object with room_type_id, rate_plan_id, days, occupancy, guests, services, taxes")
			continue
		}
		room := keycard.RoomChange{N: i + 1, BookingRoomID: in.BookingRoomID, RoomTypeID: in.RoomTypeID, RatePlanID: in.RatePlanID,
			CheckinDate: in.CheckinDate, CheckoutDate: in.CheckoutDate, Amount: in.Amount, Days: in.Days, Guests: in.Guests,
			OTAUniqueID: in.OTAUniqueID}
		if in.Occupancy != nil && !isNull(in.Occupancy) {
			var o keycard.Occupancy
			if strictObject(in.Occupancy, &o) != nil {
				errs.Add("rooms", n+"occupancy "+msgOccupancy)
			}
			room.Occupancy = &o
		}
		if in.Services != nil {
			room.ServicesSent = true
			room.Services = decodeServices(in.Services, "rooms", errs)
		}
		for _, t := range in.Taxes {
			room.Taxes = append(room.Taxes, keycard.RoomTaxChange{IsInclusive: t.IsInclusive, Name: t.Name, TotalPrice: t.TotalPrice, Type: t.Type})
		}
		room.Meta = compactObject(errs, "rooms", n+"meta must be an object", in.Meta)
		out = append(out, room)
	}
	return out
}
