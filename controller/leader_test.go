package controller_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
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
	leases := &controller.MemoryLeases{}
	j := &controller.MemoryJournal{}
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
		c := controller.New(j, &controller.Target{Name: "web", Mode: controller.Enforce, Policy: prop, Source: src, Actuator: hand{p, who}})
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
