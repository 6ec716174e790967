package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// Money in bookings is a decimal string in the booking's currency
// ("120.50"), as the server writes it. Absent values (null in the answer)
// read as "" in the string fields below.

// Occupancy counts a booking's or a room's guests; Ages is given for rooms.
type Occupancy struct {
	Adults   int   `json:"adults"`
	Children int   `json:"children"`
	Infants  int   `json:"infants"`
	Ages     []int `json:"ages,omitempty"`
}

// Guest is a guest named in a booking room.
type Guest struct {
	Name    string `json:"name"`
	Surname string `json:"surname"`
}

// Company is a customer's company.
type Company struct {
	Title      string `json:"title,omitempty"`
	Number     string `json:"number,omitempty"`
	NumberType string `json:"number_type,omitempty"`
	Type       string `json:"type,omitempty"`
}

// Customer is the person who booked.
type Customer struct {
	Name     string          `json:"name,omitempty"`
	Surname  string          `json:"surname,omitempty"`
	Mail     string          `json:"mail,omitempty"`
	Phone    string          `json:"phone,omitempty"`
	Address  string          `json:"address,omitempty"`
	City     string          `json:"city,omitempty"`
	Zip      string          `json:"zip,omitempty"`
	Country  string          `json:"country,omitempty"`
	Language string          `json:"language,omitempty"`
	Company  *Company        `json:"company,omitempty"`
	Meta     json.RawMessage `json:"meta,omitempty"`
}

// Guarantee is the card that guarantees a booking. The card number must be
// masked ("411111******1111"); the server refuses a full one. The CVV is
// never stored: it reads back as "***".
type Guarantee struct {
	CardNumber     string          `json:"card_number,omitempty"`
	CardType       string          `json:"card_type,omitempty"`
	CardholderName string          `json:"cardholder_name,omitempty"`
	CVV            string          `json:"cvv,omitempty"`
	ExpirationDate string          `json:"expiration_date,omitempty"`
	IsVirtual      bool            `json:"is_virtual"`
	Meta           json.RawMessage `json:"meta,omitempty"`
}

// BookingService is an extra (breakfast, parking...) of a booking or room.
type BookingService struct {
	Name         string `json:"name"`
	Type         string `json:"type,omitempty"`
	Nights       int    `json:"nights,omitempty"`
	Persons      int    `json:"persons,omitempty"`
	PriceMode    string `json:"price_mode,omitempty"`
	PricePerUnit string `json:"price_per_unit,omitempty"`
	TotalPrice   string `json:"total_price,omitempty"`
}

// BookingTax is a tax or fee of a booking room.
type BookingTax struct {
	IsInclusive bool   `json:"is_inclusive"`
	Name        string `json:"name"`
	TotalPrice  string `json:"total_price,omitempty"`
	// Type is "tax", "fee" or "city_tax".
	Type string `json:"type,omitempty"`
}

// Deposit is a payment made ahead.
type Deposit struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Type     string `json:"type,omitempty"`
}

// BookingRoom is one room of a booking. When writing, the ids may be left
// empty for a room the OTA did not map (they read back as ""), the dates
// default to the booking's and the amount to the sum of Days.
type BookingRoom struct {
	BookingRoomID string `json:"booking_room_id,omitempty"`
	RoomTypeID    string `json:"room_type_id,omitempty"`
	RatePlanID    string `json:"rate_plan_id,omitempty"`
	CheckinDate   string `json:"checkin_date,omitempty"`
	CheckoutDate  string `json:"checkout_date,omitempty"`
	Amount        string `json:"amount,omitempty"`
	// Days maps each night (YYYY-MM-DD) to its price.
	Days      map[string]string `json:"days,omitempty"`
	Occupancy *Occupancy        `json:"occupancy,omitempty"`
	Guests    []Guest           `json:"guests,omitempty"`
	Services  []BookingService  `json:"services,omitempty"`
	Taxes     []BookingTax      `json:"taxes,omitempty"`
	Meta      json.RawMessage   `json:"meta,omitempty"`
	// OTAUniqueID is the room's id at the OTA.
	OTAUniqueID string `json:"ota_unique_id,omitempty"`
}

