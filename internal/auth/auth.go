// Package auth turns the credentials of a request (an API key or a session
// token) into a principal, through an in-process cache so that a known
// credential costs no database query.
//
// The cache is correct across processes: every change that cached entries
// depend on (withdrawal, scope change, subscription change, sign-out) bumps
// an epoch counter in the database in the same transaction. A change made
// in this process drops the cache at once; Poll drops it when another
// process (the CLI, another server) changed the epoch. The server runs
// Poll when the store's Watch hears of a commit elsewhere (at once with
// PostgreSQL, within 50 ms with SQLite), and every second as a backstop.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/ratelimit"
	"github.com/keycard/keycard/internal/store"
	"github.com/keycard/keycard/internal/tokens"
)

// maxEntries bounds the cache; when full it is emptied and refills.
const maxEntries = 100_000

// Authenticator authenticates requests. It is safe for concurrent use.
type Authenticator struct {
	store *store.Store
	mode  keycard.Mode
	now   func() time.Time
	log   *slog.Logger

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]*cached
	epoch   int64
	// gen counts local invalidations, so that a lookup that raced with one
	// does not put a stale entry back.
	gen uint64

	usageMu sync.Mutex
	usage   map[string]store.KeyUse

	// refused holds when a key's refused use was last audited, by key id
	// and reason.
	refusedMu sync.Mutex
	refused   map[string]time.Time

	fails failThrottle

	signInLimiter ratelimit.Limiter
	signInLimits  SignInLimits

	hits, misses atomic.Uint64 // credential cache lookups
}

// Config is everything an Authenticator is made of.
type Config struct {
	Store *store.Store
	Mode  keycard.Mode
	Log   *slog.Logger
	// Limiter counts failed password sign-ins and failed authentications;
	// nil limits neither.
	Limiter      ratelimit.Limiter
	SignInLimits SignInLimits
	// AuthFailLimit is how many failed authentications a client address
	// may make in a minute before it is refused for CoolOff; 0 is no
	// limit.
	AuthFailLimit int
	// Now is the clock expiry and grace periods are read by; nil is
	// time.Now.
	Now func() time.Time
}

// New returns an Authenticator made of cfg and registers it to hear of
// the store's changes.
func New(cfg Config) *Authenticator {
	a := &Authenticator{store: cfg.Store, mode: cfg.Mode, now: time.Now, log: cfg.Log,
		entries: map[[sha256.Size]byte]*cached{}, usage: map[string]store.KeyUse{},
		refused:       map[string]time.Time{},
		signInLimiter: cfg.Limiter, signInLimits: cfg.SignInLimits}
	a.fails.limiter, a.fails.limit, a.fails.blocked = cfg.Limiter, cfg.AuthFailLimit, map[netip.Addr]time.Time{}
	if cfg.Now != nil {
		a.now = cfg.Now
	}
	cfg.Store.OnChange(a.Invalidate)
	return a
}

// Invalidate drops every cached credential.
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	clear(a.entries)
	a.gen++
	a.mu.Unlock()
}

// Poll reads the database's epoch and drops the cache if another process
// changed it since the cache was filled.
func (a *Authenticator) Poll(ctx context.Context) error {
	n, err := a.store.AuthEpoch(ctx)
	if err != nil {
		return err
	}
	a.mu.Lock()
	if n != a.epoch {
		clear(a.entries)
		a.gen++
		a.epoch = n
	}
	a.mu.Unlock()
	return nil
}

