package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/keycard/keycard/internal/store"
)

// TestServeLifecycle stops a server as SIGTERM does and reads its log:
// JSON records for listening, shutting down (with the signal and the
// --shutdown-timeout from the environment) and stopped; and /readyz
// answers 503 once shutdown has begun, while the listener still takes
// connections.
func TestServeLifecycle(t *testing.T) {
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(t.TempDir(), "keycard.db"), "KEYCARD_SHUTDOWN_TIMEOUT": "2m"})
	cfg, err := parseConfig("serve", []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, getenv, io.Discard, "keycard.db", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ln, err := listen(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	out := newOutput()
	ready := make(chan string, 1)
	var drainStatus int
	var drainBody string
	var drainErr error
	done := make(chan error, 1)
	go func() {
		var base string
		done <- serve(ctx, cfg, st, ln, out, serveHooks{
			ready: func(u string) { base = u; ready <- u },
			// Runs on the server's goroutine; read after done.
			draining: func() {
				resp, err := http.Get(base + "/readyz")
				if err != nil {
					drainErr = err
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				drainStatus, drainBody = resp.StatusCode, string(b)
			},
		})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	if status, _ := get(t, base+"/readyz", nil); status != 200 {
		t.Fatalf("/readyz while serving: %d, want 200", status)
	}
	cancel(signalCause{syscall.SIGTERM})
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if drainErr != nil || drainStatus != 503 || !strings.Contains(drainBody, "shutting down") {
		t.Errorf("/readyz once shutdown began: %d %s %v, want 503 shutting down", drainStatus, drainBody, drainErr)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("the server still answers after it stopped")
	}

	records := map[string]map[string]any{}
	for line := range strings.Lines(out.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a line of the log is not JSON: %q", line)
			continue
		}
		records[rec["msg"].(string)] = rec
	}
	for msg, want := range map[string]map[string]any{
		"keycard listening": {"url": base, "mode": "staging", "database": "sqlite", "rate_limits": "in memory", "level": "INFO"},
		"shutting down":     {"signal": "terminated", "timeout": "2m0s"},
		"keycard stopped":   {},
	} {
		rec := records[msg]
		if rec == nil {
			t.Errorf("no JSON record %q in the log (written whatever --log-level):\n%s", msg, out)
			continue
		}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("%q record: %s = %v, want %v", msg, k, rec[k], v)
			}
		}
	}

	// Text for a person: the demo's format.
	_, text := start(t, env(map[string]string{"KEYCARD_DB": filepath.Join(t.TempDir(), "k.db")}), "serve", "--addr", "127.0.0.1:0", "--log-format", "text")
	if !strings.Contains(text.String(), `level=INFO msg="keycard listening" url=http://127.0.0.1:`) {
		t.Errorf("text log: %s, want a text record for listening", text)
	}
	if _, err := cli(t, env(nil), "serve", "--shutdown-timeout", "soon"); err == nil || !strings.Contains(err.Error(), "--shutdown-timeout") {
		t.Errorf("--shutdown-timeout soon: %v, want it refused", err)
	}
}

// TestUsageOnce checks what a person sees after a mistake: a bad flag
// gives one error (main prints it) and the command's usage once; an
// unknown command or subcommand gives the list of commands; and help
// works for every command, version included.
func TestUsageOnce(t *testing.T) {
	getenv := env(nil)
	for _, tt := range []struct {
		args       []string
		err, usage string
	}{
		{[]string{"audit", "--bogus"}, "audit: flag provided but not defined: -bogus", "usage: keycard audit"},
		{[]string{"serve", "--bogus"}, "serve: flag provided but not defined: -bogus", "usage: keycard serve"},
		{[]string{"key", "show", "ID", "--bogus"}, "key show: flag provided but not defined: -bogus", "usage: keycard key show ID"},
		{[]string{"login", "--password", "x"}, "login: flag provided but not defined: -password", "usage: keycard login"},
		{[]string{"restore", "--to", "x"}, "restore: flag provided but not defined: -to", "usage: keycard restore"},
		{[]string{"launch"}, `unknown command "launch"`, "Commands:"},
		{[]string{"key", "frob"}, `unknown key command "frob"`, "Commands:"},
		{[]string{"user", "frob"}, `unknown user command "frob"`, "Commands:"},
		{[]string{"org", "frob"}, `unknown org command "frob"`, "Commands:"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := cli(t, getenv, tt.args...)
			if err == nil || err.Error() != strings.TrimSpace(err.Error()) || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("error %v, want one starting %q", err, tt.err)
			}
			if n := strings.Count(out, tt.usage); n != 1 {
				t.Errorf("printed the usage %d times, want once:\n%s", n, out)
			}
			if strings.Contains(out, "flag provided") || strings.Contains(out, "unknown ") {
				t.Errorf("printed the error as well as returning it:\n%s", out)
			}
		})
	}
	for _, tt := range []struct {
		args  []string
		usage string
	}{
		{[]string{"help", "version"}, "usage: keycard version"},
		{[]string{"version", "--help"}, "usage: keycard version"},
		{[]string{"help", "restore"}, "usage: keycard restore"},
		{[]string{"help", "logout"}, "usage: keycard logout"},
		{[]string{"help", "login"}, "usage: keycard login"},
		{[]string{"help", "key", "update"}, "usage: keycard key update ID"},
		{[]string{"key", "withdraw", "--help"}, "usage: keycard key withdraw ID"},
		{[]string{"help", "org", "list"}, "usage: keycard org list"},
		{[]string{"help", "user", "list"}, "usage: keycard user list"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := cli(t, getenv, tt.args...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("error %v, want the usage", err)
			}
			if !strings.HasPrefix(out, tt.usage) {
				t.Errorf("printed %q, want %q first", out, tt.usage)
			}
		})
	}
}
