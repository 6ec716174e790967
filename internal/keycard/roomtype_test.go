package keycard

import (
	"strings"
	"testing"
)

func TestRoomTypeValidate(t *testing.T) {
	valid := func() *RoomType {
		return &RoomType{Title: "Double", CountOfRooms: 2, OccAdults: 2, OccChildren: 1, DefaultOccupancy: 2, RoomKind: RoomKindRoom}
	}
	four := 4
	for _, tc := range []struct {
		name   string
		change func(*RoomType)
		field  string // "" for valid
	}{
		{"valid", func(*RoomType) {}, ""},
		{"a dorm with beds", func(rt *RoomType) { rt.RoomKind, rt.Capacity = RoomKindDorm, &four }, ""},
		{"default occupancy lower than adults", func(rt *RoomType) { rt.DefaultOccupancy = 1 }, ""},
		{"no title", func(rt *RoomType) { rt.Title = " " }, "title"},
		{"long title", func(rt *RoomType) { rt.Title = strings.Repeat("x", 256) }, "title"},
		{"no rooms", func(rt *RoomType) { rt.CountOfRooms = 0 }, "count_of_rooms"},
		{"too many rooms", func(rt *RoomType) { rt.CountOfRooms = MaxCountOfRooms + 1 }, "count_of_rooms"},
		{"no adults", func(rt *RoomType) { rt.OccAdults = 0 }, "occ_adults"},
		{"negative children", func(rt *RoomType) { rt.OccChildren = -1 }, "occ_children"},
		{"too many infants", func(rt *RoomType) { rt.OccInfants = MaxOccupancy + 1 }, "occ_infants"},
		{"default occupancy above adults", func(rt *RoomType) { rt.DefaultOccupancy = 3 }, "default_occupancy"},
		{"unknown kind", func(rt *RoomType) { rt.RoomKind = "suite" }, "room_kind"},
		{"a room with beds", func(rt *RoomType) { rt.Capacity = &four }, "capacity"},
		{"a bad facility", func(rt *RoomType) { rt.Facilities = []string{"wifi"} }, "facilities"},
		{"a photo without url", func(rt *RoomType) { rt.Content.Photos = []Photo{{Kind: "photo"}} }, "content"},
		{"a photo of an unknown kind", func(rt *RoomType) {
			rt.Content.Photos = []Photo{{URL: "https://hotel.example/a.jpg", Kind: "video"}}
		}, "content"},
	} {
		rt := valid()
		tc.change(rt)
		err := rt.Validate(nil)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tc.name, err)
			}
			continue
		}
		fe, _ := err.(*Error).Details.(FieldErrors)
		if len(fe) != 1 || !fe.Has(tc.field) {
			t.Errorf("%s: %v, want one message, for %s", tc.name, err, tc.field)
		}
	}
}

// TestRoomTypeValidateSkips checks that a field that failed to decode is
// not reported twice.
func TestRoomTypeValidateSkips(t *testing.T) {
	rt := &RoomType{Title: "x", CountOfRooms: 1, RoomKind: RoomKindRoom, DefaultOccupancy: 2}
	if err := rt.Validate(FieldErrors{"occ_adults": {"must be a whole number"}}); err != nil {
		t.Errorf("%v: occ_adults was skipped, and default_occupancy can't be compared with it", err)
	}
}
