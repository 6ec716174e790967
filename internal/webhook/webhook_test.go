package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
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
	if d.Status != keycard.DeliveryPending || d.Attempts != 1 || d.LastError != webhook.ReasonNotAllowed {
		t.Errorf("delivery = %s after %d tries (%q), want a refused try", d.Status, d.Attempts, d.LastError)
	}
	if strings.Contains(d.LastError, rcv.URL) {
		t.Errorf("the recorded error holds the callback URL")
	}
}

func TestCheckCallback(t *testing.T) {
	for _, tc := range []struct {
		url     string
		refused bool
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
		{"http://192.0.2.2:8080/", true},
		{"http://[::1]/", true},
		{"http://[fe80::1]/", true},
		{"http://[fd00::1]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://[2002:c000:202::1]/", true},
		{"https://93.184.216.34/hook", false},
		{"https://[2606:4700::1111]/hook", false},
	} {
		err := webhook.NewGuard().CheckCallback(context.Background(), tc.url, nil)
		if got := errors.Is(err, webhook.ErrNotAllowed); got != tc.refused {
			t.Errorf("CheckCallback(%s) = %v, want refused %v", tc.url, err, tc.refused)
		}
	}
}

// TestCheckAddr holds the guard to the IANA IPv4 and IPv6 special-purpose
// address registries, with the forms that carry an IPv4 address judged by
// that address.
func TestCheckAddr(t *testing.T) {
	refused := []struct{ addr, why string }{
		{"0.0.0.0", "this network"},
		{"0.1.2.3", "this network"},
		{"10.0.0.1", "private"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"169.254.169.254", "link-local, cloud metadata"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.0.0.1", "IETF protocol assignments"},
		{"192.0.0.170", "NAT64 discovery"},
		{"192.0.2.2", "documentation TEST-NET-1"},
		{"192.31.196.1", "AS112"},
		{"192.52.193.1", "AMT"},
		{"192.88.99.1", "6to4 relay anycast"},
		{"192.168.1.1", "private"},
		{"192.175.48.1", "AS112 direct delegation"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.51.100.7", "documentation TEST-NET-2"},
		{"203.0.113.9", "documentation TEST-NET-3"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "broadcast"},

		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "IPv4-mapped loopback"},
		{"::ffff:192.0.2.2", "IPv4-mapped documentation"},
		{"::ffff:169.254.169.254", "IPv4-mapped metadata"},
		{"::127.0.0.1", "IPv4-compatible (deprecated)"},
		{"::ffff:0:a00:1", "IPv4-translated 10.0.0.1"},
		{"64:ff9b::127.0.0.1", "NAT64 of loopback"},
		{"64:ff9b::10.0.0.1", "NAT64 of private"},
		{"64:ff9b::192.0.2.2", "NAT64 of documentation"},
		{"64:ff9b:1::8.8.8.8", "local-use NAT64"},
		{"100::1", "discard-only"},
		{"100:0:0:1::1", "dummy prefix"},
		{"2001::1", "Teredo"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
		{"2001:2::1", "benchmarking"},
		{"2001:1ff::1", "IETF protocol assignments"},
		{"2001:db8::1", "documentation"},
		{"2002:7f00:1::1", "6to4 of loopback"},
		{"2002:a9fe:a9fe::1", "6to4 of metadata"},
		{"2002:c000:202::1", "6to4 of documentation"},
		{"2620:4f:8000::1", "AS112"},
		{"3fff::1", "documentation"},
		{"3fff:fff::1", "documentation"},
		{"5f00::1", "SRv6 SIDs"},
		{"fc00::1", "unique local"},
		{"fd00::2", "unique local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local with a zone"},
		{"fec0::1", "site-local (deprecated)"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"4000::1", "not global unicast"},
	}
	for _, tc := range refused {
		t.Run(tc.addr, func(t *testing.T) {
			if err := webhook.CheckAddr(netip.MustParseAddr(tc.addr)); !errors.Is(err, webhook.ErrNotAllowed) {
				t.Errorf("CheckAddr(%s) (%s) = %v, want ErrNotAllowed", tc.addr, tc.why, err)
			}
		})
	}
	for _, addr := range []string{
		"8.8.8.8", "93.184.216.34", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "192.0.3.1", "198.17.255.255",
		"198.20.0.1", "203.0.114.1", "223.255.255.254",
		"2606:4700::1111", "2a00:1450:4001::200e", "2001:200::1", "2001:db9::1", "3fff:1000::1",
		"::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1",
	} {
		t.Run(addr, func(t *testing.T) {
			if err := webhook.CheckAddr(netip.MustParseAddr(addr)); err != nil {
				t.Errorf("CheckAddr(%s) = %v, want nil (a public address)", addr, err)
			}
			if err := webhook.NewGuard().Check(netip.MustParseAddr(addr)); err != nil {
				t.Errorf("Guard.Check(%s) = %v, want nil (not this machine's)", addr, err)
			}
		})
	}
}

// TestGuardRefusesOwnAddresses refuses every address of this machine's
// own interfaces, whatever its range: a service bound to eth0 only is
// as internal as one on loopback.
func TestGuardRefusesOwnAddresses(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	g := webhook.NewGuard()
	var other []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			t.Fatalf("interface address %s: %v", a, err)
		}
		if err := g.Check(p.Addr()); !errors.Is(err, webhook.ErrNotAllowed) {
			t.Errorf("Check(%s), an address of this machine = %v, want ErrNotAllowed", p.Addr(), err)
		}
		if !p.Addr().IsLoopback() {
			other = append(other, p.Addr())
		}
	}
	t.Run("non-loopback", func(t *testing.T) {
		if len(other) == 0 {
			t.Skip("this machine has no address beyond loopback")
		}
		for _, ip := range other {
			err := g.CheckCallback(context.Background(), "http://"+netip.AddrPortFrom(ip.WithZone(""), 8080).String()+"/", nil)
			if !errors.Is(err, webhook.ErrNotAllowed) {
				t.Errorf("CheckCallback to %s, this machine's = %v, want ErrNotAllowed", ip, err)
			}
		}
	})
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
	if d := e.deliveries(t)[0]; d.LastError != webhook.ReasonNotAllowed {
		t.Errorf("delivery error = %q, want the private-address refusal", d.LastError)
	}
	// The same delivery goes through where private addresses are allowed.
	e.clock.Add(time.Hour)
	runOnce(t, e.worker(e.st, true))
	if n := len(rcv.Calls()); n != 1 {
		t.Errorf("with private addresses allowed the receiver got %d calls, want 1", n)
	}
}

// closedPort returns a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	return url
}

// TestDeliveryErrorsSayLittle records a closed port and a name that does
// not resolve in the same words: the delivery log must not make keycard a
// port scanner of the networks it reaches.
func TestDeliveryErrorsSayLittle(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"closed port", closedPort(t)},
		{"unresolvable host", "http://nothing-here.invalid/hook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, storetest.Config(t, "sqlite"), tc.url)
			e.event(t, e.st)
			var log bytes.Buffer
			w := e.worker(e.st, true)
			w.Log = slog.New(slog.NewJSONHandler(&log, nil))
			runOnce(t, w)
			if d := e.deliveries(t)[0]; d.LastError != webhook.ReasonFailed {
				t.Errorf("delivery error = %q, want %q", d.LastError, webhook.ReasonFailed)
			}
			// The operator still learns why, from the server log.
			var line struct{ Error, Cause string }
			if err := json.Unmarshal(log.Bytes(), &line); err != nil || line.Error != webhook.ReasonFailed || line.Cause == "" || line.Cause == line.Error {
				t.Errorf("log line %s, want the reason and its cause", log.String())
			}
		})
	}
}
