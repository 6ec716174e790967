package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// bookingRoutes registers bookings, their revisions and the feed, and
// tasks. Bookings enter through the Booking CRS routes (POST and PUT
// /bookings, POST /bookings/push); every change is a revision.
func (s *Server) bookingRoutes(mux *routeMux, authed func(handlerFunc) http.Handler) {
	mux.Handle("GET /api/v1/bookings", authed(s.listBookings))
	mux.Handle("POST /api/v1/bookings", authed(s.createBooking))
	mux.Handle("POST /api/v1/bookings/push", authed(s.pushBooking))
	mux.Handle("GET /api/v1/bookings/{id}", authed(s.getBooking))
	mux.Handle("PUT /api/v1/bookings/{id}", authed(s.updateBooking))
	mux.Handle("POST /api/v1/bookings/{id}/no_show", authed(s.reportBooking(keycard.ReportNoShow)))
	mux.Handle("POST /api/v1/bookings/{id}/invalid_card", authed(s.reportBooking(keycard.ReportInvalidCard)))
	mux.Handle("POST /api/v1/bookings/{id}/cancel_due_invalid_card", authed(s.reportBooking(keycard.ReportCancelDueInvalidCard)))

	mux.Handle("GET /api/v1/booking_revisions", authed(s.listRevisions(false)))
	mux.Handle("GET /api/v1/booking_revisions/feed", authed(s.listRevisions(true)))
	mux.Handle("GET /api/v1/booking_revisions/{id}", authed(s.getRevision))
	mux.Handle("POST /api/v1/booking_revisions/{id}/ack", authed(s.ackRevision))

	mux.Handle("GET /api/v1/tasks", authed(s.listTasks))
	mux.Handle("GET /api/v1/tasks/{id}", authed(s.getTask))
}

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
	Days           map[string]string `json:"days"`
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
		Status: b.Status, Rooms: make([]roomView, 0, len(b.Rooms)), Services: servicesView(b.Services, money),
		Deposits: make([]depositView, 0, len(b.Deposits)), Occupancy: occupancyView{b.Occupancy.Adults, b.Occupancy.Children, b.Occupancy.Infants},
		ArrivalDate: b.ArrivalDate.String(), DepartureDate: b.DepartureDate.String(), ArrivalHour: nullable(b.ArrivalHour),
		Amount: money(b.Amount), Currency: b.Currency, Notes: nullable(b.Notes),
		PaymentCollect: nullable(b.PaymentCollect), PaymentType: nullable(b.PaymentType),
		Meta: nullJSON(b.Meta), InsertedAt: timestamp(b.InsertedAt),
	}
	for _, r := range b.Rooms {
		days := make(map[string]string, len(r.Days))
		for _, d := range r.Days {
			days[d.Date.String()] = money(d.Amount)
		}
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
		"property": relation{ref{Type: "property", ID: b.PropertyID}},
	}}
}

func revisionResource(b *keycard.Booking, p *keycard.Principal) resource {
	b.HideCardFrom(p)
	v := newBookingView(b)
	v.ID, v.BookingID, v.SystemID = b.RevisionID, b.ID, &b.SystemID
	return resource{Type: "booking_revision", ID: b.RevisionID, Attributes: v, Relationships: map[string]any{
		"property": relation{ref{Type: "property", ID: b.PropertyID}},
		"booking":  relation{ref{Type: "booking", ID: b.ID}},
	}}
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListBookings(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, b := range list {
		items = append(items, bookingResource(b, principal(r)))
	}
	return writeList(w, items, total, q)
}

// getBooking is GET /bookings/:id; ?relationships=all is accepted (the
// booking's relationships are always given).
func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Booking(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, bookingResource(b, principal(r)))
}

// createBooking is POST /bookings: {"booking": {...}} makes a new booking.
func (s *Server) createBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusNew)
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusCreated, bookingResource(b, principal(r)))
}

