package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// Names of the fixture's organisations, as keycard names them.
const (
	ownerOrgName = "Olivia Owner's organisation"
	otherOrgName = "other's organisation"
)

// section returns the HTML of the section with the given id, or "".
func section(body, id string) string {
	i := strings.Index(body, `<section class="card" id="`+id+`"`)
	if i < 0 {
		return ""
	}
	end := strings.Index(body[i:], "</section>")
	if end < 0 {
		return ""
	}
	return body[i : i+end]
}

// keyRowHTML returns the HTML of a key's row in a list, or "".
func keyRowHTML(list, keyID string) string {
	i := strings.Index(list, `<tr data-key-id="`+keyID+`"`)
	if i < 0 {
		return ""
	}
	end := strings.Index(list[i:], "</tr>")
	if end < 0 {
		return ""
	}
	return html.UnescapeString(list[i : i+end])
}

// inviteOther makes the other organisation's owner a property user of
// Alpha Hotel, and gives them a key for all their properties, which so
// reaches Alpha Hotel from outside.
func inviteOther(t *testing.T, f *fixture) (id, secret string) {
	t.Helper()
	if _, err := f.st.Invite(context.Background(), store.PropertyUsers, f.owner, f.p1, otherEmail, keycard.RoleUser, nil); err != nil {
		t.Fatal(err)
	}
	return f.createKey(f.other, "Vendor PMS", true)
}

// TestOutsideKeysList checks what the billing owner sees of a key from
// outside: its own section, with its maker, the organisation's properties
// it reaches (by title) and its last use, and no action but Block and
// Activity; and that the pages that manage a key refuse it.
func TestOutsideKeysList(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	ownID, _ := f.createKey(f.owner, "Own PMS", true)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	if body := c.get(pathAPIKeys).body; section(body, "outside-keys") != "" {
		t.Fatal("the section of keys from outside shows while there is none")
	}

	extID, secret := inviteOther(t, f)
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Fatalf("the key from outside on Alpha Hotel: got %d, want 200", got)
	}
	if err := f.auth.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := c.get(pathAPIKeys)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: got status %d, want 200", pathAPIKeys, r.status)
	}
	outside, own := section(r.body, "outside-keys"), section(r.body, "api-keys")
	if keyRowHTML(own, extID) != "" {
		t.Error("the key from outside is in the list of the organisation's own keys")
	}
	if keyRowHTML(own, ownID) == "" || keyRowHTML(outside, ownID) != "" {
		t.Error("the organisation's own key is not in its own list only")
	}
	row := keyRowHTML(outside, extID)
	if row == "" {
		t.Fatalf("the section of keys from outside has no row for the key:\n%s", outside)
	}
	for _, want := range []string{"Keys from other organisations"} {
		if !strings.Contains(outside, want) {
			t.Errorf("the section lacks %q", want)
		}
	}
	for _, want := range []string{"Vendor PMS", otherEmail, "Alpha Hotel", "Active", "UTC", `class="block-key"`, `action="/organization/api-keys/` + extID + `/block"`, `name="csrf_token"`} {
		if !strings.Contains(row, want) {
			t.Errorf("the key's row lacks %q:\n%s", want, row)
		}
	}
	// Only the properties of the organisation, never the key's own ones;
	// titles, not ids; and no way to manage it.
	for _, unwanted := range []string{"Bravo Hotel", "Charlie Hotel", f.p1, "/edit", "/roll", "/withdraw", "Never"} {
		if strings.Contains(row, unwanted) {
			t.Errorf("the key's row shows %q:\n%s", unwanted, row)
		}
	}

	for _, path := range []string{"/edit", "/roll", "/withdraw"} {
		if got := c.get("/organization/api-keys/" + extID + path).status; got != http.StatusNotFound {
			t.Errorf("GET %s of the key from outside: got status %d, want 404", path, got)
		}
	}
	token := c.csrf(pathAPIKeys)
	if got := c.post("/organization/api-keys/"+extID+"/withdraw", url.Values{"csrf_token": {token}}).status; got != http.StatusNotFound {
		t.Errorf("withdraw the key from outside: got status %d, want 404", got)
	}
	// Blocking is for keys from outside; one's own key is withdrawn.
	if got := c.get("/organization/api-keys/" + ownID + "/block").status; got != http.StatusNotFound {
		t.Errorf("GET the block page of an own key: got status %d, want 404", got)
	}
	if got := c.post("/organization/api-keys/"+ownID+"/block", url.Values{"csrf_token": {token}}).status; got != http.StatusUnprocessableEntity {
		t.Errorf("block an own key: got status %d, want 422", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("the key from outside after refused actions: got %d, want 200", got)
	}

	// The member, who is not the billing owner, sees no key from outside
	// (in staging, where the member sees the key list at all).
	sf := newFixture(t, keycard.ModeStaging, true)
	inviteOther(t, sf)
	mc := sf.client()
	mc.signIn(memberEmail, memberPassword)
	if body := mc.get(pathAPIKeys).body; strings.Contains(body, "Vendor PMS") || section(body, "outside-keys") != "" {
		t.Error("a user who is not the billing owner sees a key from outside")
	}
}

