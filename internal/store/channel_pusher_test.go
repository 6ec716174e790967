package store_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// The test channel's plans: BAR (per room) is mapped to a, DER (per room)
// to d (derived from a), RO (read-only) to a, and PP (per person) to b's
// two occupancies.
const testHorizon = 40

func channelMapping(currency string) keycard.MappingDetails {
	plan := func(id, mode string, ro bool) keycard.MappingRatePlan {
		return keycard.MappingRatePlan{ID: id, Title: id, SellMode: mode, MaxPersons: 2, Currency: currency, ReadOnly: ro}
	}
	return keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{
		{ID: "RT-D", Title: "Double", RatePlans: []keycard.MappingRatePlan{plan("BAR", keycard.ChannelPerRoom, false),
			plan("DER", keycard.ChannelPerRoom, false), plan("RO", keycard.ChannelPerRoom, true)}},
		{ID: "RT-T", Title: "Triple", RatePlans: []keycard.MappingRatePlan{plan("PP", keycard.ChannelPerPerson, false)}},
	}}
}

type channelRig struct {
	h       *hotel
	ch      *openchanneltest.Server
	id      string
	pusher  *channelpush.Pusher
	today   keycard.Date
	optB1   string // b's option for 1
	outcome map[string]int
}

func newChannelRig(t *testing.T, cfg store.Config) *channelRig {
	t.Helper()
	ctx := context.Background()
	h := newHotel(t, cfg)
	r := &channelRig{h: h, outcome: map[string]int{}}
	prop, err := h.st.Property(ctx, h.owner, h.property)
	if err != nil {
		t.Fatal(err)
	}
	r.today = keycard.Today(time.Now(), prop.Timezone)
	for _, o := range h.b.Options {
		if o.Occupancy == 1 {
			r.optB1 = o.ID
		}
	}
	r.ch = openchanneltest.New(t, "channel-key", "HOTEL-1", channelMapping(h.a.Currency))
	perRoom := func(rp, code string, ro bool) keycard.ChannelRatePlan {
		return keycard.ChannelRatePlan{RatePlanID: rp, RoomTypeCode: "RT-D", RatePlanCode: code, Occupancy: 2,
			SellMode: keycard.ChannelPerRoom, MaxPersons: 2, ReadOnly: ro, ChannelCurrency: h.a.Currency}
	}
	perPerson := func(occ int) keycard.ChannelRatePlan {
		return keycard.ChannelRatePlan{RatePlanID: h.b.ID, RoomTypeCode: "RT-T", RatePlanCode: "PP", Occupancy: occ,
			SellMode: keycard.ChannelPerPerson, MaxPersons: 2, ChannelCurrency: h.a.Currency}
	}
	id, err := store.AddTestChannel(ctx, h.st, h.property, r.ch.Endpoint(), "channel-key", "HOTEL-1", true, []keycard.ChannelRatePlan{
		perRoom(h.a.ID, "BAR", false), perRoom(h.d.ID, "DER", false), perRoom(h.a.ID, "RO", true), perPerson(2), perPerson(1)})
	if err != nil {
		t.Fatal(err)
	}
	r.id = id
	r.pusher = &channelpush.Pusher{Store: h.st, Client: openchannel.NewClient(true), HorizonDays: testHorizon,
		Backoff: func(int) time.Duration { return 0 }, Observe: func(o string) { r.outcome[o]++ }}
	return r
}

