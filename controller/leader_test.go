package controller_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/headroomhq/headroom/store/sqlite"
)

// hand is one controller's hold on a fleet several controllers share.
type hand struct {
	*counting
	who string
}

func (h hand) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	h.scale(desired, h.who)
	return nil
}

// Two controllers share a journal and the leases: one leads and scales;
// when it stops (releasing its lease) the other takes over at its next
// loop. Processes, a real store and kill -9 are tested in cmd/headroom.
func TestLeaderTakesTurns(t *testing.T) {
	_, prop, _ := load(t)
	p := &counting{count: 10}
	leases := &memory.Leases{}
	j := &memory.Journal{}
	src := &steady{demand: 1000, cpu: 100} // always more: every sync scales out
	// The engine's clock moves a sync period per loop so that every loop
	// decides; the lease runs on real time.
	var mu sync.Mutex
	now := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	tick := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(15 * time.Second)
		return now
	}
	start := func(who string) (*controller.Controller, context.CancelFunc, chan error) {
		c := controller.New(j, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: src, Actuator: hand{p, who}})
		c.Interval, c.Now = 20*time.Millisecond, tick
		c.Leader = &controller.Leader{Leases: leases, Name: controller.DefaultLeaseName, Holder: who, TTL: 200 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		return c, cancel, done
	}
	a, stopA, doneA := start("a")
	time.Sleep(50 * time.Millisecond) // a leads first
	b, stopB, doneB := start("b")
	defer func() { stopB(); <-doneB }()
	time.Sleep(300 * time.Millisecond)
	p.mu.Lock()
	first := append([]string(nil), p.by...)
	p.mu.Unlock()
	if len(first) == 0 {
		t.Fatal("nobody scaled")
	}
	for _, who := range first {
		if who != "a" {
			t.Fatalf("scaled by %v: b acted while a held the lease", first)
		}
	}
	if a.Leader.Token() != 1 || b.Leader.Token() != 0 {
		t.Errorf("tokens: a %d, b %d; want 1 and 0", a.Leader.Token(), b.Leader.Token())
	}

	stopA()
	<-doneA
	p.mu.Lock()
	p.count = 10 // someone scaled the fleet back: b has work to do
	p.mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for b.Leader.Token() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if b.Leader.Token() != 2 {
		t.Fatalf("b's token %d after a stopped, want 2", b.Leader.Token())
	}
	time.Sleep(100 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by[len(p.by)-1] != "b" {
		t.Errorf("after a stopped: last scaled by %v", p.by)
	}
}

// virtualClock is a clock a test moves by hand.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// late moves the leader's clock to just before the turn's end when the
// target is observed: between taking the lease and acting.
type late struct {
	steady
	clock *virtualClock
	to    time.Time
}

func (l late) Observe(ctx context.Context, now time.Time) (headroom.Observation, error) {
	l.clock.Set(l.to)
	return l.steady.Observe(ctx, now)
}

// stuck is an actuation that ends only when its context does.
type stuck struct{ *counting }

func (stuck) Scale(ctx context.Context, _ int, _ headroom.Reason) error {
	<-ctx.Done()
	return ctx.Err()
}

// openLeases is a SQLite store, journal and leases, on clock.
func openLeases(t *testing.T, clock *virtualClock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = clock.Now
	return db
}

// The Leader's turn is measured on its clock: on an injected one the turn
// ends when that clock passes 90% of the TTL, though no real time went by,
// and an actuation is cut off at the turn's end on that clock.
func TestLeaderRunsOnItsClock(t *testing.T) {
	_, prop, _ := load(t)
	start := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	ttl := time.Hour // far longer than the test: only the virtual clock ends a turn

	t.Run("an actuation ends with the turn", func(t *testing.T) {
		clock := &virtualClock{now: start}
		db := openLeases(t, clock)
		left := 300 * time.Millisecond
		src := late{steady: steady{demand: 1000, cpu: 100}, clock: clock, to: start.Add(ttl*9/10 - left)}
		c := controller.New(db, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: src, Actuator: stuck{&counting{count: 10}}})
		c.Now = func() time.Time { return start }
		c.Leader = controller.NewLeader(db, "a", ttl)
		c.Leader.Now = clock.Now
		began := time.Now()
		recs, err := c.Once(t.Context())
		took := time.Since(began)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || !strings.Contains(recs[0].Error, context.DeadlineExceeded.Error()) {
			t.Fatalf("records %+v: want the actuation cut off at the turn's end", recs)
		}
		if took < left || took > 10*time.Second {
			t.Errorf("the actuation ran %s; want the %s left of the turn on the leader's clock", took, left)
		}
	})

	t.Run("the turn ends on the clock; the lease is released on exit", func(t *testing.T) {
		clock := &virtualClock{now: start}
		db := openLeases(t, clock)
		c := controller.New(db, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop,
			Source: steady{demand: 1000, cpu: 100}, Actuator: &counting{count: 10}})
		c.Interval, c.Now = time.Hour, func() time.Time { return start }
		c.Leader = controller.NewLeader(db, "a", ttl)
		c.Leader.Now = clock.Now
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for c.Leader.Token() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("a never took the lease")
			}
			time.Sleep(10 * time.Millisecond)
		}
		clock.Set(start.Add(ttl * 9 / 10))
		if got := c.Leader.Token(); got != 0 {
			t.Errorf("token at 90%% of the TTL on the leader's clock: %d, want 0", got)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v, want context.Canceled", err)
		}
		// The store's clock is before the lease's expiry: only a release
		// frees it.
		if l, ok, err := db.Acquire(t.Context(), controller.DefaultLeaseName, "b", ttl); !ok || err != nil {
			t.Errorf("b after a's Run ended: ok %v (holder %s), err %v; want the lease at once", ok, l.Holder, err)
		}
	})
}
