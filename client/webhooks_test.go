package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/webhook"
	"github.com/keycard/keycard/webhooksig"
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
		body, err := VerifyWebhook(r, secret)
		raw, _ := io.ReadAll(r.Body) // VerifyWebhook leaves the body readable
		rc.mu.Lock()
		rc.calls = append(rc.calls, received{header: r.Header.Clone(), body: body, raw: raw, verified: err})
		rc.mu.Unlock()
		if err != nil && !errors.Is(err, ErrNoSignature) {
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
		res, err := pms.TestWebhook(ctx, NewWebhook{PropertyID: h.property, CallbackURL: rc.URL + "/hook", EventMask: "*"})
		if err != nil || res.StatusCode != 200 || res.Body != "thanks" {
			t.Fatalf("test call: %+v, %v", res, err)
		}
		if calls := rc.got(); len(calls) != 1 || !errors.Is(calls[0].verified, ErrNoSignature) || !strings.Contains(string(calls[0].raw), `"event":"test"`) {
			t.Fatalf("test call received: %+v", calls)
		}

		wh, err := pms.CreateWebhook(ctx, NewWebhook{PropertyID: h.property, CallbackURL: rc.URL + "/hook", EventMask: "ari",
			SendData: true, Headers: map[string]string{"X-From": "keycard"}, RequestParams: map[string]string{"hotel": "a"}})
		if err != nil || wh.ID == "" || wh.SigningSecret == "" || !wh.IsActive || !wh.SendData || wh.PropertyID != h.property ||
			wh.Headers["X-From"] != "keycard" || wh.RequestParams["hotel"] != "a" {
			t.Fatalf("create webhook: %+v, %v", wh, err)
		}
		rc.mu.Lock()
		rc.secret = wh.SigningSecret
		rc.mu.Unlock()
		if got, err := pms.Webhook(ctx, wh.ID); err != nil || got.SigningSecret != "" || got.CallbackURL != wh.CallbackURL {
			t.Errorf("read webhook: %+v, %v; want it without its secret", got, err)
		}
		all, err := pms.CreateWebhook(ctx, NewWebhook{CallbackURL: rc.URL + "/all", EventMask: "booking", Inactive: true})
		if err != nil || all.PropertyID != "" || all.IsActive {
			t.Fatalf("create an inactive webhook for every property: %+v, %v", all, err)
		}
		if list := collect(t, pms.Webhooks(ctx, ListOptions{Limit: 1})); len(list) != 2 || list[0].SigningSecret != "" {
			t.Errorf("webhooks, a page of one at a time: %+v", list)
		}
		if list := collect(t, pms.Webhooks(ctx, ListOptions{Filters: map[string]string{"property_id": h.property}})); len(list) != 1 || list[0].ID != wh.ID {
			t.Errorf("Hotel A's webhooks: %+v", list)
		}
		up, err := pms.UpdateWebhook(ctx, all.ID, map[string]any{"is_active": true, "event_mask": "booking;booking_new"})
		if err != nil || !up.IsActive || up.EventMask != "booking;booking_new" || up.CallbackURL != all.CallbackURL {
			t.Errorf("update: %+v, %v", up, err)
		}
		if err := pms.DeleteWebhook(ctx, all.ID); err != nil {
			t.Errorf("delete: %v", err)
		}
		if _, err := pms.Webhook(ctx, all.ID); !HasCode(err, CodeNotFound) {
			t.Errorf("deleted webhook: %v, want not found", err)
		}

		// Bad input and scope.
		_, err = pms.CreateWebhook(ctx, NewWebhook{PropertyID: h.property, CallbackURL: "ftp://example.com/x", EventMask: "no_such_event"})
		if e, ok := errors.AsType[*Error](err); !ok || e.Status != 422 || len(e.FieldErrors()["callback_url"]) == 0 || len(e.FieldErrors()["event_mask"]) == 0 {
			t.Errorf("invalid webhook: %v, want 422 on callback_url and event_mask", err)
		}
		if _, err := pms.UpdateWebhook(ctx, wh.ID, map[string]any{"is_active": "yes"}); !HasCode(err, CodeValidation) {
			t.Errorf("update with a bad type: %v, want validation_error", err)
		}
		onlyB := newKey(t, srv, "B only", other.property)
		if _, err := onlyB.Webhook(ctx, wh.ID); !HasCode(err, CodeNotFound) {
			t.Errorf("B's key reading A's webhook: %v, want not found", err)
		}
		for _, err := range onlyB.WebhookDeliveries(ctx, wh.ID, ListOptions{}) {
			if !HasCode(err, CodeNotFound) {
				t.Errorf("B's key listing A's deliveries: %v, want not found", err)
			}
		}

		// An availability change makes a delivery (one of another property
		// makes none); the worker sends it, signed. (Bookings do not queue
		// webhook events yet on the server.)
		day, _, _ := stay(3, 1)
		for _, hh := range []hotel{h, other} {
			if _, err := pms.UpdateAvailability(ctx, []Availability{{PropertyID: hh.property, RoomTypeID: hh.roomType, Date: day, Availability: 2}}); err != nil {
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
		var ev WebhookEvent
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
			t.Errorf("the body after VerifyWebhook differs from the verified one")
		}

		// The same delivery replayed later, or checked with another
		// secret, is refused.
		replay := func(secret string, at time.Time) error {
			r := httptest.NewRequest("POST", "/hook", strings.NewReader(string(call.raw)))
			r.Header.Set(webhooksig.Header, call.header.Get(webhooksig.Header))
			_, err := verifyWebhook(r, secret, at)
			return err
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

		ds := collect(t, pms.WebhookDeliveries(ctx, wh.ID, ListOptions{}))
		if len(ds) != 1 || ds[0].Status != "delivered" || ds[0].ResponseStatus != 200 || ds[0].Event != "ari" ||
			ds[0].Attempts != 1 || ds[0].DeliveredAt == "" || string(ds[0].RequestBody) != string(call.body) {
			t.Errorf("deliveries: %+v", ds)
		}
		if l := collect(t, pms.WebhookDeliveries(ctx, wh.ID, ListOptions{Filters: map[string]string{"status": "failed"}})); len(l) != 0 {
			t.Errorf("failed deliveries: %+v, want none", l)
		}
	})
}

