package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keycard/keycard/internal/apikey"
	"github.com/keycard/keycard/internal/keycard"
)

// noWrapJS lists the cells of the key list whose text runs over more than
// one line (text that a cell cuts short with an ellipsis does not).
const noWrapJS = `(() => {
  const bad = [];
  document.querySelectorAll("#api-keys-table th, #api-keys-table td").forEach(cell => {
    const tops = [];
    let lines = 0, height = 0;
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim() || n.parentElement.closest(".visually-hidden, dialog, details ul")) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      const rects = [...r.getClientRects()].filter(x => x.width > 0 && x.height > 0);
      if (rects.length > 1 && new Set(rects.map(x => Math.round(x.top))).size > 1) lines = 2;
      rects.forEach(x => { tops.push(x.top); height = Math.max(height, x.height); });
    }
    if (tops.length && Math.max(...tops) - Math.min(...tops) > height / 2) lines = 2;
    if (lines > 1) bad.push((cell.dataset.label || "Name") + ": " + cell.textContent.trim().replace(/\s+/g, " "));
  });
  return bad;
})()`

// TestBrowserKeyOptions creates a key with an expiry and an IP allow-list,
// narrows an all-properties key, rolls a key, filters the list and reads
// the Activity view, as a person would, and checks at 1280 px that no cell
// of the key list wraps, withdrawn rows included.
func TestBrowserKeyOptions(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	ctx := context.Background()
	allID, allSecret := f.createKey(f.owner, "Revenue manager for every hotel of the group", true)
	wdID, _ := f.createKey(f.owner, "Old channel manager integration", false, f.p1, f.p2)
	if _, err := f.st.WithdrawAPIKey(ctx, f.owner, wdID); err != nil {
		t.Fatal(err)
	}
	f.createKey(f.member, "Member's PMS", false, f.p1)
	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)

	// Create a key with an expiry and an IP allow-list.
	b.do("open the create form", chromedp.Click(chromedp.ID("create-key")), chromedp.WaitVisible(chromedp.ID("name")))
	b.do("fill the form",
		chromedp.SendKeys(chromedp.ID("name"), "Front desk PMS"),
		chromedp.SetValue(chromedp.ID("expires_in"), "30"),
		chromedp.SendKeys(chromedp.ID("ip_allowlist"), "127.0.0.1\n203.0.113.0/24"),
	)
	b.shot("create-with-options")
	b.do("create", chromedp.Click(chromedp.ID("create-submit")), chromedp.WaitVisible(chromedp.ID("new-key")))
	secret := run(b, "read the key", chromedp.Value(chromedp.ID("new-key")))
	if !apikey.Valid(apikey.KeyPrefix, secret) {
		t.Fatal("the page shows no valid API key")
	}
	// No empty gap above Done: it follows the copy row closely.
	if gap := run(b, "measure the gap above Done", chromedp.Evaluate[float64](`document.getElementById("new-key-done").getBoundingClientRect().top - document.querySelector(".copy-row").getBoundingClientRect().bottom`)); gap > 24 {
		t.Errorf("gap above Done: %.0f px, want at most 24", gap)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("the new key from an allowed address: got %d, want 200", got)
	}
	var created *keycard.APIKey
	for _, k := range f.keys() {
		if k.Name == "Front desk PMS" {
			created = k
		}
	}
	if created == nil || created.ExpiresAt == nil || created.ExpiresAt.Sub(created.CreatedAt).Hours() < 29*24 ||
		strings.Join(created.IPAllowlist, ",") != "127.0.0.1,203.0.113.0/24" {
		t.Fatalf("created key %+v, want a 30-day expiry and the two allowed addresses", created)
	}
	b.do("done", chromedp.Click(chromedp.ID("new-key-done")), chromedp.WaitVisible(chromedp.ID("api-keys-table")))
	row := func(id string) string { return `tr[data-key-id="` + id + `"]` }
	if got := run(b, "read the status", chromedp.Text(chromedp.CSS(row(created.ID)+" .key-status"))); !strings.Contains(got, "until") {
		t.Errorf("status of the new key: %q, want its expiry", got)
	}

	// Narrow the all-properties key to Alpha Hotel.
	openAction := func(id, class string) {
		t.Helper()
		b.do("open the Actions menu", chromedp.Click(chromedp.CSS(row(id)+" summary")), chromedp.WaitVisible(chromedp.CSS(row(id)+" a."+class)),
			chromedp.Click(chromedp.CSS(row(id)+" a."+class)))
	}
	openAction(allID, "edit-key")
	b.do("untick all properties", chromedp.WaitVisible(chromedp.ID("edit-form")), chromedp.Click(chromedp.ID("all")),
		chromedp.WaitVisible(chromedp.ID("property-"+f.p1)), chromedp.Click(chromedp.ID("property-"+f.p1)))
	b.shot("narrow")
	b.do("save", chromedp.Click(chromedp.ID("edit-submit")), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := f.apiStatus(allSecret, "/api/v1/properties/"+f.p2); got != http.StatusNotFound {
		t.Errorf("the narrowed key on Bravo Hotel: got %d, want 404", got)
	}
	if got := f.apiStatus(allSecret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("the narrowed key on Alpha Hotel: got %d, want 200", got)
	}

	// Roll it, keeping the old secret for an hour.
	openAction(allID, "roll")
	b.do("choose 1 hour", chromedp.WaitVisible(chromedp.ID("roll-form")), chromedp.Click(chromedp.ID("grace-3600")))
	b.do("roll", chromedp.Click(chromedp.ID("roll-submit")), chromedp.WaitVisible(chromedp.ID("new-key")))
	rolled := run(b, "read the new secret", chromedp.Value(chromedp.ID("new-key")))
	if note := run(b, "read the roll note", chromedp.Text(chromedp.ID("rolled-note"))); !strings.Contains(note, "keeps working until") {
		t.Errorf("roll note: %q", note)
	}
	b.shot("rolled")
	if rolled == allSecret || !apikey.Valid(apikey.KeyPrefix, rolled) {
		t.Fatal("the roll shows no new key")
	}
	for name, s := range map[string]string{"old": allSecret, "new": rolled} {
		if got := f.apiStatus(s, "/api/v1/properties/"+f.p1); got != http.StatusOK {
			t.Errorf("the %s secret after the roll: got %d, want 200", name, got)
		}
	}

	// The list filters: active by default, then withdrawn, then all.
	b.do("back to the list", chromedp.Click(chromedp.ID("new-key-done")), chromedp.WaitVisible(chromedp.ID("api-keys-table")))
	if b.present(row(wdID)) {
		t.Error("the default (active) list shows a withdrawn key")
	}
	b.do("show withdrawn", chromedp.Click(chromedp.ID("filter-withdrawn")), chromedp.WaitVisible(chromedp.CSS(row(wdID))))
	if b.present(row(allID)) {
		t.Error("the withdrawn filter shows an active key")
	}
	b.do("show all", chromedp.Click(chromedp.ID("filter-all")), chromedp.WaitVisible(chromedp.CSS(row(allID))), chromedp.WaitVisible(chromedp.CSS(row(wdID))))
	b.shot("all-keys")
	if bad := run(b, "measure the cells", chromedp.Evaluate[[]string](noWrapJS)); len(bad) > 0 {
		t.Errorf("cells of the key list wrap at 1280 px: %q", bad)
	}
	if run(b, "measure the table", chromedp.Evaluate[bool](`document.getElementById("api-keys-table").getBoundingClientRect().right > document.getElementById("api-keys").getBoundingClientRect().right`)) {
		t.Error("the key list is wider than its section")
	}

	// The Activity view of the rolled key.
	openAction(allID, "key-activity")
	b.do("wait for the activity", chromedp.WaitVisible(chromedp.ID("activity-table")))
	b.shot("activity")
	text := run(b, "read the activity", chromedp.Text(chromedp.ID("activity-table")))
	for _, want := range []string{"Created", "Changed", "Rolled", "you"} {
		if !strings.Contains(text, want) {
			t.Errorf("the key's activity lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "Front desk PMS") {
		t.Error("one key's activity shows another key's events")
	}
	b.do("all activity", chromedp.Navigate(f.srv.URL+"/organization/api-keys"), chromedp.Click(chromedp.ID("activity")),
		chromedp.WaitVisible(chromedp.ID("activity-table")))
	if text := run(b, "read all activity", chromedp.Text(chromedp.ID("activity-table"))); !strings.Contains(text, "Signed in") || !strings.Contains(text, "Front desk PMS") {
		t.Errorf("the Activity view lacks the sign-in or the new key: %s", text)
	}
	b.noConsoleProblems()
}