// updateBooking is PUT /bookings/:id: the fields given replace the
// booking's (rooms as a whole); "status": "cancelled" cancels it.
func (s *Server) updateBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusModified)
	bw.BookingID = r.PathValue("id")
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, bookingResource(b, principal(r)))
}

// pushBooking is POST /bookings/push, the Booking CRS push: the booking
// is named by its OTA name and reservation code (reservation_id), and
// status says whether it is new, modified or cancelled.
func (s *Server) pushBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusNew)
	bw.Push = true
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if b.Status == keycard.StatusNew {
		status = http.StatusCreated
	}
	return writeData(w, status, resource{Type: "booking", ID: b.ID, Attributes: map[string]any{
		"id": b.ID, "meta": rawObject(b.Meta), "ota_reservation_code": b.OTAReservationCode, "revision_id": b.RevisionID,
		"status": b.Status, "system_id": b.SystemID, "unique_id": b.UniqueID,
	}})
}

// reportBooking records a no-show, invalid-card or cancel-due-to-invalid-
// card report. No-show takes {"no_show_report": {"waived_fees": bool,
// "penalty_amount": "10.00"}}; the other two take no body.
func (s *Server) reportBooking(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body json.RawMessage
		if kind == keycard.ReportNoShow {
			f, err := decodeEnvelope(r, "no_show_report")
			if err != nil {
				return err
			}
			var waived bool
			f.boolean("waived_fees", &waived)
			report := map[string]any{"waived_fees": waived}
			if raw := f.raw("penalty_amount"); raw != nil && !isNull(raw) {
				if v, msg := keycard.ParseMoney(raw, "CLF"); msg != "" {
					f.errs.Add("penalty_amount", msg)
				} else if v < 0 {
					f.errs.Add("penalty_amount", "must be greater than or equal to 0")
				} else {
					report["penalty_amount"] = raw
				}
			}
			if err := f.errs.Err(); err != nil {
				return err
			}
			body, _ = json.Marshal(report)
		} else if err := emptyBody(r); err != nil {
			return err
		}
		if err := s.store.ReportBooking(r.Context(), principal(r), r.PathValue("id"), kind, body); err != nil {
			return err
		}
		return writeSuccess(w)
	}
}

// emptyBody accepts no body, or a JSON object (which is ignored), as
// clients send for ack and the card reports.
func emptyBody(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return err
		}
		return keycard.Errorf(keycard.EBadRequest, "the request body could not be read")
	}
	body = bytes.TrimSpace(body)
	var v map[string]json.RawMessage
	if len(body) > 0 && (body[0] != '{' || json.Unmarshal(body, &v) != nil) {
		return keycard.Errorf(keycard.EBadRequest, "the request body must be empty or a JSON object")
	}
	return nil
}

func (s *Server) listRevisions(feed bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := listQuery(r)
		if err != nil {
			return err
		}
		if feed {
			for _, f := range q.Filters {
				if f.Field != "property_id" || f.Op != keycard.OpEq {
					return keycard.Errorf(keycard.EBadRequest, "filter[%s] is not supported here", f.Field)
				}
			}
			for _, o := range q.Order {
				if o.Field != "inserted_at" || o.Desc {
					return keycard.Errorf(keycard.EBadRequest, "the feed is ordered oldest first only: order[inserted_at]=asc")
				}
			}
			// The feed's order is its own: oldest first, as written.
			q.Order = nil
		}
		list, total, err := s.store.ListBookingRevisions(r.Context(), principal(r), q, feed)
		if err != nil {
			return err
		}
		items := make([]resource, 0, len(list))
		for _, b := range list {
			items = append(items, revisionResource(b, principal(r)))
		}
		return writeList(w, items, total, q)
	}
}

func (s *Server) getRevision(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.BookingRevision(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, revisionResource(b, principal(r)))
}

