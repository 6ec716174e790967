package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestWebhookOutlivesNoMaker walks the whole story of a webhook whose
// maker loses access, for each kind of maker: a key restricted to P1, a key
// for every property, a member removed from P1, and a member's key. Each
// makes a webhook for everything with data, its access ends, ARI and a
// booking of P1 are written, and then: nothing is delivered (neither what
// was queued before nor after), the webhook is paused with its reason, and
// the audit log has the webhook's creation and pause. A user who reaches
// P1 then re-enables it, becomes its maker, and it delivers again.
func TestWebhookOutlivesNoMaker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		all    bool   // an all-properties webhook
		reason string // the pause reason
		// maker returns the credential that makes the webhook: an API key
		// (set as the fixture's raw key) or a cred.
		maker func(t *testing.T, bk *bookings) (c cred, rawKey string)
		// end ends the maker's access to P1.
		end func(t *testing.T, bk *bookings, keyID string)
	}{
		{name: "restricted key", reason: keycard.WebhookPausedKeyWithdrawn,
			maker: func(t *testing.T, bk *bookings) (cred, string) { return credKeyP1, "" },
			end:   withdraw(func(bk *bookings) string { return bk.keyP1ID })},
		{name: "all-properties key", all: true, reason: keycard.WebhookPausedKeyWithdrawn,
			maker: func(t *testing.T, bk *bookings) (cred, string) { return credKeyAll, "" },
			end:   withdraw(func(bk *bookings) string { return bk.keyAllID })},
		{name: "removed member", reason: keycard.WebhookPausedNoAccess,
			maker: func(t *testing.T, bk *bookings) (cred, string) { return credMember, "" },
			end:   removeMember},
		{name: "member's key", reason: keycard.WebhookPausedNoAccess,
			maker: func(t *testing.T, bk *bookings) (cred, string) {
				_, secret, err := bk.st.CreateAPIKey(context.Background(), bk.memberA, "member's PMS", false, []string{bk.p1})
				if err != nil {
					t.Fatal(err)
				}
				return "", secret
			},
			end: removeMember},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, cfg store.Config) {
				bk := newBookings(t, cfg)
				c, raw := tc.maker(t, bk)
				prop := `"{p1}"`
				if tc.all {
					prop = "null"
				}
				bk.rawKey = raw
				m := bk.send(t, "POST", "/api/v1/webhooks", c,
					`{"webhook":{"property_id":`+prop+`,"callback_url":"https://93.184.216.34/tap","event_mask":"*","send_data":true,"is_active":true}}`, 201)
				bk.rawKey = ""
				bk.keep("hook", m)
				hookID := bk.ids["hook"]
				var keyID string
				if a := data(m)["attributes"].(map[string]any); a["made_with_api_key"] == true {
					keyID = webhookKey(t, bk, hookID)
				}

				// Queued while the maker could read it, sent after access
				// ended: withheld.
				writeARI(t, bk, 7)
				tc.end(t, bk, keyID)
				writeARI(t, bk, 8)
				bk.send(t, "POST", "/api/v1/bookings", credOwnerA, bookingBody("TAP-1", ""), 201)
				if tc.all {
					// A property made after the key was withdrawn.
					bk.send(t, "POST", "/api/v1/properties", credOwnerA, `{"property":{"title":"New Hotel","currency":"EUR"}}`, 201)
				}
				if got := claimFor(t, bk.st, hookID); len(got) != 0 {
					t.Errorf("deliveries sent after access ended: %v", got)
				}

				got := data(bk.send(t, "GET", "/api/v1/webhooks/{hook}", credOwnerA, "", 200))["attributes"].(map[string]any)
				if got["is_active"] != false || got["paused_reason"] != tc.reason {
					t.Errorf("webhook after access ended: is_active %v, paused_reason %v; want false, %q", got["is_active"], got["paused_reason"], tc.reason)
				}
				events := auditOf(t, bk, hookID)
				if !slices.Contains(events, keycard.AuditWebhookCreated) || !slices.Contains(events, keycard.AuditWebhookPaused) {
					t.Errorf("audit events of the webhook = %v, want created and paused", events)
				}
				ds := bk.send(t, "GET", "/api/v1/webhooks/{hook}/deliveries?pagination[limit]=100", credOwnerA, "", 200)
				for _, d := range ds["data"].([]any) {
					a := d.(map[string]any)["attributes"].(map[string]any)
					if a["status"] == keycard.DeliveryDelivered {
						t.Errorf("delivery %v was delivered", a["id"])
					}
				}

				// The owner, who reaches P1, turns it back on: it is the
				// owner's now, and delivers.
				a := data(bk.send(t, "PUT", "/api/v1/webhooks/{hook}", credOwnerA, `{"webhook":{"is_active":true}}`, 200))["attributes"].(map[string]any)
				if a["paused_reason"] != nil || a["made_with_api_key"] != false {
					t.Errorf("re-enabled webhook: paused_reason %v, made_with_api_key %v; want null, false", a["paused_reason"], a["made_with_api_key"])
				}
				writeARI(t, bk, 9)
				if got := claimFor(t, bk.st, hookID); !slices.Equal(got, []string{keycard.EventARI, keycard.EventARI}) {
					t.Errorf("deliveries after the owner re-enabled it = %v, want the two ari events written since", got)
				}
			})
		})
	}
}

