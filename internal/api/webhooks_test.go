package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/webhook"
)

// createHook creates a webhook through the API and returns its id.
func createHook(t *testing.T, f *fixture, c cred, property string) string {
	t.Helper()
	status, body := f.do("POST", "/api/v1/webhooks", c,
		`{"webhook":{"property_id":`+property+`,"callback_url":"https://93.184.216.34/hook","event_mask":"*","is_active":true}}`)
	if status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", status, redact(f, body))
	}
	return decode(t, body)["data"].(map[string]any)["id"].(string)
}

func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		f := newFixture(t, cfg, keycard.ModeStaging)
		w1 := createHook(t, f, credOwnerA, `"{p1}"`)
		w2 := createHook(t, f, credOwnerA, `"{p2}"`)
		wAll := createHook(t, f, credOwnerA, `null`)
		wB := createHook(t, f, credOwnerB, `"{p3}"`)
		wK := createHook(t, f, credKeyP1, `"{p1}"`) // made with the restricted key
		ids := strings.NewReplacer("{w1}", w1, "{w2}", w2, "{wAll}", wAll, "{wB}", wB, "{wK}", wK)
		valid := `"callback_url":"https://93.184.216.34/in","event_mask":"booking_new;ari:rate,stop_sell:*:*"`
		for _, sc := range []scenario{
			{name: "create for P1 with the restricted key", method: "POST", path: "/api/v1/webhooks", cred: credKeyP1,
				body:   `{"webhook":{"property_id":"{p1}",` + valid + `,"headers":{"Authorization":"Basic x"},"request_params":{"a":"1","n":2},"send_data":true}}`,
				status: 201, want: []string{`"type":"webhook"`, `"signing_secret":"whsec_`, `"property":{"data":{"type":"property","id":"{p1}","attributes":{"id":"{p1}","title":"Alpha Hotel"}}}`,
					`"headers":{"Authorization":"***"}`, `"request_params":{"a":"***","n":"***"}`, `"is_active":false`, `"send_data":true`,
					`"made_with_api_key":true`, `"paused_reason":null`},
				never: []string{"Basic x"}},
			{name: "create for P2 with the restricted key", method: "POST", path: "/api/v1/webhooks", cred: credKeyP1,
				body: `{"webhook":{"property_id":"{p2}",` + valid + `}}`, status: 404, never: []string{"{p2}"}},
			{name: "create for every property with the restricted key", method: "POST", path: "/api/v1/webhooks", cred: credKeyP1,
				body: `{"webhook":{"property_id":null,` + valid + `}}`, status: 422, want: []string{`"property_id"`}},
			{name: "create for another organisation's property", method: "POST", path: "/api/v1/webhooks", cred: credKeyAll,
				body: `{"webhook":{"property_id":"{p3}",` + valid + `}}`, status: 404},
			{name: "create for every property", method: "POST", path: "/api/v1/webhooks", cred: credKeyAll,
				body: `{"webhook":{"property_id":null,` + valid + `}}`, status: 201, want: []string{`"property_id":null`}, never: []string{`"relationships"`}},
			{name: "create without property_id", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{` + valid + `}}`, status: 422, want: []string{`"property_id":["can't be blank"]`}},
			{name: "create without callback or mask", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}"}}`, status: 422, want: []string{`"callback_url":["can't be blank"]`, `"event_mask":["can't be blank"]`}},
			{name: "unknown event", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"https://93.184.216.34/","event_mask":"booking;bogus"}}`, status: 422, want: []string{`"event_mask"`, "bogus"}},
			{name: "bad ari mask", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"https://93.184.216.34/","event_mask":"ari:price:*:*"}}`, status: 422, want: []string{`"event_mask"`}},
			{name: "loopback callback", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"http://127.0.0.1:9000/x","event_mask":"*"}}`, status: 422, want: []string{`"callback_url"`, "private"}},
			{name: "metadata callback", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"http://169.254.169.254/latest","event_mask":"*"}}`, status: 422, want: []string{"private"}},
			{name: "not http", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"ftp://93.184.216.34/","event_mask":"*"}}`, status: 422, want: []string{"must be an http or https URL"}},
			{name: "reserved header", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}",` + valid + `,"headers":{"X-Keycard-Signature":"forged"}}}`, status: 422, want: []string{`"headers"`}},
			{name: "headers not an object", method: "POST", path: "/api/v1/webhooks", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}",` + valid + `,"headers":["a"],"is_active":"yes"}}`, status: 422, want: []string{`"headers"`, `"is_active"`}},
			{name: "list with the restricted key", method: "GET", path: "/api/v1/webhooks", cred: credKeyP1, status: 200,
				want: []string{ids.Replace("{w1}"), ids.Replace("{wK}"), `"total":3`}, never: []string{ids.Replace("{w2}"), ids.Replace("{wAll}"), ids.Replace("{wB}"), "signing_secret"}},
			{name: "list filtered", method: "GET", path: "/api/v1/webhooks?filter[property_id]={p2}", cred: credKeyAll, status: 200,
				want: []string{ids.Replace("{w2}"), `"total":1`}},
			{name: "list of the other organisation", method: "GET", path: "/api/v1/webhooks", cred: credKeyOther, status: 200,
				want: []string{ids.Replace("{wB}"), `"total":1`}, never: []string{ids.Replace("{w1}")}},
			{name: "get P1's", method: "GET", path: "/api/v1/webhooks/{w1}", cred: credKeyP1, status: 200, want: []string{`"event_mask":"*"`}, never: []string{"signing_secret"}},
			{name: "get P2's with the restricted key", method: "GET", path: "/api/v1/webhooks/{w2}", cred: credKeyP1, status: 404},
			{name: "get the all-properties one with the restricted key", method: "GET", path: "/api/v1/webhooks/{wAll}", cred: credKeyP1, status: 404},
			{name: "get another organisation's", method: "GET", path: "/api/v1/webhooks/{wB}", cred: credKeyAll, status: 404},
			{name: "get unknown", method: "GET", path: "/api/v1/webhooks/not-an-id", cred: credOwnerA, status: 404},
			{name: "update the key's own", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"event_mask":"booking","is_active":false,"headers":{"X-Pms":"1"}}}`, status: 200,
				want: []string{`"event_mask":"booking"`, `"is_active":false`, `"X-Pms":"***"`}, never: []string{`"X-Pms":"1"`}},
			{name: "re-point the key's own without its headers", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"callback_url":"https://93.184.216.35/elsewhere"}}`, status: 422,
				want: []string{`"headers":["must be sent again, in clear, when callback_url changes"]`}},
			{name: "re-point the key's own with its headers sent back masked", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"callback_url":"https://93.184.216.35/elsewhere","headers":{"X-Pms":"***"}}}`, status: 422, want: []string{`"headers"`}},
			{name: "re-point the key's own with its headers", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"callback_url":"https://93.184.216.35/elsewhere","headers":{"X-Pms":"2"}}}`, status: 200,
				want: []string{`"callback_url":"https://93.184.216.35/elsewhere"`, `"X-Pms":"***"`}},
			{name: "send a masked header back", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"headers":{"X-Pms":"***","X-New":"3"}}}`, status: 200, want: []string{`"X-Pms":"***"`, `"X-New":"***"`}},
			{name: "update the owner's P1 webhook with the key", method: "PUT", path: "/api/v1/webhooks/{w1}", cred: credKeyP1,
				body: `{"webhook":{"callback_url":"https://93.184.216.35/stolen"}}`, status: 403, want: []string{"made with it"}},
			{name: "update P1's to a private callback", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"callback_url":"http://10.0.0.1/"}}`, status: 422, want: []string{"private"}},
			{name: "move P1's to P2 with the restricted key", method: "PUT", path: "/api/v1/webhooks/{wK}", cred: credKeyP1,
				body: `{"webhook":{"property_id":"{p2}"}}`, status: 404},
			{name: "update P2's with the restricted key", method: "PUT", path: "/api/v1/webhooks/{w2}", cred: credKeyP1,
				body: `{"webhook":{"is_active":false}}`, status: 404},
			{name: "deliveries of P1's", method: "GET", path: "/api/v1/webhooks/{w1}/deliveries", cred: credKeyP1, status: 200, want: []string{`"total":0`}},
			{name: "deliveries of P2's with the restricted key", method: "GET", path: "/api/v1/webhooks/{w2}/deliveries", cred: credKeyP1, status: 404},
			{name: "test for P2 with the restricted key", method: "POST", path: "/api/v1/webhooks/test", cred: credKeyP1,
				body: `{"webhook":{"property_id":"{p2}",` + valid + `}}`, status: 404},
			{name: "test to a private callback", method: "POST", path: "/api/v1/webhooks/test", cred: credOwnerA,
				body: `{"webhook":{"property_id":"{p1}","callback_url":"http://127.0.0.1:1/","event_mask":"*"}}`, status: 422, want: []string{"private"}},
			{name: "delete P2's with the restricted key", method: "DELETE", path: "/api/v1/webhooks/{w2}", cred: credKeyP1, status: 404},
			{name: "delete the owner's P2 webhook with a key", method: "DELETE", path: "/api/v1/webhooks/{w2}", cred: credKeyAll, status: 403},
			{name: "delete P2's", method: "DELETE", path: "/api/v1/webhooks/{w2}", cred: credOwnerA, status: 200, want: []string{`"message":"Success"`}},
			{name: "get P2's after delete", method: "GET", path: "/api/v1/webhooks/{w2}", cred: credKeyAll, status: 404},
			{name: "delete the key's own", method: "DELETE", path: "/api/v1/webhooks/{wK}", cred: credKeyP1, status: 200},
		} {
			t.Run(sc.name, func(t *testing.T) {
				sc.path, sc.body = ids.Replace(sc.path), ids.Replace(sc.body)
				f.run(t, sc)
			})
		}
	})
}

