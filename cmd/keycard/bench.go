package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/loadtest"
	"github.com/keycard/keycard/internal/secretbox"
	"github.com/keycard/keycard/internal/store"
)

// benchCmd is "keycard bench": it starts a server on a fresh database,
// seeds it, drives load at it over loopback from the same process, route
// by route, and prints each route's throughput and latency next to the
// /healthz ceiling measured in the same run.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var opts loadtest.Options
	var properties int
	noAnswers := false
	// The database is a temporary one unless named on the command line:
	// never the one KEYCARD_DB points a server at.
	benchEnv := func(k string) string {
		if k == "KEYCARD_DB" || k == "KEYCARD_DATABASE_URL" {
			return ""
		}
		return getenv(k)
	}
	cfg, err := parseConfig("bench", args, benchEnv, stdout, "-", false, func(fs flagAdder) {
		fs.IntVar(&properties, "properties", 0, "seed a portfolio of this many properties, each with "+
			fmt.Sprintf("%d room types, %d rate plans, %d days of ARI and %d bookings", loadtest.RoomTypes, loadtest.RatePlans, loadtest.ARIDays, loadtest.BookingsPerProperty)+
			", and report the seeding's time, the database's size and the memory; 0: the default seed of "+fmt.Sprint(loadtest.Properties)+" properties, without ARI")
		fs.IntVar(&opts.Concurrency, "concurrency", 64, "connections kept busy at once")
		fs.DurationVar(&opts.Duration, "duration", 5*time.Second, "how long each route is driven")
		fs.IntVar(&opts.MinRequests, "min-requests", 1, "drive each route past --duration until this many requests completed")
		fs.BoolVar(&opts.Log, "log", false, "write the server's access log (to nowhere) as serve does at the info level")
		fs.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the driven routes (not the seeding) to `file`, for go tool pprof")
		fs.StringVar(&opts.MemProfile, "memprofile", "", "write the allocation profile (seeding included) to `file` after the routes, for go tool pprof -sample_index=alloc_objects")
		fs.DurationVar(&opts.Soak, "soak", 0, "after the routes, keep --soak-connections keep-alive connections busy on GET /properties/:id this long, and report errors and memory growth (0: no soak)")
		fs.IntVar(&opts.SoakConnections, "soak-connections", 1000, "connections the soak keeps open and busy")
		fs.IntVar(&opts.LatencyWrites, "channel-latency-writes", loadtest.DefaultLatencyWrites, "how many single writes the channel latency figure times, each after a quiet spell")
		fs.IntVar(&opts.Rate, "rate", 0, "offer this many requests per second in all, spread over the connections, and time each from when it was due (an open loop, as wrk2 does); 0: as fast as answers come")
		fs.BoolVar(&noAnswers, "no-answer-cache", false, "keep no answers (as serve --answer-cache-bytes 0): every read is built anew, as the first read after a write is")
		fs.StringVar(&opts.Only, "only", "", "drive only the routes whose name contains one of these comma-separated words (/healthz always runs)")
	})
	if err != nil {
		return err
	}
	if noAnswers {
		cfg.AnswerCacheBytes = -1
	}
	if opts.Concurrency < 1 || opts.Duration <= 0 {
		return errors.New("--concurrency and --duration must be positive")
	}
	// The seed needs a property with the channels, one for the full sync
	// and one the restricted key does not reach.
	if properties < 0 || properties == 1 || properties == 2 {
		return errors.New("--properties must be 3 or more (or 0 for the default seed)")
	}
	if opts.Rate < 0 {
		return errors.New("--rate cannot be negative")
	}
	if opts.Soak < 0 || opts.SoakConnections < 1 {
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

	n := properties
	if n == 0 {
		n = loadtest.Properties
	}
	fmt.Fprintf(stdout, "keycard bench: seeding %d properties (%d room types, %d rate plans each) on %s\n",
		n, loadtest.RoomTypes, loadtest.RatePlans, st.Dialect())
	seedStart := time.Now()
	seed, err := loadtest.Seed(ctx, st, properties, stdout)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	seeded := loadtest.SeedReport{Properties: n, Took: time.Since(seedStart), RSS: loadtest.ResidentMemory()}
	if seeded.DBSize, err = st.Size(ctx); err != nil {
		return err
	}
	seeded.Print(stdout)
	// The channels are local servers: the bench lets pushes reach
	// loopback, as --allow-private-webhooks does.
	cfg.Webhooks.AllowPrivate = true
	box, err := secretbox.LoadKeyFile(cfg.Webhooks.KeyFile, true) // the server loads the same key
	if err != nil {
		return err
	}
	st.SetSecretBox(box)
	if err := loadtest.SeedChannels(ctx, st, seed); err != nil {
		return err
	}

	ln, err := listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	cfg.Mode = keycard.ModeStaging
	cfg.Limits = api.Limits{} // no limits: the bench measures the server, not the limiter
	cfg.LogLevel = 8          // above error: nothing is logged
	if opts.Log {
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

	report, err := loadtest.Run(ctx, base, seed, opts, stdout)
	stop()
	if serr := <-done; err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	report.Print(stdout)
	fmt.Fprint(stdout, "\n")
	seeded.Print(stdout)
	fmt.Fprintf(stdout, "resident memory after the routes %.1f MiB (client and server together)\n", float64(loadtest.ResidentMemory())/(1<<20))
	return nil
}
