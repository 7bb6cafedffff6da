package controller_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/store/sqlite"
)

// memFleet is an in-process actuator: the benchmark measures the loop, not
// a platform.
type memFleet struct {
	mu      sync.Mutex
	n       int
	started time.Time // when the loop last asked: the start of the target's iteration
}

func (f *memFleet) Capacity(context.Context) (headroom.Capacity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = time.Now()
	return headroom.Capacity{Ready: f.n}, nil
}

func (f *memFleet) Scale(_ context.Context, desired int, _ headroom.Reason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n = desired
	return nil
}

// loopJournal picks where BenchmarkLoop10kTargets keeps what the loop
// writes, to reproduce the variants bench/README.md lists:
//
//	go test ./controller -run XXX -bench Loop10k -benchtime 3x -args -loop.journal=memory
var loopJournal = flag.String("loop.journal", "sqlite",
	"BenchmarkLoop10kTargets: sqlite (records and engine states in SQLite), states-in-memory (records in SQLite), or memory (neither)")

// loopDetect gives every target of BenchmarkLoop10kTargets the detector
// serve gives a target with a service (its state kept in the journal).
var loopDetect = flag.Bool("loop.detect", true, "BenchmarkLoop10kTargets: run the service's detector on every target, as serve does")

// loopCPU picks the targets' cpu: derived from demand and the fleet's
// count, as serve derives it for a target with a service (the fleets settle
// and a loop scales few of them), or fixed whatever the count (the workload
// of the figures before 2026-12-07: a fifth of the fleets scale every loop).
var loopCPU = flag.String("loop.cpu", "derived", "BenchmarkLoop10kTargets: derived (from demand and the count) or fixed (per target, whatever the count)")

// healthyDemand is a source of demand and health (no errors) without cpu:
// the controller derives cpu from the demand and the capacity, as check does.
type healthyDemand struct{ demand float64 }

func (s healthyDemand) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: s.demand, HasDemand: true, HasHealth: true}, nil
}

// BenchmarkLoop10kTargets is the serve benchmark: one controller
// with 10,000 targets (the example's proposed policy, guards on, metrics
// from a fast in-process source, decisions stored in SQLite), one loop per
// iteration. It reports the CPU share of a 15 s loop period and the p99
// latency of one target's decision (from its start in the loop to its
// record stored: read capacity and metrics, decide, act, record).
func BenchmarkLoop10kTargets(b *testing.B) {
	svc, prop, _ := load(&testing.T{})
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "headroom.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	guards := headroom.DefaultGuards(svc, prop, 0.1)
	det := detect.ForService(svc)
	model := sim.NewModel(svc)
	needed := func(demand float64) int { return model.Required(demand, svc.SLO.MaxLatency) }
	var targets []*controller.Target
	fleets := map[string]*memFleet{}
	for i := 0; i < 10000; i++ {
		name := fmt.Sprintf("svc-%05d", i)
		fleets[name] = &memFleet{n: 20 + i%50}
		demand := float64(1000 + i%3000)
		var src headroom.MetricsSource = healthyDemand{demand: demand}
		if *loopCPU == "fixed" {
			src = steady{demand: demand, cpu: float64(40 + i%40)}
		}
		targets = append(targets, &controller.Target{Name: name, Mode: headroom.ModeEnforce, Policy: prop, Guards: guards,
			Source: src, Actuator: fleets[name], CapacityPerInstance: svc.CapacityPerInstance})
		if *loopDetect {
			d := det
			d.Target = name
			targets[i].Detect, targets[i].Needed = &d, needed
		}
	}
	var journal headroom.Journal = db
	switch *loopJournal {
	case "sqlite":
	case "states-in-memory":
		journal = &memStates{Journal: db, states: map[string][]byte{}}
	case "memory":
		journal = &memRecords{memStates: memStates{Journal: db, states: map[string][]byte{}}}
	default:
		b.Fatalf("-loop.journal %q: expected sqlite, states-in-memory or memory", *loopJournal)
	}
	lat := &latencyJournal{Journal: journal, fleets: fleets}
	c := controller.New(lat, targets...)
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Concurrency = controller.DefaultConcurrency
	at := time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC)
	// The first loop starts every target's engine state (replaying a week
	// of scheduled actions): start-up, not the steady state measured here.
	c.Step(context.Background(), at.Add(-controller.DefaultInterval))
	lat.lats, lat.applied = nil, 0
	b.ResetTimer()
	var loop time.Duration
	cpu0 := cpuTime(b)
	// Labelled, so that a profile of the steady loops alone is
	// -tagfocus phase=loop (the first loop is in the same profile).
	pprof.Do(context.Background(), pprof.Labels("phase", "loop"), func(ctx context.Context) {
		for i := 0; i < b.N; i++ {
			start := time.Now()
			c.Step(ctx, at.Add(time.Duration(i)*controller.DefaultInterval))
			loop += time.Since(start)
		}
	})
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	// The CPU the process used (user + system, every thread: the loop runs
	// targets concurrently), over the loop period: the share of one core
	// serve needs. Wall time per loop is reported beside it.
	b.ReportMetric(100*(cpu/time.Duration(b.N)).Seconds()/controller.DefaultInterval.Seconds(), "%core-of-15s-loop")
	b.ReportMetric((loop / time.Duration(b.N)).Seconds(), "wall-s/loop")
	b.ReportMetric(float64(lat.p99().Microseconds())/1000, "p99-decision-ms")
	b.ReportMetric(float64(lat.applied)/float64(b.N), "actuations/loop")
}

// memStates keeps engine states in memory and the rest in the journal it
// wraps.
type memStates struct {
	headroom.Journal
	mu     sync.Mutex
	states map[string][]byte
}

func (m *memStates) State(_ context.Context, target, slot string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[target+"\x00"+slot]
	return st, ok, nil
}

func (m *memStates) SaveState(_ context.Context, target, slot string, state []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[target+"\x00"+slot] = state
	return nil
}

// memRecords keeps records in memory too: nothing of the loop is written
// to SQLite.
type memRecords struct {
	memStates
	records []headroom.DecisionRecord
}

func (m *memRecords) Append(_ context.Context, r headroom.DecisionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, r)
	return nil
}

// latencyJournal measures, per record, the time from the target's
// capacity read to its record being stored.
type latencyJournal struct {
	headroom.Journal
	fleets map[string]*memFleet
	mu     sync.Mutex
	lats   []time.Duration
	// applied counts the records of actuations (each wrote an intent).
	applied int
}

func (l *latencyJournal) Append(ctx context.Context, r headroom.DecisionRecord) error {
	err := l.Journal.Append(ctx, r)
	f := l.fleets[r.Target]
	f.mu.Lock()
	d := time.Since(f.started)
	f.mu.Unlock()
	l.mu.Lock()
	l.lats = append(l.lats, d)
	if r.Applied {
		l.applied++
	}
	l.mu.Unlock()
	return err
}

func (l *latencyJournal) p99() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lats) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l.lats...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)*99/100]
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
