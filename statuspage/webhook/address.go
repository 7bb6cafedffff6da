package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrInternalAddress is a delivery's error when the receiver's address, as
// resolved when connecting, is internal and the Worker does not
// AllowPrivate.
var ErrInternalAddress = errors.New("webhook: internal address refused (loopback, private, link-local or reserved; spec.page.webhooks.allowPrivate: true allows one)")

// internalPrefixes are the ranges no receiver on the internet has, beyond
// what netip.Addr's methods name: this network, shared address space
// (carrier-grade NAT), IETF protocol assignments, benchmarking, reserved,
// and IPv6's NAT64 and discard prefixes.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
}

// Internal says whether addr is one a receiver on the internet does not
// have: loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12, 192.168/16,
// fc00::/7), link-local (169.254/16 — the cloud metadata service —,
// fe80::/10), unspecified, multicast, carrier-grade NAT (100.64/10) and
// the other reserved ranges. An IPv4 address written in IPv6 is judged as
// IPv4.
func Internal(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() ||
		addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CheckURL says, when a subscriber is added, whether its URL names an
// internal receiver by itself: an IP address that is Internal, or
// localhost. Other names are checked at each delivery, after they are
// resolved (a name's DNS can change).
//
// Errors: ErrInternalAddress, naming the host.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // not this check's concern: the URL is refused elsewhere
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s", ErrInternalAddress, host)
	}
	if addr, err := netip.ParseAddr(host); err == nil && Internal(addr) {
		return fmt.Errorf("%w: %s", ErrInternalAddress, host)
	}
	return nil
}

// refuseInternal is a net.Dialer's ControlContext: it runs after the name
// is resolved, before each connection, and refuses an Internal address.
func refuseInternal(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInternalAddress, address)
	}
	if Internal(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrInternalAddress, ap.Addr())
	}
	return nil
}

// newClient is the Worker's client: no redirects followed (a 3xx is a
// failed attempt: the subscriber's URL should be fixed, not followed), no
// proxy (the address checked must be the receiver's, not a proxy's), and,
// unless allowPrivate, no connection to an internal address.
func newClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.ControlContext = refuseInternal
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
