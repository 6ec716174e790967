package keycard

import "strings"

// RoomTypeChange is a room type as a client sends it, decoded into types
// but not yet judged: a nil pointer, or a false ...Sent, is a member the
// body did not have. Apply holds the rules of what a room type may be.
type RoomTypeChange struct {
	// PropertyID is the property the body names, which can't change.
	PropertyID *string
	Title      *string

	CountOfRooms, OccAdults, OccChildren, OccInfants, DefaultOccupancy, Position *int

	RoomKindSent   bool
	RoomKind       *string // nil when sent as null: a room
	CapacitySent   bool
	Capacity       *int // nil when sent as null (cleared)
	FacilitiesSent bool
	Facilities     []string
	ContentSent    bool
	Content        *RoomTypeContentChange // nil when sent as null (cleared)
}

// RoomTypeContentChange is a room type's content as sent; a nil
// Description, or a false PhotosSent, keeps what the room type has.
type RoomTypeContentChange struct {
	Description *string
	PhotosSent  bool
	Photos      []Photo
}

// Apply writes c onto rt, each member sent replacing rt's (photos as a
// whole), then validates the room type. rt is the room type as it stands:
// for a new one, a room of its property. errs holds what went wrong
// decoding the request (the rules skip those fields); Apply adds what
// breaks a rule, and returns errs.
func (rt *RoomType) Apply(c *RoomTypeChange, errs FieldErrors) FieldErrors {
	if errs == nil {
		errs = FieldErrors{}
	}
	sameProperty(errs, c.PropertyID, rt.PropertyID)
	if c.Title != nil {
		rt.Title = *c.Title
	}
	rt.Title = strings.TrimSpace(rt.Title)
	for _, m := range []struct {
		v   *int
		dst *int
	}{
		{c.CountOfRooms, &rt.CountOfRooms}, {c.OccAdults, &rt.OccAdults}, {c.OccChildren, &rt.OccChildren},
		{c.OccInfants, &rt.OccInfants}, {c.DefaultOccupancy, &rt.DefaultOccupancy}, {c.Position, &rt.Position},
	} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	if c.RoomKindSent {
		rt.RoomKind = RoomKindRoom
		if c.RoomKind != nil {
			rt.RoomKind = *c.RoomKind
		}
	}
	if c.CapacitySent {
		rt.Capacity = nil
		if c.Capacity != nil {
			n := *c.Capacity
			rt.Capacity = &n
		}
	}
	if c.FacilitiesSent {
		rt.Facilities = normalIDs(c.Facilities)
	}
	if c.ContentSent {
		if c.Content == nil {
			rt.Content = RoomTypeContent{}
		} else {
			if c.Content.Description != nil {
				rt.Content.Description = *c.Content.Description
			}
			if c.Content.PhotosSent {
				rt.Content.Photos = newPhotos(c.Content.Photos)
			}
		}
	}
	for f, msgs := range rt.check(errs) {
		errs[f] = append(errs[f], msgs...)
	}
	return errs
}

// sameProperty records that an entity's property can't be changed when
// the id sent is not the one it has. A member that failed to decode is
// left to its message.
func sameProperty(errs FieldErrors, sent *string, current string) {
	if sent != nil && !errs.Has("property_id") && !strings.EqualFold(strings.TrimSpace(*sent), current) {
		errs.Add("property_id", "can't be changed")
	}
}