// TestWebhookTestCall posts a test event to a real receiver and returns
// its answer.
func TestWebhookTestCall(t *testing.T) {
	t.Parallel()
	var got struct {
		body, event, header string
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.body, got.event, got.header = string(b), r.Header.Get("X-Keycard-Event"), r.Header.Get("X-Pms")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "hello from the PMS")
	}))
	defer rcv.Close()
	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	f.setAPI(func(c *Config) { c.Webhooks = webhook.NewSender(true) })
	f.run(t, scenario{method: "POST", path: "/api/v1/webhooks/test", cred: credKeyP1,
		body:   `{"webhook":{"property_id":"{p1}","callback_url":"` + rcv.URL + `","event_mask":"*","headers":{"X-Pms":"yes"},"send_data":true}}`,
		status: 200, want: []string{`"status_code":202`, `"body":"hello from the PMS"`}})
	if got.event != "test" || got.header != "yes" || !strings.Contains(got.body, `"property_id":"`+f.p1+`"`) || !strings.Contains(got.body, `"payload"`) {
		t.Errorf("receiver got event %q, header %q, body %s", got.event, got.header, got.body)
	}
	// Nothing was stored.
	f.run(t, scenario{method: "GET", path: "/api/v1/webhooks", cred: credOwnerA, status: 200, want: []string{`"total":0`}})
	rcv.Close()
	f.run(t, scenario{method: "POST", path: "/api/v1/webhooks/test", cred: credOwnerA,
		body:   `{"webhook":{"property_id":"{p1}","callback_url":"` + rcv.URL + `","event_mask":"*"}}`,
		status: 422, want: []string{"could not be reached"}})
}

