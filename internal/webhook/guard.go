// Package webhook delivers webhook events: a worker takes due deliveries
// from the database queue, posts them signed (see package webhooksig)
// through an HTTP client that refuses private addresses, and records each
// outcome, retrying with exponential backoff and jitter.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivate is returned for a callback that points to a loopback,
// private, link-local or otherwise internal address.
var ErrPrivate = errors.New("points to a private, loopback or link-local address")

// special are IPv4 ranges that reach no public host, beyond what netip's
// predicates cover.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64, which may map to any of the above
	netip.MustParsePrefix("2001:db8::/32"),
}

// CheckAddr returns ErrPrivate when ip is not a public unicast address.
func CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || ip == netip.IPv4Unspecified() ||
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return ErrPrivate
	}
	for _, p := range special {
		if p.Contains(ip) {
			return ErrPrivate
		}
	}
	return nil
}

// dialControl refuses a connection to a private address. It runs after
// name resolution, on the very address dialled, so a name that resolves
// to a private address (or changes its answer between a check and the
// call) is refused too.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected address %q", address)
	}
	if err := CheckAddr(ap.Addr()); err != nil {
		return fmt.Errorf("webhook: address %s: %w", ap.Addr(), err)
	}
	return nil
}

// CheckCallback checks where a callback URL points, at create time: a
// literal address or a name that resolves to a private address is
// refused. A name that does not resolve now is accepted; it is checked
// again at each delivery.
func CheckCallback(ctx context.Context, raw string, resolver *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ErrPrivate
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return CheckAddr(ip)
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := CheckAddr(a); err != nil {
			return err
		}
	}
	return nil
}
