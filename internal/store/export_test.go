package store

import "time"

// SetNow makes s read the time from now, for tests.
func SetNow(s *Store, now func() time.Time) { s.now = now }
