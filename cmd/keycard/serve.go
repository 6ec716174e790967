package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/keycard/keycard/internal/api"
	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/metrics"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/web"
	"github.com/keycard/keycard/internal/webhook"
)

// pollInterval is how often a server reads the auth epoch whatever it
// heard, as a backstop to the store's Watch, through which credential
// changes made by other processes apply within milliseconds.
const pollInterval = time.Second

// defaultShutdownTimeout is --shutdown-timeout's default.
const defaultShutdownTimeout = 15 * time.Second

func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv, stdout, "keycard.db", true, nil)
	if err != nil {
		return err
	}
	// Listen first: a server that cannot have its address leaves no
	// database behind.
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	st, err := store.Open(ctx, cfg.Store())
	if err != nil {
		return err
	}
	defer st.Close()
	return serve(ctx, cfg, st, ln, stdout, serveHooks{})
}

// listen opens the server's address.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// newLimiter returns the rate limiter: in Redis when configured (checked
// with a ping, so that a wrong URL stops the start), behind a Fallback so
// that a hung or lost Redis never stalls a request; else in memory.
func newLimiter(ctx context.Context, cfg Config, log *slog.Logger) (ratelimit.Limiter, func() error, error) {
	if cfg.RedisURL == "" {
		return ratelimit.NewMemory(nil), func() error { return nil }, nil
	}
	shared, closeRedis, err := ratelimit.DialRedis(ctx, cfg.RedisURL, "keycard:ratelimit:")
	if err != nil {
		return nil, nil, fmt.Errorf("--redis-url: %w", err)
	}
	return ratelimit.NewFallback(shared, log, nil), closeRedis, nil
}

// newLogger returns the server's logger: JSON lines unless cfg asks for
// text, at cfg's level.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	return newLoggerAt(cfg, w, cfg.LogLevel)
}

// newLifecycleLogger returns a logger in the server's format that records
// every level: the lines saying where the server listens and that it
// stops are written whatever --log-level says, since an operator needs
// them to know the server's state.
func newLifecycleLogger(cfg Config, w io.Writer) *slog.Logger {
	return newLoggerAt(cfg, w, slog.LevelDebug)
}

