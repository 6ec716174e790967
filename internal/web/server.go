// Package web serves keycard's HTML UI: sign-in, the Organisation page's
// API Keys section, the Properties page and the Channels page. Pages are rendered on the
// server with html/template from embedded files; a small script only adds
// the Copy button and the withdraw dialog, and everything works without it.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/clientip"
	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/metrics"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/store"
)

// maxFormBytes bounds a form body. The largest form, a key's property
// selection, takes about 50 bytes a property.
const maxFormBytes = 1 << 20

// Server is the HTML UI. It is safe for concurrent use.
type Server struct {
	store  *store.Store
	auth   *auth.Authenticator
	mode   keycard.Mode
	log    *slog.Logger
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static map[string]*asset
	// origin rejects cross-origin form posts by their Sec-Fetch-Site or
	// Origin header, before the CSRF token is even looked at.
	origin *http.CrossOriginProtection
	// secureCookies marks every cookie Secure, for a site whose TLS ends at
	// a proxy in front of keycard.
	secureCookies bool
	metrics       *metrics.Metrics
	clientIP      clientip.Resolver
	// channels calls channels from the Channels page.
	channels *openchannel.Client
}

// Config is everything the UI server is made of.
type Config struct {
	Store *store.Store
	Auth  *auth.Authenticator
	Mode  keycard.Mode
	Log   *slog.Logger
	// SecureCookies makes every cookie Secure even over plain HTTP: for
	// operators whose HTTPS ends at a proxy in front of keycard, which is
	// not trusted to say so in a header.
	SecureCookies bool
	// Metrics, when set, counts the UI's requests.
	Metrics *metrics.Metrics
	// ClientIP says how a request's client address is found.
	ClientIP clientip.Resolver
	// Channels calls channels from the Channels page; nil is a client
	// that refuses private addresses.
	Channels *openchannel.Client
}

// New returns the UI server made of cfg. It parses the templates and
// builds the route table, and panics if either is broken: both are fixed
// at build time.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, auth: cfg.Auth, mode: cfg.Mode, log: cfg.Log, mux: http.NewServeMux(),
		origin: http.NewCrossOriginProtection(), secureCookies: cfg.SecureCookies, metrics: cfg.Metrics, clientIP: cfg.ClientIP}
	s.channels = cfg.Channels
	if s.channels == nil {
		s.channels = openchannel.NewClient(false)
	}
	s.static = loadAssets()
	s.pages = parsePages(s.funcs())
	s.routes(s.mux)
	return s
}

// ServeHTTP serves the UI, with the security headers on every response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.secureCookies {
		r = r.WithContext(context.WithValue(r.Context(), secureKey{}, true))
	}
	r = r.WithContext(keycard.WithRequestInfo(r.Context(),
		keycard.RequestInfo{Addr: s.clientIP.Addr(r), UserAgent: r.UserAgent(), Method: r.Method}))
	h := w.Header()
	// Scripts and styles come only from /static: no inline code runs, so an
	// injected <script> does nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	// Pages, redirects and errors are personal; static files say otherwise.
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// handlerFunc is an HTTP handler that returns its error.
type handlerFunc = handler.Func

// handle adapts a handlerFunc to net/http (see package handler).
func (s *Server) handle(h handlerFunc) http.Handler {
	return handler.Surface{
		Log: s.log, Msg: "web request", WriteError: s.serveError,
		Observe: func(route string, status int, took time.Duration) {
			s.metrics.ObserveRequest("web", route, status, took)
		},
	}.Adapt(h)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, pathAPIKeys, http.StatusSeeOther)
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return keycard.NotFound()
}
