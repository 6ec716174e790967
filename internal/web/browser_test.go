package web

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// chromiumPath is where Debian's chromium package puts the browser;
// scripts/services.sh installs it when it is missing.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds everything one browser test does in the browser.
const browserTimeout = 60 * time.Second

// browser is a headless Chromium driven as a person would use it: by
// typing, clicking and pressing keys, then waiting for what the page
// shows.
type browser struct {
	t *testing.T
	// ctx bounds the test's actions; browserCtx is the browser's own
	// context, alive until the test ends.
	ctx, browserCtx context.Context
	base            string
	// shots are screenshots taken at the milestones of the test, written
	// to the test's artifact directory only if it fails.
	shots []screenshot

	mu sync.Mutex
	// problems are the console errors and uncaught exceptions of the pages:
	// a CSP violation or a broken script shows up here.
	problems []string
}

type screenshot struct {
	name string
	png  []byte
}

// newBrowser starts Chromium for one test; it closes when the test ends.
// Without Chromium the test is skipped, except in CI (CI set), where the
// browser tests must run.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing, and CI must run the browser tests (scripts/services.sh installs Debian's chromium)", chromiumPath)
		}
		t.Skipf("%s is missing: install Debian's chromium package to run the browser tests", chromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // the tests run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
		chromedp.WindowSize(1280, 900),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// The browser lives as long as browserCtx, which has no deadline; the
	// test's actions get one.
	if err := chromedp.Do(browserCtx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, browserTimeout)
	b := &browser{t: t, ctx: ctx, browserCtx: browserCtx, base: base}

	console := chromedp.Console(browserCtx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range console {
			if err != nil {
				return
			}
			// A 4xx page is logged as a failed load ("network"): the gate
			// and the validation errors answer so on purpose.
			if m.IsException() || m.Type == chromedp.ConsoleError && m.Source != "network" {
				b.mu.Lock()
				b.problems = append(b.problems, m.String())
				b.mu.Unlock()
			}
		}
	}()

	t.Cleanup(func() {
		if t.Failed() {
			b.saveScreenshots()
		}
		cancel()
		// Close the browser gracefully and wait for it, before the test's
		// temporary directory (its profile) is removed.
		if err := chromedp.Cancel(browserCtx); err != nil {
			t.Logf("close chromium: %v", err)
		}
		cancelBrowser()
		cancelAlloc()
		<-consoleDone
	})
	return b
}

// do runs actions, failing the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// run runs one action that returns a value, failing the test on error.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// present reports whether the page has an element matching the CSS
// selector, without waiting for one.
func (b *browser) present(selector string) bool {
	b.t.Helper()
	return run(b, "look for "+selector, chromedp.Evaluate[bool](`document.querySelector(`+jsString(selector)+`) !== null`))
}

// fits reports whether the element with the given id shows all its
// content, none of it cut off at its right edge.
func (b *browser) fits(id string) bool {
	b.t.Helper()
	return run(b, "measure #"+id, chromedp.Evaluate[bool](`(() => { const e = document.getElementById(`+jsString(id)+`); return e.scrollWidth <= e.clientWidth; })()`))
}

// shot takes a screenshot of the whole page, kept for a failure report.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.shots = append(b.shots, screenshot{name, png})
}

// saveScreenshots writes the milestone screenshots and one of the page as
// it is now to the test's artifact directory (kept with go test -artifacts).
func (b *browser) saveScreenshots() {
	// The test's own context may be what ran out.
	ctx, cancel := context.WithTimeout(b.browserCtx, 10*time.Second)
	defer cancel()
	shots := b.shots
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		shots = append(shots, screenshot{"at-failure", png})
	}
	dir := b.t.ArtifactDir()
	for i, s := range shots {
		name := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, s.name))
		if err := os.WriteFile(name, s.png, 0o644); err != nil {
			b.t.Logf("write screenshot: %v", err)
			continue
		}
		b.t.Logf("screenshot: %s", name)
	}
	b.mu.Lock()
	for _, p := range b.problems {
		b.t.Logf("browser console: %s", p)
	}
	b.mu.Unlock()
}

