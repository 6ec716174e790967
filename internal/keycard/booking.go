package keycard

import (
	"encoding/json"
	"strings"
	"time"
)

// Booking revision statuses.
const (
	StatusNew       = "new"
	StatusModified  = "modified"
	StatusCancelled = "cancelled"
)

// Booking limits, so that one booking cannot make a server loop for long.
const (
	MaxBookingNights   = 730
	MaxBookingRooms    = 100
	MaxBookingServices = 100
)

// Booking is a booking's state: the latest revision's. Its JSON tags are
// the stored form (money in minor units of Currency, dates as
// YYYY-MM-DD); the API renders its own view.
type Booking struct {
	ID         string `json:"-"`
	PropertyID string `json:"-"`
	RevisionID string `json:"-"`
	// Status is the latest revision's: new, modified or cancelled.
	Status     string    `json:"-"`
	SystemID   string    `json:"-"`
	InsertedAt time.Time `json:"-"`
	// Acked reports whether the revision (for a booking, its latest) has
	// been acked.
	Acked bool `json:"-"`

	OTAReservationCode string `json:"ota_reservation_code"`
	OTAName            string `json:"ota_name"`
	// ChannelID is the channel connection the booking came through: the
	// one that pushed it, or the one a Booking CRS push named.
	ChannelID      string           `json:"channel_id,omitempty"`
	UniqueID       string           `json:"unique_id"`
	ArrivalDate    Date             `json:"arrival_date"`
	DepartureDate  Date             `json:"departure_date"`
	ArrivalHour    string           `json:"arrival_hour,omitempty"`
	Currency       string           `json:"currency"`
	Amount         int64            `json:"amount"`
	OTACommission  *int64           `json:"ota_commission,omitempty"`
	PaymentCollect string           `json:"payment_collect,omitempty"`
	PaymentType    string           `json:"payment_type,omitempty"`
	Notes          string           `json:"notes,omitempty"`
	Occupancy      Occupancy        `json:"occupancy"`
	Customer       *Customer        `json:"customer,omitempty"`
	Guarantee      *Guarantee       `json:"guarantee,omitempty"`
	Rooms          []BookingRoom    `json:"rooms"`
	Services       []BookingService `json:"services"`
	Deposits       []Deposit        `json:"deposits"`
	Meta           json.RawMessage  `json:"meta,omitempty"`
}

// Occupancy counts the guests of a booking or a room.
type Occupancy struct {
	Adults   int   `json:"adults"`
	Children int   `json:"children"`
	Infants  int   `json:"infants"`
	Ages     []int `json:"ages,omitempty"`
}

// BookingRoom is one room of a booking. An empty RoomTypeID or
// RatePlanID is an unmapped room (JSON null).
type BookingRoom struct {
	BookingRoomID string           `json:"booking_room_id"`
	RoomTypeID    string           `json:"room_type_id,omitempty"`
	RatePlanID    string           `json:"rate_plan_id,omitempty"`
	CheckinDate   Date             `json:"checkin_date"`
	CheckoutDate  Date             `json:"checkout_date"`
	Amount        int64            `json:"amount"`
	Days          []DayAmount      `json:"days"`
	Occupancy     Occupancy        `json:"occupancy"`
	Guests        []Guest          `json:"guests"`
	Services      []BookingService `json:"services"`
	Taxes         []BookingTax     `json:"taxes"`
	Meta          json.RawMessage  `json:"meta,omitempty"`
	OTAUniqueID   string           `json:"ota_unique_id,omitempty"`
}

// DayAmount is a room's price for one night.
type DayAmount struct {
	Date   Date  `json:"date"`
	Amount int64 `json:"amount"`
}

// Guest is a guest named in a room.
type Guest struct {
	Name    string `json:"name"`
	Surname string `json:"surname"`
}

// BookingService is an extra (breakfast, parking...) of a booking or room.
type BookingService struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Nights       int    `json:"nights"`
	Persons      int    `json:"persons"`
	PriceMode    string `json:"price_mode"`
	PricePerUnit int64  `json:"price_per_unit"`
	TotalPrice   int64  `json:"total_price"`
}

// BookingTax is a tax or fee of a booked room.
type BookingTax struct {
	IsInclusive bool   `json:"is_inclusive"`
	Name        string `json:"name"`
	TotalPrice  int64  `json:"total_price"`
	Type        string `json:"type"`
}

// Deposit is a payment already made on a booking.
type Deposit struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Type     string `json:"type"`
}

// Customer is the booker.
type Customer struct {
	Name     string          `json:"name"`
	Surname  string          `json:"surname"`
	Mail     string          `json:"mail"`
	Phone    string          `json:"phone"`
	Address  string          `json:"address"`
	City     string          `json:"city"`
	Zip      string          `json:"zip"`
	Country  string          `json:"country"`
	Language string          `json:"language"`
	Company  *Company        `json:"company,omitempty"`
	Meta     json.RawMessage `json:"meta,omitempty"`
}

// Company is the booker's company.
type Company struct {
	Title      string `json:"title"`
	Number     string `json:"number"`
	NumberType string `json:"number_type"`
	Type       string `json:"type"`
}

