package statuspage

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// ForwardedClient names a request's client for the per-client limits when
// serve runs behind reverse proxies: from a trusted proxy, the nearest
// address of X-Forwarded-For that is not itself a trusted proxy (read
// right to left: what is left of it, the client could have written); from
// anyone else, the connection's address. Without it every visitor behind
// the proxy shares one address, and a few sign-ups during an outage use
// up everyone's limit.
// https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-For#selecting_an_ip_address
func ForwardedClient(trusted []netip.Prefix) func(*http.Request) string {
	isTrusted := func(a netip.Addr) bool { return inPrefixes(a, trusted) }
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !isTrusted(peer) {
			return host
		}
		var hops []string
		for _, line := range r.Header.Values("X-Forwarded-For") {
			for _, h := range strings.Split(line, ",") {
				hops = append(hops, strings.TrimSpace(h))
			}
		}
		client := peer.Unmap().String()
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(hops[i])
			if err != nil {
				break // a hop no proxy wrote: trust nothing beyond it
			}
			client = a.Unmap().String()
			if !isTrusted(a) {
				break
			}
		}
		return client
	}
}

// inPrefixes says whether a (an IPv4-mapped IPv6 address as its IPv4
// self) is in one of ps: the trusted proxies of sign-ins and of client
// addresses alike.
func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	a = a.Unmap()
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}
