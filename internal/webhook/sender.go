package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/keycard/keycard/webhooksig"
)

// Timeout is how long a delivery may take, answer included.
const Timeout = 10 * time.Second

// maxAnswer is how much of an answer's body is read.
const maxAnswer = 64 << 10

// Sender posts deliveries.
type Sender struct {
	client *http.Client
	// guard refuses addresses; nil when private addresses are allowed.
	guard *Guard
	now   func() time.Time
}

// NewSender returns a Sender whose client times out after Timeout, follows
// no redirect, uses no proxy, and (unless allowPrivate) refuses to connect
// where a Guard refuses: special-purpose ranges and this machine's own
// addresses. allowPrivate lifts both rules, for tests and closed networks:
// whoever may reach loopback reaches this machine anyway.
func NewSender(allowPrivate bool) *Sender {
	d := &net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second}
	var g *Guard
	if !allowPrivate {
		g = NewGuard()
		d.Control = g.control
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
	}
	return &Sender{
		client: &http.Client{
			Transport:     tr,
			Timeout:       Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		guard: g,
		now:   time.Now,
	}
}

// AllowsPrivate reports whether the sender may call private addresses.
func (s *Sender) AllowsPrivate() bool { return s.guard == nil }

// CheckCallback checks a callback URL's destination at create time, unless
// private addresses are allowed: an error wrapping ErrNotAllowed refuses
// it; any other error is the server's.
func (s *Sender) CheckCallback(ctx context.Context, raw string) error {
	if s.guard == nil {
		return nil
	}
	return s.guard.CheckCallback(ctx, raw, nil)
}

// What a caller is told of a failed send: no more, so that webhooks
// cannot serve to tell a closed port from a filtered one, or a name that
// does not resolve from a host that does not answer.
const (
	ReasonFailed     = "connection failed"
	ReasonTimeout    = "timeout"
	ReasonNotAllowed = "address not allowed"
)

// A SendError is a send that got no answer. Its Error is one of the
// Reason constants, fit for the caller; Err is the cause, for the server
// log only (it may name addresses, ports and DNS answers, never the URL
// nor a header).
type SendError struct {
	Reason string
	Err    error
}

func (e *SendError) Error() string { return e.Reason }
func (e *SendError) Unwrap() error { return e.Err }

// Cause returns the cause of a *SendError in err, for the server log, or
// nil.
func Cause(err error) error {
	if se, ok := errors.AsType[*SendError](err); ok {
		return se.Err
	}
	return nil
}

// Answer is what a callback answered.
type Answer struct {
	Status int
	Body   []byte
}

// OK reports a 2xx answer.
func (a Answer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Request describes one post.
type Request struct {
	URL        string
	Params     map[string]string
	Headers    map[string]string
	Body       []byte
	Event      string
	DeliveryID string
	// Secret signs the body; empty sends it unsigned.
	Secret string
}

// Send posts one request. A request that got no answer returns a
// *SendError.
func (s *Sender) Send(ctx context.Context, r Request) (Answer, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return Answer{}, errors.New("the callback URL does not parse")
	}
	if len(r.Params) > 0 {
		q := u.Query()
		for k, v := range r.Params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Answer{}, errors.New("the callback URL is not valid")
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keycard-webhooks/1")
	req.Header.Set("X-Keycard-Event", r.Event)
	if r.DeliveryID != "" {
		req.Header.Set("X-Keycard-Delivery", r.DeliveryID)
	}
	if r.Secret != "" {
		req.Header.Set(webhooksig.Header, webhooksig.Sign(r.Secret, s.now(), r.Body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		switch {
		case errors.Is(err, ErrNotAllowed):
			return Answer{}, &SendError{ReasonNotAllowed, err}
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return Answer{}, &SendError{ReasonTimeout, err}
		}
		return Answer{}, &SendError{ReasonFailed, err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return Answer{Status: resp.StatusCode, Body: body}, nil
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