// drain runs the pusher until the outbox is empty, and returns how many
// pushes it made; it fails the test after limit pushes.
func (r *channelRig) drain(t *testing.T, limit int) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		size, err := r.h.st.ChannelBacklog(ctx, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if size == 0 {
			return n
		}
		if n >= limit {
			t.Fatalf("outbox still holds %d rows after %d pushes", size, n)
		}
		if _, err := r.pusher.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// converged asserts that the channel holds what keycard holds now for
// every day of the horizon, and nothing for the read-only plan.
func (r *channelRig) converged(t *testing.T) {
	t.Helper()
	h := r.h
	grid, err := h.st.Restrictions(context.Background(), h.owner, keycard.ARIQuery{PropertyID: h.property, From: r.today,
		To: r.today + testHorizon - 1, IDs: []string{h.a.ID, h.d.ID, h.b.ID}})
	if err != nil {
		t.Fatal(err)
	}
	opt := map[string]keycard.OptionDays{}
	for _, o := range grid.Options {
		opt[o.ID] = o
	}
	type want struct {
		rt, rp string
		rates  map[int]string
		option string
	}
	cells := r.ch.Cells()
	bad := 0
	for i := range testHorizon {
		day := r.today + keycard.Date(i)
		rate := func(id string) string { return keycard.FormatMoney(opt[id].Days[i].Rate, h.a.Currency) }
		for _, w := range []want{
			{"RT-D", "BAR", map[int]string{2: rate(h.a.ID)}, h.a.ID},
			{"RT-D", "DER", map[int]string{2: rate(h.d.ID)}, h.d.ID},
			{"RT-T", "PP", map[int]string{2: rate(h.b.ID), 1: rate(r.optB1)}, h.b.ID},
		} {
			c, ok := cells[openchanneltest.Key{RoomType: w.rt, RatePlan: w.rp, Day: day}]
			v := opt[w.option].Days[i]
			ok = ok && c.HasAvailability && c.HasRestrictions && c.Availability == int(opt[w.option].Availability[i]) &&
				c.StopSell == v.StopSell && c.ClosedToArrival == v.ClosedToArrival && c.MinStayArrival == max(int(v.MinStayArrival), 1) &&
				len(c.Rates) == len(w.rates)
			for occ, rt := range w.rates {
				ok = ok && c.Rates[occ] == rt
			}
			if !ok && bad < 5 {
				t.Errorf("%s/%s on %s: channel has %+v, keycard %+v (availability %d, rates %v)", w.rt, w.rp, day, c, v,
					opt[w.option].Availability[i], w.rates)
			}
			if !ok {
				bad++
			}
		}
		if _, ok := cells[openchanneltest.Key{RoomType: "RT-D", RatePlan: "RO", Day: day}]; ok {
			t.Fatalf("the read-only plan was pushed on %s", day)
		}
	}
	for k := range cells {
		if k.Day < r.today || k.Day >= r.today+testHorizon {
			t.Fatalf("pushed outside today and the horizon: %+v", k)
		}
	}
	if bad > 0 {
		t.Fatalf("%d cells differ", bad)
	}
}

func TestChannelPushes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		r := newChannelRig(t, cfg)
		h := r.h

		// Activation's full sync: one request, every day of the horizon.
		if n := r.drain(t, 3); n != 1 {
			t.Fatalf("full sync took %d pushes", n)
		}
		r.converged(t)
		reqs := r.ch.Requests()
		if len(reqs) != 1 || !reqs[0].Applied {
			t.Fatalf("full sync requests: %+v", reqs)
		}

		// An ARI write reaches the channel with only the days it changed,
		// collapsed into ranges, the full restriction set each time.
		r.ch.ForgetRequests()
		d := h.d0 + 3
		var stop keycard.Restrictions
		stop.SetBool(keycard.FieldStopSell, true)
		stop.SetBool(keycard.FieldClosedToArrival, true)
		if _, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{
			{PropertyID: h.property, RatePlanID: h.a.ID, Dates: keycard.Dates{From: d, To: d + 4, Days: keycard.EveryDay}, Rate: json.RawMessage(`"150.00"`)},
			{PropertyID: h.property, RatePlanID: h.a.ID, Dates: keycard.Dates{From: d + 2, To: d + 2, Days: keycard.EveryDay}, Values: stop},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{
			{PropertyID: h.property, RoomTypeID: h.rt, Dates: keycard.Dates{From: d, To: d + 9, Days: keycard.EveryDay}, Availability: 7},
		}); err != nil {
			t.Fatal(err)
		}
		if n := r.drain(t, 3); n != 1 {
			t.Fatalf("two writes took %d pushes", n)
		}
		r.converged(t)
		reqs = r.ch.Requests()
		if len(reqs) != 1 {
			t.Fatalf("requests: %d", len(reqs))
		}
		bar := map[string][]string{}
		for _, a := range reqs[0].Notifications[0].Availability {
			bar[a.RatePlanID] = append(bar[a.RatePlanID], a.DateFrom.String()+".."+a.DateTo.String()+"="+strconv.Itoa(a.Availability))
		}
		for _, rc := range reqs[0].Notifications[0].Restrictions {
			if rc.MinStayArrival < 1 || rc.MinStayThrough < 1 {
				t.Fatalf("restriction change without its full field set: %+v", rc)
			}
			if rc.RatePlanID == "BAR" {
				bar["BAR-r"] = append(bar["BAR-r"], rc.DateFrom.String()+".."+rc.DateTo.String()+"="+rc.Rates[0].Rate+
					map[bool]string{true: "/stop", false: ""}[rc.StopSell])
			}
		}
		// Availability of d..d+9 is one range, sent to every plan of the
		// room type (BAR, DER), and to none of rt2's (PP), nor RO.
		if got := bar["BAR"]; len(got) != 1 || got[0] != d.String()+".."+(d+9).String()+"=7" {
			t.Fatalf("BAR availability: %v", got)
		}
		if len(bar["PP"]) != 0 || len(bar["RO"]) != 0 || len(bar["DER"]) != 1 {
			t.Fatalf("availability sent: %v", bar)
		}
		// Restrictions: the days marked (an outbox row names cells, so the
		// availability's days carry their restrictions too), split where
		// values change: the rate, the stop-sell day, Sundays' stop sell.
		days := 0
		for _, rc := range reqs[0].Notifications[0].Restrictions {
			if rc.RatePlanID == "BAR" {
				days += int(rc.DateTo-rc.DateFrom) + 1
				want := "150.00" // the rate's days; the availability's others are sent whole too
				if rc.DateFrom > d+4 {
					want = "100.00"
				}
				if rc.Rates[0].Occupancy != 2 || len(rc.Rates) != 1 || rc.Rates[0].Rate != want || (rc.DateFrom <= d+4 && rc.DateTo > d+4) {
					t.Fatalf("BAR rates: %+v", rc)
				}
			}
		}
		if days != 10 || len(bar["BAR-r"]) < 3 {
			t.Fatalf("BAR restrictions: %v", bar["BAR-r"])
		}

		// An edit of a rate plan's defaults reaches the plan and those
		// derived from it, on every day.
		if _, err := h.st.UpdateRatePlan(ctx, h.owner, h.a.ID, &keycard.RatePlanChange{StopSell: &[7]bool{}, MaxStay: &[7]int{3, 3, 3, 3, 3, 3, 3}}, nil); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		r.converged(t)
		if c, _ := r.ch.Cell("RT-D", "BAR", r.today+testHorizon-1); c.MaxStay != 3 {
			t.Fatalf("BAR after the plan's edit: %+v", c)
		}

		// A booking that moves availability reaches the channel.
		settings := keycard.DefaultPropertySettings()
		settings.AllowAvailabilityAutoupdateOnConfirmation = true
		if _, err := h.st.UpdateProperty(ctx, h.owner, h.property, &keycard.PropertyChange{SettingsSent: true,
			Settings: keycard.PropertySettingsChange{Values: settings}}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt,
			Dates: keycard.Dates{From: h.d0, To: h.d0 + 1, Days: keycard.EveryDay}, Availability: 4}}); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		h.save(t, h.st, "", "CH-1", keycard.StatusNew, stay{0, 1})
		r.drain(t, 3)
		r.converged(t)
		if c, _ := r.ch.Cell("RT-D", "BAR", h.d0); c.Availability != 3 {
			t.Fatalf("BAR availability after a booking: %+v", c)
		}

		// A rule: at most 2 rooms to this channel on d..d+1, of rt only.
		if err := store.AddTestRule(ctx, h.st, keycard.ChannelAvailabilityRule{PropertyID: h.property, Title: "cap",
			Type: keycard.RuleMaxAvailability, Value: 2, StartDate: d, EndDate: d + 1, Days: keycard.EveryDay,
			ChannelIDs: []string{r.id}, RoomTypeIDs: []string{h.rt}}); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		for day, want := range map[keycard.Date]int{d: 2, d + 1: 2, d + 2: 7} {
			if c, _ := r.ch.Cell("RT-D", "BAR", day); c.Availability != want {
				t.Fatalf("BAR availability on %s with the rule: %d, want %d", day, c.Availability, want)
			}
		}

		// An update of the active channel syncs it in full: DER now maps
		// e, and the channel gets e's rate on every day of the horizon,
		// though no value of e changed.
		md := channelMapping(h.a.Currency)
		if _, err := h.st.UpdateChannel(ctx, h.owner, r.id, &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel),
			RatePlansSent: true, RatePlans: []keycard.ChannelRatePlanChange{mapping(h.a.ID, "RT-D", "BAR", 2),
				mapping(h.e.ID, "RT-D", "DER", 2), mapping(h.a.ID, "RT-D", "RO", 2), mapping(h.b.ID, "RT-T", "PP", 2),
				mapping(h.b.ID, "RT-T", "PP", 1)}}, nil, &md); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		rates := r.rates(t, h.e.ID, h.d.ID)
		for i := range testHorizon {
			day := r.today + keycard.Date(i)
			if c, _ := r.ch.Cell("RT-D", "DER", day); c.Rates[2] != rates[h.e.ID][i] || c.Rates[2] == rates[h.d.ID][i] {
				t.Fatalf("DER on %s after it was mapped to e: %+v, want e's rate %s (d's is %s)", day, c, rates[h.e.ID][i], rates[h.d.ID][i])
			}
		}

		// A room type's edit that removes options (occ_adults lowered with
		// force) changes what per-person plans send: b keeps its primary
		// option only, moved to 1 person, so PP's rate for 1 becomes the
		// primary's on every day.
		rates = r.rates(t, h.b.ID, r.optB1)
		if _, err := h.st.UpdateRoomType(ctx, h.owner, h.rt2, true, &keycard.RoomTypeChange{OccAdults: new(1), DefaultOccupancy: new(1)}, nil); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		for i := range testHorizon {
			day := r.today + keycard.Date(i)
			if c, _ := r.ch.Cell("RT-T", "PP", day); c.Rates[1] != rates[h.b.ID][i] || c.Rates[1] == rates[r.optB1][i] {
				t.Fatalf("PP on %s after b's option for 1 was removed: %+v, want the primary's rate %s for 1 (the removed option's was %s)",
					day, c, rates[h.b.ID][i], rates[r.optB1][i])
			}
		}
	})
}

