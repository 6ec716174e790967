package clienttest

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/keycard/keycard/client"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/client/webhooksig"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/webhook"
)

// receiver is a webhook endpoint: it checks each call with VerifyWebhook
// and records what it got.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	calls  []received
}

type received struct {
	header   http.Header
	body     []byte // as verified, or nil
	raw      []byte // as sent
	verified error
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		secret := rc.secret
		rc.mu.Unlock()
		body, err := client.VerifyWebhook(r, secret)
		raw, _ := io.ReadAll(r.Body) // client.VerifyWebhook leaves the body readable
		rc.mu.Lock()
		rc.calls = append(rc.calls, received{header: r.Header.Clone(), body: body, raw: raw, verified: err})
		rc.mu.Unlock()
		if err != nil && !errors.Is(err, client.ErrNoSignature) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.calls...)
}

// TestWebhooks manages a webhook through the client, and receives a real
// delivery from the server's webhook worker, checking its signature with
// VerifyWebhook.
func TestWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		srv := newServer(t, cfg)
		pms := newKey(t, srv, "PMS")
		h := newHotel(t, pms, "Hotel A")
		other := newHotel(t, pms, "Hotel B")
		rc := newReceiver(t)

		// A test call reaches the endpoint, unsigned, and returns its answer.
		res, err := pms.TestWebhook(ctx, client.NewWebhook{PropertyID: h.property, CallbackURL: rc.URL + "/hook", EventMask: "*"})
		if err != nil || res.StatusCode != 200 || res.Body != "thanks" {
			t.Fatalf("test call: %+v, %v", res, err)
		}
		if calls := rc.got(); len(calls) != 1 || !errors.Is(calls[0].verified, client.ErrNoSignature) || !strings.Contains(string(calls[0].raw), `"event":"test"`) {
			t.Fatalf("test call received: %+v", calls)
		}

		wh, err := pms.CreateWebhook(ctx, client.NewWebhook{PropertyID: h.property, CallbackURL: rc.URL + "/hook", EventMask: "ari",
			SendData: true, Headers: map[string]string{"X-From": "keycard"}, RequestParams: map[string]string{"hotel": "a"}})
		if err != nil || wh.ID == "" || wh.SigningSecret == "" || !wh.IsActive || !wh.SendData || wh.PropertyID != h.property ||
			wh.Headers["X-From"] != "***" || wh.RequestParams["hotel"] != "***" {
			// Header and parameter values are write-only: answered as ***.
			// The secret stays out of the test's output.
			wh.SigningSecret = strings.Repeat("*", len(wh.SigningSecret))
			t.Fatalf("create webhook: %+v, %v", wh, err)
		}
		rc.mu.Lock()
		rc.secret = wh.SigningSecret
		rc.mu.Unlock()
		if got, err := pms.Webhook(ctx, wh.ID); err != nil || got.SigningSecret != "" || got.CallbackURL != wh.CallbackURL {
			t.Errorf("read webhook: %+v, %v; want it without its secret", got, err)
		}
		all, err := pms.CreateWebhook(ctx, client.NewWebhook{CallbackURL: rc.URL + "/all", EventMask: "booking", Inactive: true})
		if err != nil || all.PropertyID != "" || all.IsActive {
			t.Fatalf("create an inactive webhook for every property: %+v, %v", all, err)
		}
		if list := collect(t, pms.Webhooks(ctx, client.ListOptions{Limit: 1})); len(list) != 2 || list[0].SigningSecret != "" {
			t.Errorf("webhooks, a page of one at a time: %+v", list)
		}
		if list := collect(t, pms.Webhooks(ctx, client.ListOptions{Filters: map[string]string{"property_id": h.property}})); len(list) != 1 || list[0].ID != wh.ID {
			t.Errorf("Hotel A's webhooks: %+v", list)
		}
		up, err := pms.UpdateWebhook(ctx, all.ID, client.WebhookChange{IsActive: new(true), EventMask: new("booking;booking_new")})
		if err != nil || !up.IsActive || up.EventMask != "booking;booking_new" || up.CallbackURL != all.CallbackURL {
			t.Errorf("update: %+v, %v", up, err)
		}
		if moved, err := pms.UpdateWebhook(ctx, all.ID, client.WebhookChange{PropertyID: new(h.property)}); err != nil || moved.PropertyID != h.property {
			t.Errorf("move to Hotel A: %+v, %v", moved, err)
		}
		if back, err := pms.UpdateWebhook(ctx, all.ID, client.WebhookChange{PropertyID: new("")}); err != nil || back.PropertyID != "" || back.EventMask != "booking;booking_new" {
			t.Errorf("move back to every property: %+v, %v", back, err)
		}
		if err := pms.DeleteWebhook(ctx, all.ID); err != nil {
			t.Errorf("delete: %v", err)
		}
		if _, err := pms.Webhook(ctx, all.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("deleted webhook: %v, want not found", err)
		}

		// Bad input and scope.
		_, err = pms.CreateWebhook(ctx, client.NewWebhook{PropertyID: h.property, CallbackURL: "ftp://example.com/x", EventMask: "no_such_event"})
		if e, ok := errors.AsType[*client.Error](err); !ok || e.Status != 422 || len(e.FieldErrors()["callback_url"]) == 0 || len(e.FieldErrors()["event_mask"]) == 0 {
			t.Errorf("invalid webhook: %v, want 422 on callback_url and event_mask", err)
		}
		if _, err := pms.UpdateWebhook(ctx, wh.ID, client.WebhookChange{EventMask: new("no_such_event")}); !client.HasCode(err, client.CodeValidation) {
			t.Errorf("update with an unknown event: %v, want validation_error", err)
		}
		onlyB := newKey(t, srv, "B only", other.property)
		if _, err := onlyB.Webhook(ctx, wh.ID); !client.HasCode(err, client.CodeNotFound) {
			t.Errorf("B's key reading A's webhook: %v, want not found", err)
		}
		for _, err := range onlyB.WebhookDeliveries(ctx, wh.ID, client.ListOptions{}) {
			if !client.HasCode(err, client.CodeNotFound) {
				t.Errorf("B's key listing A's deliveries: %v, want not found", err)
			}
		}

		// An availability change makes a delivery (one of another property
		// makes none); the worker sends it, signed. (Bookings do not queue
		// webhook events yet on the server.)
		day, _, _ := stay(3, 1)
		for _, hh := range []hotel{h, other} {
			if _, err := pms.UpdateAvailability(ctx, []client.Availability{{PropertyID: hh.property, RoomTypeID: hh.roomType, Date: day, Availability: 2}}); err != nil {
				t.Fatal(err)
			}
		}
		worker := &webhook.Worker{Store: srv.st, Sender: webhook.NewSender(true)}
		if n, err := worker.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("worker: %d, %v; want one delivery", n, err)
		}
		calls := rc.got()
		if len(calls) != 2 {
			t.Fatalf("receiver got %d calls, want the test call and one delivery", len(calls))
		}
		call := calls[1]
		if call.verified != nil || call.header.Get("X-From") != "keycard" {
			t.Fatalf("delivery: verify %v, headers %v", call.verified, call.header)
		}
		var ev client.WebhookEvent
		if err := json.Unmarshal(call.body, &ev); err != nil || ev.Event != "ari" || ev.PropertyID != h.property {
			t.Errorf("delivered event: %+v, %v", ev, err)
		}
		var payload []struct {
			Date         string `json:"date"`
			RoomTypeID   string `json:"room_type_id"`
			Availability int    `json:"availability"`
		}
		if json.Unmarshal(ev.Payload, &payload); len(payload) != 1 || payload[0].RoomTypeID != h.roomType || payload[0].Date != day || payload[0].Availability != 2 {
			t.Errorf("payload %s, want room type %s on %s at 2", ev.Payload, h.roomType, day)
		}
		if string(call.raw) != string(call.body) {
			t.Errorf("the body after client.VerifyWebhook differs from the verified one")
		}

		// The same delivery replayed later, or checked with another
		// secret, is refused.
		replay := func(secret string, at time.Time) error {
			return webhooksig.Verify(secret, call.header.Get(webhooksig.Header), call.raw, at, 0)
		}
		if err := replay(wh.SigningSecret, time.Now()); err != nil {
			t.Errorf("the delivery checked again at once: %v", err)
		}
		if err := replay(wh.SigningSecret, time.Now().Add(6*time.Minute)); !errors.Is(err, webhooksig.ErrExpired) {
			t.Errorf("replayed six minutes later: %v, want ErrExpired", err)
		}
		if err := replay("whsec_wrong", time.Now()); !errors.Is(err, webhooksig.ErrMismatch) {
			t.Errorf("another secret: %v, want ErrMismatch", err)
		}

		ds := collect(t, pms.WebhookDeliveries(ctx, wh.ID, client.ListOptions{}))
		if len(ds) != 1 || ds[0].Status != "delivered" || ds[0].ResponseStatus != 200 || ds[0].Event != "ari" ||
			ds[0].Attempts != 1 || ds[0].DeliveredAt == nil || time.Since(*ds[0].DeliveredAt).Abs() > time.Hour || string(ds[0].RequestBody) != string(call.body) {
			t.Errorf("deliveries: %+v", ds)
		}
		if l := collect(t, pms.WebhookDeliveries(ctx, wh.ID, client.ListOptions{Filters: map[string]string{"status": "failed"}})); len(l) != 0 {
			t.Errorf("failed deliveries: %+v, want none", l)
		}
	})
}
