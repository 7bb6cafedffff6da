package controller_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// seen records which replica observed which target, and when.
type seen struct {
	mu  sync.Mutex
	log []sighting
}

type sighting struct {
	target, who string
	at          time.Time
}

// eye is a target's metrics source in one replica.
type eye struct {
	*seen
	target, who string
}

func (e eye) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	e.mu.Lock()
	e.log = append(e.log, sighting{e.target, e.who, time.Now()})
	e.mu.Unlock()
	return headroom.Observation{Time: now, Demand: 1000, HasDemand: true, Utilization: 60, HasUtilization: true}, nil
}

// Three sharded controllers running side by side (goroutines on one
// journal and one set of leases; -race checks the loop against the
// balance): once they have settled, every target is stepped by exactly
// one of them each loop, and each steps some. Real processes and
// PostgreSQL: cmd/headroom's TestShardedReplicasShareTheTargets.
func TestShardedControllersStepEachTargetOnce(t *testing.T) {
	_, prop, _ := load(t)
	leases, j := &memory.Leases{}, &memory.Journal{}
	j.Leases = leases
	s := &seen{}
	const targets, interval = 40, 30 * time.Millisecond
	var wg sync.WaitGroup
	var metrics []*controller.Metrics
	ctx, cancel := context.WithCancel(t.Context())
	defer func() { cancel(); wg.Wait() }()
	for _, who := range []string{"a", "b", "c"} {
		var ts []*controller.Target
		for i := range targets {
			name := fmt.Sprintf("svc-%02d", i)
			ts = append(ts, &controller.Target{Name: name, Mode: headroom.ModeShadow, Policy: prop,
				Source: eye{s, name, who}, Actuator: &counting{count: 10}})
		}
		c := controller.New(j, ts...)
		c.Interval, c.Logger = interval, slog.New(slog.NewTextHandler(io.Discard, nil))
		// A lease far longer than the loop: a loaded machine stalls the
		// process for a few hundred milliseconds at times, and a lease
		// that expires in a stall moves (correctly, but this test is
		// about the settled state).
		c.Shards = controller.NewShards(leases, who, 8, 3*time.Second)
		c.Metrics = controller.NewMetrics(prometheus.NewRegistry())
		metrics = append(metrics, c.Metrics)
		wg.Go(func() { c.Run(ctx) })
	}
	// Settled: every shard held, each replica holding 2 or 3 of the 8;
	// then nothing moves.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(interval) {
		held, err := leases.List(t.Context(), "shard/")
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, l := range held {
			per[l.Holder]++
		}
		if len(held) == 8 && len(per) == 3 && per["a"] >= 2 && per["b"] >= 2 && per["c"] >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shards not shared within 30s: %v", per)
		}
	}
	time.Sleep(2 * interval) // the loops under way finish
	held := 0.0
	for _, m := range metrics {
		held += testutil.ToFloat64(m.Shards)
	}
	if held != 8 {
		t.Errorf("headroom_shards_held of the three sums to %g, want 8", held)
	}
	s.mu.Lock()
	settled := len(s.log)
	s.mu.Unlock()
	time.Sleep(10 * interval)
	s.mu.Lock()
	end := len(s.log)
	s.mu.Unlock()
	// Stopping, each releases its shards, which the others take at their
	// next loop: not counted.
	cancel()
	wg.Wait()

	by := map[string]map[string]int{} // target -> replica -> sightings
	per := map[string]int{}
	for _, x := range s.log[settled:end] {
		if by[x.target] == nil {
			by[x.target] = map[string]int{}
		}
		by[x.target][x.who]++
		per[x.who]++
	}
	if len(by) != targets {
		t.Errorf("%d targets stepped after settling, want all %d", len(by), targets)
	}
	for target, whos := range by {
		if len(whos) != 1 {
			var tl []string
			for _, x := range s.log {
				if x.target == target {
					tl = append(tl, fmt.Sprintf("%s@%s", x.who, x.at.Format("05.000")))
				}
			}
			t.Errorf("%s stepped by %v after settling, want one replica: %v", target, whos, tl)
		}
	}
	for _, who := range []string{"a", "b", "c"} {
		if per[who] == 0 {
			t.Errorf("%s stepped nothing (%v)", who, per)
		}
	}
}
