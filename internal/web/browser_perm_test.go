package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// apiCall calls the JSON API with a key and returns the status and body.
func (f *fixture) apiCall(key, method, path, body string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("user-api-key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestBrowserPermissions creates an RMS key from its preset, sees the
// grid follow the preset and the list summarise it, and then narrows it
// in the grid, which makes it custom.
func TestBrowserPermissions(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)

	checked := func(id string) bool {
		t.Helper()
		return run(b, "read #"+id, chromedp.Evaluate[bool](`document.getElementById(`+jsString(id)+`).checked`))
	}
	b.do("open the create form", chromedp.Click(chromedp.ID("create-key")), chromedp.WaitVisible(chromedp.ID("name")))
	if !checked("preset-full") || !checked("perm-channels-write") {
		t.Error("the create form does not start at full access")
	}
	b.do("choose the RMS preset", chromedp.SendKeys(chromedp.ID("name"), "Revenue manager"), chromedp.Click(chromedp.ID("preset-rms")))
	for id, want := range map[string]bool{"perm-restrictions-write": true, "perm-bookings-read": true, "perm-inventory-read": true,
		"perm-webhooks-none": true, "perm-channels-none": true, "perm-inventory-write": false} {
		if got := checked(id); got != want {
			t.Errorf("after choosing RMS, #%s checked = %v, want %v", id, got, want)
		}
	}
	b.shot("rms-preset")
	b.do("create", chromedp.Click(chromedp.ID("create-submit")), chromedp.WaitVisible(chromedp.ID("new-key")))
	secret := run(b, "read the key", chromedp.Value(chromedp.ID("new-key")))
	if !tokens.Valid(tokens.KeyPrefix, secret) {
		t.Fatal("the page shows no valid API key")
	}

	// The key is an RMS key on the API.
	keys := f.keys()
	if len(keys) != 1 || keys[0].Permissions != keycard.PresetRMS.Permissions {
		t.Fatalf("keys after create: %d, permissions %v; want one RMS key", len(keys), keys[0].Permissions)
	}
	if status, _ := f.apiCall(secret, "POST", "/api/v1/restrictions", `{"values":[]}`); status == http.StatusForbidden {
		t.Errorf("POST /restrictions with the RMS key: 403, want it let through")
	}
	status, body := f.apiCall(secret, "POST", "/api/v1/room_types", `{"room_type":{"property_id":"`+f.p1+`","title":"Suite"}}`)
	if status != http.StatusForbidden || !strings.Contains(body, "inventory: write required") {
		t.Errorf("POST /room_types with the RMS key: %d %s, want 403 naming inventory: write", status, body)
	}

	// The list says RMS.
	b.do("done", chromedp.Click(chromedp.ID("new-key-done")), chromedp.WaitNotPresent(chromedp.ID("new-key-panel")))
	row := `tr[data-key-id="` + keys[0].ID + `"]`
	if got := run(b, "read the summary", chromedp.Text(chromedp.CSS(row+" .perm-tag"))); got != "RMS" {
		t.Errorf("summary in the list: %q, want RMS", got)
	}

	// Edit: taking bookings away in the grid makes the choice Custom.
	b.do("open the Actions menu", chromedp.Click(chromedp.CSS(row+" summary")), chromedp.WaitVisible(chromedp.CSS(row+" a.edit-key")),
		chromedp.Click(chromedp.CSS(row+" a.edit-key")), chromedp.WaitVisible(chromedp.ID("edit-form")))
	if !checked("preset-rms") {
		t.Error("the edit form does not show the RMS preset")
	}
	b.do("take bookings away", chromedp.Click(chromedp.ID("perm-bookings-none")))
	if !checked("preset-custom") {
		t.Error("a change in the grid did not choose Custom")
	}
	b.shot("custom")
	b.do("save", chromedp.Click(chromedp.ID("edit-submit")), chromedp.WaitVisible(chromedp.ID("notice")))
	want := keycard.PresetRMS.Permissions
	want[keycard.FamilyBookings] = keycard.LevelNone
	if got := f.keys()[0].Permissions; got != want {
		t.Errorf("after the edit: %v, want %v", got, want)
	}
	if got := f.apiStatus(secret, "/api/v1/bookings"); got != http.StatusForbidden {
		t.Errorf("GET /bookings after bookings were taken away: %d, want 403", got)
	}
	if got := run(b, "read the summary", chromedp.Text(chromedp.CSS(row+" .perm-tag"))); got != "custom" {
		t.Errorf("summary in the list after the edit: %q, want custom", got)
	}
}
