package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/secretbox"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

func newWebhook(t *testing.T, st *store.Store, p *keycard.Principal, w keycard.Webhook) (*keycard.Webhook, string) {
	t.Helper()
	if w.CallbackURL == "" {
		w.CallbackURL = "https://hooks.example.com/in"
	}
	out, secret, err := st.CreateWebhook(context.Background(), p, &w)
	if err != nil {
		t.Fatalf("create webhook %q: %v", w.EventMask, err)
	}
	return out, secret
}

// deliveries returns the bodies queued for a webhook, decoded, oldest
// first.
func deliveries(t *testing.T, st *store.Store, p *keycard.Principal, webhookID string) []map[string]any {
	t.Helper()
	list, _, err := st.ListDeliveries(context.Background(), p, webhookID, keycard.ListQuery{Page: 1, Limit: 100})
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	out := make([]map[string]any, len(list))
	for i, d := range list {
		if err := json.Unmarshal(d.Body, &out[len(list)-1-i]); err != nil {
			t.Fatalf("delivery body is not JSON: %v", err)
		}
	}
	return out
}

func TestWebhookCRUDKeepsSecretsSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		w, secret := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "booking_new;booking_cancellation",
			Headers: map[string]string{"Authorization": "Basic dXNlcjpzM2NyM3Q="}, RequestParams: map[string]string{"src": "kc"}, IsActive: true})
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+64 {
			t.Fatalf("signing secret has the wrong form (length %d)", len(secret))
		}
		for _, text := range []string{secret, "dXNlcjpzM2NyM3Q="} {
			if storetest.Contains(t, cfg, text) {
				t.Errorf("a webhook secret is stored in clear")
			}
		}
		got, err := h.st.Webhook(ctx, h.owner, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Headers["Authorization"] != "Basic dXNlcjpzM2NyM3Q=" || got.RequestParams["src"] != "kc" || !got.IsActive || got.PropertyID != h.property {
			t.Errorf("webhook read back = %+v", got)
		}
		upd, err := h.st.UpdateWebhook(ctx, h.owner, w.ID, &keycard.WebhookChange{EventMask: new("*"), IsActive: new(false)}, nil)
		if err != nil || upd.EventMask != "*" || upd.IsActive {
			t.Fatalf("update = %+v, %v", upd, err)
		}
		if _, err := h.st.UpdateWebhook(ctx, h.owner, w.ID, &keycard.WebhookChange{EventMask: new("nonsense")}, nil); keycard.ErrorCode(err) != keycard.EInvalid {
			t.Errorf("update with a bad mask: %v, want a validation error", err)
		}
		list, total, err := h.st.ListWebhooks(ctx, h.owner, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || total != 1 || len(list) != 1 {
			t.Fatalf("list = %d of %d, %v; want 1", len(list), total, err)
		}
		if err := h.st.DeleteWebhook(ctx, h.owner, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.Webhook(ctx, h.owner, w.ID); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("get after delete: %v, want not found", err)
		}
	})
}

func TestWebhookScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		other, err := h.st.CreateProperty(ctx, h.owner, &keycard.Property{Title: "Other", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
		if err != nil {
			t.Fatal(err)
		}
		key, _, err := h.st.CreateAPIKey(ctx, h.owner, "hotel only", false, []string{h.property})
		if err != nil {
			t.Fatal(err)
		}
		restricted := &keycard.Principal{UserID: h.owner.UserID, OrganizationID: h.owner.OrganizationID, APIKeyID: key.ID}
		mine, _ := newWebhook(t, h.st, restricted, keycard.Webhook{PropertyID: h.property, EventMask: "*"})
		theirs, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: other.ID, EventMask: "*"})
		all, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{EventMask: "*"})

		list, total, err := h.st.ListWebhooks(ctx, restricted, keycard.ListQuery{Page: 1, Limit: 10})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != mine.ID {
			t.Fatalf("restricted list = %d of %d, %v; want only its own property's webhook", len(list), total, err)
		}
		for _, id := range []string{theirs.ID, all.ID} {
			if _, err := h.st.Webhook(ctx, restricted, id); keycard.ErrorCode(err) != keycard.ENotFound {
				t.Errorf("restricted get of an out-of-reach webhook: %v, want not found", err)
			}
			if _, _, err := h.st.ListDeliveries(ctx, restricted, id, keycard.ListQuery{Page: 1, Limit: 10}); keycard.ErrorCode(err) != keycard.ENotFound {
				t.Errorf("restricted deliveries of an out-of-reach webhook: %v, want not found", err)
			}
			if _, err := h.st.UpdateWebhook(ctx, restricted, id, &keycard.WebhookChange{}, nil); keycard.ErrorCode(err) != keycard.ENotFound {
				t.Errorf("restricted update of an out-of-reach webhook: %v, want not found", err)
			}
			if err := h.st.DeleteWebhook(ctx, restricted, id); keycard.ErrorCode(err) != keycard.ENotFound {
				t.Errorf("restricted delete of an out-of-reach webhook: %v, want not found", err)
			}
		}
		bad := []keycard.Webhook{{PropertyID: other.ID, EventMask: "*"}, {EventMask: "*"}}
		for _, w := range bad {
			w.CallbackURL = "https://hooks.example.com/x"
			if _, _, err := h.st.CreateWebhook(ctx, restricted, &w); err == nil {
				t.Errorf("restricted key created a webhook for property %q", w.PropertyID)
			}
		}
		if _, err := h.st.UpdateWebhook(ctx, restricted, mine.ID, &keycard.WebhookChange{PropertyIDSent: true, PropertyID: new(other.ID)}, nil); keycard.ErrorCode(err) != keycard.ENotFound {
			t.Errorf("restricted key moved its webhook to another property: %v", err)
		}
		// The owner sees all three.
		if _, total, _ := h.st.ListWebhooks(ctx, h.owner, keycard.ListQuery{Page: 1, Limit: 10}); total != 3 {
			t.Errorf("owner sees %d webhooks, want 3", total)
		}
	})
}

func TestARIWritesQueueWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		everything, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "*", IsActive: true, SendData: true})
		availOnly, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "ari:availability:*:*", IsActive: true, SendData: true})
		rateOfA, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "ari:rate:*:" + h.a.ID, IsActive: true, SendData: true})
		bookings, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "booking", IsActive: true, SendData: true})
		allProps, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{EventMask: "ari", IsActive: true})
		inactive, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "*"})

		_, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{
			{PropertyID: h.property, RoomTypeID: h.rt, Dates: keycard.Dates{From: h.d0, To: h.d0 + 1, Days: keycard.EveryDay}, Availability: 7},
		})
		if err != nil {
			t.Fatal(err)
		}
		rate := json.RawMessage(`"123.45"`)
		_, err = h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{
			{PropertyID: h.property, RatePlanID: h.a.ID, Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: rate},
			{PropertyID: h.property, RatePlanID: h.b.ID, Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: rate},
		})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for name, id := range map[string]string{"everything": everything.ID, "availOnly": availOnly.ID, "rateOfA": rateOfA.ID,
			"bookings": bookings.ID, "allProps": allProps.ID, "inactive": inactive.ID} {
			counts[name] = len(deliveries(t, h.st, h.owner, id))
		}
		want := map[string]int{"everything": 2, "availOnly": 1, "rateOfA": 1, "bookings": 0, "allProps": 2, "inactive": 0}
		for name, n := range want {
			if counts[name] != n {
				t.Errorf("%s got %d deliveries, want %d", name, counts[name], n)
			}
		}
		avail := deliveries(t, h.st, h.owner, availOnly.ID)[0]
		payload, _ := avail["payload"].([]any)
		if avail["event"] != "ari" || avail["property_id"] != h.property || len(payload) != 2 {
			t.Fatalf("availability delivery = %v", avail)
		}
		first := payload[0].(map[string]any)
		if first["availability"] != 7.0 || first["room_type_id"] != h.rt || first["date"] != h.d0.String() || first["rate_plan_id"] != nil {
			t.Errorf("availability entry = %v", first)
		}
		rates := deliveries(t, h.st, h.owner, rateOfA.ID)[0]["payload"].([]any)
		if len(rates) != 1 || rates[0].(map[string]any)["rate_plan_id"] != h.a.ID || rates[0].(map[string]any)["rate"] != "123.45" {
			t.Errorf("rate delivery for plan A only = %v", rates)
		}
		// send_data false: the envelope without its payload.
		stripped := deliveries(t, h.st, h.owner, allProps.ID)[0]
		if _, ok := stripped["payload"]; ok || stripped["event"] != "ari" || stripped["user_id"] != h.owner.UserID || stripped["timestamp"] == nil {
			t.Errorf("send_data false delivery = %v", stripped)
		}
	})
}

func TestRevisionQueuesBookingEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		masks := []string{"booking", "booking_new", "booking_modification;booking_cancellation", "booking_unmapped_room", "booking_unmapped_rate", "ari", "*"}
		hooks := map[string]string{}
		for _, m := range masks {
			w, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: m, IsActive: true, SendData: true})
			hooks[m] = w.ID
		}
		booking, rev1, rev2 := keycard.NewID(), keycard.NewID(), keycard.NewID()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(h.st.EnqueueRevisionForTest(ctx, keycard.RevisionNotice{PropertyID: h.property, BookingID: booking, RevisionID: rev1, Status: "new", UnmappedRoom: true}))
		must(h.st.EnqueueRevisionForTest(ctx, keycard.RevisionNotice{PropertyID: h.property, BookingID: booking, RevisionID: rev2, Status: "cancelled"}))
		events := func(mask string) []string {
			var out []string
			for _, d := range deliveries(t, h.st, h.owner, hooks[mask]) {
				out = append(out, d["event"].(string))
			}
			return out
		}
		want := map[string]string{
			"booking":     "booking booking",
			"booking_new": "booking_new",
			"booking_modification;booking_cancellation": "booking_cancellation",
			"booking_unmapped_room":                     "booking_unmapped_room",
			"booking_unmapped_rate":                     "",
			"ari":                                       "",
			"*":                                         "booking booking_new booking_unmapped_room booking booking_cancellation",
		}
		for mask, w := range want {
			if got := strings.Join(events(mask), " "); got != w {
				t.Errorf("mask %q got events %q, want %q", mask, got, w)
			}
		}
		d := deliveries(t, h.st, h.owner, hooks["booking_new"])[0]
		p := d["payload"].(map[string]any)
		if p["booking_id"] != booking || p["revision_id"] != rev1 || p["property_id"] != h.property {
			t.Errorf("booking_new payload = %v", p)
		}
		u := deliveries(t, h.st, h.owner, hooks["booking_unmapped_room"])[0]["payload"].(map[string]any)
		if u["booking_id"] != booking || u["booking_revision_id"] != rev1 {
			t.Errorf("booking_unmapped_room payload = %v", u)
		}
	})
}

func TestClaimDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		w, secret := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "booking", IsActive: true,
			Headers: map[string]string{"X-Token": "t0ken"}})
		for range 3 {
			if err := h.st.Enqueue(ctx, h.property, "", keycard.EventBooking, map[string]string{}); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().Add(time.Second)
		lease := time.Minute
		a, err := h.st.ClaimDeliveries(ctx, now, lease, 2)
		if err != nil || len(a) != 2 {
			t.Fatalf("first claim = %d, %v; want 2", len(a), err)
		}
		if a[0].Secret != secret || a[0].Headers["X-Token"] != "t0ken" || a[0].CallbackURL != w.CallbackURL {
			t.Errorf("claimed call lacks the webhook's secret, headers or URL")
		}
		b, _ := h.st.ClaimDeliveries(ctx, now, lease, 10)
		if len(b) != 1 || b[0].Delivery.ID == a[0].Delivery.ID || b[0].Delivery.ID == a[1].Delivery.ID {
			t.Fatalf("second claim = %d; want the one left", len(b))
		}
		if c, _ := h.st.ClaimDeliveries(ctx, now, lease, 10); len(c) != 0 {
			t.Fatalf("third claim = %d; want none while leased", len(c))
		}
		ok, err := h.st.RecordDelivery(ctx, a[0], store.DeliveryOutcome{Delivered: true, Status: 200}, now)
		if err != nil || !ok {
			t.Fatalf("record = %v, %v", ok, err)
		}
		ok, err = h.st.RecordDelivery(ctx, b[0], store.DeliveryOutcome{Status: 500, Error: "answered 500", RetryAt: now.Add(time.Hour)}, now)
		if err != nil || !ok {
			t.Fatalf("record = %v, %v", ok, err)
		}
		// a[1]'s server died: once its lease ends, another takes it, and
		// the dead server's late record is refused.
		later := now.Add(lease + time.Second)
		c, _ := h.st.ClaimDeliveries(ctx, later, lease, 10)
		if len(c) != 1 || c[0].Delivery.ID != a[1].Delivery.ID {
			t.Fatalf("claim after lease = %d; want the dead server's one", len(c))
		}
		if ok, _ := h.st.RecordDelivery(ctx, a[1], store.DeliveryOutcome{Delivered: true, Status: 200}, later); ok {
			t.Errorf("an expired claim recorded its outcome")
		}
		if ok, _ := h.st.RecordDelivery(ctx, c[0], store.DeliveryOutcome{Status: 0, Error: "timed out"}, later); !ok {
			t.Errorf("the live claim could not record")
		}
		list, _, _ := h.st.ListDeliveries(ctx, h.owner, w.ID, keycard.ListQuery{Page: 1, Limit: 10})
		states := map[string]int{}
		for _, d := range list {
			states[d.Status]++
			if d.Attempts != 1 {
				t.Errorf("delivery %s attempts = %d, want 1", d.Status, d.Attempts)
			}
		}
		if states[keycard.DeliveryDelivered] != 1 || states[keycard.DeliveryPending] != 1 || states[keycard.DeliveryFailed] != 1 {
			t.Errorf("states = %v, want one of each", states)
		}
		if n, err := h.st.PurgeDeliveries(ctx, time.Now().Add(time.Hour)); err != nil || n != 3 {
			t.Errorf("purge = %d, %v; want 3", n, err)
		}
	})
}

