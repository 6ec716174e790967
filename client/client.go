package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one keycard server. It is safe for concurrent use.
type Client struct {
	base       string
	http       *http.Client
	key, token string
	userAgent  string
	maxRetries int
	maxWait    time.Duration
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey authenticates every request with an API key (the
// user-api-key header).
func WithAPIKey(key string) Option { return func(c *Client) { c.key = key } }

// WithToken authenticates every request with a session token from SignIn
// (an "Authorization: Bearer" header).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient sends requests through hc instead of a client with a
// 30-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithRetries sets how many times a request is sent again (default 3)
// after a 429, or, for a request that may be repeated (GET, HEAD, PUT,
// DELETE, and acknowledging a booking revision), after a 502, 503 or 504.
// Each wait is what the answer's Retry-After asks for, or else an
// exponential backoff with jitter from one second, but never longer than
// maxWait (default one minute); the request's context ending stops it.
// n = 0 turns retries off.
func WithRetries(n int, maxWait time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.maxWait = n, maxWait }
}

// WithUserAgent names the integration in the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the server at baseURL (scheme, host and any path
// prefix before /api/v1).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second},
		userAgent: "keycard-go-client", maxRetries: 3, maxWait: time.Minute, sleep: sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Error is an answer in the Channex error envelope:
// {"errors":{"code","title","details"}}.
type Error struct {
	// Status is the HTTP status.
	Status int
	Code   string
	Title  string
	// Details is the envelope's details, as sent: a string, a list, or an
	// object of field -> messages for a validation error.
	Details json.RawMessage
	// RetryAfter is the wait before the request may be sent again, on an
	// answer that the client retries (a 429; a 502, 503 or 504 to a
	// request that may be repeated): the server's Retry-After, or the
	// client's backoff.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("keycard: %d %s", e.Status, e.Code)
	if len(e.Details) > 0 && string(e.Details) != "null" {
		msg += ": " + string(e.Details)
	}
	return msg
}

// FieldErrors returns a validation error's messages by field, or nil.
func (e *Error) FieldErrors() map[string][]string {
	var fe map[string][]string
	if json.Unmarshal(e.Details, &fe) != nil {
		return nil
	}
	return fe
}

// Error codes of the envelope.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeNotFound     = "resource_not_found"
	CodeTooLarge     = "payload_too_large"
	CodeValidation   = "validation_error"
	CodeRateLimited  = "http_too_many_requests"
)

// HasCode reports whether err is an *Error with the code.
func HasCode(err error, code string) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == code
}

// rawBody is a request body sent as it is, not encoded as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// request is one call to the API.
type request struct {
	method, path string
	query        url.Values
	// body is JSON-encoded unless it is nil or a rawBody.
	body any
	// out receives a 2xx answer's JSON, unless nil.
	out any
	// idempotent marks a POST that the API treats as idempotent, so that
	// it is sent again after a 502, 503 or 504 as GET, PUT, DELETE and
	// HEAD are.
	idempotent bool
}

// retryable reports whether the request may be sent again after an
// answer of status. A 429 means the server did nothing, so any request is
// sent again; a 502, 503 or 504 may come after the server did the work,
// so only a request that does no more harm the second time is.
func (r *request) retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		switch r.method {
		case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
			return true
		}
		return r.idempotent
	}
	return false
}

// do sends a request with body (JSON-encoded unless nil) and decodes a 2xx
// answer's JSON into out (unless nil). See send for retries; any other
// non-2xx answer is an *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.send(ctx, &request{method: method, path: path, query: query, body: body, out: out})
}

