package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/webhook"
)

// webhookRoutes registers the webhook routes: CRUD, a test call and the
// delivery log. Everything is reached through the principal's properties.
func (s *Server) webhookRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/webhooks", s.reads(keycard.FamilyWebhooks, s.listWebhooks))
	mux.Handle("POST /api/v1/webhooks", s.writes(keycard.FamilyWebhooks, s.createWebhook))
	mux.Handle("POST /api/v1/webhooks/test", s.writes(keycard.FamilyWebhooks, s.testWebhook))
	mux.Handle("GET /api/v1/webhooks/{id}", s.reads(keycard.FamilyWebhooks, s.getWebhook))
	mux.Handle("PUT /api/v1/webhooks/{id}", s.writes(keycard.FamilyWebhooks, s.updateWebhook))
	mux.Handle("DELETE /api/v1/webhooks/{id}", s.writes(keycard.FamilyWebhooks, s.deleteWebhook))
	mux.Handle("GET /api/v1/webhooks/{id}/deliveries", s.reads(keycard.FamilyWebhooks, s.listWebhookDeliveries))
}

type webhookAttributes struct {
	ID            string            `json:"id"`
	PropertyID    *string           `json:"property_id"`
	CallbackURL   string            `json:"callback_url"`
	EventMask     string            `json:"event_mask"`
	RequestParams map[string]string `json:"request_params"`
	Headers       map[string]string `json:"headers"`
	IsActive      bool              `json:"is_active"`
	SendData      bool              `json:"send_data"`
	PausedReason  *string           `json:"paused_reason"`
	// MadeWithAPIKey reports whether a key made (or last re-enabled) it:
	// such a webhook delivers only while that key is live.
	MadeWithAPIKey bool   `json:"made_with_api_key"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	// SigningSecret is present only in the response that creates it.
	SigningSecret string `json:"signing_secret,omitempty"`
}

func webhookResource(wh *keycard.Webhook, secret string) resource {
	res := resource{Type: "webhook", ID: wh.ID, Attributes: webhookAttributes{
		ID: wh.ID, PropertyID: nullable(wh.PropertyID), CallbackURL: wh.CallbackURL, EventMask: wh.EventMask,
		RequestParams: masked(wh.RequestParams), Headers: masked(wh.Headers), IsActive: wh.IsActive, SendData: wh.SendData,
		PausedReason: nullable(wh.PausedReason), MadeWithAPIKey: wh.APIKeyID != "",
		CreatedAt: timestamp(wh.CreatedAt), UpdatedAt: timestamp(wh.UpdatedAt), SigningSecret: secret,
	}}
	// A webhook for every property has no property: the relationship is
	// left out rather than sent as {"data": null}.
	if wh.PropertyID != "" {
		res.Relationships = map[string]any{"property": relation{ref{Type: "property", ID: wh.PropertyID}}}
	}
	return res
}

// masked returns m with every value replaced by keycard.MaskedValue:
// custom headers and request parameters often carry the receiver's
// credentials, which are written, never read back.
func masked(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = keycard.MaskedValue
	}
	return out
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListWebhooks(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, wh := range list {
		items = append(items, webhookResource(wh, ""))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := s.store.Webhook(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, webhookResource(wh, ""))
}

// decodeNewWebhook reads a create (or test) body: property_id (null for
// every property), callback_url and event_mask are required. It returns
// the webhook keycard's rules made of it and every wrong field.
func decodeNewWebhook(r *http.Request) (*keycard.Webhook, keycard.FieldErrors, error) {
	f, err := decodeEnvelope(r, "webhook")
	if err != nil {
		return nil, nil, err
	}
	if !f.has("property_id") {
		f.errs.Add("property_id", "can't be blank")
	}
	for _, name := range []string{"callback_url", "event_mask"} {
		if !f.has(name) || isNull(f.raw(name)) {
			f.errs.Add(name, "can't be blank")
		}
	}
	wh := &keycard.Webhook{}
	return wh, wh.Apply(webhookChange(f), f.errs), nil
}

// checkCallback refuses a callback URL that points to a private,
// special-purpose or this server's own address (unless the server allows
// them), recording it in errs.
func (s *Server) checkCallback(r *http.Request, callbackURL string, errs keycard.FieldErrors) error {
	if errs.Has("callback_url") || keycard.CheckCallbackURL(callbackURL) != "" {
		return nil
	}
	err := s.webhooks.CheckCallback(r.Context(), callbackURL)
	if errors.Is(err, webhook.ErrNotAllowed) {
		errs.Add("callback_url", "is refused: it "+webhook.ErrNotAllowed.Error())
		return nil
	}
	return err
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, fe, err := decodeNewWebhook(r)
	if err != nil {
		return err
	}
	if err := s.checkCallback(r, wh.CallbackURL, fe); err != nil {
		return err
	}
	if err := fe.Err(); err != nil {
		return err
	}
	out, secret, err := s.store.CreateWebhook(r.Context(), principal(r), wh)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, webhookResource(out, secret))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "webhook")
	if err != nil {
		return err
	}
	c := webhookChange(f)
	// The callback's destination is checked before the transaction: it
	// may take a DNS lookup.
	if u, ok := c.NewCallbackURL(); ok {
		if err := s.checkCallback(r, u, f.errs); err != nil {
			return err
		}
	}
	out, err := s.store.UpdateWebhook(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, webhookResource(out, ""))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteWebhook(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// maxTestAnswer bounds the answer body a test call returns.
const maxTestAnswer = 16 << 10

// testWebhook posts a test event to the callback of a webhook described
// as for create (nothing is stored), and returns what the endpoint
// answered. The test call is not signed: the webhook has no secret yet.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, fe, err := decodeNewWebhook(r)
	if err != nil {
		return err
	}
	if err := s.checkCallback(r, wh.CallbackURL, fe); err != nil {
		return err
	}
	if err := fe.Err(); err != nil {
		return err
	}
	p := principal(r)
	if wh.PropertyID != "" {
		ids, err := s.store.ReachableProperties(r.Context(), p, []string{wh.PropertyID})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return keycard.NotFound()
		}
	} else if p.Restricted() {
		return keycard.Invalid("property_id", "can't be blank for a key restricted to selected properties")
	}
	body := keycard.WebhookBody(keycard.EventTest, wh.PropertyID, p.UserID, map[string]string{"message": "keycard test delivery"}, wh.SendData, time.Now())
	ans, err := s.webhooks.Send(r.Context(), webhook.Request{URL: wh.CallbackURL, Params: wh.RequestParams, Headers: wh.Headers,
		Body: body, Event: keycard.EventTest})
	if err != nil {
		// The caller learns only connection failed, timeout or address
		// not allowed (see webhook.SendError); the cause goes to the
		// access log.
		if cause := webhook.Cause(err); cause != nil {
			handler.AddLogAttrs(w, slog.String("webhook_error", cause.Error()))
		}
		return keycard.Invalid("callback_url", "could not be reached: "+err.Error())
	}
	answer := ans.Body
	if len(answer) > maxTestAnswer {
		answer = answer[:maxTestAnswer]
	}
	writeJSON(w, http.StatusOK, struct {
		StatusCode int    `json:"status_code"`
		Body       string `json:"body"`
	}{ans.Status, strings.ToValidUTF8(string(answer), "\uFFFD")})
	return nil
}

// webhookChange decodes a webhook body into a change, typed but not
// judged (keycard's Webhook.Apply does that), recording type errors in
// f.errs.
func webhookChange(f *fields) *keycard.WebhookChange {
	c := &keycard.WebhookChange{CallbackURL: f.strPtrOrEmpty("callback_url"), EventMask: f.strPtrOrEmpty("event_mask"),
		IsActive: f.boolPtr("is_active"), SendData: f.boolPtr("send_data")}
	if raw := f.raw("property_id"); raw != nil {
		if isNull(raw) {
			c.PropertyIDSent = true
		} else if id := f.strPtrOrEmpty("property_id"); id != nil {
			c.PropertyIDSent, c.PropertyID = true, id
		}
	}
	c.RequestParams, c.RequestParamsSent = stringMap(f, "request_params")
	c.Headers, c.HeadersSent = stringMap(f, "headers")
	return c
}

// stringMap reads an object of scalar members, numbers and booleans as
// their JSON text; null reads as empty. It reports whether the member was
// there and of that shape.
func stringMap(f *fields, name string) (map[string]string, bool) {
	raw, ok := f.get(name)
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	if !isNull(raw) {
		var m map[string]json.RawMessage
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(raw, &m) != nil {
			f.errs.Add(name, "must be an object of strings")
			return nil, false
		}
		for k, v := range m {
			var str string
			switch t := bytes.TrimSpace(v); {
			case len(t) > 0 && t[0] == '"':
				if json.Unmarshal(t, &str) != nil {
					f.errs.Add(name, "must be an object of strings")
					return nil, false
				}
			case len(t) > 0 && (t[0] == '{' || t[0] == '[') || string(t) == "null":
				f.errs.Add(name, "must be an object of strings")
				return nil, false
			default:
				str = string(t)
			}
			if !keycard.ValidText(k) || !keycard.ValidText(str) || !utf8.ValidString(k) {
				f.errs.Add(name, msgInvalidText)
				return nil, false
			}
			out[k] = str
		}
	}
	return out, true
}

type deliveryAttributes struct {
	ID             string          `json:"id"`
	WebhookID      string          `json:"webhook_id"`
	Event          string          `json:"event"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	ResponseStatus *int            `json:"response_status"`
	Error          *string         `json:"error"`
	RequestBody    json.RawMessage `json:"request_body"`
	CreatedAt      string          `json:"created_at"`
	NextAttemptAt  *string         `json:"next_attempt_at"`
	DeliveredAt    *string         `json:"delivered_at"`
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListDeliveries(r.Context(), principal(r), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, d := range list {
		a := deliveryAttributes{ID: d.ID, WebhookID: d.WebhookID, Event: d.Event, Status: d.Status, Attempts: d.Attempts,
			Error: nullable(d.LastError), RequestBody: d.Body, CreatedAt: timestamp(d.CreatedAt), DeliveredAt: timestampPtr(d.DeliveredAt)}
		if !json.Valid(a.RequestBody) {
			a.RequestBody = json.RawMessage("null")
		}
		if d.LastStatus != 0 {
			a.ResponseStatus = &d.LastStatus
		}
		if d.Status == keycard.DeliveryPending {
			a.NextAttemptAt = timestampPtr(&d.NextAttemptAt)
		}
		items = append(items, resource{Type: "webhook_delivery", ID: d.ID, Attributes: a,
			// A webhook has no title; its callback is not repeated here.
			Relationships: map[string]any{"webhook": relation{ref{Type: "webhook", ID: d.WebhookID,
				Attributes: map[string]string{"id": d.WebhookID}}}}})
	}
	return writeList(w, items, total, q)
}
