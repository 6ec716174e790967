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

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/webhooksig"
)

// Timeout is how long a delivery may take, answer included.
const Timeout = 10 * time.Second

// maxAnswer is how much of an answer's body is read.
const maxAnswer = 64 << 10

// Sender posts deliveries.
type Sender struct {
	client       *http.Client
	allowPrivate bool
	now          func() time.Time
}

// NewSender returns a Sender whose client times out after Timeout, follows
// no redirect, uses no proxy, and (unless allowPrivate) refuses to connect
// to private addresses.
func NewSender(allowPrivate bool) *Sender {
	d := &net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = dialControl
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
		allowPrivate: allowPrivate,
		now:          time.Now,
	}
}

// AllowsPrivate reports whether the sender may call private addresses.
func (s *Sender) AllowsPrivate() bool { return s.allowPrivate }

// CheckCallback checks a callback URL's destination at create time, unless
// private addresses are allowed.
func (s *Sender) CheckCallback(ctx context.Context, raw string) error {
	if s.allowPrivate {
		return nil
	}
	return CheckCallback(ctx, raw, nil)
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

// Send posts one request. Its error never holds the URL (which may carry
// a secret in its query) nor any header.
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
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return Answer{}, errors.New("timed out after 10s")
		}
		return Answer{}, errors.New(keycard.CleanText(err.Error()))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return Answer{Status: resp.StatusCode, Body: body}, nil
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
