package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// Leases is a headroom.Leases in memory, handing out leases among the
// goroutines of one process: for tests. It passes the contract the SQL
// stores pass (storetest.RunLeases). The zero value is ready to use.
type Leases struct {
	// Now is the leases' clock; nil means time.Now. Tests set it to move
	// time by hand.
	Now func() time.Time

	mu     sync.Mutex
	leases map[string]headroom.Lease
}

var _ headroom.Leases = (*Leases)(nil)

func (m *Leases) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Acquire takes lease name for holder until now+ttl when it is free,
// expired (its expiry is not after now) or already holder's.
//
// Errors: EINVALID when name or holder is empty or ttl is not positive.
func (m *Leases) Acquire(_ context.Context, name, holder string, ttl time.Duration) (headroom.Lease, bool, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return headroom.Lease{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	l, held := m.leases[name]
	if held && l.Holder != holder && l.Expires.After(now) {
		return l, false, nil
	}
	if !held || l.Holder != holder {
		// Changing hands (or first taken): the fencing token grows.
		l.Token++
	}
	l.Name, l.Holder, l.Expires = name, holder, now.Add(ttl)
	if m.leases == nil {
		m.leases = map[string]headroom.Lease{}
	}
	m.leases[name] = l
	return l, true, nil
}

// Release ends holder's lease name now; it does nothing when holder does
// not hold it.
func (m *Leases) Release(_ context.Context, name, holder string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, held := m.leases[name]; held && l.Holder == holder && l.Expires.After(now) {
		l.Expires = now
		m.leases[name] = l
	}
	return nil
}

// checkLease validates Acquire's arguments.
func checkLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "":
		return headroom.Errorf(headroom.EINVALID, "acquire lease: empty name")
	case holder == "":
		return headroom.Errorf(headroom.EINVALID, "acquire lease %s: empty holder", name)
	case ttl <= 0:
		return headroom.Errorf(headroom.EINVALID, "acquire lease %s: ttl %s, want a positive duration", name, ttl)
	}
	return nil
}

// token returns lease name's current token, 0 when it was never taken: what
// Journal's fenced writes are checked against.
func (m *Leases) token(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leases[name].Token
}

// List returns the unexpired leases whose names begin with prefix, ordered
// by name.
func (m *Leases) List(_ context.Context, prefix string) ([]headroom.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []headroom.Lease
	for name, l := range m.leases {
		if strings.HasPrefix(name, prefix) && l.Expires.After(now) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b headroom.Lease) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
