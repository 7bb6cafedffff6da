package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// The suite's TTLs. Expiry is tested with short leases and real sleeps:
// the store's clock is the real one (PostgreSQL's now()), which a test
// cannot move.
const (
	// shortTTL is a lease the suite waits out.
	shortTTL = 300 * time.Millisecond
	// expiryMargin is how long after shortTTL the suite waits for the
	// store's clock to pass the expiry: a store on another machine
	// counts the TTL from when it ran the statement, before it answered.
	expiryMargin = 150 * time.Millisecond
	// longTTL outlasts any subtest: a lease that must still be held.
	longTTL = time.Minute
)

// RunLeases runs the Leases contract. open returns new leases, none held,
// for one subtest and registers their cleanup with t.Cleanup. Of the
// options, Skip applies. Subtests run one at a time; the ones that wait
// for a lease to expire take a few hundred milliseconds each.
func RunLeases(t *testing.T, open func(t *testing.T) headroom.Leases, opts ...Option) {
	t.Helper()
	c := &config{skip: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	type test struct {
		name string
		run  func(t *testing.T, l headroom.Leases)
	}
	tests := []test{
		{"a free lease is acquired with token 1", testAcquireFree},
		{"the holder renews: same token, new expiry", testRenew},
		{"another holder is refused and told who holds it", testRefused},
		{"after expiry another holder takes it and the token grows", testExpiry},
		{"release lets another holder take it at once", testRelease},
		{"release by a holder that does not hold it changes nothing", testReleaseNotHeld},
		{"racing holders: exactly one wins", func(t *testing.T, l headroom.Leases) {
			RaceLeases(t, slices.Repeat([]headroom.Leases{l}, racers))
		}},
		{"names are independent", testNames},
		{"list: the unexpired leases under a prefix, by name", testList},
		{"an empty name or holder or a non-positive ttl is invalid", testInvalid},
	}
	for name := range c.skip {
		if !slices.ContainsFunc(tests, func(tt test) bool { return tt.name == name }) {
			t.Errorf("storetest.Skip(%q): no such subtest", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why, ok := c.skip[tt.name]; ok {
				t.Skip(why)
			}
			tt.run(t, open(t))
		})
	}
}

// racers is how many holders race for one lease.
const racers = 8

// RaceLeases has one holder per handle race for a free lease, and again
// once the winner has released it, on a few names: each time exactly one
// must win and the others must be told who did. handles may repeat one
// Leases (goroutines of one process) or be several handles on the same
// storage — a file opened twice, pools on one database — as separate
// processes would have. No lease may be held on the names "race-N".
func RaceLeases(t *testing.T, handles []headroom.Leases) {
	t.Helper()
	for round := range 3 {
		name := fmt.Sprintf("race-%d", round)
		winner := race(t, handles, name, fmt.Sprintf("r%d-free", round), 1)
		if winner == "" {
			return
		}
		if err := handles[0].Release(t.Context(), name, winner); err != nil {
			t.Fatalf("Release(%q, %q): %v", name, winner, err)
		}
		// The released lease is free again: new holders race for it, and
		// whoever wins it is the second holder.
		if race(t, handles, name, fmt.Sprintf("r%d-released", round), 2) == "" {
			return
		}
	}
}

// race has a holder "<prefix>-<i>" per handle acquire name at once, checks
// that exactly one won, with wantToken, and that every loser was told who,
// and returns the winner ("" after a failure).
func race(t *testing.T, handles []headroom.Leases, name, prefix string, wantToken int64) string {
	t.Helper()
	type result struct {
		holder string
		lease  headroom.Lease
		ok     bool
		err    error
	}
	results := make([]result, len(handles))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Go(func() {
			holder := fmt.Sprintf("%s-%d", prefix, i)
			<-start
			l, ok, err := h.Acquire(t.Context(), name, holder, longTTL)
			results[i] = result{holder, l, ok, err}
		})
	}
	close(start)
	wg.Wait()
	var winners []result
	for _, r := range results {
		if r.err != nil {
			t.Errorf("%s: Acquire(%q): %v", r.holder, name, r.err)
		}
		if r.ok {
			winners = append(winners, r)
		}
	}
	if len(winners) != 1 {
		t.Errorf("lease %s, %d racers: %d won (%v), want exactly 1", name, len(handles), len(winners), results)
		return ""
	}
	w := winners[0]
	if w.lease.Holder != w.holder || w.lease.Token != wantToken {
		t.Errorf("winner %s got %+v, want holder %s, token %d", w.holder, w.lease, w.holder, wantToken)
	}
	for _, r := range results {
		if !r.ok && (r.lease.Holder != w.holder || r.lease.Token != wantToken) {
			t.Errorf("loser %s was told %+v, want the winner %s with token %d", r.holder, r.lease, w.holder, wantToken)
		}
	}
	return w.holder
}

