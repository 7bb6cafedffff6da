package controller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/memory"
)

// clock is a virtual clock shared by the leases and the replicas.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ring is replicas balancing shards on one set of leases, a loop at a time.
type ring struct {
	t      *testing.T
	clock  *clock
	leases *memory.Leases
	alive  map[string]*Shards
	count  int
}

const (
	ringShards = 64
	ringTTL    = 45 * time.Second
	ringLoop   = 15 * time.Second
)

func newRing(t *testing.T) *ring {
	c := &clock{now: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)}
	return &ring{t: t, clock: c, leases: &memory.Leases{Now: c.Now}, alive: map[string]*Shards{}, count: ringShards}
}

func (r *ring) join(name string) {
	r.alive[name] = &Shards{Leases: r.leases, Holder: name, Count: r.count, TTL: ringTTL, Now: r.clock.Now}
}

// loop runs one balance of every live replica, in name order, and moves the
// clock a loop on; it returns how many shards changed hands.
func (r *ring) loop() (moved int) {
	r.t.Helper()
	before := r.owners()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, name := range slices.Sorted(maps.Keys(r.alive)) {
		r.alive[name].balance(r.t.Context(), log)
	}
	after := r.owners()
	for n := range r.count {
		if before[n] != "" && before[n] != after[n] {
			moved++
		}
	}
	r.clock.add(ringLoop)
	return moved
}

// owners returns, per shard, the replica that may act on it ("" for none),
// failing the test when two may.
func (r *ring) owners() []string {
	r.t.Helper()
	out := make([]string, r.count)
	for name, s := range r.alive {
		for _, n := range s.Held() {
			if out[n] != "" {
				r.t.Fatalf("shard %d held by both %s and %s", n, out[n], name)
			}
			out[n] = name
		}
	}
	return out
}

// shares returns how many shards each live replica holds, and how many
// shards nobody holds.
func (r *ring) shares() (map[string]int, int) {
	counts, free := map[string]int{}, 0
	for _, o := range r.owners() {
		if o == "" {
			free++
		} else {
			counts[o]++
		}
	}
	return counts, free
}

// balanced fails the test unless every shard is held and each live replica
// holds floor or ceil of shards/replicas.
func (r *ring) balanced(when string) {
	r.t.Helper()
	counts, free := r.shares()
	lo, hi := r.count/len(r.alive), (r.count+len(r.alive)-1)/len(r.alive)
	for name := range r.alive {
		if c := counts[name]; c < lo || c > hi {
			r.t.Errorf("%s: %s holds %d shards (%v), want %d to %d", when, name, c, counts, lo, hi)
		}
	}
	if free > 0 {
		r.t.Errorf("%s: %d shards held by nobody (%v)", when, free, counts)
	}
}

