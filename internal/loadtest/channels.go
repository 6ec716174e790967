package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/store"
)

// The channels part of the bench: properties[channelProperty] has
// BenchChannels active channels (each a local channel server mapping its
// plans), so that ChannelRoute can be set against the same write on a
// property without channels; properties[syncProperty] gets one channel
// after the routes, for the full sync figure.
const (
	ChannelRoute    = "POST /restrictions 30d x 10, 10 channels"
	BenchChannels   = 10
	channelProperty = 1
	syncProperty    = 2
	// DefaultLatencyWrites is how many writes the latency figure times
	// unless Options.LatencyWrites says otherwise.
	DefaultLatencyWrites = 50
	// syncDays is the full sync's horizon (the default).
	syncDays = keycard.ChannelHorizonDays
)

type benchChannels struct {
	st      *store.Store
	servers []*openchanneltest.Server
	ids     []string
}

func (b *benchChannels) close() {
	for _, s := range b.servers {
		s.Close()
	}
}

// channelMapping is what each bench channel server answers to
// mapping_details: one room type, a per-room plan for each keycard plan.
func channelMapping(n int) keycard.MappingDetails {
	rt := keycard.MappingRoomType{ID: "RT", Title: "Rooms"}
	for i := range n {
		rt.RatePlans = append(rt.RatePlans, keycard.MappingRatePlan{ID: "P" + strconv.Itoa(i), Title: "Plan " + strconv.Itoa(i),
			SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"})
	}
	return keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{rt}}
}

// newBenchChannel creates a channel of a property mapping plans (plan i
// to the channel's "P<i>") to srv, and activates it.
func newBenchChannel(ctx context.Context, st *store.Store, owner *keycard.Principal, property string, plans []string,
	srv *openchanneltest.Server) (string, error) {
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	c := &keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), Title: new("Bench " + srv.HotelCode),
		PropertiesSent: true, Properties: []string{property}, SettingsSent: true, Settings: map[string]json.RawMessage{
			keycard.SettingEndpoint: q(srv.Endpoint()), keycard.SettingAPIKey: q(srv.APIKey), keycard.SettingHotelCode: q(srv.HotelCode)},
		RatePlansSent: true}
	for i, id := range plans {
		c.RatePlans = append(c.RatePlans, keycard.ChannelRatePlanChange{RatePlanID: id, Settings: map[string]json.RawMessage{
			keycard.RateParamRoomTypeCode: q("RT"), keycard.RateParamRatePlanCode: q("P" + strconv.Itoa(i)),
			keycard.RateParamOccupancy: json.RawMessage(`2`)}})
	}
	ch := &keycard.Channel{}
	if err := ch.Apply(c, nil).Err(); err != nil {
		return "", err
	}
	md := channelMapping(len(plans))
	made, err := st.CreateChannel(ctx, owner, ch, &md)
	if err != nil {
		return "", err
	}
	// Activation queues the full sync.
	if _, err := st.ActivateChannel(ctx, owner, made.ID, &md); err != nil {
		return "", err
	}
	return made.ID, nil
}

// SeedChannels starts BenchChannels channel servers and gives
// properties[channelProperty] an active channel to each; their full syncs
// run once the server does. The servers stop when the run ends.
func SeedChannels(ctx context.Context, st *store.Store, seed *Seeded) error {
	b := &benchChannels{st: st}
	seed.channels = b
	for i := range BenchChannels {
		srv := openchanneltest.New(nil, "bench-key-"+strconv.Itoa(i), "BENCH-"+strconv.Itoa(i), channelMapping(len(seed.channelPlans)))
		b.servers = append(b.servers, srv)
		id, err := newBenchChannel(ctx, st, seed.owner, seed.properties[channelProperty], seed.channelPlans, srv)
		if err != nil {
			b.close()
			return fmt.Errorf("seed channels: %w", err)
		}
		b.ids = append(b.ids, id)
	}
	return nil
}