// noConsoleProblems fails the test if a page logged an error or threw.
func (b *browser) noConsoleProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser console: %s", p)
	}
}

// signIn signs in through the form, with the keyboard: the password field's
// Enter submits it.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.do("sign in as "+email,
		chromedp.Navigate(b.base+"/organization/api-keys"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("api-keys-heading")),
	)
}

func (b *browser) signOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("email")))
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestBrowserKeyLifecycle creates a restricted key in the UI, uses it on the
// API, and withdraws it in the UI.
func TestBrowserKeyLifecycle(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	b := newBrowser(t, f.srv.URL)

	b.signIn(ownerEmail, ownerPassword)
	b.shot("empty-list")

	// The create form: unticking "Access to all properties" reveals the
	// organisation's properties.
	p1Box, p2Box := chromedp.ID("property-"+f.p1), chromedp.ID("property-"+f.p2)
	b.do("open the create form",
		chromedp.Click(chromedp.ID("create-key")),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	if run(b, "is the property list shown", chromedp.Evaluate[bool](`document.getElementById("property-choice").offsetParent !== null`)) {
		t.Error("the property list shows while Access to all properties is ticked")
	}
	b.do("choose one property",
		chromedp.SendKeys(chromedp.ID("name"), "Channel PMS"),
		chromedp.Click(chromedp.ID("all")),
		chromedp.WaitVisible(p1Box),
		chromedp.WaitVisible(p2Box),
		chromedp.Click(p1Box),
	)
	b.shot("create-form")

	// The key is shown once.
	b.do("create", chromedp.Click(chromedp.ID("create-submit")), chromedp.WaitVisible(chromedp.ID("new-key")))
	secret := run(b, "read the key", chromedp.Value(chromedp.ID("new-key")))
	b.shot("shown-once")
	if !tokens.Valid(tokens.KeyPrefix, secret) {
		t.Fatal("the page shows no valid API key")
	}
	warning := run(b, "read the warning", chromedp.Text(chromedp.ID("new-key-panel")))
	for _, want := range []string{"Copy the key and keep it in a safe place.", "It will only be shown once", "if you lose it, generate a new one"} {
		if !strings.Contains(warning, want) {
			t.Errorf("the panel lacks %q", want)
		}
	}
	b.do("copy", chromedp.Click(chromedp.ID("copy-key")))
	if got := run(b, "wait for the copy status", chromedp.Poll[string](`document.getElementById("copy-status").textContent`)); got == "" {
		t.Error("Copy says nothing")
	}

	// The key works on the API, for its property only.
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
		t.Errorf("GET the key's property: got %d, want 200", got)
	}
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p2); got != http.StatusNotFound {
		t.Errorf("GET another property: got %d, want 404", got)
	}

	// Reloading shows the list, neither the key nor a second one.
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("api-keys-table")))
	if b.present("#new-key") {
		t.Error("the key is shown again after a reload")
	}
	keys := f.keys()
	if len(keys) != 1 {
		t.Fatalf("got %d keys after the reload, want 1", len(keys))
	}
	row := `tr[data-key-id="` + keys[0].ID + `"]`
	if got := run(b, "read the properties column", chromedp.Text(chromedp.CSS(row+" .key-properties"))); got != "Alpha Hotel" {
		t.Errorf("properties column: got %q, want Alpha Hotel", got)
	}
	if got := run(b, "read the masked key", chromedp.Text(chromedp.CSS(row+` .key-hint`))); got != keys[0].Hint {
		t.Errorf("masked key under the name: got %q, want the hint %q", got, keys[0].Hint)
	}
	b.shot("list")

	// Withdraw, with the keyboard: the Actions menu, then its Withdraw
	// entry, open the confirmation; Cancel changes nothing.
	dialog := chromedp.ID("withdraw-" + keys[0].ID)
	openDialog := func() {
		t.Helper()
		b.do("open the Actions menu", chromedp.Focus(chromedp.CSS(row+" summary")), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(row+" a.withdraw")))
		// Visible to a person: nothing covers or clips the entry.
		if !run(b, "look at the menu", chromedp.Evaluate[bool](`(() => {
			const a = document.querySelector(`+jsString(row+" a.withdraw")+`), r = a.getBoundingClientRect();
			return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === a;
		})()`)) {
			t.Error("the Withdraw entry of the open menu is hidden")
		}
		b.do("choose Withdraw", chromedp.Focus(chromedp.CSS(row+" a.withdraw")), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(dialog))
	}
	openDialog()
	b.do("cancel with Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(dialog))
	if f.keys()[0].Status != keycard.KeyActive {
		t.Fatal("cancelling the confirmation withdrew the key")
	}
	openDialog()
	b.shot("confirm-withdraw")
	if !b.fits("withdraw-" + keys[0].ID) {
		t.Error("the withdraw confirmation is cut off at its right edge")
	}
	// Tab reaches the Withdraw button first; Enter presses it.
	b.do("confirm", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := run(b, "read the status", chromedp.AttributeValue(chromedp.CSS(row), "data-status")); got.Value != keycard.KeyWithdrawn {
		t.Errorf("row status: got %q, want withdrawn", got.Value)
	}
	status := run(b, "read the status column", chromedp.Text(chromedp.CSS(row+" .key-status")))
	if !strings.HasPrefix(status, "Withdrawn") || !strings.Contains(status, "UTC") {
		t.Errorf("status column: got %q, want Withdrawn with its date", status)
	}
	if b.present(row + " details.menu") {
		t.Error("a withdrawn key still has actions")
	}
	b.shot("withdrawn")
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusUnauthorized {
		t.Errorf("the withdrawn key: got %d, want 401", got)
	}

	// Phone width: nothing is wider than the screen.
	b.do("narrow the window", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("api-keys-table")))
	if !run(b, "measure the page", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the page is wider than a phone's screen")
	}
	b.shot("list-phone")

	b.signOut()
	b.noConsoleProblems()
}

