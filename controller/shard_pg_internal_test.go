package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/postgres"
)

// The controller's tests that use the shared PostgreSQL run through
// pgtest.Main, which stops it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// hot is a target always above its cpu target: every sync scales out.
type hot struct{}

func (hot) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	return headroom.Observation{Time: now, Demand: 5000, HasDemand: true, Utilization: 100, HasUtilization: true, HasHealth: true}, nil
}

// platform counts the scale calls each replica made.
type platform struct {
	mu    sync.Mutex
	n     int
	calls map[string]int
	// floor is the HPA's minimum in guard mode, floors the SetFloor
	// calls each replica made (floorOf).
	floor  int
	floors map[string]int
}

type handOf struct {
	*platform
	who string
}

func (h handOf) Capacity(context.Context) (headroom.Capacity, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return headroom.Capacity{Ready: h.n}, nil
}

func (h handOf) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n = desired
	h.calls[h.who]++
	return nil
}

// Never two owners, on a real PostgreSQL: a replica that lost its shard
// while it was paused, and whose own clock says it still holds it (a stuck
// clock: the worst case), steps its target again after another replica
// took the shard over. The store refuses its writes — the intent before
// the actuation first — so it neither scales nor records; the new owner
// does both.
func TestShardFencesAStaleOwner(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{n: 20, calls: map[string]int{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 300 * time.Millisecond
	stuck := time.Now()
	replica := func(who string, now func() time.Time) *Controller {
		c := New(db, &Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: hot{}, Actuator: handOf{p, who}})
		c.Logger = log
		c.Shards = &Shards{Leases: db, Holder: who, Count: 4, TTL: ttl, Now: now}
		return c
	}
	a := replica("a", func() time.Time { return stuck })
	b := replica("b", time.Now)
	at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)

	if held, _ := a.Shards.balance(t.Context(), log); held != 4 {
		t.Fatalf("a alone holds %d shards, want all 4", held)
	}
	if recs := a.Step(t.Context(), at); len(recs) != 1 || !recs[0].Applied {
		t.Fatalf("a's step: %+v, want web scaled", recs)
	}

	// a pauses past the lease; b takes every shard over.
	time.Sleep(ttl + 200*time.Millisecond)
	if held, _ := b.Shards.balance(t.Context(), log); held != 4 {
		t.Fatalf("b holds %d shards after a's expired, want all 4", held)
	}
	shard := shardPrefix + "0"
	for n := range 4 {
		if l := b.Shards.shard(n); l.fence().Token != 2 {
			t.Errorf("b's fence on shard %d: %+v, want token 2", n, l.fence())
		}
		if n == ShardOf("web", 4) {
			shard = b.Shards.shard(n).Name
		}
	}

	// a, whose clock is stuck, still thinks it holds web's shard.
	if !a.Shards.leaderOf("web").holds() {
		t.Fatal("a's stuck clock should make it think it still holds the shard")
	}
	recs := a.Step(t.Context(), at.Add(DefaultInterval))
	if len(recs) != 1 || recs[0].Applied {
		t.Errorf("the stale owner's step: %+v, want web not scaled", recs)
	}
	if p.calls["a"] != 1 {
		t.Errorf("a made %d scale calls, want 1: none after b took the shard", p.calls["a"])
	}
	// Its writes are refused by the store, not by its own clock.
	err = db.Fenced(a.Shards.leaderOf("web").fence()).SaveState(t.Context(), "web", "probe", []byte("{}"))
	if !errors.Is(err, headroom.ErrFenced) {
		t.Errorf("a's fenced write on %s: %v, want ErrFenced", shard, err)
	}
	got, err := db.Records(t.Context(), "web", time.Time{}, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Errorf("records of web: %d (%v), want a's first only", len(got), err)
	}

	// b, the owner, scales and records.
	if recs := b.Step(t.Context(), at.Add(DefaultInterval)); len(recs) != 1 || !recs[0].Applied || recs[0].Error != "" {
		t.Errorf("b's step: %+v, want web scaled", recs)
	}
	if p.calls["b"] != 1 {
		t.Errorf("b made %d scale calls, want 1", p.calls["b"])
	}
}

// floorOf is an HPA's minimum in memory, set by one replica's actuator:
// it counts the SetFloor calls each replica made.
type floorOf struct {
	*platform
	who string
}

func (f floorOf) PlatformMin(context.Context) (int, error) { return 12, nil }

func (f floorOf) SetFloor(_ context.Context, floor int, _ headroom.Reason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.floor = max(floor, 12)
	f.floors[f.who]++
	return nil
}

