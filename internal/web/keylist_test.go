package web

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
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
