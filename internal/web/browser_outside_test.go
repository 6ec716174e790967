package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keycard/keycard/internal/keycard"
)

// TestBrowserBlockOutsideKey has the billing owner find a key from outside
// in its own section, block it through the Actions menu and its
// confirmation, and see it marked blocked; then the key's maker sees who
// blocked it; and the owner refuses every key from outside in the
// settings.
func TestBrowserBlockOutsideKey(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	extID, secret := inviteOther(t, f)
	ownID, _ := f.createKey(f.owner, "Own PMS", true)
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Fatalf("the key from outside on Alpha Hotel: got %d, want 200", got)
	}
	if err := f.auth.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)

	row := `#outside-keys-table tr[data-key-id="` + extID + `"]`
	b.do("wait for the keys from outside", chromedp.WaitVisible(chromedp.ID("outside-keys-heading")), chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot("outside-keys")
	if b.present(`#api-keys-table tr[data-key-id="` + extID + `"]`) {
		t.Error("the key from outside is in the list of the organisation's own keys")
	}
	if !b.present(`#api-keys-table tr[data-key-id="` + ownID + `"]`) {
		t.Error("the organisation's own key is not in its list")
	}
	for _, c := range []struct{ cell, want string }{
		{".key-name", "Vendor PMS"},
		{".key-maker", otherEmail},
		{".key-properties", "Alpha Hotel"},
		{".key-status", "Active"},
	} {
		if got := run(b, "read "+c.cell, chromedp.Text(chromedp.CSS(row+" "+c.cell))); got != c.want {
			t.Errorf("%s: got %q, want %q", c.cell, got, c.want)
		}
	}
	if got := run(b, "read the last use", chromedp.Text(chromedp.CSS(row+" .key-last-used"))); !strings.HasSuffix(got, "UTC") {
		t.Errorf("last used: got %q, want a date and time", got)
	}
	for _, action := range []string{"a.edit-key", "a.roll", "a.withdraw"} {
		if b.present(row + " " + action) {
			t.Errorf("the key from outside offers %s", action)
		}
	}

	// Block: the Actions menu, its Block entry, then the confirmation;
	// Escape first cancels it.
	dialog := chromedp.ID("block-" + extID)
	open := func() {
		t.Helper()
		b.do("open Block", chromedp.Click(chromedp.CSS(row+" summary")), chromedp.WaitVisible(chromedp.CSS(row+" a.block-key")),
			chromedp.Click(chromedp.CSS(row+" a.block-key")), chromedp.WaitVisible(dialog))
	}
	open()
	b.do("cancel with Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(dialog))
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Fatalf("after cancelling: the key on Alpha Hotel got %d, want 200", got)
	}
	open()
	b.shot("confirm-block")
	if !b.fits("block-" + extID) {
		t.Error("the block confirmation is cut off at its right edge")
	}
	if text := run(b, "read the confirmation", chromedp.Text(dialog)); !strings.Contains(text, "Alpha Hotel") {
		t.Errorf("the confirmation does not name the properties it blocks the key for: %q", text)
	}
	b.do("confirm", chromedp.Click(chromedp.CSS("#block-"+extID+" .confirm-block")), chromedp.WaitVisible(chromedp.ID("notice")))
	b.do("wait for the list", chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot("blocked")
	if got := run(b, "read the row", chromedp.AttributeValue(chromedp.CSS(row), "data-blocked")); got.Value != "true" {
		t.Errorf("data-blocked: got %q, want true", got.Value)
	}
	if got := run(b, "read the status", chromedp.Text(chromedp.CSS(row+" .key-status"))); !strings.Contains(got, "Blocked for your properties") {
		t.Errorf("status: got %q, want it marked blocked", got)
	}
	if !b.present(row + " a.unblock-key") {
		t.Error("the blocked key offers no Unblock")
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusNotFound {
		t.Errorf("the blocked key on Alpha Hotel: got %d, want 404", got)
	}

	if run(b, "measure the table", chromedp.Evaluate[bool](`document.getElementById("outside-keys-table").getBoundingClientRect().right > document.getElementById("outside-keys").getBoundingClientRect().right`)) {
		t.Error("the list of keys from outside is wider than its section")
	}
	b.do("narrow the window", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row)))
	if !run(b, "measure the page", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the page is wider than a phone's screen")
	}
	b.shot("blocked-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))

	// The maker sees who blocked the key, and the list still fits.
	b.signOut()
	b.signIn(otherEmail, otherPassword)
	mine := `#api-keys-table tr[data-key-id="` + extID + `"] .key-blocked`
	b.do("wait for the maker's list", chromedp.WaitVisible(chromedp.CSS(mine)))
	b.shot("maker")
	if got, want := run(b, "read the badge", chromedp.Text(chromedp.CSS(mine))), "Blocked by "+ownerOrgName+" for its properties"; got != want {
		t.Errorf("the maker's badge: got %q, want %q", got, want)
	}
	if run(b, "measure the table", chromedp.Evaluate[bool](`document.getElementById("api-keys-table").getBoundingClientRect().right > document.getElementById("api-keys").getBoundingClientRect().right`)) {
		t.Error("the maker's key list is wider than its section")
	}
	if b.present("#outside-keys") {
		t.Error("the maker sees a section of keys from outside")
	}

	// The owner refuses every key from outside.
	b.signOut()
	b.signIn(ownerEmail, ownerPassword)
	b.do("untick the setting", chromedp.Click(chromedp.ID("allow_external_keys")), chromedp.Click(chromedp.ID("save-settings")),
		chromedp.WaitVisible(chromedp.ID("settings-notice")))
	b.shot("settings")
	if got := run(b, "read the state", chromedp.Text(chromedp.ID("allow-external-state"))); !strings.Contains(got, "refused") {
		t.Errorf("setting state: got %q, want refused", got)
	}
	if run(b, "read the box", chromedp.Evaluate[bool](`document.getElementById("allow_external_keys").checked`)) {
		t.Error("the box is still ticked after saving it unticked")
	}
	o, err := f.st.Organization(context.Background(), f.orgID)
	if err != nil {
		t.Fatal(err)
	}
	if o.AllowExternalKeys {
		t.Error("allow_external_keys is still on")
	}
	if got := run(b, "read the note", chromedp.Text(chromedp.ID("outside-refused"))); !strings.Contains(got, "refused") {
		t.Errorf("the keys from outside are not said to be refused: %q", got)
	}
	b.noConsoleProblems()
}
