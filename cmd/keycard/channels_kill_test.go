package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/openchanneltest"
	"github.com/keycard/keycard/internal/secretbox"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// envKillHelper makes the test binary run keycard (see TestKillHelper).
const envKillHelper = "KEYCARD_TEST_KILL_HELPER"

// TestKillHelper is not a test: run by TestChannelKill9 as a subprocess
// of its own (this test binary, with envKillHelper set to the arguments
// as JSON), it runs keycard until it is killed.
func TestKillHelper(t *testing.T) {
	raw := os.Getenv(envKillHelper)
	if raw == "" {
		t.Skip("run by TestChannelKill9 only")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	channelPushLease = 2 * time.Second
	if err := run(context.Background(), args, os.Getenv, os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// keycardProcess is keycard running in a process of its own.
type keycardProcess struct {
	cmd  *exec.Cmd
	base string
}

// startProcess starts keycard with args in a subprocess and waits until
// it listens.
func startProcess(t *testing.T, args ...string) *keycardProcess {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.v")
	cmd.Env = append(os.Environ(), envKillHelper+"="+string(raw))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &keycardProcess{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, stdout)
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("keycard exited before listening")
		}
		p.base = u
	case <-time.After(60 * time.Second):
		t.Fatal("keycard did not listen within 60 s")
	}
	return p
}

// kill sends SIGKILL: no shutdown, no deferred function, no last write.
func (p *keycardProcess) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// TestChannelKill9 kills keycard with SIGKILL while it pushes to a channel
// that answers slowly, restarts it, and checks that the channel still
// ends up with exactly what keycard holds: the outbox is in the database,
// written with each change, so nothing a client was told was saved is
// lost for the channel.
func TestChannelKill9(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, dialect)
			keyFile := filepath.Join(t.TempDir(), "webhooks.key")
			box, err := secretbox.LoadKeyFile(keyFile, true)
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			st.SetSecretBox(box)
			ch := openchanneltest.New(t, "kill-key", "KILL-1", keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "RT",
				Title: "Double", RatePlans: []keycard.MappingRatePlan{{ID: "BAR", Title: "BAR", SellMode: keycard.ChannelPerRoom,
					MaxPersons: 2, Currency: "EUR"}}}}})
			ch.SetDelay(20 * time.Millisecond)
			seed := seedKillProperty(t, st, ch)
			st.Close()

			args := []string{"serve", "--addr", "127.0.0.1:0", "--webhook-key-file", keyFile, "--allow-private-webhooks",
				"--channel-horizon-days", "60", "--log-level", "error", "--ari-rate-limit", "0", "--key-rate-limit", "0", "--org-rate-limit", "0"}
			if cfg.PostgresURL != "" {
				args = append(args, "--database-url", cfg.PostgresURL)
			} else {
				args = append(args, "--db", cfg.SQLitePath)
			}
			kc := startProcess(t, args...)
			today := keycard.Today(time.Now(), "")
			write := func(base string, i int) bool {
				from := today + 1 + keycard.Date(i%50)
				body := fmt.Sprintf(`{"values":[{"property_id":%q,"rate_plan_id":%q,"date_from":%q,"date_to":%q,"rate":"%d.00","stop_sell":%t}]}`,
					seed.property, seed.plan, from, from+3, 100+i, i%7 == 0)
				req, _ := http.NewRequest("POST", base+"/api/v1/restrictions", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Api-Key", seed.key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return false
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("POST /restrictions: %d", resp.StatusCode)
				}
				return true
			}
			// Writes until the channel has received a few pushes, then kill -9
			// with more writes just made (and pushes under way).
			i := 0
			for ; len(ch.Requests()) < 5; i++ {
				if !write(kc.base, i) {
					t.Fatal("write failed before the kill")
				}
			}
			for range 20 {
				write(kc.base, i)
				i++
			}
			kc.kill()
			before := len(ch.Requests())

			kc = startProcess(t, args...)
			for range 30 {
				if !write(kc.base, i) {
					t.Fatal("write failed after the restart")
				}
				i++
			}
			// The channel converges: wait on its receipts, checking each time.
			deadline := time.After(60 * time.Second)
			for {
				diff := killDiff(t, kc.base, seed, ch, today+1, today+56)
				if diff == "" {
					break
				}
				select {
				case <-ch.Received():
				case <-deadline:
					t.Fatalf("the channel did not converge after the restart: %s", diff)
				}
			}
			t.Logf("%d writes; %d pushes before the kill, %d in all", i, before, len(ch.Requests()))
		})
	}
}

