package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/incident"
)

// Defaults.
const (
	// journalTimeout bounds a record's write once the loop's context
	// ended (a shutdown).
	journalTimeout = 10 * time.Second
	// DefaultInterval is the loop period: the HPA's sync period.
	DefaultInterval = 15 * time.Second
	// DefaultConcurrency bounds how many targets are handled at once.
	DefaultConcurrency = 8
)

// Target is one scaled service.
type Target struct {
	Name   string
	Mode   headroom.Mode
	Policy *headroom.Policy
	// Proposed, when set, is a policy under evaluation: it decides beside
	// Policy on the same metrics and capacity and never acts, so a change
	// can run for a day before it is promoted.
	Proposed *headroom.Policy
	Guards   *headroom.Guards
	Source   headroom.MetricsSource
	Actuator headroom.Actuator
	// Floor holds the platform's autoscaler in Guard mode. In the other
	// modes it gives back, once, a floor still held from an earlier run
	// in Guard mode.
	Floor headroom.FloorActuator
	// Detect, when set, runs the detector each loop on what the loop
	// read (demand, error ratio, latency, capacity) and decided; Needed
	// is the service model's count of instances a demand needs at the
	// SLO, for its cause signal.
	Detect *detect.Config
	Needed func(demand float64) int
	// Incident, when set, tells customers: the target's alerts open and
	// update its incident on the status page (Controller.Automator).
	Incident *incident.Automation

	released bool // the floor was given back (modes other than Guard)
}

// Record is one iteration for one target.
type Record = headroom.DecisionRecord

// State slots of the journal.
const (
	livePolicy     = "live"
	proposedPolicy = "proposed"
	detectorSlot   = "detect"
	incidentSlot   = "incident"
)

// Controller drives targets.
type Controller struct {
	Targets     []*Target
	Journal     headroom.Journal
	Interval    time.Duration
	Concurrency int
	// Now is the clock; time.Now when nil. Tests inject theirs.
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics, when set, count decisions, guard interventions, errors
	// and loop time.
	Metrics *Metrics
	// Leader, when set, lets Run step the targets only while this process
	// holds the lease, and actuations happen only while it still does.
	Leader *Leader
	// Notifier, when set, is handed each target's alerts every loop
	// (Alertmanager, through a sender that never blocks the loop).
	Notifier headroom.Notifier
	// Automator, when set, writes the incidents of targets with an
	// Incident automation.
	Automator *incident.Automator
}

// New returns a controller with the defaults.
func New(j headroom.Journal, targets ...*Target) *Controller {
	return &Controller{Targets: targets, Journal: j, Interval: DefaultInterval, Concurrency: DefaultConcurrency,
		Now: time.Now, Logger: slog.Default()}
}

// Run steps every target every Interval until ctx ends; with a Leader,
// only while it holds the lease, which it releases when ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	if c.Leader != nil {
		defer c.Leader.release(ctx, c.logger())
	}
	led := false
	for {
		lead := c.Leader == nil || c.Leader.lead(ctx, c.logger())
		c.Metrics.leading(lead)
		if lead {
			c.Step(ctx, c.now())
		} else if led {
			c.forgetAlerts()
		}
		led = lead
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// forgetAlerts tells the notifier, when it keeps alerts to resend, that
// this process no longer leads: the new leader sends their states, and a
// resend from here could fire again an alert it resolved.
func (c *Controller) forgetAlerts() {
	if f, ok := c.Notifier.(interface{ Forget() }); ok {
		f.Forget()
	}
}

// Once steps every target once, holding the lease for that step when there
// is a Leader: for `serve --once`, from cron or a test.
//
// Errors: EUNAVAILABLE when another process holds the lease, or the store
// cannot say.
func (c *Controller) Once(ctx context.Context) ([]Record, error) {
	if c.Leader != nil {
		if !c.Leader.lead(ctx, c.logger()) {
			return nil, headroom.Errorf(headroom.EUNAVAILABLE, "lease %q: another serve process holds it, or the store did not answer; not acting", c.Leader.Name)
		}
		defer c.Leader.release(ctx, c.logger())
	}
	return c.Step(ctx, c.now()), nil
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
	defer c.Metrics.since(time.Now())
	records := make([]Record, len(c.Targets))
	sem := make(chan struct{}, max(c.Concurrency, 1))
	var wg sync.WaitGroup
	for i, t := range c.Targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.release(ctx, t)
			if t.Mode == headroom.ModeOff {
				records[i] = Record{Target: t.Name, Time: now, Mode: string(headroom.ModeOff)}
				return
			}
			records[i] = c.step(ctx, t, now)
		}()
	}
	wg.Wait()
	return records
}