func testAcquireFree(t *testing.T, l headroom.Leases) {
	got := mustAcquire(t, l, "leader", "a", longTTL)
	if got.Name != "leader" || got.Holder != "a" || got.Token != 1 {
		t.Errorf("Acquire of a free lease = %+v, want leader held by a with token 1", got)
	}
	if got.Expires.IsZero() {
		t.Error("Acquire of a free lease: zero Expires")
	}
}

func testRenew(t *testing.T, l headroom.Leases) {
	first := mustAcquire(t, l, "leader", "a", shortTTL)
	acquired := time.Now()
	renewed := mustAcquire(t, l, "leader", "a", longTTL)
	if renewed.Holder != "a" || renewed.Token != first.Token {
		t.Errorf("renewal = %+v, want a still holding it with token %d", renewed, first.Token)
	}
	// The expiry is counted from the renewal, with the renewal's TTL
	// (less a microsecond: PostgreSQL keeps microseconds).
	if d := renewed.Expires.Sub(first.Expires); d < longTTL-shortTTL-time.Microsecond {
		t.Errorf("renewal moved the expiry by %s, want at least %s", d, longTTL-shortTTL)
	}
	// Past the first expiry, the renewed lease still holds.
	time.Sleep(time.Until(acquired.Add(shortTTL + expiryMargin)))
	got, ok := mustTry(t, l, "leader", "b", longTTL)
	if ok || got.Holder != "a" || got.Token != first.Token {
		t.Errorf("b's Acquire after the first TTL, before the renewed one = %+v, ok %v; want refused, held by a", got, ok)
	}
	// Renewing for less shortens the lease.
	mustAcquire(t, l, "leader", "a", shortTTL)
	shortened := time.Now()
	time.Sleep(time.Until(shortened.Add(shortTTL + expiryMargin)))
	if got := mustAcquire(t, l, "leader", "b", longTTL); got.Token != first.Token+1 {
		t.Errorf("b took the shortened lease with token %d, want %d", got.Token, first.Token+1)
	}
}

func testRefused(t *testing.T, l headroom.Leases) {
	held := mustAcquire(t, l, "leader", "a", longTTL)
	got, ok := mustTry(t, l, "leader", "b", longTTL)
	if ok {
		t.Fatalf("b acquired a lease a holds: %+v", got)
	}
	if got.Name != "leader" || got.Holder != "a" || got.Token != held.Token || !got.Expires.Equal(held.Expires) {
		t.Errorf("b was told %+v, want a's lease %+v", got, held)
	}
	// The refusal changed nothing: a renews with its token.
	if again := mustAcquire(t, l, "leader", "a", longTTL); again.Token != held.Token {
		t.Errorf("a's renewal after b's refusal: token %d, want %d", again.Token, held.Token)
	}
}

func testExpiry(t *testing.T, l headroom.Leases) {
	mustAcquire(t, l, "leader", "a", shortTTL)
	time.Sleep(shortTTL + expiryMargin)
	b := mustAcquire(t, l, "leader", "b", longTTL)
	if b.Holder != "b" || b.Token != 2 {
		t.Errorf("b's Acquire after a's lease expired = %+v, want held by b with token 2", b)
	}
	if got, ok := mustTry(t, l, "leader", "a", longTTL); ok || got.Holder != "b" || got.Token != 2 {
		t.Errorf("a's Acquire while b holds it = %+v, ok %v; want refused, held by b with token 2", got, ok)
	}
	// And back to a: each change of hands counts.
	mustAcquire(t, l, "leader", "b", shortTTL)
	time.Sleep(shortTTL + expiryMargin)
	if a := mustAcquire(t, l, "leader", "a", longTTL); a.Token != 3 {
		t.Errorf("a's Acquire after b's lease expired: token %d, want 3", a.Token)
	}
}

func testRelease(t *testing.T, l headroom.Leases) {
	mustAcquire(t, l, "leader", "a", longTTL)
	mustRelease(t, l, "leader", "a")
	b := mustAcquire(t, l, "leader", "b", longTTL)
	if b.Holder != "b" || b.Token != 2 {
		t.Errorf("b's Acquire right after a released = %+v, want held by b with token 2", b)
	}
	// Releasing twice is harmless: b keeps it.
	mustRelease(t, l, "leader", "a")
	if got, ok := mustTry(t, l, "leader", "c", longTTL); ok || got.Holder != "b" {
		t.Errorf("c's Acquire after a released again = %+v, ok %v; want refused, held by b", got, ok)
	}
}

func testReleaseNotHeld(t *testing.T, l headroom.Leases) {
	held := mustAcquire(t, l, "leader", "a", longTTL)
	mustRelease(t, l, "leader", "b")
	mustRelease(t, l, "leader", "A")
	mustRelease(t, l, "nobody-holds-this", "a")
	got, ok := mustTry(t, l, "leader", "c", longTTL)
	if ok || got.Holder != "a" || got.Token != held.Token || !got.Expires.Equal(held.Expires) {
		t.Errorf("c's Acquire after others released a's lease = %+v, ok %v; want refused, a's lease %+v", got, ok, held)
	}
}

