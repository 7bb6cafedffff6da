package controller

import (
	"context"
	"fmt"
	"log/slog"
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
	// DefaultStopGrace is how long a stop waits for the step under way:
	// well inside the 30 s a Kubernetes pod has by default between its
	// SIGTERM and its SIGKILL (terminationGracePeriodSeconds).
	// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
	DefaultStopGrace = 10 * time.Second
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
	// CapacityPerInstance is the service model's requests/s per instance
	// at 100% cpu: with it, a target whose policy tracks cpu and whose
	// source gives none gets cpu derived from demand, as check derives it.
	CapacityPerInstance float64
	// Incident, when set, tells customers: the target's alerts open and
	// update its incident on the status page (Controller.Automator).
	Incident *incident.Automation

	released bool // the floor was given back (modes other than Guard)
	// reconciled says the target's open intents were reconciled under
	// the lease token reconciledAt: again after a takeover, and after a
	// record that should have closed an intent failed to be written.
	reconciled   bool
	reconciledAt int64
	// kept is the memory the loop keeps between iterations (memo.go).
	kept *kept
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
	// Shards, when set, replaces Leader: Run steps only the targets of
	// the shards this process holds, each fenced by its shard's lease,
	// while other processes step the others.
	Shards *Shards
	// Notifier, when set, is handed each target's alerts every loop
	// (Alertmanager, through a sender that never blocks the loop).
	Notifier headroom.Notifier
	// Automator, when set, writes the incidents of targets with an
	// Incident automation.
	Automator *incident.Automator
	// Refresh bounds how old a target's engine and detector states in the
	// journal grow while only their clocks move; DefaultRefresh when 0.
	// They are written at once when anything else in them changes.
	Refresh time.Duration
	// StopGrace is how long a step under way when Run's context ends may
	// go on finishing its targets' actuations; DefaultStopGrace when 0.
	StopGrace time.Duration

	// resume is where Step starts with Shards: the first target a loop
	// that outlasted its turn (90% of the lease) had to leave, so that an
	// overloaded replica steps every target in turn instead of the same
	// head of the list every loop.
	resume int
}

// New returns a controller with the defaults.
func New(j headroom.Journal, targets ...*Target) *Controller {
	return &Controller{Targets: targets, Journal: j, Interval: DefaultInterval, Concurrency: DefaultConcurrency,
		Now: time.Now, Logger: slog.Default(), Refresh: DefaultRefresh}
}

