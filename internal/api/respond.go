package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
)

// handlerFunc is an HTTP handler that returns its error for serveError.
type handlerFunc = handler.Func

// errorInfo maps each error code to its HTTP status and Channex title.
var errorInfo = map[string]struct {
	status int
	title  string
}{
	keycard.EBadRequest:   {http.StatusBadRequest, "Bad Request"},
	keycard.EUnauthorized: {http.StatusUnauthorized, "Unauthorized"},
	keycard.EForbidden:    {http.StatusForbidden, "Forbidden"},
	keycard.ENotFound:     {http.StatusNotFound, "Resource Not Found"},
	keycard.ETooLarge:     {http.StatusRequestEntityTooLarge, "Payload Too Large"},
	keycard.EInvalid:      {http.StatusUnprocessableEntity, "Validation Error"},
	keycard.ERateLimited:  {http.StatusTooManyRequests, "Too Many Requests"},
	keycard.EInternal:     {http.StatusInternalServerError, "Internal Server Error"},
}

type errorBody struct {
	Errors errorMember `json:"errors"`
}

type errorMember struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Details any    `json:"details,omitempty"`
}

// serveError writes err in the Channex envelope. A keycard.Error is shown
// as it is; anything else is logged with its cause and answered 500 with
// no internal text.
func serveError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, ok := errors.AsType[*keycard.Error](err)
	if !ok {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			e = keycard.Errorf(keycard.ETooLarge, "the request body is larger than %d bytes", maxErr.Limit)
		} else {
			log.ErrorContext(r.Context(), "api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			e = &keycard.Error{Code: keycard.EInternal}
		}
	}
	info, ok := errorInfo[e.Code]
	if !ok {
		info = errorInfo[keycard.EInternal]
	}
	if e.Title != "" {
		info.title = e.Title
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, seconds(e.RetryAfter))))
	}
	writeJSON(w, info.status, errorBody{Errors: errorMember{Code: e.Code, Title: info.title, Details: e.Details}})
}

// answeredStatus is the status a handler's request is answered with: the
// one it wrote, or the one err will be written with.
func answeredStatus(w http.ResponseWriter, err error) int {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return handler.StatusClientClosedRequest
		}
		code := keycard.EInternal
		if e, ok := errors.AsType[*keycard.Error](err); ok {
			code = e.Code
		} else if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			code = keycard.ETooLarge
		}
		if info, ok := errorInfo[code]; ok {
			return info.status
		}
		return http.StatusInternalServerError
	}
	if st := handler.Status(w); st != 0 {
		return st
	}
	return http.StatusOK
}

// writeJSON writes v as the JSON body, with its length: encoded whole
// first, so that the body goes out in one write, not in chunks as the
// encoder fills the connection's buffer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b := encodeBuffers.Get().(*bytes.Buffer)
	defer putEncodeBuffer(b)
	b.Reset()
	if err := json.NewEncoder(b).Encode(v); err != nil {
		// Our response types always encode; if one did not, the client
		// gets a 500 rather than half a body.
		b.Reset()
		status = errorInfo[keycard.EInternal].status
		json.NewEncoder(b).Encode(errorBody{Errors: errorMember{Code: keycard.EInternal, Title: errorInfo[keycard.EInternal].title}})
	}
	writeBody(w, status, b.Bytes())
}

// writeBody writes a whole JSON body, already encoded, with its type and
// length.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = hdrJSON // shared, never written to (see ServeHTTP)
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// encodeBuffers keeps the buffers responses are encoded into.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putEncodeBuffer returns b to the pool, unless a large body grew it: a
// pool of megabyte buffers kept for small responses would waste memory.
func putEncodeBuffer(b *bytes.Buffer) {
	if b.Cap() <= 256<<10 {
		encodeBuffers.Put(b)
	}
}

// resource is one item of a Channex "data" member.
type resource struct {
	Type          string        `json:"type"`
	ID            string        `json:"id"`
	Attributes    any           `json:"attributes"`
	Relationships relationships `json:"relationships,omitzero"`
}

// relationships are a resource's relationships by name. Channex leaves out
// a relationship that has no value rather than send {"data": null}, and
// widely used clients read relationships.<name>.data.id of every one they
// get, so writeData and writeList drop the empty ones (prune) before
// encoding. That is done there rather than in a MarshalJSON, which
// encoding/json would follow with a second pass over every byte returned.
type relationships map[string]any

// IsZero reports whether no relationship has a value, so that omitzero
// leaves the member out.
func (rs relationships) IsZero() bool {
	for _, v := range rs {
		if !isEmptyRelation(v) {
			return false
		}
	}
	return true
}

// prune drops the relationships that have no value. The maps are built
// for each response, so they are changed in place.
func (rs relationships) prune() {
	for n, v := range rs {
		if isEmptyRelation(v) {
			delete(rs, n)
		}
	}
}

// pruneData prunes the relationships of the resources in data, the
// "data" member of a response.
func pruneData(data any) {
	switch d := data.(type) {
	case resource:
		d.Relationships.prune()
	case []resource:
		for _, r := range d {
			r.Relationships.prune()
		}
	}
}

func isEmptyRelation(v any) bool {
	switch rel := v.(type) {
	case nil:
		return true
	case relation:
		if rel.Data == nil {
			return true
		}
		if p, ok := rel.Data.(*ref); ok && p == nil {
			return true
		}
	}
	return false
}

// relation is the "data" of a relationship: a ref or a list of refs.
type relation struct {
	Data any `json:"data"`
}

type ref struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes any    `json:"attributes,omitempty"`
}

type listMeta struct {
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

type messageMeta struct {
	Message string `json:"message"`
}

func writeData(w http.ResponseWriter, status int, data any) error {
	pruneData(data)
	writeJSON(w, status, struct {
		Data any `json:"data"`
	}{data})
	return nil
}

func writeList(w http.ResponseWriter, items []resource, total int, q keycard.ListQuery) error {
	if items == nil {
		items = []resource{}
	}
	pruneData(items)
	warnIgnored(w, q)
	writeJSON(w, http.StatusOK, struct {
		Data []resource `json:"data"`
		Meta listMeta   `json:"meta"`
	}{items, listMeta{Total: total, Page: q.Page, Limit: q.Limit}})
	return nil
}

func writeSuccess(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, struct {
		Meta messageMeta `json:"meta"`
	}{messageMeta{"Success"}})
	return nil
}

// timestamp writes t the Channex way: UTC, microseconds, no zone.
func timestamp(t time.Time) string {
	var buf [len(timestampLayout)]byte
	return string(appendTime(buf[:0], t))
}

const timestampLayout = "2006-01-02T15:04:05.000000"

// appendTime appends t as timestamp writes it. It is time's AppendFormat
// with timestampLayout, written out: the layout interpreter was a sixth of
// the time of encoding a property list.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timestampLayout) // signs and fifth digits
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	return appendDigits(b, t.Nanosecond()/1000, 6)
}

// appendDigits appends the n low decimal digits of v >= 0, zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	b = append(b, "000000"[:n]...)
	for i := len(b) - 1; n > 0; i, n = i-1, n-1 {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

func timestampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

// nullable writes "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