func testNames(t *testing.T, l headroom.Leases) {
	// Names a prefix match, a LIKE pattern or a case-insensitive
	// comparison would confuse.
	names := []string{"leader", "Leader", "leader-2", "lead%", "leade_"}
	for i, name := range names {
		holder := fmt.Sprintf("h%d", i)
		if got := mustAcquire(t, l, name, holder, longTTL); got.Holder != holder || got.Token != 1 {
			t.Errorf("Acquire(%q, %q) = %+v, want a free lease with token 1", name, holder, got)
		}
	}
	// Releasing one frees only that one.
	mustRelease(t, l, "leader", "h0")
	if got := mustAcquire(t, l, "leader", "x", longTTL); got.Token != 2 {
		t.Errorf("Acquire(leader) after its release: token %d, want 2", got.Token)
	}
	for i, name := range names[1:] {
		want := fmt.Sprintf("h%d", i+1)
		if got, ok := mustTry(t, l, name, "x", longTTL); ok || got.Holder != want || got.Token != 1 {
			t.Errorf("Acquire(%q, x) = %+v, ok %v; want refused, held by %s with token 1", name, got, ok, want)
		}
	}
}

func testInvalid(t *testing.T, l headroom.Leases) {
	tests := []struct {
		name, lease, holder string
		ttl                 time.Duration
	}{
		{"empty name", "", "a", longTTL},
		{"empty holder", "leader", "", longTTL},
		{"zero ttl", "leader", "a", 0},
		{"negative ttl", "leader", "a", -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := l.Acquire(t.Context(), tt.lease, tt.holder, tt.ttl)
			if got := headroom.ErrorCode(err); ok || got != headroom.EINVALID {
				t.Errorf("Acquire(%q, %q, %s) = ok %v, err %v; want code %q", tt.lease, tt.holder, tt.ttl, ok, err, headroom.EINVALID)
			}
		})
	}
	// None of them took the lease.
	if got := mustAcquire(t, l, "leader", "b", longTTL); got.Token != 1 {
		t.Errorf("Acquire after the invalid calls: token %d, want 1", got.Token)
	}
}

// mustAcquire acquires or renews a lease that must be free or holder's.
func mustAcquire(t *testing.T, l headroom.Leases, name, holder string, ttl time.Duration) headroom.Lease {
	t.Helper()
	got, ok := mustTry(t, l, name, holder, ttl)
	if !ok {
		t.Fatalf("Acquire(%q, %q, %s): refused, held by %+v", name, holder, ttl, got)
	}
	if got.Name != name || got.Holder != holder {
		t.Errorf("Acquire(%q, %q, %s) = %+v, want that lease held by %s", name, holder, ttl, got, holder)
	}
	return got
}

// mustTry calls Acquire, which must not fail.
func mustTry(t *testing.T, l headroom.Leases, name, holder string, ttl time.Duration) (headroom.Lease, bool) {
	t.Helper()
	got, ok, err := l.Acquire(t.Context(), name, holder, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q, %q, %s): %v", name, holder, ttl, err)
	}
	return got, ok
}

func mustRelease(t *testing.T, l headroom.Leases, name, holder string) {
	t.Helper()
	if err := l.Release(t.Context(), name, holder); err != nil {
		t.Fatalf("Release(%q, %q): %v", name, holder, err)
	}
}

func testList(t *testing.T, l headroom.Leases) {
	// Names a LIKE pattern, a case-insensitive comparison or a collation
	// that sorts digits by value would confuse.
	held := map[string]string{"shard/10": "a", "shard/9": "b", "shard/0": "a", "Shard/1": "c", "shardX1": "c",
		"shard%": "c", "member/a": "a", "member/b": "b", "shard/released": "a"}
	for name, holder := range held {
		mustAcquire(t, l, name, holder, longTTL)
	}
	mustRelease(t, l, "shard/released", "a")
	got, err := l.List(t.Context(), "shard/")
	if err != nil {
		t.Fatalf("List(shard/): %v", err)
	}
	var names []string
	for _, g := range got {
		names = append(names, g.Name+"="+g.Holder)
		if g.Token != 1 || !g.Expires.After(time.Now().Add(longTTL/2)) {
			t.Errorf("List(shard/): %+v, want token 1 and the expiry of a %s lease", g, longTTL)
		}
	}
	if want := []string{"shard/0=a", "shard/10=a", "shard/9=b"}; !slices.Equal(names, want) {
		t.Errorf("List(shard/) = %v, want %v (the released lease left out)", names, want)
	}
	members, err := l.List(t.Context(), "member/")
	if err != nil || len(members) != 2 || members[0].Holder != "a" || members[1].Holder != "b" {
		t.Errorf("List(member/) = %+v, %v; want member/a and member/b", members, err)
	}
	if none, err := l.List(t.Context(), "nothing/"); err != nil || len(none) != 0 {
		t.Errorf("List(nothing/) = %+v, %v; want none", none, err)
	}
}
