package api

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// TestExternalKeys walks a key from outside through two organisations in
// production mode: organisation A invites B's owner as a user of P2, and
// B's owner makes a key with it. A's subscription gates the key on P2; A's
// owner sees the key, its use and its refusals, blocks it (B's owner sees
// the block), lifts the block, and finally refuses every key from outside.
func TestExternalKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		f := newFixture(t, cfg, keycard.ModeProduction)
		if _, err := f.st.Invite(ctx, store.PropertyUsers, f.ownerA, f.p2, "owner-b@example.com", keycard.RoleUser, nil); err != nil {
			t.Fatal(err)
		}
		ext, secret, err := f.st.CreateAPIKey(ctx, f.ownerB, "B's PMS", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		// withKey sends a request with the external key.
		withKey := func(method, path string) (int, string) {
			t.Helper()
			f.rawKey = secret
			defer func() { f.rawKey = "" }()
			return f.do(method, path, "", "")
		}
		reads := func(want bool, when string) {
			t.Helper()
			status, _ := withKey("GET", "/api/v1/properties/{p2}")
			if got := status == 200; got != want {
				t.Errorf("%s: the external key reads P2: %d, want it to read: %v", when, status, want)
			}
			if status, _ := withKey("GET", "/api/v1/properties/{p3}"); status != 200 {
				t.Errorf("%s: the key reads its own organisation's P3: %d, want 200", when, status)
			}
		}
		subscription := func(status string) {
			t.Helper()
			if err := f.st.SetSubscription(ctx, f.orgA, status); err != nil {
				t.Fatal(err)
			}
		}
		reads(true, "invited")

		// The production gate is applied per property: A's lapsed
		// subscription stops B's key on P2 as it stops A's own keys.
		subscription(keycard.SubscriptionInactive)
		reads(false, "A's subscription inactive")
		if status, _ := f.do("GET", "/api/v1/properties/{p2}", credKeyAll, ""); status != 403 {
			t.Errorf("A's own key while A's subscription is inactive: %d, want 403", status)
		}
		subscription(keycard.SubscriptionActive)
		reads(true, "A's subscription active again")

		// A's owner sees the key, with its maker and what of A it reaches;
		// a member of A does not.
		extID := ext.ID
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerA, status: 200,
			want: []string{extID, `"external":true`, `"user_email":"owner-b@example.com"`, `"organization_property_ids":["` + f.p2 + `"]`}})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys/" + extID, cred: credOwnerA, status: 200, want: []string{`"external":true`}})
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys", cred: credOwnerB, status: 200,
			want: []string{extID, `"external":false`, `"blocked_by":[]`}})
		// Seeing is not managing: A's owner cannot withdraw, roll or change it.
		for _, path := range []string{"/withdraw", "/roll"} {
			f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + extID + path, cred: credOwnerA, body: `{"api_key":{"grace_period_seconds":0}}`, status: 404})
		}
		// Its first use is in A's log too.
		if err := f.auth.FlushUsage(ctx); err != nil {
			t.Fatal(err)
		}
		if got := keyEvents(t, f, credOwnerA, extID); !slices.Contains(got, keycard.AuditFirstUsed) {
			t.Errorf("A's log of the external key = %v, want its first use", got)
		}

		// Only A's owner, signed in, blocks it; not a key, not a member,
		// and not a key of A's own (withdraw that).
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + extID + "/block", cred: credKeyAll, status: 403})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + extID + "/block", cred: credMember, status: 403})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + f.keyAllID + "/block", cred: credOwnerA, status: 422, want: []string{"withdraw it"}})
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + extID + "/block", cred: credOwnerA, status: 200,
			want: []string{`"blocked_by":[{"organization_id":"` + f.orgA + `"`}})
		reads(false, "blocked by A")
		f.run(t, scenario{method: "GET", path: "/api/v1/api_keys/" + extID, cred: credOwnerB, status: 200,
			want: []string{`"blocked_by":[{"organization_id":"` + f.orgA + `"`}})
		if got := keyEvents(t, f, credOwnerB, extID); !slices.Contains(got, keycard.AuditBlocked) {
			t.Errorf("B's log of its key = %v, want the block", got)
		}
		f.run(t, scenario{method: "POST", path: "/api/v1/api_keys/" + extID + "/unblock", cred: credOwnerA, status: 200, want: []string{`"blocked_by":[]`}})
		reads(true, "unblocked")

		// A refuses every key from outside; its own keys go on.
		f.run(t, scenario{method: "PUT", path: "/api/v1/organization", cred: credKeyAll, body: `{"organization":{"allow_external_keys":false}}`, status: 403})
		f.run(t, scenario{method: "PUT", path: "/api/v1/organization", cred: credOwnerA, body: `{"organization":{"allow_external_keys":"no"}}`, status: 422})
		f.run(t, scenario{method: "PUT", path: "/api/v1/organization", cred: credOwnerA, body: `{"organization":{"allow_external_keys":false}}`, status: 200,
			want: []string{`"allow_external_keys":false`}})
		reads(false, "external keys refused")
		if status, _ := f.do("GET", "/api/v1/properties/{p2}", credKeyAll, ""); status != 200 {
			t.Errorf("A's own key with external keys refused: %d, want 200", status)
		}
		f.run(t, scenario{method: "PUT", path: "/api/v1/organization", cred: credOwnerA, body: `{"organization":{"allow_external_keys":true}}`, status: 200})
		reads(true, "external keys allowed again")

		// B withdraws it: the refused use is in A's log too.
		if _, err := f.st.WithdrawAPIKey(ctx, f.ownerB, extID); err != nil {
			t.Fatal(err)
		}
		if status, _ := withKey("GET", "/api/v1/properties/{p2}"); status != 401 {
			t.Errorf("withdrawn external key: %d, want 401", status)
		}
		if got := keyEvents(t, f, credOwnerA, extID); !slices.Contains(got, keycard.AuditUseRefused) {
			t.Errorf("A's log of the external key = %v, want its refused use", got)
		}
	})
}

// keyEvents returns the events of a key in the audit log c reads.
func keyEvents(t *testing.T, f *fixture, c cred, keyID string) []string {
	t.Helper()
	status, body := f.do("GET", "/api/v1/audit_events?pagination[limit]=100&filter[api_key_id]="+keyID, c, "")
	if status != 200 {
		t.Fatalf("audit events: %d %s", status, body)
	}
	var list struct {
		Data []struct{ Attributes struct{ Event string } }
	}
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Data {
		out = append(out, e.Attributes.Event)
	}
	return out
}
