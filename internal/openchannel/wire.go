package openchannel

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
)

// Notification is one changes_notification: what keycard sends a channel
// in one POST {endpoint}changes/ (one notification per request, since some
// channels read only the first).
type Notification struct {
	RequestID    string
	HotelCode    string
	Availability []AvailabilityChange
	Restrictions []RestrictionChange
}

// AvailabilityChange is one availability_changes item: the rooms a mapped
// (room type, rate plan) pair sells on each day from DateFrom to DateTo,
// both included.
type AvailabilityChange struct {
	RoomTypeID   string       `json:"room_type_id"`
	RatePlanID   string       `json:"rate_plan_id"`
	DateFrom     keycard.Date `json:"-"`
	DateTo       keycard.Date `json:"-"`
	Availability int          `json:"availability"`
}

// RestrictionChange is one restriction_changes item: the full restriction
// field set and every rate of a mapped plan, the same on each day from
// DateFrom to DateTo, both included.
type RestrictionChange struct {
	RatePlanID        string       `json:"rate_plan_id"`
	RoomTypeID        string       `json:"room_type_id"`
	DateFrom          keycard.Date `json:"-"`
	DateTo            keycard.Date `json:"-"`
	Rates             []Rate       `json:"rates"`
	StopSell          bool         `json:"stop_sell"`
	ClosedToArrival   bool         `json:"closed_to_arrival"`
	ClosedToDeparture bool         `json:"closed_to_departure"`
	MinStayArrival    int          `json:"min_stay_arrival"`
	MinStayThrough    int          `json:"min_stay_through"`
	MaxStay           int          `json:"max_stay"`
}

// Rate is one rate of a restriction change: a decimal string in the
// channel plan's currency, and the occupancy it is for.
type Rate struct {
	Rate         string `json:"rate"`
	Currency     string `json:"currency"`
	FractionSize int    `json:"fraction_size"`
	Occupancy    int    `json:"occupancy"`
}

// Size is the number of change items.
func (n *Notification) Size() int { return len(n.Availability) + len(n.Restrictions) }

type dates struct {
	DateFrom string `json:"date_from"`
	DateTo   string `json:"date_to"`
}

type wireAvailability struct {
	AvailabilityChange
	dates
}

type wireRestriction struct {
	RestrictionChange
	dates
}

type wireChange struct {
	Type       string          `json:"type"`
	Attributes json.RawMessage `json:"attributes"`
}

type wireNotification struct {
	Type       string `json:"type"`
	Attributes struct {
		RequestID string       `json:"request_id"`
		HotelCode string       `json:"hotel_code"`
		Changes   []wireChange `json:"changes"`
	} `json:"attributes"`
}

// Change types.
const (
	TypeAvailability = "availability_changes"
	TypeRestriction  = "restriction_changes"
	TypeNotification = "changes_notification"
)

// Body returns the request body: {"data":[notification]}, availability
// changes first.
func (n *Notification) Body() ([]byte, error) {
	var w wireNotification
	w.Type = TypeNotification
	w.Attributes.RequestID = n.RequestID
	w.Attributes.HotelCode = n.HotelCode
	w.Attributes.Changes = make([]wireChange, 0, n.Size())
	for _, a := range n.Availability {
		b, err := json.Marshal(wireAvailability{a, dates{a.DateFrom.String(), a.DateTo.String()}})
		if err != nil {
			return nil, err
		}
		w.Attributes.Changes = append(w.Attributes.Changes, wireChange{TypeAvailability, b})
	}
	for _, r := range n.Restrictions {
		if r.Rates == nil {
			r.Rates = []Rate{}
		}
		b, err := json.Marshal(wireRestriction{r, dates{r.DateFrom.String(), r.DateTo.String()}})
		if err != nil {
			return nil, err
		}
		w.Attributes.Changes = append(w.Attributes.Changes, wireChange{TypeRestriction, b})
	}
	return json.Marshal(map[string][]wireNotification{"data": {w}})
}

// ParseChanges reads a changes request body (as a channel does): every
// notification in its data list.
func ParseChanges(body []byte) ([]Notification, error) {
	var env struct {
		Data []wireNotification `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(env.Data) == 0 {
		return nil, errors.New("no changes_notification in data")
	}
	out := make([]Notification, 0, len(env.Data))
	for _, w := range env.Data {
		if w.Type != TypeNotification {
			return nil, fmt.Errorf("unexpected type %q", w.Type)
		}
		n := Notification{RequestID: w.Attributes.RequestID, HotelCode: w.Attributes.HotelCode}
		for _, c := range w.Attributes.Changes {
			var d dates
			if err := json.Unmarshal(c.Attributes, &d); err != nil {
				return nil, err
			}
			from, ok1 := keycard.ParseDate(d.DateFrom)
			to, ok2 := keycard.ParseDate(d.DateTo)
			if !ok1 || !ok2 || to < from {
				return nil, fmt.Errorf("bad dates %q..%q", d.DateFrom, d.DateTo)
			}
			switch c.Type {
			case TypeAvailability:
				var a AvailabilityChange
				if err := json.Unmarshal(c.Attributes, &a); err != nil {
					return nil, err
				}
				a.DateFrom, a.DateTo = from, to
				n.Availability = append(n.Availability, a)
			case TypeRestriction:
				var r RestrictionChange
				if err := json.Unmarshal(c.Attributes, &r); err != nil {
					return nil, err
				}
				r.DateFrom, r.DateTo = from, to
				n.Restrictions = append(n.Restrictions, r)
			default:
				return nil, fmt.Errorf("unexpected change type %q", c.Type)
			}
		}
		out = append(out, n)
	}
	return out, nil
}