// TestBrowserGate shows the production gate to a user who is not the
// billing owner and to an owner whose subscription is inactive, and the
// section itself once the subscription is activated, without signing out.
func TestBrowserGate(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, false)
	b := newBrowser(t, f.srv.URL)

	b.signIn(memberEmail, memberPassword)
	b.do("wait for the gate", chromedp.WaitVisible(chromedp.ID("gate-owner")))
	b.shot("gate-not-owner")
	if got := run(b, "read the explanation", chromedp.Text(chromedp.ID("gate-owner"))); !strings.Contains(got, "You are not the billing account owner") {
		t.Errorf("explanation: got %q", got)
	}
	if b.present("#create-key") || b.present("#api-keys-table") {
		t.Error("the gated user sees the API Keys section")
	}
	b.signOut()

	b.signIn(ownerEmail, ownerPassword)
	b.do("wait for the gate", chromedp.WaitVisible(chromedp.ID("gate-subscription")))
	b.shot("gate-inactive")
	if got := run(b, "read the explanation", chromedp.Text(chromedp.ID("gate-subscription"))); !strings.Contains(got, "has no active subscription") {
		t.Errorf("explanation: got %q", got)
	}
	if b.present("#gate-owner") {
		t.Error("the owner is told that they are not the owner")
	}

	if err := f.st.SetSubscription(context.Background(), f.orgID, keycard.SubscriptionActive); err != nil {
		t.Fatal(err)
	}
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("create-key")))
	if b.present("#api-keys-gate") {
		t.Error("the gate still shows after the subscription was activated")
	}
	b.shot("gate-lifted")
	b.noConsoleProblems()
}
