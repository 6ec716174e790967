package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// A portfolio seeded by "keycard bench --properties N" holds, for each
// property, the room types and rate plans of the default seed, ARIDays
// days of rates, restrictions and availability from tomorrow, and
// BookingsPerProperty bookings, each with its revision unacked in the
// feed. It is written through the store's own code (ApplyRestrictions,
// ApplyAvailability, SaveBookings), seedBatch properties to a
// transaction.
const (
	ARIDays             = 500
	BookingsPerProperty = 200
	seedBatch           = 10
	// seedWorkers is how many transactions seed at once on PostgreSQL,
	// where each waits mostly on the server.
	seedWorkers = 4
)

// createProperties creates n properties, their room types and rate plans
// into s, with workers goroutines, and then the drained property.
func createProperties(ctx context.Context, st *store.Store, owner *keycard.Principal, s *Seeded, n, workers int, report bool, progress io.Writer) error {
	s.properties = make([]string, n)
	invs := make([]*propertyInventory, n)
	start := time.Now()
	var mu sync.Mutex
	done := 0
	err := parallel(ctx, workers, n, func(i int) error {
		id, inv, err := createProperty(ctx, st, owner, i)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		s.properties[i], invs[i] = id, inv
		if done++; report && done%max(n/10, 1) == 0 {
			fmt.Fprintf(progress, "  created %d of %d properties, their room types and rate plans, in %s\n", done, n, time.Since(start).Round(time.Second))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range s.properties {
		s.inventory[id] = invs[i]
	}
	s.plans = invs[0].plans
	drained, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: "Bench Hotel drained", Currency: "EUR",
		Settings: keycard.DefaultPropertySettings()}, "")
	if err != nil {
		return err
	}
	s.drained = drained.ID
	return nil
}

// createProperty creates the i-th property with its room types and rate
// plans.
func createProperty(ctx context.Context, st *store.Store, owner *keycard.Principal, i int) (string, *propertyInventory, error) {
	prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: fmt.Sprintf("Bench Hotel %02d", i), Currency: "EUR",
		Settings: keycard.DefaultPropertySettings()}, "")
	if err != nil {
		return "", nil, err
	}
	// The owner's reach is evaluated in each query that checks it, over
	// every property of the organisation: by the thousandth property,
	// most of the time of seeding. The owner as it stands for this
	// property alone (as a cached credential carries its reach) is checked
	// against this one.
	owner = forProperties(owner, prop.ID)
	inv := &propertyInventory{planRoom: map[string]string{}}
	for j := range RoomTypes {
		rt, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: prop.ID, Title: "Room " + strconv.Itoa(j),
			CountOfRooms: 10, OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
		if err != nil {
			return "", nil, err
		}
		inv.rooms = append(inv.rooms, rt.ID)
	}
	for j := range RatePlans {
		room := inv.rooms[j%len(inv.rooms)]
		rp, err := st.CreateRatePlan(ctx, owner, prop.ID, &keycard.RatePlanChange{Title: new("Plan " + strconv.Itoa(j)),
			RoomTypeID: new(room), OptionsSent: true,
			Options: []keycard.RateOptionChange{{Occupancy: new(2), IsPrimary: new(true), Rate: json.RawMessage(`10000`)}}}, nil)
		if err != nil {
			return "", nil, err
		}
		inv.plans = append(inv.plans, rp.ID)
		inv.planRoom[rp.ID] = room
	}
	return prop.ID, inv, nil
}

