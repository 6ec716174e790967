// Package loadtest drives load at a keycard server over loopback, route
// by route, as "keycard bench" does: it seeds a store with properties,
// keys and ARI, sends each route's requests over keep-alive connections of
// its own (a small HTTP/1.1 client that allocates next to nothing, so that
// what is measured is the server), and reports each route's throughput
// and latency next to the /healthz ceiling measured in the same run.
package loadtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// residentMemory returns the process's resident set size in bytes, read
// from /proc (Linux); 0 where that is not there.
func residentMemory() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// profiled runs f, under a CPU profile written to file unless file is
// empty, and writes what f allocated to memFile unless that is empty.
func profiled(file, memFile string, f func() ([]benchResult, error)) ([]benchResult, error) {
	if memFile != "" {
		res, err := profiled(file, "", f)
		out, cerr := os.Create(memFile)
		if cerr != nil {
			return res, errors.Join(err, cerr)
		}
		runtime.GC() // the profile is as of the last collection
		werr := pprof.Lookup("allocs").WriteTo(out, 0)
		return res, errors.Join(err, werr, out.Close())
	}
	if file == "" {
		return f()
	}
	out, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	res, err := f()
	pprof.StopCPUProfile()
	return res, errors.Join(err, out.Close())
}

// Options are a run's settings (the flags of "keycard bench").
type Options struct {
	// Concurrency is how many connections are kept busy at once.
	Concurrency int
	// Duration is how long each route is driven, and MinRequests how many
	// requests must complete before it stops.
	Duration    time.Duration
	MinRequests int
	// Log reports that the server writes its access log (to nowhere); the
	// run itself does nothing with it.
	Log bool
	// Only names the routes to drive, by words their names contain,
	// comma-separated; /healthz always runs.
	Only string
	// CPUProfile, when set, is the file a CPU profile of the driven routes
	// is written to; MemProfile the file the process's allocation profile
	// is written to after them (seeding included: -focus on a handler).
	CPUProfile string
	MemProfile string
	// Soak, when above 0, keeps SoakConnections connections busy on GET
	// /properties/:id that long after the routes.
	Soak            time.Duration
	SoakConnections int
	// Rate, when above 0, is the requests per second offered in all.
	Rate int
	// LatencyWrites is how many writes the channel latency figure times
	// (DefaultLatencyWrites when 0).
	LatencyWrites int
	// countOnly drives without keeping each request's latency: the soak
	// measures memory, which a growing list of latencies would blur.
	countOnly bool
}

