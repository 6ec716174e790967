// Package metrics keeps keycard's Prometheus metrics: requests by route
// pattern and status with latency, authentication outcomes, rate-limit
// refusals, webhook deliveries, the credential cache, the booking feed's
// backlog, and the database pools. Labels hold
// route patterns, statuses and reasons: never a key, token, id or path.
//
// A nil *Metrics records nothing, so code can call it unconditionally.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's set of metrics, in a registry of its own.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	auth        *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	webhooks    *prometheus.CounterVec
}

// New returns the metrics, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keycard_http_requests_total", Help: "Requests answered, by surface (api, web), route pattern and status.",
		}, []string{"surface", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keycard_http_request_duration_seconds", Help: "Time to answer a request, by surface and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"surface", "route"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keycard_auth_total", Help: "API authentications, by credential kind (api_key, session, none) and outcome (ok or the reason refused).",
		}, []string{"kind", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keycard_rate_limited_total", Help: "Requests refused by a rate limit, by limit (request: key or organisation; ari; photo_upload; sign_in).",
		}, []string{"limit"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keycard_webhook_deliveries_total", Help: "Webhook delivery tries, by outcome (delivered; retry: failed, to be tried again; failed: failed for good; lost: its claim ran out first).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.auth, m.rateLimited, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WebhookDelivery counts one webhook delivery try by its outcome.
func (m *Metrics) WebhookDelivery(outcome string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(outcome).Inc()
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts one answered request.
func (m *Metrics) ObserveRequest(surface, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(surface, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(surface, route).Observe(took.Seconds())
}

// Auth counts one authentication: kind is the credential's kind, outcome
// "ok" or why it was refused.
func (m *Metrics) Auth(kind, outcome string) {
	if m == nil {
		return
	}
	m.auth.WithLabelValues(kind, outcome).Inc()
}

// RateLimited counts one request refused by limit.
func (m *Metrics) RateLimited(limit string) {
	if m == nil {
		return
	}
	m.rateLimited.WithLabelValues(limit).Inc()
}

// AddCache reports a cache's hits and misses, read from stats at each
// scrape.
func (m *Metrics) AddCache(name string, stats func() (hits, misses uint64)) {
	if m == nil {
		return
	}
	for i, what := range []string{"hits", "misses"} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "keycard_" + name + "_cache_" + what + "_total", Help: "Lookups of the " + name + " cache that were " + what + ".",
		}, func() float64 {
			h, mi := stats()
			return float64([]uint64{h, mi}[i])
		}))
	}
}

// AddDB reports a database pool's statistics (open, in use, idle, waits).
func (m *Metrics) AddDB(name string, db *sql.DB) {
	if m == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// AddDBWaits reports the waits for a database pool's connections that
// its caller queues itself (in order, rather than in the pool): how many
// and how long in all, read from stats at each scrape.
func (m *Metrics) AddDBWaits(name string, stats func() (waits uint64, waited time.Duration)) {
	if m == nil {
		return
	}
	labels := prometheus.Labels{"db_name": name}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "keycard_db_queue_waits_total", Help: "Callers that queued for a database connection, by pool.", ConstLabels: labels,
	}, func() float64 {
		n, _ := stats()
		return float64(n)
	}), prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "keycard_db_queue_wait_seconds_total", Help: "Time callers spent queued for a database connection, by pool.", ConstLabels: labels,
	}, func() float64 {
		_, d := stats()
		return d.Seconds()
	}))
}

// AddGauge reports a value read from read at each scrape.
func (m *Metrics) AddGauge(name, help string, read func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}
