package web

import (
	"context"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/tokens"
)

// noWrapJS lists the texts of the key list that run over more than one
// line: a name, an address or a date broken in two. Text that a cell cuts
// short with an ellipsis does not, nor do the lines a cell stacks on
// purpose (a status above its time).
const noWrapJS = `(() => {
  const bad = [];
  document.querySelectorAll("#api-keys-table th, #api-keys-table td").forEach(cell => {
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim() || n.parentElement.closest(".visually-hidden, dialog, details ul")) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      const rects = [...r.getClientRects()].filter(x => x.width > 0 && x.height > 0);
      if (new Set(rects.map(x => Math.round(x.top))).size > 1) bad.push((cell.dataset.label || "Name") + ": " + n.textContent.trim());
    }
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
	if !tokens.Valid(tokens.KeyPrefix, secret) {
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
	b.do("done", chromedp.Click(chromedp.ID("new-key-done")), chromedp.WaitNotPresent(chromedp.ID("new-key-panel")))
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
	if rolled == allSecret || !tokens.Valid(tokens.KeyPrefix, rolled) {
		t.Fatal("the roll shows no new key")
	}
	for name, s := range map[string]string{"old": allSecret, "new": rolled} {
		if got := f.apiStatus(s, "/api/v1/properties/"+f.p1); got != http.StatusOK {
			t.Errorf("the %s secret after the roll: got %d, want 200", name, got)
		}
	}

	// The list shows every key by default; the filters narrow it.
	b.do("back to the list", chromedp.Click(chromedp.ID("new-key-done")), chromedp.WaitNotPresent(chromedp.ID("new-key-panel")),
		chromedp.WaitVisible(chromedp.CSS(row(wdID))))
	// The filtered page is the one that marks its filter current.
	b.do("show active", chromedp.Click(chromedp.ID("filter-active")), chromedp.WaitVisible(chromedp.CSS(`#filter-active[aria-current="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(allID))))
	if b.present(row(wdID)) {
		t.Error("the active filter shows a withdrawn key")
	}
	b.do("show withdrawn", chromedp.Click(chromedp.ID("filter-withdrawn")), chromedp.WaitVisible(chromedp.CSS(`#filter-withdrawn[aria-current="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(wdID))))
	if b.present(row(allID)) {
		t.Error("the withdrawn filter shows an active key")
	}
	b.do("show all", chromedp.Click(chromedp.ID("filter-all")), chromedp.WaitVisible(chromedp.CSS(`#filter-all[aria-current="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(allID))), chromedp.WaitVisible(chromedp.CSS(row(wdID))))
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

// TestBrowserEveryKeyListed checks the key list as a person sees it at
// 1280 px: a withdrawn key, even the organisation's only one, shows in the
// default view, marked and greyed, below the live ones; a 40-character name
// shows whole, its badges beside it; a "Created by" column appears once a
// second person makes a key; the last use says its time; and the Activity
// page names what it shows, its addresses on one line.
func TestBrowserEveryKeyListed(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	ctx := context.Background()
	onlyID, _ := f.createKey(f.owner, "Retired booking engine", true)
	if _, err := f.st.WithdrawAPIKey(ctx, f.owner, onlyID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)
	row := func(id string) string { return `tr[data-key-id="` + id + `"]` }

	// The only key, withdrawn: listed, with its mark.
	b.do("wait for the list", chromedp.WaitVisible(chromedp.CSS(row(onlyID))))
	b.shot("only-key-withdrawn")
	if got := run(b, "read its status", chromedp.Text(chromedp.CSS(row(onlyID)+" .key-status"))); !strings.HasPrefix(got, "Withdrawn") {
		t.Errorf("status of the withdrawn key in the default view: got %q, want Withdrawn", got)
	}
	if b.present("#no-keys") {
		t.Error("the default view says there is no key while its one key is withdrawn")
	}

	// A key with a 40-character name and both badges, used once; a key of
	// the member's; and an address of another kind in the log.
	const longName = "Channel manager for the Lisbon portfolio"
	if len(longName) != 40 {
		t.Fatalf("the long name has %d characters, want 40", len(longName))
	}
	ipv6 := keycard.WithRequestInfo(ctx, keycard.RequestInfo{Addr: netip.MustParseAddr("2001:db8:85a3:1234:5678:8a2e:370:7334")})
	long, secret, err := f.st.CreateKey(ipv6, f.owner, store.NewAPIKey{Name: longName, AccessAllProperties: true, ReadOnly: true,
		IPAllowlist: []string{"127.0.0.1", "::1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.apiStatus(secret, "/api/v1/properties"); got != http.StatusOK {
		t.Fatalf("the long-named key: got %d, want 200", got)
	}
	if err := f.auth.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	memberID, _ := f.createKey(f.member, "Member's PMS", false, f.p1)
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row(long.ID))))
	b.shot("list-1280")

	// The name is whole, the badges beside it in view.
	name := row(long.ID) + " .name-text"
	if got := run(b, "read the name", chromedp.Text(chromedp.CSS(name))); got != longName {
		t.Errorf("name: got %q, want %q", got, longName)
	}
	if !run(b, "measure the name", chromedp.Evaluate[bool](`(() => {
		const e = document.querySelector(`+jsString(name)+`), cell = e.closest("th").getBoundingClientRect(), r = e.getBoundingClientRect();
		return e.scrollWidth <= e.clientWidth && r.left >= cell.left && r.right <= cell.right;
	})()`)) {
		t.Errorf("the 40-character name %q is cut short at 1280 px", longName)
	}
	if got := run(b, "look at the badges", chromedp.Evaluate[[]string](`[...document.querySelectorAll(`+jsString(row(long.ID)+" .tag")+`)].filter(t => {
		const r = t.getBoundingClientRect(), cell = t.closest("th").getBoundingClientRect();
		return r.width > 0 && r.left >= cell.left && r.right <= cell.right &&
			document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === t;
	}).map(t => t.textContent)`)); !slices.Equal(got, []string{"read-only", "IP"}) {
		t.Errorf("badges in view: got %q, want read-only and IP", got)
	}

	// Who made each key, and when the long one was last used.
	if got := run(b, "read the member's key's maker", chromedp.Text(chromedp.CSS(row(memberID)+" .key-maker"))); got != memberEmail {
		t.Errorf("Created by of the member's key: got %q, want %s", got, memberEmail)
	}
	if got := run(b, "read the last use", chromedp.Text(chromedp.CSS(row(long.ID)+" .key-last-used"))); !regexp.MustCompile(`\d{2}:\d{2} UTC`).MatchString(got) {
		t.Errorf("last used: got %q, want a time", got)
	}

	// The withdrawn key is below the live ones, and greyed.
	order := run(b, "read the order", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#api-keys-table tbody tr")].map(r => r.dataset.status)`))
	if len(order) != 3 || order[2] != keycard.KeyWithdrawn {
		t.Errorf("rows by status: %q, want the withdrawn key last", order)
	}
	grey := `(sel => getComputedStyle(document.querySelector(sel)).color)`
	if live, wd := run(b, "read a live name's colour", chromedp.Evaluate[string](grey+`(`+jsString(name)+`)`)),
		run(b, "read the withdrawn name's colour", chromedp.Evaluate[string](grey+`(`+jsString(row(onlyID)+" .name-text")+`)`)); live == wd {
		t.Errorf("the withdrawn key's name has the live names' colour %s, want it greyed", wd)
	}

	if bad := run(b, "measure the cells", chromedp.Evaluate[[]string](noWrapJS)); len(bad) > 0 {
		t.Errorf("texts of the key list wrap at 1280 px: %q", bad)
	}
	if run(b, "measure the table", chromedp.Evaluate[bool](`document.getElementById("api-keys-table").getBoundingClientRect().right > document.getElementById("api-keys").getBoundingClientRect().right`)) {
		t.Error("the key list is wider than its section")
	}

	// The Activity page: names, not ids or JSON; addresses on one line.
	b.do("open the activity", chromedp.Click(chromedp.ID("activity")), chromedp.WaitVisible(chromedp.ID("activity-table")))
	b.shot("activity-1280")
	text := run(b, "read the activity", chromedp.Text(chromedp.ID("activity-table")))
	if id := uuidRe.FindString(text); id != "" {
		t.Errorf("the Activity page shows the id %s", id)
	}
	for _, want := range []string{longName, "Retired booking engine", "Member's PMS", memberEmail, "2001:db8:85a3:1234:5678:8a2e:370:7334", "read-only"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Activity page lacks %q", want)
		}
	}
	if strings.Contains(text, "{") {
		t.Errorf("the Activity page shows JSON: %s", text)
	}
	if wrapped := run(b, "measure the addresses", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#activity-table td.ip code")].filter(c =>
		new Set([...c.getClientRects()].map(r => Math.round(r.top))).size > 1).map(c => c.textContent)`)); len(wrapped) > 0 {
		t.Errorf("addresses wrap on the Activity page: %q", wrapped)
	}
	b.noConsoleProblems()
}