// BookingState is the state of a booking as of one revision: what Booking
// and BookingRevision share.
type BookingState struct {
	PropertyID         string `json:"property_id"`
	UniqueID           string `json:"unique_id"`
	OTAReservationCode string `json:"ota_reservation_code"`
	OTAName            string `json:"ota_name"`
	// Status is "new", "modified" or "cancelled".
	Status         string           `json:"status"`
	ArrivalDate    string           `json:"arrival_date"`
	DepartureDate  string           `json:"departure_date"`
	ArrivalHour    string           `json:"arrival_hour"`
	Amount         string           `json:"amount"`
	Currency       string           `json:"currency"`
	OTACommission  string           `json:"ota_commission"`
	Notes          string           `json:"notes"`
	PaymentCollect string           `json:"payment_collect"`
	PaymentType    string           `json:"payment_type"`
	Occupancy      Occupancy        `json:"occupancy"`
	Rooms          []BookingRoom    `json:"rooms"`
	Services       []BookingService `json:"services"`
	Deposits       []Deposit        `json:"deposits"`
	Customer       *Customer        `json:"customer"`
	Guarantee      *Guarantee       `json:"guarantee"`
	Meta           json.RawMessage  `json:"meta"`
	InsertedAt     time.Time        `json:"inserted_at"`
}

// Booking is a booking as it stands: the state of its latest revision.
type Booking struct {
	ID         string `json:"id"`
	RevisionID string `json:"revision_id"`
	BookingState
}

func (b *Booking) UnmarshalJSON(data []byte) error {
	type plain Booking
	return json.Unmarshal(data, &struct {
		*plain
		InsertedAt timeField `json:"inserted_at"`
	}{(*plain)(b), timeField{&b.InsertedAt}})
}

// BookingRevision is one change to a booking, with the booking's state
// after it.
type BookingRevision struct {
	ID        string `json:"id"`
	BookingID string `json:"booking_id"`
	SystemID  string `json:"system_id"`
	BookingState
}

func (r *BookingRevision) UnmarshalJSON(data []byte) error {
	type plain BookingRevision
	return json.Unmarshal(data, &struct {
		*plain
		InsertedAt timeField `json:"inserted_at"`
	}{(*plain)(r), timeField{&r.InsertedAt}})
}

// BookingInput is a booking to create, push or change. Fields left at
// their zero value are not sent: on an update they keep their values;
// Rooms, Services and Deposits, when given, replace the booking's whole.
type BookingInput struct {
	PropertyID         string `json:"property_id,omitempty"`
	OTAReservationCode string `json:"ota_reservation_code,omitempty"`
	// OTAName defaults to "Offline" on a new booking.
	OTAName string `json:"ota_name,omitempty"`
	// Status: "new", "modified" or "cancelled". On a push it says what
	// the push is; on an update, "cancelled" cancels the booking.
	Status         string           `json:"status,omitempty"`
	SystemID       string           `json:"system_id,omitempty"`
	ArrivalDate    string           `json:"arrival_date,omitempty"`
	DepartureDate  string           `json:"departure_date,omitempty"`
	ArrivalHour    string           `json:"arrival_hour,omitempty"`
	Currency       string           `json:"currency,omitempty"`
	Amount         string           `json:"amount,omitempty"`
	OTACommission  string           `json:"ota_commission,omitempty"`
	Notes          string           `json:"notes,omitempty"`
	PaymentCollect string           `json:"payment_collect,omitempty"`
	PaymentType    string           `json:"payment_type,omitempty"`
	Occupancy      *Occupancy       `json:"occupancy,omitempty"`
	Rooms          []BookingRoom    `json:"rooms,omitempty"`
	Services       []BookingService `json:"services,omitempty"`
	Deposits       []Deposit        `json:"deposits,omitempty"`
	Customer       *Customer        `json:"customer,omitempty"`
	Guarantee      *Guarantee       `json:"guarantee,omitempty"`
	Meta           json.RawMessage  `json:"meta,omitempty"`
}

// BookingFilter narrows a list of bookings; zero fields do not filter.
// Dates are YYYY-MM-DD; the bounds are inclusive.
type BookingFilter struct {
	PropertyID         string
	Status             string
	OTAName            string
	OTAReservationCode string
	ArrivalFrom        string
	ArrivalTo          string
	DepartureFrom      string
	DepartureTo        string
	InsertedFrom       time.Time
	InsertedTo         time.Time
	// Limit is the page size (default 10, at most 100).
	Limit int
	// Order maps a field ("arrival_date", "inserted_at"...) to "asc" or
	// "desc".
	Order map[string]string
}

