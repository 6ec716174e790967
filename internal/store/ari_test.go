package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// hotel is a property with room types and rate plans, for store tests:
//
//   - room types rt (2 adults) and rt2 (3 adults);
//   - a: manual, per room, 100.00, min stay on arrival 2 on Saturdays, stop
//     sell on Sundays;
//   - b: per person on rt2, 90.00 for 2 adults (primary), 80.00 for 1;
//   - d: derived from a, inheriting all but stop_sell and
//     max_availability; its rate is a's plus 10 % plus 5.00, its min stay
//     on arrival a's plus 1;
//   - e: derived from d, inheriting everything, 5.00 less.
type hotel struct {
	st         *store.Store
	owner      *keycard.Principal
	property   string
	rt, rt2    string
	a, b, d, e *keycard.RatePlan
	d0         keycard.Date
}

func newHotel(t testing.TB, cfg store.Config) *hotel {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, cfg)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	u, _, err := st.CreateOwner(ctx, "owner@hotel.example", "password1", "")
	must(err)
	h := &hotel{st: st, d0: keycard.Today(time.Now(), "") + 1}
	h.owner, err = st.UserPrincipal(ctx, u.ID)
	must(err)
	prop, err := st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Hotel", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
	must(err)
	h.property = prop.ID
	roomType := func(title string, adults int) string {
		rt, err := st.CreateRoomType(ctx, h.owner, &keycard.RoomType{PropertyID: prop.ID, Title: title, CountOfRooms: 10,
			OccAdults: adults, DefaultOccupancy: adults, RoomKind: keycard.RoomKindRoom})
		must(err)
		return rt.ID
	}
	h.rt, h.rt2 = roomType("Double", 2), roomType("Triple", 3)
	option := func(occupancy int, primary bool, rate string) keycard.RateOptionChange {
		return keycard.RateOptionChange{Occupancy: &occupancy, IsPrimary: &primary, Rate: json.RawMessage(rate)}
	}
	// plan makes a rate plan on rt, by default with one option for 2 at
	// 100.00.
	plan := func(title string, c *keycard.RatePlanChange) *keycard.RatePlan {
		c.Title = &title
		if c.RoomTypeID == nil {
			c.RoomTypeID = &h.rt
		}
		if !c.OptionsSent {
			c.OptionsSent, c.Options = true, []keycard.RateOptionChange{option(2, true, "10000")}
		}
		rp, err := st.CreateRatePlan(ctx, h.owner, prop.ID, c, nil)
		must(err)
		return rp
	}
	h.a = plan("A", &keycard.RatePlanChange{
		MinStayArrival: &[7]int{1, 1, 1, 1, 1, 2, 1}, StopSell: &[7]bool{6: true},
	})
	h.b = plan("B", &keycard.RatePlanChange{RoomTypeID: &h.rt2, SellMode: new(keycard.SellPerPerson), OptionsSent: true,
		Options: []keycard.RateOptionChange{option(2, true, "9000"), option(1, false, "8000")}})
	d := option(2, true, "10000")
	d.DerivedOption = json.RawMessage(`{"rate": [["increase_by_percent", "10.00"], ["increase_by_amount", "5.00"]],
		"min_stay_arrival": [["increase_by_amount", 1]]}`)
	h.d = plan("D", &keycard.RatePlanChange{ParentRatePlanID: &h.a.ID, RateMode: new(keycard.RateDerived),
		InheritSent: keycard.FieldStopSell | keycard.FieldMaxAvailability, OptionsSent: true, Options: []keycard.RateOptionChange{d}})
	e := option(2, true, "10000")
	e.DerivedOption = json.RawMessage(`{"rate": [["decrease_by_amount", "5.00"]]}`)
	h.e = plan("E", &keycard.RatePlanChange{ParentRatePlanID: &h.d.ID, RateMode: new(keycard.RateDerived), OptionsSent: true,
		Options: []keycard.RateOptionChange{e}})
	return h
}

// The fields of the model, by the names the store uses.
var modelFields = []string{"rate", "min_stay_arrival", "min_stay_through", "max_stay", "closed_to_arrival", "closed_to_departure",
	"stop_sell", "availability_offset", "max_availability", "max_sell"}

