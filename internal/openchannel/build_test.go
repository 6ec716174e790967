package openchannel_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
)

func TestBuildCollapsesRanges(t *testing.T) {
	from := keycard.Date(20000)
	days := 6
	r := make([]keycard.Restrictions, days)
	for i := range r {
		r[i] = keycard.Restrictions{MinStayArrival: 1, MinStayThrough: 1}
	}
	r[3].StopSell = true
	r[4].MinStayArrival = 0 // unset reads as 1: the same as its neighbours
	p := keycard.ChannelPlanDays{RoomTypeCode: "RT", RatePlanCode: "PP", Currency: "EUR",
		Days:         []keycard.DaySpan{{From: from, To: from + 5}},
		Availability: []int32{3, 3, -1, 0, 0, 2},
		Restrictions: r,
		Rates: []keycard.ChannelRates{{Occupancy: 2, Minor: []int64{10000, 10000, 10000, 10000, 10000, 12050}},
			{Occupancy: 1, Minor: []int64{8000, 8000, 8000, 8000, 8000, 8000}}}}
	n := openchannel.Build(from, []keycard.ChannelPlanDays{p})
	var got []string
	for _, a := range n.Availability {
		got = append(got, a.DateFrom.String()+".."+a.DateTo.String()+"="+string(rune('0'+a.Availability)))
	}
	// -1 is sent as 0, and then equals the next days.
	want := []string{from.String() + ".." + (from + 1).String() + "=3", (from + 2).String() + ".." + (from + 4).String() + "=0",
		(from + 5).String() + ".." + (from + 5).String() + "=2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("availability ranges %v, want %v", got, want)
	}
	if len(n.Restrictions) != 4 {
		t.Fatalf("restriction ranges: %+v", n.Restrictions)
	}
	first, stop, last := n.Restrictions[0], n.Restrictions[1], n.Restrictions[3]
	if first.DateFrom != from || first.DateTo != from+2 || stop.DateFrom != from+3 || !stop.StopSell || last.DateFrom != from+5 ||
		last.Rates[0].Rate != "120.50" || last.Rates[0].Occupancy != 2 || last.Rates[1].Occupancy != 1 || last.Rates[1].FractionSize != 2 {
		t.Fatalf("restriction changes: %+v", n.Restrictions)
	}
	// Every restriction change has the full field set on the wire.
	n.RequestID, n.HotelCode = "id", "H"
	body, err := n.Body()
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		Data []struct {
			Attributes struct {
				Changes []struct {
					Type       string                     `json:"type"`
					Attributes map[string]json.RawMessage `json:"attributes"`
				} `json:"changes"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &wire); err != nil || len(wire.Data) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	for _, c := range wire.Data[0].Attributes.Changes {
		if c.Type != openchannel.TypeRestriction {
			continue
		}
		for _, f := range []string{"rate_plan_id", "room_type_id", "date_from", "date_to", "rates", "stop_sell", "closed_to_arrival",
			"closed_to_departure", "min_stay_arrival", "min_stay_through", "max_stay"} {
			if _, ok := c.Attributes[f]; !ok {
				t.Fatalf("restriction change without %s: %s", f, body)
			}
		}
	}
}

func TestRequestID(t *testing.T) {
	a := openchannel.RequestID("seed", []byte("body"))
	if a != openchannel.RequestID("seed", []byte("body")) {
		t.Fatal("the same push got two request ids")
	}
	if a == openchannel.RequestID("seed2", []byte("body")) || a == openchannel.RequestID("seed", []byte("body2")) {
		t.Fatal("different pushes share a request id")
	}
	if len(a) != 36 || a[14] != '4' || !strings.ContainsAny(a[19:20], "89ab") {
		t.Fatalf("%q is not a UUID v4 in form", a)
	}
}