func (f BookingFilter) options() ListOptions {
	o := ListOptions{Limit: f.Limit, Order: f.Order, Filters: map[string]string{}}
	set := func(k, v string) {
		if v != "" {
			o.Filters[k] = v
		}
	}
	set("property_id", f.PropertyID)
	set("status", f.Status)
	set("ota_name", f.OTAName)
	set("ota_reservation_code", f.OTAReservationCode)
	set("arrival_date][gte", f.ArrivalFrom)
	set("arrival_date][lte", f.ArrivalTo)
	set("departure_date][gte", f.DepartureFrom)
	set("departure_date][lte", f.DepartureTo)
	set("inserted_at][gte", stamp(f.InsertedFrom))
	set("inserted_at][lte", stamp(f.InsertedTo))
	return o
}

// stamp writes a time as a list filter takes it, or "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Bookings iterates over the bookings the credential reaches, newest
// first unless f.Order says otherwise.
func (c *Client) Bookings(ctx context.Context, f BookingFilter) iter.Seq2[*Booking, error] {
	return ptrs(list[Booking](c, ctx, "/api/v1/bookings", f.options()))
}

// Booking returns one booking.
func (c *Client) Booking(ctx context.Context, id string) (*Booking, error) {
	return one[Booking](c, ctx, http.MethodGet, "/api/v1/bookings/"+pathID(id), nil)
}

// CreateBooking records a new booking (POST /bookings).
func (c *Client) CreateBooking(ctx context.Context, b BookingInput) (*Booking, error) {
	return one[Booking](c, ctx, http.MethodPost, "/api/v1/bookings", map[string]any{"booking": b})
}

// UpdateBooking changes a booking (PUT /bookings/:id): the fields given
// replace the booking's, as a new revision. Status "cancelled" cancels it.
func (c *Client) UpdateBooking(ctx context.Context, id string, b BookingInput) (*Booking, error) {
	return one[Booking](c, ctx, http.MethodPut, "/api/v1/bookings/"+pathID(id), map[string]any{"booking": b})
}

// CancelBooking cancels a booking.
func (c *Client) CancelBooking(ctx context.Context, id string) (*Booking, error) {
	return c.UpdateBooking(ctx, id, BookingInput{Status: "cancelled"})
}

// PushResult is the answer to a booking push.
type PushResult struct {
	ID                 string          `json:"id"`
	RevisionID         string          `json:"revision_id"`
	Status             string          `json:"status"`
	SystemID           string          `json:"system_id"`
	UniqueID           string          `json:"unique_id"`
	OTAReservationCode string          `json:"ota_reservation_code"`
	Meta               json.RawMessage `json:"meta"`
}

// PushBooking is the Booking CRS push (POST /bookings/push): the booking
// is named by its OTA name and reservation code, and b.Status says whether
// it is new, modified or cancelled. The property may be left out when the
// rooms' rate plans name it.
func (c *Client) PushBooking(ctx context.Context, b BookingInput) (*PushResult, error) {
	return one[PushResult](c, ctx, http.MethodPost, "/api/v1/bookings/push", map[string]any{"booking": b})
}

// ReportNoShow reports that the guest did not come; penalty is a decimal
// amount, or "" for none.
func (c *Client) ReportNoShow(ctx context.Context, bookingID string, waivedFees bool, penalty string) error {
	report := map[string]any{"waived_fees": waivedFees}
	if penalty != "" {
		report["penalty_amount"] = penalty
	}
	return c.do(ctx, http.MethodPost, "/api/v1/bookings/"+pathID(bookingID)+"/no_show", nil, map[string]any{"no_show_report": report}, nil)
}

// ReportInvalidCard reports that the booking's card is invalid.
func (c *Client) ReportInvalidCard(ctx context.Context, bookingID string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/bookings/"+pathID(bookingID)+"/invalid_card", nil, nil, nil)
}

// ReportCancelDueInvalidCard reports that the booking is cancelled because
// its card is invalid.
func (c *Client) ReportCancelDueInvalidCard(ctx context.Context, bookingID string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/bookings/"+pathID(bookingID)+"/cancel_due_invalid_card", nil, nil, nil)
}

// BookingRevisions iterates over booking revisions, newest first; filter
// by "property_id", "booking_id", "status" or "inserted_at][gte"/"lte".
func (c *Client) BookingRevisions(ctx context.Context, opts ListOptions) iter.Seq2[*BookingRevision, error] {
	return ptrs(list[BookingRevision](c, ctx, "/api/v1/booking_revisions", opts))
}

// BookingRevision returns one revision.
func (c *Client) BookingRevision(ctx context.Context, id string) (*BookingRevision, error) {
	return one[BookingRevision](c, ctx, http.MethodGet, "/api/v1/booking_revisions/"+pathID(id), nil)
}

