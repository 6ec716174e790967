package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/metrics"
)

// debugHandler serves the runtime's profiles (net/http/pprof) and
// variables (expvar), on a mux of its own: they reveal memory contents
// and cost CPU, so they are never on the public address. It serves the
// Prometheus metrics too (which the public address serves only with
// --metrics-public).
func debugHandler(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", debugCmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/vars", debugVars)
	return mux
}

// debugCmdline serves the command line as pprof.Cmdline does (arguments
// separated by NUL), with the passwords of URLs (--database-url,
// --redis-url) hidden.
func debugCmdline(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, strings.Join(redactArgs(os.Args), "\x00"))
}

// debugVars serves expvar's variables as expvar.Handler does, except
// that its "cmdline" (os.Args) has the passwords of URLs hidden. expvar
// offers no way to unpublish or replace that variable.
func debugVars(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.WriteString(w, "{\n")
	first := true
	expvar.Do(func(kv expvar.KeyValue) {
		if !first {
			io.WriteString(w, ",\n")
		}
		first = false
		v := kv.Value.String()
		if kv.Key == "cmdline" {
			b, _ := json.Marshal(redactArgs(os.Args))
			v = string(b)
		}
		fmt.Fprintf(w, "%q: %s", kv.Key, v)
	})
	io.WriteString(w, "\n}\n")
}

// redactArgs returns args with the password of any URL in them hidden.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = redactURL(a)
	}
	return out
}

// redacted replaces a password.
const redacted = "xxxxx"

// redactURL hides the password of a URL in a command-line argument,
// whether the URL is the whole argument or follows "--flag=": the
// user-info password (as url.URL.Redacted does) and query parameters
// that name a password (libpq's ?password=).
func redactURL(arg string) string {
	i := strings.Index(arg, "://")
	if i < 0 {
		return arg
	}
	start := i
	for start > 0 && isSchemeByte(arg[start-1]) {
		start--
	}
	prefix, raw := arg[:start], arg[start:]
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable: hide everything between "://" and the last "@".
		if at := strings.LastIndexByte(raw, '@'); at > i-start {
			return prefix + raw[:i-start+3] + redacted + raw[at:]
		}
		return arg
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
		changed = true
	}
	q, inQuery := u.Query(), false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Set(k, redacted)
			inQuery = true
		}
	}
	if inQuery {
		u.RawQuery = q.Encode()
		changed = true
	}
	if !changed {
		return arg
	}
	return prefix + u.String()
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// serveDebug listens on addr and serves debugHandler. It
// returns once listening (or failing to); stop shuts it down.
func serveDebug(addr string, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --debug-addr %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           debugHandler(m),
		ReadHeaderTimeout: 10 * time.Second,
		// A CPU profile or trace runs for as long as asked (?seconds=).
		IdleTimeout: 120 * time.Second,
	}
	log.Info("keycard debug listening", "url", "http://"+ln.Addr().String(), "serves", "pprof, expvar, metrics")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("keycard debug server", "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	}, nil
}
