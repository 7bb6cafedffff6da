package admin

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the limit on bad tokens.
const (
	// DefaultBadTokenBurst bad tokens are answered 401 from one client
	// before it gets 429s...
	DefaultBadTokenBurst = 10
	// ...and it earns one more attempt per DefaultBadTokenEvery.
	DefaultBadTokenEvery = 6 * time.Second
)

// sweepEvery is how often clients that are back to a full allowance are
// forgotten, so that the map does not grow with every address seen.
const sweepEvery = time.Minute

// badTokens limits, per client, how many requests with a missing or bad
// token it may make: guessing tokens becomes hopeless, and a client that
// tries is told to wait (429 with Retry-After) without its token being
// looked at.
type badTokens struct {
	every time.Duration
	burst int

	mu        sync.Mutex
	clients   map[string]*rate.Limiter
	lastSweep time.Time
}

func newBadTokens(every time.Duration, burst int) *badTokens {
	return &badTokens{every: every, burst: burst, clients: map[string]*rate.Limiter{}}
}

// blocked says whether client has used up its bad tokens at now, and when
// it may try again.
func (b *badTokens) blocked(client string, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, ok := b.clients[client]
	if !ok {
		return 0, false
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - tokens) * float64(b.every))
	return wait, true
}

// fail counts a bad token from client at now.
func (b *badTokens) fail(client string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.lastSweep) >= sweepEvery {
		b.sweep(now)
	}
	lim, ok := b.clients[client]
	if !ok {
		lim = rate.NewLimiter(rate.Every(b.every), b.burst)
		b.clients[client] = lim
	}
	lim.AllowN(now, 1)
}

// sweep forgets the clients whose allowance is full again: they are no
// different from clients never seen.
func (b *badTokens) sweep(now time.Time) {
	for client, lim := range b.clients {
		if lim.TokensAt(now) >= float64(b.burst) {
			delete(b.clients, client)
		}
	}
	b.lastSweep = now
}

// retryAfter is Retry-After's value for wait: whole seconds, at least 1.
func retryAfter(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// RemoteIP is the default client of a request for the bad-token limit:
// the connection's address, IPv6 addresses by their /64 (one host
// usually has a whole /64 to pick addresses from). Behind a reverse proxy
// every client has the proxy's address: pass WithClientIP a function
// reading the header the proxy sets.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