// wants reports whether the route named name is driven: /healthz, the
// ceiling, always is; the others when --only is empty or names them.
func (o Options) wants(name string) bool {
	if o.Only == "" || name == "GET /healthz" {
		return true
	}
	for w := range strings.SplitSeq(o.Only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

const (
	Properties = 50
	RoomTypes  = 10
	RatePlans  = 20
	// benchRestricted is how many properties the restricted key reaches.
	benchRestricted = 5
)

// Seeded is what the seeding made that the routes use.
type Seeded struct {
	allKey, restrictedKey, token string
	properties                   []string
	outOfScope                   string   // a property the restricted key does not reach
	plans                        []string // the rate plans of properties[0]
	first                        keycard.Date
	// drained is a property with no booking, and drainedKey a key that
	// reaches it alone: a PMS polling a feed it has emptied.
	drained, drainedKey string
	// inventory holds each property's room types and rate plans.
	inventory map[string]*propertyInventory
	// booked reports that the seed made the bookings (a portfolio), so
	// that Run need not book through the API.
	booked bool
	// owner made everything; channelPlans and syncPlans are the rate plans
	// of properties[1] (the one with 10 channels) and properties[2] (the
	// full sync's).
	owner                   *keycard.Principal
	channelPlans, syncPlans []string
	// channels, once SeedChannels ran, are the channel servers.
	channels *benchChannels
}

type propertyInventory struct {
	rooms, plans []string
	planRoom     map[string]string // each plan's room type
}

// Seed makes an owner, keys, and n properties (Properties when n is 0)
// with their room types and rate plans; for n above 0, a portfolio: their
// ARI and bookings too (see seedPortfolio). progress gets a line now and
// then.
func Seed(ctx context.Context, st *store.Store, n int, progress io.Writer) (*Seeded, error) {
	portfolio := n > 0
	if !portfolio {
		n = Properties
	}
	if n < 2 {
		// The restricted key reaches one property at least, and not the
		// last, which it is refused.
		return nil, errors.New("a bench needs two properties at least")
	}
	password := keycard.NewID() // random, used only by this process
	user, org, err := st.CreateOwner(ctx, "bench@keycard.invalid", password, "Bench")
	if err != nil {
		return nil, err
	}
	if err := st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive); err != nil {
		return nil, err
	}
	owner, err := st.UserPrincipal(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	seed := &Seeded{first: keycard.Today(time.Now(), "") + 1, inventory: map[string]*propertyInventory{}, owner: owner}
	workers := 1
	if portfolio && st.Dialect() == "postgres" {
		workers = seedWorkers // SQLite has one writer: more would only wait
	}
	if err := createProperties(ctx, st, owner, seed, n, workers, portfolio, progress); err != nil {
		return nil, err
	}
	if n > syncProperty {
		seed.channelPlans = seed.inventory[seed.properties[channelProperty]].plans
		seed.syncPlans = seed.inventory[seed.properties[syncProperty]].plans
	}
	seed.outOfScope = seed.properties[len(seed.properties)-1]
	if _, seed.allKey, err = st.CreateAPIKey(ctx, owner, "bench: all properties", true, nil); err != nil {
		return nil, err
	}
	if _, seed.restrictedKey, err = st.CreateAPIKey(ctx, owner, "bench: restricted", false, seed.properties[:min(benchRestricted, n-1)]); err != nil {
		return nil, err
	}
	if _, seed.drainedKey, err = st.CreateAPIKey(ctx, owner, "bench: drained", false, []string{seed.drained}); err != nil {
		return nil, err
	}
	if portfolio {
		if err := seedPortfolio(ctx, st, owner, seed, workers, progress); err != nil {
			return nil, err
		}
		seed.booked = true
	}
	sess, err := st.SignIn(ctx, "bench@keycard.invalid", password)
	if err != nil {
		return nil, err
	}
	seed.token = sess.Token
	return seed, nil
}

// seedBookings makes a booking in each property through the API, so that
// the booking feed has revisions waiting.
func seedBookings(ctx context.Context, client *http.Client, base string, s *Seeded) error {
	arrival := s.first + 7
	for i, prop := range s.properties {
		body := fmt.Sprintf(`{"booking":{"property_id":%q,"ota_reservation_code":"BENCH-%d","arrival_date":%q,"departure_date":%q,`+
			`"currency":"EUR","rooms":[{"days":{%q:"90.00"},"occupancy":{"adults":2,"children":0,"infants":0}}]}}`,
			prop, i, arrival.String(), (arrival + 1).String(), arrival.String())
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/bookings", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Api-Key", s.allKey)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("seed bookings: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("seed bookings: POST /api/v1/bookings: status %d", resp.StatusCode)
		}
	}
	return nil
}

// benchRoute is one kind of request the bench drives.
type benchRoute struct {
	name   string
	method string
	status int
	// request returns the i-th request's path, headers and body.
	request func(i int) (path string, header http.Header, body string)
}

func benchRoutes(s *Seeded) []benchRoute {
	key := http.Header{"User-Api-Key": {s.allKey}}
	bearer := http.Header{"Authorization": {"Bearer " + s.token}}
	restricted := http.Header{"User-Api-Key": {s.restrictedKey}}
	drained := http.Header{"User-Api-Key": {s.drainedKey}}
	last := s.first + 29
	read := "/api/v1/restrictions?filter[property_id]=" + s.properties[0] + "&filter[date][gte]=" + s.first.String() +
		"&filter[date][lte]=" + last.String() + "&filter[restrictions]=rate,min_stay_arrival,max_stay,stop_sell"
	avail := "/api/v1/availability?filter[property_id]=" + s.properties[0] + "&filter[date][gte]=" + s.first.String() +
		"&filter[date][lte]=" + last.String()
	// The many-properties write goes to the properties from 3 on (neither
	// the one with channels nor the full sync's), so that writes at once
	// go to different properties; a seed of 3 has only the first.
	spread := s.properties[min(3, len(s.properties)-1):]
	// The list cycles through up to 5 pages of 10, all of them full: an
	// empty page costs less, and a small seed would look cheaper.
	pages := max(1, min(5, len(s.properties)/10))
	return []benchRoute{
		{"GET /healthz", "GET", 200, func(int) (string, http.Header, string) { return "/healthz", nil, "" }},
		propertyByKey(s),
		{"GET /properties/:id (bearer)", "GET", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/properties/" + s.properties[i%len(s.properties)], bearer, ""
		}},
		{"GET /properties?limit=10", "GET", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/properties?pagination[limit]=10&pagination[page]=" + strconv.Itoa(1+i%pages), key, ""
		}},
		{"GET out of scope (404)", "GET", 404, func(int) (string, http.Header, string) {
			return "/api/v1/properties/" + s.outOfScope, restricted, ""
		}},
		{"GET /booking_revisions/feed", "GET", 200, func(int) (string, http.Header, string) {
			return "/api/v1/booking_revisions/feed", key, ""
		}},
		{"GET /booking_revisions/feed drained", "GET", 200, func(int) (string, http.Header, string) {
			return "/api/v1/booking_revisions/feed", drained, ""
		}},
		{"GET /rate_plans of a property", "GET", 200, func(int) (string, http.Header, string) {
			return "/api/v1/rate_plans?filter[property_id]=" + s.properties[0], key, ""
		}},
		{"GET /room_types of a property", "GET", 200, func(int) (string, http.Header, string) {
			return "/api/v1/room_types?filter[property_id]=" + s.properties[0], key, ""
		}},
		{"GET /restrictions 30d x 20", "GET", 200, func(int) (string, http.Header, string) { return read, key, "" }},
		{"GET /availability 30d x 10", "GET", 200, func(int) (string, http.Header, string) { return avail, key, "" }},
		{"POST /restrictions 30d x 10", "POST", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/restrictions", key, restrictionsBody(s.properties[0], s.plans[:10], s.first, last, i)
		}},
		{"POST /restrictions 30d x 10, many properties", "POST", 200, func(i int) (string, http.Header, string) {
			prop := spread[i%len(spread)]
			return "/api/v1/restrictions", key, restrictionsBody(prop, s.inventory[prop].plans[:10], s.first, last, i)
		}},
		{ChannelRoute, "POST", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/restrictions", key, restrictionsBody(s.properties[channelProperty], s.channelPlans[:10], s.first, last, i)
		}},
	}
}