// release gives a platform's autoscaler back its own bounds when its target
// left Guard mode while headroom held it up (a no-op when nothing is held),
// once per process; a failure is retried at the next loop.
func (c *Controller) release(ctx context.Context, t *Target) {
	if t.Mode == headroom.ModeGuard || t.Floor == nil || t.released {
		return
	}
	act, cancel := c.Leader.bound(ctx)
	defer cancel()
	reason := headroom.Reason{Code: headroom.ReasonGuardIdle, Message: fmt.Sprintf("target %s is in %s mode, not guard: the platform's own bounds restored", t.Name, t.Mode)}
	if err := t.Floor.SetFloor(act, 0, reason); err != nil {
		c.logger().Warn("give the platform's autoscaler back its bounds", "target", t.Name, "err", err)
		return
	}
	t.released = true
}

// step is one iteration for one target.
func (c *Controller) step(ctx context.Context, t *Target, now time.Time) Record {
	r := Record{Target: t.Name, Time: now, Mode: string(t.Mode)}
	log := c.logger().With("target", t.Name)
	var capacityFailed, metricsFailed, scaleFailed bool
	defer func() {
		c.Metrics.observe(r, capacityFailed, metricsFailed, scaleFailed)
		// Recorded even when ctx ended meanwhile (a shutdown): what
		// happened must not be lost with the loop.
		rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
		defer cancel()
		if err := c.Journal.Append(rec, r); err != nil {
			log.Error("record decision", "err", err)
		}
	}()

	current, err := t.Actuator.Capacity(ctx)
	if err != nil {
		// Without the current count nothing can be decided safely.
		capacityFailed = true
		r.Error = fmt.Sprintf("read capacity: %v", err)
		log.Warn("read capacity", "err", err)
		return r
	}
	r.Current = current
	obs, err := t.Source.Observe(ctx, now)
	if err != nil {
		metricsFailed = true
		// A blind decision: the metrics are missing, which the engine and
		// the blind guard treat as the platforms do (no scale-in).
		r.Error = fmt.Sprintf("read metrics: %v", err)
		log.Warn("read metrics", "err", err)
		obs = headroom.Observation{Time: now}
	}
	r.Observation = obs

	if t.Mode == headroom.ModeGuard {
		scaleFailed = !c.hold(ctx, t, now, current, obs, &r, log)
	} else {
		scaleFailed = !c.decide(ctx, t, now, current, obs, &r, log)
	}

	if t.Detect != nil {
		c.detect(ctx, t, now, current, obs, metricsFailed, &r, log)
	}

	if t.Proposed != nil {
		pst, err := c.state(ctx, t.Name, proposedPolicy, t.Proposed, now, current)
		if err == nil {
			pout := engine.Decide(engine.Input{Now: now, Policy: t.Proposed, Current: current, Observation: obs, State: pst, Guards: t.Guards})
			d := pout.Decision
			r.Proposed = &d
			err = c.save(ctx, t.Name, proposedPolicy, pout.State)
		}
		if err != nil {
			r.Error = join(r.Error, fmt.Sprintf("proposed policy: %v", err))
		}
	}
	return r
}

// decide runs the policy and the guards, and acts in Enforce mode. It
// returns false when the actuator failed.
func (c *Controller) decide(ctx context.Context, t *Target, now time.Time, current headroom.Capacity, obs headroom.Observation, r *Record, log *slog.Logger) bool {
	st, err := c.state(ctx, t.Name, livePolicy, t.Policy, now, current)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load engine state: %v", err))
		return true
	}
	out := engine.Decide(engine.Input{Now: now, Policy: t.Policy, Current: current, Observation: obs, State: st, Guards: t.Guards})
	r.Decision = out.Decision

	commit, ok := true, true
	if t.Mode == headroom.ModeEnforce && out.Desired != current.Total() {
		if !c.Leader.holds() {
			// Another process may lead by now: let it decide. The memory
			// is not kept, as for a failed actuation.
			r.Error = join(r.Error, "lease expired before acting: not scaled")
			log.Warn("lease expired before acting", "desired", out.Desired)
			return false
		}
		act, cancel := c.Leader.bound(ctx)
		err := t.Actuator.Scale(act, out.Desired, out.Reason)
		cancel()
		if err != nil {
			// Keep the old memory: the next iteration decides again from
			// it, as if this one had not happened.
			commit, ok = false, false
			r.Error = join(r.Error, fmt.Sprintf("scale to %d: %v", out.Desired, err))
			log.Error("scale", "desired", out.Desired, "err", err)
		} else {
			r.Applied = true
			log.Info("scaled", "from", current.Total(), "to", out.Desired, "reason", out.Reason.Code, "message", out.Reason.Message)
		}
	}
	if commit {
		// After an actuation the memory of it must be kept, shutdown or
		// not: without it the next loop would cut again at once.
		rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
		defer cancel()
		if err := c.save(rec, t.Name, livePolicy, out.State); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("save engine state: %v", err))
		}
	}
	return ok
}

