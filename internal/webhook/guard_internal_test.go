package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

// fakeInterfaces lists addrs as this machine's: the test cannot give the
// machine a public address, and a public address is where the own-address
// rule is needed beyond the special ranges.
type fakeInterfaces struct {
	addrs []string
	err   error
}

func (f *fakeInterfaces) list() ([]net.Addr, error) {
	var out []net.Addr
	for _, a := range f.addrs {
		ip, ipnet, err := net.ParseCIDR(a)
		if err != nil {
			return nil, err
		}
		out = append(out, &net.IPNet{IP: ip, Mask: ipnet.Mask})
	}
	return out, f.err
}

// TestGuardOwnAddresses refuses this machine's public addresses in every
// form that reaches them, at create time and at dial time, and follows
// the machine's addresses as they change.
func TestGuardOwnAddresses(t *testing.T) {
	ifs := &fakeInterfaces{addrs: []string{"127.0.0.1/8", "8.8.4.4/24", "2606:4700:4700::1111/64"}}
	g := &Guard{interfaceAddrs: ifs.list}
	checkAll := func(t *testing.T, addrs []string, refused bool) {
		t.Helper()
		for _, a := range addrs {
			ip := netip.MustParseAddr(a)
			if err := g.Check(ip); errors.Is(err, ErrNotAllowed) != refused {
				t.Errorf("Check(%s) = %v, want refused %v", a, err, refused)
			}
			err := g.control("tcp", netip.AddrPortFrom(ip, 443).String(), nil)
			if errors.Is(err, ErrNotAllowed) != refused {
				t.Errorf("dial %s = %v, want refused %v", a, err, refused)
			}
			err = g.CheckCallback(context.Background(), "https://"+netip.AddrPortFrom(ip, 443).String()+"/hook", nil)
			if errors.Is(err, ErrNotAllowed) != refused {
				t.Errorf("CheckCallback to %s = %v, want refused %v", a, err, refused)
			}
		}
	}
	own := []string{"8.8.4.4", "::ffff:8.8.4.4", "64:ff9b::8.8.4.4", "2002:808:404::1", "2606:4700:4700::1111"}
	checkAll(t, own, true)
	checkAll(t, []string{"8.8.8.8", "2606:4700:4700::1001", "1.1.1.1"}, false)

	// The machine loses those addresses and gains 1.1.1.1.
	ifs.addrs = []string{"127.0.0.1/8", "1.1.1.1/32"}
	checkAll(t, own, false)
	checkAll(t, []string{"1.1.1.1"}, true)

	// Addresses that cannot be listed refuse everything.
	ifs.err = errors.New("netlink: permission denied")
	if err := g.Check(netip.MustParseAddr("8.8.8.8")); err == nil {
		t.Errorf("Check with the interfaces unlisted = nil, want an error")
	}
	if err := g.control("tcp", "8.8.8.8:443", nil); err == nil {
		t.Errorf("dial with the interfaces unlisted = nil, want an error")
	}
}
