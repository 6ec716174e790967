package openchannel

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/keycard/keycard/internal/keycard"
)

// Build returns the changes of a push of plans whose value slices start on
// day from: for each plan, its availability and its full restriction set
// with every rate, consecutive equal days collapsed into one inclusive
// range.
func Build(from keycard.Date, plans []keycard.ChannelPlanDays) *Notification {
	n := &Notification{}
	for i := range plans {
		p := &plans[i]
		exp := keycard.CurrencyExponent(p.Currency)
		for _, sp := range p.Days {
			// Availability.
			start := sp.From
			for d := sp.From; d <= sp.To; d++ {
				if d == sp.To || avail(p, from, d+1) != avail(p, from, d) {
					n.Availability = append(n.Availability, AvailabilityChange{RoomTypeID: p.RoomTypeCode, RatePlanID: p.RatePlanCode,
						DateFrom: start, DateTo: d, Availability: avail(p, from, d)})
					start = d + 1
				}
			}
			// Restrictions and rates.
			start = sp.From
			for d := sp.From; d <= sp.To; d++ {
				if d != sp.To && sameRestrictions(p, int(d-from), int(d+1-from)) {
					continue
				}
				r := &p.Restrictions[d-from]
				rc := RestrictionChange{RoomTypeID: p.RoomTypeCode, RatePlanID: p.RatePlanCode, DateFrom: start, DateTo: d,
					Rates: make([]Rate, 0, len(p.Rates)), StopSell: r.StopSell, ClosedToArrival: r.ClosedToArrival,
					ClosedToDeparture: r.ClosedToDeparture, MinStayArrival: max(int(r.MinStayArrival), 1),
					MinStayThrough: max(int(r.MinStayThrough), 1), MaxStay: max(int(r.MaxStay), 0)}
				for _, or := range p.Rates {
					rc.Rates = append(rc.Rates, Rate{Rate: keycard.FormatMoney(or.Minor[d-from], p.Currency), Currency: p.Currency,
						FractionSize: exp, Occupancy: or.Occupancy})
				}
				n.Restrictions = append(n.Restrictions, rc)
				start = d + 1
			}
		}
	}
	return n
}

func avail(p *keycard.ChannelPlanDays, from, d keycard.Date) int {
	return max(int(p.Availability[d-from]), 0)
}

// sameRestrictions says whether days i and j send the same restriction
// change.
func sameRestrictions(p *keycard.ChannelPlanDays, i, j int) bool {
	a, b := &p.Restrictions[i], &p.Restrictions[j]
	if a.StopSell != b.StopSell || a.ClosedToArrival != b.ClosedToArrival || a.ClosedToDeparture != b.ClosedToDeparture ||
		max(a.MinStayArrival, 1) != max(b.MinStayArrival, 1) || max(a.MinStayThrough, 1) != max(b.MinStayThrough, 1) ||
		max(a.MaxStay, 0) != max(b.MaxStay, 0) {
		return false
	}
	for _, or := range p.Rates {
		if or.Minor[i] != or.Minor[j] {
			return false
		}
	}
	return true
}

// RequestID returns a request id (a UUID v4 in form) that names one push's
// content: the same seed and body give the same id, so that a retry of an
// unchanged push is recognised by a channel that deduplicates, while a
// push with any other content gets another id.
func RequestID(seed string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte{0})
	h.Write(body)
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
