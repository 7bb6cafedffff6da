package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

// Input is everything a decision depends on. The engine reads no clock and
// does no I/O, so a simulation and the live controller get the same answer
// for the same input.
type Input struct {
	Now         time.Time
	Policy      *headroom.Policy
	Current     headroom.Capacity
	Observation headroom.Observation
	State       State
	// Guards, when set, apply after the policy's decision.
	Guards *headroom.Guards
	// Reuse says the caller drops State once Decide returns (the
	// simulator does): Decide may then update State.NextFire in place
	// rather than copy it when a scheduled action fires, and slide the
	// stabilization windows in their own arrays. The live
	// controller, which may decide twice from one persisted state, leaves
	// it false.
	Reuse bool
	// Terse leaves a target-tracking sync's Reason.Message empty (and
	// builds no sentence for it); codes, counts and the next state are
	// the same. For a caller that keeps the message of few decisions and
	// decides again, not terse, from the same state for those: the
	// simulator, where most syncs change nothing and building their
	// sentences was a tenth of a check.
	Terse bool
}

// Sample is a replica count at a time: a recommendation, or the size of a
// scale event.
type Sample struct {
	At       time.Time
	Replicas int
}

// State is the engine's memory between decisions. It is a value: Decide
// returns a new one and never changes the one it was given, so a caller can
// persist it, replay it or throw it away.
type State struct {
	// LastEval is the time of the previous decision; scheduled actions
	// that fire in (LastEval, Now] are applied.
	LastEval time.Time
	// NextSync is when target tracking next evaluates.
	NextSync time.Time
	// NextFire holds the next activation of each scheduled action, in
	// policy order.
	NextFire []time.Time
	// Min and Max are the bounds in force, as the last scheduled actions
	// left them.
	Min, Max int
	// UpWindow and DownWindow are the recommendations of the scale-up and
	// scale-down stabilization windows that can still be the window's
	// minimum and maximum (a sliding-window extreme keeps no other), oldest
	// first. UpEvents and DownEvents feed the rate policies.
	UpWindow   []Sample
	DownWindow []Sample
	UpEvents   []Sample
	DownEvents []Sample
	// Failures counts, per metric, the consecutive syncs without a sample
	// (for a Fallback).
	Failures []int
	// Alarms holds, per AWS target tracking policy, its alarm counters
	// and cooldowns.
	Alarms []AlarmState
	// LastScaleOut is when capacity was last added by target tracking
	// (AWS instance warmup blocks scale-in after it).
	LastScaleOut time.Time
	// StepAlarms holds, per step scaling policy, its alarm and cooldown.
	StepAlarms []StepAlarm
	// GuardEvents are the guard rate limit's recent scale-ins.
	GuardEvents []Sample
	// Seen is, in guard mode, the platform's capacity at the previous
	// decision: a drop since is a scale-in the rate limit counts.
	Seen int

	// agenda orders NextFire by time, so that a decision costs the same
	// with 10,000 scheduled actions as with ten: O(1) when none is due,
	// O(log n) per action that fires. It is immutable, shared by the
	// states that hold it. agendaKnown is false in a State decoded from
	// the journal: its first decision builds the agenda.
	agenda      *agenda
	agendaKnown bool
	// cron memoizes, per metric, a cron window's answer until its next
	// edge (see windowOpen); never shared with a writer: a miss writes a
	// fresh slice.
	cron []cronMemo
}

// cronMemo is a cron window's answer, open or not, for now in [from,
// until).
type cronMemo struct {
	from, until time.Time
	open        bool
}

// StepAlarm is a step scaling policy's alarm: the last datapoints'
// breaches (bit 0 the newest) and the cooldown it started, with the
// capacity at its start.
type StepAlarm struct {
	Breaches      uint64
	CooldownUntil time.Time
	// CooldownBase is the capacity before the scale-out that started the
	// cooldown (zero after a scale-in).
	CooldownBase int
}

// AlarmState is one AWS target tracking policy's pair of CloudWatch alarms:
// consecutive datapoints above the target (High) and under the scale-in
// threshold (Low), and its cooldowns.
type AlarmState struct {
	High, Low       int
	InCooldownUntil time.Time
	// OutCooldownUntil and OutBase: during a scale-out cooldown the
	// proportional count is taken on the capacity before that scale-out
	// (OutBase), so the capacity it added counts toward the next one.
	OutCooldownUntil time.Time
	OutBase          int
}

