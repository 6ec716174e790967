package web

import (
	"context"
	"html"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/tokens"
)

// TestWithdrawnKeysStayListed checks the default view of the key list: it
// lists every key, a withdrawn one marked, below the live ones whatever
// their age, and says "No API keys yet" only when there is no key at all.
func TestWithdrawnKeysStayListed(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	if got := elementText(c.get(pathAPIKeys).body, "no-keys"); got != "No API keys yet." {
		t.Errorf("the list of an organisation without keys says %q, want No API keys yet.", got)
	}

	onlyID, _ := f.createKey(f.owner, "Only key", true)
	if _, err := f.st.WithdrawAPIKey(ctx, f.owner, onlyID); err != nil {
		t.Fatal(err)
	}
	list := c.get(pathAPIKeys).body
	row := keyRowHTML(list, onlyID)
	if !strings.Contains(row, `data-status="withdrawn"`) || !strings.Contains(row, ">Withdrawn<") {
		t.Errorf("the default view of an organisation whose only key is withdrawn: row %q, want the key marked withdrawn", row)
	}
	if strings.Contains(list, "No API keys yet") {
		t.Error("the list says No API keys yet while its key is withdrawn")
	}
	if got := elementText(c.get(pathAPIKeys+"?status=active").body, "no-keys"); !strings.HasPrefix(got, "No active API keys.") {
		t.Errorf("the active filter without an active key says %q, want No active API keys.", got)
	}

	// An older live key is listed above the newer withdrawn one, and an
	// expired one between them.
	oldID, _ := f.createKey(f.owner, "Older live key", true)
	soon := time.Now().Add(time.Minute)
	expired, _, err := f.st.CreateKey(ctx, f.owner, store.NewAPIKey{Name: "Expired", AccessAllProperties: true, ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	f.st.SetClock(func() time.Time { return soon.Add(time.Hour) })
	newID, _ := f.createKey(f.owner, "Newer withdrawn key", true)
	if _, err := f.st.WithdrawAPIKey(ctx, f.owner, newID); err != nil {
		t.Fatal(err)
	}
	list = c.get(pathAPIKeys).body
	var order []string
	for _, m := range regexp.MustCompile(`<tr data-key-id="([^"]+)"`).FindAllStringSubmatch(list, -1) {
		order = append(order, m[1])
	}
	if want := []string{oldID, expired.ID, newID, onlyID}; !slices.Equal(order, want) {
		t.Errorf("got rows %q, want %q (live, expired, then withdrawn, newest first)", order, want)
	}
}

// uuidRe matches an id as keycard makes them.
var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestActivitySaysNames checks that the Activity page says every event's
// details in words, with names (key names, user emails, property and
// group titles), never raw JSON or ids.
func TestActivitySaysNames(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ipv6 := keycard.WithRequestInfo(ctx, keycard.RequestInfo{Addr: netip.MustParseAddr("2001:db8:85a3:1234:5678:8a2e:370:7334")})
	expires := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Minute)
	k, _, err := f.st.CreateKey(ipv6, f.owner, store.NewAPIKey{Name: "Front desk", PropertyIDs: []string{f.p1}, ReadOnly: true,
		ExpiresAt: &expires, IPAllowlist: []string{"203.0.113.0/24"}})
	must(err)
	_, err = f.st.UpdateAPIKey(ctx, f.owner, k.ID, store.APIKeyChange{Name: new("Front office"), PropertyIDs: []string{f.p1, f.p2},
		ReadOnly: new(false), IPAllowlist: []string{}, ExpiresAt: &time.Time{}})
	must(err)
	_, _, err = f.st.RollAPIKey(ctx, f.owner, k.ID, time.Hour)
	must(err)
	must(f.st.RecordKeyEvent(ctx, k.ID, keycard.AuditUseRefused, keycard.RefusedReadOnly))
	// The key puts Bravo Hotel into a new group, and takes it out.
	g, err := f.st.CreateGroup(ctx, f.owner, "Lisbon")
	must(err)
	all, allSecret := f.createKey(f.owner, "Channel manager", true)
	cred, err := f.st.KeyCredential(ctx, tokens.Hash(allSecret))
	must(err)
	must(f.st.AddPropertyToGroup(ctx, &cred.Principal, g.ID, f.p2))
	must(f.st.RemovePropertyFromGroup(ctx, &cred.Principal, g.ID, f.p2))
	_, err = f.st.WithdrawAPIKey(ctx, f.owner, all)
	must(err)
	member := f.client()
	member.signIn(memberEmail, memberPassword)

	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	body := c.get(pathActivity).body
	rows := regexp.MustCompile(`(?s)<tr data-event="([^"]+)">(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	said := map[string][]string{}
	for _, r := range rows {
		text := strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(r[2], " "))), " ")
		said[r[1]] = append(said[r[1]], text)
		if id := uuidRe.FindString(text); id != "" {
			t.Errorf("%s: the row shows the id %s: %s", r[1], id, text)
		}
		if strings.Contains(text, "{") {
			t.Errorf("%s: the row shows JSON: %s", r[1], text)
		}
	}
	for _, tt := range []struct{ event, want string }{
		{keycard.AuditCreated, "“Front desk”, for Alpha Hotel; read-only; expires " + formatTime(expires) + "; IP allow-list: 203.0.113.0/24"},
		{keycard.AuditCreated, "2001:db8:85a3:1234:5678:8a2e:370:7334"},
		{keycard.AuditChanged, "Name: “Front desk” → “Front office”; properties: Alpha Hotel → Alpha Hotel, Bravo Hotel; permissions: read-only → Full access; " +
			"IP allow-list: 203.0.113.0/24 → any address; expiry: " + formatTime(expires) + " → never"},
		{keycard.AuditRolled, "The old secret kept working for 1 hour"},
		{keycard.AuditUseRefused, "A change with a read-only key"},
		{keycard.AuditGroupPropertyAdded, "Channel manager the key itself"},
		{keycard.AuditGroupPropertyAdded, "Bravo Hotel put into the group “Lisbon”"},
		{keycard.AuditGroupPropertyRemoved, "Bravo Hotel taken out of the group “Lisbon”"},
		{keycard.AuditWithdrawn, "Channel manager you — —"},
		{keycard.AuditSignedIn, memberEmail},
	} {
		if !slices.ContainsFunc(said[tt.event], func(s string) bool { return strings.Contains(s, tt.want) }) {
			t.Errorf("no %s row says %q; got %q", tt.event, tt.want, said[tt.event])
		}
	}
}

// TestEveryEventHasWords checks that the Activity page names every event
// keycard records.
func TestEveryEventHasWords(t *testing.T) {
	for _, e := range keycard.AuditEvents {
		if eventWords[e] == "" {
			t.Errorf("event %s has no words on the Activity page", e)
		}
	}
}

// TestDismissLeak: a leaked key's banner stays on the Organisation page
// until the owner dismisses it; the dismissal says so, and it takes down
// that key's banner only.
func TestDismissLeak(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	leakedID, leaked := f.createKey(f.owner, "Leaked", true)
	otherID, other := f.createKey(f.owner, "Also leaked", true)
	if _, err := f.st.ReportLeaks(ctx, nil, []keycard.LeakReport{{Token: leaked}, {Token: other}}, true); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.signIn(ownerEmail, ownerPassword)
	if r := c.get(pathAPIKeys); !strings.Contains(r.body, `id="leak-`+leakedID+`"`) || !strings.Contains(r.body, `id="leak-`+otherID+`"`) {
		t.Fatalf("the list has no banner for each leaked key (status %d)", r.status)
	}
	r := c.post(pathAPIKeys+"/"+leakedID+"/dismiss-leak", url.Values{"csrf_token": {c.csrf(pathAPIKeys)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("dismiss: status %d, want 303", r.status)
	}
	r = c.get(r.header.Get("Location"))
	if strings.Contains(r.body, `id="leak-`+leakedID+`"`) {
		t.Error("the dismissed banner is still there")
	}
	if !strings.Contains(r.body, `id="leak-`+otherID+`"`) {
		t.Error("dismissing one banner took down another key's")
	}
	if got := elementText(r.body, "notice"); got != "The leak warning for API key “Leaked” was dismissed." {
		t.Errorf("notice = %q", got)
	}
	// Dismissed once is dismissed: a second try finds nothing to dismiss.
	if r := c.post(pathAPIKeys+"/"+leakedID+"/dismiss-leak", url.Values{"csrf_token": {c.csrf(pathAPIKeys)}}); r.status != http.StatusNotFound {
		t.Errorf("dismiss again: status %d, want 404", r.status)
	}
}