func newLoggerAt(cfg Config, w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// newHandler routes the JSON API (with /healthz and /readyz), its
// reference at /docs/, and the HTML UI, which has every other path, each
// path read with its repeated slashes as one. It returns the API server
// too, which is told when the server drains.
func newHandler(cfg Config, st *store.Store, authn *auth.Authenticator, limiter ratelimit.Limiter, m *metrics.Metrics, sender *webhook.Sender, log *slog.Logger) (http.Handler, *api.Server) {
	// Channels are called under the webhooks' address guard and its
	// development flag.
	channels := openchannel.NewClient(sender.AllowsPrivate())
	apiSrv := api.New(api.Config{Store: st, Auth: authn, Mode: cfg.Mode, Log: log, Webhooks: sender, Channels: channels,
		Limits: cfg.Limits, Limiter: limiter, PhotoQuota: &cfg.PhotoQuota, Metrics: m, ClientIP: cfg.TrustedProxies,
		SecretScanningKeys: cfg.SecretScanningKeys, LeakFlagOnly: cfg.LeakFlagOnly, AnswerCacheBytes: cfg.AnswerCacheBytes})
	mux := http.NewServeMux()
	mux.Handle("/api/", apiSrv)
	mux.Handle("/healthz", apiSrv)
	mux.Handle("/readyz", apiSrv)
	mux.Handle("GET "+api.DocsPath, api.Docs())
	mux.Handle("GET /docs", http.RedirectHandler(api.DocsPath, http.StatusMovedPermanently))
	if cfg.MetricsPublic {
		mux.Handle("GET /metrics", m.Handler())
	}
	ui := web.New(web.Config{Store: st, Auth: authn, Mode: cfg.Mode, Log: log, SecureCookies: cfg.SecureCookies,
		Metrics: m, ClientIP: cfg.TrustedProxies, Channels: channels})
	mux.Handle("/", ui)
	return singleSlashes(mux), apiSrv
}

// singleSlashes reads a path with repeated slashes as if it had one, as
// the API itself does: http.ServeMux would answer "//api/v1/bookings/push"
// with a redirect, which a client that joins URLs carelessly may not
// follow on a POST.
func singleSlashes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := api.SingleSlashes(r.URL.Path); p != r.URL.Path {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = p, api.SingleSlashes(r.URL.RawPath)
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

// newMetrics returns the server's metrics, reading the credential cache
// and the database pools at each scrape.
func newMetrics(st *store.Store, authn *auth.Authenticator) *metrics.Metrics {
	m := metrics.New()
	m.AddCache("credential", authn.CacheStats)
	m.AddGauge("keycard_booking_feed_backlog", "Booking revisions waiting unacked in the feed, over every property.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.FeedBacklog(ctx)
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	})
	read, write := st.Pools()
	m.AddDB("read", read)
	m.AddDBWaits("read", func() (uint64, time.Duration) { w, _ := st.Waits(); return w.Count, w.Total })
	if write != read {
		m.AddDB("write", write)
		m.AddDBWaits("write", func() (uint64, time.Duration) { _, w := st.Waits(); return w.Count, w.Total })
	}
	return m
}

// serveHooks let a caller follow a server's life: ready, if not nil, is
// called with the base URL once the server serves; draining, if not nil,
// once /readyz answers 503 at shutdown and before the listener closes.
type serveHooks struct {
	ready    func(baseURL string)
	draining func()
}

// serve runs the HTTP server on ln until ctx ends, then shuts it down
// gracefully: /readyz answers 503 first, so that a load balancer stops
// sending requests, then the listener closes and requests in flight get
// cfg.ShutdownTimeout to finish.
func serve(ctx context.Context, cfg Config, st *store.Store, ln net.Listener, stdout io.Writer, hooks serveHooks) error {
	log := newLogger(cfg, stdout)
	lifecycle := newLifecycleLogger(cfg, stdout)
	st.SetTaskRetention(cfg.TaskRetention)
	st.SetSubscriptionGate(cfg.Mode == keycard.ModeProduction)
	limiter, closeLimiter, err := newLimiter(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	authn := auth.New(auth.Config{Store: st, Mode: cfg.Mode, Log: log, Limiter: limiter,
		SignInLimits: cfg.SignInLimits, AuthFailLimit: cfg.AuthFailLimit})
	if err := authn.Poll(ctx); err != nil {
		return err
	}
	m := newMetrics(st, authn)
	sender, stopWebhooks, err := startWebhooks(cfg, st, m, log)
	if err != nil {
		return err
	}
	defer stopWebhooks()
	stopChannels := startChannels(cfg, st, log)
	defer stopChannels()
	handler, apiSrv := newHandler(cfg, st, authn, limiter, m, sender, log)
	m.AddCache("answer", func() (uint64, uint64) { h, mi, _ := apiSrv.AnswerCacheStats(); return h, mi })
	m.AddGauge("keycard_answer_cache_bytes", "Bytes of the answers kept by the answer cache.", func() float64 {
		_, _, n := apiSrv.AnswerCacheStats()
		return float64(n)
	})

	if cfg.DebugAddr != "" {
		stopDebug, err := serveDebug(cfg.DebugAddr, m, lifecycle)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a 10 MB body on a slow link
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	baseURL := "http://" + ln.Addr().String()
	limits := "in memory"
	if cfg.RedisURL != "" {
		limits = "in Redis"
	}
	lifecycle.Info("keycard listening", "url", baseURL, "mode", string(cfg.Mode), "database", st.Dialect(), "rate_limits", limits)

	bg, stopBG := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		purgeDone := make(chan struct{})
		go func() {
			defer close(purgeDone)
			purgeAudit(bg, st, cfg.AuditRetention, cfg.KeyUsageRetention, log)
		}()
		authn.Run(bg, pollInterval)
		<-purgeDone
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if hooks.ready != nil {
		hooks.ready(baseURL)
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		timeout := cmp.Or(cfg.ShutdownTimeout, defaultShutdownTimeout) // bench fills no server flags
		lifecycle.Info("shutting down", shutdownCause(ctx), "timeout", timeout.String())
		apiSrv.Drain()
		if hooks.draining != nil {
			hooks.draining()
		}
		sctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = srv.Shutdown(sctx)
		cancel()
		<-errc
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("requests still running after --shutdown-timeout %s were cut off", timeout)
		}
	}
	// The background loop flushes key usage once more as it stops.
	stopBG()
	<-bgDone
	stopChannels()
	stopWebhooks()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	lifecycle.Info("keycard stopped")
	return err
}

// signalCause is the cause of a context ended by a signal.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return c.sig.String() + " signal received" }

// shutdownCause names, for the "shutting down" line, what ended ctx: the
// signal, or another reason.
func shutdownCause(ctx context.Context) slog.Attr {
	cause := context.Cause(ctx)
	if sc, ok := errors.AsType[signalCause](cause); ok {
		return slog.String("signal", sc.sig.String())
	}
	return slog.String("reason", cause.Error())
}

// purgeAudit deletes audit events older than retention, and keys' hourly
// usage older than usageRetention, now and then every hour, until ctx
// ends; a retention of 0 keeps them.
func purgeAudit(ctx context.Context, st *store.Store, retention, usageRetention time.Duration, log *slog.Logger) {
	if retention <= 0 && usageRetention <= 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if retention > 0 {
			if _, err := st.PurgeAuditEvents(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				log.Error("purge audit events", "err", err)
			}
		}
		if usageRetention > 0 {
			if _, err := st.PurgeKeyUsage(ctx, time.Now().Add(-usageRetention)); err != nil && ctx.Err() == nil {
				log.Error("purge key usage", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
