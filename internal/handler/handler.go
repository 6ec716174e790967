// Package handler adapts keycard's HTTP handlers, which return their
// errors instead of writing them, to net/http. The JSON API and the HTML UI
// share it and differ only in how they write an error.
package handler

import (
	"context"
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

// Adapt returns an http.Handler that runs h, writes a returned error with
// writeError, turns a panic into an error for writeError, and logs the
// request as msg with its method, path, status and duration: never a
// header, query or body, which may hold secrets. An error after the client
// hung up is not written, and is logged as status 499, not as a failure.
func Adapt(log *slog.Logger, msg string, writeError ErrorWriter, h Func) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(sw, r, fmt.Errorf("panic: %v", v))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, msg, slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
		}()
		if err := h(sw, r); err != nil {
			if errors.Is(r.Context().Err(), context.Canceled) {
				// The client hung up: no one reads an answer, and what
				// failed was cut short, not broken. Logged as nginx does.
				sw.status = StatusClientClosedRequest
				return
			}
			writeError(sw, r, err)
		}
	})
}

// statusWriter remembers the status written, for the log.
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

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
