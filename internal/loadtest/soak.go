package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"
)

// soakResult is what the soak measured.
type soakResult struct {
	benchResult
	// warmRSS and endRSS are the process's resident memory after the
	// warm-up and at the end, in bytes; 0 where the system does not say.
	warmRSS, endRSS int64
}

// runSoak keeps opts.SoakConnections keep-alive connections busy on an
// authenticated GET for opts.Soak, after a warm-up on the same
// connections, and reads the resident memory after each: a server that
// leaks per connection or per request grows between the two.
func runSoak(ctx context.Context, base string, seed *Seeded, opts Options, stdout io.Writer) (*soakResult, error) {
	conns := benchConns(base, opts.SoakConnections)
	defer closeAll(conns)
	rt := propertyByKey(seed)
	rt.name = "soak GET /properties/:id"
	run := opts
	run.MinRequests, run.countOnly = 1, true
	run.Duration = min(max(opts.Soak/10, time.Second), 5*time.Second)
	fmt.Fprintf(stdout, "  %-36s warming %d connections for %s\n", rt.name, len(conns), run.Duration)
	if warm := driveRoute(ctx, conns, rt, run, nil); warm.errors > 0 {
		return nil, fmt.Errorf("soak warm-up: %d errors, the first: %s", warm.errors, warm.firstErr)
	}
	var res soakResult
	res.warmRSS = residentMemory()
	run.Duration = opts.Soak
	res.benchResult = driveRoute(ctx, conns, rt, run, stdout)
	res.endRSS = residentMemory()
	return &res, ctx.Err()
}

func (r *soakResult) print(w io.Writer, opts Options) {
	fmt.Fprintf(w, "\nsoak: %d keep-alive connections on GET /properties/:id for %s: %d requests (%.0f/s), %d errors\n",
		opts.SoakConnections, opts.Soak, r.requests, r.rate(), r.errors)
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