// send sends r. A 429, and a 502, 503 or 504 when r may be repeated, is
// sent again, up to maxRetries times, after the wait the answer's
// Retry-After asks for or else an exponential backoff with jitter, never
// longer than maxWait at a time; ctx ending stops the wait.
func (c *Client) send(ctx context.Context, r *request) error {
	var payload []byte
	contentType := ""
	switch b := r.body.(type) {
	case nil:
	case rawBody:
		payload, contentType = b.data, b.contentType
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return fmt.Errorf("keycard: encode request: %w", err)
		}
		contentType = "application/json"
	}
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, r.method, u, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("keycard: %w", err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.userAgent)
		switch {
		case c.key != "":
			req.Header.Set("user-api-key", c.key)
		case c.token != "":
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("keycard: %s %s: %w", r.method, r.path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("keycard: %s %s: read answer: %w", r.method, r.path, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if r.out == nil || len(data) == 0 {
				return nil
			}
			if err := json.Unmarshal(data, r.out); err != nil {
				return fmt.Errorf("keycard: %s %s: decode answer: %w", r.method, r.path, err)
			}
			return nil
		}
		apiErr := &Error{Status: resp.StatusCode}
		var env struct {
			Errors struct {
				Code    string          `json:"code"`
				Title   string          `json:"title"`
				Details json.RawMessage `json:"details"`
			} `json:"errors"`
		}
		if json.Unmarshal(data, &env) == nil {
			apiErr.Code, apiErr.Title, apiErr.Details = env.Errors.Code, env.Errors.Title, env.Errors.Details
		}
		if apiErr.Code == "" {
			apiErr.Code = http.StatusText(resp.StatusCode)
		}
		if !r.retryable(resp.StatusCode) {
			return apiErr
		}
		apiErr.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), attempt)
		if attempt >= c.maxRetries {
			return apiErr
		}
		if err := c.sleep(ctx, min(apiErr.RetryAfter, c.maxWait)); err != nil {
			return err
		}
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); without
// one it backs off exponentially from one second (attempt 0) to about a
// minute, with jitter: a wait between half and the whole of the step, so
// that clients refused together do not come back together.
func retryAfter(h string, attempt int) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	d := time.Second << min(attempt, 6)
	return d/2 + rand.N(d/2+1)
}

// ListOptions selects a page range and narrows a list. Filters take
// Channex's keys without "filter[...]": {"property_id": "..."} or
// {"date][gte": "..."} for an operator.
type ListOptions struct {
	// Limit is the page size (default 10, at most 100).
	Limit int
	// Filters maps a field to its value; a comma-separated value is a list.
	Filters map[string]string
	// Order maps a field to "asc" or "desc".
	Order map[string]string
}

func (o ListOptions) query(page int) url.Values {
	q := url.Values{}
	q.Set("pagination[page]", strconv.Itoa(page))
	if o.Limit > 0 {
		q.Set("pagination[limit]", strconv.Itoa(o.Limit))
	}
	for k, v := range o.Filters {
		q.Set("filter["+k+"]", v)
	}
	for k, v := range o.Order {
		q.Set("order["+k+"]", v)
	}
	return q
}

// Meta is a list's paging information.
type Meta struct {
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

// item is one resource of a "data" member.
type item[T any] struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Attributes    T               `json:"attributes"`
	Relationships json.RawMessage `json:"relationships"`
}

// related is implemented by the resources that read something from their
// relationships (a group's properties).
type related interface {
	setRelationships(raw json.RawMessage)
}

// value returns the item's attributes, with what they take from the
// relationships.
func (it *item[T]) value() T {
	if r, ok := any(&it.Attributes).(related); ok && len(it.Relationships) > 0 {
		r.setRelationships(it.Relationships)
	}
	return it.Attributes
}

// list iterates over every item of a paginated list, page after page,
// until meta.total is reached; an error ends it.
func list[T any](c *Client, ctx context.Context, path string, opts ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, seen := 1, 0; ; page++ {
			var body struct {
				Data []item[T] `json:"data"`
				Meta Meta      `json:"meta"`
			}
			if err := c.do(ctx, http.MethodGet, path, opts.query(page), nil, &body); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range body.Data {
				if !yield(it.value(), nil) {
					return
				}
			}
			seen += len(body.Data)
			if len(body.Data) == 0 || seen >= body.Meta.Total {
				return
			}
		}
	}
}

// one sends a request whose answer is {"data": {...}} and returns the
// attributes.
func one[T any](c *Client, ctx context.Context, method, path string, body any) (*T, error) {
	var out struct {
		Data item[T] `json:"data"`
	}
	if err := c.do(ctx, method, path, nil, body, &out); err != nil {
		return nil, err
	}
	v := out.Data.value()
	return &v, nil
}

// pathID escapes an id for a path.
func pathID(id string) string { return url.PathEscape(id) }
