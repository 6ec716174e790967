package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSendTimesOut holds an answer until the sender gives up. The client
// timeout is shortened here; in service it is Timeout (10 s).
func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer rcv.Close()
	defer close(release)
	s := NewSender(true)
	s.client.Timeout = 200 * time.Millisecond
	_, err := s.Send(context.Background(), Request{URL: rcv.URL + "/?token=s3cret", Body: []byte(`{}`), Event: "test"})
	if err == nil || err.Error() != ReasonTimeout {
		t.Fatalf("Send = %v, want a timeout", err)
	}
	if s.client.Timeout != 200*time.Millisecond || NewSender(false).client.Timeout != Timeout {
		t.Errorf("the service client does not time out after %v", Timeout)
	}
}

// TestSendRefusesRedirects does not follow a redirect, which could lead
// a delivery to an address the callback check never saw.
func TestSendRefusesRedirects(t *testing.T) {
	hit := false
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer target.Close()
	rcv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer rcv.Close()
	ans, err := NewSender(true).Send(context.Background(), Request{URL: rcv.URL, Body: []byte(`{}`), Event: "test"})
	if err != nil || ans.Status != http.StatusTemporaryRedirect || ans.OK() || hit {
		t.Errorf("redirect: status %d, err %v, followed %v; want the 307 itself, not followed", ans.Status, err, hit)
	}
}
