package keycard

import (
	"reflect"
	"strings"
	"testing"
)

func TestRoomTypeApply(t *testing.T) {
	const property = "0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a10"
	facility := FacilityCatalogue(RoomFacility)[0].ID
	valid := func() *RoomType {
		return &RoomType{PropertyID: property, Title: "Double", CountOfRooms: 2, OccAdults: 2, DefaultOccupancy: 2, RoomKind: RoomKindRoom}
	}
	for _, tc := range []struct {
		name       string
		before     func(rt *RoomType) // nil: valid()
		change     RoomTypeChange
		decodeErrs FieldErrors
		want       FieldErrors // nil: valid
		check      func(t *testing.T, rt *RoomType)
	}{
		{name: "the title is trimmed", change: RoomTypeChange{Title: str(" Twin  "), CountOfRooms: new(5)},
			check: func(t *testing.T, rt *RoomType) {
				if rt.Title != "Twin" || rt.CountOfRooms != 5 {
					t.Errorf("got %q with %d rooms, want Twin with 5", rt.Title, rt.CountOfRooms)
				}
			}},
		{name: "a dorm with beds", change: RoomTypeChange{RoomKindSent: true, RoomKind: str(RoomKindDorm), CapacitySent: true, Capacity: new(6)},
			check: func(t *testing.T, rt *RoomType) {
				if rt.RoomKind != RoomKindDorm || rt.Capacity == nil || *rt.Capacity != 6 {
					t.Errorf("got %s with capacity %v, want a dorm of 6", rt.RoomKind, rt.Capacity)
				}
			}},
		{name: "room_kind and capacity null: a room without beds",
			before: func(rt *RoomType) { rt.RoomKind, rt.Capacity = RoomKindDorm, new(6) },
			change: RoomTypeChange{RoomKindSent: true, CapacitySent: true},
			check: func(t *testing.T, rt *RoomType) {
				if rt.RoomKind != RoomKindRoom || rt.Capacity != nil {
					t.Errorf("got %s with capacity %v, want a room without", rt.RoomKind, rt.Capacity)
				}
			}},
		{name: "a room has no beds", change: RoomTypeChange{CapacitySent: true, Capacity: new(6)},
			want: FieldErrors{"capacity": {"can only be set for a dorm"}}},
		{name: "an empty room_kind is not a room", change: RoomTypeChange{RoomKindSent: true, RoomKind: str("")},
			want: FieldErrors{"room_kind": {"is not included in the list (room, dorm)"}}},
		{name: "the same property, in any case", change: RoomTypeChange{PropertyID: str(" " + strings.ToUpper(property))}},
		{name: "the property can't change", change: RoomTypeChange{PropertyID: str(NewID())},
			want: FieldErrors{"property_id": {"can't be changed"}}},
		{name: "a property_id that failed to decode", change: RoomTypeChange{PropertyID: str("")},
			decodeErrs: FieldErrors{"property_id": {"contains a NUL character"}},
			want:       FieldErrors{"property_id": {"contains a NUL character"}}},
		{name: "default occupancy above adults", change: RoomTypeChange{OccAdults: new(1)},
			want: FieldErrors{"default_occupancy": {"must be less than or equal to occ_adults"}}},
		{name: "adults that failed to decode are not compared", change: RoomTypeChange{DefaultOccupancy: new(3)},
			decodeErrs: FieldErrors{"occ_adults": {"must be a whole number"}},
			want:       FieldErrors{"occ_adults": {"must be a whole number"}}},
		{name: "photos take a kind and an id, and keep theirs",
			change: RoomTypeChange{ContentSent: true, Content: &RoomTypeContentChange{PhotosSent: true,
				Photos: []Photo{{URL: "https://hotel.example/a.jpg"}, {ID: "0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a11", URL: "https://hotel.example/b.jpg", Kind: "ad"}}}},
			check: func(t *testing.T, rt *RoomType) {
				a, b := rt.Content.Photos[0], rt.Content.Photos[1]
				if a.Kind != "photo" || !ValidID(a.ID) || b.Kind != "ad" || b.ID != "0b5c3f52-7c4e-4ac4-9d28-6d1f0a4d7a11" {
					t.Errorf("got photos %+v, want a photo with a new id, then the ad as sent", rt.Content.Photos)
				}
			}},
		{name: "content without photos keeps them",
			before: func(rt *RoomType) {
				rt.Content.Photos = []Photo{{ID: NewID(), URL: "https://hotel.example/a.jpg", Kind: "photo"}}
			},
			change: RoomTypeChange{ContentSent: true, Content: &RoomTypeContentChange{Description: str("Quiet")}},
			check: func(t *testing.T, rt *RoomType) {
				if rt.Content.Description != "Quiet" || len(rt.Content.Photos) != 1 {
					t.Errorf("got content %+v, want the description and the photo kept", rt.Content)
				}
			}},
		{name: "facilities are stored lower case", change: RoomTypeChange{FacilitiesSent: true, Facilities: []string{" " + strings.ToUpper(facility)}},
			check: func(t *testing.T, rt *RoomType) {
				if !reflect.DeepEqual(rt.Facilities, []string{facility}) {
					t.Errorf("got facilities %q, want [%s]", rt.Facilities, facility)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := valid()
			if tc.before != nil {
				tc.before(rt)
			}
			got := rt.Apply(&tc.change, tc.decodeErrs.Clone())
			if tc.want == nil {
				tc.want = FieldErrors{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got errors %v, want %v", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, rt)
			}
		})
	}
}
