package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/client/webhooksig"
)

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