// model is a plain in-memory record of what was written, and of what a
// read should then return: dates never written take the plan's weekday
// defaults, and a derived plan computes what it inherits from its parent.
type model struct {
	h     *hotel
	own   map[string]map[keycard.Date]map[string]int64 // option id -> date -> field -> value (booleans 0/1)
	avail map[string]map[keycard.Date]int64            // room type id -> date -> availability
}

func newModel(h *hotel) *model {
	return &model{h: h, own: map[string]map[keycard.Date]map[string]int64{}, avail: map[string]map[keycard.Date]int64{}}
}

func (m *model) set(option string, d keycard.Date, field string, v int64) {
	if m.own[option] == nil {
		m.own[option] = map[keycard.Date]map[string]int64{}
	}
	if m.own[option][d] == nil {
		m.own[option][d] = map[string]int64{}
	}
	m.own[option][d][field] = v
}

// value returns an option's value of field on d, and whether it is set
// (max_availability and max_sell may not be).
func (m *model) value(rp *keycard.RatePlan, o keycard.RateOption, d keycard.Date, field string) (int64, bool) {
	h := m.h
	if rp.ID == h.d.ID || rp.ID == h.e.ID {
		parent := h.a
		if rp.ID == h.e.ID {
			parent = h.d
		}
		inherited := rp.ID == h.e.ID || (field != "stop_sell" && field != "max_availability")
		if inherited {
			v, ok := m.value(parent, parent.Options[0], d, field)
			switch {
			case rp.ID == h.d.ID && field == "rate":
				v = (v*11000+5000)/10000 + 500
			case rp.ID == h.d.ID && field == "min_stay_arrival":
				v = min(v+1, keycard.MaxStayNights)
			case rp.ID == h.e.ID && field == "rate":
				v = max(v-500, 0)
			}
			return v, ok
		}
	}
	if v, ok := m.own[o.ID][d][field]; ok {
		return v, true
	}
	w := weekday(d)
	switch field {
	case "rate":
		return o.Rate, true
	case "min_stay_arrival":
		return int64(rp.MinStayArrival[w]), true
	case "min_stay_through":
		return int64(rp.MinStayThrough[w]), true
	case "max_stay":
		return int64(rp.MaxStay[w]), true
	case "closed_to_arrival":
		return b2i(rp.ClosedToArrival[w]), true
	case "closed_to_departure":
		return b2i(rp.ClosedToDeparture[w]), true
	case "stop_sell":
		return b2i(rp.StopSell[w]), true
	case "availability_offset":
		return 0, true
	}
	return 0, false
}

// weekday is d's day of the week, Monday 0, worked out with package time
// rather than with the code under test.
func weekday(d keycard.Date) int { return (int(d.Time().Weekday()) + 6) % 7 }

// on reports whether d is one of days, worked out independently too.
func on(days keycard.Weekdays, d keycard.Date) bool { return days&(1<<weekday(d)) != 0 }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestRestrictionsMatchModel writes random sequences of overlapping range
// values (several per request, of both kinds, some refused) and checks
// after each request that everything reads back as the model says.
func TestRestrictionsMatchModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		for seed := range uint64(3) {
			t.Run("seed "+strconv.FormatUint(seed, 10), func(t *testing.T) {
				h := newHotel(t, storetest.Config(t, cfg.Dialect()))
				m := newModel(h)
				rng := rand.New(rand.NewPCG(seed, 7))
				for req := range 30 {
					if rng.IntN(3) == 0 {
						m.writeAvailability(t, rng)
					} else {
						m.writeRestrictions(t, rng)
					}
					m.check(t, req)
					if t.Failed() {
						return
					}
				}
			})
		}
	})
}

const modelDays = 40

// span returns a random span in the model's window.
func (m *model) span(rng *rand.Rand) keycard.Dates {
	from := m.h.d0 + keycard.Date(rng.IntN(modelDays))
	to := from + keycard.Date(rng.IntN(int(m.h.d0)+modelDays-int(from)))
	days := keycard.EveryDay
	if rng.IntN(3) == 0 {
		days = keycard.Weekdays(1 + rng.IntN(int(keycard.EveryDay)))
	}
	return keycard.Dates{From: from, To: to, Days: days, Single: from == to && rng.IntN(2) == 0}
}

