package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
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