// rates returns the rates of options (by id) on each day of the horizon,
// as a channel is sent them.
func (r *channelRig) rates(t *testing.T, options ...string) map[string][]string {
	t.Helper()
	h := r.h
	grid, err := h.st.Restrictions(context.Background(), h.owner, keycard.ARIQuery{PropertyID: h.property, From: r.today,
		To: r.today + testHorizon - 1, IDs: options})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, o := range grid.Options {
		for _, d := range o.Days {
			out[o.ID] = append(out[o.ID], keycard.FormatMoney(d.Rate, o.Currency))
		}
	}
	for _, id := range options {
		if len(out[id]) != testHorizon {
			t.Fatalf("rates of option %s: %v", id, out[id])
		}
	}
	return out
}

func TestChannelDownConverges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		r := newChannelRig(t, cfg)
		h := r.h
		r.drain(t, 3)
		r.ch.SetMode(openchanneltest.Down)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 1000 {
			from := h.d0 + keycard.Date(rng.IntN(testHorizon-6))
			to := from + keycard.Date(rng.IntN(5))
			dates := keycard.Dates{From: from, To: to, Days: keycard.EveryDay}
			var err error
			switch i % 3 {
			case 0:
				_, err = h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
					Dates: dates, Rate: json.RawMessage(strconv.Itoa(5000 + rng.IntN(10000)))}})
			case 1:
				_, err = h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: r.optB1,
					Dates: dates, Rate: json.RawMessage(strconv.Itoa(5000 + rng.IntN(10000)))}})
			default:
				_, err = h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{{PropertyID: h.property, RoomTypeID: h.rt2,
					Dates: dates, Availability: int32(rng.IntN(12))}})
			}
			if err != nil {
				t.Fatal(err)
			}
			// The pusher keeps trying while the channel is down.
			if i%100 == 0 {
				if _, err := r.pusher.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		if r.outcome["failed"] != 10 || r.outcome["ok"] != 1 {
			t.Fatalf("outcomes while down: %v", r.outcome)
		}
		size, err := h.st.ChannelBacklog(ctx, r.id)
		if err != nil || size > 3*testHorizon*testHorizon {
			t.Fatalf("outbox after 1000 writes: %d rows (%v)", size, err)
		}
		r.ch.SetMode(openchanneltest.Up)
		r.ch.ForgetRequests()
		// Back up, the channel gets the current state in a bounded number
		// of requests: one push per MaxPushRows rows, not one per write.
		bound := (size + store.MaxPushRows - 1) / store.MaxPushRows
		if n := r.drain(t, bound); n > bound {
			t.Fatalf("%d pushes after the channel came back, bound %d", n, bound)
		}
		t.Logf("1000 writes while down: %d outbox rows, %d requests once back", size, len(r.ch.Requests()))
		if got := len(r.ch.Requests()); got > bound {
			t.Fatalf("%d requests, bound %d", got, bound)
		}
		r.converged(t)
	})
}