// parallel calls fn(i) for i from 0 to n-1 on workers goroutines, and
// returns the first error (the others stop taking work once there is one).
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// seedPortfolio writes the ARI and the bookings of the properties of s,
// seedBatch properties to a transaction, workers transactions at once,
// reporting progress to w every tenth of the way.
func seedPortfolio(ctx context.Context, st *store.Store, owner *keycard.Principal, s *Seeded, workers int, w io.Writer) error {
	last := s.first + ARIDays - 1
	every := keycard.Dates{From: s.first, To: last, Days: keycard.EveryDay}
	start := time.Now()
	var mu sync.Mutex
	var took [3]time.Duration // restrictions, availability, bookings
	done := 0
	batches := (len(s.properties) + seedBatch - 1) / seedBatch
	return parallel(ctx, workers, batches, func(bi int) error {
		from := bi * seedBatch
		batch := s.properties[from:min(from+seedBatch, len(s.properties))]
		var rates []*keycard.RestrictionChange
		var avail []*keycard.AvailabilityChange
		var books []store.BookingWrite
		for _, prop := range batch {
			inv := s.inventory[prop]
			for j, plan := range inv.plans {
				rates = append(rates, &keycard.RestrictionChange{PropertyID: prop, RatePlanID: plan, Dates: every,
					Rate:   json.RawMessage(strconv.Itoa(10000 + 100*j)),
					Values: keycard.Restrictions{Set: keycard.FieldMinStayArrival, MinStayArrival: 1 + int32(j%3)}})
			}
			for _, room := range inv.rooms {
				avail = append(avail, &keycard.AvailabilityChange{PropertyID: prop, RoomTypeID: room, Dates: every, Availability: 10})
			}
			for k := range BookingsPerProperty {
				// Stays of one to three nights spread over the ARI's days,
				// each on its own room type and plan in turn.
				in := s.first + keycard.Date(k*(ARIDays-3)/BookingsPerProperty)
				out := in + 1 + keycard.Date(k%3)
				plan := inv.plans[k%len(inv.plans)]
				room := inv.planRoom[plan]
				c := &keycard.BookingChange{OTAName: new("Offline"), OTAReservationCode: new("SCALE-" + strconv.Itoa(k)),
					ArrivalDate: new(in.String()), DepartureDate: new(out.String()), RoomsSent: true,
					Rooms: []keycard.RoomChange{{N: 1, RoomTypeID: new(room), RatePlanID: new(plan),
						CheckinDate: new(in.String()), CheckoutDate: new(out.String()),
						Occupancy: &keycard.Occupancy{Adults: 2}}}}
				books = append(books, store.BookingWrite{PropertyID: prop, Status: keycard.StatusNew, Change: c})
			}
		}
		owner := forProperties(owner, batch...)
		t0 := time.Now()
		if res, err := st.ApplyRestrictions(ctx, owner, rates); err != nil {
			return fmt.Errorf("seed restrictions: %w", err)
		} else if err := firstWarning(res); err != nil {
			return fmt.Errorf("seed restrictions: %w", err)
		}
		t1 := time.Now()
		if res, err := st.ApplyAvailability(ctx, owner, avail); err != nil {
			return fmt.Errorf("seed availability: %w", err)
		} else if err := firstWarning(res); err != nil {
			return fmt.Errorf("seed availability: %w", err)
		}
		t2 := time.Now()
		if _, err := st.SaveBookings(ctx, owner, books); err != nil {
			return fmt.Errorf("seed bookings: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		took[0], took[1], took[2] = took[0]+t1.Sub(t0), took[1]+t2.Sub(t1), took[2]+time.Since(t2)
		prev := done
		done += len(batch)
		if tenth := max(len(s.properties)/10, 1); done/tenth > prev/tenth || done == len(s.properties) {
			fmt.Fprintf(w, "  seeded ARI and bookings of %d of %d properties in %s (in transactions: restrictions %s, availability %s, bookings %s)\n",
				done, len(s.properties), time.Since(start).Round(time.Second),
				took[0].Round(time.Second), took[1].Round(time.Second), took[2].Round(time.Second))
		}
		return nil
	})
}

// forProperties returns p narrowed to ids, properties p reaches, as a
// credential's principal carries its reach: the store checks against ids
// alone and evaluates no reach query.
func forProperties(p *keycard.Principal, ids ...string) *keycard.Principal {
	narrowed := *p
	narrowed.Reach = keycard.NewReach(ids)
	return &narrowed
}

// firstWarning returns a change an ARI write left out, as an error.
func firstWarning(res *keycard.ARIResult) error {
	for i, w := range res.Warnings {
		if w != nil {
			return fmt.Errorf("change %d left out: %v", i, w)
		}
	}
	return nil
}

// SeedReport is what seeding measured: how long it took, and the
// database's size and the process's resident memory after it.
type SeedReport struct {
	Properties int
	Took       time.Duration
	DBSize     int64 // bytes; 0 if unknown
	RSS        int64 // bytes; 0 if unknown
}

func (r SeedReport) Print(w io.Writer) {
	fmt.Fprintf(w, "seeded %d properties in %s; database %.1f MiB; resident memory %.1f MiB\n",
		r.Properties, r.Took.Round(100*time.Millisecond), float64(r.DBSize)/(1<<20), float64(r.RSS)/(1<<20))
}

// ResidentMemory returns the process's resident set size in bytes, or 0
// where the system does not say.
func ResidentMemory() int64 { return residentMemory() }