// AckRevision acknowledges a revision: it leaves the feed. Acknowledging
// one twice is harmless, so an ack answered 502, 503 or 504 is sent again
// (see WithRetries).
func (c *Client) AckRevision(ctx context.Context, id string) error {
	return c.send(ctx, &request{method: http.MethodPost, path: "/api/v1/booking_revisions/" + pathID(id) + "/ack", idempotent: true})
}

// FeedOptions narrows the feed.
type FeedOptions struct {
	// PropertyID, when set, keeps one property's revisions.
	PropertyID string
	// Limit is the page size (default 10, at most 100).
	Limit int
}

// Feed iterates over the revisions not yet acknowledged, oldest first,
// each once. The consumer may acknowledge each as it goes (the usual way:
// see DrainFeed) or not: the iterator reads a page again after giving its
// new revisions, so that acknowledged ones, which leave the feed, do not
// make it skip the ones behind them, and moves on to the next page when a
// page holds only revisions it has already given. It ends at an empty
// page, so revisions written meanwhile are given too. (Another consumer
// acknowledging at the same time can make it miss a revision in this
// pass; it stays in the feed for the next.)
func (c *Client) Feed(ctx context.Context, opts FeedOptions) iter.Seq2[*BookingRevision, error] {
	return func(yield func(*BookingRevision, error) bool) {
		lo := ListOptions{Limit: opts.Limit}
		if opts.PropertyID != "" {
			lo.Filters = map[string]string{"property_id": opts.PropertyID}
		}
		seen := map[string]bool{}
		for page := 1; ; {
			var body struct {
				Data []item[BookingRevision] `json:"data"`
			}
			if err := c.do(ctx, http.MethodGet, "/api/v1/booking_revisions/feed", lo.query(page), nil, &body); err != nil {
				yield(nil, err)
				return
			}
			if len(body.Data) == 0 {
				return
			}
			fresh := 0
			for _, it := range body.Data {
				if seen[it.ID] {
					continue
				}
				seen[it.ID] = true
				fresh++
				rev := it.Attributes
				if !yield(&rev, nil) {
					return
				}
			}
			// Revisions acknowledged on this page moved later ones
			// into it: read it again until it holds nothing new.
			if fresh == 0 {
				page++
			}
		}
	}
}

// DrainFeed hands every revision of the feed to handle, oldest first, and
// acknowledges each one handle accepts (returns nil for). It stops at the
// first error, of handle or of the server, and returns it with how many
// revisions were acknowledged; a revision handle refused stays in the
// feed for the next run.
func (c *Client) DrainFeed(ctx context.Context, opts FeedOptions, handle func(*BookingRevision) error) (int, error) {
	acked := 0
	for rev, err := range c.Feed(ctx, opts) {
		if err != nil {
			return acked, err
		}
		if err := handle(rev); err != nil {
			return acked, err
		}
		if err := c.AckRevision(ctx, rev.ID); err != nil {
			return acked, err
		}
		acked++
	}
	return acked, nil
}

// Task is what one ARI write did to one property, or how one booking
// change moved availability.
type Task struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	PropertyID  string   `json:"property_id"`
	State       string   `json:"state"`
	UserID      string   `json:"user_id"`
	APIKeyID    string   `json:"api_key_id"`
	ValuesCount int      `json:"values_count"`
	DateFrom    string   `json:"date_from"`
	DateTo      string   `json:"date_to"`
	RoomTypeIDs []string `json:"room_type_ids"`
	RatePlanIDs []string `json:"rate_plan_ids"`
	BookingID   string   `json:"booking_id"`
	// BookingRevisionID is the revision that moved availability, for a
	// booking's task.
	BookingRevisionID string `json:"booking_revision_id"`
	// Warnings are the values the write refused, field -> messages.
	Warnings   []map[string][]string `json:"warnings"`
	InsertedAt time.Time             `json:"inserted_at"`
}

func (t *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	return json.Unmarshal(b, &struct {
		*plain
		InsertedAt timeField `json:"inserted_at"`
	}{(*plain)(t), timeField{&t.InsertedAt}})
}

// Tasks iterates over tasks, newest first; filter by "property_id",
// "type" or "inserted_at][gte"/"lte".
func (c *Client) Tasks(ctx context.Context, opts ListOptions) iter.Seq2[*Task, error] {
	return ptrs(list[Task](c, ctx, "/api/v1/tasks", opts))
}

// Task returns one task.
func (c *Client) Task(ctx context.Context, id string) (*Task, error) {
	return one[Task](c, ctx, http.MethodGet, "/api/v1/tasks/"+pathID(id), nil)
}
