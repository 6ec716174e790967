package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// TestKeyListFilterAndExpiryWarning checks the status filter and the
// warning about keys that expire within 7 days, without a script.
func TestKeyListFilterAndExpiryWarning(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	soon := time.Now().Add(3 * 24 * time.Hour)
	later := time.Now().Add(30 * 24 * time.Hour)
	soonKey, _, err := f.st.CreateKey(ctx, f.owner, store.NewAPIKey{Name: "Soon gone", AccessAllProperties: true, ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	laterKey, _, err := f.st.CreateKey(ctx, f.owner, store.NewAPIKey{Name: "Lasting", AccessAllProperties: true, ExpiresAt: &later})
	if err != nil {
		t.Fatal(err)
	}
	wdID, _ := f.createKey(f.owner, "Gone", true)
	if _, err := f.st.WithdrawAPIKey(ctx, f.owner, wdID); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)

	list := c.get("/organization/api-keys").body
	if got := elementText(list, "expiring"); !strings.Contains(got, "Soon gone") || strings.Contains(got, "Lasting") {
		t.Errorf("expiry warning: got %q, want it to name only the key expiring within 7 days", got)
	}
	row := func(id string) string { return `data-key-id="` + id + `"` }
	if !strings.Contains(list, row(soonKey.ID)) || !strings.Contains(list, row(laterKey.ID)) || !strings.Contains(list, row(wdID)) {
		t.Error("the default list does not show every key")
	}
	if a := c.get("/organization/api-keys?status=active").body; !strings.Contains(a, row(soonKey.ID)) || strings.Contains(a, row(wdID)) {
		t.Error("the active filter does not show exactly the active keys")
	}
	if w := c.get("/organization/api-keys?status=withdrawn").body; !strings.Contains(w, row(wdID)) || strings.Contains(w, row(soonKey.ID)) {
		t.Error("the withdrawn filter does not show exactly the withdrawn key")
	}
	if a := c.get("/organization/api-keys?status=all").body; !strings.Contains(a, row(wdID)) || !strings.Contains(a, row(soonKey.ID)) {
		t.Error("the All filter does not show every key")
	}
	if g := c.get("/organization/api-keys?status=%00nonsense").body; !strings.Contains(g, row(soonKey.ID)) || !strings.Contains(g, row(wdID)) {
		t.Error("an unknown filter does not fall back to every key")
	}

	// The create form refuses an expiry it does not offer, and keeps what
	// was typed.
	form := c.get("/organization/api-keys/new").body
	token := csrfRe.FindStringSubmatch(form)[1]
	r := c.post("/organization/api-keys", url.Values{"csrf_token": {token}, "name": {"X"}, "access_all_properties": {"true"},
		"expires_in": {"12"}, "ip_allowlist": {"10.0.0.0/33"}})
	if r.status != 422 || elementText(r.body, "expires-error") == "" || elementText(r.body, "ip-error") == "" || !strings.Contains(r.body, "10.0.0.0/33") {
		t.Errorf("bad expiry and allow-list: got status %d, want 422 with both fields' messages and the typed text", r.status)
	}
}
