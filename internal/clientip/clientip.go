// Package clientip finds the address of the client of an HTTP request:
// the socket's peer, or, when that peer is a proxy the operator trusts,
// the right-most address in X-Forwarded-For that is not a trusted proxy.
// Hops left of it were written by the client itself and may be forged, so
// they are never read.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses. Its zero value trusts no proxy: the
// socket's peer is the client.
type Resolver struct {
	trusted []netip.Prefix
}

// Parse returns a Resolver trusting the proxies in list, a comma-separated
// list of addresses and CIDRs ("" trusts none).
func Parse(list string) (Resolver, error) {
	var r Resolver
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := parse(s)
		if err != nil {
			return Resolver{}, fmt.Errorf("trusted proxy %q is not an IP address or CIDR", s)
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

func parse(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (r Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client address of req; the zero Addr when even the
// socket's peer is unreadable (as in some tests).
func (r Resolver) Addr(req *http.Request) netip.Addr {
	peer := hostAddr(req.RemoteAddr)
	if !peer.IsValid() || len(r.trusted) == 0 || !r.isTrusted(peer) {
		return peer
	}
	// Walk the hops right to left: each was appended by the proxy to its
	// right, so they hold as long as that proxy is trusted.
	hops := req.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a := hostAddr(strings.TrimSpace(parts[j]))
			if !a.IsValid() {
				// Garbage from a trusted proxy's client: the proxy is
				// the last address known to be real.
				return client
			}
			client = a
			if !r.isTrusted(a) {
				return a
			}
		}
	}
	return client
}

// hostAddr parses an address with or without a port.
func hostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}
