package store

import "time"

// SetNow makes s read the time from now, for tests.
func SetNow(s *Store, now func() time.Time) { s.now = now }

// PropertyCacheDrops returns how many times s's property cache has been
// dropped, for tests of what drops it.
func PropertyCacheDrops(s *Store) uint64 {
	s.props.mu.Lock()
	defer s.props.mu.Unlock()
	return s.props.gen
}
