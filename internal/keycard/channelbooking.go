package keycard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// ChannelUniqueIDPrefix is what the unique id of a booking an Open Channel
// connection pushed starts with: OPN-<reservation_id>.
const ChannelUniqueIDPrefix = "OPN-"

// ChannelOTAName is the ota_name of a channel booking whose push names
// none.
const ChannelOTAName = "OpenChannel"

// ChannelEventUnmappedBooking is the type of the channel event a booking
// with rooms that map to nothing opens; resolving it records known
// mappings.
const ChannelEventUnmappedBooking = "unmapped_booking"

// Known mapping types: "auto" from a channel's own description, "manual"
// when a user resolved an unmapped booking.
const (
	KnownMappingAuto   = "auto"
	KnownMappingManual = "manual"
)

// ChannelRoomCodes are the codes a channel booked one room with: its room
// type code and the rate plan code of its nights (the first night's, when
// they differ).
type ChannelRoomCodes struct {
	RoomTypeCode string `json:"room_type_code"`
	RatePlanCode string `json:"rate_plan_code"`
}

// ChannelMappings is what resolves a channel's codes: its rate plan
// mappings, its known mappings, and the room type of each keycard rate
// plan of the property.
type ChannelMappings struct {
	RatePlans         []ChannelRatePlan
	Known             []KnownMapping
	RatePlanRoomTypes map[string]string
}

// Resolve returns the room type and rate plan the codes name, "" for what
// maps to nothing. A rate plan mapping of the same codes wins, then a
// known mapping of the same codes; failing both, a mapping of the room
// type code alone gives the room type (the rate stays unmapped).
func (m *ChannelMappings) Resolve(c ChannelRoomCodes) (roomTypeID, ratePlanID string) {
	for _, rp := range m.RatePlans {
		if rp.RoomTypeCode == c.RoomTypeCode && rp.RatePlanCode == c.RatePlanCode {
			if rt, ok := m.RatePlanRoomTypes[rp.RatePlanID]; ok {
				return rt, rp.RatePlanID
			}
		}
	}
	for _, k := range m.Known {
		if k.RoomTypeCode == c.RoomTypeCode && k.RatePlanCode == c.RatePlanCode {
			if k.RatePlanID != "" {
				if rt, ok := m.RatePlanRoomTypes[k.RatePlanID]; ok {
					return rt, k.RatePlanID
				}
			}
			return k.RoomTypeID, ""
		}
	}
	for _, rp := range m.RatePlans {
		if rp.RoomTypeCode == c.RoomTypeCode {
			if rt, ok := m.RatePlanRoomTypes[rp.RatePlanID]; ok {
				return rt, ""
			}
		}
	}
	for _, k := range m.Known {
		if k.RoomTypeCode == c.RoomTypeCode {
			return k.RoomTypeID, ""
		}
	}
	return "", ""
}

// ChannelReservationID returns the reservation id keycard gives a new
// push that names none: a UUID made of the connection and the push's
// hash, so that the same push sent again (a channel retrying after a
// timeout) names the same booking instead of making a second one.
func ChannelReservationID(channelID, pushHash string) string {
	sum := sha256.Sum256([]byte(channelID + "\x00" + pushHash))
	h := hex.EncodeToString(sum[:16])
	// Shaped as a version 4, variant 1 UUID, as Channex generates.
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + string("89ab"[sum[8]&3]) + h[17:20] + "-" + h[20:32]
}

// MaskCardNumber returns a card number as keycard keeps it: digits beyond
// the first six and the last four replaced by asterisks, as Channex masks
// the cards pushed to its non-secure host. A number that is already
// masked, or is not made of digits, is returned as it is (the booking
// rules judge it).
func MaskCardNumber(number string) string {
	s := strings.NewReplacer(" ", "", "-", "").Replace(number)
	if len(s) < 12 || len(s) > 19 {
		return number
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return number
		}
	}
	return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
}

// CardTypeCode returns the card type code (VI, MC, ...) for the names
// channels commonly send ("visa", "mastercard", ...); a code, or a name
// it does not know, is returned as it is.
func CardTypeCode(name string) string {
	switch strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(name)) {
	case "visa":
		return "VI"
	case "mastercard", "master":
		return "MC"
	case "amex", "americanexpress":
		return "AX"
	case "discover":
		return "DS"
	case "jcb":
		return "JC"
	case "diners", "dinersclub":
		return "DN"
	case "maestro":
		return "MA"
	case "unionpay", "chinaunionpay":
		return "CU"
	}
	return name
}

// StayOpen reports whether rooms rooms of one rate plan can be sold for a
// stay, as a channel's availability check asks: days are the plan's
// values from the arrival date to the departure date (one more than the
// nights), avail what it can sell per date. A stay is closed by a night
// without enough rooms or with stop sell, by closed to arrival on the
// arrival date or closed to departure on the departure date, by a
// min_stay_arrival (on arrival) or min_stay_through (on any night) above
// its nights, or by a max_stay (on arrival) below them.
func StayOpen(days []Restrictions, avail []int32, rooms int) bool {
	nights := len(days) - 1
	if nights < 1 || len(avail) < nights {
		return false
	}
	arrival := &days[0]
	if arrival.ClosedToArrival || days[nights].ClosedToDeparture {
		return false
	}
	if arrival.Set&FieldMinStayArrival != 0 && int(arrival.MinStayArrival) > nights {
		return false
	}
	if arrival.Set&FieldMaxStay != 0 && arrival.MaxStay > 0 && int(arrival.MaxStay) < nights {
		return false
	}
	for i := range nights {
		d := &days[i]
		if d.StopSell || int(avail[i]) < rooms {
			return false
		}
		if d.Set&FieldMinStayThrough != 0 && int(d.MinStayThrough) > nights {
			return false
		}
	}
	return true
}

// UnmappedRoom is a room of an unmapped_booking event: its place in the
// booking and the codes that mapped to nothing.
type UnmappedRoom struct {
	Index        int    `json:"index"`
	RoomTypeCode string `json:"room_type_code"`
	RatePlanCode string `json:"rate_plan_code"`
}

// UnmappedRooms returns the rooms an open unmapped_booking event awaits
// a mapping for (nothing for any other event).
func (e *ChannelEvent) UnmappedRooms() []UnmappedRoom {
	if e.Type != ChannelEventUnmappedBooking || e.Status != "open" {
		return nil
	}
	var p struct {
		Rooms []UnmappedRoom `json:"rooms"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	return p.Rooms
}