// TestBlockOutsideKey blocks a key from outside through the page, checks
// that the key's maker sees the block on their side, and unblocks it
// through the confirmation page that works without a script.
func TestBlockOutsideKey(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	extID, secret := inviteOther(t, f)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	maker := f.client()
	maker.signIn(otherEmail, otherPassword)
	blocked := func() bool {
		t.Helper()
		k, err := f.st.APIKey(context.Background(), f.owner, extID)
		if err != nil {
			t.Fatal(err)
		}
		return len(k.Blocks) > 0
	}
	badge := "Blocked by " + ownerOrgName + " for its properties"

	token := c.csrf(pathAPIKeys)
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"without a token", url.Values{}},
		{"with the maker's token", url.Values{"csrf_token": {maker.csrf(pathAPIKeys)}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.post("/organization/api-keys/"+extID+"/block", tt.form).status; got != http.StatusForbidden {
				t.Errorf("got status %d, want 403", got)
			}
			if blocked() {
				t.Error("the key was blocked")
			}
		})
	}
	// The maker can neither block their own key nor unblock it.
	mtoken := maker.csrf(pathAPIKeys)
	if got := maker.post("/organization/api-keys/"+extID+"/block", url.Values{"csrf_token": {mtoken}}).status; got != http.StatusUnprocessableEntity {
		t.Errorf("the maker blocks their own key: got status %d, want 422", got)
	}

	r := c.post("/organization/api-keys/"+extID+"/block", url.Values{"csrf_token": {token}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("block: got status %d, want 303", r.status)
	}
	if !blocked() {
		t.Fatal("the key is not blocked after the block")
	}
	page := c.get(r.header.Get("Location"))
	if got := elementText(page.body, "notice"); !strings.Contains(got, "“Vendor PMS” is blocked") {
		t.Errorf("notice: got %q, want it to say the key is blocked", got)
	}
	row := keyRowHTML(section(page.body, "outside-keys"), extID)
	for _, want := range []string{`data-blocked="true"`, "Blocked for your properties", `action="/organization/api-keys/` + extID + `/unblock"`} {
		if !strings.Contains(row, want) {
			t.Errorf("the blocked key's row lacks %q:\n%s", want, row)
		}
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusNotFound {
		t.Errorf("the blocked key on Alpha Hotel: got %d, want 404", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.pOther); got != http.StatusOK {
		t.Errorf("the blocked key on its own organisation's Charlie Hotel: got %d, want 200", got)
	}
	if mine := keyRowHTML(section(maker.get(pathAPIKeys).body, "api-keys"), extID); !strings.Contains(mine, badge) {
		t.Errorf("the maker's row of the key lacks %q:\n%s", badge, mine)
	}

	// Unblock without a script: the confirmation page, then its form.
	confirm := c.get("/organization/api-keys/" + extID + "/unblock")
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `action="/organization/api-keys/`+extID+`/unblock"`) {
		t.Fatalf("unblock confirmation page: got status %d; want 200 with the form", confirm.status)
	}
	if !blocked() {
		t.Fatal("the confirmation page unblocked the key")
	}
	if r := c.post("/organization/api-keys/"+extID+"/unblock", url.Values{"csrf_token": {token}}); r.status != http.StatusSeeOther {
		t.Fatalf("unblock: got status %d, want 303", r.status)
	}
	if blocked() {
		t.Fatal("the key is still blocked after the unblock")
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("the unblocked key on Alpha Hotel: got %d, want 200", got)
	}
	if mine := maker.get(pathAPIKeys).body; strings.Contains(html.UnescapeString(mine), badge) {
		t.Error("the maker still sees the block after the unblock")
	}

	// Both logs say it in words, not in JSON.
	for _, tt := range []struct {
		name string
		c    *client
		want []string
	}{
		{"the blocking organisation", c, []string{"Blocked for an organisation's properties", "Unblocked for an organisation's properties", "For your organisation's properties"}},
		{"the key's organisation", maker, []string{"Blocked for an organisation's properties", "By " + ownerOrgName + ", for its properties"}},
	} {
		t.Run("activity of "+tt.name, func(t *testing.T) {
			body := html.UnescapeString(tt.c.get(pathActivity).body)
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("the Activity page lacks %q", want)
				}
			}
			if strings.Contains(body, `"organization_id"`) {
				t.Error("the Activity page shows a block's details as JSON")
			}
		})
	}
}