// mood is demand that the test changes: what a replica's Prometheus shows.
type mood struct {
	mu     sync.Mutex
	demand float64
}

func (m *mood) set(demand float64) { m.mu.Lock(); m.demand = demand; m.mu.Unlock() }

func (m *mood) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return headroom.Observation{Time: now, Demand: m.demand, HasDemand: true, Utilization: m.demand / 60, HasUtilization: true, HasHealth: true}, nil
}

// Regression test for guard mode acting before its fence: the floor was set
// before the fenced state write, so a replica paused past its lease (its
// clock stuck, so it thinks it still holds its shard) set the HPA's
// minimum once after another replica took the shard over. The store must
// say the shard is still this replica's before the floor changes: the
// stale owner, whose lagging metrics say quiet, neither lowers the floor
// the owner holds nor gives the platform back its bounds.
func TestShardFencesAStaleOwnersFloor(t *testing.T) {
	svc, err := policy.LoadService("../examples/bitbucket-2021-06-30/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 300 * time.Millisecond
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for _, mode := range []headroom.Mode{headroom.ModeGuard, headroom.ModeShadow} {
		t.Run(string(mode), func(t *testing.T) {
			db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			p := &platform{n: 57, calls: map[string]int{}, floors: map[string]int{}}
			stuck := time.Now()
			replica := func(who string, now func() time.Time, src headroom.MetricsSource) *Controller {
				c := New(db, &Target{Name: "web", Mode: headroom.ModeGuard, Policy: prop, Source: src, Actuator: handOf{p, who},
					Floor: floorOf{p, who}, Guards: headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)})
				c.Logger = log
				c.Shards = &Shards{Leases: db, Holder: who, Count: 4, TTL: ttl, Now: now}
				return c
			}
			aSees, bSees := &mood{demand: 3400}, &mood{demand: 3400}
			a := replica("a", func() time.Time { return stuck }, aSees)
			b := replica("b", time.Now, bSees)

			if held, _ := a.Shards.balance(t.Context(), log); held != 4 {
				t.Fatalf("a alone holds %d shards, want all 4", held)
			}
			if recs := a.Step(t.Context(), at); len(recs) != 1 || !recs[0].Applied || p.floor <= 12 {
				t.Fatalf("a's step: %+v, floor %d; want the floor held above 12", recs, p.floor)
			}
			// a pauses past the lease; b takes every shard over and holds
			// the floor.
			time.Sleep(ttl + 200*time.Millisecond)
			if held, _ := b.Shards.balance(t.Context(), log); held != 4 {
				t.Fatalf("b holds %d shards after a's expired, want all 4", held)
			}
			if recs := b.Step(t.Context(), at.Add(DefaultInterval)); len(recs) != 1 || !recs[0].Applied {
				t.Fatalf("b's step: %+v, want the floor held", recs)
			}
			held, calls := p.floor, p.floors["a"]

			// a, whose clock is stuck and whose metrics say quiet, steps
			// its target again: in guard mode it would lower the floor;
			// out of it, give the platform its own minimum back.
			aSees.set(100)
			a.Targets[0].Mode = mode
			if !a.Shards.leaderOf("web").holds() {
				t.Fatal("a's stuck clock should make it think it still holds the shard")
			}
			recs := a.Step(t.Context(), at.Add(10*time.Minute))
			if len(recs) != 1 || recs[0].Applied {
				t.Errorf("the stale owner's step: %+v, want the floor not set", recs)
			}
			if p.floors["a"] != calls || p.floor != held {
				t.Errorf("the stale owner made %d floor calls after the takeover, the floor is %d: want none, and b's %d",
					p.floors["a"]-calls, p.floor, held)
			}
		})
	}
}

