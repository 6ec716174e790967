// Package web serves keycard's HTML UI: sign-in, the Organisation page's
// API Keys section and the Properties page. Pages are rendered on the
// server with html/template from embedded files; a small script only adds
// the Copy button and the withdraw dialog, and everything works without it.
package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
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
}

// New returns the UI server. It parses the templates and builds the route
// table, and panics if either is broken: both are fixed at build time.
func New(st *store.Store, a *auth.Authenticator, mode keycard.Mode, log *slog.Logger) *Server {
	s := &Server{store: st, auth: a, mode: mode, log: log, mux: http.NewServeMux(),
		origin: http.NewCrossOriginProtection()}
	s.static = loadAssets()
	s.pages = parsePages(s.funcs())
	s.routes(s.mux)
	return s
}

// ServeHTTP serves the UI, with the security headers on every response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

// handlerFunc is an HTTP handler that returns its error for serveError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: it renders a returned error as an HTML
// page, turns a panic into a logged 500, and logs the request (its method,
// path and status: never a header, query or body, which may hold secrets).
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.serveError(sw, r, fmt.Errorf("panic: %v", v))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "web request", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
		}()
		if err := h(sw, r); err != nil {
			s.serveError(sw, r, err)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, pathAPIKeys, http.StatusSeeOther)
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return keycard.NotFound()
}