// hold is Guard mode: the platform's autoscaler scales; the guards, asked
// about its deepest cut, give the floor it is held at. It returns false
// when the platform could not be read or held.
func (c *Controller) hold(ctx context.Context, t *Target, now time.Time, current headroom.Capacity, obs headroom.Observation, r *Record, log *slog.Logger) bool {
	platformMin, err := t.Floor.PlatformMin(ctx)
	if err != nil {
		// Whatever floor is in place stays: nothing is restored blind.
		r.Error = join(r.Error, fmt.Sprintf("read the platform's minimum: %v", err))
		log.Error("read the platform's minimum", "err", err)
		return false
	}
	st, err := c.state(ctx, t.Name, livePolicy, t.Policy, now, current)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load engine state: %v", err))
		return true
	}
	out := engine.Floor(engine.FloorInput{Now: now, Guards: t.Guards, Current: current, Observation: obs, PlatformMin: platformMin, State: st})
	r.Decision = headroom.Decision{Time: now, Current: current.Total(), Desired: out.Floor, Min: platformMin, Max: st.Max, Reason: out.Reason}
	ok := true
	if !c.Leader.holds() {
		r.Error = join(r.Error, "lease expired before acting: floor not set")
		log.Warn("lease expired before acting", "floor", out.Floor)
		return false
	}
	act, cancel := c.Leader.bound(ctx)
	err = t.Floor.SetFloor(act, out.Floor, out.Reason)
	cancel()
	if err != nil {
		ok = false
		r.Error = join(r.Error, fmt.Sprintf("hold the platform at %d: %v", out.Floor, err))
		log.Error("hold floor", "floor", out.Floor, "err", err)
	} else {
		r.Applied = true
		if out.Floor > platformMin {
			log.Info("holding floor", "floor", out.Floor, "platformMin", platformMin, "reason", out.Reason.Code, "message", out.Reason.Message)
		}
	}
	// The memory is what the platform did, true whether or not the floor
	// could be set.
	if err := c.save(ctx, t.Name, livePolicy, out.State); err != nil {
		r.Error = join(r.Error, fmt.Sprintf("save engine state: %v", err))
	}
	return ok
}

// state loads the engine's memory, or starts it: the service has been
// steady at its current count.
func (c *Controller) state(ctx context.Context, target, slot string, p *headroom.Policy, now time.Time, current headroom.Capacity) (engine.State, error) {
	data, ok, err := c.Journal.State(ctx, target, slot)
	if err != nil {
		return engine.State{}, err
	}
	if !ok {
		return engine.NewState(p, now).Settled(now, current.Total()), nil
	}
	var st engine.State
	if err := json.Unmarshal(data, &st); err != nil {
		return engine.State{}, fmt.Errorf("decode engine state: %w", err)
	}
	return st, nil
}

// save keeps the engine's memory.
func (c *Controller) save(ctx context.Context, target, slot string, st engine.State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode engine state: %w", err)
	}
	return c.Journal.SaveState(ctx, target, slot, data)
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
	states  map[string][]byte
}

var _ headroom.Journal = (*MemoryJournal)(nil)

// Append records r (a copy: the caller may reuse its Proposed).
func (j *MemoryJournal) Append(_ context.Context, r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = append(j.records, detach(r))
	return nil
}

// Records returns target's records in [from, to), oldest first (records
// of the same time in append order); zero times are open bounds.
func (j *MemoryJournal) Records(_ context.Context, target string, from, to time.Time, limit int) ([]Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Record
	for _, r := range j.records {
		if r.Target != target || (!from.IsZero() && r.Time.Before(from)) || (!to.IsZero() && !r.Time.Before(to)) {
			continue
		}
		out = append(out, detach(r))
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.Time.Compare(b.Time) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// detach copies what a record points to.
func detach(r Record) Record {
	if r.Proposed != nil {
		p := *r.Proposed
		r.Proposed = &p
	}
	return r
}

// State returns the saved state.
func (j *MemoryJournal) State(_ context.Context, target, slot string) ([]byte, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st, ok := j.states[target+"/"+slot]
	return st, ok, nil
}

// SaveState keeps state.
func (j *MemoryJournal) SaveState(_ context.Context, target, slot string, state []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.states == nil {
		j.states = map[string][]byte{}
	}
	j.states[target+"/"+slot] = append([]byte(nil), state...)
	return nil
}