// TestWebhookFailuresSayLittle answers a closed port and a name that does
// not resolve in the same words, in a test call and in the delivery log:
// webhooks must not make keycard a port scanner of the networks it
// reaches. (The server allows private addresses here, to reach a closed
// loopback port at all.)
func TestWebhookFailuresSayLittle(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	unresolvable := "http://nothing-here.invalid/hook"
	leaks := []string{"refused", "no such host", "lookup", "dial", "connect:", ln.Addr().String()}

	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	f.setAPI(func(c *Config) { c.Webhooks = webhook.NewSender(true) })
	answers := map[string]string{}
	for _, url := range []string{closed, unresolvable} {
		status, body := f.do("POST", "/api/v1/webhooks/test", credOwnerA,
			`{"webhook":{"property_id":"`+f.p1+`","callback_url":"`+url+`","event_mask":"*"}}`)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "could not be reached: connection failed") {
			t.Errorf("test call to %s: %d %s, want 422 saying connection failed", url, status, body)
		}
		answers[url] = body
	}
	if answers[closed] != answers[unresolvable] {
		t.Errorf("test calls answer a closed port with %s and an unresolvable host with %s, want the same", answers[closed], answers[unresolvable])
	}

	hooks := map[string]string{}
	for _, url := range []string{closed, unresolvable} {
		status, body := f.do("POST", "/api/v1/webhooks", credOwnerA,
			`{"webhook":{"property_id":"`+f.p1+`","callback_url":"`+url+`","event_mask":"booking","is_active":true}}`)
		if status != http.StatusCreated {
			t.Fatalf("create webhook to %s: %d %s", url, status, redact(f, body))
		}
		hooks[url] = decode(t, body)["data"].(map[string]any)["id"].(string)
	}
	ctx := context.Background()
	if err := f.st.Enqueue(ctx, f.p1, "", keycard.EventBooking,
		map[string]string{"booking_id": keycard.NewID(), "property_id": f.p1, "revision_id": keycard.NewID()}); err != nil {
		t.Fatal(err)
	}
	w := &webhook.Worker{Store: f.st, Sender: webhook.NewSender(true)}
	if n, err := w.RunOnce(ctx); n != 2 || err != nil {
		t.Fatalf("RunOnce = %d, %v; want the 2 deliveries", n, err)
	}
	for _, id := range hooks {
		f.run(t, scenario{method: "GET", path: "/api/v1/webhooks/" + id + "/deliveries", cred: credOwnerA, status: 200,
			want: []string{`"error":"connection failed"`, `"attempts":1`}, never: leaks})
	}
	for url, body := range answers {
		for _, leak := range leaks {
			if strings.Contains(body, leak) {
				t.Errorf("test call to %s answers %s, which tells %q", url, body, leak)
			}
		}
	}
}

