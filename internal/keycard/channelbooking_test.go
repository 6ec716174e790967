package keycard

import (
	"regexp"
	"testing"
)

func TestChannelMappingsResolve(t *testing.T) {
	m := &ChannelMappings{
		RatePlans: []ChannelRatePlan{{RatePlanID: "rp-bar", RoomTypeCode: "DBL", RatePlanCode: "BAR"},
			{RatePlanID: "rp-gone", RoomTypeCode: "OLD", RatePlanCode: "X"}},
		Known: []KnownMapping{{Type: KnownMappingManual, RoomTypeCode: "SUITE", RatePlanCode: "FLEX", RoomTypeID: "rt-suite", RatePlanID: "rp-flex"},
			{Type: KnownMappingManual, RoomTypeCode: "TWIN", RatePlanCode: "ANY", RoomTypeID: "rt-twin"},
			{Type: KnownMappingManual, RoomTypeCode: "DBL", RatePlanCode: "BAR", RoomTypeID: "rt-other", RatePlanID: "rp-other"}},
		RatePlanRoomTypes: map[string]string{"rp-bar": "rt-dbl", "rp-flex": "rt-suite", "rp-other": "rt-other"},
	}
	for _, tc := range []struct {
		room, rate string
		rt, rp     string
	}{
		{"DBL", "BAR", "rt-dbl", "rp-bar"},       // a rate plan mapping wins over a known mapping
		{"SUITE", "FLEX", "rt-suite", "rp-flex"}, // a manual known mapping
		{"TWIN", "ANY", "rt-twin", ""},           // a known room type, no rate plan
		{"DBL", "NR", "rt-dbl", ""},              // the room type code alone: the rate is unmapped
		{"SUITE", "OTHER", "rt-suite", ""},       // the room type code of a known mapping alone
		{"OLD", "X", "", ""},                     // a mapping whose rate plan is gone
		{"NOPE", "BAR", "", ""},
	} {
		rt, rp := m.Resolve(ChannelRoomCodes{RoomTypeCode: tc.room, RatePlanCode: tc.rate})
		if rt != tc.rt || rp != tc.rp {
			t.Errorf("Resolve(%s/%s) = %q, %q; want %q, %q", tc.room, tc.rate, rt, rp, tc.rt, tc.rp)
		}
	}
}

func TestStayOpen(t *testing.T) {
	open := func() []Restrictions { return make([]Restrictions, 3) } // two nights and the departure date
	avail := []int32{2, 2, 2}
	for _, tc := range []struct {
		name  string
		days  func() []Restrictions
		avail []int32
		rooms int
		want  bool
	}{
		{"open", open, avail, 2, true},
		{"more rooms than there are", open, avail, 3, false},
		{"no room on the second night", open, []int32{2, 0, 2}, 1, false},
		{"no room on the departure date does not matter", open, []int32{2, 2, 0}, 1, true},
		{"stop sell on a night", func() []Restrictions { d := open(); d[1].StopSell = true; return d }, avail, 1, false},
		{"stop sell on the departure date does not matter", func() []Restrictions { d := open(); d[2].StopSell = true; return d }, avail, 1, true},
		{"closed to arrival", func() []Restrictions { d := open(); d[0].ClosedToArrival = true; return d }, avail, 1, false},
		{"closed to arrival on a later night does not matter", func() []Restrictions { d := open(); d[1].ClosedToArrival = true; return d }, avail, 1, true},
		{"closed to departure", func() []Restrictions { d := open(); d[2].ClosedToDeparture = true; return d }, avail, 1, false},
		{"min stay arrival 3", func() []Restrictions {
			d := open()
			d[0].Set, d[0].MinStayArrival = FieldMinStayArrival, 3
			return d
		}, avail, 1, false},
		{"min stay arrival 2", func() []Restrictions {
			d := open()
			d[0].Set, d[0].MinStayArrival = FieldMinStayArrival, 2
			return d
		}, avail, 1, true},
		{"min stay through 3 on the second night", func() []Restrictions {
			d := open()
			d[1].Set, d[1].MinStayThrough = FieldMinStayThrough, 3
			return d
		}, avail, 1, false},
		{"max stay 1", func() []Restrictions { d := open(); d[0].Set, d[0].MaxStay = FieldMaxStay, 1; return d }, avail, 1, false},
		{"max stay 0 is none", func() []Restrictions { d := open(); d[0].Set, d[0].MaxStay = FieldMaxStay, 0; return d }, avail, 1, true},
		{"no nights", func() []Restrictions { return make([]Restrictions, 1) }, avail, 1, false},
	} {
		if got := StayOpen(tc.days(), tc.avail, tc.rooms); got != tc.want {
			t.Errorf("%s: StayOpen = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMaskCardNumber(t *testing.T) {
	for in, want := range map[string]string{
		"4111111111111111":    "411111******1111",
		"4111 1111 1111 1111": "411111******1111",
		"378282246310005":     "378282*****0005",
		"411111******1111":    "411111******1111", // already masked
		"12345":               "12345",            // too short to be a card: left to the rules
		"4111-1111-abcd-1111": "4111-1111-abcd-1111",
	} {
		got := MaskCardNumber(in)
		if got != want {
			t.Errorf("MaskCardNumber(%q) = %q, want %q", in, got, want)
		}
		if got != in && MaskedCardMessage(got) != "" {
			t.Errorf("MaskCardNumber(%q) = %q, which the booking rules refuse: %s", in, got, MaskedCardMessage(got))
		}
	}
	if CardTypeCode("Visa") != "VI" || CardTypeCode("master_card") != "MC" || CardTypeCode("Elo card") != "Elo card" || CardTypeCode("mastercard") != "MC" || CardTypeCode("VI") != "VI" {
		t.Error("CardTypeCode does not map the usual names")
	}
}

func TestChannelReservationID(t *testing.T) {
	a := ChannelReservationID("ch-1", "hash-1")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Errorf("ChannelReservationID = %q, not a version 4 UUID", a)
	}
	if a != ChannelReservationID("ch-1", "hash-1") {
		t.Error("the same push does not name the same reservation")
	}
	if a == ChannelReservationID("ch-2", "hash-1") || a == ChannelReservationID("ch-1", "hash-2") {
		t.Error("another channel or another push names the same reservation")
	}
}