type killSeed struct{ property, plan, key string }

// seedKillProperty makes an owner, a property with one room type and rate
// plan, an API key, and an active channel mapping the plan to ch.
func seedKillProperty(t *testing.T, st *store.Store, ch *openchanneltest.Server) killSeed {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	u, org, err := st.CreateOwner(ctx, "kill@hotel.example", "password1", "")
	must(err)
	must(st.SetSubscription(ctx, org.ID, keycard.SubscriptionActive))
	owner, err := st.UserPrincipal(ctx, u.ID)
	must(err)
	prop, err := st.CreateProperty(ctx, owner, &keycard.Property{Title: "Kill Hotel", Currency: "EUR", Settings: keycard.DefaultPropertySettings()}, "")
	must(err)
	rt, err := st.CreateRoomType(ctx, owner, &keycard.RoomType{PropertyID: prop.ID, Title: "Double", CountOfRooms: 5, OccAdults: 2,
		DefaultOccupancy: 2, RoomKind: keycard.RoomKindRoom})
	must(err)
	rp, err := st.CreateRatePlan(ctx, owner, prop.ID, &keycard.RatePlanChange{Title: new("BAR"), RoomTypeID: &rt.ID, OptionsSent: true,
		Options: []keycard.RateOptionChange{{Occupancy: new(2), IsPrimary: new(true), Rate: json.RawMessage(`10000`)}}}, nil)
	must(err)
	_, key, err := st.CreateAPIKey(ctx, owner, "kill test", true, nil)
	must(err)
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	c := &keycard.Channel{}
	must(c.Apply(&keycard.ChannelChange{Adapter: new(keycard.AdapterOpenChannel), PropertiesSent: true, Properties: []string{prop.ID},
		SettingsSent: true, Settings: map[string]json.RawMessage{keycard.SettingEndpoint: q(ch.Endpoint()), keycard.SettingAPIKey: q(ch.APIKey),
			keycard.SettingHotelCode: q(ch.HotelCode)},
		RatePlansSent: true, RatePlans: []keycard.ChannelRatePlanChange{{RatePlanID: rp.ID, Settings: map[string]json.RawMessage{
			keycard.RateParamRoomTypeCode: q("RT"), keycard.RateParamRatePlanCode: q("BAR"), keycard.RateParamOccupancy: json.RawMessage(`2`)}}}},
		nil).Err())
	md := keycard.MappingDetails{RoomTypes: []keycard.MappingRoomType{{ID: "RT", RatePlans: []keycard.MappingRatePlan{{ID: "BAR",
		SellMode: keycard.ChannelPerRoom, MaxPersons: 2, Currency: "EUR"}}}}}
	made, err := st.CreateChannel(ctx, owner, c, &md)
	must(err)
	_, err = st.ActivateChannel(ctx, owner, made.ID, &md) // queues the full sync
	must(err)
	return killSeed{prop.ID, rp.ID, key}
}

// killDiff compares the channel's rates and stop sells with keycard's
// (read through the API) from from to to, and describes the first
// difference ("" when none).
func killDiff(t *testing.T, base string, seed killSeed, ch *openchanneltest.Server, from, to keycard.Date) string {
	t.Helper()
	url := base + "/api/v1/restrictions?filter[property_id]=" + seed.property + "&filter[date][gte]=" + from.String() +
		"&filter[date][lte]=" + to.String() + "&filter[restrictions]=rate,stop_sell"
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Api-Key", seed.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Data map[string]map[string]struct {
			Rate     string `json:"rate"`
			StopSell bool   `json:"stop_sell"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	days := got.Data[seed.plan]
	if len(days) == 0 {
		t.Fatalf("GET /restrictions: no days for the plan")
	}
	for d := from; d <= to; d++ {
		want := days[d.String()]
		c, ok := ch.Cell("RT", "BAR", d)
		if !ok || c.Rates[2] != want.Rate || c.StopSell != want.StopSell {
			return d.String() + ": channel " + strconv.Quote(c.Rates[2]) + " stop " + strconv.FormatBool(c.StopSell) +
				", keycard " + strconv.Quote(want.Rate) + " stop " + strconv.FormatBool(want.StopSell)
		}
	}
	return ""
}
