package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/keycard/keycard/internal/auth"
	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/storetest"
)

// envChildDB holds, for TestChannelServerChild, the store.Config (JSON)
// of the database the child server serves.
const envChildDB = "KEYCARD_TEST_CHANNEL_CHILD_DB"

// TestChannelServerChild is not a test: TestChannelPushKilled runs the
// test binary again with envChildDB set, and this serves keycard's API
// from that process, which the test then kills with SIGKILL.
func TestChannelServerChild(t *testing.T) {
	raw := os.Getenv(envChildDB)
	if raw == "" {
		t.Skip("runs only as TestChannelPushKilled's child server")
	}
	var cfg store.Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t, cfg)
	log := slog.New(slog.DiscardHandler)
	srv := New(Config{Store: st, Auth: auth.New(auth.Config{Store: st, Mode: keycard.ModeStaging, Log: log}), Mode: keycard.ModeStaging, Log: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	http.Serve(ln, srv)
}

// TestChannelPushKilled kills the server (SIGKILL) while a channel
// pushes 30 bookings at once: every booking is whole (one revision, its
// hold, the channel's reservation id) or absent, and the channel's
// retries to a server started anew make each booking exactly once.
func TestChannelPushKilled(t *testing.T) {
	if os.Getenv(envChildDB) != "" {
		t.Skip("the child server runs no tests")
	}
	storetest.Each(t, func(t *testing.T, cfg store.Config) {
		ch := newChannelHotel(t, cfg)
		// More rooms than pushes: availability never stops at 0, so it
		// shows exactly the rooms the stored bookings hold.
		const start = 40
		if _, err := ch.st.ApplyAvailability(context.Background(), ch.ownerA, []*keycard.AvailabilityChange{{PropertyID: ch.p1, RoomTypeID: ch.rt1,
			Dates: keycard.Dates{From: ch.d0 + 1, To: ch.d0 + 1, Days: keycard.EveryDay}, Availability: start}}); err != nil {
			t.Fatal(err)
		}
		rawCfg, _ := json.Marshal(cfg)
		cmd := exec.Command(os.Args[0], "-test.run=^TestChannelServerChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChildDB+"="+string(rawCfg))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		sc := bufio.NewScanner(stdout)
		addr := ""
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTEN "); ok {
				addr = a
				break
			}
		}
		if addr == "" {
			t.Fatal("the child server did not start")
		}
		go func() {
			for sc.Scan() {
			}
		}()
		const n = 30
		body := func(i int) string {
			return ch.x(ocBooking("H1", "new", fmt.Sprint("KILL-", i), "DBL", "BAR", `"99.00"`))
		}
		var mu sync.Mutex
		answered := map[int]string{}
		var wg sync.WaitGroup
		killed := make(chan struct{})
		var once sync.Once
		for i := range n {
			wg.Go(func() {
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/channel_webhooks/open_channel/new_booking", strings.NewReader(body(i)))
				req.Header.Set("api-key", ch.keyA)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server died under it
				}
				defer res.Body.Close()
				var out struct {
					Bookings []struct {
						ID string `json:"id"`
					} `json:"bookings"`
				}
				if res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(&out) == nil && len(out.Bookings) == 1 {
					mu.Lock()
					answered[i] = out.Bookings[0].ID
					k := len(answered)
					mu.Unlock()
					if k == 3 {
						once.Do(func() { cmd.Process.Kill(); close(killed) })
					}
				}
			})
		}
		wg.Wait()
		once.Do(func() { cmd.Process.Kill(); close(killed) })
		<-killed
		cmd.Wait()

		// What the dead server left: whole bookings only.
		q := keycard.ListQuery{Page: 1, Limit: 100, Filters: []keycard.Filter{{Field: "property_id", Op: keycard.OpEq, Values: []string{ch.p1}}}}
		bookings := ch.wholeBookings(t, cfg, start, q)
		for i, id := range answered {
			found := false
			for _, b := range bookings {
				found = found || b.ID == id
			}
			if !found {
				t.Errorf("booking %d was answered (%s) but is not stored", i, id)
			}
		}
		t.Logf("%d of %d bookings stored when the server was killed (%d answered)", len(bookings), n, len(answered))

		// The channel retries every push against a server started anew:
		// each booking exactly once, the answered ones unchanged.
		for i := range n {
			status, out := ch.push(t, "new_booking", ch.keyA, body(i))
			if status != 200 {
				t.Fatalf("retry %d: %d %s", i, status, out)
			}
			if id, ok := answered[i]; ok && !strings.Contains(out, id) {
				t.Errorf("retry %d named another booking than %s: %s", i, id, out)
			}
		}
		if bookings = ch.wholeBookings(t, cfg, start, q); len(bookings) != n {
			t.Errorf("after the retries: %d bookings, want %d", len(bookings), n)
		}
	})
}