// eval is what each rule of one decision reads: the time, the capacity it
// acts on, the observation, and the bounds in force (the guards, which
// apply after the bounds, leave lo and hi zero). The State a rule updates
// is passed beside it, by pointer: inside the struct, escape analysis
// would move the whole state to the heap at every decision.
type eval struct {
	now    time.Time
	cur    headroom.Capacity
	obs    headroom.Observation
	lo, hi int
	reuse  bool // Input.Reuse
	terse  bool // Input.Terse
}

// Output is a decision with the engine's next state.
type Output struct {
	headroom.Decision
	State State
	// Next is the latest time Decide should run again: the next sync or
	// scheduled activation, whichever is first.
	Next time.Time
}

// GuardInterval is how often guards look when the policy itself would not
// be evaluated: the live controller's default loop.
const GuardInterval = 15 * time.Second

// scheduleLookback is how far back NewState looks for scheduled actions that
// set the bounds in force at the start: a week covers weekly schedules.
const scheduleLookback = 8 * 24 * time.Hour

// NewState returns the state of a policy at start: the bounds its scheduled
// actions left in force (replayed over the week before start) and the next
// activation of each.
func NewState(p *headroom.Policy, start time.Time) State {
	st := State{LastEval: start, NextSync: start, Min: p.Min, Max: p.Max}
	type fired struct {
		at time.Time
		a  *headroom.ScheduledAction
	}
	var past []fired
	for i := range p.Schedules {
		a := &p.Schedules[i]
		// An activation exactly at start is due in the first decision.
		st.NextFire = append(st.NextFire, nextFire(a, start.Add(-time.Second)))
		if at, ok := schedule.Previous(a.Schedule, start.Add(-a.Delay), scheduleLookback); ok && at.Add(a.Delay).Before(start) {
			past = append(past, fired{at.Add(a.Delay), a})
		}
	}
	st.agenda, st.agendaKnown = newAgenda(st.NextFire), true
	slices.SortStableFunc(past, func(x, y fired) int { return x.at.Compare(y.at) })
	for _, f := range past {
		st.Min, st.Max = bounds(st.Min, st.Max, f.a)
	}
	return st
}

// Settled returns the state of a service that has been steady at replicas
// up to at: the stabilization window remembers it, so a run that starts
// mid-traffic does not scale down at its first decision as a brand-new HPA
// would.
func (s State) Settled(at time.Time, replicas int) State {
	rec := Sample{At: at, Replicas: replicas}
	s.UpWindow = slide(s.UpWindow, rec, time.Time{}, lower)
	s.DownWindow = slide(s.DownWindow, rec, time.Time{}, higher)
	return s
}

// syncPeriod is how often the reactive policies evaluate: target
// tracking's sync period, or a CloudWatch minute for step scaling alone;
// zero when the policy only has schedules.
func syncPeriod(p *headroom.Policy) time.Duration {
	switch {
	case p.Target != nil:
		return p.Target.SyncPeriod
	case len(p.Steps) > 0:
		return time.Minute
	}
	return 0
}

// nextFire is when action a next takes effect after t: its next
// activation plus the platform's delay; zero when it never runs again.
func nextFire(a *headroom.ScheduledAction, t time.Time) time.Time {
	at := a.Schedule.Next(t.Add(-a.Delay))
	if at.IsZero() {
		return at
	}
	return at.Add(a.Delay)
}

// bounds applies a scheduled action's min and max. Setting one beyond the
// other moves the other, as AWS does rather than refusing at run time.
func bounds(lo, hi int, a *headroom.ScheduledAction) (int, int) {
	if a.Min != nil {
		lo = *a.Min
		hi = max(hi, lo)
	}
	if a.Max != nil {
		hi = *a.Max
		lo = min(lo, hi)
	}
	return lo, hi
}

