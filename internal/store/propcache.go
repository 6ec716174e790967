package store

import (
	"iter"
	"slices"
	"sync"

	"github.com/keycard/keycard/internal/keycard"
)

// propertyCache keeps properties as last read, for the hot GET of one
// property by a credential that carries its reach: a PMS asks for the same
// few properties all day, and they rarely change.
//
// It is dropped whole, never patched: in this process after any write
// transaction marked changeView or changeAccess (see change; such a
// transaction also moves the epoch's view_n, or its n when access changed
// too), and when either moves because another server
// or process wrote (see Store.AuthEpoch). So a change is seen by the very
// next request on the server that made it, and elsewhere within the auth
// epoch's delay, as with cached credentials; a change to a property alone
// leaves the credentials cached.
type propertyCache struct {
	mu sync.Mutex
	// gen counts drops, so that a read that raced a write does not store
	// what it read before the write committed.
	gen   uint64
	epoch [2]int64 // the auth epoch last seen: n and view_n
	m     map[string]*keycard.Property
}

// maxCachedProperties bounds the cache; past it, it starts again empty.
const maxCachedProperties = 20000

// get returns the cached property id, or nil, and the generation to hand
// to put after reading it from the database.
func (c *propertyCache) get(id string) (*keycard.Property, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id], c.gen
}

// getAll returns the cached properties of ids, the ids not cached, and
// the generation to hand to put after reading those.
func (c *propertyCache) getAll(ids iter.Seq[string]) (found []*keycard.Property, missing []string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range ids {
		if prop := c.m[id]; prop != nil {
			found = append(found, prop)
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing, c.gen
}

// put stores prop, read from the database at generation gen, unless the
// cache was dropped since.
func (c *propertyCache) put(prop *keycard.Property, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedProperties {
		c.m = make(map[string]*keycard.Property)
	}
	c.m[prop.ID] = prop
}

// drop empties the cache.
func (c *propertyCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
}

// observe drops the cache when the auth epoch read from the database is
// not the one last seen, and says whether it did.
func (c *propertyCache) observe(epoch [2]int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch == c.epoch {
		return false
	}
	c.epoch = epoch
	c.dropLocked()
	return true
}

func (c *propertyCache) dropLocked() {
	c.gen++
	clear(c.m)
}

// cloneProperty returns a copy of prop that the caller may change without
// changing the cached one: its lists are copied too.
func cloneProperty(prop *keycard.Property) *keycard.Property {
	cp := *prop
	cp.Groups = slices.Clone(prop.Groups)
	cp.Facilities = slices.Clone(prop.Facilities)
	cp.Content.Photos = slices.Clone(prop.Content.Photos)
	return &cp
}