// wholeBookings returns P1's stored bookings (q lists them) after failing
// the test unless each is whole: its latest revision stored, with one
// revision per booking (the pushes are all new ones); a channel_bookings
// row naming it for connection A; a hold of each night its rooms occupy
// while live, taking its room; and availability of each night is start
// (set on d1, the only night pushed) less the rooms live bookings hold.
func (ch *channelHotel) wholeBookings(t *testing.T, cfg store.Config, start int32, q keycard.ListQuery) []*keycard.Booking {
	t.Helper()
	ctx := context.Background()
	bookings, _, err := ch.st.ListBookings(ctx, ch.ownerA, q)
	if err != nil {
		t.Fatal(err)
	}
	revs, _, err := ch.st.ListBookingRevisions(ctx, ch.ownerA, q, false)
	if err != nil {
		t.Fatal(err)
	}
	revOf := map[string]string{}
	for _, r := range revs {
		revOf[r.ID] = r.RevisionID
	}
	if len(revs) != len(bookings) {
		t.Errorf("%d bookings, %d revisions", len(bookings), len(revs))
	}
	db := storetest.DB(t, cfg)
	channelOf := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT booking_id, channel_id FROM channel_bookings`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b, c string
		if err := rows.Scan(&b, &c); err != nil {
			t.Fatal(err)
		}
		channelOf[b] = c
	}
	rows.Close()
	type night struct {
		booking string
		day     keycard.Date
	}
	holds := map[night]string{}
	rows, err = db.QueryContext(ctx, `SELECT booking_id, room_type_id, day, rooms, taken FROM booking_holds`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b, rt string
		var day, rooms, taken int64
		if err := rows.Scan(&b, &rt, &day, &rooms, &taken); err != nil {
			t.Fatal(err)
		}
		holds[night{b, keycard.Date(day)}] = fmt.Sprint(rt, " ", rooms, "/", taken)
	}
	rows.Close()
	held := map[keycard.Date]int32{}
	want := map[night]string{}
	for _, b := range bookings {
		if rev, ok := revOf[b.ID]; !ok || rev != b.RevisionID {
			t.Errorf("booking %s: latest revision %s, stored revision %q", b.ID, b.RevisionID, rev)
		}
		if c := channelOf[b.ID]; c != ch.chA {
			t.Errorf("booking %s: channel_bookings names channel %q, want %s", b.ID, c, ch.chA)
		}
		if b.Status == keycard.StatusCancelled {
			continue
		}
		for _, r := range b.Rooms {
			for d := r.CheckinDate; d < r.CheckoutDate; d++ {
				held[d]++
				want[night{b.ID, d}] = fmt.Sprint(ch.rt1, " ", 1, "/", 1)
			}
		}
	}
	if !maps.Equal(holds, want) {
		t.Errorf("booking_holds: %v, want %v", holds, want)
	}
	for d := range held {
		if d != ch.d0+1 {
			t.Errorf("a booking holds %s, a night never pushed", d)
		}
	}
	if got, w := ch.availD1(t), start-held[ch.d0+1]; got != w {
		t.Errorf("with %d bookings holding d1: availability %d, want %d", held[ch.d0+1], got, w)
	}
	return bookings
}
