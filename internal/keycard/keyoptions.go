package keycard

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// Limits of a key's options.
const (
	// MaxIPAllowlist is the most entries an IP allow-list holds.
	MaxIPAllowlist = 100
	// MaxGracePeriod is the longest an old secret may keep working after
	// a roll.
	MaxGracePeriod = 7 * 24 * time.Hour
	// MaxKeyLifetime bounds expires_at, so that a typo of a year is caught.
	MaxKeyLifetime = 10 * 366 * 24 * time.Hour
)

// KeyExpired is the status shown for an active key past its expiry; it is
// never stored.
const KeyExpired = "expired"

// ParseIPAllowlist checks an IP allow-list of addresses and CIDRs and
// returns its entries in canonical form (an address as written, a CIDR
// masked), without duplicates, or a validation message.
func ParseIPAllowlist(list []string) ([]string, []netip.Prefix, string) {
	if len(list) > MaxIPAllowlist {
		return nil, nil, "has too many entries (maximum is 100)"
	}
	out := make([]string, 0, len(list))
	prefixes := make([]netip.Prefix, 0, len(list))
	seen := map[netip.Prefix]bool{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, ok := parsePrefix(s)
		if !ok {
			return nil, nil, "must hold IPv4 or IPv6 addresses or CIDRs such as 203.0.113.0/24"
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		prefixes = append(prefixes, p)
		if p.IsSingleIP() {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, p.String())
		}
	}
	return out, prefixes, ""
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr()))
		return p.Masked(), p.IsValid()
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// unmapBits is how many bits an IPv4-mapped IPv6 prefix loses when unmapped.
func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// IPAllowed reports whether addr is in the allow-list; an empty list allows
// every address, and an unknown address none of a non-empty list.
func IPAllowed(list []netip.Prefix, addr netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range list {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ValidateExpiry reports a validation message for a key expiry set at now,
// or "".
func ValidateExpiry(at time.Time, now time.Time) string {
	switch {
	case !at.After(now):
		return "must be in the future"
	case at.Sub(now) > MaxKeyLifetime:
		return "must be within 10 years"
	}
	return ""
}

// ValidateGracePeriod reports a validation message for a roll's grace
// period, or "".
func ValidateGracePeriod(d time.Duration) string {
	if d < 0 || d > MaxGracePeriod {
		return "must be between 0 and 604800 seconds (7 days)"
	}
	return ""
}

// RequestInfo is what is known of the client of a request: its address
// (from the socket, or from X-Forwarded-For through trusted proxies), its
// user agent and the method it used. Key checks and the audit log read it.
type RequestInfo struct {
	Addr      netip.Addr
	UserAgent string
	Method    string
}

type requestInfoKey struct{}

// WithRequestInfo returns a copy of ctx carrying ri.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoFrom returns the request information in ctx, or the zero
// value.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}
