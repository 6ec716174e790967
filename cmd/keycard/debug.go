package main

import (
	"context"
	"errors"
	"expvar"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
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
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	return mux
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