// settled waits until the outboxes of channels ids are empty.
func (b *benchChannels) settled(ctx context.Context, ids []string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		left := 0
		for _, id := range ids {
			n, err := b.st.ChannelBacklog(ctx, id)
			if err != nil {
				return err
			}
			left += n
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("channel outboxes still hold %d rows after %s", left, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// channelFigures is what the channels part measured.
type channelFigures struct {
	latencies []time.Duration // answer to receipt, sorted
	// routePushes is how many pushes the channels received while
	// ChannelRoute was driven.
	routePushes int
	syncTime    time.Duration
	syncReqs    int
	syncBytes   int
	syncCells   int
}

// measureChannels times, after the routes: writes single writes on
// properties[channelProperty], each from its answer to the first
// channel's receipt of its value, one after another, each after a pause
// of channelpush.DefaultGather (a change after a quiet spell, which is
// pushed at once; one right behind a push waits up to that long for the
// next round); then a full sync of
// syncDays days of properties[syncProperty]'s RatePlans plans, each day's
// values different, to a channel of its own.
func measureChannels(ctx context.Context, base string, seed *Seeded, writes int, progress io.Writer) (*channelFigures, error) {
	b := seed.channels
	if err := b.settled(ctx, b.ids, time.Minute); err != nil {
		return nil, err
	}
	fig := &channelFigures{}
	for _, srv := range b.servers {
		fig.routePushes += len(srv.Requests()) - 1 // less the first full sync
	}
	fmt.Fprintf(progress, "  %-30s %d writes, each timed from its answer to the channel's receipt\n", "channel latency", writes)
	var mu sync.Mutex
	want := ""
	got := make(chan time.Time, 1)
	b.servers[0].SetObserver(func(r openchanneltest.Request) {
		mu.Lock()
		w := want
		mu.Unlock()
		if w != "" && strings.Contains(string(r.Body), w) {
			select {
			case got <- r.At:
			default:
			}
		}
	})
	defer b.servers[0].SetObserver(nil)
	client := &http.Client{}
	defer client.CloseIdleConnections()
	day := seed.first + 40
	for k := range writes {
		select {
		case <-time.After(channelpush.DefaultGather):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rate := fmt.Sprintf("%d.%02d", 300+k, k%100)
		mu.Lock()
		want = `"rate":"` + rate + `"`
		mu.Unlock()
		body := fmt.Sprintf(`{"values":[{"property_id":%q,"rate_plan_id":%q,"date":%q,"rate":%q}]}`,
			seed.properties[channelProperty], seed.channelPlans[0], day.String(), rate)
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/restrictions", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Api-Key", seed.allKey)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered := time.Now()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("channel latency: POST /restrictions: status %d", resp.StatusCode)
		}
		select {
		case at := <-got:
			fig.latencies = append(fig.latencies, max(at.Sub(answered), 0))
		case <-time.After(30 * time.Second):
			return nil, errors.New("channel latency: the channel did not receive a write within 30 s")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	slices.Sort(fig.latencies)

	// The full sync: every day different, so that no range collapses.
	fmt.Fprintf(progress, "  %-30s %d days x %d rate plans to a new channel\n", "channel full sync", syncDays, len(seed.syncPlans))
	today := keycard.Today(time.Now(), "")
	var changes []*keycard.RestrictionChange
	for j, plan := range seed.syncPlans {
		for d := range syncDays {
			changes = append(changes, &keycard.RestrictionChange{PropertyID: seed.properties[syncProperty], RatePlanID: plan,
				Dates: keycard.Dates{From: today + keycard.Date(d), To: today + keycard.Date(d), Days: keycard.EveryDay},
				Rate:  json.RawMessage(strconv.Itoa(10000 + (d*7+j)%5000))})
		}
	}
	if _, err := b.st.ApplyRestrictions(ctx, seed.owner, changes); err != nil {
		return nil, fmt.Errorf("channel full sync: write ARI: %w", err)
	}
	srv := openchanneltest.New(nil, "bench-sync-key", "BENCH-SYNC", channelMapping(len(seed.syncPlans)))
	defer srv.Close()
	b.servers = append(b.servers, srv)
	start := time.Now()
	id, err := newBenchChannel(ctx, b.st, seed.owner, seed.properties[syncProperty], seed.syncPlans, srv)
	if err != nil {
		return nil, fmt.Errorf("channel full sync: %w", err)
	}
	if err := b.settled(ctx, []string{id}, 5*time.Minute); err != nil {
		return nil, err
	}
	fig.syncTime = time.Since(start)
	for _, r := range srv.Requests() {
		fig.syncReqs++
		fig.syncBytes += len(r.Body)
	}
	fig.syncCells = srv.CellCount()
	if want := len(seed.syncPlans) * syncDays; fig.syncCells < want-len(seed.syncPlans) {
		return nil, fmt.Errorf("channel full sync: the channel holds %d cells, want %d", fig.syncCells, want)
	}
	return fig, nil
}

// print writes the channel figures, with the ratio of ChannelRoute's
// throughput to the same write's without channels.
func (f *channelFigures) print(w io.Writer, results []benchResult) {
	var plain, with float64
	for _, r := range results {
		switch r.route {
		case "POST /restrictions 30d x 10":
			plain = r.rate()
		case ChannelRoute:
			with = r.rate()
		}
	}
	if plain > 0 && with > 0 {
		fmt.Fprintf(w, "\nchannels: POST /restrictions with %d active channels keeps %.2f of its throughput without (%.0f/s against %.0f/s; %d pushes)\n",
			BenchChannels, with/plain, with, plain, f.routePushes)
	}
	if n := len(f.latencies); n > 0 {
		fmt.Fprintf(w, "channels: from a POST /restrictions answer to the channel's receipt: p50 %s, p99 %s, max %s (%d writes, one at a time, each after a quiet spell)\n",
			ms(quantile(f.latencies, 0.5)), ms(quantile(f.latencies, 0.99)), ms(f.latencies[n-1]), n)
	}
	if f.syncTime > 0 {
		fmt.Fprintf(w, "channels: a %d-day full sync of %d rate plans (%d cells, every day different): %s, %d requests, %.1f MB sent\n",
			syncDays, f.syncCells/syncDays, f.syncCells, ms(f.syncTime), f.syncReqs, float64(f.syncBytes)/1e6)
	}
}
