package keycard

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Validation messages shared by the rules and the decoders of requests.
const (
	MsgBlank = "can't be blank"
	MsgDate  = "is not a valid date (YYYY-MM-DD)"
)

// BookingChange is a booking as a client sends it (a new booking, a
// change, a push), decoded into types but not yet judged: a nil pointer,
// or a false ...Sent, is a member the body did not have. Money stays as
// sent, a JSON number of minor units or a decimal string: what it means
// depends on the booking's currency, which the change itself may set.
// Apply holds every rule of what a booking may be.
type BookingChange struct {
	Currency           *string
	OTAReservationCode *string
	// ReservationID is the code's name in a Booking CRS push.
	ReservationID *string
	OTAName       *string
	// ChannelID names the channel connection the booking came through;
	// "" clears it.
	ChannelID      *string
	SystemID       *string
	Notes          *string
	ArrivalHour    *string
	PaymentCollect *string
	PaymentType    *string
	ArrivalDate    *string
	DepartureDate  *string
	// OTACommission and Amount are nil when not sent; JSON null clears
	// the commission and leaves the amount to be summed.
	OTACommission json.RawMessage
	Amount        json.RawMessage
	// Meta is a compact JSON object, JSON null to clear it, or nil.
	Meta json.RawMessage

	OccupancySent bool
	Occupancy     *Occupancy // nil when sent as null
	CustomerSent  bool
	Customer      *Customer // nil when sent as null (cleared)
	GuaranteeSent bool
	Guarantee     *GuaranteeChange // nil when sent as null (cleared)
	ServicesSent  bool
	Services      []ServiceChange
	DepositsSent  bool
	Deposits      []DepositChange
	RoomsSent     bool
	Rooms         []RoomChange
}

// GuaranteeChange is a guarantee as sent; the CVV is never part of it.
type GuaranteeChange struct {
	CardNumber     string
	CardType       string
	CardholderName string
	ExpirationDate string
	IsVirtual      bool
	Meta           json.RawMessage // a compact object, or nil
}

// ServiceChange is a service as sent.
type ServiceChange struct {
	Name, Type, PriceMode    string
	Nights, Persons          int
	PricePerUnit, TotalPrice json.RawMessage
}

// DepositChange is a deposit as sent.
type DepositChange struct {
	Amount json.RawMessage
	Type   string
}

// RoomChange is a booked room as sent. Rooms replace a booking's as a
// whole.
type RoomChange struct {
	// N is the room's place in the body, from 1, for messages.
	N             int
	BookingRoomID string
	// RoomTypeID and RatePlanID are nil for an unmapped room.
	RoomTypeID, RatePlanID    *string
	CheckinDate, CheckoutDate *string
	Amount                    json.RawMessage
	Days                      map[string]json.RawMessage
	Occupancy                 *Occupancy
	Guests                    []Guest
	ServicesSent              bool
	Services                  []ServiceChange
	Taxes                     []RoomTaxChange
	Meta                      json.RawMessage // a compact object, or nil
	OTAUniqueID               string
}

// RoomTaxChange is a booked room's tax as sent.
type RoomTaxChange struct {
	IsInclusive bool
	Name, Type  string
	TotalPrice  json.RawMessage
}

// BookingStatus returns the status a write records: the one sent, if any,
// else the write's own (new for a create or push, modified for a change
// to a booking that exists); or the validation message.
func BookingStatus(sent *string, write string) (string, string) {
	if sent == nil {
		return write, ""
	}
	switch *sent {
	case StatusNew, StatusModified, StatusCancelled:
		if write == StatusModified && *sent == StatusNew {
			return write, "a booking that exists can't be new again"
		}
		return *sent, ""
	}
	return write, "is not included in the list (new, modified, cancelled)"
}

var (
	arrivalHourRe    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	cardExpirationRe = regexp.MustCompile(`^(0[1-9]|1[0-2])/[0-9]{4}$`)
)

