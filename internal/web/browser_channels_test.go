package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keycard/keycard/internal/channelpush"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchannel"
	"github.com/keycard/keycard/internal/openchanneltest"
)

// TestBrowserChannels adds an Open Channel connection to a test channel
// server, tests it, maps its per-room plan from the channel's live
// mapping_details, activates it, and sees the full sync arrive and the
// channel log fill, as a person would.
func TestBrowserChannels(t *testing.T) {
	f := newFixture(t, keycard.ModeStaging, true)
	ctx := context.Background()
	rt, err := f.st.CreateRoomType(ctx, f.owner, &keycard.RoomType{PropertyID: f.p1, Title: "Double", CountOfRooms: 4,
		OccAdults: 2, DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
	if err != nil {
		t.Fatal(err)
	}
	occ, primary := 2, true
	rp, err := f.st.CreateRatePlan(ctx, f.owner, f.p1, &keycard.RatePlanChange{Title: new("Standard"), RoomTypeID: &rt.ID, OptionsSent: true,
		Options: []keycard.RateOptionChange{{Occupancy: &occ, IsPrimary: &primary, Rate: json.RawMessage(`"120"`)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ota := openchanneltest.New(t, "ota-secret", "H1", keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{
		{ID: "DBL", Title: "Double room", RatePlans: []keycard.MappingRatePlan{
			{ID: "BAR", Title: "Best available", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"},
			{ID: "NRF", Title: "Non refundable", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR", ReadOnly: true}}}}})
	// The test channel listens on a loopback address.
	f.setUI(func(c *Config) { c.Channels = openchannel.NewClient(true) })

	b := newBrowser(t, f.srv.URL)
	b.signIn(ownerEmail, ownerPassword)
	b.do("open the Channels page", chromedp.Click(`a[href="/organization/channels"]`), chromedp.WaitVisible(chromedp.ID("add-channel")))
	b.do("open the form", chromedp.Click(chromedp.ID("add-channel")), chromedp.WaitVisible(chromedp.ID("channel-endpoint")))
	fill := func(key string) {
		b.do("fill the form",
			chromedp.SetValue(chromedp.ID("channel-property"), f.p1),
			chromedp.SetValue(chromedp.ID("channel-endpoint"), ota.Endpoint()),
			chromedp.SetValue(chromedp.ID("channel-hotel-code"), "H1"),
			chromedp.SendKeys(chromedp.ID("channel-api-key"), key),
		)
	}
	fill("wrong-key")
	b.do("test a wrong key", chromedp.Click(chromedp.ID("channel-test")), chromedp.WaitVisible(chromedp.ID("test-refused")))
	if got := run(b, "read the test result", chromedp.Text(chromedp.ID("test-refused"))); !strings.Contains(got, "401") {
		t.Errorf("test with a wrong key: %q, want the channel's 401", got)
	}
	fill("ota-secret")
	// Each outcome has its own element, so that the wait cannot end on
	// the page before.
	b.do("test the connection", chromedp.Click(chromedp.ID("channel-test")), chromedp.WaitVisible(chromedp.ID("test-ok")))
	if html := run(b, "read the page", chromedp.OuterHTML("html")); strings.Contains(html, "ota-secret") {
		t.Errorf("the page sent the channel's API key back")
	}
	b.do("type the key again", chromedp.SendKeys(chromedp.ID("channel-api-key"), "ota-secret"))
	b.shot("channel-form")
	b.do("add the channel", chromedp.Click(chromedp.ID("channel-create")), chromedp.WaitVisible(chromedp.ID("notice-created")))
	if got := run(b, "read the state", chromedp.Text(chromedp.ID("channel-state"))); got != "Inactive" {
		t.Errorf("a new channel is %q, want Inactive", got)
	}
	if got := run(b, "read readiness", chromedp.Text(chromedp.ID("readiness"))); !strings.Contains(got, "Mapping") {
		t.Errorf("readiness of an unmapped channel: %q, want Mapping required", got)
	}

	// The mapping table comes from the channel's live mapping_details.
	rows := run(b, "read the mapping table", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#mapping-table tbody tr")].map(r => r.dataset.code)`))
	if strings.Join(rows, ",") != "DBL/BAR,DBL/NRF" {
		t.Fatalf("mapping rows = %v, want the channel's DBL/BAR and DBL/NRF", rows)
	}
	b.do("map BAR to Standard", chromedp.SetValue(chromedp.ID("map-0-rate-plan"), rp.ID))
	b.shot("mapping")
	b.do("save the mapping", chromedp.Click(chromedp.ID("save-mapping")), chromedp.WaitVisible(chromedp.ID("notice-mapped")))
	if got := run(b, "read readiness", chromedp.Text(chromedp.ID("readiness"))); got != "Ready to activate." {
		t.Errorf("readiness after mapping: %q, want ready", got)
	}
	b.do("activate", chromedp.Click(chromedp.ID("channel-activate")), chromedp.WaitVisible(chromedp.ID("notice-activated")))
	if got := run(b, "read the state", chromedp.Text(chromedp.ID("channel-state"))); got != "Active" {
		t.Errorf("after activation the channel is %q, want Active", got)
	}

	// The pusher sends the full sync the activation queued.
	pusher := &channelpush.Pusher{Store: f.st, Client: openchannel.NewClient(true)}
	for range 10 {
		if n, err := pusher.RunOnce(ctx); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	cell, ok := ota.Cell("DBL", "BAR", keycard.Today(time.Now(), "")+1)
	if !ok || cell.Rates[2] != "120.00" {
		t.Errorf("the channel holds %+v (%v) for DBL/BAR tomorrow, want the rate for 2, 120.00", cell, ok)
	}
	if _, ok := ota.Cell("DBL", "NRF", keycard.Today(time.Now(), "")+1); ok {
		t.Errorf("the read-only plan NRF received values")
	}
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("last-push")))
	if !b.present("#channel-logs") {
		t.Errorf("the channel log shows no exchange")
	}
	b.do("full sync", chromedp.Click(chromedp.ID("channel-sync")), chromedp.WaitVisible(chromedp.ID("notice-synced")))
	b.do("back to the list", chromedp.Click(`a[href="/organization/channels"]`), chromedp.WaitVisible(chromedp.ID("channels-table")))
	if got := run(b, "read the list", chromedp.Text(chromedp.ID("channels-table"))); !strings.Contains(got, "Active") || !strings.Contains(got, "Alpha Hotel") {
		t.Errorf("channel list = %q, want the channel, active, of Alpha Hotel", got)
	}
	b.shot("channels")
	b.noConsoleProblems()
}
