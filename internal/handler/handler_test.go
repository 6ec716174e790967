package handler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientHungUp checks that an error after the client went away is
// logged at info level as 499, and not written as a server error; while
// the same error with the client still there is.
func TestClientHungUp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cancel     bool
		wantStatus string
		wantWrite  bool
	}{
		{"client gone", true, "status=499", false},
		{"client there", false, "status=500", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			wrote := false
			writeError := func(w http.ResponseWriter, r *http.Request, err error) {
				wrote = true
				w.WriteHeader(http.StatusInternalServerError)
			}
			var observed int
			surface := Surface{Log: log, Msg: "request", WriteError: writeError, Observe: func(_ string, status int, _ time.Duration) { observed = status }}
			h := surface.Adapt(func(w http.ResponseWriter, r *http.Request) error {
				return fmt.Errorf("store: begin: %w", errors.Join(r.Context().Err(), errors.New("connection reset")))
			})
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			} else {
				defer cancel()
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
			if want := map[bool]int{true: 499, false: 500}[tc.cancel]; observed != want {
				t.Errorf("observed status %d, want %d", observed, want)
			}
			if wrote != tc.wantWrite {
				t.Errorf("error written: %v, want %v", wrote, tc.wantWrite)
			}
			if !strings.Contains(logs.String(), tc.wantStatus) || !strings.Contains(logs.String(), "level=INFO") {
				t.Errorf("log %q, want an INFO line with %s", logs.String(), tc.wantStatus)
			}
		})
	}
}
