package memory_test

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/headroomhq/headroom/store/storetest"
)

// TestJournal runs the contract against memory.Journal.
func TestJournal(t *testing.T) {
	storetest.RunJournal(t, func(t *testing.T) headroom.Journal {
		return &memory.Journal{}
	})
}

// TestFencing runs the fencing contract against a Journal
// checking its fences against Leases.
func TestFencing(t *testing.T) {
	storetest.RunFencing(t, func(t *testing.T) (headroom.Journal, headroom.Leases) {
		l := &memory.Leases{}
		return &memory.Journal{Leases: l}, l
	})
}

// TestLeases runs the contract against memory.Leases.
func TestLeases(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) headroom.Leases {
		return &memory.Leases{}
	})
}

// TestLeasesClock checks Leases' expiry against its injected
// clock, to the nanosecond: the contract can only sleep.
func TestLeasesClock(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	m := &memory.Leases{Now: func() time.Time { return now }}
	ctx := t.Context()
	acquire := func(holder string) (headroom.Lease, bool) {
		t.Helper()
		l, ok, err := m.Acquire(ctx, "leader", holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return l, ok
	}
	if l, ok := acquire("a"); !ok || !l.Expires.Equal(now.Add(time.Minute)) {
		t.Fatalf("Acquire = %+v, %v; want held until %v", l, ok, now.Add(time.Minute))
	}
	now = now.Add(time.Minute - time.Nanosecond)
	if l, ok := acquire("b"); ok {
		t.Errorf("b acquired a's lease a nanosecond before it expires: %+v", l)
	}
	now = now.Add(time.Nanosecond)
	if l, ok := acquire("b"); !ok || l.Token != 2 {
		t.Errorf("b's Acquire when a's lease expires = %+v, %v; want it with token 2", l, ok)
	}
	// A release ends the lease at the clock's now, not later.
	if err := m.Release(ctx, "leader", "b"); err != nil {
		t.Fatal(err)
	}
	if l, ok := acquire("c"); !ok || l.Token != 3 {
		t.Errorf("c's Acquire at the instant b released = %+v, %v; want it with token 3", l, ok)
	}
}

// TestIncidents runs the contract against memory.Incidents.
func TestIncidents(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) incident.Store {
		return &memory.Incidents{}
	})
}