// Run steps every target every Interval until ctx ends; with a Leader,
// only while it holds the lease, which it releases when ctx ends.
// A step under way when ctx ends finishes within StopGrace: a scale
// command killed mid-way leaves the platform and the record disagreeing
// until the next start reconciles the intent.
func (c *Controller) Run(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	grace := c.StopGrace
	if grace <= 0 {
		grace = DefaultStopGrace
	}
	stopWork := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancelWork) })
	defer stopWork()
	switch {
	case c.Shards != nil:
		defer c.Shards.release(ctx, c.logger())
		// Announced a loop before taking any shard: replicas started
		// together then share from their first loop, instead of the first
		// one taking every shard (and every target's first, costliest
		// loop) until the others show.
		if err := c.Shards.announce(ctx); err != nil {
			c.logger().Error("shards: the store did not answer; not acting", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	case c.Leader != nil:
		defer c.Leader.release(ctx, c.logger())
	}
	led := false
	for {
		// Stopped (before the first loop, or with a tick ready too): no
		// new step, which would act in full on the work context.
		if err := ctx.Err(); err != nil {
			return err
		}
		lead, lost := c.turn(ctx)
		c.Metrics.leading(lead)
		if lost || (led && !lead) {
			c.forgetAlerts()
		}
		if lead {
			c.Step(work, c.now())
		}
		led = lead
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// turn takes or renews this loop's right to act: the lease, or the shards.
// lead says whether this process acts on any target this loop; lost, that
// it gave up or lost some it acted on (a shard moved to another replica).
func (c *Controller) turn(ctx context.Context) (lead, lost bool) {
	switch {
	case c.Shards != nil:
		held, lost := c.Shards.balance(ctx, c.logger())
		c.Metrics.holding(held)
		return held > 0, lost
	case c.Leader != nil:
		err := c.lead(ctx)
		if headroom.ErrorCode(err) == headroom.ECONFLICT {
			c.logger().Error("lease: not acting: "+err.Error(), "lease", c.Leader.Name, "holder", c.Leader.Holder)
		}
		return err == nil, false
	}
	return true, false
}

// lead takes or renews the one lease of a serve without shards. Sharded
// replicas act on the same targets under their shards' leases, which this
// process does not hold: while one is live (its heartbeat), this process
// stands down and gives the lease up, as they stand down beside it. It
// looks before it takes the lease, so that it never takes it from under
// running replicas (which would stand down for it and back), and again
// after, so that of a replica and this process starting together, one sees
// the other: each writes its lease before it reads the other's.
//
// Errors: ECONFLICT when sharded replicas are live; EUNAVAILABLE when
// another process holds the lease or the store did not answer.
func (c *Controller) lead(ctx context.Context) error {
	standDown := func(err error) error {
		if headroom.ErrorCode(err) != headroom.ECONFLICT {
			c.logger().Error("lease: the store did not answer; not acting", "lease", c.Leader.Name, "err", err)
		}
		c.Leader.release(ctx, c.logger())
		return err
	}
	if err := shardedReplicas(ctx, c.Leader.Leases); err != nil {
		return standDown(err)
	}
	if !c.Leader.lead(ctx, c.logger()) {
		return headroom.Errorf(headroom.EUNAVAILABLE, "lease %q: another serve process holds it, or the store did not answer; not acting", c.Leader.Name)
	}
	if err := shardedReplicas(ctx, c.Leader.Leases); err != nil {
		return standDown(err)
	}
	return nil
}

// forgetAlerts tells the notifier, when it keeps alerts to resend, that
// this process no longer leads, or no longer owns some targets: their new
// owner sends their states, and a resend from here could fire again an
// alert it resolved. The alerts of the targets it still owns are sent
// again at its next loop, which notifies every firing alert.
func (c *Controller) forgetAlerts() {
	if f, ok := c.Notifier.(interface{ Forget() }); ok {
		f.Forget()
	}
}

// Once steps every target once, holding the lease for that step when there
// is a Leader: for `serve --once`, from cron or a test. With Shards, only
// the targets of the shards no replica holds (all of them when none runs).
//
// Errors: EUNAVAILABLE when another process holds the lease, or the store
// cannot say; ECONFLICT, without Shards, when sharded serve processes are
// live, and with Shards when the live processes disagree on the shards.
func (c *Controller) Once(ctx context.Context) ([]Record, error) {
	if c.Shards != nil {
		// Without joining the replicas: they neither make room for this
		// run nor take back what they gave up after it.
		defer c.Shards.release(ctx, c.logger())
		held, err := c.Shards.visit(ctx, c.logger())
		if err != nil {
			return nil, err
		}
		if held == 0 {
			return nil, headroom.Errorf(headroom.EUNAVAILABLE, "shards: the running replicas hold them all; not acting")
		}
		return c.Step(ctx, c.now()), nil
	}
	if c.Leader != nil {
		if err := c.lead(ctx); err != nil {
			return nil, err
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
// and returns their records. With Shards, only the targets of the shards
// this process holds are stepped and recorded.
func (c *Controller) Step(ctx context.Context, now time.Time) []Record {
	defer c.Metrics.since(time.Now())
	records := make([]Record, len(c.Targets))
	stepped := make([]bool, len(c.Targets))
	sem := make(chan struct{}, max(c.Concurrency, 1))
	var wg sync.WaitGroup
	var heldAtStart map[*Leader]bool
	first := 0
	if c.Shards != nil && len(c.Targets) > 0 {
		heldAtStart = c.Shards.heldLeaders()
		first = c.resume % len(c.Targets)
		c.resume = first
	}
	cut := false
	for k := range c.Targets {
		i := (first + k) % len(c.Targets)
		t := c.Targets[i]
		l := c.leaderOf(t)
		if c.Shards != nil && !l.holds() {
			if heldAtStart[l] && !cut {
				// The turn ended during the loop: the next one starts
				// here.
				cut, c.resume = true, i
			}
			continue // another replica's target, or the turn ended
		}
		// Every write of this loop carries the token of the target's
		// lease: a write from a process that lost it meanwhile is
		// refused by the store.
		fence := l.fence()
		j := c.Journal
		if fence.Lease != "" {
			j = j.Fenced(fence)
		}
		stepped[i] = true
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
			records[i] = c.step(ctx, j, fence.Token, t, now)
		}()
	}
	wg.Wait()
	if c.Shards == nil {
		return records
	}
	var mine []Record
	for i, r := range records {
		if stepped[i] {
			mine = append(mine, r)
		}
	}
	return mine
}

// leaderOf returns the lease t's actions and writes are bound to: its
// shard's, or the one Leader's (nil without either).
func (c *Controller) leaderOf(t *Target) *Leader {
	if c.Shards != nil {
		return c.Shards.leaderOf(t.Name)
	}
	return c.Leader
}

// release gives a platform's autoscaler back its own bounds when its target
// left Guard mode while headroom held it up (a no-op when nothing is held),
// once per process; a failure is retried at the next loop.
func (c *Controller) release(ctx context.Context, t *Target) {
	if t.Mode == headroom.ModeGuard || t.Floor == nil || t.released {
		return
	}
	if err := c.leaderOf(t).confirm(ctx); err != nil {
		// Another process may own the target now: it restores.
		c.logger().Warn("give the platform's autoscaler back its bounds: not this process's turn", "target", t.Name, "err", err)
		return
	}
	act, cancel := c.leaderOf(t).bound(ctx)
	defer cancel()
	reason := headroom.Reason{Code: headroom.ReasonGuardIdle, Message: fmt.Sprintf("target %s is in %s mode, not guard: the platform's own bounds restored", t.Name, t.Mode)}
	if err := t.Floor.SetFloor(act, 0, reason); err != nil {
		c.logger().Warn("give the platform's autoscaler back its bounds", "target", t.Name, "err", err)
		return
	}
	t.released = true
}

// step is one iteration for one target; j is the journal fenced with the
// lease's token.
func (c *Controller) step(ctx context.Context, j headroom.Journal, token int64, t *Target, now time.Time) Record {
	r := Record{Target: t.Name, Time: now, Mode: string(t.Mode)}
	log := c.logger().With("target", t.Name)
	var capacityFailed, metricsFailed, scaleFailed, unreconciled bool
	defer func() {
		if !unreconciled {
			c.Metrics.observe(r, capacityFailed, metricsFailed, scaleFailed)
		}
		// Recorded even when ctx ended meanwhile (a shutdown): what
		// happened must not be lost with the loop.
		rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
		defer cancel()
		if err := j.Append(rec, r); err != nil {
			c.journalFailed(t.Name, "record decision", err, log)
			if r.Intent != 0 {
				// The intent stays open: the next loop reconciles it
				// before it decides.
				t.reconciled = false
			}
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
	if !t.reconciled || t.reconciledAt != token {
		if err := c.reconcile(ctx, j, t, now, current, log); err != nil {
			// An earlier actuation's outcome is unknown: never act on top
			// of it blind. The next loop tries again.
			unreconciled = true
			c.Metrics.errored(t.Name, "reconcile")
			r.Error = fmt.Sprintf("reconcile open intents: %v; not deciding", err)
			log.Error("reconcile open intents", "err", err)
			return r
		}
		t.reconciled, t.reconciledAt = true, token
		// The reconciliation may have saved an intent's engine state.
		t.forget()
	}
	k := c.keptOf(t, token)
	obs, err := t.Source.Observe(ctx, now)
	if err != nil {
		metricsFailed = true
		// A blind decision: the metrics are missing, which the engine and
		// the blind guard treat as the platforms do (no scale-in).
		r.Error = fmt.Sprintf("read metrics: %v", err)
		log.Warn("read metrics", "err", err)
		obs = headroom.Observation{Time: now}
	}
	obs, derived := t.derive(obs, current)
	r.Observation = obs

	if t.Mode == headroom.ModeGuard {
		scaleFailed = !c.hold(ctx, j, k, t, now, current, obs, &r, log)
	} else {
		scaleFailed = !c.decide(ctx, j, k, t, now, current, obs, &r, log)
	}
	if derived && r.Decision.Reason.Message != "" {
		r.Decision.Reason.Message += derivedNote
	}

	if t.Detect != nil {
		c.detect(ctx, j, k, t, now, current, obs, metricsFailed, &r, log)
	}

	if t.Proposed != nil {
		pst, err := c.state(ctx, j, &k.proposed, t.Name, proposedPolicy, t.Proposed, now, current)
		if err == nil {
			pout := engine.Decide(engine.Input{Now: now, Policy: t.Proposed, Current: current, Observation: obs, State: pst, Guards: t.Guards})
			d := pout.Decision
			r.Proposed = &d
			err = c.save(ctx, j, &k.proposed, t.Name, proposedPolicy, pout.State, now, false)
		}
		if err != nil {
			r.Error = join(r.Error, fmt.Sprintf("proposed policy: %v", err))
		}
	}
	return r
}

// decide runs the policy and the guards, and acts in Enforce mode: it
// writes the intent first (write-ahead), so that an actuation whose record
// is lost with the process is found by the next leader. It returns false
// when the actuator failed or the intent could not be written.
func (c *Controller) decide(ctx context.Context, j headroom.Journal, k *kept, t *Target, now time.Time, current headroom.Capacity, obs headroom.Observation, r *Record, log *slog.Logger) bool {
	st, err := c.state(ctx, j, &k.live, t.Name, livePolicy, t.Policy, now, current)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load engine state: %v", err))
		return true
	}
	out := engine.Decide(engine.Input{Now: now, Policy: t.Policy, Current: current, Observation: obs, State: st, Guards: t.Guards})
	r.Decision = out.Decision

	commit, ok := true, true
	if t.Mode == headroom.ModeEnforce && out.Desired != current.Total() {
		if !c.leaderOf(t).holds() {
			// Another process may lead by now: let it decide. The memory
			// is not kept, as for a failed actuation.
			r.Error = join(r.Error, "lease expired before acting: not scaled")
			log.Warn("lease expired before acting", "desired", out.Desired)
			return false
		}
		id, err := c.intend(ctx, j, t, now, current, out)
		if err != nil {
			// No intent, no actuation: the journal could not say later
			// what was done. The memory is not kept, as for a failed
			// actuation.
			r.Error = join(r.Error, fmt.Sprintf("write intent to scale to %d: %v; not scaled", out.Desired, err))
			c.journalFailed(t.Name, "write intent", err, log)
			return false
		}
		r.Intent = id
		act, cancel := c.leaderOf(t).bound(ctx)
		err = t.Actuator.Scale(act, out.Desired, out.Reason)
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
		if err := c.save(rec, j, &k.live, t.Name, livePolicy, out.State, now, r.Applied); err != nil {
			r.Error = join(r.Error, fmt.Sprintf("save engine state: %v", err))
		}
	}
	return ok
}

// hold is Guard mode: the platform's autoscaler scales; the guards, asked
// about its deepest cut, give the floor it is held at. It returns false
// when the platform could not be read or held.
func (c *Controller) hold(ctx context.Context, j headroom.Journal, k *kept, t *Target, now time.Time, current headroom.Capacity, obs headroom.Observation, r *Record, log *slog.Logger) bool {
	platformMin, err := t.Floor.PlatformMin(ctx)
	if err != nil {
		// Whatever floor is in place stays: nothing is restored blind.
		r.Error = join(r.Error, fmt.Sprintf("read the platform's minimum: %v", err))
		log.Error("read the platform's minimum", "err", err)
		return false
	}
	st, err := c.state(ctx, j, &k.live, t.Name, livePolicy, t.Policy, now, current)
	if err != nil {
		r.Error = join(r.Error, fmt.Sprintf("load engine state: %v", err))
		return true
	}
	out := engine.Floor(engine.FloorInput{Now: now, Guards: t.Guards, Current: current, Observation: obs, PlatformMin: platformMin, State: st})
	r.Decision = headroom.Decision{Time: now, Current: current.Total(), Desired: out.Floor, Min: platformMin, Max: st.Max, Reason: out.Reason}
	ok := true
	if !c.leaderOf(t).holds() {
		r.Error = join(r.Error, "lease expired before acting: floor not set")
		log.Warn("lease expired before acting", "floor", out.Floor)
		return false
	}
	// No journal write comes before the floor, as an intent does before
	// a scale: the store confirms the lease is still this process's
	// first, so an owner that lost it leaves the floor alone. The memory
	// is not kept, as for a failed actuation.
	if err := c.leaderOf(t).confirm(ctx); err != nil {
		r.Error = join(r.Error, fmt.Sprintf("confirm the lease before holding the platform at %d: %v; floor not set", out.Floor, err))
		c.journalFailed(t.Name, "confirm the lease", err, log)
		return false
	}
	act, cancel := c.leaderOf(t).bound(ctx)
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
	if err := c.save(ctx, j, &k.live, t.Name, livePolicy, out.State, now, false); err != nil {
		r.Error = join(r.Error, fmt.Sprintf("save engine state: %v", err))
	}
	return ok
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