// restrictionsBody is a POST /restrictions body: a rate and a min stay
// for each of plans over from..to, varying with i.
func restrictionsBody(property string, plans []string, from, to keycard.Date, i int) string {
	var b strings.Builder
	b.WriteString(`{"values":[`)
	for j, plan := range plans {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"property_id":%q,"rate_plan_id":%q,"date_from":%q,"date_to":%q,"rate":"%d.00","min_stay_arrival":%d}`,
			property, plan, from.String(), to.String(), 100+i%50, 1+i%3)
	}
	b.WriteString(`]}`)
	return b.String()
}

// propertyByKey is GET /api/v1/properties/:id with the all-properties
// key, cycling through the properties: a route of the table, and the
// soak's.
func propertyByKey(s *Seeded) benchRoute {
	key := http.Header{"User-Api-Key": {s.allKey}}
	return benchRoute{"GET /properties/:id (key)", "GET", 200, func(i int) (string, http.Header, string) {
		return "/api/v1/properties/" + s.properties[i%len(s.properties)], key, ""
	}}
}

// benchResult is what one route measured.
type benchResult struct {
	route          string
	requests       int
	errors         int
	firstErr       string
	elapsed        time.Duration
	p50, p99, p999 time.Duration
	allocsPerReq   float64
}

func (r benchResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// benchConns returns n connections to the server at base (not yet dialled).
func benchConns(base string, n int) []*benchConn {
	addr := strings.TrimPrefix(base, "http://")
	conns := make([]*benchConn, n)
	for i := range conns {
		conns[i] = newBenchConn(addr)
	}
	return conns
}

func closeAll(conns []*benchConn) {
	for _, c := range conns {
		c.Close()
	}
}

func runBench(ctx context.Context, conns []*benchConn, seed *Seeded, opts Options, stdout io.Writer) ([]benchResult, error) {
	var out []benchResult
	for _, rt := range benchRoutes(seed) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !opts.wants(rt.name) {
			continue
		}
		// Warm the connections and the server's caches first.
		warm := opts
		warm.Duration = min(opts.Duration/10, 500*time.Millisecond)
		driveRoute(ctx, conns, rt, warm, nil)
		res := driveRoute(ctx, conns, rt, opts, stdout)
		out = append(out, res)
	}
	return out, nil
}

// driveRoute keeps a request to rt in flight on each of conns for
// opts.Duration, and longer until opts.MinRequests have completed, and
// reports progress to progress (if not nil) about once a second.
func driveRoute(ctx context.Context, conns []*benchConn, rt benchRoute, opts Options, progress io.Writer) benchResult {
	var next, done atomic.Int64
	deadline := time.Now().Add(opts.Duration)
	more := func() bool {
		return ctx.Err() == nil && (time.Now().Before(deadline) || done.Load() < int64(opts.MinRequests))
	}
	lat := make([][]time.Duration, len(conns))
	errs := make([]int, len(conns))
	var firstErr atomic.Value
	var wg sync.WaitGroup
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	// At a given rate each connection sends every len(conns)/rate seconds,
	// the connections staggered; a request is timed from when it was due,
	// so that a server that falls behind is charged for the wait it causes
	// (not only for the requests that found it free).
	var every time.Duration
	if opts.Rate > 0 {
		every = time.Second * time.Duration(len(conns)) / time.Duration(opts.Rate)
	}
	start := time.Now()
	for w, conn := range conns {
		wg.Go(func() {
			due := start.Add(every * time.Duration(w) / time.Duration(len(conns)))
			for more() {
				i := int(next.Add(1))
				path, header, body := rt.request(i)
				t0 := time.Now()
				if every > 0 {
					if wait := time.Until(due); wait > 0 {
						time.Sleep(wait)
					}
					t0, due = due, due.Add(every)
				}
				status, err := conn.do(ctx, rt.method, path, header, body)
				took := time.Since(t0)
				if ctx.Err() != nil {
					break // the bench was interrupted
				}
				switch {
				case err != nil:
					errs[w]++
					firstErr.CompareAndSwap(nil, err.Error())
				case status != rt.status:
					errs[w]++
					firstErr.CompareAndSwap(nil, "status "+strconv.Itoa(status))
				}
				if !opts.countOnly {
					lat[w] = append(lat[w], took)
				}
				done.Add(1)
			}
		})
	}
	if progress != nil {
		fmt.Fprintf(progress, "  %-36s driving %d connections for %s\n", rt.name, len(conns), opts.Duration)
		tick := time.NewTicker(time.Second)
		stopped := make(chan struct{})
		go func() { wg.Wait(); close(stopped) }()
	wait:
		for {
			select {
			case <-tick.C:
				fmt.Fprintf(progress, "  %-36s %5.1fs  %8d requests\n", rt.name, time.Since(start).Seconds(), done.Load())
			case <-stopped:
				break wait
			}
		}
		tick.Stop()
	} else {
		wg.Wait()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := benchResult{route: rt.name, requests: int(done.Load()), elapsed: elapsed}
	for _, n := range errs {
		res.errors += n
	}
	if s, ok := firstErr.Load().(string); ok {
		res.firstErr = s
	}
	if len(all) > 0 {
		res.p50, res.p99, res.p999 = quantile(all, 0.5), quantile(all, 0.99), quantile(all, 0.999)
		res.allocsPerReq = float64(after.Mallocs-before.Mallocs) / float64(len(all))
	}
	return res
}

// quantile returns the q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q * float64(len(sorted)))
	return sorted[min(i, len(sorted)-1)]
}

func printBench(w io.Writer, results []benchResult, opts Options) {
	ceiling := results[0]
	load := "as fast as answers come"
	if opts.Rate > 0 {
		load = fmt.Sprintf("%d req/s offered, timed from when each was due", opts.Rate)
	}
	fmt.Fprintf(w, "\n%d connections, %s, %s per route, loopback, client and server in one process (%d CPUs)\n\n",
		opts.Concurrency, load, opts.Duration, runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-36s\t", "route")
	fmt.Fprintln(tw, "req/s\tof /healthz\tp50\tp99\tp99.9\tallocs/req\tover /healthz\trequests\terrors\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%-36s\t%.0f\t%.2f\t%s\t%s\t%s\t%.0f\t%+.0f\t%d\t%d\t\n", r.route, r.rate(), r.rate()/ceiling.rate(),
			ms(r.p50), ms(r.p99), ms(r.p999), r.allocsPerReq, r.allocsPerReq-ceiling.allocsPerReq, r.requests, r.errors)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nallocs/req counts the client's allocations too; \"over /healthz\" is the route's own share.")
	for _, r := range results {
		if r.errors > 0 {
			fmt.Fprintf(w, "%s: %d errors, the first: %s\n", r.route, r.errors, r.firstErr)
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// Report is what a run measured.
type Report struct {
	opts     Options
	results  []benchResult
	soak     *soakResult
	channels *channelFigures
}

// Run drives load at the server at base, seeded with seed: it first books
// through the API (so the feed has revisions to read), then drives each
// route opts wants, then the soak if opts asks for one. progress gets a
// line per route as it starts.
func Run(ctx context.Context, base string, seed *Seeded, opts Options, progress io.Writer) (*Report, error) {
	client := &http.Client{}
	defer client.CloseIdleConnections()
	if !seed.booked {
		if err := seedBookings(ctx, client, base, seed); err != nil {
			return nil, err
		}
	}
	if seed.channels != nil {
		// The channels' first full syncs go out before any route is driven.
		defer seed.channels.close()
		if err := seed.channels.settled(ctx, seed.channels.ids, time.Minute); err != nil {
			return nil, err
		}
	}
	conns := benchConns(base, opts.Concurrency)
	defer closeAll(conns)
	r := &Report{opts: opts}
	var err error
	r.results, err = profiled(opts.CPUProfile, opts.MemProfile, func() ([]benchResult, error) {
		return runBench(ctx, conns, seed, opts, progress)
	})
	if err == nil && seed.channels != nil && opts.wants(ChannelRoute) {
		r.channels, err = measureChannels(ctx, base, seed, cmp.Or(opts.LatencyWrites, DefaultLatencyWrites), progress)
	}
	if err == nil && opts.Soak > 0 {
		r.soak, err = runSoak(ctx, base, seed, opts, progress)
	}
	return r, err
}

// Print writes the route table and the soak's figures.
func (r *Report) Print(w io.Writer) {
	printBench(w, r.results, r.opts)
	if r.channels != nil {
		r.channels.print(w, r.results)
	}
	if r.soak != nil {
		r.soak.print(w, r.opts)
	}
}

// RouteNames returns the names of the routes a run drives, in order.
func RouteNames() []string {
	var out []string
	for _, rt := range benchRoutes(&Seeded{properties: []string{"a", "b", "c"}, plans: make([]string, RatePlans),
		channelPlans: make([]string, RatePlans)}) {
		out = append(out, rt.name)
	}
	return out
}