// Guarantee is the card that guarantees a booking. The number is kept only
// masked ("411111******1111"); the CVV is never kept.
type Guarantee struct {
	CardNumber     string          `json:"card_number"`
	CardType       string          `json:"card_type"`
	CardholderName string          `json:"cardholder_name"`
	ExpirationDate string          `json:"expiration_date"`
	IsVirtual      bool            `json:"is_virtual"`
	Meta           json.RawMessage `json:"meta,omitempty"`
}

// HideCardFrom clears the guarantee for a principal that may no longer see
// it: an API key, once the revision is acked (as Channex does; a signed-in
// user still sees the masked card).
func (b *Booking) HideCardFrom(p *Principal) {
	if b.Acked && p.ViaAPIKey() {
		b.Guarantee = nil
	}
}

// Nights returns the nights of a room, checkin to the night before
// checkout.
func (r *BookingRoom) Nights() (from, to Date) { return r.CheckinDate, r.CheckoutDate - 1 }

// NightsHeld returns the rooms b occupies per room type and rate plan
// (a [room type id, rate plan id] key) and date, when a revision of the
// status is written: nothing when it is cancelled.
func (b *Booking) NightsHeld(status string) map[[2]string]map[Date]int {
	out := map[[2]string]map[Date]int{}
	if status == StatusCancelled {
		return out
	}
	for _, room := range b.Rooms {
		k := [2]string{room.RoomTypeID, room.RatePlanID}
		if out[k] == nil {
			out[k] = map[Date]int{}
		}
		for d := room.CheckinDate; d < room.CheckoutDate; d++ {
			out[k][d]++
		}
	}
	return out
}

// Unmapped reports whether some room has no room type (its codes map to
// nothing: booking_unmapped_room), and whether some room has a room type
// but no rate plan (only its rate failed: booking_unmapped_rate). A room
// without a room type has no rate plan either, but counts as an unmapped
// room only, so that it fires one event, not both.
func (b *Booking) Unmapped() (room, rate bool) {
	for i := range b.Rooms {
		r := &b.Rooms[i]
		room = room || r.RoomTypeID == ""
		rate = rate || r.RoomTypeID != "" && r.RatePlanID == ""
	}
	return room, rate
}

// CardTypes are the accepted guarantee card_type codes.
var CardTypes = setOf("AX", "BC", "BL", "CU", "DN", "DS", "EL", "JC", "MA", "MC", "MI", "VI", "unknown")

// Booking enumerations.
var (
	PaymentCollects = setOf("property", "ota")
	PaymentTypes    = setOf("credit_card", "bank_transfer")
	BookingTaxTypes = setOf("fee", "tax", "city_tax")
)

// MaskedCardMessage checks a guarantee's card number: it must come masked
// (digits with asterisks, at most the first six and last four digits
// shown). It returns "" for a masked number, else the validation message,
// which never repeats the number.
func MaskedCardMessage(number string) string {
	s := strings.NewReplacer(" ", "", "-", "").Replace(number)
	if s == "" {
		return "can't be blank"
	}
	digits, stars := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '*' || c == 'x' || c == 'X':
			stars++
		default:
			return "must be a masked card number, like 411111******1111"
		}
	}
	if stars == 0 || digits > 10 || len(s) < 8 || len(s) > 23 {
		return "must be masked (at most the first six and last four digits shown, like 411111******1111): keycard does not take full card numbers"
	}
	return ""
}

// OTACode returns the short code Channex prefixes unique ids with for an
// OTA name, or "CRS" for a name it does not know.
func OTACode(otaName string) string {
	switch strings.ToLower(strings.NewReplacer(" ", "", ".", "", "_", "", "-", "").Replace(otaName)) {
	case "bookingcom", "booking":
		return "BDC"
	case "expedia":
		return "EXP"
	case "airbnb":
		return "ABB"
	case "agoda":
		return "AGO"
	case "offline", "":
		return "OFF"
	}
	return "CRS"
}

// BookingReport kinds: the reports a PMS sends about a booking.
const (
	ReportNoShow               = "no_show"
	ReportInvalidCard          = "invalid_card"
	ReportCancelDueInvalidCard = "cancel_due_invalid_card"
)

// Task types.
const (
	TaskAvailability = "availability"
	TaskRestrictions = "restrictions"
	TaskBooking      = "booking"
)

// TaskRetention is how long tasks are kept by default.
const TaskRetention = 30 * 24 * time.Hour

// Task is the record of one ARI write to one property, or of one booking
// change that moved availability: what it covered, who made it, and how it
// went.
type Task struct {
	ID         string
	PropertyID string
	Type       string
	UserID     string
	APIKeyID   string
	State      string
	// Values is the number of values (ARI entries, booked nights) applied.
	Values   int
	DateFrom Date
	DateTo   Date
	// RoomTypeIDs and RatePlanIDs are what the task covered.
	RoomTypeIDs []string
	RatePlanIDs []string
	BookingID   string
	RevisionID  string
	// Warnings are the reasons entries were left out.
	Warnings   []FieldErrors
	InsertedAt time.Time
}

// Task states.
const TaskCompleted = "completed"
