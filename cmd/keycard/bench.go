package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// benchCmd is "keycard bench": it starts a server on a fresh database,
// seeds it, drives load at it over loopback from the same process, route
// by route, and prints each route's throughput and latency next to the
// /healthz ceiling measured in the same run.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var opts benchOptions
	// The database is a temporary one unless named on the command line:
	// never the one KEYCARD_DB points a server at.
	benchEnv := func(k string) string {
		if k == "KEYCARD_DB" || k == "KEYCARD_DATABASE_URL" {
			return ""
		}
		return getenv(k)
	}
	cfg, err := parseConfig("bench", args, benchEnv, stdout, "-", false, func(fs flagAdder) {
		fs.IntVar(&opts.concurrency, "concurrency", 64, "connections kept busy at once")
		fs.DurationVar(&opts.duration, "duration", 5*time.Second, "how long each route is driven")
		fs.IntVar(&opts.minRequests, "min-requests", 1, "drive each route past --duration until this many requests completed")
		fs.BoolVar(&opts.log, "log", false, "write the server's access log (to nowhere) as serve does at the info level")
		fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the driven routes (not the seeding) to `file`, for go tool pprof")
		fs.DurationVar(&opts.soak, "soak", 0, "after the routes, keep --soak-connections keep-alive connections busy on GET /properties/:id this long, and report errors and memory growth (0: no soak)")
		fs.IntVar(&opts.soakConnections, "soak-connections", 1000, "connections the soak keeps open and busy")
		fs.IntVar(&opts.rate, "rate", 0, "offer this many requests per second in all, spread over the connections, and time each from when it was due (an open loop, as wrk2 does); 0: as fast as answers come")
		fs.StringVar(&opts.only, "only", "", "drive only the routes whose name contains one of these comma-separated words (/healthz always runs)")
	})
	if err != nil {
		return err
	}
	if opts.concurrency < 1 || opts.duration <= 0 {
		return errors.New("--concurrency and --duration must be positive")
	}
	if opts.rate < 0 {
		return errors.New("--rate cannot be negative")
	}
	if opts.soak < 0 || opts.soakConnections < 1 {
		return errors.New("--soak cannot be negative and --soak-connections must be positive")
	}
	dir, err := os.MkdirTemp("", "keycard-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.DatabaseURL == "" && cfg.DBPath == "-" {
		cfg.DBPath = filepath.Join(dir, "bench.db")
	}
	cfg.Webhooks.KeyFile = filepath.Join(dir, "webhook.key")
	st, err := store.Open(ctx, cfg.Store())
	if err != nil {
		return err
	}
	defer st.Close()
	// The seed stays where it is written: never mix it into real data.
	if empty, err := st.Empty(ctx); err != nil {
		return err
	} else if !empty {
		return errors.New("keycard bench seeds accounts, keys and properties and leaves them there: " +
			"give it an empty database (a new --db file, or a new PostgreSQL database), or no database to use a temporary one")
	}

	fmt.Fprintf(stdout, "keycard bench: seeding %d properties (%d room types, %d rate plans each) on %s\n",
		benchProperties, benchRoomTypes, benchRatePlans, st.Dialect())
	seed, err := seedBench(ctx, st)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	ln, err := listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg.Mode = keycard.ModeStaging
	cfg.Limits = api.Limits{} // no limits: the bench measures the server, not the limiter
	cfg.LogLevel = 8          // above error: nothing is logged
	if opts.log {
		cfg.LogLevel = 0
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(sctx, cfg, st, ln, io.Discard, serveHooks{ready: func(u string) { ready <- u }}) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		return fmt.Errorf("server: %w", err)
	}

	client := &http.Client{}
	defer client.CloseIdleConnections()
	err = seedBookings(ctx, client, base, seed)
	var results []benchResult
	if err == nil {
		conns := benchConns(base, opts.concurrency)
		defer closeAll(conns)
		results, err = profiled(opts.cpuProfile, func() ([]benchResult, error) {
			return runBench(ctx, conns, seed, opts, stdout)
		})
	}
	var soak *soakResult
	if err == nil && opts.soak > 0 {
		soak, err = runSoak(ctx, base, seed, opts, stdout)
	}
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	printBench(stdout, results, opts)
	if soak != nil {
		soak.print(stdout, opts)
	}
	return nil
}

// soakResult is what the soak measured.
type soakResult struct {
	benchResult
	// warmRSS and endRSS are the process's resident memory after the
	// warm-up and at the end, in bytes; 0 where the system does not say.
	warmRSS, endRSS int64
}