// TestVerifyWebhook checks the signature helper on requests signed with
// webhooksig: a good one, a tampered body, a stale or missing signature.
func TestVerifyWebhook(t *testing.T) {
	const secret = "whsec_0123456789"
	body := `{"event":"booking_new","payload":{"booking_id":"b"}}`
	req := func(sig, body string) *http.Request {
		r := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
		if sig != "" {
			r.Header.Set("X-Keycard-Signature", sig)
		}
		return r
	}
	now := time.Now()
	got, err := VerifyWebhook(req(webhooksig.Sign(secret, now, []byte(body)), body), secret)
	if err != nil || string(got) != body {
		t.Errorf("good signature: %q, %v", got, err)
	}
	for name, tc := range map[string]struct {
		r    *http.Request
		want error
	}{
		"tampered":       {req(webhooksig.Sign(secret, now, []byte(body)), strings.Replace(body, `"b"`, `"c"`, 1)), webhooksig.ErrMismatch},
		"older than 5m":  {req(webhooksig.Sign(secret, now.Add(-6*time.Minute), []byte(body)), body), webhooksig.ErrExpired},
		"other secret":   {req(webhooksig.Sign("whsec_other", now, []byte(body)), body), webhooksig.ErrMismatch},
		"no signature":   {req("", body), ErrNoSignature},
		"garbage header": {req("v1=zz", body), webhooksig.ErrMalformed},
	} {
		got, err := VerifyWebhook(tc.r, secret)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("%s: %q, %v; want no body and %v", name, got, err, tc.want)
		}
	}
}

// TestWebhookHandler checks the handler on signed, tampered and refused
// deliveries.
func TestWebhookHandler(t *testing.T) {
	const secret = "whsec_handler"
	var got []*WebhookEvent
	fail := false
	h := WebhookHandler(secret, func(_ context.Context, ev *WebhookEvent) error {
		got = append(got, ev)
		if fail {
			return errors.New("database down")
		}
		return nil
	})
	send := func(method, sig, body string) int {
		r := httptest.NewRequest(method, "/hook", strings.NewReader(body))
		if sig != "" {
			r.Header.Set(webhooksig.Header, sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	body := `{"event":"ari","payload":[{"date":"2027-01-01"}],"property_id":"p","user_id":null,"timestamp":"2027-01-01T00:00:00.0000Z"}`
	sig := webhooksig.Sign(secret, time.Now(), []byte(body))
	if code := send("POST", sig, body); code != 200 || len(got) != 1 || got[0].Event != "ari" || got[0].PropertyID != "p" ||
		string(got[0].Payload) != `[{"date":"2027-01-01"}]` {
		t.Errorf("signed delivery: %d, %+v", code, got)
	}
	for name, tc := range map[string]struct {
		method, sig, body string
		want              int
	}{
		"tampered":     {"POST", sig, strings.Replace(body, `"p"`, `"q"`, 1), 401},
		"unsigned":     {"POST", "", body, 401},
		"stale":        {"POST", webhooksig.Sign(secret, time.Now().Add(-10*time.Minute), []byte(body)), body, 401},
		"not an event": {"POST", webhooksig.Sign(secret, time.Now(), []byte("[1]")), "[1]", 400},
		"a GET":        {"GET", sig, "", 405},
	} {
		if code := send(tc.method, tc.sig, tc.body); code != tc.want {
			t.Errorf("%s: %d, want %d", name, code, tc.want)
		}
	}
	if len(got) != 1 {
		t.Errorf("handle was called for refused deliveries: %d calls", len(got))
	}
	fail = true
	if code := send("POST", sig, body); code != 500 {
		t.Errorf("handler error: %d, want 500 so that the delivery is sent again", code)
	}
}
