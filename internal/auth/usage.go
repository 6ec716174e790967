package auth

import (
	"context"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// A key's use is counted in memory and written behind in batches (see
// FlushUsage, which Run calls every 10 seconds): its use count and last
// use, and its requests per hour by outcome class.

// recordUse counts a successful authentication of a key; first, when
// set, is the client of the key's first use.
func (a *Authenticator) recordUse(keyID string, first *keycard.RequestInfo) {
	now := a.now()
	a.usageMu.Lock()
	u := a.usage[keyID]
	u.Count++
	u.LastUsed = now
	if first != nil && u.First == nil {
		u.First, u.FirstAt = first, now
	}
	a.usage[keyID] = u
	a.usageMu.Unlock()
}

// denied counts a refused request of a known key (401 or 403) in its
// usage, and returns err.
func (a *Authenticator) denied(keyID string, err error) error {
	a.count(keyID, keycard.UsageDenied)
	return err
}

// RecordStatus counts a request of an authenticated key in the key's
// usage by the class of the status it was answered with. Requests the
// authenticator refused are counted already.
func (a *Authenticator) RecordStatus(keyID string, status int) {
	a.count(keyID, keycard.UsageClassOf(status))
}

func (a *Authenticator) count(keyID string, class int) {
	hour := micros(a.now().UTC().Truncate(time.Hour))
	a.usageMu.Lock()
	u := a.usage[keyID]
	if u.Hours == nil {
		u.Hours = map[int64]keycard.UsageCounts{}
	}
	c := u.Hours[hour]
	c[class]++
	u.Hours[hour] = c
	a.usage[keyID] = u
	a.usageMu.Unlock()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// FlushUsage writes the key uses counted since the last flush, in one
// transaction; on failure they are kept for the next one.
func (a *Authenticator) FlushUsage(ctx context.Context) error {
	a.usageMu.Lock()
	batch := a.usage
	a.usage = make(map[string]store.KeyUse, len(batch))
	a.usageMu.Unlock()
	if err := a.store.RecordKeyUse(ctx, batch); err != nil {
		a.usageMu.Lock()
		for id, u := range batch {
			cur := a.usage[id]
			cur.Count += u.Count
			if u.LastUsed.After(cur.LastUsed) {
				cur.LastUsed = u.LastUsed
			}
			if u.First != nil {
				cur.First, cur.FirstAt = u.First, u.FirstAt
			}
			for h, c := range u.Hours {
				if cur.Hours == nil {
					cur.Hours = map[int64]keycard.UsageCounts{}
				}
				sum := cur.Hours[h]
				sum.Add(c)
				cur.Hours[h] = sum
			}
			a.usage[id] = cur
		}
		a.usageMu.Unlock()
		return err
	}
	return nil
}
