package statuspage

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	client := ForwardedClient(trusted)
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"no proxy in front: the connection", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"an untrusted peer's header is ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"behind a trusted proxy: the address it saw", "10.1.2.3:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the nearest untrusted hop, not a forged first one", "10.1.2.3:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies in a row", "10.1.2.3:443", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"several header lines read as one list", "10.1.2.3:443", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"IPv6 peer", "[::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"garbage in the header stops the walk at the proxy", "10.1.2.3:443", []string{"1.2.3.4, not-an-address"}, "10.1.2.3"},
		{"a header naming only trusted hops: the farthest", "10.1.2.3:443", []string{"10.4.4.4, 10.5.5.5"}, "10.4.4.4"},
		{"a trusted proxy without the header", "10.1.2.3:443", nil, "10.1.2.3"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := client(r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
