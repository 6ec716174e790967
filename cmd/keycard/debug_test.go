package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/keycard/keycard/internal/redistest"
	"github.com/keycard/keycard/internal/storetest"
)

// TestDebugAddr checks that --debug-addr serves pprof and expvar there,
// and that the public address serves neither.
func TestDebugAddr(t *testing.T) {
	vars := map[string]string{"KEYCARD_DB": filepath.Join(t.TempDir(), "k.db"), "KEYCARD_ADDR": "127.0.0.1:0"}
	public, out := start(t, env(vars), "serve", "--debug-addr", "127.0.0.1:0", "--log-level", "error")
	debug := out.await(t, lifecycleURL("keycard debug listening"), nil)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(debug + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("debug /debug/pprof/: %d, want 200 with the profiles listed", code)
	}
	if code, body := get(debug + "/debug/vars"); code != 200 || !strings.Contains(body, `"memstats"`) {
		t.Errorf("debug /debug/vars: %d, want 200 with memstats", code)
	}
	get(public + "/healthz")
	if code, body := get(debug + "/metrics"); code != 200 || !strings.Contains(body, `keycard_http_requests_total{route="GET /healthz"`) {
		t.Errorf("debug /metrics: %d, want 200 with keycard's metrics", code)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/vars", "/metrics"} {
		if code, body := get(public + path); code == 200 || strings.Contains(body, "goroutine") || strings.Contains(body, "memstats") {
			t.Errorf("public %s: %d, want no profile", path, code)
		}
	}
	if _, err := cli(t, env(vars), "serve", "--addr", "127.0.0.1:7", "--debug-addr", "127.0.0.1:7"); err == nil || !strings.Contains(err.Error(), "--debug-addr") {
		t.Errorf("the same address for both: %v, want an error naming --debug-addr", err)
	}
}

// TestDebugHidesPasswords starts a server whose command line carries a
// PostgreSQL and a Redis password: neither /debug/pprof/cmdline nor
// /debug/vars (expvar's cmdline) may show them, nor any KEYCARD_*
// variable of the environment; the rest of the command line stays.
func TestDebugHidesPasswords(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), "postgres") {
		t.Skip(storetest.EnvPostgres + " is not set")
	}
	pg, err := url.Parse(storetest.Config(t, "postgres").PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	// The test server trusts local connections; a password given is
	// then sent and ignored. One already in the URL is used as it is.
	pgPass, ok := pg.User.Password()
	if !ok {
		pgPass = "pg-Pa55word-canary"
		pg.User = url.UserPassword(pg.User.Username(), pgPass)
	}
	rd := redistest.Start(t)
	ropt, err := redis.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(ropt)
	redisPass := "redis-Pa55word-canary"
	if err := rc.ConfigSet(context.Background(), "requirepass", redisPass).Err(); err != nil {
		t.Fatalf("set the Redis password: %v", err)
	}
	rc.Close()
	redisURL := strings.Replace(rd.URL, "redis://", "redis://:"+redisPass+"@", 1)
	envPass := "env-Pa55word-canary"
	t.Setenv("KEYCARD_DATABASE_URL", "postgres://keycard:"+envPass+"@db.invalid/keycard")
	t.Setenv("KEYCARD_REDIS_URL", "redis://:"+envPass+"@redis.invalid/0")

	args := []string{"serve", "--database-url", pg.String(), "--redis-url=" + redisURL, "--debug-addr", "127.0.0.1:0",
		"--addr", "127.0.0.1:0", "--webhook-key-file", filepath.Join(t.TempDir(), "webhooks.key"), "--log-level", "error"}
	// pprof and expvar show the process's own command line: make it the
	// one this server is started with.
	saved := os.Args
	os.Args = append([]string{"keycard"}, args...)
	t.Cleanup(func() { os.Args = saved })
	_, out := start(t, env(nil), args...)
	debug := out.await(t, lifecycleURL("keycard debug listening"), nil)

	secrets := map[string]string{"database password": pgPass, "Redis password": redisPass, "environment's password": envPass}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/debug/pprof/cmdline", []string{"serve\x00--database-url\x00postgres://" + pg.User.Username() + ":xxxxx@" + pg.Host + pg.Path,
			"--redis-url=redis://:xxxxx@" + ropt.Addr, "--debug-addr\x00127.0.0.1:0", "--log-level\x00error"}},
		{"/debug/vars", []string{`"cmdline": ["keycard","serve","--database-url","postgres://` + pg.User.Username() + `:xxxxx@` + pg.Host,
			`"--redis-url=redis://:xxxxx@` + ropt.Addr + `/0"`, `"memstats": {`}},
		{"/debug/pprof/", []string{"goroutine"}},
		{"/debug/pprof/goroutine?debug=2", []string{"goroutine"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(debug + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			for what, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s shows the %s", tc.path, what)
				}
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d, want 200", tc.path, resp.StatusCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q", tc.path, strings.ReplaceAll(w, "\x00", " "))
				}
			}
		})
	}
	for what, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("the server's output shows the %s", what)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"serve", "serve"},
		{"postgres://u:pw@db:5432/k?sslmode=disable", "postgres://u:xxxxx@db:5432/k?sslmode=disable"},
		{"--database-url=postgres://u:p%40ss@db/k", "--database-url=postgres://u:xxxxx@db/k"},
		{"redis://:pw@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"rediss://default:pw@cache:6380", "rediss://default:xxxxx@cache:6380"},
		{"postgres://u@db/k?password=pw&sslmode=require", "postgres://u@db/k?password=xxxxx&sslmode=require"},
		{"postgres://u@db/k", "postgres://u@db/k"},
		{"https://93.184.216.34/hook", "https://93.184.216.34/hook"},
		{"--database-url=postgres://u:p w%zz@db/k", "--database-url=postgres://xxxxx@db/k"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