// ackRevision is POST /booking_revisions/:id/ack, with no body or {}.
func (s *Server) ackRevision(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(r); err != nil {
		return err
	}
	if err := s.store.AckRevision(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// bookingWrite reads a booking body into the store's write: the fields
// the store needs before it knows the booking, and the function that
// applies the rest onto the booking.
func bookingWrite(f *fields, status string) store.BookingWrite {
	bw := store.BookingWrite{Status: status}
	var pid string
	f.str("property_id", &pid)
	bw.PropertyID = strings.ToLower(strings.TrimSpace(pid))
	var st string
	if f.has("status") {
		f.str("status", &st)
		switch st {
		case keycard.StatusNew, keycard.StatusModified, keycard.StatusCancelled:
			if status == keycard.StatusModified && st == keycard.StatusNew {
				f.errs.Add("status", "a booking that exists can't be new again")
			} else {
				bw.Status = st
			}
		default:
			f.errs.Add("status", "is not included in the list (new, modified, cancelled)")
		}
	}
	var rooms []json.RawMessage
	if raw := f.raw("rooms"); raw != nil && !isNull(raw) {
		if json.Unmarshal(raw, &rooms) == nil {
			for _, rr := range rooms {
				var ids struct {
					RoomTypeID any `json:"room_type_id"`
					RatePlanID any `json:"rate_plan_id"`
				}
				json.Unmarshal(rr, &ids)
				for _, v := range []any{ids.RatePlanID, ids.RoomTypeID} {
					if s, ok := v.(string); ok {
						bw.RefIDs = append(bw.RefIDs, strings.ToLower(s))
					}
				}
			}
		}
	}
	decodeErrs := f.errs
	bw.Apply = func(b *keycard.Booking) keycard.FieldErrors {
		f.errs = keycard.FieldErrors{}
		for k, v := range decodeErrs {
			f.errs[k] = append([]string(nil), v...)
		}
		applyBooking(f, b)
		return f.errs
	}
	return bw
}

var arrivalHourRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// applyBooking writes the members of a booking body onto b: each member
// given replaces b's (rooms, services and deposits as a whole), then the
// booking is checked as a whole. Messages go into f.errs.
func applyBooking(f *fields, b *keycard.Booking) {
	errs := f.errs
	if f.has("currency") {
		var c string
		f.str("currency", &c)
		if !keycard.ValidCurrency(c) {
			errs.Add("currency", "is not a valid ISO 4217 currency code")
		} else {
			b.Currency = c
		}
	}
	text := func(name string, dst *string, max int) {
		if !f.has(name) {
			return
		}
		f.str(name, dst)
		if len([]rune(*dst)) > max {
			errs.Add(name, "is too long (maximum is "+strconv.Itoa(max)+" characters)")
		}
	}
	text("ota_reservation_code", &b.OTAReservationCode, 255)
	if b.OTAReservationCode == "" && f.has("reservation_id") {
		text("reservation_id", &b.OTAReservationCode, 255)
	}
	text("ota_name", &b.OTAName, 255)
	text("system_id", &b.SystemID, 255)
	text("notes", &b.Notes, 65535)
	text("arrival_hour", &b.ArrivalHour, 5)
	if b.ArrivalHour != "" && !arrivalHourRe.MatchString(b.ArrivalHour) {
		errs.Add("arrival_hour", "must be a time of day, HH:MM")
	}
	text("payment_collect", &b.PaymentCollect, 32)
	if b.PaymentCollect != "" && !keycard.PaymentCollects[b.PaymentCollect] {
		errs.Add("payment_collect", "is not included in the list (property, ota)")
	}
	text("payment_type", &b.PaymentType, 32)
	if b.PaymentType != "" && !keycard.PaymentTypes[b.PaymentType] {
		errs.Add("payment_type", "is not included in the list (credit_card, bank_transfer)")
	}
	date := func(name string, dst *keycard.Date) {
		if !f.has(name) {
			return
		}
		var s string
		f.str(name, &s)
		d, ok := keycard.ParseDate(s)
		if !ok {
			errs.Add(name, msgDate)
			return
		}
		*dst = d
	}
	date("arrival_date", &b.ArrivalDate)
	date("departure_date", &b.DepartureDate)
	money := func(name string, raw json.RawMessage) (int64, bool) {
		v, msg := keycard.ParseMoney(raw, b.Currency)
		if msg == "" && v < 0 {
			msg = "must be greater than or equal to 0"
		}
		if msg != "" {
			errs.Add(name, msg)
			return 0, false
		}
		return v, true
	}
	if raw := f.raw("ota_commission"); raw != nil {
		if isNull(raw) {
			b.OTACommission = nil
		} else if v, ok := money("ota_commission", raw); ok {
			b.OTACommission = &v
		}
	}
	if raw := f.raw("meta"); raw != nil {
		b.Meta = objectOrNull(f, "meta", raw)
	}
	if raw := f.raw("occupancy"); raw != nil && !isNull(raw) {
		if o, msg := decodeOccupancy(raw); msg != "" {
			errs.Add("occupancy", msg)
		} else {
			b.Occupancy = o
		}
	}
	if raw := f.raw("customer"); raw != nil {
		b.Customer = nil
		if !isNull(raw) {
			var c keycard.Customer
			if err := strictObject(raw, &c); err != nil {
				errs.Add("customer", "must be an object of strings: name, surname, mail, phone, address, city, zip, country, language, company, meta")
			} else {
				b.Customer = &c
			}
		}
	}
	if raw := f.raw("guarantee"); raw != nil {
		b.Guarantee = nil
		if !isNull(raw) {
			b.Guarantee = decodeGuarantee(raw, errs)
		}
	}
	if raw := f.raw("services"); raw != nil {
		b.Services = decodeServices(raw, "services", money, errs)
	}
	if raw := f.raw("deposits"); raw != nil {
		b.Deposits = nil
		var list []struct {
			Amount   json.RawMessage `json:"amount"`
			Currency string          `json:"currency"`
			Type     string          `json:"type"`
		}
		if !isNull(raw) && json.Unmarshal(raw, &list) != nil {
			errs.Add("deposits", "must be a list of {amount, currency, type}")
		}
		for _, d := range list {
			if v, ok := money("deposits", d.Amount); ok {
				b.Deposits = append(b.Deposits, keycard.Deposit{Amount: v, Currency: b.Currency, Type: d.Type})
			}
		}
	}
	roomsGiven := f.raw("rooms") != nil
	if roomsGiven {
		b.Rooms = decodeRooms(f.raw("rooms"), b, money, errs)
	}

	// The booking as a whole.
	if strings.TrimSpace(b.OTAReservationCode) == "" && !errs.Has("ota_reservation_code") {
		errs.Add("ota_reservation_code", msgBlank)
	}
	if b.OTAName == "" {
		b.OTAName = "Offline"
	}
	if b.ArrivalDate == 0 && !errs.Has("arrival_date") {
		errs.Add("arrival_date", msgBlank)
	}
	if b.DepartureDate == 0 && !errs.Has("departure_date") {
		errs.Add("departure_date", msgBlank)
	}
	if b.ArrivalDate != 0 && b.DepartureDate != 0 && !errs.Has("arrival_date") && !errs.Has("departure_date") {
		switch {
		case b.DepartureDate <= b.ArrivalDate:
			errs.Add("departure_date", "must be after arrival_date")
		case b.DepartureDate-b.ArrivalDate > keycard.MaxBookingNights:
			errs.Add("departure_date", "must be at most "+strconv.Itoa(keycard.MaxBookingNights)+" nights after arrival_date")
		}
	}
	if len(b.Rooms) == 0 && !errs.Has("rooms") {
		errs.Add("rooms", "can't be blank")
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
	if f.raw("occupancy") == nil && roomsGiven {
		b.Occupancy = keycard.Occupancy{}
		for _, room := range b.Rooms {
			b.Occupancy.Adults += room.Occupancy.Adults
			b.Occupancy.Children += room.Occupancy.Children
			b.Occupancy.Infants += room.Occupancy.Infants
		}
	}
	if raw := f.raw("amount"); raw != nil && !isNull(raw) {
		if v, ok := money("amount", raw); ok {
			b.Amount = v
		}
	} else if roomsGiven || f.raw("services") != nil {
		b.Amount = 0
		for _, room := range b.Rooms {
			b.Amount += room.Amount
		}
		for _, sv := range b.Services {
			b.Amount += sv.TotalPrice
		}
	}
}

// strictObject decodes a JSON object into dst.
func strictObject(raw json.RawMessage, dst any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(raw, dst)
}

var errNotObject = keycard.Errorf(keycard.EBadRequest, "not an object")

// objectOrNull returns an object member as it is, nil for null, and
// records a message for anything else.
func objectOrNull(f *fields, name string, raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var m map[string]json.RawMessage
	if strictObject(raw, &m) != nil {
		f.errs.Add(name, "must be an object")
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		f.errs.Add(name, "must be an object")
		return nil
	}
	return b.Bytes()
}

func decodeOccupancy(raw json.RawMessage) (keycard.Occupancy, string) {
	var o keycard.Occupancy
	if strictObject(raw, &o) != nil {
		return o, "must be an object of whole numbers: adults, children, infants, ages"
	}
	if o.Adults < 0 || o.Children < 0 || o.Infants < 0 || o.Adults > 1000 || o.Children > 1000 || o.Infants > 1000 || len(o.Ages) > 1000 {
		return o, "counts must be between 0 and 1000"
	}
	for _, a := range o.Ages {
		if a < 0 || a > 150 {
			return o, "ages must be between 0 and 150"
		}
	}
	return o, ""
}

func decodeGuarantee(raw json.RawMessage, errs keycard.FieldErrors) *keycard.Guarantee {
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
	// The message never repeats the number.
	if msg := keycard.MaskedCardMessage(in.CardNumber); msg != "" {
		errs.Add("guarantee", "card_number "+msg)
		return nil
	}
	if in.CardType != "" && !keycard.CardTypes[in.CardType] {
		errs.Add("guarantee", "card_type is not included in the list")
	}
	if in.ExpirationDate != "" && !regexp.MustCompile(`^(0[1-9]|1[0-2])/[0-9]{4}$`).MatchString(in.ExpirationDate) {
		errs.Add("guarantee", "expiration_date must be MM/YYYY")
	}
	if len([]rune(in.CardholderName)) > 255 {
		errs.Add("guarantee", "cardholder_name is too long (maximum is 255 characters)")
	}
	g := &keycard.Guarantee{CardNumber: in.CardNumber, CardType: in.CardType, CardholderName: in.CardholderName,
		ExpirationDate: in.ExpirationDate, IsVirtual: in.IsVirtual}
	if len(in.Meta) > 0 && !isNull(in.Meta) {
		var m map[string]json.RawMessage
		if strictObject(in.Meta, &m) != nil {
			errs.Add("guarantee", "meta must be an object")
		} else {
			var b bytes.Buffer
			json.Compact(&b, in.Meta)
			g.Meta = b.Bytes()
		}
	}
	return g
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

func decodeServices(raw json.RawMessage, field string, money func(string, json.RawMessage) (int64, bool), errs keycard.FieldErrors) []keycard.BookingService {
	var list []serviceIn
	if isNull(raw) {
		return nil
	}
	if json.Unmarshal(raw, &list) != nil {
		errs.Add(field, "must be a list of {name, type, nights, persons, price_mode, price_per_unit, total_price}")
		return nil
	}
	if len(list) > keycard.MaxBookingServices {
		errs.Add(field, "must have at most "+strconv.Itoa(keycard.MaxBookingServices)+" services")
		return nil
	}
	out := make([]keycard.BookingService, 0, len(list))
	for _, sv := range list {
		out2 := keycard.BookingService{Name: sv.Name, Type: sv.Type, Nights: sv.Nights, Persons: sv.Persons, PriceMode: sv.PriceMode}
		if sv.Nights < 0 || sv.Persons < 0 {
			errs.Add(field, "nights and persons must not be negative")
		}
		if sv.PricePerUnit != nil && !isNull(sv.PricePerUnit) {
			out2.PricePerUnit, _ = money(field, sv.PricePerUnit)
		}
		if sv.TotalPrice != nil && !isNull(sv.TotalPrice) {
			out2.TotalPrice, _ = money(field, sv.TotalPrice)
		}
		out = append(out, out2)
	}
	return out
}

// decodeRooms reads a booking's rooms: each room's dates default to the
// booking's, its amount to the sum of its days.
func decodeRooms(raw json.RawMessage, b *keycard.Booking, money func(string, json.RawMessage) (int64, bool), errs keycard.FieldErrors) []keycard.BookingRoom {
	var list []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &list) != nil {
		errs.Add("rooms", "must be a list of rooms")
		return nil
	}
	if len(list) > keycard.MaxBookingRooms {
		errs.Add("rooms", "must have at most "+strconv.Itoa(keycard.MaxBookingRooms)+" rooms")
		return nil
	}
	out := make([]keycard.BookingRoom, 0, len(list))
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
		room := keycard.BookingRoom{BookingRoomID: in.BookingRoomID, OTAUniqueID: in.OTAUniqueID, Guests: in.Guests}
		if room.BookingRoomID == "" {
			room.BookingRoomID = keycard.NewID()
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
			if !keycard.ValidID(v) {
				errs.Add("rooms", n+id.name+" must be an id or null")
				continue
			}
			*id.dst = v
		}
		for _, d := range []struct {
			name string
			v    *string
			dst  *keycard.Date
		}{{"checkin_date", in.CheckinDate, &room.CheckinDate}, {"checkout_date", in.CheckoutDate, &room.CheckoutDate}} {
			if d.v == nil {
				continue
			}
			v, ok := keycard.ParseDate(*d.v)
			if !ok {
				errs.Add("rooms", n+d.name+" "+msgDate)
				continue
			}
			*d.dst = v
		}
		if len(in.Days) > keycard.MaxBookingNights {
			errs.Add("rooms", n+"days has more nights than a booking may")
			continue
		}
		var sum int64
		for ds, amount := range in.Days {
			d, ok := keycard.ParseDate(ds)
			if !ok {
				errs.Add("rooms", n+"days keys must be dates (YYYY-MM-DD)")
				break
			}
			v, ok := money("rooms", amount)
			if !ok {
				break
			}
			room.Days = append(room.Days, keycard.DayAmount{Date: d, Amount: v})
			sum += v
		}
		sortDays(room.Days)
		room.Amount = sum
		if in.Amount != nil && !isNull(in.Amount) {
			room.Amount, _ = money("rooms", in.Amount)
		}
		if in.Occupancy != nil && !isNull(in.Occupancy) {
			o, msg := decodeOccupancy(in.Occupancy)
			if msg != "" {
				errs.Add("rooms", n+"occupancy "+msg)
			}
			room.Occupancy = o
		}
		if in.Services != nil {
			room.Services = decodeServices(in.Services, "rooms", money, errs)
		}
		for _, t := range in.Taxes {
			if t.Type != "" && !keycard.BookingTaxTypes[t.Type] {
				errs.Add("rooms", n+"tax type must be fee, tax or city_tax")
			}
			var v int64
			if t.TotalPrice != nil && !isNull(t.TotalPrice) {
				v, _ = money("rooms", t.TotalPrice)
			}
			room.Taxes = append(room.Taxes, keycard.BookingTax{IsInclusive: t.IsInclusive, Name: t.Name, TotalPrice: v, Type: t.Type})
		}
		if in.Meta != nil && !isNull(in.Meta) {
			var m map[string]json.RawMessage
			if strictObject(in.Meta, &m) != nil {
				errs.Add("rooms", n+"meta must be an object")
			} else {
				var cb bytes.Buffer
				json.Compact(&cb, in.Meta)
				room.Meta = cb.Bytes()
			}
		}
		out = append(out, room)
	}
	return out
}

func sortDays(days []keycard.DayAmount) {
	slices.SortFunc(days, func(a, b keycard.DayAmount) int { return cmp.Compare(a.Date, b.Date) })
}