// TestClaimWithAnotherKey checks that a delivery whose webhook was sealed
// under another key is marked failed rather than holding up the queue.
func TestClaimWithAnotherKey(t *testing.T) {
	cfg := storetest.Config(t, "sqlite")
	h := newHotel(t, cfg)
	ctx := context.Background()
	newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "booking", IsActive: true})
	if err := h.st.Enqueue(ctx, h.property, "", keycard.EventBooking, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	other, err := secretbox.New([]byte("another-key-another-key-32-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	st2 := storetest.Open(t, cfg)
	st2.SetSecretBox(other)
	now := time.Now().Add(time.Second)
	calls, err := st2.ClaimDeliveries(ctx, now, time.Minute, 10)
	if err != nil || len(calls) != 0 {
		t.Fatalf("claim under another key = %d, %v; want none and no error", len(calls), err)
	}
	// Back under the right key, the one that fails to open is gone from
	// the queue, and a new one goes through.
	if err := h.st.Enqueue(ctx, h.property, "", keycard.EventBooking, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	calls, err = h.st.ClaimDeliveries(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(calls) != 1 {
		t.Fatalf("claim = %d, %v; want the new delivery only", len(calls), err)
	}
	list, _, _ := h.st.ListDeliveries(ctx, h.owner, calls[0].Delivery.WebhookID, keycard.ListQuery{Page: 1, Limit: 10})
	failed := 0
	for _, d := range list {
		if d.Status == keycard.DeliveryFailed && strings.Contains(d.LastError, "--webhook-key-file") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d deliveries marked failed for the key, want 1", failed)
	}
}

// TestNonAckedInBatches: the non-acked scan queues non_acked_booking once
// for each revision left unacked, batch after batch, however the batches
// cut a property's revisions.
func TestNonAckedInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := autoHotel(t, cfg, 20)
		ctx := context.Background()
		w, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "non_acked_booking", SendData: true, IsActive: true})
		want := map[string]bool{}
		for i := range 5 {
			id := h.save(t, h.st, "", "N-"+string(rune('a'+i)), keycard.StatusNew, stay{0, 1})
			b, err := h.st.Booking(ctx, h.owner, id)
			if err != nil {
				t.Fatal(err)
			}
			want[b.RevisionID] = true
		}
		later := time.Now().Add(time.Hour)
		var found []int
		for {
			n, err := h.st.NotifyNonAcked(ctx, later, 30*time.Minute, 2)
			if err != nil {
				t.Fatal(err)
			}
			found = append(found, n)
			if n < 2 {
				break
			}
		}
		if fmt.Sprint(found) != "[2 2 1]" {
			t.Errorf("batches of 2 found %v revisions, want [2 2 1]", found)
		}
		got := map[string]int{}
		for _, d := range deliveries(t, h.st, h.owner, w.ID) {
			got[d["payload"].(map[string]any)["revision_id"].(string)]++
		}
		if len(got) != len(want) {
			t.Errorf("non_acked_booking for %d revisions, want %d", len(got), len(want))
		}
		for id, n := range got {
			if !want[id] || n != 1 {
				t.Errorf("revision %s: %d deliveries (one of the five: %v)", id, n, want[id])
			}
		}
	})
}

// BenchmarkNotifyNonAcked scans a backlog of 500 unacked revisions of one
// property with no webhook, as a server does after a PMS stopped acking.
func BenchmarkNotifyNonAcked(b *testing.B) {
	h := autoHotel(b, storetest.Config(b, "sqlite"), 1000)
	for i := range 500 {
		h.save(b, h.st, "", "B-"+strconv.Itoa(i), keycard.StatusNew, stay{0, 1})
	}
	later := time.Now().Add(time.Hour)
	for b.Loop() {
		b.StopTimer()
		if err := store.ResetNonAcked(h.st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, err := h.st.NotifyNonAcked(context.Background(), later, 30*time.Minute, 500); err != nil || n != 500 {
			b.Fatalf("found %d, %v", n, err)
		}
	}
}
