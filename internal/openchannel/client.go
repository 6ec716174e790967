// Package openchannel speaks Open Channel to channels: the calls keycard,
// as the channel manager, makes to a channel's endpoint
// (test_connection/, mapping_details/ and changes/), with the webhooks'
// guard against private addresses, and the payload of the changes
// pushes built from keycard's ARI.
package openchannel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/webhook"
)

// Timeout is how long one call to a channel may take, answer included.
const Timeout = 10 * time.Second

// maxAnswer is how much of an answer's body is read.
const maxAnswer = 256 << 10

// UserAgent identifies keycard to channels.
const UserAgent = "keycard-openchannel/1"

// Conn is what keycard needs to call a channel: its Open Channel settings.
type Conn struct {
	Endpoint  string
	APIKey    string
	HotelCode string
}

// URL returns the address of one of the channel's routes: the endpoint,
// a "/" if it has none at its end, and the route with its own trailing
// slash ("changes/").
func (c Conn) URL(route string) string {
	e := c.Endpoint
	if !strings.HasSuffix(e, "/") {
		e += "/"
	}
	return e + route
}

// Routes.
const (
	RouteTestConnection = "test_connection/"
	RouteMappingDetails = "mapping_details/"
	RouteChanges        = "changes/"
)

// Exchange is one call as the channel log keeps it: what was sent, what
// came back, how long it took. The api-key header is never part of it.
type Exchange struct {
	Method       string
	URL          string
	RequestID    string
	RequestBody  string
	Status       int
	ResponseBody string
	// Error is empty for a success, else what went wrong, fit for users.
	Error    string
	Duration time.Duration
}

// Log returns the exchange as a channel log entry of a channel.
func (e Exchange) Log(channelID, eventID string, at time.Time) keycard.ChannelLog {
	return keycard.ChannelLog{ChannelID: channelID, ChannelEventID: eventID, Method: e.Method, URL: e.URL,
		RequestID: e.RequestID, RequestBody: e.RequestBody, Status: e.Status, ResponseBody: e.ResponseBody,
		Error: e.Error, Duration: e.Duration, CreatedAt: at}
}

// Error is a call that failed: no answer, a non-2xx answer, or an answer
// whose success is not true. Its message is fit for users and the channel
// log (it names no address, port or key); Err, when set, is the cause, for
// the server log only.
type Error struct {
	Reason string
	Status int
	Err    error
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return e.Err }

// What a failed call is reported as.
const (
	ReasonFailed     = "connection failed"
	ReasonTimeout    = "timeout"
	ReasonNotAllowed = "address not allowed"
	ReasonBadURL     = "the endpoint is not a valid http or https URL"
)

// ErrNotAllowed is what CheckEndpoint wraps for an endpoint that points
// where channels may not be called.
var ErrNotAllowed = webhook.ErrNotAllowed

// Client calls channels. Its zero value is not usable: see NewClient.
type Client struct {
	http  *http.Client
	guard *webhook.Guard
}

// NewClient returns a Client whose calls time out after Timeout, follow no
// redirect, use no proxy and, unless allowPrivate (the webhooks'
// development flag), never connect to special-purpose addresses or this
// machine's own.
func NewClient(allowPrivate bool) *Client { return NewClientTimeout(allowPrivate, Timeout) }

// NewClientTimeout is NewClient with calls that time out after timeout
// instead (tests use a short one to see a slow channel time out).
func NewClientTimeout(allowPrivate bool, timeout time.Duration) *Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	var g *webhook.Guard
	if !allowPrivate {
		g = webhook.NewGuard()
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("openchannel: unexpected address %q", address)
			}
			return g.Check(ap.Addr())
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &Client{
		http: &http.Client{Transport: tr, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		guard: g,
	}
}

// AllowsPrivate reports whether the client may call private addresses.
func (c *Client) AllowsPrivate() bool { return c.guard == nil }

// CheckEndpoint checks an endpoint when a channel is saved: it must be an
// absolute http or https URL without user info, and (unless private
// addresses are allowed) not point to a refused address; that error wraps
// ErrNotAllowed. A name that does not resolve now is accepted: every call
// checks the address it dials.
func (c *Client) CheckEndpoint(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return errors.New(ReasonBadURL)
	}
	if c.guard == nil {
		return nil
	}
	return c.guard.CheckCallback(ctx, endpoint, nil)
}

