package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/keycard/keycard/internal/keycard"
)

// Version names the state of a property's data (or of the booking feed)
// that an answer was built from. A layer above the store that caches an
// answer keeps the Version it read before building it, and serves the
// answer again only while the Version it reads is the same: any change of
// what the answer could show moves it.
//
// A Version moves in this process as soon as the write that changed the
// data commits, and on other servers as soon as they hear of it (with
// PostgreSQL, a notification; with SQLite, the data_changes rows read when
// PRAGMA data_version moves): within the same delay as cached credentials.
type Version struct{ all, data uint64 }

// Kinds of data change, as a write marks them (see tx.touch).
const (
	// dataARI: a property's rates, restrictions or availability, or the
	// rooms its bookings hold.
	dataARI uint8 = 1 << iota
	// dataFeed: a property's booking feed: a revision written or acked.
	dataFeed
)

// dataChannel is the PostgreSQL notification channel of data changes; a
// payload is the origin, a space, the kinds, a space and the property ids
// comma-separated, or "*" for every property.
const dataChannel = "keycard_data"

// maxNotifyIDs bounds the ids one notification names (PostgreSQL caps a
// payload at 8000 bytes); a write that touched more says "*".
const maxNotifyIDs = 150

// maxTrackedProperties bounds the per-property counters; past it, they
// start again from one move of everything.
const maxTrackedProperties = 200000

// dataChangesKept is how many data_changes rows SQLite keeps: a process
// whose watch falls further behind than that drops everything instead.
const dataChangesKept = 10000

// dataGens counts changes of property data in this process's view.
type dataGens struct {
	// origin names this store among the processes sharing the database.
	origin string

	mu sync.Mutex
	// all moves when anything may have changed: a change of access or of
	// how a property reads (the property cache's drop), or a watch that
	// may have missed changes.
	all uint64
	// next is the last counter handed out; props and feeds hold, per
	// property, the value next had at the last change of its data and of
	// its feed, and feed the value at the last change of any feed.
	next         uint64
	props, feeds map[string]uint64
	feed         uint64
	// seen is, with SQLite, the last data_changes row read.
	seen int64
	// announced counts this store's writes that appended data_changes
	// rows, to prune the table now and then.
	announced uint64
	// observed, when set (tests), is called after changes heard from
	// another process were applied.
	observed func()
}

func (g *dataGens) property(id string) Version {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Version{g.all, g.props[id]}
}

// maxFeedReach is the most properties whose feeds feedVersion looks at
// one by one; a principal reaching more gets the Version of every feed.
const maxFeedReach = 256

func (g *dataGens) feedVersion(p *keycard.Principal) Version {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.Reach == nil || p.Reach.Len() > maxFeedReach {
		return Version{g.all, g.feed}
	}
	// Counters only grow, so the last change among the properties in
	// reach moves the largest.
	var last uint64
	for id := range p.Reach.All() {
		last = max(last, g.feeds[id])
	}
	return Version{g.all, last}
}

// bump records changes of kinds to properties.
func (g *dataGens) bump(touched map[string]uint8) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, kinds := range touched {
		g.bumpLocked(id, kinds)
	}
}

func (g *dataGens) bumpLocked(id string, kinds uint8) {
	g.next++
	if kinds&dataFeed != 0 {
		g.feed = g.next
		g.feeds = g.track(g.feeds, id)
	}
	if kinds&dataARI != 0 {
		g.props = g.track(g.props, id)
	}
}

// track records the change of id in m, which it makes or, when m has
// grown past maxTrackedProperties, starts again (moving everything).
func (g *dataGens) track(m map[string]uint64, id string) map[string]uint64 {
	switch {
	case m == nil:
		m = make(map[string]uint64)
	case len(m) >= maxTrackedProperties:
		clear(g.props)
		clear(g.feeds)
		g.all++
	}
	m[id] = g.next
	return m
}

// bumpAll records that anything may have changed.
func (g *dataGens) bumpAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.all++
	clear(g.props)
	clear(g.feeds)
}

// PropertyVersion returns the Version of property id's rates,
// restrictions, availability and bookings, and of how it reads.
func (s *Store) PropertyVersion(id string) Version { return s.data.property(id) }

// ViewVersion returns the Version of how properties read, with their room
// types and rate plans: it moves with every change of those, of any
// property, and of access.
func (s *Store) ViewVersion() Version { return s.data.property("") }