// Apply writes c onto b, each member sent replacing b's (rooms, services
// and deposits as a whole), then judges the booking as a whole. b is the
// booking as it stands: for a new one, empty in its property's currency.
// errs holds what went wrong decoding the request (the rules skip those
// fields); Apply adds what breaks a rule, and returns errs.
func (b *Booking) Apply(c *BookingChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	if c.Currency != nil {
		if !ValidCurrency(*c.Currency) {
			errs.Add("currency", "is not a valid ISO 4217 currency code")
		} else {
			b.Currency = *c.Currency
		}
	}
	text := func(name string, v *string, dst *string, max int) {
		if v == nil {
			return
		}
		*dst = *v
		if len([]rune(*dst)) > max {
			errs.Add(name, "is too long (maximum is "+strconv.Itoa(max)+" characters)")
		}
	}
	text("ota_reservation_code", c.OTAReservationCode, &b.OTAReservationCode, 255)
	if b.OTAReservationCode == "" {
		text("reservation_id", c.ReservationID, &b.OTAReservationCode, 255)
	}
	text("ota_name", c.OTAName, &b.OTAName, 255)
	if c.ChannelID != nil {
		if v := strings.ToLower(strings.TrimSpace(*c.ChannelID)); v != "" && !ValidID(v) {
			errs.Add("channel_id", "must be an id or null")
		} else {
			b.ChannelID = v
		}
	}
	text("system_id", c.SystemID, &b.SystemID, 255)
	text("notes", c.Notes, &b.Notes, 65535)
	text("arrival_hour", c.ArrivalHour, &b.ArrivalHour, 5)
	if b.ArrivalHour != "" && !arrivalHourRe.MatchString(b.ArrivalHour) {
		errs.Add("arrival_hour", "must be a time of day, HH:MM")
	}
	text("payment_collect", c.PaymentCollect, &b.PaymentCollect, 32)
	if b.PaymentCollect != "" && !PaymentCollects[b.PaymentCollect] {
		errs.Add("payment_collect", "is not included in the list (property, ota)")
	}
	text("payment_type", c.PaymentType, &b.PaymentType, 32)
	if b.PaymentType != "" && !PaymentTypes[b.PaymentType] {
		errs.Add("payment_type", "is not included in the list (credit_card, bank_transfer)")
	}
	date := func(name string, v *string, dst *Date) {
		if v == nil {
			return
		}
		d, ok := ParseDate(*v)
		if !ok {
			errs.Add(name, MsgDate)
			return
		}
		*dst = d
	}
	date("arrival_date", c.ArrivalDate, &b.ArrivalDate)
	date("departure_date", c.DepartureDate, &b.DepartureDate)
	money := func(name string, raw json.RawMessage) (int64, bool) {
		v, msg := ParseMoney(raw, b.Currency)
		if msg == "" && v < 0 {
			msg = "must be greater than or equal to 0"
		}
		if msg != "" {
			errs.Add(name, msg)
			return 0, false
		}
		return v, true
	}
	if c.OTACommission != nil {
		if isJSONNull(c.OTACommission) {
			b.OTACommission = nil
		} else if v, ok := money("ota_commission", c.OTACommission); ok {
			b.OTACommission = &v
		}
	}
	if c.Meta != nil {
		b.Meta = nil
		if !isJSONNull(c.Meta) {
			b.Meta = c.Meta
		}
	}
	if c.Occupancy != nil {
		if msg := c.Occupancy.check(); msg != "" {
			errs.Add("occupancy", msg)
		} else {
			b.Occupancy = *c.Occupancy
		}
	}
	if c.CustomerSent {
		b.Customer = c.Customer
	}
	if c.GuaranteeSent {
		b.Guarantee = nil
		if c.Guarantee != nil {
			b.Guarantee = c.Guarantee.apply(errs)
		}
	}
	if c.ServicesSent {
		b.Services = services(c.Services, "services", money, errs)
	}
	if c.DepositsSent {
		b.Deposits = nil
		for _, d := range c.Deposits {
			if v, ok := money("deposits", d.Amount); ok {
				b.Deposits = append(b.Deposits, Deposit{Amount: v, Currency: b.Currency, Type: d.Type})
			}
		}
	}
	if c.RoomsSent {
		b.Rooms = rooms(c.Rooms, money, errs)
	}
	b.judge(c, errs, money)
	return errs
}

