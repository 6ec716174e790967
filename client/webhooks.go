package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"time"

	"github.com/keycard/keycard/client/webhooksig"
)

// Webhook is a subscription to events, for one property or (PropertyID
// "") for every property its user reaches.
type Webhook struct {
	ID            string            `json:"id"`
	PropertyID    string            `json:"property_id"`
	CallbackURL   string            `json:"callback_url"`
	EventMask     string            `json:"event_mask"`
	RequestParams map[string]string `json:"request_params"`
	Headers       map[string]string `json:"headers"`
	IsActive      bool              `json:"is_active"`
	SendData      bool              `json:"send_data"`
	// PausedReason says why keycard paused the webhook
	// ("api_key_withdrawn", "api_key_expired", "maker_lost_access"); ""
	// when it did not. Setting IsActive again resumes it.
	PausedReason string `json:"paused_reason"`
	// MadeWithAPIKey reports whether an API key made (or last re-enabled)
	// the webhook: it delivers only while that key is live.
	MadeWithAPIKey bool      `json:"made_with_api_key"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// SigningSecret is set only in the answer that creates the webhook:
	// keep it to check deliveries with VerifyWebhook. It is never shown
	// again.
	SigningSecret string `json:"signing_secret,omitempty"`
}

func (w *Webhook) UnmarshalJSON(b []byte) error {
	type plain Webhook
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt timeField `json:"created_at"`
		UpdatedAt timeField `json:"updated_at"`
	}{(*plain)(w), timeField{&w.CreatedAt}, timeField{&w.UpdatedAt}})
}

// NewWebhook is a webhook to create (or to test).
type NewWebhook struct {
	// PropertyID is the property whose events are sent, or "" for every
	// property the user reaches.
	PropertyID  string
	CallbackURL string
	// EventMask names the events: "*", or a list such as
	// "booking_new;booking_modification" ("ari:availability" narrows ARI
	// events to fields).
	EventMask     string
	RequestParams map[string]string
	Headers       map[string]string
	// Inactive creates the webhook switched off.
	Inactive bool
	// SendData puts the event's payload in each delivery.
	SendData bool
}

func (w NewWebhook) body() map[string]any {
	var pid any
	if w.PropertyID != "" {
		pid = w.PropertyID
	}
	m := map[string]any{"property_id": pid, "callback_url": w.CallbackURL, "event_mask": w.EventMask,
		"is_active": !w.Inactive, "send_data": w.SendData}
	if w.RequestParams != nil {
		m["request_params"] = w.RequestParams
	}
	if w.Headers != nil {
		m["headers"] = w.Headers
	}
	return map[string]any{"webhook": m}
}

// Webhooks iterates over the webhooks of the properties the credential
// reaches; filter by "property_id".
func (c *Client) Webhooks(ctx context.Context, opts ListOptions) iter.Seq2[*Webhook, error] {
	return ptrs(list[Webhook](c, ctx, "/api/v1/webhooks", opts))
}

// Webhook returns one webhook (never its secret).
func (c *Client) Webhook(ctx context.Context, id string) (*Webhook, error) {
	return one[Webhook](c, ctx, http.MethodGet, "/api/v1/webhooks/"+pathID(id), nil)
}

// CreateWebhook creates a webhook; the answer's SigningSecret is shown
// this once.
func (c *Client) CreateWebhook(ctx context.Context, w NewWebhook) (*Webhook, error) {
	return one[Webhook](c, ctx, http.MethodPost, "/api/v1/webhooks", w.body())
}

// WebhookChange changes a webhook: nil fields are not sent and keep their
// values.
type WebhookChange struct {
	// PropertyID moves the webhook to a property, or with "" to every
	// property its user reaches.
	PropertyID  *string `json:"-"`
	CallbackURL *string `json:"callback_url,omitempty"`
	EventMask   *string `json:"event_mask,omitempty"`
	// RequestParams and Headers, when not nil, replace the webhook's.
	// Their values are write-only (read back as "***"): a value "***"
	// keeps the stored one. A new CallbackURL needs them sent again.
	RequestParams map[string]string `json:"request_params,omitzero"`
	Headers       map[string]string `json:"headers,omitzero"`
	IsActive      *bool             `json:"is_active,omitempty"`
	SendData      *bool             `json:"send_data,omitempty"`
}

// MarshalJSON sends PropertyID "" as null.
func (ch WebhookChange) MarshalJSON() ([]byte, error) {
	type plain WebhookChange
	if ch.PropertyID == nil {
		return json.Marshal(plain(ch))
	}
	var pid any
	if *ch.PropertyID != "" {
		pid = *ch.PropertyID
	}
	return json.Marshal(struct {
		plain
		PropertyID any `json:"property_id"`
	}{plain(ch), pid})
}

// UpdateWebhook changes a webhook; the fields ch leaves nil keep their
// values.
func (c *Client) UpdateWebhook(ctx context.Context, id string, ch WebhookChange) (*Webhook, error) {
	return one[Webhook](c, ctx, http.MethodPut, "/api/v1/webhooks/"+pathID(id), map[string]any{"webhook": ch})
}

// DeleteWebhook deletes a webhook and its delivery log.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/webhooks/"+pathID(id), nil, nil, nil)
}

// WebhookTestResult is what the callback answered to a test call.
type WebhookTestResult struct {
	StatusCode int    `json:"status_code"`
	Body       string `json:"body"`
}

// TestWebhook makes the server post a test event to the callback of w
// (which is not stored) and returns the callback's answer. The test call
// is not signed: a webhook has no secret before it is created.
func (c *Client) TestWebhook(ctx context.Context, w NewWebhook) (*WebhookTestResult, error) {
	var out WebhookTestResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/webhooks/test", nil, w.body(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WebhookDelivery is one event sent (or being sent) to a webhook.
type WebhookDelivery struct {
	ID        string `json:"id"`
	WebhookID string `json:"webhook_id"`
	Event     string `json:"event"`
	// Status is "pending", "delivered" or "failed".
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	// ResponseStatus is the callback's last HTTP status, 0 for none.
	ResponseStatus int    `json:"response_status"`
	Error          string `json:"error"`
	// RequestBody is the body posted: a WebhookEvent.
	RequestBody json.RawMessage `json:"request_body"`
	CreatedAt   time.Time       `json:"created_at"`
	// NextAttemptAt is when a pending delivery is tried again; nil when
	// none is due.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

func (d *WebhookDelivery) UnmarshalJSON(b []byte) error {
	type plain WebhookDelivery
	return json.Unmarshal(b, &struct {
		*plain
		CreatedAt     timeField    `json:"created_at"`
		NextAttemptAt optTimeField `json:"next_attempt_at"`
		DeliveredAt   optTimeField `json:"delivered_at"`
	}{(*plain)(d), timeField{&d.CreatedAt}, optTimeField{&d.NextAttemptAt}, optTimeField{&d.DeliveredAt}})
}

// WebhookDeliveries iterates over a webhook's deliveries, newest first;
// filter by "status" or "event".
func (c *Client) WebhookDeliveries(ctx context.Context, webhookID string, opts ListOptions) iter.Seq2[*WebhookDelivery, error] {
	return ptrs(list[WebhookDelivery](c, ctx, "/api/v1/webhooks/"+pathID(webhookID)+"/deliveries", opts))
}

// WebhookEvent is the body of a delivery.
type WebhookEvent struct {
	Event string `json:"event"`
	// Payload is the event's data, when the webhook sends it: for a
	// booking event, {"booking_id", "property_id", "revision_id"}.
	Payload    json.RawMessage `json:"payload"`
	PropertyID string          `json:"property_id"`
	UserID     string          `json:"user_id"`
	Timestamp  time.Time       `json:"timestamp"`
}

func (ev *WebhookEvent) UnmarshalJSON(b []byte) error {
	type plain WebhookEvent
	return json.Unmarshal(b, &struct {
		*plain
		Timestamp timeField `json:"timestamp"`
	}{(*plain)(ev), timeField{&ev.Timestamp}})
}

// maxWebhookBody bounds the body VerifyWebhook reads.
const maxWebhookBody = 8 << 20

// ErrNoSignature is returned by VerifyWebhook for a request without an
// X-Keycard-Signature header.
var ErrNoSignature = errors.New("keycard: webhook request has no " + webhooksig.Header + " header")

// VerifyWebhook reads the body of a webhook delivery and checks its
// X-Keycard-Signature against the webhook's signing secret. It refuses a
// signature made more than five minutes from now, so that a recorded
// delivery cannot be replayed. It returns the body only when the
// signature holds; the errors are ErrNoSignature or those of webhooksig
// (ErrMalformed, ErrMismatch, ErrExpired), which errors.Is finds. The
// request's Body is left readable again, from the start.
func VerifyWebhook(r *http.Request, secret string) ([]byte, error) {
	return verifyWebhook(r, secret, time.Now())
}

func verifyWebhook(r *http.Request, secret string, now time.Time) ([]byte, error) {
	header := r.Header.Get(webhooksig.Header)
	if header == "" {
		return nil, ErrNoSignature
	}
	if r.Body == nil {
		return nil, fmt.Errorf("keycard: webhook request has no body: %w", webhooksig.ErrMismatch)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("keycard: read webhook body: %w", err)
	}
	if len(body) > maxWebhookBody {
		return nil, fmt.Errorf("keycard: webhook body is larger than %d bytes", maxWebhookBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := webhooksig.Verify(secret, header, body, now, webhooksig.DefaultTolerance); err != nil {
		return nil, err
	}
	return body, nil
}

// WebhookHandler serves a webhook's callback URL: it checks each
// delivery's signature with VerifyWebhook (401 when it fails: the body is
// not read further), decodes the event and calls handle. It answers 200
// when handle returns nil, and 500 otherwise, so that the server sends the
// delivery again later.
func WebhookHandler(secret string, handle func(ctx context.Context, ev *WebhookEvent) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := VerifyWebhook(r, secret)
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var ev WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "not a keycard event", http.StatusBadRequest)
			return
		}
		if err := handle(r.Context(), &ev); err != nil {
			http.Error(w, "not handled", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
