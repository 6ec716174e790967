package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestAddr(t *testing.T) {
	tests := []struct {
		name, trusted, remote string
		xff                   []string
		want                  string
	}{
		{"no proxies trusted ignores the header", "", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"untrusted peer cannot forge", "10.0.0.0/8", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"trusted peer gives its client", "10.0.0.0/8", "10.0.0.2:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"right-most untrusted hop wins over a forged left one", "10.0.0.0/8", "10.0.0.2:5000", []string{"1.2.3.4, 203.0.113.9, 10.0.0.5"}, "203.0.113.9"},
		{"several header lines", "10.0.0.0/8", "10.0.0.2:5000", []string{"1.2.3.4", "203.0.113.9"}, "203.0.113.9"},
		{"garbage hop stops at the last real one", "10.0.0.0/8", "10.0.0.2:5000", []string{"203.0.113.9, nonsense"}, "10.0.0.2"},
		{"all trusted gives the left-most", "10.0.0.0/8", "10.0.0.2:5000", []string{"10.1.1.1"}, "10.1.1.1"},
		{"no header gives the proxy", "10.0.0.2", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"ipv6 peer and hop", "::1", "[::1]:5000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"mapped ipv4 peer", "127.0.0.1", "[::ffff:127.0.0.1]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for _, h := range tt.xff {
				req.Header.Add("X-Forwarded-For", h)
			}
			if got := r.Addr(req).String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseRefusesGarbage(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "example.com", "10.0.0.1,,zz"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q): got no error, want one", s)
		}
	}
}