// judge holds the rules of a booking as a whole, after c was written onto
// it: what must be there, dates that make a stay, rooms within it, and
// the totals left to be summed.
func (b *Booking) judge(c *BookingChange, errs FieldErrors, money func(string, json.RawMessage) (int64, bool)) {
	if strings.TrimSpace(b.OTAReservationCode) == "" && !errs.Has("ota_reservation_code") {
		errs.Add("ota_reservation_code", MsgBlank)
	}
	if b.OTAName == "" {
		b.OTAName = "Offline"
	}
	if b.ArrivalDate == 0 && !errs.Has("arrival_date") {
		errs.Add("arrival_date", MsgBlank)
	}
	if b.DepartureDate == 0 && !errs.Has("departure_date") {
		errs.Add("departure_date", MsgBlank)
	}
	if b.ArrivalDate != 0 && b.DepartureDate != 0 && !errs.Has("arrival_date") && !errs.Has("departure_date") {
		switch {
		case b.DepartureDate <= b.ArrivalDate:
			errs.Add("departure_date", "must be after arrival_date")
		case b.DepartureDate-b.ArrivalDate > MaxBookingNights:
			errs.Add("departure_date", "must be at most "+strconv.Itoa(MaxBookingNights)+" nights after arrival_date")
		}
	}
	if len(b.Rooms) == 0 && !errs.Has("rooms") {
		errs.Add("rooms", MsgBlank)
	}
	if errs.Has("arrival_date") || errs.Has("departure_date") || errs.Has("rooms") {
		return
	}
	for i := range b.Rooms {
		room := &b.Rooms[i]
		n := "room " + strconv.Itoa(i+1) + ": "
		if room.CheckinDate == 0 {
			room.CheckinDate = b.ArrivalDate
		}
		if room.CheckoutDate == 0 {
			room.CheckoutDate = b.DepartureDate
		}
		if room.CheckoutDate <= room.CheckinDate {
			errs.Add("rooms", n+"checkout_date must be after checkin_date")
			continue
		}
		if room.CheckinDate < b.ArrivalDate || room.CheckoutDate > b.DepartureDate {
			errs.Add("rooms", n+"the stay must be within arrival_date and departure_date")
			continue
		}
		for _, d := range room.Days {
			if d.Date < room.CheckinDate || d.Date >= room.CheckoutDate {
				errs.Add("rooms", n+"days must be nights of the stay ("+d.Date.String()+" is not)")
				break
			}
		}
	}
	if !c.OccupancySent && c.RoomsSent {
		b.Occupancy = Occupancy{}
		for _, room := range b.Rooms {
			b.Occupancy.Adults += room.Occupancy.Adults
			b.Occupancy.Children += room.Occupancy.Children
			b.Occupancy.Infants += room.Occupancy.Infants
		}
	}
	if c.Amount != nil && !isJSONNull(c.Amount) {
		if v, ok := money("amount", c.Amount); ok {
			b.Amount = v
		}
	} else if c.RoomsSent || c.ServicesSent {
		b.Amount = 0
		for _, room := range b.Rooms {
			b.Amount += room.Amount
		}
		for _, sv := range b.Services {
			b.Amount += sv.TotalPrice
		}
	}
}

// check returns why the counts of an occupancy are out of bounds, or "".
func (o *Occupancy) check() string {
	if o.Adults < 0 || o.Children < 0 || o.Infants < 0 || o.Adults > 1000 || o.Children > 1000 || o.Infants > 1000 || len(o.Ages) > 1000 {
		return "counts must be between 0 and 1000"
	}
	for _, a := range o.Ages {
		if a < 0 || a > 150 {
			return "ages must be between 0 and 150"
		}
	}
	return ""
}

// apply returns the guarantee g describes, or nil with the reason in errs.
func (g *GuaranteeChange) apply(errs FieldErrors) *Guarantee {
	// The message never repeats the number.
	if msg := MaskedCardMessage(g.CardNumber); msg != "" {
		errs.Add("guarantee", "card_number "+msg)
		return nil
	}
	if g.CardType != "" && !CardTypes[g.CardType] {
		errs.Add("guarantee", "card_type is not included in the list")
	}
	if g.ExpirationDate != "" && !cardExpirationRe.MatchString(g.ExpirationDate) {
		errs.Add("guarantee", "expiration_date must be MM/YYYY")
	}
	if len([]rune(g.CardholderName)) > 255 {
		errs.Add("guarantee", "cardholder_name is too long (maximum is 255 characters)")
	}
	return &Guarantee{CardNumber: g.CardNumber, CardType: g.CardType, CardholderName: g.CardholderName,
		ExpirationDate: g.ExpirationDate, IsVirtual: g.IsVirtual, Meta: g.Meta}
}

// services returns the services list describes, with messages under field.
func services(list []ServiceChange, field string, money func(string, json.RawMessage) (int64, bool), errs FieldErrors) []BookingService {
	if list == nil {
		return nil
	}
	if len(list) > MaxBookingServices {
		errs.Add(field, "must have at most "+strconv.Itoa(MaxBookingServices)+" services")
		return nil
	}
	out := make([]BookingService, 0, len(list))
	for _, sv := range list {
		s := BookingService{Name: sv.Name, Type: sv.Type, Nights: sv.Nights, Persons: sv.Persons, PriceMode: sv.PriceMode}
		if sv.Nights < 0 || sv.Persons < 0 {
			errs.Add(field, "nights and persons must not be negative")
		}
		if sv.PricePerUnit != nil && !isJSONNull(sv.PricePerUnit) {
			s.PricePerUnit, _ = money(field, sv.PricePerUnit)
		}
		if sv.TotalPrice != nil && !isJSONNull(sv.TotalPrice) {
			s.TotalPrice, _ = money(field, sv.TotalPrice)
		}
		out = append(out, s)
	}
	return out
}