// FeedVersion returns the Version of the booking feeds of the properties
// p reaches.
func (s *Store) FeedVersion(p *keycard.Principal) Version { return s.data.feedVersion(p) }

// touch marks the transaction as changing the kinds of data of the
// properties ids.
func (t *tx) touch(kinds uint8, ids ...string) {
	if t.touched == nil {
		t.touched = make(map[string]uint8)
	}
	for _, id := range ids {
		t.touched[id] |= kinds
	}
}

// announceData tells other processes, when t commits, what data t
// changed (see dataGens).
func (s *Store) announceData(ctx context.Context, t *tx) error {
	if s.dialect.name() == "postgres" {
		_, err := t.Exec(ctx, `SELECT pg_notify('`+dataChannel+`', ?)`, notifyPayload(s.data.origin, t.touched))
		return err
	}
	args := make([]any, 0, 3*len(t.touched))
	for id, kinds := range t.touched {
		args = append(args, s.data.origin, id, int64(kinds))
	}
	_, err := t.Exec(ctx, `INSERT INTO data_changes (origin, property_id, kinds) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(t.touched)), ", "), args...)
	if err != nil {
		return err
	}
	s.data.mu.Lock()
	s.data.announced++
	prune := s.data.announced%1000 == 0
	s.data.mu.Unlock()
	if prune {
		_, err = t.Exec(ctx, `DELETE FROM data_changes WHERE seq <= (SELECT MAX(seq) FROM data_changes) - ?`, dataChangesKept)
	}
	return err
}

// notifyPayload is a dataChannel payload.
func notifyPayload(origin string, touched map[string]uint8) string {
	var kinds uint8
	ids := make([]string, 0, len(touched))
	for id, k := range touched {
		kinds |= k
		ids = append(ids, id)
	}
	list := strings.Join(ids, ",")
	if len(ids) > maxNotifyIDs {
		list = "*"
	}
	return origin + " " + strconv.Itoa(int(kinds)) + " " + list
}

// heard applies a dataChannel payload from another process.
func (g *dataGens) heard(payload string) {
	origin, rest, ok1 := strings.Cut(payload, " ")
	k, list, ok2 := strings.Cut(rest, " ")
	kinds, err := strconv.Atoi(k)
	if !ok1 || !ok2 || err != nil || list == "*" {
		if origin != g.origin {
			g.bumpAll()
			if g.observed != nil {
				g.observed()
			}
		}
		return
	}
	if origin == g.origin {
		return
	}
	g.mu.Lock()
	for id := range strings.SplitSeq(list, ",") {
		if id != "" {
			g.bumpLocked(id, uint8(kinds))
		}
	}
	g.mu.Unlock()
	if g.observed != nil {
		g.observed()
	}
}

// startSeen sets, with SQLite, where a new watch starts reading
// data_changes, and drops everything: changes made while no watch ran
// were not heard.
func (g *dataGens) startSeen(ctx context.Context, conn *sql.Conn) error {
	var seq sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(seq) FROM data_changes`).Scan(&seq); err != nil {
		return fmt.Errorf("store: read data changes: %w", err)
	}
	g.mu.Lock()
	g.seen = seq.Int64
	g.mu.Unlock()
	g.bumpAll()
	return nil
}

// readChanges applies, with SQLite, the data_changes rows other processes
// appended since the last read.
func (g *dataGens) readChanges(ctx context.Context, conn *sql.Conn) error {
	g.mu.Lock()
	seen := g.seen
	g.mu.Unlock()
	rows, err := conn.QueryContext(ctx, `SELECT seq, origin, property_id, kinds FROM data_changes WHERE seq > ? ORDER BY seq`, seen)
	if err != nil {
		return fmt.Errorf("store: read data changes: %w", err)
	}
	defer rows.Close()
	heard := false
	g.mu.Lock()
	for first := true; rows.Next(); first = false {
		var seq, kinds int64
		var origin, id string
		if err := rows.Scan(&seq, &origin, &id, &kinds); err != nil {
			g.mu.Unlock()
			return err
		}
		if first && seq != seen+1 {
			// Rows were pruned before this process read them.
			g.all++
			clear(g.props)
			clear(g.feeds)
		}
		g.seen = seq
		if origin != g.origin {
			g.bumpLocked(id, uint8(kinds))
			heard = true
		}
	}
	g.mu.Unlock()
	if err := rows.Err(); err != nil {
		return err
	}
	if heard && g.observed != nil {
		g.observed()
	}
	return nil
}
