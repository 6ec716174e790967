// Package api serves keycard's JSON API, in the Channex API v1 dialect.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/clientip"
	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/metrics"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/secretscan"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/webhook"
)

// MaxBodyBytes is the largest request body accepted, as in Channex.
const MaxBodyBytes = 10 << 20

// Server is the JSON API.
type Server struct {
	store *store.Store
	auth  *auth.Authenticator
	mode  keycard.Mode
	log   *slog.Logger
	mux   *routeMux

	limits  Limits
	limiter ratelimit.Limiter
	metrics *metrics.Metrics
	// webhooks checks callback URLs and sends POST /webhooks/test.
	webhooks *webhook.Sender
	// channels calls channels: the probes, mapping snapshots, activation.
	channels *openchannel.Client
	clientIP clientip.Resolver
	// photoQuota bounds each organisation's uploaded files; decoding
	// holds a place for each upload being decoded.
	photoQuota keycard.PhotoQuota
	decoding   chan struct{}
	// draining is set when the server begins to shut down: /readyz then
	// answers 503, so that a load balancer sends no more requests.
	draining atomic.Bool
	// scanKeys check secret-scanning reports; nil turns the endpoint off.
	// leakFlagOnly keeps a reported key live, only flagged.
	scanKeys     *secretscan.Keys
	leakFlagOnly bool
	// answers keeps the encoded answers of hot reads.
	answers *answerCache
}

// Config is everything the API server is made of.
type Config struct {
	Store *store.Store
	Auth  *auth.Authenticator
	Mode  keycard.Mode
	Log   *slog.Logger
	// Webhooks checks callback URLs and makes test calls; nil is a sender
	// that refuses private addresses.
	Webhooks *webhook.Sender
	// Channels calls channels for the probes and activation; nil is a
	// client that refuses private addresses.
	Channels *openchannel.Client
	// Limits are counted by Limiter; with no Limiter nothing is limited.
	Limits  Limits
	Limiter ratelimit.Limiter
	// PhotoQuota bounds each organisation's uploaded files; nil is
	// keycard.DefaultPhotoQuota.
	PhotoQuota *keycard.PhotoQuota
	// Metrics, when set, counts requests, authentications and refusals.
	Metrics *metrics.Metrics
	// ClientIP says how a request's client address is found (which
	// proxies are trusted).
	ClientIP clientip.Resolver
	// SecretScanningKeys are the public keys secret-scanning reports are
	// signed with (--secret-scanning-keys); nil answers the report
	// endpoint 404.
	SecretScanningKeys *secretscan.Keys
	// LeakFlagOnly flags a key reported leaked instead of withdrawing it.
	LeakFlagOnly bool
	// AnswerCacheBytes bounds the answers of hot reads kept encoded (see
	// answerCache): 0 is 64 MiB, a negative value keeps none.
	AnswerCacheBytes int
}

// New returns the API server made of cfg. It builds the route table,
// which panics on conflicting patterns.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, auth: cfg.Auth, mode: cfg.Mode, log: cfg.Log, mux: &routeMux{ServeMux: http.NewServeMux()},
		webhooks: cfg.Webhooks, limits: cfg.Limits, limiter: cfg.Limiter, photoQuota: keycard.DefaultPhotoQuota,
		metrics: cfg.Metrics, clientIP: cfg.ClientIP, decoding: make(chan struct{}, decodeSlots),
		scanKeys: cfg.SecretScanningKeys, leakFlagOnly: cfg.LeakFlagOnly, answers: newAnswerCache(cfg.AnswerCacheBytes)}
	if s.webhooks == nil {
		s.webhooks = webhook.NewSender(false)
	}
	s.channels = cfg.Channels
	if s.channels == nil {
		s.channels = openchannel.NewClient(false)
	}
	if cfg.PhotoQuota != nil {
		s.photoQuota = *cfg.PhotoQuota
	}
	s.routes(s.mux)
	return s
}

