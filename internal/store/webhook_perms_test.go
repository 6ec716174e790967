package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
	"github.com/keycard/keycard/internal/tokens"
)

// TestKeyWebhookHearsWhatItsKeyReads narrows the key that made a webhook
// and sees the webhook carry only what the key may still read: nothing
// a key makes outlives its access.
func TestKeyWebhookHearsWhatItsKeyReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		h := newHotel(t, cfg)
		ctx := context.Background()
		k, secret, err := h.st.CreateKey(ctx, h.owner, store.NewAPIKey{Name: "PMS", AccessAllProperties: true})
		if err != nil {
			t.Fatal(err)
		}
		cred, err := h.st.KeyCredential(ctx, tokens.Hash(secret))
		if err != nil {
			t.Fatal(err)
		}
		byKey, _ := newWebhook(t, h.st, &cred.Principal, keycard.Webhook{PropertyID: h.property, EventMask: "*", IsActive: true, SendData: true})
		byUser, _ := newWebhook(t, h.st, h.owner, keycard.Webhook{PropertyID: h.property, EventMask: "*", IsActive: true, SendData: true})

		narrow := keycard.Permissions{keycard.FamilyRestrictions: keycard.LevelRead}
		if _, err := h.st.UpdateAPIKey(ctx, h.owner, k.ID, store.APIKeyChange{Permissions: &narrow}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ApplyAvailability(ctx, h.owner, []*keycard.AvailabilityChange{
			{PropertyID: h.property, RoomTypeID: h.rt, Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Availability: 7},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ApplyRestrictions(ctx, h.owner, []*keycard.RestrictionChange{
			{PropertyID: h.property, RatePlanID: h.a.ID, Dates: keycard.Dates{From: h.d0, To: h.d0, Days: keycard.EveryDay}, Rate: json.RawMessage(`"99.00"`)},
		}); err != nil {
			t.Fatal(err)
		}
		if err := h.st.EnqueueRevisionForTest(ctx, keycard.RevisionNotice{PropertyID: h.property, BookingID: keycard.NewID(),
			RevisionID: keycard.NewID(), Status: "new"}); err != nil {
			t.Fatal(err)
		}

		summary := func(id string) []string {
			var out []string
			for _, d := range deliveries(t, h.st, h.owner, id) {
				ev := d["event"].(string)
				if ev == keycard.EventARI {
					for _, e := range d["payload"].([]any) {
						if e.(map[string]any)["rate_plan_id"] == nil {
							ev += "+availability"
						} else {
							ev += "+rate"
						}
					}
				}
				out = append(out, ev)
			}
			return out
		}
		if got := summary(byUser.ID); len(got) != 4 {
			t.Errorf("the user's webhook: %q, want availability, rate and two booking events", got)
		}
		if got := summary(byKey.ID); len(got) != 1 || got[0] != "ari+rate" {
			t.Errorf("the narrowed key's webhook: %q, want the rate change only", got)
		}
	})
}
