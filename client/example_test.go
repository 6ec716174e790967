package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/client/webhooksig"
)

// The examples that call a server (setting a property up, pushing ARI,
// draining the feed, errors, taxes) run against a real one in the
// server's repository: internal/clienttest/example_test.go. These need
// none.

// A webhook endpoint checks each delivery's signature before it trusts
// the body.
func ExampleVerifyWebhook() {
	secret := "whsec_example" // CreateWebhook's SigningSecret, kept by the receiver
	body := `{"event":"booking_new","payload":{"booking_id":"b1"}}`

	// A delivery as keycard sends it, and one whose body was changed on
	// the way.
	r := httptest.NewRequest("POST", "/keycard", strings.NewReader(body))
	r.Header.Set(webhooksig.Header, webhooksig.Sign(secret, time.Now(), []byte(body)))
	forged := httptest.NewRequest("POST", "/keycard", strings.NewReader(strings.Replace(body, "b1", "b2", 1)))
	forged.Header = r.Header.Clone()

	got, err := client.VerifyWebhook(r, secret)
	fmt.Println(string(got), err)
	_, err = client.VerifyWebhook(forged, secret)
	fmt.Println(err)
	// Output:
	// {"event":"booking_new","payload":{"booking_id":"b1"}} <nil>
	// webhooksig: signature does not match the body
}

// WebhookHandler is a whole endpoint: it answers 401 to a delivery
// without a good signature, and 200 once the function has the event.
func ExampleWebhookHandler() {
	secret := "whsec_example"
	h := client.WebhookHandler(secret, func(ctx context.Context, ev *client.WebhookEvent) error {
		fmt.Println("got", ev.Event, "for", ev.PropertyID, "at", ev.Timestamp.Format(time.DateTime))
		return nil // an error answers 500: keycard sends the delivery again later
	})
	body := `{"event":"ari","payload":null,"property_id":"p1","user_id":null,"timestamp":"2027-01-01T09:30:00.0000Z"}`
	for _, sig := range []string{webhooksig.Sign(secret, time.Now(), []byte(body)), ""} {
		r := httptest.NewRequest("POST", "/keycard", strings.NewReader(body))
		if sig != "" {
			r.Header.Set(webhooksig.Header, sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// got ari for p1 at 2027-01-01 09:30:00
	// 200
	// 401
}