// ServeHTTP serves the API, accepting paths with a trailing slash
// ("/api/v1/properties/") as Channex does, with repeated slashes
// ("//api/v1//properties", as clients that join URLs carelessly send), and
// ids in any case, and answering CORS preflights.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := canonicalPath(r.URL.Path); p != r.URL.Path {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = p, ""
		r = r2
	}
	h := w.Header()
	// Shared slices, assigned whole: net/http and our code only ever
	// replace a header's slice (Set) or append to it, and an append to a
	// full slice copies, so none is ever written to. Saves an allocation
	// each per request.
	h["Access-Control-Allow-Origin"] = hdrAnyOrigin
	// Answers are personal data and always JSON: no cache keeps them, no
	// browser sniffs them into something else.
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNoSniff
	h["Access-Control-Expose-Headers"] = hdrExpose
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, user-api-key")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	limit := int64(MaxBodyBytes)
	if r.Method == http.MethodPost && r.URL.Path == "/api/v1/photos/upload" {
		// A 10 MB image comes with its multipart envelope.
		limit = maxUploadBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	r = r.WithContext(keycard.WithRequestInfo(r.Context(),
		keycard.RequestInfo{Addr: s.clientIP.Addr(r), UserAgent: r.UserAgent(), Method: r.Method}))
	s.mux.ServeHTTP(w, r)
}

// Fixed header values of every API answer; never written to (see ServeHTTP).
var (
	hdrAnyOrigin = []string{"*"}
	hdrNoStore   = []string{"no-store"}
	hdrNoSniff   = []string{"nosniff"}
	hdrExpose    = []string{"RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"}
	hdrJSON      = []string{"application/json; charset=utf-8"}
)

// canonicalPath returns path with no slash repeated, none trailing, and its
// ids (UUIDs) in lower case, the form they are stored in. The route table
// would answer a repeated slash with a redirect (http.ServeMux cleans
// paths), which a client need not follow on a POST: it is read as one here.
func canonicalPath(path string) string {
	path = SingleSlashes(path)
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	for i := 0; i+36 <= len(path); {
		seg := path[i:]
		if j := strings.IndexByte(seg, '/'); j >= 0 {
			seg = seg[:j]
		}
		if len(seg) == 36 && seg != strings.ToLower(seg) && keycard.ValidID(strings.ToLower(seg)) {
			path = path[:i] + strings.ToLower(seg) + path[i+36:]
		}
		i += len(seg) + 1
	}
	return path
}

