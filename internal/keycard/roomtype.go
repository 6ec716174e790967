package keycard

import (
	"strconv"
	"time"
)

// Inventory limits per property, the numbers every property shows as
// max_count_of_room_types, max_count_of_rate_plans and
// max_count_of_occupancies.
const (
	MaxRoomTypes   = 50
	MaxRatePlans   = 400
	MaxOccupancies = 10 // occupancy options per rate plan
)

// Bounds of a room type's counts.
const (
	MaxOccupancy    = 50 // adults, children or infants in one room
	MaxCountOfRooms = 10000
)

// Room kinds.
const (
	RoomKindRoom = "room"
	RoomKindDorm = "dorm"
)

// Channex's words for a title already taken in the property.
const (
	DuplicateRoomTypeTitle = "Duplication in Room Type title is not allowed"
	DuplicateRatePlanTitle = "Duplication in Rate Plan title is not allowed!"
)

// RoomType is a kind of room of a property. Its availability is kept per
// date (see AvailabilityChange); a new room type has none, which reads as
// 0.
type RoomType struct {
	ID               string
	PropertyID       string
	Title            string
	CountOfRooms     int
	OccAdults        int
	OccChildren      int
	OccInfants       int
	DefaultOccupancy int
	RoomKind         string
	// Capacity is the number of beds of a dorm; nil for a room.
	Capacity   *int
	Position   int
	Facilities []string
	Content    RoomTypeContent
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RoomTypeContent is a room type's descriptive content.
type RoomTypeContent struct {
	Description string  `json:"description,omitempty"`
	Photos      []Photo `json:"photos"`
}

// Validate checks every field of rt and returns a validation Error naming
// each field that is wrong, or nil. Fields already in skip (because they
// failed to decode) are not checked again.
func (rt *RoomType) Validate(skip FieldErrors) error { return rt.check(skip).Err() }

// check is Validate returning the field errors themselves.
func (rt *RoomType) check(skip FieldErrors) FieldErrors {
	c := newChecker(skip)
	check := c.check
	check("title", requiredText(rt.Title, 255))
	check("count_of_rooms", between(rt.CountOfRooms, 1, MaxCountOfRooms))
	adults := between(rt.OccAdults, 1, MaxOccupancy)
	check("occ_adults", adults)
	check("occ_children", between(rt.OccChildren, 0, MaxOccupancy))
	check("occ_infants", between(rt.OccInfants, 0, MaxOccupancy))
	if msg := between(rt.DefaultOccupancy, 1, MaxOccupancy); msg != "" {
		check("default_occupancy", msg)
	} else if rt.DefaultOccupancy > rt.OccAdults && adults == "" && !skip.Has("occ_adults") {
		// Compared only with a valid occ_adults, which has its own message.
		check("default_occupancy", "must be less than or equal to occ_adults")
	}
	switch rt.RoomKind {
	case RoomKindRoom:
		if rt.Capacity != nil {
			check("capacity", "can only be set for a dorm")
		}
	case RoomKindDorm:
		if rt.Capacity != nil {
			check("capacity", between(*rt.Capacity, 1, MaxCountOfRooms))
		}
	default:
		check("room_kind", "is not included in the list (room, dorm)")
	}
	check("position", between(rt.Position, 0, 1_000_000))
	check("facilities", facilitiesMessage(RoomFacility, rt.Facilities))
	if len(rt.Content.Description) > 65535 {
		check("content", "description must be at most 65535 characters")
	}
	for _, ph := range rt.Content.Photos {
		if msg := photoMessage(ph); msg != "" {
			check("content", msg)
			break
		}
	}
	return c.fe
}

// photoMessage returns what is wrong with a photo, or "".
func photoMessage(ph Photo) string {
	switch {
	case ph.URL == "" || webURL(ph.URL) != "":
		return "every photo needs a valid http(s) url"
	case !photoKinds[ph.Kind]:
		return "photo kind must be photo, ad or menu"
	case ph.Position < 0:
		return "photo position must not be negative"
	}
	return ""
}

// between returns the message for n outside lo..hi, or "".
func between(n, lo, hi int) string {
	switch {
	case n < lo && lo == 1:
		return "must be greater than 0"
	case n < lo:
		return "must be greater than or equal to " + strconv.Itoa(lo)
	case n > hi:
		return "must be less than or equal to " + strconv.Itoa(hi)
	}
	return ""
}
