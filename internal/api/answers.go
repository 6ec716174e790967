package api

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/keycard/keycard/internal/handler"
	"github.com/keycard/keycard/internal/store"
)

// answerCache keeps the encoded answers of the reads a PMS repeats all
// day (the feed, room types, rate plans, ARI grids), each with the
// store.Version of the data it was built from. An answer is served again
// only to the same credential, for the same path and query, while the
// Version is the same; any write that could change it moves the Version
// (see store.Version), and so does any change of access, which is what
// makes an answer built for a credential safe to give it again.
//
// It is bounded by the bytes of the bodies it holds; past the bound, it
// forgets answers at random (Go's map order) until the new one fits.
type answerCache struct {
	mu    sync.Mutex
	m     map[answerKey]*answer
	bytes int
	max   int
	// hits counts answers served from the cache; misses, the look-ups
	// that found none, or one at another Version.
	hits, misses atomic.Uint64
}

// answerKey is what an answer was asked with: the credential (an API key,
// or a user's session), the path and the raw query.
type answerKey struct {
	keyID, userID string
	path, query   string
}

type answer struct {
	version store.Version
	body    []byte
	// warnings are the Warning header's values (ignored parameters).
	warnings []string
}

// Bounds of the answer cache: in all, and of one answer (an ARI read of
// a year of many plans is megabytes; it is not kept).
const (
	defaultAnswerCacheBytes = 64 << 20
	maxAnswerBytes          = 1 << 20
)

func newAnswerCache(max int) *answerCache {
	if max == 0 {
		max = defaultAnswerCacheBytes
	}
	return &answerCache{m: make(map[answerKey]*answer), max: max}
}

func keyOf(r *http.Request) answerKey {
	p := principal(r)
	k := answerKey{path: r.URL.Path, query: r.URL.RawQuery}
	if p.APIKeyID != "" {
		k.keyID = p.APIKeyID
	} else {
		k.userID = p.UserID
	}
	return k
}

func (c *answerCache) get(k answerKey, v store.Version) *answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.m[k]
	if a == nil {
		c.misses.Add(1)
		return nil
	}
	if a.version != v {
		c.removeLocked(k, a)
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return a
}

func (c *answerCache) put(k answerKey, a *answer) {
	if c.max < 0 || len(a.body) > min(maxAnswerBytes, c.max) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil {
		c.removeLocked(k, old)
	}
	for k2, a2 := range c.m {
		if c.bytes+len(a.body) <= c.max {
			break
		}
		c.removeLocked(k2, a2)
	}
	c.m[k] = a
	c.bytes += len(a.body)
}

// AnswerCacheStats returns how many look-ups of the answer cache were
// hits and misses, and the bytes of the answers it holds.
func (s *Server) AnswerCacheStats() (hits, misses uint64, bytes int) {
	c := s.answers
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits.Load(), c.misses.Load(), c.bytes
}

func (c *answerCache) removeLocked(k answerKey, a *answer) {
	delete(c.m, k)
	c.bytes -= len(a.body)
}

// cached answers r from the cache when it holds an answer built at
// version v, read before anything else; else it runs build, which writes
// the answer to the writer it is given, and keeps what build wrote when
// that is a whole 200 answer. A write that commits while build runs moves
// the Version past v, so an answer built from data older or newer than v
// is never served at a later Version.
func (s *Server) cached(w http.ResponseWriter, r *http.Request, v store.Version, build func(http.ResponseWriter) error) error {
	k := keyOf(r)
	if a := s.answers.get(k, v); a != nil {
		h := w.Header()
		for _, warning := range a.warnings {
			h.Add("Warning", warning)
		}
		writeBody(w, http.StatusOK, a.body)
		return nil
	}
	tw := &teeWriter{ResponseWriter: w}
	if err := build(tw); err != nil {
		return err
	}
	if handler.Status(w) == http.StatusOK && !tw.overflow {
		s.answers.put(k, &answer{version: v, body: tw.body, warnings: slices.Clone(w.Header().Values("Warning"))})
	}
	return nil
}

// teeWriter passes an answer on and keeps a copy of its body, up to
// maxAnswerBytes. (The status is the access log's: see handler.Status.)
type teeWriter struct {
	http.ResponseWriter
	body     []byte
	overflow bool
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if !t.overflow {
		if len(t.body)+len(b) > maxAnswerBytes {
			t.overflow, t.body = true, nil
		} else {
			if t.body == nil {
				// The whole body usually comes in one Write, with its
				// length declared.
				n, _ := strconv.Atoi(t.Header().Get("Content-Length"))
				t.body = make([]byte, 0, max(n, len(b)))
			}
			t.body = append(t.body, b...)
		}
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