// TestWebhookOwnAddress refuses a callback to an address of this machine
// beyond loopback (issue 19: a documentation-range address on eth0 let a
// test call read a service bound there).
func TestWebhookOwnAddress(t *testing.T) {
	t.Parallel()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || p.Addr().IsLoopback() || p.Addr().IsLinkLocalUnicast() {
			continue
		}
		if ln, err = net.Listen("tcp", netip.AddrPortFrom(p.Addr(), 0).String()); err == nil {
			break
		}
	}
	if ln == nil {
		t.Skip("this machine has no address beyond loopback to listen on")
	}
	hit := make(chan struct{}, 10)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit <- struct{}{}
		io.WriteString(w, "internal service")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + "/"

	f := newFixture(t, storetest.Config(t, "sqlite"), keycard.ModeStaging)
	for _, path := range []string{"/api/v1/webhooks/test", "/api/v1/webhooks"} {
		f.run(t, scenario{method: "POST", path: path, cred: credOwnerA,
			body:   `{"webhook":{"property_id":"{p1}","callback_url":"` + url + `","event_mask":"*"}}`,
			status: 422, want: []string{`"callback_url"`, "is refused"}, never: []string{"internal service"}})
	}
	if len(hit) != 0 {
		t.Errorf("the service on this machine's address %s was called", ln.Addr())
	}
}

// TestBookingWebhooks checks that booking revisions queue their events in
// the transaction that writes them, and that a revision left unacked
// fires non_acked_booking once.
func TestBookingWebhooks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		bk := newBookings(t, cfg)
		ctx := context.Background()
		// Rooms for the bookings to take (before the hooks: this write
		// fires no event they hear).
		bk.send(t, "POST", "/api/v1/availability", credKeyP1,
			`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date_from":"{d1}","date_to":"{d4}","availability":5}]}`, 200)
		hook, _, err := bk.st.CreateWebhook(ctx, bk.ownerA, &keycard.Webhook{PropertyID: bk.p1, CallbackURL: "https://93.184.216.34/h",
			EventMask: "booking_new;non_acked_booking", IsActive: true, SendData: true})
		if err != nil {
			t.Fatal(err)
		}
		bk.ids["hook"] = hook.ID
		ariHook, _, err := bk.st.CreateWebhook(ctx, bk.ownerA, &keycard.Webhook{PropertyID: bk.p1, CallbackURL: "https://93.184.216.34/h",
			EventMask: "ari:availability:*:*", IsActive: true, SendData: true})
		if err != nil {
			t.Fatal(err)
		}
		bk.ids["ariHook"] = ariHook.ID
		bk.keep("b1", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("W1", ""), 201))
		bk.keep("b2", bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("W2", ""), 201))
		bk.send(t, "POST", "/api/v1/booking_revisions/{b2rev}/ack", credKeyP1, "", 200)
		// Refused: nothing is written, so nothing is queued.
		bk.send(t, "POST", "/api/v1/bookings", credKeyP1, bookingBody("W1", ""), 422)

		events := func() map[string][]string {
			m := bk.send(t, "GET", "/api/v1/webhooks/{hook}/deliveries?pagination[limit]=100", credKeyP1, "", 200)
			out := map[string][]string{}
			for _, d := range m["data"].([]any) {
				a := d.(map[string]any)["attributes"].(map[string]any)
				body := a["request_body"].(map[string]any)
				p := body["payload"].(map[string]any)
				out[a["event"].(string)] = append(out[a["event"].(string)], p["revision_id"].(string))
			}
			return out
		}
		got := events()
		if len(got["booking_new"]) != 2 || len(got) != 1 {
			t.Fatalf("deliveries after two new bookings: %v", got)
		}
		// The property takes availability on confirmation: each new
		// booking's nights fire an ari event for its room type.
		m := bk.send(t, "GET", "/api/v1/webhooks/{ariHook}/deliveries", credKeyP1, "", 200)
		if list := m["data"].([]any); len(list) != 2 {
			t.Errorf("ari deliveries after two bookings = %d, want 2", len(list))
		} else {
			payload := list[0].(map[string]any)["attributes"].(map[string]any)["request_body"].(map[string]any)["payload"].([]any)
			if len(payload) != 2 || payload[0].(map[string]any)["room_type_id"] != bk.rt1 || payload[0].(map[string]any)["date"] != bk.x("{d1}") {
				t.Errorf("ari payload of a booking = %v, want its two nights in room type %s", payload, bk.rt1)
			}
		}
		n, err := bk.st.NotifyNonAcked(ctx, time.Now().Add(29*time.Minute), 30*time.Minute, 100)
		if err != nil || n != 0 {
			t.Fatalf("non-acked scan before 30 minutes found %d, %v", n, err)
		}
		later := time.Now().Add(31 * time.Minute)
		n, err = bk.st.NotifyNonAcked(ctx, later, 30*time.Minute, 100)
		if err != nil || n != 1 {
			t.Fatalf("non-acked scan after 30 minutes found %d, %v; want the one unacked revision", n, err)
		}
		if n, _ := bk.st.NotifyNonAcked(ctx, later.Add(time.Hour), 30*time.Minute, 100); n != 0 {
			t.Errorf("a second scan notified %d revisions again", n)
		}
		got = events()
		if len(got["non_acked_booking"]) != 1 || got["non_acked_booking"][0] != bk.ids["b1rev"] {
			t.Errorf("non_acked_booking deliveries = %v, want one for %s", got["non_acked_booking"], bk.ids["b1rev"])
		}
	})
}