// SingleSlashes returns path with every run of slashes made one slash.
func SingleSlashes(path string) string {
	if !strings.Contains(path, "//") {
		return path // the common case, without allocating
	}
	var b strings.Builder
	b.Grow(len(path))
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && i > 0 && path[i-1] == '/' {
			continue
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// handle adapts a handlerFunc to net/http (see package handler).
func (s *Server) handle(h handlerFunc) http.Handler {
	return handler.Surface{
		Log: s.log, Msg: "request",
		WriteError: func(w http.ResponseWriter, r *http.Request, err error) { serveError(w, r, s.log, err) },
		Observe: func(route string, status int, took time.Duration) {
			s.metrics.ObserveRequest("api", route, status, took)
		},
	}.Adapt(h)
}

// authenticate puts the request's principal into its context: from the
// user-api-key header, else from an "Authorization: Bearer" session token.
// A request with more than one credential is refused (see
// credentialConflict). A key must then meet the route's need (nil for
// an account route).
func (s *Server) authenticate(need *keycard.Need, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (err error) {
		if err := credentialConflict(r); err != nil {
			return err
		}
		kind, p, err := s.principal(r)
		s.metrics.Auth(kind, auth.Outcome(err))
		if err != nil {
			return err
		}
		logPrincipal(w, p)
		if p.ViaAPIKey() {
			// The key's usage counts the request by how it was answered.
			defer func() {
				if v := recover(); v != nil {
					// The surface answers a panic 500; it goes on there.
					s.auth.RecordStatus(p.APIKeyID, http.StatusInternalServerError)
					panic(v)
				}
				s.auth.RecordStatus(p.APIKeyID, answeredStatus(w, err))
			}()
		}
		if err = s.rateLimit(w, r, p); err != nil {
			return err
		}
		if err = s.allow(r, p, need); err != nil {
			return err
		}
		err = h(w, r.WithContext(keycard.WithPrincipal(r.Context(), p)))
		if p.ViaAPIKey() && keycard.ErrorCode(err) == keycard.EForbidden {
			// A key asked for what its scope forbids (minting keys,
			// granting access, a property beyond its selection).
			s.auth.RecordRefusal(r.Context(), p, keycard.RefusedOutOfScope)
		}
		return err
	}
}

// principal authenticates the request, and says by which kind of
// credential: "api_key", "session" or "none".
func (s *Server) principal(r *http.Request) (kind string, p *keycard.Principal, err error) {
	if key := r.Header.Get("user-api-key"); key != "" {
		p, err = s.auth.APIKey(r.Context(), strings.TrimSpace(key))
		return "api_key", p, err
	}
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, token, _ := strings.Cut(authz, " ")
		if strings.EqualFold(scheme, "Bearer") {
			p, err = s.auth.Session(r.Context(), strings.TrimSpace(token))
			return "session", p, err
		}
	}
	return "none", nil, &keycard.Error{Code: keycard.EUnauthorized}
}

// Errors of a request that carries more than one credential. They name
// the headers, never their values.
var (
	errTwoKeys          = keycard.Errorf(keycard.EBadRequest, "The user-api-key header is given more than once; send one API key")
	errTwoAuthorization = keycard.Errorf(keycard.EBadRequest, "The Authorization header is given more than once; send one")
	errKeyAndBearer     = keycard.Errorf(keycard.EBadRequest, "Both a user-api-key header and an Authorization: Bearer token are given; send one credential, not both")
)

// credentialConflict refuses a request that carries more than one
// credential rather than picking one: which one a client meant cannot be
// known, and a proxy that adds its own header must not silently decide
// who the request acts for. A user-api-key value with a comma is two
// headers joined by a proxy (a key never holds one).
func credentialConflict(r *http.Request) error {
	var keys, authz int
	for _, v := range r.Header.Values("user-api-key") {
		if v = strings.TrimSpace(v); v != "" {
			keys += 1 + strings.Count(v, ",")
		}
	}
	bearer := false
	for _, v := range r.Header.Values("Authorization") {
		if v = strings.TrimSpace(v); v != "" {
			authz++
			scheme, _, _ := strings.Cut(v, " ")
			bearer = bearer || strings.EqualFold(scheme, "Bearer")
		}
	}
	switch {
	case keys > 1:
		return errTwoKeys
	case authz > 1:
		return errTwoAuthorization
	case keys == 1 && bearer:
		return errKeyAndBearer
	}
	return nil
}

// logPrincipal adds who the request acts for to its access line: ids,
// never a credential.
func logPrincipal(w http.ResponseWriter, p *keycard.Principal) {
	if p.ViaAPIKey() {
		handler.AddLogAttrs(w, slog.String("principal", "api_key"), slog.String("user_id", p.UserID), slog.String("key_id", p.APIKeyID))
		return
	}
	handler.AddLogAttrs(w, slog.String("principal", "session"), slog.String("user_id", p.UserID))
}

// keyGate lets through only principals allowed to manage API keys.
func (s *Server) keyGate(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := keycard.CanManageAPIKeys(s.mode, keycard.PrincipalFrom(r.Context())); err != nil {
			return err
		}
		return h(w, r)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// Drain makes /readyz answer 503 from now on: the server is shutting
// down. Call it before closing the listener.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Error("readyz: database does not answer", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return keycard.NotFound()
}

// listQuery parses the request's list parameters.
func listQuery(r *http.Request) (keycard.ListQuery, error) { return parseListQuery(r.URL.RawQuery) }

func principal(r *http.Request) *keycard.Principal { return keycard.PrincipalFrom(r.Context()) }
