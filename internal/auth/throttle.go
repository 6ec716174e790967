package auth

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/tokens"
)

// CoolOff is how long a client address that failed to authenticate too
// often is refused.
const CoolOff = time.Minute

// failThrottle counts failed authentications (unknown or malformed keys,
// unknown session tokens, wrong passwords) per client address, in the
// limiter (Redis, when shared). An address over the limit is refused for
// CoolOff: its password sign-ins and any credential that fails, but not a
// valid key or session token, so that a noisy neighbour behind the same
// NAT cannot stop a PMS. Only failures touch the limiter and the blocked
// map: a valid credential costs nothing here.
type failThrottle struct {
	limiter ratelimit.Limiter
	limit   int

	// nblocked is len(blocked), read without the lock: while no address
	// cools off, a request takes no lock here.
	nblocked atomic.Int64
	mu       sync.Mutex
	blocked  map[netip.Addr]time.Time // client key -> end of its cool-off
}

// throttleKey is the address counted for addr: itself, or for IPv6 its
// /64, which one host commonly holds whole.
func throttleKey(addr netip.Addr) netip.Addr {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().Addr()
	}
	return addr
}

func throttledError(retry time.Duration) error {
	return &keycard.Error{Code: keycard.ERateLimited, RetryAfter: retry,
		Details: "Too many failed authentications from this address; try again later"}
}

// throttled returns a 429 error while addr cools off.
func (a *Authenticator) throttled(addr netip.Addr) error {
	f := &a.fails
	if f.limit <= 0 || !addr.IsValid() || f.nblocked.Load() == 0 {
		return nil
	}
	now := a.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	k := throttleKey(addr)
	until, ok := f.blocked[k]
	if !ok {
		return nil
	}
	if !now.Before(until) {
		delete(f.blocked, k)
		f.nblocked.Store(int64(len(f.blocked)))
		return nil
	}
	return throttledError(until.Sub(now))
}

// failed counts a failed authentication from addr and returns err, or a
// 429 error when addr cools off or is now over the limit. While addr cools
// off its failures are not counted again: the limiter is not asked.
func (a *Authenticator) failed(ctx context.Context, addr netip.Addr, err error) error {
	f := &a.fails
	if f.limit <= 0 || !addr.IsValid() {
		return err
	}
	if terr := a.throttled(addr); terr != nil {
		return terr
	}
	k := throttleKey(addr)
	// Counters are named by a hash: a shared Redis holds no addresses.
	res, lerr := f.limiter.Allow(ctx, ratelimit.Rule{Key: "auth-fail:" + tokens.Hash(k.String()), Limit: f.limit, Window: time.Minute})
	if lerr != nil {
		a.logErr(lerr, "count failed authentication")
		return err
	}
	if res.Allowed {
		return err
	}
	now := a.now()
	f.mu.Lock()
	for b, until := range f.blocked {
		if len(f.blocked) < 10_000 {
			break
		}
		if !now.Before(until) {
			delete(f.blocked, b)
		}
	}
	f.blocked[k] = now.Add(CoolOff)
	f.nblocked.Store(int64(len(f.blocked)))
	f.mu.Unlock()
	return throttledError(CoolOff)
}