func TestShardsBalance(t *testing.T) {
	r := newRing(t)
	for _, name := range []string{"a", "b", "c"} {
		r.join(name)
	}
	// Started together, the first to balance takes everything it sees
	// as its share; the others' heartbeats make it give the extra up.
	for range 4 {
		r.loop()
	}
	r.balanced("3 replicas after 4 loops")

	// Steady: nothing moves.
	for i := range 5 {
		if moved := r.loop(); moved != 0 {
			t.Errorf("steady loop %d: %d shards moved, want none", i, moved)
		}
	}

	// A join: the others give up what is above the new share, and only
	// that (64/4 = 16 shards move to the new replica, no more).
	r.join("d")
	moved := 0
	for range 3 {
		moved += r.loop()
	}
	r.balanced("4 replicas, 3 loops after d joined")
	if counts, _ := r.shares(); moved != counts["d"] {
		t.Errorf("join: %d shards moved, d holds %d: want only d's share to move", moved, counts["d"])
	}
	for i := range 5 {
		if moved := r.loop(); moved != 0 {
			t.Errorf("steady loop %d after the join: %d shards moved, want none", i, moved)
		}
	}

	// kill -9 of b: it stops renewing. Its shards stay its own (nobody
	// acts on them) until they expire, then the others take them at
	// their next loop.
	orphans, _ := r.shares()
	killed := r.clock.Now()
	delete(r.alive, "b")
	var took time.Duration
	for range 10 {
		r.loop()
		if _, free := r.shares(); free == 0 {
			took = r.clock.Now().Sub(killed)
			break
		}
	}
	if took == 0 || took > ringTTL+ringLoop {
		t.Errorf("b's %d shards taken over after %s, want within the lease (%s) and a loop (%s)", orphans["b"], took, ringTTL, ringLoop)
	}
	for range 3 {
		r.loop()
	}
	r.balanced("3 replicas after b was killed")

	// A graceful stop releases at once: taken at the others' next loop.
	r.alive["c"].release(t.Context(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	delete(r.alive, "c")
	r.loop()
	if _, free := r.shares(); free != 0 {
		t.Errorf("c stopped: %d shards free after a loop, want none", free)
	}
	r.balanced("2 replicas after c stopped")
}

// Regression test for a join that left 2, 4 and 2 of 8 shards: the first
// replica came down to the floor (2), the second then saw the newcomer's
// need (2) met by the free shards and kept its 4, above the ceiling (3),
// while nobody was below the floor. A replica above the ceiling gives the
// extra up while another is below it.
func TestShardsJoinFewShards(t *testing.T) {
	r := newRing(t)
	r.count = 8
	r.join("a")
	r.join("b")
	for range 3 {
		r.loop()
	}
	r.balanced("a and b")
	r.join("c")
	for range 4 {
		r.loop()
	}
	r.balanced("c joined")
	for i := range 3 {
		if moved := r.loop(); moved != 0 {
			t.Errorf("steady loop %d after the join: %d shards moved, want none", i, moved)
		}
	}
}

// One replica alone (SQLite, a single serve) holds every shard.
func TestShardsAlone(t *testing.T) {
	r := newRing(t)
	r.join("only")
	r.loop()
	if counts, free := r.shares(); counts["only"] != ringShards || free != 0 {
		t.Errorf("alone: holds %v, %d free; want all %d", counts, free, ringShards)
	}
}

func TestShardOf(t *testing.T) {
	const count, names = 64, 64000
	per := make([]int, count)
	for i := range names {
		name := fmt.Sprintf("svc-%05d", i)
		n := ShardOf(name, count)
		if n < 0 || n >= count {
			t.Fatalf("ShardOf(%q, %d) = %d, out of range", name, count, n)
		}
		if again := ShardOf(name, count); again != n {
			t.Fatalf("ShardOf(%q) = %d then %d", name, n, again)
		}
		per[n]++
	}
	// Even enough that a replica's share of shards is its share of
	// targets: each shard within 10% of the mean (1,000).
	for n, c := range per {
		if c < names/count*9/10 || c > names/count*11/10 {
			t.Errorf("shard %d has %d of %d names, want within 10%% of %d", n, c, names, names/count)
		}
	}
}

// Replicas that would map targets to shards differently, or a serve
// without shards leading every target, could give a target two owners:
// no sharded replica acts until they are gone.
func TestShardsRefuseWhileReplicasDisagree(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("another shard count", func(t *testing.T) {
		r := newRing(t)
		r.join("a")
		r.loop()
		odd := &Shards{Leases: r.leases, Holder: "odd", Count: ringShards / 2, TTL: ringTTL, Now: r.clock.Now}
		r.alive["odd"] = odd
		r.loop() // a balances before odd's first heartbeat
		r.loop()
		if counts, free := r.shares(); free != ringShards {
			t.Errorf("with a replica of %d shards beside %d: held %v, want none", ringShards/2, ringShards, counts)
		}
		odd.release(t.Context(), log)
		delete(r.alive, "odd")
		r.loop()
		r.balanced("a alone again")
	})
	t.Run("a serve without shards leads", func(t *testing.T) {
		r := newRing(t)
		r.join("a")
		r.loop()
		if _, ok, err := r.leases.Acquire(t.Context(), DefaultLeaseName, "unsharded", ringTTL); !ok || err != nil {
			t.Fatalf("acquire %s: %v %v", DefaultLeaseName, ok, err)
		}
		r.loop()
		if counts, free := r.shares(); free != ringShards {
			t.Errorf("while an unsharded serve leads: held %v, want none", counts)
		}
		r.leases.Release(t.Context(), DefaultLeaseName, "unsharded")
		r.loop()
		r.balanced("the unsharded serve stopped")
	})
}

// slow is a target whose metrics take a fifth of the lease to read, on the
// virtual clock.
type slow struct {
	clock *clock
	d     time.Duration
	seen  *[]string
	name  string
}

func (s slow) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	s.clock.add(s.d)
	slowSeen.Lock()
	*s.seen = append(*s.seen, s.name)
	slowSeen.Unlock()
	return headroom.Observation{Time: now}, nil
}

// slowSeen guards the slow targets' lists: a controller steps its targets
// concurrently unless told otherwise. Regression: TestShardsOnce appended
// from several goroutines (the race detector failed it in CI).
var slowSeen sync.Mutex

// An overloaded replica whose loop outlasts its turn (90% of the lease)
// stops acting mid-loop, as it must; its next loop starts where the last
// one stopped, so every target is stepped in turn rather than the head of
// the list every loop and the tail never.
func TestShardsOverrunResumes(t *testing.T) {
	r := newRing(t)
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var targets []*Target
	for i := range 12 {
		name := fmt.Sprintf("svc-%02d", i)
		targets = append(targets, &Target{Name: name, Mode: headroom.ModeShadow, Policy: prop,
			Source: slow{clock: r.clock, d: ringTTL / 5, seen: &seen, name: name}, Actuator: handOf{&platform{n: 10, calls: map[string]int{}}, "a"}})
	}
	c := New(&memory.Journal{}, targets...)
	c.Logger, c.Concurrency = slog.New(slog.NewTextHandler(io.Discard, nil)), 1
	c.Shards = &Shards{Leases: r.leases, Holder: "a", Count: ringShards, TTL: ringTTL, Now: r.clock.Now}
	at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	var perLoop []int
	for loop := range 4 {
		if held, _ := c.Shards.balance(t.Context(), slog.New(slog.NewTextHandler(io.Discard, nil))); held != ringShards {
			t.Fatalf("loop %d: holds %d shards, want all", loop, held)
		}
		perLoop = append(perLoop, len(c.Step(t.Context(), at.Add(time.Duration(loop)*DefaultInterval))))
	}
	stepped := map[string]int{}
	for _, name := range seen {
		stepped[name]++
	}
	if len(stepped) != len(targets) {
		t.Errorf("targets stepped over 4 overrun loops (%v per loop): %v, want all %d", perLoop, stepped, len(targets))
	}
	for _, n := range perLoop {
		if n >= len(targets) {
			t.Errorf("loops stepped %v targets: want each cut short by the lease", perLoop)
		}
	}
}

// serve --once with shards: alone, it takes every shard for its one loop
// and gives them back; beside replicas holding them all, it does not act.
func TestShardsOnce(t *testing.T) {
	r := newRing(t)
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var targets []*Target
	for i := range 6 {
		name := fmt.Sprintf("svc-%02d", i)
		targets = append(targets, &Target{Name: name, Mode: headroom.ModeShadow, Policy: prop,
			Source: slow{clock: r.clock, seen: &seen, name: name}, Actuator: handOf{&platform{n: 10, calls: map[string]int{}}, "once"}})
	}
	once := func() ([]Record, error) {
		c := New(&memory.Journal{}, targets...)
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		c.Shards = &Shards{Leases: r.leases, Holder: "once", Count: ringShards, TTL: ringTTL, Now: r.clock.Now}
		return c.Once(t.Context())
	}
	recs, err := once()
	if err != nil || len(recs) != len(targets) {
		t.Fatalf("Once alone: %d records, %v; want all %d targets", len(recs), err, len(targets))
	}
	if held, err := r.leases.List(t.Context(), shardPrefix); err != nil || len(held) != 0 {
		t.Errorf("after Once: %d shards still held (%v), want all given back", len(held), err)
	}
	r.join("a")
	r.loop()
	r.loop()
	if recs, err := once(); err == nil || len(recs) != 0 {
		t.Errorf("Once beside a replica holding every shard: %d records, %v; want none and an error", len(recs), err)
	}
}

// Regression test for a join that never settled: with 5 shards and four
// replicas (share 2, floor 1), the shards given up for the newcomer, below
// the floor, were taken first by replicas at the floor (below the share)
// that balanced before it, which gave them up again at their next loop: a
// shard moved every loop and one stayed free. Replicas balance in whatever
// order their loops fall (here the order found by a random search). While
// another replica is below the floor, a replica takes free shards only up
// to the floor.
func TestShardsJoinBelowFloorSettles(t *testing.T) {
	r := newRing(t)
	r.count = 5
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	loop := func(order ...string) {
		for _, name := range order {
			r.alive[name].balance(t.Context(), log)
		}
		r.clock.add(ringLoop)
	}
	for _, name := range []string{"a", "b", "c"} {
		r.join(name)
	}
	loop("c", "a", "b")
	r.join("d")
	for _, order := range [][]string{{"d", "a", "b", "c"}, {"c", "b", "a", "d"}, {"a", "d", "b", "c"},
		{"c", "b", "a", "d"}, {"b", "a", "d", "c"}, {"a", "c", "d", "b"}, {"c", "b", "d", "a"},
		{"a", "d", "c", "b"}, {"a", "c", "b", "d"}, {"c", "b", "d", "a"}, {"b", "c", "d", "a"}} {
		loop(order...)
	}
	r.balanced("d joined, 11 loops on")
	for i, order := range [][]string{{"d", "c", "b", "a"}, {"b", "c", "d", "a"}, {"d", "b", "a", "c"}, {"d", "b", "c", "a"}} {
		before := r.owners()
		loop(order...)
		after := r.owners()
		if !slices.Equal(before, after) {
			t.Errorf("steady loop %d after the join: owners %q became %q, want no move", i, before, after)
		}
	}
}