// rooms returns the rooms list describes: each room's amount is the sum
// of its nights unless sent; its dates default to the booking's (see
// judge). A room that breaks a rule about its own fields is left out.
func rooms(list []RoomChange, money func(string, json.RawMessage) (int64, bool), errs FieldErrors) []BookingRoom {
	if len(list) > MaxBookingRooms {
		errs.Add("rooms", "must have at most "+strconv.Itoa(MaxBookingRooms)+" rooms")
		return nil
	}
	out := make([]BookingRoom, 0, len(list))
	for _, in := range list {
		n := "room " + strconv.Itoa(in.N) + ": "
		room := BookingRoom{BookingRoomID: in.BookingRoomID, OTAUniqueID: in.OTAUniqueID, Guests: in.Guests, Meta: in.Meta}
		if room.BookingRoomID == "" {
			room.BookingRoomID = NewID()
		}
		for _, id := range []struct {
			name string
			v    *string
			dst  *string
		}{{"room_type_id", in.RoomTypeID, &room.RoomTypeID}, {"rate_plan_id", in.RatePlanID, &room.RatePlanID}} {
			if id.v == nil {
				continue
			}
			v := strings.ToLower(strings.TrimSpace(*id.v))
			if !ValidID(v) {
				errs.Add("rooms", n+id.name+" must be an id or null")
				continue
			}
			*id.dst = v
		}
		for _, d := range []struct {
			name string
			v    *string
			dst  *Date
		}{{"checkin_date", in.CheckinDate, &room.CheckinDate}, {"checkout_date", in.CheckoutDate, &room.CheckoutDate}} {
			if d.v == nil {
				continue
			}
			v, ok := ParseDate(*d.v)
			if !ok {
				errs.Add("rooms", n+d.name+" "+MsgDate)
				continue
			}
			*d.dst = v
		}
		if len(in.Days) > MaxBookingNights {
			errs.Add("rooms", n+"days has more nights than a booking may")
			continue
		}
		var sum int64
		for ds, amount := range in.Days {
			d, ok := ParseDate(ds)
			if !ok {
				errs.Add("rooms", n+"days keys must be dates (YYYY-MM-DD)")
				break
			}
			v, ok := money("rooms", amount)
			if !ok {
				break
			}
			room.Days = append(room.Days, DayAmount{Date: d, Amount: v})
			sum += v
		}
		slices.SortFunc(room.Days, func(a, b DayAmount) int { return cmp.Compare(a.Date, b.Date) })
		room.Amount = sum
		if in.Amount != nil && !isJSONNull(in.Amount) {
			room.Amount, _ = money("rooms", in.Amount)
		}
		if in.Occupancy != nil {
			if msg := in.Occupancy.check(); msg != "" {
				errs.Add("rooms", n+"occupancy "+msg)
			}
			room.Occupancy = *in.Occupancy
		}
		if in.ServicesSent {
			room.Services = services(in.Services, "rooms", money, errs)
		}
		for _, t := range in.Taxes {
			if t.Type != "" && !BookingTaxTypes[t.Type] {
				errs.Add("rooms", n+"tax type must be fee, tax or city_tax")
			}
			var v int64
			if t.TotalPrice != nil && !isJSONNull(t.TotalPrice) {
				v, _ = money("rooms", t.TotalPrice)
			}
			room.Taxes = append(room.Taxes, BookingTax{IsInclusive: t.IsInclusive, Name: t.Name, TotalPrice: v, Type: t.Type})
		}
		out = append(out, room)
	}
	return out
}

// RefIDs returns the room type and rate plan ids the change's rooms name
// (lower case): a push that names no property belongs to theirs.
func (c *BookingChange) RefIDs() []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, r := range c.Rooms {
		for _, id := range []*string{r.RatePlanID, r.RoomTypeID} {
			if id != nil {
				out = append(out, strings.ToLower(*id))
			}
		}
	}
	return out
}

// isJSONNull reports whether raw is the JSON null.
func isJSONNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }
