package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/webhook"
	"github.com/keycard/keycard/webhooksig"
)

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// atLeast moves the clock to t if it is behind.
func (c *clock) atLeast(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.Before(t) {
		c.t = t
	}
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver is a webhook endpoint that records every call and answers
// with the next status of its script (200 once the script is spent).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	calls  []call
}

type call struct {
	body     []byte
	header   http.Header
	query    string
	answered int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.calls = append(r.calls, call{body: body, header: req.Header.Clone(), query: req.URL.RawQuery, answered: status})
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

type env struct {
	st       *store.Store
	owner    *keycard.Principal
	property string
	hook     *keycard.Webhook
	secret   string
	clock    *clock
}

// newEnv opens a store with one property and one active webhook for
// booking events, calling url.
func newEnv(t *testing.T, cfg store.Config, url string) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, cfg)
	u, _, err := st.CreateOwner(ctx, "owner@hooks.example", "password1", "")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := st.UserPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: "Hotel", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
	if err != nil {
		t.Fatal(err)
	}
	w, secret, err := st.CreateWebhook(ctx, owner, &keycard.Webhook{PropertyID: prop.ID, CallbackURL: url, EventMask: "booking",
		IsActive: true, SendData: true, Headers: map[string]string{"Authorization": "Basic dTpw"}, RequestParams: map[string]string{"from": "keycard"}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, owner: owner, property: prop.ID, hook: w, secret: secret, clock: &clock{t: time.Now().Add(time.Second)}}
}

func (e *env) worker(st *store.Store, allowPrivate bool) *webhook.Worker {
	return &webhook.Worker{Store: st, Sender: webhook.NewSender(allowPrivate), Now: e.clock.Now}
}

func (e *env) event(t *testing.T, st *store.Store) {
	t.Helper()
	if err := st.Enqueue(context.Background(), e.property, "", keycard.EventBooking,
		map[string]string{"booking_id": keycard.NewID(), "property_id": e.property, "revision_id": keycard.NewID()}); err != nil {
		t.Fatal(err)
	}
	// The event is due at once: the hand-moved clock must not be behind
	// the store's, however slow the machine.
	e.clock.atLeast(time.Now().Add(time.Second))
}

func runOnce(t *testing.T, w *webhook.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func (e *env) deliveries(t *testing.T) []*keycard.WebhookDelivery {
	t.Helper()
	list, _, err := e.st.ListDeliveries(context.Background(), e.owner, e.hook.ID, keycard.ListQuery{Page: 1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestDeliveryIsSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		rcv := newReceiver(t)
		e := newEnv(t, cfg, rcv.URL+"/hook")
		e.event(t, e.st)
		if n := runOnce(t, e.worker(e.st, true)); n != 1 {
			t.Fatalf("RunOnce handled %d, want 1", n)
		}
		calls := rcv.Calls()
		if len(calls) != 1 {
			t.Fatalf("receiver got %d calls, want 1", len(calls))
		}
		c := calls[0]
		sig := c.header.Get(webhooksig.Header)
		if err := webhooksig.Verify(e.secret, sig, c.body, time.Now(), 0); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		tampered := []byte(strings.Replace(string(c.body), `"booking"`, `"booking_new"`, 1))
		if err := webhooksig.Verify(e.secret, sig, tampered, time.Now(), 0); !errors.Is(err, webhooksig.ErrMismatch) {
			t.Errorf("tampered body: Verify = %v, want ErrMismatch", err)
		}
		if err := webhooksig.Verify(e.secret, sig, c.body, time.Now().Add(10*time.Minute), 0); !errors.Is(err, webhooksig.ErrExpired) {
			t.Errorf("replay ten minutes later: Verify = %v, want ErrExpired", err)
		}
		if c.header.Get("Authorization") != "Basic dTpw" || c.query != "from=keycard" || c.header.Get("Content-Type") != "application/json" {
			t.Errorf("custom header or request params missing: %v %q", c.header, c.query)
		}
		if !strings.Contains(string(c.body), `"event":"booking"`) || !strings.Contains(string(c.body), `"property_id":"`+e.property+`"`) {
			t.Errorf("body = %s", c.body)
		}
		d := e.deliveries(t)[0]
		if d.Status != keycard.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 200 || c.header.Get("X-Keycard-Delivery") != d.ID {
			t.Errorf("delivery = %+v", d)
		}
	})
}

func TestRetriesAfterTwoFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		rcv := newReceiver(t, 500, 503)
		e := newEnv(t, cfg, rcv.URL)
		e.event(t, e.st)
		w := e.worker(e.st, true)
		var outcomes []string
		w.Observe = func(o string) { outcomes = append(outcomes, o) }
		runOnce(t, w)
		if n := runOnce(t, w); n != 0 {
			t.Fatalf("a failed delivery was retried at once (%d)", n)
		}
		e.clock.Add(time.Hour)
		runOnce(t, w)
		e.clock.Add(time.Hour)
		runOnce(t, w)
		for range 3 {
			e.clock.Add(2 * time.Hour)
			runOnce(t, w)
		}
		calls := rcv.Calls()
		var got []int
		for _, c := range calls {
			got = append(got, c.answered)
		}
		if len(got) != 3 || got[2] != 200 {
			t.Fatalf("receiver answered %v, want [500 503 200]", got)
		}
		if calls[0].header.Get("X-Keycard-Delivery") != calls[2].header.Get("X-Keycard-Delivery") {
			t.Errorf("the retry is not the same delivery")
		}
		d := e.deliveries(t)[0]
		if d.Status != keycard.DeliveryDelivered || d.Attempts != 3 || d.LastStatus != 200 {
			t.Errorf("delivery = %s after %d tries (last %d), want delivered after 3", d.Status, d.Attempts, d.LastStatus)
		}
		if !slices.Equal(outcomes, []string{"retry", "retry", "delivered"}) {
			t.Errorf("observed outcomes %v, want [retry retry delivered]", outcomes)
		}
	})
}

func TestGivesUpAfterEightTries(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	e := newEnv(t, storetest.Config(t, "sqlite"), rcv.URL)
	e.event(t, e.st)
	w := e.worker(e.st, true)
	var final []string
	w.Observe = func(o string) {
		if o != "retry" {
			final = append(final, o)
		}
	}
	for range 12 {
		runOnce(t, w)
		e.clock.Add(2 * time.Hour)
	}
	if n := len(rcv.Calls()); n != keycard.MaxWebhookTries {
		t.Errorf("receiver got %d tries, want %d", n, keycard.MaxWebhookTries)
	}
	if d := e.deliveries(t)[0]; d.Status != keycard.DeliveryFailed || d.Attempts != keycard.MaxWebhookTries || d.LastError != "answered 500" {
		t.Errorf("delivery = %s after %d tries (%q), want failed after 8", d.Status, d.Attempts, d.LastError)
	}
	if !slices.Equal(final, []string{"failed"}) {
		t.Errorf("observed final outcomes %v, want [failed]", final)
	}
}

// TestRestartMidRetries stops a server in the middle of a delivery's
// retries, with a claim in flight, and starts another on the same
// database: the delivery is completed once, and not sent again after its
// successful answer.
func TestRestartMidRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		rcv := newReceiver(t, 500, 500)
		e := newEnv(t, cfg, rcv.URL)
		e.event(t, e.st)
		e.event(t, e.st)
		w1 := e.worker(e.st, true)
		runOnce(t, w1) // both fail once
		e.clock.Add(time.Hour)
		// The first server claims the second tries, and dies before
		// sending them.
		dead, err := e.st.ClaimDeliveries(context.Background(), e.clock.Now(), webhook.DefaultLease, 10)
		if err != nil || len(dead) != 2 {
			t.Fatalf("claim = %d, %v", len(dead), err)
		}
		e.st.Close()

		st2 := storetest.Open(t, cfg)
		w2 := e.worker(st2, true)
		if n := runOnce(t, w2); n != 0 {
			t.Fatalf("the new server took %d deliveries still under the dead server's lease", n)
		}
		e.clock.Add(webhook.DefaultLease)
		if n := runOnce(t, w2); n != 2 {
			t.Fatalf("after the lease the new server took %d, want 2", n)
		}
		for range 5 {
			e.clock.Add(2 * time.Hour)
			runOnce(t, w2)
		}
		if ok, _ := st2.RecordDelivery(context.Background(), dead[0], store.DeliveryOutcome{Status: 500, RetryAt: e.clock.Now()}, e.clock.Now()); ok {
			t.Errorf("the dead server's claim could still record an outcome")
		}
		ok := map[string]int{}
		for _, c := range rcv.Calls() {
			if c.answered == 200 {
				ok[c.header.Get("X-Keycard-Delivery")]++
			}
		}
		if len(ok) != 2 {
			t.Fatalf("successful answers for %d deliveries, want 2: %v", len(ok), ok)
		}
		for id, n := range ok {
			if n != 1 {
				t.Errorf("delivery %s answered 200 %d times, want once", id, n)
			}
		}
		e.st = st2
		for _, d := range e.deliveries(t) {
			if d.Status != keycard.DeliveryDelivered || d.Attempts != 2 {
				t.Errorf("delivery = %s after %d tries, want delivered after 2", d.Status, d.Attempts)
			}
		}
	})
}