// TestChannelPushFailure: a channel that fails (answers 500, answers
// success false, or answers later than the client waits) gets the push
// again with the same request_id while nothing changed, each failure is a
// sync_error channel event with its log and a sync_error webhook, and a
// change made meanwhile goes out with a new request_id once the channel is
// back.
func TestChannelPushFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		r := newChannelRig(t, cfg)
		h := r.h
		if _, _, err := h.st.CreateWebhook(ctx, h.owner, &keycard.Webhook{PropertyID: h.property, CallbackURL: "https://hooks.example.com/kc",
			EventMask: keycard.EventSyncError, IsActive: true, SendData: true}); err != nil {
			t.Fatal(err)
		}
		r.drain(t, 3)
		r.ch.ForgetRequests()
		write := func(rate string) {
			t.Helper()
			if _, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: json.RawMessage(rate)}}); err != nil {
				t.Fatal(err)
			}
		}
		write(`"111.00"`)
		for _, m := range []openchanneltest.Mode{openchanneltest.Failing, openchanneltest.Refusing} {
			r.ch.SetMode(m)
			if _, err := r.pusher.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// A channel slower than the client's timeout: the server holds the
		// request a minute, the client gives up long before (and the server
		// then drops it unrecorded).
		r.ch.SetMode(openchanneltest.Up)
		r.ch.SetDelay(time.Minute)
		client := r.pusher.Client
		r.pusher.Client = openchannel.NewClientTimeout(true, 50*time.Millisecond)
		if _, err := r.pusher.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		r.ch.SetDelay(0)
		r.pusher.Client = client
		if r.outcome["failed"] != 3 {
			t.Fatalf("outcomes of the failures: %v", r.outcome)
		}
		reqs := r.ch.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests while failing", len(reqs))
		}
		// The failed requests carried a request id in their body.
		id := requestIDOf(t, reqs[0].Body)
		if id == "" || requestIDOf(t, reqs[1].Body) != id {
			t.Fatalf("request ids of a retry: %q, %q", id, requestIDOf(t, reqs[1].Body))
		}
		r.ch.SetMode(openchanneltest.Up)
		r.drain(t, 2)
		if got := r.ch.Requests()[2].RequestID; got != id {
			t.Fatalf("the retry that succeeded has request id %q, want %q", got, id)
		}
		if c, _ := r.ch.Cell("RT-D", "BAR", h.d0); c.Rates[2] != "111.00" {
			t.Fatalf("channel after the retry: %+v", c)
		}
		write(`"112.00"`)
		r.drain(t, 2)
		reqs = r.ch.Requests()
		if last := reqs[len(reqs)-1]; last.RequestID == id || !last.Applied {
			t.Fatalf("a new change reused request id %q (applied %t)", id, last.Applied)
		}
		// (Sent changes are deleted: a later write must still come after
		// the channel's cursor.)
		if c, _ := r.ch.Cell("RT-D", "BAR", h.d0); c.Rates[2] != "112.00" {
			t.Fatalf("channel after a write that followed a drained outbox: %+v", c)
		}

		events, logs, hooks, err := store.ChannelHistory(ctx, h.st, r.id)
		if err != nil {
			t.Fatal(err)
		}
		var failed []keycard.ChannelEvent
		for _, e := range events {
			if e.Type == keycard.ChannelEventSyncError {
				failed = append(failed, e)
				if e.Status != keycard.ChannelEventFailed {
					t.Fatalf("sync_error event status %q", e.Status)
				}
			}
		}
		if len(failed) != 3 || len(hooks) != 3 {
			t.Fatalf("%d sync_error events, %d webhooks; want 3 each", len(failed), len(hooks))
		}
		var hook struct {
			Event   string         `json:"event"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal([]byte(hooks[0]), &hook); err != nil || hook.Event != "sync_error" ||
			hook.Payload["channel_event_id"] != failed[0].ID || hook.Payload["channel_id"] != r.id || hook.Payload["error_type"] != "general_error" {
			t.Fatalf("sync_error webhook: %s", hooks[0])
		}
		logOf := map[string]keycard.ChannelLog{}
		for _, l := range logs {
			logOf[l.ChannelEventID] = l
			if strings.Contains(l.RequestBody, "channel-key") {
				t.Fatal("the channel's api key is in the channel log")
			}
		}
		if logOf[failed[0].ID].Status != 500 || logOf[failed[1].ID].Status != 200 {
			t.Fatalf("logs of the failures: %+v", logs)
		}
		// The timeout: no answer, the same request id as the other tries.
		var payload map[string]any
		if err := json.Unmarshal(failed[2].Payload, &payload); err != nil {
			t.Fatal(err)
		}
		if l := logOf[failed[2].ID]; l.Status != 0 || l.Error != openchannel.ReasonTimeout || l.RequestID != id ||
			payload["request_id"] != id || payload["error"] != openchannel.ReasonTimeout {
			t.Fatalf("the timed-out push: log %+v, event %s; want a timeout with request id %s", l, failed[2].Payload, id)
		}
		if len(logs) != len(events)-countType(events, keycard.ChannelEventFullSync) {
			t.Fatalf("%d logs for %d events", len(logs), len(events))
		}

		// The channel log is kept 90 days (by default): an exchange made 91
		// days ago goes with its event, one of 89 days ago stays, and so
		// do this test's; a retention of 30 days takes the 89-day one too.
		const day = 24 * time.Hour
		for _, x := range []struct {
			age time.Duration
			id  string
		}{{91 * day, "old"}, {89 * day, "recent"}} {
			h.st.SetClock(func() time.Time { return time.Now().Add(-x.age) })
			if err := h.st.AddChannelExchange(ctx, r.id, "test_connection", "", keycard.ChannelLog{RequestID: x.id}); err != nil {
				t.Fatal(err)
			}
		}
		h.st.SetClock(time.Now)
		kept := func(n, probes int) {
			t.Helper()
			if _, err := r.pusher.PurgeLog(ctx); err != nil {
				t.Fatal(err)
			}
			ev, lg, _, err := store.ChannelHistory(ctx, h.st, r.id)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, l := range lg {
				if l.RequestID == "old" || l.RequestID == "recent" {
					ids = append(ids, l.RequestID)
				}
			}
			if len(lg) != n+probes || countType(ev, "test_connection") != probes || len(ev) != len(events)+probes ||
				len(ids) != probes || (probes == 1 && ids[0] != "recent") {
				t.Fatalf("after a purge with retention %s: %d events, logs of the probes %v; want %d probes and this test's %d logs",
					r.pusher.LogRetention, len(ev), ids, probes, n)
			}
		}
		kept(len(logs), 1)
		r.pusher.LogRetention = 30 * day
		kept(len(logs), 0)
	})
}

func countType(events []keycard.ChannelEvent, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func requestIDOf(t *testing.T, body []byte) string {
	t.Helper()
	ns, err := openchannel.ParseChanges(body)
	if err != nil {
		t.Fatal(err)
	}
	return ns[0].RequestID
}

// TestChannelOnePushAtATime: the pushers of two servers on one database
// never push to one channel at once. The channel holds each push until the
// test lets it go: while one pusher's push is under way, the other, run at
// the same time, claims nothing. The claim is a lease: a pusher whose
// clock is past it takes the channel over, and the first one's outcome is
// then not recorded.
func TestChannelOnePushAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		r := newChannelRig(t, cfg)
		h := r.h
		r.drain(t, 3)
		var mu sync.Mutex
		outcomes := map[string]int{}
		observe := func(o string) {
			mu.Lock()
			outcomes[o]++
			mu.Unlock()
		}
		first := r.pusher
		first.Observe = observe
		second := &channelpush.Pusher{Store: storetest.Open(t, cfg), Client: first.Client, HorizonDays: testHorizon,
			Backoff: first.Backoff, Observe: observe}

		arrived, gate, stop := make(chan struct{}, 4), make(chan struct{}), make(chan struct{})
		r.ch.SetObserver(func(openchanneltest.Request) {
			arrived <- struct{}{}
			select {
			case <-gate:
			case <-stop:
			}
		})
		var wg sync.WaitGroup
		// Run before the channel and the second store close.
		t.Cleanup(func() {
			close(stop)
			wg.Wait()
		})
		done := make(chan int, 2)
		run := func(p *channelpush.Pusher) {
			wg.Go(func() {
				n, err := p.RunOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				done <- n
			})
		}
		write := func(rate int) {
			t.Helper()
			if _, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{{PropertyID: h.property, RatePlanID: h.a.ID,
				Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: json.RawMessage(strconv.Itoa(rate))}}); err != nil {
				t.Fatal(err)
			}
		}

		const rounds = 10
		for round := range rounds {
			write(20000 + round)
			run(first)
			run(second)
			// Wait until one push is at the channel, and the other pusher
			// has returned.
			pushes, idle := 0, 0
			for pushes == 0 || idle == 0 {
				select {
				case <-arrived:
					pushes++
					if pushes > 1 {
						t.Fatalf("round %d: two pushes to one channel at once", round)
					}
				case n := <-done:
					if n != 0 {
						t.Fatalf("round %d: a pusher pushed %d channels without reaching the channel", round, n)
					}
					if idle++; idle > 1 {
						t.Fatalf("round %d: neither pusher claimed the channel", round)
					}
				}
			}
			gate <- struct{}{}
			if n := <-done; n != 1 {
				t.Fatalf("round %d: the pusher that held the channel pushed %d", round, n)
			}
		}
		if c, _ := r.ch.Cell("RT-D", "BAR", h.d0); outcomes["ok"] != rounds || len(outcomes) != 1 || c.Rates[2] != keycard.FormatMoney(20000+rounds-1, h.a.Currency) {
			t.Fatalf("outcomes %v, BAR on d0 %+v", outcomes, c)
		}

		// Past the lease, the second pusher takes over the first's claim.
		write(30000)
		first.Lease = time.Minute
		second.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
		run(first)
		<-arrived
		run(second)
		<-arrived
		gate <- struct{}{}
		gate <- struct{}{}
		if a, b := <-done, <-done; a != 1 || b != 1 || outcomes["lost"] != 1 || outcomes["ok"] != rounds+1 {
			t.Fatalf("pushes %d and %d, outcomes %v; want the first lost", a, b, outcomes)
		}
	})
}
