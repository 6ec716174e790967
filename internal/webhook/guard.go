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

// ErrNotAllowed is returned for a callback that points to an address a
// webhook must not reach: loopback, private, link-local, any other
// special-purpose range, or an address of this machine.
var ErrNotAllowed = errors.New("points to a private, reserved or special-purpose address, or to this server itself")

// specialRange is a range of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (plus multicast and the deprecated site-local range), none of
// which holds a webhook receiver; a callback there could only reach this
// machine, its networks, or nothing.
type specialRange struct {
	prefix netip.Prefix
	name   string
}

var special = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network"}, // 0.0.0.0 reaches this machine
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"}, // cloud metadata services
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.31.196.0/24"), "AS112"},
	{netip.MustParsePrefix("192.52.193.0/24"), "AMT"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("192.175.48.0/24"), "AS112"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // 255.255.255.255 broadcast included

	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	// ::ffff:0:0/96 (IPv4-mapped), 64:ff9b::/96 (NAT64) and 2002::/16
	// (6to4) are judged by the IPv4 address they carry: see embeddedV4.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "dummy prefix"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments"}, // Teredo 2001::/32 included
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "AS112"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing (SRv6) SIDs"},
	{netip.MustParsePrefix("fc00::/7"), "unique local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	mapped    = netip.MustParsePrefix("::ffff:0:0/96")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// globalUnicast is the only IPv6 space allocated for global unicast:
	// anything outside it (unallocated, or IPv4-compatible ::/96) is
	// refused even if no range above names it.
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// embeddedV4 returns the IPv4 address that an IPv6 address carries by a
// fixed rule, and the connection really goes to: IPv4-mapped
// (::ffff:a.b.c.d), NAT64's well-known prefix (64:ff9b::a.b.c.d, RFC 6052,
// through the network's translator) and 6to4 (2002:aabb:ccdd::/48, RFC
// 3056, through a relay).
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case !ip.Is6():
		return netip.Addr{}, false
	case mapped.Contains(ip):
		return ip.Unmap(), true
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// target returns the address a connection to ip reaches, without a zone:
// the embedded IPv4 address for the forms embeddedV4 knows.
func target(ip netip.Addr) netip.Addr {
	ip = ip.WithZone("")
	if v4, ok := embeddedV4(ip); ok {
		return v4
	}
	return ip
}

// CheckAddr returns an error wrapping ErrNotAllowed when ip (or the IPv4
// address it carries) is in a special-purpose range. It does not know
// this machine's own addresses: Guard.Check does.
func CheckAddr(ip netip.Addr) error {
	t := target(ip)
	if !t.IsValid() {
		return ErrNotAllowed
	}
	for _, r := range special {
		if r.prefix.Contains(t) {
			return fmt.Errorf("%s is %s: %w", t, r.name, ErrNotAllowed)
		}
	}
	if t.Is6() && !globalUnicast.Contains(t) {
		return fmt.Errorf("%s is not global unicast: %w", t, ErrNotAllowed)
	}
	return nil
}

// Guard decides which addresses a callback may reach: none of the
// special-purpose ranges (CheckAddr), and none of this machine's own
// addresses, whatever range they are in (a public or documentation
// address on eth0 reaches the services bound there as well as loopback
// does). The machine's addresses are listed afresh at each check (it
// costs tens of microseconds, next to a connection's milliseconds), so an
// address gained later is refused too.
type Guard struct {
	// interfaceAddrs lists this machine's addresses: net.InterfaceAddrs,
	// or a test's own list.
	interfaceAddrs func() ([]net.Addr, error)
}

// NewGuard returns a Guard over this machine's network interfaces.
func NewGuard() *Guard { return &Guard{interfaceAddrs: net.InterfaceAddrs} }

// ownAddrs returns this machine's addresses as targets.
func (g *Guard) ownAddrs() (map[netip.Addr]bool, error) {
	addrs, err := g.interfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("webhook: list this machine's addresses: %w", err)
	}
	own := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		var ip net.IP
		switch a := a.(type) {
		case *net.IPNet:
			ip = a.IP
		case *net.IPAddr:
			ip = a.IP
		}
		if ip, ok := netip.AddrFromSlice(ip); ok {
			own[target(ip)] = true
		}
	}
	return own, nil
}

// check judges ip against the special ranges and the machine's addresses.
func check(ip netip.Addr, own map[netip.Addr]bool) error {
	if err := CheckAddr(ip); err != nil {
		return err
	}
	if t := target(ip); own[t] {
		return fmt.Errorf("%s is an address of this machine: %w", t, ErrNotAllowed)
	}
	return nil
}

// Check returns an error wrapping ErrNotAllowed when a callback must not
// reach ip. It fails closed: when the machine's addresses cannot be
// listed, it returns that error.
func (g *Guard) Check(ip netip.Addr) error {
	if err := CheckAddr(ip); err != nil {
		return err
	}
	own, err := g.ownAddrs()
	if err != nil {
		return err
	}
	return check(ip, own)
}

// control is a net.Dialer Control function that refuses what Check
// refuses. It runs after name resolution, on the very address dialled,
// so a name that resolves to a refused address (or changes its answer
// between the create-time check and a delivery) is refused too.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected address %q", address)
	}
	return g.Check(ap.Addr())
}

// CheckCallback checks where a callback URL points, at create time: a
// literal address or a name that resolves to an address Check refuses is
// refused, with an error wrapping ErrNotAllowed. A name that does not
// resolve now is accepted; it is checked again at each delivery.
func (g *Guard) CheckCallback(ctx context.Context, raw string, resolver *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s is loopback: %w", host, ErrNotAllowed)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		if resolver == nil {
			resolver = net.DefaultResolver
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if addrs, err = resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil
		}
	}
	own, err := g.ownAddrs()
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := check(a, own); err != nil {
			return err
		}
	}
	return nil
}