// Decide returns the capacity the policy wants now, and why.
//
// Order, as the platforms apply it: scheduled actions that fired since the
// last decision set bounds and desired capacity; capacity outside the bounds
// moves to them at once, bypassing every rate limit (HPA's pre-checks, AWS's
// clamp); otherwise, on a sync tick, target tracking runs the HPA algorithm.
func Decide(in Input) Output {
	p, now := in.Policy, in.Now
	st := in.State
	out := Output{Decision: headroom.Decision{Time: now, Current: in.Current.Total()}}
	desired := in.Current.Total()
	var reason headroom.Reason

	// Scheduled actions, in activation order: those due since the last
	// decision, earliest first (ties in policy order), taken off the
	// agenda rather than found by looking at every action.
	if !st.agendaKnown {
		st.agenda, st.agendaKnown = newAgenda(st.NextFire), true
	}
	if h := st.agenda; h != nil && !h.at.After(now) {
		if !in.Reuse {
			// Copy on write: the caller's state stays as it was.
			st.NextFire = slices.Clone(st.NextFire)
		}
		var last struct {
			a      *headroom.ScheduledAction
			at     time.Time
			before int
		}
		for h != nil && !h.at.After(now) {
			i, at := h.i, h.at
			h = h.pop()
			a := &p.Schedules[i]
			last.a, last.at, last.before = a, at, desired
			// After now: an action fires at most once per decision.
			next := nextFire(a, now)
			st.NextFire[i] = next
			h = h.push(next, i)
			st.Min, st.Max = bounds(st.Min, st.Max, a)
			if a.Desired != nil {
				desired = *a.Desired
			}
			desired = clamp(desired, st.Min, st.Max)
		}
		st.agenda = h
		// The last action's reason is the decision's: written once.
		reason = headroom.Reason{Code: headroom.ReasonScheduled, Message: scheduledMessage(p, last.a, last.at, last.before, desired)}
	}

	// Bounds bypass behavior: HPA's "current > max → max" and "current <
	// min → min" pre-checks, and AWS's clamp after a scheduled action.
	// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
	switch {
	case reason.Code == "" && desired > st.Max:
		reason = headroom.Reason{Code: headroom.ReasonAboveMax, Message: fmt.Sprintf("%d instances exceed max %d: scale in at once", desired, st.Max)}
		desired = st.Max
	case reason.Code == "" && desired < st.Min:
		reason = headroom.Reason{Code: headroom.ReasonBelowMin, Message: fmt.Sprintf("%d instances are under min %d: scale out at once", desired, st.Min)}
		desired = st.Min
	}

	// The scale event the HPA way records, from this count (-1: none),
	// once the guards said what the move is: a bound rescale's or target
	// tracking's.
	eventFrom := -1
	if period := syncPeriod(p); period > 0 && !now.Before(st.NextSync) {
		for !st.NextSync.After(now) {
			st.NextSync = st.NextSync.Add(period)
		}
		// The reactive policies see capacity after the schedule acted, as
		// the HPA would on its next sync.
		after := afterScale(in.Current, desired)
		e := eval{now: now, cur: after, obs: in.Observation, lo: st.Min, hi: st.Max, reuse: in.Reuse, terse: in.Terse}
		d, r, moved := desired, headroom.Reason{}, false
		if hpaBoundRescale(p, reason) {
			// The HPA's sync that finds the count outside [min, max]
			// sets the bound and computes no metric; with behavior the
			// move is a scale event later rate limits count
			// (reconcileAutoscaler, storeScaleEvent in
			// pkg/controller/podautoscaler/horizontal.go), recorded
			// below once the guards said what the move is. AWS clamps
			// and then tracks, below.
			// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
			if !p.Target.Legacy {
				eventFrom = in.Current.Total()
			}
		} else if p.Target != nil {
			// Direct calls, not a func value: &st must not escape, or every
			// decision would allocate the whole state.
			if p.Target.Algorithm == headroom.AlgorithmAWS {
				d, r = trackAWS(p.Target, &st, e)
			} else {
				d, r = trackHPA(p.Target, &st, e)
				if !p.Target.Legacy {
					eventFrom = after.Total()
				}
			}
			moved = true
		}
		if len(p.Steps) > 0 {
			// AWS: of the policies that act, the one giving the largest
			// capacity wins, for scale-out and scale-in alike.
			// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scale-based-on-demand.html#multiple-scaling-policies
			if sd, sr, ok := stepScale(p.Steps, &st, e); ok &&
				(!moved || d == after.Total() || sd > d) {
				d, r, moved = sd, sr, true
			}
		}
		switch {
		case !moved:
		case reason.Code == "":
			desired, reason = d, r
		case d != desired:
			// Keep the schedule in the story: it is usually why.
			r.Message = reason.Message + "; then target tracking: " + r.Message
			desired, reason = d, r
		}
	}
	if in.Guards != nil {
		d, r := guard(in.Guards, &st, eval{now: now, cur: in.Current, obs: in.Observation}, desired, reason)
		if d != desired || r.Code != reason.Code {
			desired, reason = d, r
		}
	}
	if eventFrom >= 0 {
		// The move made, not the policy's: a guard may have kept
		// instances or added them. Dropping the old ones first keeps a
		// state whose decisions are not applied (shadow mode) from
		// growing at every sync (trackHPA dropped them already).
		st.pruneEvents(p.Target, now)
		st.storeScaleEvent(now, eventFrom, desired)
	}
	if reason.Code == "" {
		reason = headroom.Reason{Code: headroom.ReasonNoPolicy, Message: "no scheduled action or sync due; capacity held"}
		if p.Target == nil {
			reason.Message = "policy has no target tracking; capacity held"
		}
	}

	st.LastEval = now
	out.Desired, out.Reason, out.Min, out.Max = desired, reason, st.Min, st.Max
	out.State = st
	out.Next = st.NextSync
	if syncPeriod(p) == 0 {
		out.Next = time.Time{}
	}
	if h := st.agenda; h != nil && (out.Next.IsZero() || h.at.Before(out.Next)) {
		out.Next = h.at
	}
	if in.Guards != nil {
		// Guards watch every loop: a deferred scale-in is retried, a
		// saturation caught, whatever the policy's own cadence.
		if g := now.Add(GuardInterval); out.Next.IsZero() || g.Before(out.Next) {
			out.Next = g
		}
	}
	return out
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// afterScale is capacity once desired is applied: a scale-in removes
// launching instances first, a scale-out adds launching ones.
func afterScale(c headroom.Capacity, desired int) headroom.Capacity {
	switch total := c.Total(); {
	case desired >= total:
		return headroom.Capacity{Ready: c.Ready, Launching: c.Launching + desired - total}
	case desired >= c.Ready:
		return headroom.Capacity{Ready: c.Ready, Launching: desired - c.Ready}
	default:
		return headroom.Capacity{Ready: desired}
	}
}

// Clock prints a time in UTC and in the policy's zone, so a time-zone
// mistake shows at once: "17:00 UTC = 03:00 Australia/Sydney".
func Clock(t time.Time, zone *time.Location) string {
	u := t.UTC().Format("15:04 UTC")
	if zone == nil || zone == time.UTC || zone.String() == "UTC" {
		return u
	}
	return u + " = " + t.In(zone).Format("15:04") + " " + zone.String()
}

func scheduledMessage(p *headroom.Policy, a *headroom.ScheduledAction, at time.Time, before, after int) string {
	var set []string
	if a.Min != nil {
		set = append(set, fmt.Sprintf("min %d", *a.Min))
	}
	if a.Max != nil {
		set = append(set, fmt.Sprintf("max %d", *a.Max))
	}
	if a.Desired != nil {
		set = append(set, fmt.Sprintf("desired %d", *a.Desired))
	}
	msg := fmt.Sprintf("scheduled action %q (%q in %s) at %s set %s", a.Name, a.Spec, a.TimeZone, Clock(at, a.TimeZone), strings.Join(set, ", "))
	if a.Delay > 0 {
		msg += fmt.Sprintf(" (taken %s after its activation, as late as the platform may apply it)", a.Delay)
	}
	switch {
	case after < before:
		msg += fmt.Sprintf(": scales in from %d to %d at once", before, after)
	case after > before:
		msg += fmt.Sprintf(": scales out from %d to %d", before, after)
	}
	return msg
}

// prune drops samples older than keep before now.
func prune(s []Sample, now time.Time, keep time.Duration) []Sample {
	cut := now.Add(-keep)
	i := 0
	for i < len(s) && !s[i].At.After(cut) {
		i++
	}
	return s[i:]
}

// ceil rounds up, forgiving float noise: 3.0000000001 replicas is 3.
func ceil(x float64) int { return int(math.Ceil(x - 1e-9)) }
