package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/loadtest"
)

// TestBench runs keycard bench briefly: it seeds, drives every route, and
// prints a row per route with its ratio to /healthz and no errors. It
// asserts what was printed, never how fast anything was.
func TestBench(t *testing.T) {
	out := newOutput()
	err := run(context.Background(), []string{"bench", "--duration", "100ms", "--concurrency", "2", "--channel-latency-writes", "3"}, env(nil), out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := out.String()
	if !strings.Contains(text, "req/s") || !strings.Contains(text, "of /healthz") {
		t.Fatalf("no table header:\n%s", text)
	}
	for _, name := range loadtest.RouteNames() {
		var m []string
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok && !strings.Contains(rest, "driving") {
				f := strings.Fields(rest)
				m = []string{line, f[len(f)-2], f[1], f[len(f)-1]}
			}
		}
		if m == nil {
			t.Errorf("no row for %s:\n%s", name, text)
			continue
		}
		if m[1] == "0" { // --min-requests (1) makes it wait for one, however slow
			t.Errorf("%s: no request completed", name)
		}
		if m[3] != "0" {
			t.Errorf("%s: %s errors:\n%s", name, m[3], text)
		}
		if name == "GET /healthz" && m[2] != "1.00" {
			t.Errorf("/healthz's ratio to itself is %s", m[2])
		}
	}
	if !regexp.MustCompile(`(?m)^  GET /healthz\s+driving 2 connections`).MatchString(text) {
		t.Errorf("no progress line:\n%s", text)
	}
	// The channel figures: the share kept with channels, the latency of
	// as many writes as asked, and the full sync.
	for _, re := range []string{
		`(?m)^channels: POST /restrictions with 10 active channels keeps \d+\.\d\d of its throughput without \(\d+/s against \d+/s; \d+ pushes\)$`,
		`(?m)^channels: from a POST /restrictions answer to the channel's receipt: p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms \(3 writes, one at a time, each after a quiet spell\)$`,
		`(?m)^channels: a 500-day full sync of 20 rate plans \(10000 cells, every day different\): [\d.]+ ms, \d+ requests, [\d.]+ MB sent$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("no line matching %s:\n%s", re, text)
		}
	}
}

// TestBenchOnlyAndSoak runs one route with --only, then the soak: the
// table holds /healthz and that route alone, and the soak reports its
// requests, no errors, and the memory before and after.
func TestBenchOnlyAndSoak(t *testing.T) {
	out := newOutput()
	err := run(context.Background(), []string{"bench", "--duration", "100ms", "--concurrency", "2", "--only", "restrictions 30d x 20",
		"--soak", "300ms", "--soak-connections", "20"}, env(nil), out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := out.String()
	for _, want := range []string{"GET /healthz", "GET /restrictions 30d x 20"} {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(want) + `\s+\d+\s+\d\.\d\d `).MatchString(text) {
			t.Errorf("no row for %s:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"GET /properties/:id (key)", "POST /restrictions"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("--only let %s run:\n%s", unwanted, text)
		}
	}
	m := regexp.MustCompile(`soak: 20 keep-alive connections on GET /properties/:id for 300ms: (\d+) requests \(\d+/s\), (\d+) errors`).FindStringSubmatch(text)
	if m == nil || m[1] == "0" || m[2] != "0" {
		t.Fatalf("no soak line with requests and no errors:\n%s", text)
	}
	if !strings.Contains(text, "resident memory") {
		t.Errorf("the soak does not report memory:\n%s", text)
	}
}

// TestBenchRefusesADatabaseInUse names a database that holds an account:
// the bench refuses it before seeding anything, and seeds an empty one.
func TestBenchRefusesADatabaseInUse(t *testing.T) {
	dir := t.TempDir()
	used := filepath.Join(dir, "used.db")
	migrateDB(t, env(map[string]string{"KEYCARD_DB": used}))
	if _, err := cli(t, env(map[string]string{"KEYCARD_DB": used}), "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	args := []string{"bench", "--duration", "50ms", "--concurrency", "1", "--only", "none"}
	if out, err := cli(t, env(nil), append(args, "--db", used)...); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Fatalf("bench on a database in use: %v\n%s", err, out)
	}
	if out, err := cli(t, env(nil), append(args, "--db", filepath.Join(dir, "new.db"))...); err != nil || !strings.Contains(out, "GET /healthz") {
		t.Fatalf("bench on a new database: %v\n%s", err, out)
	}
}

// TestBenchRate drives /healthz at an offered rate: the table says so, and
// no more requests are sent than the schedule allows (a closed loop would
// send thousands in the same time).
func TestBenchRate(t *testing.T) {
	out := newOutput()
	err := run(context.Background(), []string{"bench", "--duration", "500ms", "--concurrency", "4", "--rate", "40", "--only", "none"}, env(nil), out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := out.String()
	if !strings.Contains(text, "40 req/s offered") {
		t.Errorf("the table does not say the rate:\n%s", text)
	}
	m := regexp.MustCompile(`(?m)^  GET /healthz\s+\d+\s+1\.00 .* (\d+)\s+(\d+)\s*$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no /healthz row:\n%s", text)
	}
	// 4 connections, one request each every 100 ms, for 500 ms: at most
	// 6 each, whatever the machine's speed.
	if n, _ := strconv.Atoi(m[1]); n < 1 || n > 24 || m[2] != "0" {
		t.Errorf("%s requests, %s errors; want 1 to 24 requests and no error:\n%s", m[1], m[2], text)
	}
}

// TestBenchProperties seeds a portfolio of three properties: the bench says
// how long that took, how big the database is and how much memory the
// process holds, and the feed routes and the write to many properties
// (which has only one property to write to at that size) run on what it
// seeded without errors. --properties 2 is refused (the seed needs a property with the
// channels, one for the full sync and one the restricted key does not
// reach).
func TestBenchProperties(t *testing.T) {
	out := newOutput()
	err := run(context.Background(), []string{"bench", "--duration", "100ms", "--concurrency", "2", "--properties", "3", "--only", "feed,many"}, env(nil), out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	text := out.String()
	if !regexp.MustCompile(`(?m)^seeded 3 properties in [0-9.]+(ms|s|m[0-9.]+s); database [0-9.]+ MiB; resident memory [0-9.]+ MiB$`).MatchString(text) {
		t.Errorf("no seeding report:\n%s", text)
	}
	for _, name := range []string{"GET /booking_revisions/feed", "GET /booking_revisions/feed drained", "POST /restrictions 30d x 10, many properties"} {
		if !regexp.MustCompile(`(?m)^ +` + regexp.QuoteMeta(name) + `\s+\d+\s+\d+\.\d\d .*\s0\s*$`).MatchString(text) {
			t.Errorf("no row without errors for %s:\n%s", name, text)
		}
	}
	if _, err := cli(t, env(nil), "bench", "--properties", "2", "--only", "none"); err == nil || !strings.Contains(err.Error(), "3 or more") {
		t.Errorf("--properties 2: %v", err)
	}
}
