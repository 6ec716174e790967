package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keycard/keycard/client"
)

// PMS is the tiny PMS: one property, reached with one API key.
type PMS struct {
	Client     *client.Client
	PropertyID string
	// Days is how many days, from today, Run pushes (30 when 0).
	Days int
	// Out receives one line per revision and a summary.
	Out io.Writer
}

// Summary is what one run did.
type Summary struct {
	// Revisions are the revisions drained from the feed (and acked).
	Revisions int
	// From and To are the first and last day pushed (YYYY-MM-DD).
	From, To string
	// Availability and Rates count the values sent.
	Availability, Rates int
	// Warnings are the values the server refused.
	Warnings int
}

const day = "2006-01-02"

// Run drains the property's booking feed, then pushes availability and
// rates for Days days from today in the property's time zone (as of now).
func (p *PMS) Run(ctx context.Context, now time.Time) (*Summary, error) {
	c := p.Client
	prop, err := c.Property(ctx, p.PropertyID)
	if err != nil {
		return nil, fmt.Errorf("property %s: %w", p.PropertyID, err)
	}
	fmt.Fprintf(p.Out, "property %q (%s)\n", prop.Title, prop.Currency)

	// 1. New bookings and changes first: a PMS takes them into its own
	// books, and only then says what is left to sell.
	sum := &Summary{}
	sum.Revisions, err = c.DrainFeed(ctx, client.FeedOptions{PropertyID: p.PropertyID, Limit: 100}, func(r *client.BookingRevision) error {
		guest := ""
		if r.Customer != nil {
			guest = r.Customer.Name + " " + r.Customer.Surname
		}
		_, err := fmt.Fprintf(p.Out, "booking %s %s %s: %s to %s, %d room(s), %s %s, %s\n", r.OTAName, r.OTAReservationCode,
			r.Status, r.ArrivalDate, r.DepartureDate, len(r.Rooms), r.Amount, r.Currency, guest)
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("booking feed: %w", err)
	}

	// 2. The month to push, from today where the property is.
	loc := time.UTC
	if prop.Timezone != nil {
		if l, err := time.LoadLocation(*prop.Timezone); err == nil {
			loc = l
		}
	}
	days := p.Days
	if days <= 0 {
		days = 30
	}
	y, m, d := now.In(loc).Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 0, days-1)
	sum.From, sum.To = first.Format(day), last.Format(day)

	// 3. Availability: each room type's rooms, less those its bookings
	// hold each night, sent as runs of days of equal availability.
	booked := map[string]map[string]int{} // room type -> night -> rooms
	for b, err := range c.Bookings(ctx, client.BookingFilter{PropertyID: p.PropertyID, Limit: 100,
		DepartureFrom: first.AddDate(0, 0, 1).Format(day), ArrivalTo: sum.To}) {
		if err != nil {
			return sum, fmt.Errorf("bookings: %w", err)
		}
		if b.Status == "cancelled" {
			continue
		}
		for _, r := range b.Rooms {
			if r.RoomTypeID == "" {
				continue // not mapped to a room type: nothing to hold
			}
			in, _ := time.Parse(day, r.CheckinDate)
			out, _ := time.Parse(day, r.CheckoutDate)
			for n := in; n.Before(out); n = n.AddDate(0, 0, 1) {
				if booked[r.RoomTypeID] == nil {
					booked[r.RoomTypeID] = map[string]int{}
				}
				booked[r.RoomTypeID][n.Format(day)]++
			}
		}
	}
	var avail []client.Availability
	for rt, err := range c.RoomTypes(ctx, client.ListOptions{Limit: 100, Filters: map[string]string{"property_id": p.PropertyID}}) {
		if err != nil {
			return sum, fmt.Errorf("room types: %w", err)
		}
		left := func(t time.Time) int { return max(rt.CountOfRooms-booked[rt.ID][t.Format(day)], 0) }
		start := first
		for n := first; !n.After(last); n = n.AddDate(0, 0, 1) {
			next := n.AddDate(0, 0, 1)
			if next.After(last) || left(next) != left(start) {
				avail = append(avail, client.Availability{PropertyID: p.PropertyID, RoomTypeID: rt.ID,
					DateFrom: start.Format(day), DateTo: n.Format(day), Availability: left(start)})
				start = next
			}
		}
	}
	if len(avail) > 0 {
		res, err := c.UpdateAvailability(ctx, avail)
		if err != nil {
			return sum, fmt.Errorf("availability: %w", err)
		}
		sum.Availability, sum.Warnings = len(avail), len(res.Warnings)
	}

	// 4. Rates: each rate plan's primary rate (a real PMS would use its
	// own price list), open for sale, over the month. Derived rate plans
	// follow their parent.
	var rates []client.Restriction
	open := false
	for rp, err := range c.RatePlans(ctx, client.ListOptions{Limit: 100, Filters: map[string]string{"property_id": p.PropertyID}}) {
		if err != nil {
			return sum, fmt.Errorf("rate plans: %w", err)
		}
		if rp.IsDerived {
			continue
		}
		for _, o := range rp.Options {
			if o.IsPrimary && o.Rate != nil {
				rates = append(rates, client.Restriction{PropertyID: p.PropertyID, RatePlanID: rp.ID,
					DateFrom: sum.From, DateTo: sum.To, Rate: o.Rate, StopSell: &open})
			}
		}
	}
	if len(rates) > 0 {
		res, err := c.UpdateRestrictions(ctx, rates)
		if err != nil {
			return sum, fmt.Errorf("rates: %w", err)
		}
		sum.Rates, sum.Warnings = len(rates), sum.Warnings+len(res.Warnings)
	}
	fmt.Fprintf(p.Out, "%d revision(s) acknowledged; %s to %s: %d availability and %d rate value(s) pushed, %d refused\n",
		sum.Revisions, sum.From, sum.To, sum.Availability, sum.Rates, sum.Warnings)
	return sum, nil
}