// Regression test for a serve without shards started beside sharded
// replicas: it took the one lease and stepped every target, the replicas'
// too (they stand down only when they see that lease, which they could not
// yet). Now it looks for their heartbeats: beside them it does not lead,
// and serve --once says why; leading when a replica joins, it gives the
// lease up, and the replica acts at its next loop.
func TestUnshardedServeStandsDownBesideShards(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{n: 20, calls: map[string]int{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 5 * time.Second
	serve := func(who string) *Controller {
		c := New(db, &Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: hot{}, Actuator: handOf{p, who}})
		c.Logger = log
		c.Leader = NewLeader(db, who, ttl)
		return c
	}
	sharded := serve("sharded")
	sharded.Shards = NewShards(db, "sharded", 4, ttl)
	alone := serve("alone")

	// The sharded replica runs; the unsharded serve --once refuses.
	if held, _ := sharded.Shards.balance(t.Context(), log); held != 4 {
		t.Fatalf("the sharded replica alone holds %d shards, want all 4", held)
	}
	recs, err := alone.Once(t.Context())
	if len(recs) != 0 || headroom.ErrorCode(err) != headroom.ECONFLICT || !strings.Contains(fmt.Sprint(err), "spec.shards") {
		t.Errorf("serve --once without shards beside a sharded replica: %d records, %v; want none and a conflict naming spec.shards", len(recs), err)
	}
	// Nor does a long-running one lead, loop after loop.
	for loop := range 2 {
		if lead, _ := alone.turn(t.Context()); lead {
			t.Errorf("loop %d: the unsharded serve leads beside a sharded replica", loop)
		}
	}
	if l, err := db.List(t.Context(), DefaultLeaseName); err != nil || len(l) != 0 {
		t.Errorf("lease %s beside a sharded replica: %+v, %v; want it free", DefaultLeaseName, l, err)
	}
	if p.calls["alone"] != 0 {
		t.Errorf("the unsharded serve scaled %d times beside a sharded replica, want 0", p.calls["alone"])
	}

	// The other way round: the unsharded serve leads when a replica starts.
	sharded.Shards.release(t.Context(), log)
	if lead, _ := alone.turn(t.Context()); !lead {
		t.Fatal("the unsharded serve alone does not lead")
	}
	if held, _ := sharded.Shards.balance(t.Context(), log); held != 0 {
		t.Errorf("the sharded replica holds %d shards while the unsharded serve leads, want 0", held)
	}
	if lead, _ := alone.turn(t.Context()); lead {
		t.Error("the unsharded serve still leads beside a live sharded replica")
	}
	if held, _ := sharded.Shards.balance(t.Context(), log); held != 4 {
		t.Errorf("the sharded replica holds %d shards after the unsharded serve stood down, want all 4", held)
	}
	if lead, _ := alone.turn(t.Context()); lead {
		t.Error("the unsharded serve took the lease again beside the sharded replica")
	}
}

// hooked is the store's leases with a hook run at the first List: what
// other replicas do while a process is in the middle of its turn.
type hooked struct {
	headroom.Leases
	once sync.Once
	hook func()
}

func (h *hooked) List(ctx context.Context, prefix string) ([]headroom.Lease, error) {
	h.once.Do(h.hook)
	return h.Leases.List(ctx, prefix)
}

// Regression test for serve --once joining the sharded replicas: its
// heartbeat counted as a replica's, so replicas balancing during its run
// gave shards up for it (3 of the 8 two replicas held), and took
// them back after it left. A once run now announces itself without
// joining: it takes only free shards, and no shard moves.
func TestShardsOnceMovesNoShard(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prop, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const count, ttl = 8, 5 * time.Second
	a, b := NewShards(db, "a", count, ttl), NewShards(db, "b", count, ttl)
	a.announce(t.Context())
	b.announce(t.Context())
	for range 3 {
		a.balance(t.Context(), log)
		b.balance(t.Context(), log)
	}
	owners := func() string {
		t.Helper()
		held, err := db.List(t.Context(), shardPrefix)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, l := range held {
			s = append(s, l.Name+"="+l.Holder)
		}
		return strings.Join(s, " ")
	}
	before := owners()
	if len(a.Held()) != count/2 || len(b.Held()) != count/2 {
		t.Fatalf("a holds %v, b %v: want %d each", a.Held(), b.Held(), count/2)
	}

	var during string
	leases := &hooked{Leases: db, hook: func() {
		// a and b balance while the once run is under way.
		a.balance(t.Context(), log)
		b.balance(t.Context(), log)
		during = owners()
	}}
	var targets []*Target
	for i := range 6 {
		targets = append(targets, &Target{Name: fmt.Sprintf("svc-%02d", i), Mode: headroom.ModeShadow, Policy: prop,
			Source: hot{}, Actuator: handOf{&platform{n: 10, calls: map[string]int{}}, "once"}})
	}
	c := New(db, targets...)
	c.Logger = log
	c.Shards = NewShards(leases, "once", count, ttl)
	recs, err := c.Once(t.Context())
	if len(recs) != 0 || err == nil {
		t.Errorf("once beside replicas holding every shard: %d records, %v; want none and an error", len(recs), err)
	}
	if during != before {
		t.Errorf("shards during the once run: %s\nwant them where they were: %s", during, before)
	}
	a.balance(t.Context(), log)
	b.balance(t.Context(), log)
	if after := owners(); after != before {
		t.Errorf("shards after the once run: %s\nwant them where they were: %s", after, before)
	}
}