// TestTwoServersShareTheQueue runs two servers' workers on one PostgreSQL
// database over a queue of 200 events: every event arrives, once.
func TestTwoServersShareTheQueue(t *testing.T) {
	if len(storetest.Dialects(t)) < 2 {
		t.Skip("needs PostgreSQL (" + storetest.EnvPostgres + ")")
	}
	cfg := storetest.Config(t, "postgres")
	rcv := newReceiver(t)
	e := newEnv(t, cfg, rcv.URL)
	for range 200 {
		e.event(t, e.st)
	}
	st2 := storetest.Open(t, cfg)
	var wg sync.WaitGroup
	handled := make([]int, 2)
	for i, st := range []*store.Store{e.st, st2} {
		w := e.worker(st, true)
		w.Batch, w.Parallel = 7, 3
		wg.Go(func() {
			for {
				n, err := w.RunOnce(context.Background())
				if err != nil {
					t.Errorf("server %d: %v", i, err)
					return
				}
				if n == 0 {
					return
				}
				handled[i] += n
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, c := range rcv.Calls() {
		seen[c.header.Get("X-Keycard-Delivery")]++
	}
	if len(seen) != 200 {
		t.Errorf("receiver saw %d distinct deliveries, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s arrived %d times", id, n)
		}
	}
	if handled[0]+handled[1] != 200 {
		t.Errorf("servers handled %v, want 200 in all", handled)
	}
	t.Logf("server 1 handled %d, server 2 %d", handled[0], handled[1])
}

func TestPrivateCallbacksRefused(t *testing.T) {
	rcv := newReceiver(t)
	e := newEnv(t, storetest.Config(t, "sqlite"), rcv.URL)
	e.event(t, e.st)
	runOnce(t, e.worker(e.st, false))
	if n := len(rcv.Calls()); n != 0 {
		t.Fatalf("a delivery reached a loopback receiver without --allow-private-webhooks")
	}
	d := e.deliveries(t)[0]
	if d.Status != keycard.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.LastError, "private") {
		t.Errorf("delivery = %s after %d tries (%q), want a refused try", d.Status, d.Attempts, d.LastError)
	}
	if strings.Contains(d.LastError, rcv.URL) {
		t.Errorf("the recorded error holds the callback URL")
	}
}

func TestCheckCallback(t *testing.T) {
	for _, tc := range []struct {
		url     string
		private bool
	}{
		{"http://127.0.0.1:8080/x", true},
		{"http://localhost/x", true},
		{"http://api.localhost/x", true},
		{"http://10.1.2.3/", true},
		{"http://172.16.0.1/", true},
		{"http://192.168.1.1/", true},
		{"http://169.254.169.254/latest/meta-data", true},
		{"http://100.64.0.1/", true},
		{"http://0.0.0.0/", true},
		{"http://[::1]/", true},
		{"http://[fe80::1]/", true},
		{"http://[fd00::1]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"https://93.184.216.34/hook", false},
		{"https://[2606:4700::1111]/hook", false},
	} {
		err := webhook.CheckCallback(context.Background(), tc.url, nil)
		if got := errors.Is(err, webhook.ErrPrivate); got != tc.private {
			t.Errorf("CheckCallback(%s) = %v, want private %v", tc.url, err, tc.private)
		}
	}
	if err := webhook.CheckAddr(netip.MustParseAddr("8.8.8.8")); err != nil {
		t.Errorf("CheckAddr(8.8.8.8) = %v", err)
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	prevMax := time.Duration(0)
	for attempt := 1; attempt <= 7; attempt++ {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := webhook.Backoff(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo == hi {
			t.Errorf("attempt %d: no jitter (%v)", attempt, lo)
		}
		if hi < prevMax/2 || hi > time.Hour {
			t.Errorf("attempt %d: backoff up to %v after %v", attempt, hi, prevMax)
		}
		prevMax = hi
	}
	if d := webhook.Backoff(1); d < 5*time.Second || d > 10*time.Second {
		t.Errorf("first backoff = %v, want 5-10s", d)
	}
}

// TestPrivateNameRefusedAtDelivery names the receiver by a host name that
// resolves to loopback: the check runs on the address dialled, after DNS.
func TestPrivateNameRefusedAtDelivery(t *testing.T) {
	rcv := newReceiver(t)
	e := newEnv(t, storetest.Config(t, "sqlite"), strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1))
	e.event(t, e.st)
	runOnce(t, e.worker(e.st, false))
	if n := len(rcv.Calls()); n != 0 {
		t.Fatalf("a delivery to a name resolving to loopback reached the receiver")
	}
	if d := e.deliveries(t)[0]; !strings.Contains(d.LastError, "private") {
		t.Errorf("delivery error = %q, want the private-address refusal", d.LastError)
	}
	// The same delivery goes through where private addresses are allowed.
	e.clock.Add(time.Hour)
	runOnce(t, e.worker(e.st, true))
	if n := len(rcv.Calls()); n != 1 {
		t.Errorf("with private addresses allowed the receiver got %d calls, want 1", n)
	}
}