// call makes one request and returns the exchange, and an *Error when it
// failed. ok judges a 2xx answer's body.
func (c *Client) call(ctx context.Context, conn Conn, method, route, requestID string, body []byte) (Exchange, []byte, error) {
	u := conn.URL(route)
	if method == http.MethodGet {
		u += "?hotel_code=" + url.QueryEscape(conn.HotelCode)
	}
	ex := Exchange{Method: method, URL: u, RequestID: requestID, RequestBody: string(body)}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		ex.Error = ReasonBadURL
		return ex, nil, &Error{Reason: ReasonBadURL}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		ex.Error = ReasonBadURL
		return ex, nil, &Error{Reason: ReasonBadURL, Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if conn.APIKey != "" {
		req.Header.Set("api-key", conn.APIKey)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Duration = time.Since(start)
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		reason := ReasonFailed
		switch {
		case errors.Is(err, webhook.ErrNotAllowed):
			reason = ReasonNotAllowed
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			reason = ReasonTimeout
		}
		ex.Error = reason
		return ex, nil, &Error{Reason: reason, Err: err}
	}
	answer, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	ex.Duration = time.Since(start)
	ex.Status = resp.StatusCode
	ex.ResponseBody = string(answer)
	if rerr != nil {
		ex.Error = ReasonFailed
		return ex, nil, &Error{Reason: ReasonFailed, Status: resp.StatusCode, Err: rerr}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ex.Error = "answered " + strconv.Itoa(resp.StatusCode)
		if msg := answerError(answer); msg != "" {
			ex.Error += ": " + msg
		}
		return ex, answer, &Error{Reason: ex.Error, Status: resp.StatusCode}
	}
	return ex, answer, nil
}

// answerError returns the error a channel's answer body states, if any,
// cut short.
func answerError(body []byte) string {
	var a struct {
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &a) != nil {
		return ""
	}
	for _, raw := range []json.RawMessage{a.Error, a.Errors, a.Message} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	return ""
}

// success judges an answer of the form {"success": true, ...}.
func success(ex *Exchange, answer []byte) error {
	var a struct {
		Success *bool `json:"success"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || a.Success == nil {
		ex.Error = "the answer is not {\"success\": true}"
		return &Error{Reason: ex.Error, Status: ex.Status}
	}
	if !*a.Success {
		ex.Error = "the channel answered success: false"
		if msg := answerError(answer); msg != "" {
			ex.Error += ": " + msg
		}
		return &Error{Reason: ex.Error, Status: ex.Status}
	}
	return nil
}

// TestConnection calls GET {endpoint}test_connection/?hotel_code=...; nil
// means the channel answered 200 with success true.
func (c *Client) TestConnection(ctx context.Context, conn Conn) (Exchange, error) {
	ex, answer, err := c.call(ctx, conn, http.MethodGet, RouteTestConnection, "", nil)
	if err != nil {
		return ex, err
	}
	return ex, success(&ex, answer)
}

// MappingDetails calls GET {endpoint}mapping_details/?hotel_code=... and
// returns the channel's room types and rate plans. raw is the answer's
// data member as the channel sent it.
func (c *Client) MappingDetails(ctx context.Context, conn Conn) (details *keycard.MappingDetails, raw json.RawMessage, ex Exchange, err error) {
	ex, answer, err := c.call(ctx, conn, http.MethodGet, RouteMappingDetails, "", nil)
	if err != nil {
		return nil, nil, ex, err
	}
	var a struct {
		Data *struct {
			Type       string                 `json:"type"`
			Attributes keycard.MappingDetails `json:"attributes"`
		} `json:"data"`
	}
	var d struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(answer, &a) != nil || a.Data == nil || json.Unmarshal(answer, &d) != nil {
		ex.Error = "the answer is not mapping_details"
		return nil, nil, ex, &Error{Reason: ex.Error, Status: ex.Status}
	}
	md := a.Data.Attributes
	if md.RoomTypes == nil {
		md.RoomTypes = []keycard.MappingRoomType{}
	}
	return &md, d.Data, ex, nil
}

// PushChanges posts one notification to {endpoint}changes/; nil means the
// channel answered 2xx with success true. The notification's RequestID is
// the exchange's.
func (c *Client) PushChanges(ctx context.Context, conn Conn, n *Notification) (Exchange, error) {
	if n.HotelCode == "" {
		n.HotelCode = conn.HotelCode
	}
	body, err := n.Body()
	if err != nil {
		return Exchange{Method: http.MethodPost, URL: conn.URL(RouteChanges), RequestID: n.RequestID, Error: "encode"}, err
	}
	ex, answer, err := c.call(ctx, conn, http.MethodPost, RouteChanges, n.RequestID, body)
	if err != nil {
		return ex, err
	}
	return ex, success(&ex, answer)
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