// TestAllowExternalKeysSetting turns the organisation's setting off and on
// through its form, and checks that only the billing owner, with the
// form's CSRF token, may.
func TestAllowExternalKeysSetting(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	_, secret := inviteOther(t, f)
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	allowed := func() bool {
		t.Helper()
		o, err := f.st.Organization(context.Background(), f.orgID)
		if err != nil {
			t.Fatal(err)
		}
		return o.AllowExternalKeys
	}

	settings := section(c.get(pathAPIKeys).body, "org-settings")
	for _, want := range []string{`action="/organization/settings"`, `name="allow_external_keys" value="true" checked`, "keys from other organisations are allowed"} {
		if !strings.Contains(settings, want) {
			t.Errorf("the settings lack %q:\n%s", want, settings)
		}
	}
	token := c.csrf(pathAPIKeys)

	member := f.client()
	member.signIn(memberEmail, memberPassword)
	if body := member.get(pathAPIKeys).body; section(body, "org-settings") != "" {
		t.Error("a user who is not the billing owner sees the settings form")
	}
	for _, tt := range []struct {
		name string
		c    *client
		form url.Values
	}{
		{"without a token", c, url.Values{}},
		{"with another user's token", c, url.Values{"csrf_token": {member.csrf("/properties")}}},
		{"by a user who is not the billing owner", member, url.Values{"csrf_token": {member.csrf("/properties")}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.post("/organization/settings", tt.form).status; got != http.StatusForbidden {
				t.Errorf("got status %d, want 403", got)
			}
			if !allowed() {
				t.Error("the setting changed")
			}
		})
	}

	for _, tt := range []struct {
		name   string
		form   url.Values
		want   bool
		status int // of the key from outside on Alpha Hotel
		state  string
		detail string
	}{
		{"off", url.Values{"csrf_token": {token}}, false, http.StatusNotFound, "keys from other organisations are refused",
			"Allow keys from other organisations: on → off"},
		{"on", url.Values{"csrf_token": {token}, "allow_external_keys": {"true"}}, true, http.StatusOK, "keys from other organisations are allowed",
			"Allow keys from other organisations: off → on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post("/organization/settings", tt.form)
			if r.status != http.StatusSeeOther {
				t.Fatalf("save: got status %d, want 303", r.status)
			}
			if got := allowed(); got != tt.want {
				t.Errorf("allow_external_keys: got %v, want %v", got, tt.want)
			}
			page := c.get(r.header.Get("Location"))
			if got := elementText(page.body, "settings-notice"); !strings.Contains(got, "saved") {
				t.Errorf("settings notice: got %q, want it to say saved", got)
			}
			if got := elementText(page.body, "allow-external-state"); !strings.Contains(got, tt.state) {
				t.Errorf("state: got %q, want %q", got, tt.state)
			}
			if got := elementText(page.body, "outside-refused") != ""; got == tt.want {
				t.Errorf("the keys from outside said to be refused: %v, with the setting %v", got, tt.want)
			}
			if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != tt.status {
				t.Errorf("the key from outside on Alpha Hotel: got %d, want %d", got, tt.status)
			}
			body := html.UnescapeString(c.get(pathActivity).body)
			if !strings.Contains(body, "Organisation settings changed") || !strings.Contains(body, tt.detail) {
				t.Errorf("the Activity page lacks the change %q", tt.detail)
			}
			if strings.Contains(body, `"allow_external_keys"`) {
				t.Error("the Activity page shows the change as JSON")
			}
		})
	}
	if got := c.post("/organization/settings", url.Values{"csrf_token": {token}, "allow_external_keys": {"maybe"}}).status; got != http.StatusUnprocessableEntity {
		t.Errorf("a value no checkbox sends: got status %d, want 422", got)
	}
	if !allowed() {
		t.Error("a bad value changed the setting")
	}
}

// TestActivityWebhookWords checks that the Activity page says what a
// webhook's events are about in words.
func TestActivityWebhookWords(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	w, _, err := f.st.CreateWebhook(ctx, f.owner, &keycard.Webhook{PropertyID: f.p1, EventMask: "*", CallbackURL: "https://hooks.example.com/a", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateWebhook(ctx, f.owner, w.ID, &keycard.WebhookChange{CallbackURL: new("https://hooks.example.com/b")}, nil); err != nil {
		t.Fatal(err)
	}
	all, _, err := f.st.CreateWebhook(ctx, f.owner, &keycard.Webhook{EventMask: "*", CallbackURL: "https://hooks.example.com/all", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteWebhook(ctx, f.owner, all.ID); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	body := html.UnescapeString(c.get(pathActivity).body)
	for _, want := range []string{
		"Webhook created", "Webhook to hooks.example.com for Alpha Hotel",
		"Webhook changed", "Webhook to hooks.example.com for Alpha Hotel; changed: callback url",
		// Gone, it has no address to say.
		"Webhook deleted", "A webhook for all properties",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the Activity page lacks %q", want)
		}
	}
	for _, id := range []string{w.ID, all.ID} {
		if strings.Contains(body, id) {
			t.Errorf("the Activity page shows the webhook id %s", id)
		}
	}
	if strings.Contains(body, `"webhook_id"`) {
		t.Error("the Activity page shows a webhook's details as JSON")
	}
}
