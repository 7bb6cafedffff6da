package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
)

// Defaults.
const (
	// DefaultInterval is the loop period: the HPA's sync period.
	DefaultInterval = 15 * time.Second
	// DefaultConcurrency bounds how many targets are handled at once.
	DefaultConcurrency = 8
)

// Mode says what the controller may do to a target.
type Mode string

const (
	// Enforce decides and acts.
	Enforce Mode = "enforce"
	// Shadow decides and records, never acts.
	Shadow Mode = "shadow"
	// Off skips the target.
	Off Mode = "off"
)

// Target is one scaled service.
type Target struct {
	Name   string
	Mode   Mode
	Policy *headroom.Policy
	// Proposed, when set, is a policy under evaluation: it decides beside
	// Policy on the same metrics and capacity and never acts, so a change
	// can run for a day before it is promoted.
	Proposed *headroom.Policy
	Guards   *headroom.Guards
	Source   headroom.MetricsSource
	Actuator headroom.Actuator
}

// Record is one iteration for one target: what was seen, what the engine
// decided and why, and what happened.
type Record struct {
	Target      string
	Time        time.Time
	Mode        Mode
	Observation headroom.Observation
	Current     headroom.Capacity
	Decision    headroom.Decision
	// Applied is true when the actuator took Decision.Desired.
	Applied bool
	// Error says what failed: the metrics source or the actuator.
	Error string
	// Proposed is what the proposed policy would have decided.
	Proposed *headroom.Decision
}

// State keys of the journal.
const (
	livePolicy     = "live"
	proposedPolicy = "proposed"
)

// Journal keeps decision records and the engine's memory.
type Journal interface {
	// Append records one iteration.
	Append(ctx context.Context, r Record) error
	// State returns the engine state last saved for target and policy
	// (livePolicy or proposedPolicy); ok is false when there is none.
	State(ctx context.Context, target, policy string) (st engine.State, ok bool, err error)
	// SaveState keeps the engine state of target and policy.
	SaveState(ctx context.Context, target, policy string, st engine.State) error
}

// Controller drives targets.
type Controller struct {
	Targets     []*Target
	Journal     Journal
	Interval    time.Duration
	Concurrency int
	// Now is the clock; time.Now when nil. Tests inject theirs.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns a controller with the defaults.
func New(j Journal, targets ...*Target) *Controller {
	return &Controller{Targets: targets, Journal: j, Interval: DefaultInterval, Concurrency: DefaultConcurrency,
		Now: time.Now, Logger: slog.Default()}
}

// Run steps every target every Interval until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		c.Step(ctx, c.now())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Controller) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Step runs one iteration for every target, at most Concurrency at once,
// and returns their records.
func (c *Controller) Step(ctx context.Context, now time.Time) []Record {
	records := make([]Record, len(c.Targets))
	sem := make(chan struct{}, max(c.Concurrency, 1))
	var wg sync.WaitGroup
	for i, t := range c.Targets {
		if t.Mode == Off {
			records[i] = Record{Target: t.Name, Time: now, Mode: Off}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			records[i] = c.step(ctx, t, now)
		}()
	}
	wg.Wait()
	return records
}

// step is one iteration for one target.
func (c *Controller) step(ctx context.Context, t *Target, now time.Time) Record {
	r := Record{Target: t.Name, Time: now, Mode: t.Mode}
	log := c.logger().With("target", t.Name)
	defer func() {
		if err := c.Journal.Append(ctx, r); err != nil {
			log.Error("record decision", "err", err)
		}
	}()

	current, err := t.Actuator.Capacity(ctx)
	if err != nil {
		// Without the current count nothing can be decided safely.
		r.Error = fmt.Sprintf("read capacity: %v", err)
		log.Warn("read capacity", "err", err)
		return r
	}
	r.Current = current
	obs, err := t.Source.Observe(ctx, now)
	if err != nil {
		// A blind decision: the metrics are missing, which the engine and
		// the blind guard treat as the platforms do (no scale-in).
		r.Error = fmt.Sprintf("read metrics: %v", err)
		log.Warn("read metrics", "err", err)
		obs = headroom.Observation{Time: now}
	}
	r.Observation = obs

	st, err := c.state(ctx, t.Name, livePolicy, t.Policy, now, current)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load engine state: %v", err))
		return r
	}
	out := engine.Decide(engine.Input{Now: now, Policy: t.Policy, Current: current, Observation: obs, State: st, Guards: t.Guards})
	r.Decision = out.Decision

	commit := true
	if t.Mode == Enforce && out.Desired != current.Total() {
		if err := t.Actuator.Scale(ctx, out.Desired, out.Reason); err != nil {
			// Keep the old memory: the next iteration decides again from
			// it, as if this one had not happened.
			commit = false
			r.Error = join(r.Error, fmt.Sprintf("scale to %d: %v", out.Desired, err))
			log.Error("scale", "desired", out.Desired, "err", err)
		} else {
			r.Applied = true
			log.Info("scaled", "from", current.Total(), "to", out.Desired, "reason", out.Reason.Code, "message", out.Reason.Message)
		}
	}
	if commit {
		if err := c.Journal.SaveState(ctx, t.Name, livePolicy, out.State); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("save engine state: %v", err))
		}
	}

	if t.Proposed != nil {
		pst, err := c.state(ctx, t.Name, proposedPolicy, t.Proposed, now, current)
		if err == nil {
			pout := engine.Decide(engine.Input{Now: now, Policy: t.Proposed, Current: current, Observation: obs, State: pst, Guards: t.Guards})
			d := pout.Decision
			r.Proposed = &d
			err = c.Journal.SaveState(ctx, t.Name, proposedPolicy, pout.State)
		}
		if err != nil {
			r.Error = join(r.Error, fmt.Sprintf("proposed policy: %v", err))
		}
	}
	return r
}

// state loads the engine's memory, or starts it: the service has been
// steady at its current count.
func (c *Controller) state(ctx context.Context, target, policy string, p *headroom.Policy, now time.Time, current headroom.Capacity) (engine.State, error) {
	st, ok, err := c.Journal.State(ctx, target, policy)
	if err != nil || ok {
		return st, err
	}
	return engine.NewState(p, now).Settled(now, current.Total()), nil
}

func (c *Controller) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// MemoryJournal keeps records and states in memory: for tests, and for
// `serve` before a database is configured.
type MemoryJournal struct {
	mu      sync.Mutex
	records []Record
	states  map[string]engine.State
}

var _ Journal = (*MemoryJournal)(nil)

// Append records r.
func (j *MemoryJournal) Append(_ context.Context, r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = append(j.records, r)
	return nil
}

// Records returns the records of target, oldest first.
func (j *MemoryJournal) Records(target string) []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Record
	for _, r := range j.records {
		if r.Target == target {
			out = append(out, r)
		}
	}
	return out
}

// State returns the saved state.
func (j *MemoryJournal) State(_ context.Context, target, policy string) (engine.State, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st, ok := j.states[target+"/"+policy]
	return st, ok, nil
}

// SaveState keeps st.
func (j *MemoryJournal) SaveState(_ context.Context, target, policy string, st engine.State) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.states == nil {
		j.states = map[string]engine.State{}
	}
	j.states[target+"/"+policy] = st
	return nil
}
