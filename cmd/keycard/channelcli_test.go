package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keycard/keycard/client"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchanneltest"
)

// TestChannelCommands lists, tests and syncs a channel with "keycard
// channel" against a served keycard and a test channel server.
func TestChannelCommands(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"KEYCARD_DB": filepath.Join(dir, "keycard.db"), "KEYCARD_ADDR": "127.0.0.1:0",
		"KEYCARD_CONFIG_DIR": filepath.Join(dir, "config"),
		// The test channel listens on 127.0.0.1.
		"KEYCARD_ALLOW_PRIVATE_WEBHOOKS": "true"})
	migrateDB(t, getenv)
	if _, err := cli(t, getenv, "user", "create", "--email", "o@hotel.example", "--password", "password1"); err != nil {
		t.Fatal(err)
	}
	base, _ := start(t, getenv, "serve")
	if _, err := cli(t, getenv, "channel", "list"); err == nil || !strings.Contains(err.Error(), "keycard login") {
		t.Errorf("channel list before login: %v, want to be sent to login", err)
	}
	ctx := context.Background()
	sess, err := client.New(base).SignIn(ctx, "o@hotel.example", "password1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runIOString("o@hotel.example\npassword1\n", getenv, "login", "--server", base); err != nil {
		t.Fatalf("login: %v", err)
	}
	c := client.New(base, client.WithToken(sess.Token))
	p, err := c.CreateProperty(ctx, client.NewProperty{Title: "Hotel", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := c.CreateRoomType(ctx, client.NewRoomType{PropertyID: p.ID, Title: "Double", CountOfRooms: 2, OccAdults: 2, DefaultOccupancy: 2})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := c.CreateRatePlan(ctx, client.NewRatePlan{PropertyID: p.ID, RoomTypeID: rt.ID, Title: "Standard", Currency: "EUR",
		Options: []client.RateOption{{Occupancy: 2, IsPrimary: true, Rate: 9000}}})
	if err != nil {
		t.Fatal(err)
	}
	ota := openchanneltest.New(t, "k", "H1", keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "DBL",
		RatePlans: []keycard.MappingRatePlan{{ID: "BAR", SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"}}}}})
	ch, err := c.CreateChannel(ctx, client.NewChannel{Title: "My OTA", PropertyID: p.ID,
		Settings:  client.OpenChannelSettings{Endpoint: ota.Endpoint(), APIKey: "k", HotelCode: "H1"},
		RatePlans: []client.Mapping{{RatePlanID: rp.ID, RoomTypeCode: "DBL", RatePlanCode: "BAR", Occupancy: 2}}})
	if err != nil {
		t.Fatal(err)
	}

	out, err := cli(t, getenv, "channel", "list")
	if err != nil || !strings.Contains(out, "My OTA") || !strings.Contains(out, "inactive") || !strings.Contains(out, ch.ID) {
		t.Errorf("channel list: %v\n%s", err, out)
	}
	if out, err := cli(t, getenv, "channel", "test", ch.ID); err != nil || !strings.Contains(out, "accepts") {
		t.Errorf("channel test: %v\n%s", err, out)
	}
	if _, err := cli(t, getenv, "channel", "sync", ch.ID); err == nil || !strings.Contains(err.Error(), "activate") {
		t.Errorf("sync of an inactive channel: %v, want a refusal that says to activate it", err)
	}
	if err := c.ActivateChannel(ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	if out, err := cli(t, getenv, "channel", "sync", ch.ID); err != nil || !strings.Contains(out, "Full sync queued") {
		t.Errorf("channel sync: %v\n%s", err, out)
	}
	out, err = cli(t, getenv, "channel", "list", "--active", "--json")
	var list []client.Channel
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || !list[0].IsActive {
		t.Errorf("channel list --active --json: %v\n%s", err, out)
	}
	if strings.Contains(out, `"k"`) {
		t.Errorf("channel list printed the channel's key")
	}
	if _, err := cli(t, getenv, "channel", "test"); err == nil {
		t.Errorf("channel test without an id: no error")
	}
}

// runIOString runs the program with stdin and returns what it printed.
func runIOString(stdin string, getenv func(string) string, args ...string) (string, error) {
	var out strings.Builder
	err := runIO(context.Background(), args, getenv, strings.NewReader(stdin), &out)
	return out.String(), err
}