func (m *model) writeAvailability(t *testing.T, rng *rand.Rand) {
	t.Helper()
	var changes []*keycard.AvailabilityChange
	for range 1 + rng.IntN(4) {
		rt := []string{m.h.rt, m.h.rt2}[rng.IntN(2)]
		changes = append(changes, &keycard.AvailabilityChange{PropertyID: m.h.property, RoomTypeID: rt, Dates: m.span(rng),
			Availability: int32(rng.IntN(20))})
	}
	res, err := m.h.st.ApplyAvailability(context.Background(), m.h.owner, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		if res.Warnings[i] != nil {
			t.Fatalf("availability %+v refused: %v", c, res.Warnings[i])
		}
		if m.avail[c.RoomTypeID] == nil {
			m.avail[c.RoomTypeID] = map[keycard.Date]int64{}
		}
		for d := c.Dates.From; d <= c.Dates.To; d++ {
			if on(c.Dates.Days, d) {
				m.avail[c.RoomTypeID][d] = int64(c.Availability)
			}
		}
	}
}

func (m *model) writeRestrictions(t *testing.T, rng *rand.Rand) {
	t.Helper()
	h := m.h
	type target struct {
		plan    *keycard.RatePlan
		id      string
		options []keycard.RateOption
	}
	targets := []target{
		{h.a, h.a.ID, h.a.Options}, {h.b, h.b.ID, h.b.Options}, {h.b, h.b.Option(1).ID, []keycard.RateOption{*h.b.Option(1)}},
		{h.d, h.d.ID, h.d.Options}, {h.e, h.e.ID, h.e.Options},
	}
	var changes []*keycard.RestrictionChange
	var refused []bool
	for range 1 + rng.IntN(5) {
		tg := targets[rng.IntN(len(targets))]
		c := &keycard.RestrictionChange{PropertyID: h.property, RatePlanID: tg.id, Dates: m.span(rng)}
		// Each field with a chance of one in three; derived plans may
		// only write what they do not inherit.
		allowed := modelFields
		switch tg.plan {
		case h.d:
			allowed = []string{"stop_sell", "max_availability"}
		case h.e:
			allowed = nil
		}
		for _, f := range allowed {
			if rng.IntN(3) != 0 {
				continue
			}
			if f == "rate" {
				c.Rate = json.RawMessage(strconv.Itoa(1 + rng.IntN(100000)))
				continue
			}
			for _, rf := range keycard.RestrictionFields {
				if rf.Name != f {
					continue
				}
				if keycard.IsBool(rf.Bit) {
					c.Values.SetBool(rf.Bit, rng.IntN(2) == 0)
				} else {
					c.Values.SetInt(rf.Bit, int64(map[string]int{"min_stay_arrival": 1, "min_stay_through": 1}[f]+rng.IntN(10)))
				}
			}
		}
		if tg.plan == h.b && tg.id == h.b.ID && rng.IntN(2) == 0 {
			c.Rates = []keycard.OccupancyRate{{Occupancy: 1, Rate: json.RawMessage(strconv.Itoa(1 + rng.IntN(50000)))}}
		}
		bad := false
		switch rng.IntN(8) {
		case 0: // an inherited field of a derived plan
			c.RatePlanID, c.Rate, bad = h.d.ID, json.RawMessage(`100`), true
		case 1: // the past
			c.Dates.From, bad = h.d0-5, true
		}
		if c.Values.Set == 0 && c.Rate == nil && len(c.Rates) == 0 {
			c.Values.SetBool(keycard.FieldStopSell, true)
			if tg.plan == h.e {
				bad = true
			}
		}
		changes, refused = append(changes, c), append(refused, bad)
	}
	res, err := h.st.ApplyRestrictions(context.Background(), h.owner, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range changes {
		if (res.Warnings[i] != nil) != refused[i] {
			t.Fatalf("change %d to %s: warnings %v, want refused=%v", i, c.RatePlanID, res.Warnings[i], refused[i])
		}
		if refused[i] {
			continue
		}
		var options []keycard.RateOption
		var rateOption keycard.RateOption
		for _, tg := range targets {
			if tg.id == c.RatePlanID {
				options, rateOption = tg.options, tg.options[0]
			}
		}
		for d := c.Dates.From; d <= c.Dates.To; d++ {
			if !on(c.Dates.Days, d) {
				continue
			}
			for _, o := range options {
				for _, rf := range keycard.RestrictionFields {
					if c.Values.Set&rf.Bit == 0 {
						continue
					}
					if keycard.IsBool(rf.Bit) {
						m.set(o.ID, d, rf.Name, b2i(c.Values.Bool(rf.Bit)))
					} else {
						m.set(o.ID, d, rf.Name, c.Values.Int(rf.Bit))
					}
				}
			}
			if c.Rate != nil {
				n, _ := strconv.ParseInt(string(c.Rate), 10, 64)
				m.set(rateOption.ID, d, "rate", n)
			}
			for _, r := range c.Rates {
				n, _ := strconv.ParseInt(string(r.Rate), 10, 64)
				m.set(h.b.Option(r.Occupancy).ID, d, "rate", n)
			}
		}
	}
}

// check reads the whole window and compares it with the model.
func (m *model) check(t *testing.T, req int) {
	t.Helper()
	h := m.h
	q := keycard.ARIQuery{PropertyID: h.property, From: h.d0 - 2, To: h.d0 + modelDays + 2}
	grid, err := h.st.Restrictions(context.Background(), h.owner, q)
	if err != nil {
		t.Fatal(err)
	}
	avail, err := h.st.Availability(context.Background(), h.owner, q)
	if err != nil {
		t.Fatal(err)
	}
	rooms := map[string][]int32{}
	for _, rt := range avail.RoomTypes {
		rooms[rt.ID] = rt.Days
		for i, got := range rt.Days {
			if want := m.avail[rt.ID][q.From+keycard.Date(i)]; int64(got) != want {
				t.Errorf("after request %d: availability of %s on %s = %d, want %d", req, rt.ID, q.From+keycard.Date(i), got, want)
			}
		}
	}
	plans := map[string]*keycard.RatePlan{h.a.ID: h.a, h.b.ID: h.b, h.d.ID: h.d, h.e.ID: h.e}
	if len(grid.Options) != 5 {
		t.Fatalf("read %d options, want 5", len(grid.Options))
	}
	for _, od := range grid.Options {
		rp := plans[od.RatePlanID]
		var o keycard.RateOption
		for _, opt := range rp.Options {
			if opt.ID == od.ID {
				o = opt
			}
		}
		for i := range od.Days {
			d := q.From + keycard.Date(i)
			got := &od.Days[i]
			values := map[string]int64{}
			for _, rf := range keycard.RestrictionFields {
				want, wantSet := m.value(rp, o, d, rf.Name)
				gotSet := got.Set&rf.Bit != 0
				v := got.Int(rf.Bit)
				if keycard.IsBool(rf.Bit) {
					v = b2i(got.Bool(rf.Bit))
				}
				if gotSet != wantSet || (wantSet && v != want) {
					t.Errorf("after request %d: %s for %d: %s on %s (weekday %d) = %d (set %v), want %d (set %v)",
						req, rp.Title, o.Occupancy, rf.Name, d, weekday(d), v, gotSet, want, wantSet)
				}
				if wantSet {
					values[rf.Name] = want
				} else {
					values[rf.Name] = -1
				}
			}
			want := int64(rooms[rp.RoomTypeID][i]) - values["availability_offset"]
			for _, limit := range []string{"max_availability", "max_sell"} {
				if values[limit] >= 0 {
					want = min(want, values[limit])
				}
			}
			if want = max(want, 0); int64(od.Availability[i]) != want {
				t.Errorf("after request %d: %s availability on %s = %d, want %d", req, rp.Title, d, od.Availability[i], want)
			}
		}
	}
}

// TestARIWriteIsAtomic makes the database fail on the last row of a write
// that spans several statements: the rows of the statements that had
// succeeded must not be kept.
func TestARIWriteIsAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		// The primary options of two plans, 600 dates each: 1,200 rows,
		// more than one batch. Rows are written in order of option id and
		// date, so the failing one comes in the last statement.
		last := h.d0 + 599
		var changes []*keycard.RestrictionChange
		maxID := max(h.a.ID, h.b.ID)
		for _, rp := range []*keycard.RatePlan{h.a, h.b} {
			changes = append(changes, &keycard.RestrictionChange{PropertyID: h.property, RatePlanID: rp.ID,
				Dates: keycard.Dates{From: h.d0, To: last, Days: keycard.EveryDay}, Rate: json.RawMessage(`4242`)})
		}
		db := storetest.DB(t, cfg)
		failOn := map[string][]string{
			"sqlite": {fmt.Sprintf(`CREATE TRIGGER fail_late BEFORE INSERT ON rate_option_days
				WHEN NEW.rate_option_id = '%s' AND NEW.day = %d BEGIN SELECT RAISE(ABORT, 'injected failure'); END`, maxID, last)},
			"postgres": {fmt.Sprintf(`CREATE FUNCTION fail_late() RETURNS trigger AS $$ BEGIN
					IF NEW.rate_option_id = '%s' AND NEW.day = %d THEN RAISE EXCEPTION 'injected failure'; END IF;
					RETURN NEW; END $$ LANGUAGE plpgsql`, maxID, last),
				`CREATE TRIGGER fail_late BEFORE INSERT ON rate_option_days FOR EACH ROW EXECUTE FUNCTION fail_late()`},
		}
		for _, stmt := range failOn[cfg.Dialect()] {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.st.ApplyRestrictions(ctx, h.owner, changes); err == nil {
			t.Fatal("the write succeeded despite the failing row")
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM rate_option_days`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows were kept from a write that failed", n)
		}
		grid, err := h.st.Restrictions(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0, IDs: []string{h.a.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if got := grid.Options[0].Days[0].Rate; got != 10000 {
			t.Errorf("rate after the failed write = %d, want the default 10000", got)
		}
		// Without the failure, the same write applies whole.
		if _, err := db.Exec(`DROP TRIGGER fail_late` + map[string]string{"postgres": " ON rate_option_days"}[cfg.Dialect()]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ApplyRestrictions(ctx, h.owner, changes); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT COUNT(*) FROM rate_option_days`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2*600 {
			t.Errorf("%d rows written, want %d", n, 2*600)
		}
	})
}

