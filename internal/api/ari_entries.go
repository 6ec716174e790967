package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/keycard/keycard/internal/keycard"
)

// parallelEntries is the number of entries from which an ARI write
// decodes them on several cores: a full sync is tens of thousands, and
// each is independent of the others.
const parallelEntries = 4096

// decodeEntries runs decode over [0, n) in parts, one per core for a large
// write, and returns when all are done.
func decodeEntries(n int, decode func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/parallelEntries)
	if parts <= 1 {
		decode(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { decode(p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}

// decodeAvailability reads one entry of POST /availability.
func decodeAvailability(e *entry, raw json.RawMessage) (*keycard.AvailabilityChange, keycard.FieldErrors) {
	if !e.read(raw) {
		return nil, notAnObject()
	}
	c := &keycard.AvailabilityChange{PropertyID: ariID(e, "property_id"), RoomTypeID: ariID(e, "room_type_id"), Dates: ariDates(e)}
	if n, ok := ariInt(e, "availability", true); ok {
		if msg := keycard.CheckAvailability(n); msg != "" {
			e.fail("availability", msg)
		}
		c.Availability = int32(n)
	}
	return c, e.errs
}

// decodeRestriction reads one entry of POST /restrictions, in form only:
// the rate is read once its rate plan's currency is known.
func decodeRestriction(e *entry, raw json.RawMessage) (*keycard.RestrictionChange, keycard.FieldErrors) {
	if !e.read(raw) {
		return nil, notAnObject()
	}
	c := &keycard.RestrictionChange{PropertyID: ariID(e, "property_id"), RatePlanID: ariID(e, "rate_plan_id"), Dates: ariDates(e)}
	for _, field := range keycard.RestrictionFields {
		switch {
		case field.Bit == keycard.FieldRate:
			if raw, ok := e.get("rate"); ok {
				if msg := precheckRate(raw); msg != "" {
					e.fail("rate", msg)
				} else {
					c.Rate = raw
				}
			}
		case keycard.IsBool(field.Bit):
			if b, ok := ariBool(e, field.Name); ok {
				c.Values.SetBool(field.Bit, b)
			}
		default:
			if n, ok := ariInt(e, field.Name, false); ok {
				if msg := keycard.CheckRestriction(field.Bit, n); msg != "" {
					e.fail(field.Name, msg)
				} else {
					c.Values.SetInt(field.Bit, n)
				}
			}
		}
	}
	if n, ok := ariInt(e, "min_stay", false); ok {
		if msg := keycard.CheckRestriction(keycard.FieldMinStayArrival, n); msg != "" {
			e.fail("min_stay", msg)
		} else {
			v := int32(n)
			c.MinStay = &v
		}
	}
	if raw, ok := e.get("rates"); ok {
		c.Rates = ariRates(e, raw)
	}
	if c.Values.Set == 0 && c.Rate == nil && len(c.Rates) == 0 && c.MinStay == nil && len(e.errs) == 0 {
		e.fail("values", "at least one restriction (rate, rates, min_stay_arrival, min_stay_through, min_stay, max_stay, "+
			"closed_to_arrival, closed_to_departure, stop_sell, availability_offset, max_availability, max_sell) is required")
	}
	return c, e.errs
}

// entry reads the members of one ARI entry at a time. One serves a
// whole request, so that a full sync of tens of thousands of entries
// allocates no member list and no error map per entry, and one string per
// distinct id.
type entry struct {
	fields
	ids map[string]string // valid ids as written -> as read
}

// read makes raw the current entry; it reports false, leaving no members,
// when raw is not an object.
func (e *entry) read(raw json.RawMessage) bool {
	var ok bool
	e.errs = nil
	e.members, ok = splitObject(e.members[:0], raw)
	return ok
}

func notAnObject() keycard.FieldErrors { return keycard.FieldErrors{"value": {"must be an object"}} }

// ariID reads a required id member.
func ariID(e *entry, name string) string {
	raw, ok := e.get(name)
	switch {
	case !ok:
		e.fail(name, msgBlank)
	case isNull(raw):
		e.fail(name, msgNull)
	default:
		if s, ok := e.ids[string(raw)]; ok {
			return s
		}
		s, ok := ariString(raw)
		s = strings.ToLower(strings.TrimSpace(s))
		if !ok || !keycard.ValidID(s) {
			e.fail(name, msgInvalid)
			return s
		}
		e.ids[string(raw)] = s
		return s
	}
	return ""
}

// ariString reads a JSON string, without allocating a decoder for the
// common case of one without escapes.
func ariString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

// ariDates reads date, or date_from and date_to (inclusive), and days.
func ariDates(e *entry) keycard.Dates {
	d := keycard.Dates{Days: keycard.EveryDay}
	date := func(name string) (keycard.Date, bool) {
		raw, _ := e.get(name)
		if isNull(raw) {
			e.fail(name, msgNull)
			return 0, false
		}
		s, _ := ariString(raw)
		v, ok := keycard.ParseDate(s)
		if !ok {
			e.fail(name, msgDate)
		}
		return v, ok
	}
	hasDate := e.has("date")
	hasFrom := e.has("date_from")
	hasTo := e.has("date_to")
	switch {
	case hasDate && (hasFrom || hasTo):
		e.fail("date", "can't be combined with date_from and date_to")
	case hasDate:
		if v, ok := date("date"); ok {
			d.From, d.To, d.Single = v, v, true
		}
	case !hasFrom && !hasTo:
		e.fail("date", "can't be blank (send date, or date_from and date_to)")
	default:
		var okFrom, okTo bool
		if !hasFrom {
			e.fail("date_from", msgBlank)
		} else {
			d.From, okFrom = date("date_from")
		}
		if !hasTo {
			e.fail("date_to", msgBlank)
		} else {
			d.To, okTo = date("date_to")
		}
		if okFrom && okTo && d.To < d.From {
			e.fail("date_to", "must be on or after date_from")
		}
	}
	if raw, ok := e.get("days"); ok {
		var codes []string
		switch {
		case isNull(raw):
			e.fail("days", msgNull)
		case json.Unmarshal(raw, &codes) != nil:
			e.fail("days", "must be a list of weekday codes (mo, tu, we, th, fr, sa, su)")
		default:
			w, ok := keycard.ParseWeekdays(codes)
			if !ok {
				e.fail("days", "must be a non-empty list of weekday codes (mo, tu, we, th, fr, sa, su)")
			}
			d.Days = w
		}
	}
	return d
}

// ariInt reads a whole-number member; a string holding one is read too.
// It reports whether the member was present and valid.
func ariInt(e *entry, name string, required bool) (int64, bool) {
	raw, ok := e.get(name)
	switch {
	case !ok:
		if required {
			e.fail(name, msgBlank)
		}
		return 0, false
	case isNull(raw):
		e.fail(name, msgNull)
		return 0, false
	}
	s := string(raw)
	if t, ok := ariString(raw); ok {
		s = strings.TrimSpace(t)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		switch _, ferr := strconv.ParseFloat(s, 64); {
		case errors.Is(err, strconv.ErrRange):
			e.fail(name, "is too large")
		case ferr == nil && !strings.ContainsAny(s, "eE"):
			e.fail(name, "must be an integer")
		default:
			e.fail(name, "is not a number")
		}
		return 0, false
	}
	return n, true
}

// ariBool reads a boolean member: true, false, 0 or 1 (or those as
// strings).
func ariBool(e *entry, name string) (bool, bool) {
	raw, ok := e.get(name)
	if !ok {
		return false, false
	}
	if isNull(raw) {
		e.fail(name, msgNull)
		return false, false
	}
	s := string(raw)
	if t, ok := ariString(raw); ok {
		s = t
	}
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	e.fail(name, msgInvalid)
	return false, false
}

// ariRates reads rates: [{"occupancy": 1, "rate": 12100}, ...].
func ariRates(e *entry, raw json.RawMessage) []keycard.OccupancyRate {
	var list []map[string]json.RawMessage
	if isNull(raw) {
		e.fail("rates", msgNull)
		return nil
	}
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		e.fail("rates", "must be a non-empty list of {occupancy, rate}")
		return nil
	}
	out := make([]keycard.OccupancyRate, 0, len(list))
	for _, m := range list {
		occ, ok := wholeNumber(m["occupancy"])
		rate := m["rate"]
		switch {
		case !ok || occ < 1:
			e.fail("rates", "every item needs an occupancy, a whole number from 1")
		case precheckRate(rate) != "":
			e.fail("rates", "rate for occupancy "+strconv.FormatInt(occ, 10)+" "+precheckRate(rate))
		default:
			out = append(out, keycard.OccupancyRate{Occupancy: int(occ), Rate: rate})
		}
	}
	return out
}

// precheckRate returns what is wrong with a rate whatever the currency
// (its form, its sign), or "". Whether its decimals fit the rate plan's
// currency is checked once the plan is known.
func precheckRate(raw json.RawMessage) string {
	if raw == nil {
		return msgBlank
	}
	// Four decimals are the most any currency has (CLF).
	v, msg := keycard.ParseMoney(raw, "CLF")
	switch {
	case msg == "" && v <= 0:
		return "must be greater than 0"
	case msg == "is too large":
		return "" // depends on the currency
	}
	return msg
}
