package api

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

// bookingView is the state of a booking (or of a revision) as the API
// writes it, the Channex way: money as decimal strings in the booking's
// currency, dates YYYY-MM-DD, a null for each absent value. A struct
// rather than a map, for the feed's sake: it encodes without sorting keys.
type bookingView struct {
	ID                 string          `json:"id"`
	RevisionID         string          `json:"revision_id,omitempty"`
	BookingID          string          `json:"booking_id,omitempty"`
	SystemID           *string         `json:"system_id,omitempty"`
	PropertyID         string          `json:"property_id"`
	UniqueID           string          `json:"unique_id"`
	OTAReservationCode string          `json:"ota_reservation_code"`
	OTAName            string          `json:"ota_name"`
	ChannelID          *string         `json:"channel_id"`
	Status             string          `json:"status"`
	Rooms              []roomView      `json:"rooms"`
	Services           []serviceView   `json:"services"`
	Deposits           []depositView   `json:"deposits"`
	Guarantee          *guaranteeView  `json:"guarantee"`
	Customer           *customerView   `json:"customer"`
	Occupancy          occupancyView   `json:"occupancy"`
	ArrivalDate        string          `json:"arrival_date"`
	DepartureDate      string          `json:"departure_date"`
	ArrivalHour        *string         `json:"arrival_hour"`
	Amount             string          `json:"amount"`
	Currency           string          `json:"currency"`
	OTACommission      *string         `json:"ota_commission"`
	Notes              *string         `json:"notes"`
	PaymentCollect     *string         `json:"payment_collect"`
	PaymentType        *string         `json:"payment_type"`
	Meta               json.RawMessage `json:"meta"`
	InsertedAt         string          `json:"inserted_at"`
}

type roomView struct {
	BookingRoomID  string            `json:"booking_room_id"`
	RoomTypeID     *string           `json:"room_type_id"`
	RatePlanID     *string           `json:"rate_plan_id"`
	CheckinDate    string            `json:"checkin_date"`
	CheckoutDate   string            `json:"checkout_date"`
	Amount         string            `json:"amount"`
	Days           json.RawMessage   `json:"days"`
	Occupancy      roomOccupancyView `json:"occupancy"`
	Guests         []keycard.Guest   `json:"guests"`
	Services       []serviceView     `json:"services"`
	Taxes          []taxView         `json:"taxes"`
	CollectedTaxes []struct{}        `json:"collected_taxes"`
	Meta           json.RawMessage   `json:"meta"`
	OTAUniqueID    *string           `json:"ota_unique_id"`
}

type occupancyView struct {
	Adults   int `json:"adults"`
	Children int `json:"children"`
	Infants  int `json:"infants"`
}

// roomOccupancyView is a room's occupancy, which carries the children's
// ages (a list, maybe empty).
type roomOccupancyView struct {
	Adults   int   `json:"adults"`
	Ages     []int `json:"ages"`
	Children int   `json:"children"`
	Infants  int   `json:"infants"`
}

type taxView struct {
	IsInclusive bool   `json:"is_inclusive"`
	Name        string `json:"name"`
	TotalPrice  string `json:"total_price"`
	Type        string `json:"type"`
}

type serviceView struct {
	Name         string  `json:"name"`
	Type         *string `json:"type"`
	Nights       int     `json:"nights"`
	Persons      int     `json:"persons"`
	PriceMode    *string `json:"price_mode"`
	PricePerUnit string  `json:"price_per_unit"`
	TotalPrice   string  `json:"total_price"`
}

type depositView struct {
	Amount   string  `json:"amount"`
	Currency string  `json:"currency"`
	Type     *string `json:"type"`
}

type guaranteeView struct {
	CardNumber     string          `json:"card_number"`
	CardType       string          `json:"card_type"`
	CardholderName string          `json:"cardholder_name"`
	CVV            string          `json:"cvv"`
	ExpirationDate string          `json:"expiration_date"`
	IsVirtual      bool            `json:"is_virtual"`
	Meta           json.RawMessage `json:"meta"`
}

type customerView struct {
	Name     string           `json:"name"`
	Surname  string           `json:"surname"`
	Mail     *string          `json:"mail"`
	Phone    *string          `json:"phone"`
	Address  *string          `json:"address"`
	City     *string          `json:"city"`
	Zip      *string          `json:"zip"`
	Country  *string          `json:"country"`
	Language *string          `json:"language"`
	Company  *keycard.Company `json:"company"`
	Meta     json.RawMessage  `json:"meta"`
}

// nullJSON writes stored JSON as it is, or null.
func nullJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