// TestConcurrentARIWrites runs overlapping writes to one property at
// once, half of them writing the rate of plan a and stop_sell of plan b,
// the other half the other way round, so that their rows are written in
// different orders: every write must apply (PostgreSQL must not abort one
// as a deadlock), and each field keeps the value of one of its writers.
func TestConcurrentARIWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		const writers = 8
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				var stop keycard.Restrictions
				stop.SetBool(keycard.FieldStopSell, true)
				rated, stopped := h.a, h.b
				if w%2 == 1 {
					rated, stopped = h.b, h.a
				}
				dates := keycard.Dates{From: h.d0, To: h.d0 + 300, Days: keycard.EveryDay}
				_, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{
					{PropertyID: h.property, RatePlanID: rated.ID, Dates: dates, Rate: json.RawMessage(strconv.Itoa(1000 + w))},
					{PropertyID: h.property, RatePlanID: stopped.ID, Dates: dates, Values: stop},
				})
				errs <- err
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Errorf("concurrent write: %v", err)
			}
		}
		grid, err := h.st.Restrictions(ctx, h.owner, keycard.ARIQuery{PropertyID: h.property, From: h.d0, To: h.d0 + 300,
			IDs: []string{h.a.ID, h.b.ID}})
		if err != nil {
			t.Fatal(err)
		}
		for _, od := range grid.Options[:2] { // the primary options of a and b
			for i, d := range od.Days {
				if !d.StopSell || d.Rate < 1000 || d.Rate >= 1000+writers {
					t.Fatalf("%s day %d: %+v, want stop_sell and a writer's rate", od.ID, i, d)
				}
			}
		}
	})
}
