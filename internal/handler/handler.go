// Package handler adapts keycard's HTTP handlers, which return their
// errors instead of writing them, to net/http. The JSON API and the HTML UI
// share it and differ only in how they write an error.
package handler

import (
	"github.com/keycard/keycard/internal/tokens"

	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Func is an HTTP handler that returns its error for the surface's error
// writer.
type Func func(w http.ResponseWriter, r *http.Request) error

// ErrorWriter writes err as the surface's error answer.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// StatusClientClosedRequest is the status logged for a request whose
// client went away before it was answered (nginx's 499); it is never sent.
const StatusClientClosedRequest = 499

// Surface is how one surface (the JSON API, the HTML UI) writes errors,
// logs requests and has them measured.
type Surface struct {
	Log *slog.Logger
	// Msg is the message of the access lines.
	Msg        string
	WriteError ErrorWriter
	// Observe, when not nil, hears of every request answered: its route
	// pattern, status and duration.
	Observe func(route string, status int, took time.Duration)
}

// Adapt returns an http.Handler that runs h, writes a returned error with
// the surface's WriteError, turns a panic into an error for it, and logs
// one access line per request: its request id (the client's X-Request-Id
// when it is a sane token, else a new one, returned in the answer's
// X-Request-Id), method, route pattern, path, status, duration (took_ms,
// in milliseconds, in every log format) and client
// address, and what handlers added with AddLogAttrs (who the principal
// is). Never a header's value, a query or a body, which may hold secrets.
// An error after the client hung up is not written, and is logged as
// status 499, not as a failure.
func (s Surface) Adapt(h Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.WriteError(sw, r, fmt.Errorf("panic: %v", v))
			}
			took := time.Since(start)
			attrs := append([]slog.Attr{
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", r.Pattern),
				slog.String("path", tokens.Redact(r.URL.Path)), slog.Int("status", sw.status), slog.Float64("took_ms", float64(took.Microseconds())/1000),
				slog.String("client", r.RemoteAddr),
			}, sw.attrs...)
			s.Log.LogAttrs(r.Context(), slog.LevelInfo, s.Msg, attrs...)
			if s.Observe != nil {
				s.Observe(r.Pattern, sw.status, took)
			}
		}()
		if err := h(sw, r); err != nil {
			if errors.Is(r.Context().Err(), context.Canceled) {
				// The client hung up: no one reads an answer, and what
				// failed was cut short, not broken. Logged as nginx does.
				sw.status = StatusClientClosedRequest
				return
			}
			s.WriteError(sw, r, err)
		}
	})
}

// AddLogAttrs adds attrs to the access line of the request w answers, when
// w comes from Adapt.
func AddLogAttrs(w http.ResponseWriter, attrs ...slog.Attr) {
	for {
		switch x := w.(type) {
		case *statusWriter:
			x.attrs = append(x.attrs, attrs...)
			return
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return
		}
	}
}

// Status returns the status written so far to w, when w comes from
// Adapt; 0 when none was written or w is another writer.
func Status(w http.ResponseWriter) int {
	for {
		switch x := w.(type) {
		case *statusWriter:
			return x.status
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return 0
		}
	}
}

// validRequestID reports whether a client's request id is fit to log and
// echo: 1 to 128 letters, digits and "-_.:".
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status written, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	attrs  []slog.Attr
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

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
