package web

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keycard/keycard/internal/keycard"
)

// TestBrowserKeyUsageAndLeak creates an RMS key from its preset in the
// browser, makes requests
// with it, and sees them in the key's 30-day chart (drawn by the server
// as inline SVG, under the page's CSP) and the list's sparkline; then the
// key is reported leaked, and the owner sees the banner and dismisses it.
func TestBrowserKeyUsageAndLeak(t *testing.T) {
	f := newFixture(t, keycard.ModeProduction, true)
	ctx := context.Background()
	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)

	b.do("open the create form", chromedp.Click(chromedp.ID("create-key")), chromedp.WaitVisible(chromedp.ID("name")))
	b.do("create an RMS key", chromedp.SendKeys(chromedp.ID("name"), "Revenue manager"), chromedp.Click(chromedp.ID("preset-rms")),
		chromedp.Click(chromedp.ID("create-submit")),
		chromedp.WaitVisible(chromedp.ID("new-key")))
	secret := run(b, "read the key", chromedp.Value(chromedp.ID("new-key")))
	var id string
	for _, k := range f.keys() {
		if k.Name == "Revenue manager" {
			id = k.ID
			if k.Permissions != keycard.PresetRMS.Permissions {
				t.Fatalf("the key made from the RMS preset has permissions %v", k.Permissions)
			}
		}
	}
	// 5 answered, 2 not found: 7 requests, 2 errors, today.
	for range 5 {
		if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusOK {
			t.Fatalf("request with the new key: %d", got)
		}
	}
	for range 2 {
		if got := f.apiStatus(secret, "/api/v1/properties/"+keycard.NewID()); got != http.StatusNotFound {
			t.Fatalf("request for no property: %d", got)
		}
	}
	// The server flushes every 10 seconds; the test does it now.
	if err := f.auth.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}

	b.do("open the list", chromedp.Navigate(f.srv.URL+"/organization/api-keys"), chromedp.WaitVisible(chromedp.ID("api-keys-table")))
	spark := `#api-keys-table tr[data-key-id="` + id + `"] svg.spark`
	if !b.present(spark) {
		t.Fatal("the key's row has no sparkline")
	}
	if label := run(b, "read the sparkline", chromedp.Evaluate[string](`document.querySelector(`+jsString(spark)+`).getAttribute("aria-label")`)); label != "Last 7 days: 7 requests, 2 errors" {
		t.Errorf("sparkline says %q", label)
	}
	b.do("open the key", chromedp.Click(chromedp.CSS(`#api-keys-table tr[data-key-id="`+id+`"] a.spark-link`)), chromedp.WaitVisible(chromedp.ID("usage-chart")))
	b.shot("usage-chart")
	today := time.Now().UTC().Format(time.DateOnly)
	bar := `#usage-chart g.day[data-day="` + today + `"]`
	got := run(b, "read today's bar", chromedp.Evaluate[[]string](`(() => { const g = document.querySelector(`+jsString(bar)+`);
		if (!g) return [];
		const h = s => { const r = g.querySelector(s); return r ? String(Math.round(r.getBoundingClientRect().height)) : "0"; };
		return [g.dataset.requests, g.dataset.errors, h("rect.bar-ok"), h("rect.bar-errors"), String(document.querySelectorAll("#usage-chart g.day").length)]; })()`))
	if len(got) != 5 || got[0] != "7" || got[1] != "2" || got[4] != "30" {
		t.Fatalf("today's bar: %v, want 7 requests and 2 errors among 30 days", got)
	}
	// Drawn, not only labelled: both parts of the bar have height, the
	// answered part larger (5 against 2).
	okH, _ := strconv.Atoi(got[2])
	errH, _ := strconv.Atoi(got[3])
	if errH <= 0 || okH <= errH {
		t.Errorf("bar heights: answered %d px, errors %d px", okH, errH)
	}
	if text := run(b, "read the totals", chromedp.Text(chromedp.ID("usage-totals"))); text[:32] != "7 requests, 2 of them errors (an" {
		t.Errorf("totals: %q", text)
	}
	// The chart is styled by the page's own style sheet: the bars are filled.
	if fill := run(b, "read the bar's fill", chromedp.Evaluate[string](`getComputedStyle(document.querySelector(`+jsString(bar+" rect.bar-ok")+`)).fill`)); fill == "" || fill == "none" || fill == "rgb(0, 0, 0)" {
		t.Errorf("the bar's fill is %q: app.css does not reach it", fill)
	}

	// Reported leaked: withdrawn, and the banner stays until dismissed.
	if _, err := f.st.ReportLeaks(ctx, nil, []keycard.LeakReport{{Token: secret, URL: "https://github.com/example/rms/blob/main/.env"}}, true); err != nil {
		t.Fatal(err)
	}
	b.do("open the list", chromedp.Navigate(f.srv.URL+"/organization/api-keys"), chromedp.WaitVisible(chromedp.ID("leak-"+id)))
	b.shot("leak-banner")
	if got := f.apiStatus(secret, "/api/v1/properties/"+f.p1); got != http.StatusUnauthorized {
		t.Errorf("the leaked key still works: %d", got)
	}
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("leak-"+id)))
	b.do("dismiss", chromedp.Click(chromedp.CSS("#leak-"+id+" button.dismiss-leak")), chromedp.WaitVisible(chromedp.ID("notice")))
	if b.present("#leak-" + id) {
		t.Error("the banner is still there after Dismiss")
	}
	b.noConsoleProblems()
}