// Run polls the epoch and flushes key usage every interval until ctx ends,
// then flushes usage one last time. It also watches for other servers'
// changes (see store.Watch), which then apply within milliseconds; the
// poll stays as the backstop.
func (a *Authenticator) Run(ctx context.Context, interval time.Duration) {
	watchDone := make(chan struct{})
	defer func() { <-watchDone }()
	go func() {
		defer close(watchDone)
		a.watch(ctx, interval)
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	flushEvery := 0
	for {
		select {
		case <-ctx.Done():
			// ctx is done: give the last flush a moment of its own.
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			a.logErr(a.FlushUsage(fctx), "flush key usage")
			cancel()
			return
		case <-t.C:
			a.logErr(a.Poll(ctx), "poll auth epoch")
			if flushEvery++; flushEvery >= 10 {
				flushEvery = 0
				a.logErr(a.FlushUsage(ctx), "flush key usage")
			}
		}
	}
}

// watch keeps the store's Watch running, polling at each change it hears
// of, and starts it again an interval after a failure.
func (a *Authenticator) watch(ctx context.Context, retry time.Duration) {
	for {
		err := a.store.Watch(ctx, func() { a.logErr(a.Poll(ctx), "poll auth epoch") })
		if ctx.Err() != nil || err == nil {
			return // ctx ended, or the store is closed
		}
		a.logErr(err, "watch for changes")
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

func (a *Authenticator) logErr(err error, what string) {
	if err != nil && a.log != nil {
		a.log.Error("auth: "+what, "err", err)
	}
}

// Errors of authentication. They carry no secret, and none says whether
// an unknown key exists.
var (
	errUnauthorized = &keycard.Error{Code: keycard.EUnauthorized}
	errMalformed    = &keycard.Error{Code: keycard.EUnauthorized, Details: "The API key is malformed: a keycard API key is kc_ followed by 46 letters and digits; check that it was copied whole"}
	errSessionAsKey = &keycard.Error{Code: keycard.EUnauthorized, Details: "This is a session token, not an API key: send it as Authorization: Bearer <token>, not in user-api-key"}
	errKeyAsBearer  = &keycard.Error{Code: keycard.EUnauthorized, Details: "This is an API key, not a session token: send it in the user-api-key header, not as Authorization: Bearer"}
	errWithdrawn    = &keycard.Error{Code: keycard.EUnauthorized, Details: "This API key has been withdrawn"}
	errExpired      = &keycard.Error{Code: keycard.EUnauthorized, Details: "The session has expired; sign in again"}
	errKeyExpired   = &keycard.Error{Code: keycard.EUnauthorized, Details: "This API key has expired"}
	errRolled       = &keycard.Error{Code: keycard.EUnauthorized, Details: "This API key was rolled and its old secret no longer works; use the new key"}
	errIPNotAllowed = keycard.Errorf(keycard.EForbidden, "This API key may not be used from this IP address: it is not in the key's IP allow-list")
	errSuspended    = keycard.Errorf(keycard.EForbidden, "The organisation's subscription is inactive, so its API keys are suspended")
)

// Outcome names how an authentication went, for metrics: "ok", or why it
// was refused ("invalid": malformed, unknown or missing; "withdrawn";
// "expired"; "suspended"; "error": the lookup failed).
func Outcome(err error) string {
	switch err {
	case nil:
		return "ok"
	case errUnauthorized, errMalformed, errSessionAsKey, errKeyAsBearer:
		return "invalid"
	case errWithdrawn:
		return "withdrawn"
	case errExpired, errKeyExpired, errRolled:
		return "expired"
	case errIPNotAllowed:
		return "ip_not_allowed"
	case errSuspended:
		return "suspended"
	}
	if keycard.ErrorCode(err) == keycard.ERateLimited {
		return "throttled"
	}
	return "error"
}

// CacheStats returns how many credential lookups the cache answered, and
// how many it missed.
func (a *Authenticator) CacheStats() (hits, misses uint64) {
	return a.hits.Load(), a.misses.Load()
}

// APIKey authenticates a request by the value of its user-api-key header,
// and checks the key's options against the request described in ctx (see
// keycard.RequestInfo). Unknown, withdrawn and valid keys take the same
// path: a hash and one lookup by hash.
//
// The failure throttle is asked only once the key has failed (see
// failed): a valid key is never refused for its address's failures. A key
// holds 238 random bits, so the throttle is against noise, not guessing,
// and a PMS behind the NAT of a noisy neighbour must keep working. Checking
// first costs little while an address cools off: a malformed key is
// refused by its format before any storage, and a well-formed unknown one
// costs a cache miss and one indexed lookup by hash, as it did before the
// address was throttled, without the limiter's round trip.
func (a *Authenticator) APIKey(ctx context.Context, key string) (*keycard.Principal, error) {
	ri := keycard.RequestInfoFrom(ctx)
	// Garbage and typos never reach the cache or the database.
	if !tokens.Valid(tokens.KeyPrefix, key) {
		err := errMalformed
		if tokens.Valid(tokens.SessionPrefix, key) {
			err = errSessionAsKey
		}
		return nil, a.failed(ctx, ri.Addr, err)
	}
	c, err := a.credential(ctx, key, a.store.KeyCredential)
	if err == errUnauthorized {
		return nil, a.failed(ctx, ri.Addr, err)
	}
	if err != nil {
		return nil, err
	}
	p := c.Principal
	now := a.now()
	// A refused key's request is counted in its usage here, as the API
	// never learns which key it was (see RecordStatus).
	switch {
	case c.Withdrawn:
		return nil, a.denied(p.APIKeyID, a.refuse(ctx, &p, keycard.RefusedWithdrawn, errWithdrawn))
	case c.Rolled && !now.Before(c.ExpiresAt):
		return nil, a.denied(p.APIKeyID, a.refuse(ctx, &p, keycard.RefusedRolled, errRolled))
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		return nil, a.denied(p.APIKeyID, a.refuse(ctx, &p, keycard.RefusedExpired, errKeyExpired))
	case !keycard.IPAllowed(c.AllowIPs, ri.Addr):
		return nil, a.denied(p.APIKeyID, a.refuse(ctx, &p, keycard.RefusedIP, errIPNotAllowed))
	}
	if a.mode == keycard.ModeProduction && !p.SubscriptionActive {
		return nil, a.denied(p.APIKeyID, errSuspended)
	}
	// The first use is audited with the next flush of key usage, not by a
	// write in this request.
	var first *keycard.RequestInfo
	if !c.Used && c.firstUse.CompareAndSwap(false, true) {
		first = &ri
	}
	a.recordUse(p.APIKeyID, first)
	return &p, nil
}

// Session authenticates a request by its bearer session token. As with
// APIKey, a valid token is never refused for its address's failures; an
// unknown or malformed one from an address that cools off gets the 429.
func (a *Authenticator) Session(ctx context.Context, token string) (*keycard.Principal, error) {
	addr := keycard.RequestInfoFrom(ctx).Addr
	if !tokens.Valid(tokens.SessionPrefix, token) {
		err := errUnauthorized
		if tokens.Valid(tokens.KeyPrefix, token) {
			err = errKeyAsBearer
		}
		return nil, a.failed(ctx, addr, err)
	}
	c, err := a.credential(ctx, token, a.store.SessionCredential)
	if err == errUnauthorized {
		return nil, a.failed(ctx, addr, err)
	}
	if err != nil {
		return nil, err
	}
	if !a.now().Before(c.ExpiresAt) {
		return nil, errExpired
	}
	p := c.Principal
	return &p, nil
}

// RecordRefusal records in the audit log that p's key was refused for
// reason after authentication (out of scope), at most once per key and
// reason a minute.
func (a *Authenticator) RecordRefusal(ctx context.Context, p *keycard.Principal, reason string) {
	a.refuse(ctx, p, reason, nil)
}

// refuse records a known key's refused use in the audit log, at most once
// per key and reason a minute, and returns err.
func (a *Authenticator) refuse(ctx context.Context, p *keycard.Principal, reason string, err error) error {
	now := a.now()
	k := p.APIKeyID + " " + reason
	a.refusedMu.Lock()
	last, seen := a.refused[k]
	if !seen || now.Sub(last) >= time.Minute {
		if len(a.refused) >= maxEntries {
			clear(a.refused)
		}
		a.refused[k] = now
	}
	a.refusedMu.Unlock()
	if seen && now.Sub(last) < time.Minute {
		return err
	}
	event := keycard.AuditUseRefused
	if reason == keycard.RefusedExpired {
		event = keycard.AuditExpired // the store records it once, then as a refused use
	}
	a.logErr(a.store.RecordKeyEvent(ctx, p.APIKeyID, event, reason), "record refused key use")
	return err
}

// cached is a credential in the cache.
type cached struct {
	store.Credential
	// firstUse is set once this process counted the key's first use.
	firstUse atomic.Bool
}

// credential returns the cached credential for token, looking it up on a
// miss. Unknown tokens are not cached: they cannot be guessed anyway, and
// caching them would let garbage fill the cache.
func (a *Authenticator) credential(ctx context.Context, token string, lookup func(context.Context, string) (*store.Credential, error)) (*cached, error) {
	sum := sha256.Sum256([]byte(token))
	a.mu.RLock()
	c, ok := a.entries[sum]
	gen := a.gen
	a.mu.RUnlock()
	if ok {
		a.hits.Add(1)
		return c, nil
	}
	a.misses.Add(1)
	sc, err := lookup(ctx, hex.EncodeToString(sum[:]))
	if keycard.ErrorCode(err) == keycard.ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	c = &cached{Credential: *sc}
	a.mu.Lock()
	if a.gen == gen {
		if len(a.entries) >= maxEntries {
			clear(a.entries)
		}
		a.entries[sum] = c
	}
	a.mu.Unlock()
	return c, nil
}

// SetClock replaces the clock that session expiry and key use are read
// from; for tests.
func (a *Authenticator) SetClock(now func() time.Time) { a.now = now }

// SignInLimits bound failed password sign-ins; 0 turns a limit off. Only
// failures count, so a user who signs in often is never held up.
type SignInLimits struct {
	// PerEmail counts an email's failures per minute from one client
	// address: a guesser elsewhere cannot lock its owner out.
	PerEmail int
	// PerAddress counts a client address's failures per minute, whatever
	// the emails: one address cannot spray guesses across accounts.
	PerAddress int
	// PerAccount counts an email's failures per AccountWindow from every
	// address together: a guesser rotating addresses (through a botnet,
	// or a forged hop behind a trusted proxy) gets no more. Once it is
	// spent, the account's password sign-ins pause for AccountWindow, the
	// right password included; its keys and sessions keep working.
	PerAccount int
}

// AccountWindow is the window of SignInLimits.PerAccount, and how long an
// account's password sign-ins pause once it is spent.
const AccountWindow = time.Hour

// accountPausedTitle names the refusal of a paused account's sign-in.
const accountPausedTitle = "Sign-ins to this account are paused after too many failed attempts"

// AccountPaused reports whether err refuses a sign-in because the
// account's password sign-ins are paused (see SignInLimits.PerAccount).
func AccountPaused(err error) bool {
	e, ok := errors.AsType[*keycard.Error](err)
	return ok && e.Title == accountPausedTitle
}

func accountPausedError(retry time.Duration) error {
	minutes := max(1, int((retry+time.Minute-1)/time.Minute))
	when := "in 1 minute"
	if minutes > 1 {
		when = "in " + strconv.Itoa(minutes) + " minutes"
	}
	return &keycard.Error{Code: keycard.ERateLimited, RetryAfter: retry, Title: accountPausedTitle,
		Details: accountPausedTitle + "; try again " + when}
}

// SignIn checks an email and password from a client at addr (host:port or
// host) and starts a session, unless the email has failed too often from
// that address this minute, or the address has failed too often with any
// email, or the email's sign-ins are paused after too many failures from
// anywhere (AccountPaused): that stops passwords being guessed online, for
// the API and the UI alike.
func (a *Authenticator) SignIn(ctx context.Context, email, password, addr string) (*store.Session, error) {
	client := keycard.RequestInfoFrom(ctx).Addr
	if !client.IsValid() {
		client = parseAddr(addr)
	}
	if err := a.throttled(client); err != nil {
		return nil, err
	}
	if client.IsValid() {
		addr = client.String()
	}
	count, pause := a.accountRules(email)
	if pause != nil {
		res, err := a.signInLimiter.Peek(ctx, *pause)
		switch {
		case err != nil:
			a.logErr(err, "check account sign-in pause")
		case !res.Allowed:
			return nil, accountPausedError(res.RetryAfter)
		}
	}
	rules := a.signInRules(email, addr)
	if len(rules) > 0 {
		res, err := a.signInLimiter.Peek(ctx, rules...)
		switch {
		case err != nil:
			a.logErr(err, "check sign-in limits")
		case !res.Allowed:
			return nil, &keycard.Error{Code: keycard.ERateLimited, RetryAfter: res.RetryAfter,
				Details: "Too many failed sign-in attempts; try again in a minute"}
		}
	}
	sess, err := a.store.SignIn(ctx, email, password)
	if keycard.ErrorCode(err) == keycard.EUnauthorized {
		if len(rules) > 0 {
			if _, err := a.signInLimiter.Allow(ctx, rules...); err != nil {
				a.logErr(err, "count failed sign-in")
			}
		}
		if count != nil {
			a.countAccountFailure(ctx, *count, *pause)
		}
		return nil, a.failed(ctx, client, err)
	}
	return sess, err
}

// signInRules returns the limits a sign-in from addr for email counts
// against. Counters are named by hashes: a shared Redis holds no emails
// and no addresses.
func (a *Authenticator) signInRules(email, addr string) []ratelimit.Rule {
	if a.signInLimiter == nil {
		return nil
	}
	client := clientKey(addr)
	var rules []ratelimit.Rule
	if a.signInLimits.PerEmail > 0 {
		rules = append(rules, ratelimit.Rule{Key: "sign-in:" + tokens.Hash(keycard.NormalizeEmail(email)+" "+client), Limit: a.signInLimits.PerEmail, Window: time.Minute})
	}
	if a.signInLimits.PerAddress > 0 {
		rules = append(rules, ratelimit.Rule{Key: "sign-in-addr:" + tokens.Hash(client), Limit: a.signInLimits.PerAddress, Window: time.Minute})
	}
	return rules
}

// accountRules returns the counter of an email's failed sign-ins from
// every address, and the pause that starts once it is spent; nil when the
// limit is off. They are kept by email, whether or not an account has it:
// pausing only real accounts would tell a guesser which emails have one.
func (a *Authenticator) accountRules(email string) (count, pause *ratelimit.Rule) {
	if a.signInLimiter == nil || a.signInLimits.PerAccount <= 0 {
		return nil, nil
	}
	h := tokens.Hash(keycard.NormalizeEmail(email))
	return &ratelimit.Rule{Key: "sign-in-account:" + h, Limit: a.signInLimits.PerAccount, Window: AccountWindow},
		// Counting once in a bucket of one fills it for the whole window,
		// shared by every server that counts in the same limiter.
		&ratelimit.Rule{Key: "sign-in-paused:" + h, Limit: 1, Window: AccountWindow}
}

// countAccountFailure counts a failed sign-in against count, and starts
// pause once count is spent. The counter alone would let a sign-in through
// each time one failure's worth refilled; the pause holds for the window.
func (a *Authenticator) countAccountFailure(ctx context.Context, count, pause ratelimit.Rule) {
	res, err := a.signInLimiter.Allow(ctx, count)
	if err != nil {
		a.logErr(err, "count failed sign-in for the account")
		return
	}
	if res.Allowed && res.Remaining > 0 {
		return
	}
	if _, err := a.signInLimiter.Allow(ctx, pause); err != nil {
		a.logErr(err, "pause the account's sign-ins")
	}
}

// parseAddr reads the address of host:port or host; the zero Addr when
// it is none.
func parseAddr(addr string) netip.Addr {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, _ := netip.ParseAddr(host)
	return ip
}

// clientKey names the client at addr for sign-in limits: its IPv4
// address, or the /64 network of its IPv6 address, since one IPv6 host
// commonly holds a whole /64.
func clientKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}