// runSoak keeps opts.soakConnections keep-alive connections busy on an
// authenticated GET for opts.soak, after a warm-up on the same
// connections, and reads the resident memory after each: a server that
// leaks per connection or per request grows between the two.
func runSoak(ctx context.Context, base string, seed *benchSeed, opts benchOptions, stdout io.Writer) (*soakResult, error) {
	conns := benchConns(base, opts.soakConnections)
	defer closeAll(conns)
	rt := propertyByKey(seed)
	rt.name = "soak GET /properties/:id"
	run := opts
	run.minRequests, run.countOnly = 1, true
	run.duration = min(max(opts.soak/10, time.Second), 5*time.Second)
	fmt.Fprintf(stdout, "  %-30s warming %d connections for %s\n", rt.name, len(conns), run.duration)
	if warm := driveRoute(ctx, conns, rt, run, nil); warm.errors > 0 {
		return nil, fmt.Errorf("soak warm-up: %d errors, the first: %s", warm.errors, warm.firstErr)
	}
	var res soakResult
	res.warmRSS = residentMemory()
	run.duration = opts.soak
	res.benchResult = driveRoute(ctx, conns, rt, run, stdout)
	res.endRSS = residentMemory()
	return &res, ctx.Err()
}

func (r *soakResult) print(w io.Writer, opts benchOptions) {
	fmt.Fprintf(w, "\nsoak: %d keep-alive connections on GET /properties/:id for %s: %d requests (%.0f/s), %d errors\n",
		opts.soakConnections, opts.soak, r.requests, r.rate(), r.errors)
	if r.errors > 0 {
		fmt.Fprintf(w, "soak: the first error: %s\n", r.firstErr)
	}
	if r.warmRSS == 0 || r.endRSS == 0 {
		fmt.Fprintln(w, "soak: resident memory is not known on this system")
		return
	}
	growth := float64(r.endRSS-r.warmRSS) / float64(r.warmRSS)
	fmt.Fprintf(w, "soak: resident memory %.1f MiB after the warm-up, %.1f MiB at the end (%+.1f%%; client and server together)\n",
		float64(r.warmRSS)/(1<<20), float64(r.endRSS)/(1<<20), 100*growth)
}

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
// empty.
func profiled(file string, f func() ([]benchResult, error)) ([]benchResult, error) {
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

type benchOptions struct {
	concurrency     int
	duration        time.Duration
	minRequests     int
	log             bool
	only            string
	cpuProfile      string
	soak            time.Duration
	soakConnections int
	// rate, when above 0, is the requests per second offered in all.
	rate int
	// countOnly drives without keeping each request's latency: the soak
	// measures memory, which a growing list of latencies would blur.
	countOnly bool
}

// wants reports whether the route named name is driven: /healthz, the
// ceiling, always is; the others when --only is empty or names them.
func (o benchOptions) wants(name string) bool {
	if o.only == "" || name == "GET /healthz" {
		return true
	}
	for w := range strings.SplitSeq(o.only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

const (
	benchProperties = 50
	benchRoomTypes  = 10
	benchRatePlans  = 20
	// benchRestricted is how many properties the restricted key reaches.
	benchRestricted = 5
)

// benchSeed is what the seeding made that the routes use.
type benchSeed struct {
	allKey, restrictedKey, token string
	properties                   []string
	outOfScope                   string   // a property the restricted key does not reach
	plans                        []string // the rate plans of properties[0]
	first                        keycard.Date
}

func seedBench(ctx context.Context, st *store.Store) (*benchSeed, error) {
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
	seed := &benchSeed{first: keycard.Today(time.Now(), "") + 1}
	for i := range benchProperties {
		prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: fmt.Sprintf("Bench Hotel %02d", i), Currency: "EUR",
			Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			return nil, err
		}
		seed.properties = append(seed.properties, prop.ID)
		var rooms []string
		for j := range benchRoomTypes {
			rt, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: prop.ID, Title: "Room " + strconv.Itoa(j),
				CountOfRooms: 10, OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
			if err != nil {
				return nil, err
			}
			rooms = append(rooms, rt.ID)
		}
		for j := range benchRatePlans {
			rp, err := st.CreateRatePlan(ctx, owner, prop.ID, func(rp *keycard.RatePlan) keycard.FieldErrors {
				rp.Title, rp.RoomTypeID = "Plan "+strconv.Itoa(j), rooms[j%len(rooms)]
				rp.Options = []keycard.RateOption{{Occupancy: 2, IsPrimary: true, Rate: 10000}}
				return nil
			})
			if err != nil {
				return nil, err
			}
			if i == 0 {
				seed.plans = append(seed.plans, rp.ID)
			}
		}
	}
	seed.outOfScope = seed.properties[len(seed.properties)-1]
	if _, seed.allKey, err = st.CreateAPIKey(ctx, owner, "bench: all properties", true, nil); err != nil {
		return nil, err
	}
	if _, seed.restrictedKey, err = st.CreateAPIKey(ctx, owner, "bench: restricted", false, seed.properties[:benchRestricted]); err != nil {
		return nil, err
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
func seedBookings(ctx context.Context, client *http.Client, base string, s *benchSeed) error {
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

func benchRoutes(s *benchSeed) []benchRoute {
	key := http.Header{"User-Api-Key": {s.allKey}}
	bearer := http.Header{"Authorization": {"Bearer " + s.token}}
	restricted := http.Header{"User-Api-Key": {s.restrictedKey}}
	last := s.first + 29
	read := "/api/v1/restrictions?filter[property_id]=" + s.properties[0] + "&filter[date][gte]=" + s.first.String() +
		"&filter[date][lte]=" + last.String() + "&filter[restrictions]=rate,min_stay_arrival,max_stay,stop_sell"
	return []benchRoute{
		{"GET /healthz", "GET", 200, func(int) (string, http.Header, string) { return "/healthz", nil, "" }},
		propertyByKey(s),
		{"GET /properties/:id (bearer)", "GET", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/properties/" + s.properties[i%len(s.properties)], bearer, ""
		}},
		{"GET /properties?limit=10", "GET", 200, func(i int) (string, http.Header, string) {
			return "/api/v1/properties?pagination[limit]=10&pagination[page]=" + strconv.Itoa(1+i%5), key, ""
		}},
		{"GET out of scope (404)", "GET", 404, func(int) (string, http.Header, string) {
			return "/api/v1/properties/" + s.outOfScope, restricted, ""
		}},
		{"GET /booking_revisions/feed", "GET", 200, func(int) (string, http.Header, string) {
			return "/api/v1/booking_revisions/feed", key, ""
		}},
		{"GET /restrictions 30d x 20", "GET", 200, func(int) (string, http.Header, string) { return read, key, "" }},
		{"POST /restrictions 30d x 10", "POST", 200, func(i int) (string, http.Header, string) {
			var b strings.Builder
			b.WriteString(`{"values":[`)
			for j, plan := range s.plans[:10] {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"property_id":%q,"rate_plan_id":%q,"date_from":%q,"date_to":%q,"rate":"%d.00","min_stay_arrival":%d}`,
					s.properties[0], plan, s.first.String(), last.String(), 100+i%50, 1+i%3)
			}
			b.WriteString(`]}`)
			return "/api/v1/restrictions", key, b.String()
		}},
	}
}

// propertyByKey is GET /api/v1/properties/:id with the all-properties
// key, cycling through the properties: a route of the table, and the
// soak's.
func propertyByKey(s *benchSeed) benchRoute {
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

func runBench(ctx context.Context, conns []*benchConn, seed *benchSeed, opts benchOptions, stdout io.Writer) ([]benchResult, error) {
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
		warm.duration = min(opts.duration/10, 500*time.Millisecond)
		driveRoute(ctx, conns, rt, warm, nil)
		res := driveRoute(ctx, conns, rt, opts, stdout)
		out = append(out, res)
	}
	return out, nil
}

// driveRoute keeps a request to rt in flight on each of conns for
// opts.duration, and longer until opts.minRequests have completed, and
// reports progress to progress (if not nil) about once a second.
func driveRoute(ctx context.Context, conns []*benchConn, rt benchRoute, opts benchOptions, progress io.Writer) benchResult {
	var next, done atomic.Int64
	deadline := time.Now().Add(opts.duration)
	more := func() bool {
		return ctx.Err() == nil && (time.Now().Before(deadline) || done.Load() < int64(opts.minRequests))
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
	if opts.rate > 0 {
		every = time.Second * time.Duration(len(conns)) / time.Duration(opts.rate)
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
		fmt.Fprintf(progress, "  %-30s driving %d connections for %s\n", rt.name, len(conns), opts.duration)
		tick := time.NewTicker(time.Second)
		stopped := make(chan struct{})
		go func() { wg.Wait(); close(stopped) }()
	wait:
		for {
			select {
			case <-tick.C:
				fmt.Fprintf(progress, "  %-30s %5.1fs  %8d requests\n", rt.name, time.Since(start).Seconds(), done.Load())
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

func printBench(w io.Writer, results []benchResult, opts benchOptions) {
	ceiling := results[0]
	load := "as fast as answers come"
	if opts.rate > 0 {
		load = fmt.Sprintf("%d req/s offered, timed from when each was due", opts.rate)
	}
	fmt.Fprintf(w, "\n%d connections, %s, %s per route, loopback, client and server in one process (%d CPUs)\n\n",
		opts.concurrency, load, opts.duration, runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-30s\t", "route")
	fmt.Fprintln(tw, "req/s\tof /healthz\tp50\tp99\tp99.9\tallocs/req\tover /healthz\trequests\terrors\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%-30s\t%.0f\t%.2f\t%s\t%s\t%s\t%.0f\t%+.0f\t%d\t%d\t\n", r.route, r.rate(), r.rate()/ceiling.rate(),
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