func newBookingView(b *keycard.Booking) *bookingView {
	money := func(v int64) string { return keycard.FormatMoney(v, b.Currency) }
	v := &bookingView{
		PropertyID: b.PropertyID, UniqueID: b.UniqueID, OTAReservationCode: b.OTAReservationCode, OTAName: b.OTAName,
		ChannelID: nullable(b.ChannelID), Status: b.Status, Rooms: make([]roomView, 0, len(b.Rooms)), Services: servicesView(b.Services, money),
		Deposits: make([]depositView, 0, len(b.Deposits)), Occupancy: occupancyView{b.Occupancy.Adults, b.Occupancy.Children, b.Occupancy.Infants},
		ArrivalDate: b.ArrivalDate.String(), DepartureDate: b.DepartureDate.String(), ArrivalHour: nullable(b.ArrivalHour),
		Amount: money(b.Amount), Currency: b.Currency, Notes: nullable(b.Notes),
		PaymentCollect: nullable(b.PaymentCollect), PaymentType: nullable(b.PaymentType),
		Meta: nullJSON(b.Meta), InsertedAt: timestamp(b.InsertedAt),
	}
	for _, r := range b.Rooms {
		days := appendDays(nil, r.Days, b.Currency)
		taxes := make([]taxView, 0, len(r.Taxes))
		for _, t := range r.Taxes {
			taxes = append(taxes, taxView{t.IsInclusive, t.Name, money(t.TotalPrice), t.Type})
		}
		guests := r.Guests
		if guests == nil {
			guests = []keycard.Guest{}
		}
		v.Rooms = append(v.Rooms, roomView{
			BookingRoomID: r.BookingRoomID, RoomTypeID: nullable(r.RoomTypeID), RatePlanID: nullable(r.RatePlanID),
			CheckinDate: r.CheckinDate.String(), CheckoutDate: r.CheckoutDate.String(), Amount: money(r.Amount),
			Days: days, Occupancy: roomOccupancyOf(r.Occupancy), Guests: guests, Services: servicesView(r.Services, money),
			Taxes: taxes, CollectedTaxes: []struct{}{}, Meta: nullJSON(r.Meta), OTAUniqueID: nullable(r.OTAUniqueID),
		})
	}
	for _, d := range b.Deposits {
		cur := d.Currency
		if cur == "" {
			cur = b.Currency
		}
		v.Deposits = append(v.Deposits, depositView{keycard.FormatMoney(d.Amount, cur), cur, nullable(d.Type)})
	}
	if b.OTACommission != nil {
		c := money(*b.OTACommission)
		v.OTACommission = &c
	}
	if c := b.Customer; c != nil {
		v.Customer = &customerView{Name: c.Name, Surname: c.Surname, Mail: nullable(c.Mail), Phone: nullable(c.Phone),
			Address: nullable(c.Address), City: nullable(c.City), Zip: nullable(c.Zip), Country: nullable(c.Country),
			Language: nullable(c.Language), Company: c.Company, Meta: nullJSON(c.Meta)}
	}
	if g := b.Guarantee; g != nil {
		v.Guarantee = &guaranteeView{CardNumber: g.CardNumber, CardType: g.CardType, CardholderName: g.CardholderName,
			CVV: "***", ExpirationDate: g.ExpirationDate, IsVirtual: g.IsVirtual, Meta: nullJSON(g.Meta)}
	}
	return v
}

// appendDays appends a room's nightly amounts as encoding/json writes
// them held in a map[string]string of date to money: keys in byte order,
// and the last amount of a date given twice. A map cost the feed eleven
// allocations per room to build and encode (each key and value a string,
// the keys sorted by reflection); this costs one. TestAppendDays and
// FuzzAppendDays hold the two byte for byte equal.
func appendDays(b []byte, days []keycard.DayAmount, currency string) []byte {
	type day struct {
		key [10]byte // the date as Date.Append writes it
		i   int
	}
	var buf [8]day
	keys := buf[:0]
	for i, d := range days {
		var k day
		d.Date.Append(k.key[:0])
		k.i = i
		keys = append(keys, k)
	}
	slices.SortStableFunc(keys, func(a, b day) int { return bytes.Compare(a.key[:], b.key[:]) })
	if b == nil {
		b = make([]byte, 0, 2+len(days)*28)
	}
	b = append(b, '{')
	first := true
	for j, k := range keys {
		if j+1 < len(keys) && keys[j+1].key == k.key {
			continue // a later amount for the same date wins, as in a map
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k.key[:]...)
		b = append(b, `":"`...)
		b = keycard.AppendMoney(b, days[k.i].Amount, currency)
		b = append(b, '"')
	}
	return append(b, '}')
}

func roomOccupancyOf(o keycard.Occupancy) roomOccupancyView {
	ages := o.Ages
	if ages == nil {
		ages = []int{}
	}
	return roomOccupancyView{Adults: o.Adults, Ages: ages, Children: o.Children, Infants: o.Infants}
}

func servicesView(ss []keycard.BookingService, money func(int64) string) []serviceView {
	out := make([]serviceView, 0, len(ss))
	for _, sv := range ss {
		out = append(out, serviceView{Name: sv.Name, Type: nullable(sv.Type), Nights: sv.Nights, Persons: sv.Persons,
			PriceMode: nullable(sv.PriceMode), PricePerUnit: money(sv.PricePerUnit), TotalPrice: money(sv.TotalPrice)})
	}
	return out
}

// rawObject writes stored JSON as it is, or null.
func rawObject(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return raw
}

func bookingResource(b *keycard.Booking, p *keycard.Principal) resource {
	b.HideCardFrom(p)
	v := newBookingView(b)
	v.ID, v.RevisionID = b.ID, b.RevisionID
	return resource{Type: "booking", ID: b.ID, Attributes: v, Relationships: map[string]any{
		"property": relation{titled("property", b.PropertyID)},
	}}
}

// bookingRefAttributes are the attributes of a revision's booking
// relationship: a struct, not a map, which encoding/json would sort and
// reflect over for every revision of a feed page.
type bookingRefAttributes struct {
	ID       string `json:"id"`
	UniqueID string `json:"unique_id"`
}

func revisionResource(b *keycard.Booking, p *keycard.Principal) resource {
	b.HideCardFrom(p)
	v := newBookingView(b)
	v.ID, v.BookingID, v.SystemID = b.RevisionID, b.ID, &b.SystemID
	return resource{Type: "booking_revision", ID: b.RevisionID, Attributes: v, Relationships: map[string]any{
		"property": relation{titled("property", b.PropertyID)},
		"booking":  relation{ref{Type: "booking", ID: b.ID, Attributes: &bookingRefAttributes{ID: b.ID, UniqueID: b.UniqueID}}},
	}}
}