func withdraw(id func(*bookings) string) func(t *testing.T, bk *bookings, keyID string) {
	return func(t *testing.T, bk *bookings, _ string) {
		t.Helper()
		if _, err := bk.st.WithdrawAPIKey(context.Background(), bk.ownerA, id(bk)); err != nil {
			t.Fatal(err)
		}
	}
}

// removeMember removes memberA from P1.
func removeMember(t *testing.T, bk *bookings, _ string) {
	t.Helper()
	ctx := context.Background()
	ms, _, err := bk.st.ListMembers(ctx, store.PropertyUsers, bk.ownerA, keycard.ListQuery{Page: 1, Limit: 10,
		Filters: []keycard.Filter{{Field: "user_id", Op: keycard.OpEq, Values: []string{bk.memberA.UserID}}}})
	if err != nil || len(ms) != 1 {
		t.Fatalf("member of P1: %v, %v", ms, err)
	}
	if err := bk.st.DeleteMember(ctx, store.PropertyUsers, bk.ownerA, ms[0].ID); err != nil {
		t.Fatal(err)
	}
}

// writeARI sets a stop sell and an availability on day n of P1 as the
// owner.
func writeARI(t *testing.T, bk *bookings, n int) {
	t.Helper()
	d := bk.x("{d" + strconv.Itoa(n) + "}")
	bk.send(t, "POST", "/api/v1/restrictions", credOwnerA,
		`{"values":[{"property_id":"{p1}","rate_plan_id":"{rp1}","date":"`+d+`","stop_sell":true}]}`, 200)
	bk.send(t, "POST", "/api/v1/availability", credOwnerA,
		`{"values":[{"property_id":"{p1}","room_type_id":"{rt1}","date":"`+d+`","availability":3}]}`, 200)
}

// claimFor claims every due delivery and returns those of the webhook.
func claimFor(t *testing.T, st *store.Store, hookID string) []string {
	t.Helper()
	calls, err := st.ClaimDeliveries(context.Background(), time.Now().Add(time.Minute), time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range calls {
		if c.Delivery.WebhookID == hookID {
			out = append(out, c.Delivery.Event)
		}
	}
	return out
}

// webhookKey returns the id of the key that made a webhook.
func webhookKey(t *testing.T, bk *bookings, hookID string) string {
	t.Helper()
	w, err := bk.st.Webhook(context.Background(), bk.ownerA, hookID)
	if err != nil {
		t.Fatal(err)
	}
	return w.APIKeyID
}

// auditOf returns the events of organisation A's audit log about a
// webhook, as its owner reads them.
func auditOf(t *testing.T, bk *bookings, hookID string) []string {
	t.Helper()
	status, body := bk.do("GET", "/api/v1/audit_events?pagination[limit]=100", credOwnerA, "")
	if status != http.StatusOK {
		t.Fatalf("audit events: %d %s", status, body)
	}
	var list struct {
		Data []struct {
			Attributes struct {
				Event   string
				Details struct {
					WebhookID string `json:"webhook_id"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Data {
		if e.Attributes.Details.WebhookID == hookID {
			out = append(out, e.Attributes.Event)
		}
	}
	return out
}
