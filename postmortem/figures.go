package postmortem

import (
	"math"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// Sample is one loop of the target: what it read and had.
type Sample struct {
	// Time ends the Interval the figures describe.
	Time     time.Time
	Interval time.Duration
	// Demand (requests/s), ErrorRatio and Latency (mean) are what users
	// got; HasDemand and HasHealth say whether they were read.
	Demand     float64
	ErrorRatio float64
	Latency    time.Duration
	HasDemand  bool
	HasHealth  bool
	// Ready is the capacity then; Needed what Demand needed at the SLO
	// (zero: unknown).
	Ready, Needed int
}

// Queries are where live samples came from: the target's Prometheus
// queries, named beside the figures they give.
type Queries struct {
	Prometheus                  string
	Demand, ErrorRatio, Latency string
}

// Input is everything a draft is made from.
type Input struct {
	// Title names the incident; Service names what customers use
	// ("website and API services"); Components lists the affected
	// components' names.
	Title      string
	Service    string
	Components []string
	// Target is the autoscaling target; PolicyFile and Zone its policy's
	// file and time zone (local times of rules).
	Target     string
	PolicyFile string
	Zone       *time.Location
	// Budget is the SLO's error ratio; MaxLatency its mean latency.
	Budget     float64
	MaxLatency time.Duration
	// From and To bound the record the draft looks at: the incident's
	// span with an hour before it (the baseline and the cause).
	From, To time.Time
	// Samples, Decisions and Alerts are the target's record, in time
	// order.
	Samples   []Sample
	Decisions []headroom.Decision
	Alerts    []headroom.Alert
	// Incident is the status page's incident; nil for a replay.
	Incident *incident.Incident
	// Record names where Samples and Decisions came from ("the journal of
	// target web in data/headroom.db", "a replay of proposed.yaml on
	// traffic.csv"); Queries the Prometheus queries of live samples.
	Record  string
	Queries Queries
	// Check is the command that fails on the change, for the remedial
	// actions; empty when unknown.
	Check string
}

// Figures are the per-incident numbers of a draft. A zero time or a
// negative number means the record could not give it.
type Figures struct {
	// ImpactStart and ImpactEnd bound the loops where users got errors
	// over the budget or latency over the SLO.
	ImpactStart, ImpactEnd time.Time
	// FailedRequests and WorstErrorRatio are over the impact window.
	FailedRequests  float64
	WorstErrorRatio float64
	// BaselineLatency is the mean latency of the hour before the impact;
	// ImpactLatency the mean during it; LatencyIncrease the change in
	// percent (the seed's "elevated by 300%"), negative when latency fell
	// (fast-failing 502s lower the mean). HasLatency says whether the
	// record gave them; LatencyIncrease is NaN when it did not.
	BaselineLatency, ImpactLatency time.Duration
	LatencyIncrease                float64
	HasLatency                     bool
	// FirstAlert is the first alert at or after the hour before the
	// impact; Detected its start.
	FirstAlert *headroom.Alert
	// Mitigated is when ready capacity was back at need, with users
	// within the SLO, after the first alert and the impact's start and
	// after a loop short of need or over the SLO.
	Mitigated time.Time
	// Declared and Resolved are the incident's opening and resolution.
	Declared, Resolved time.Time
	// Cause is the decision that cut capacity below need, if any.
	Cause *headroom.Decision
	// ImpactSamples counts the loops in the impact window.
	ImpactSamples int
}

// mergeGap is how far apart two bad loops may be and still be one impact:
// a good loop or two inside an outage does not end it.
const mergeGap = 2 * time.Minute

// bad reports whether users got more than the SLO allows in s.
func (in Input) bad(s Sample) bool {
	return s.HasHealth && (s.ErrorRatio > in.Budget || (in.MaxLatency > 0 && s.Latency > in.MaxLatency))
}

// Compute works the figures out of the record.
func Compute(in Input) Figures {
	f := Figures{LatencyIncrease: math.NaN(), FailedRequests: -1, WorstErrorRatio: -1}
	samples := in.within(in.From, in.To)
	first, last := in.impactRun(samples)
	if first >= 0 {
		f.ImpactStart = samples[first].Time.Add(-samples[first].Interval)
		f.ImpactEnd = samples[last].Time
		var failed, reqs, lat, worst float64
		for _, s := range samples[first : last+1] {
			n := s.Demand * s.Interval.Seconds()
			failed += n * s.ErrorRatio
			reqs += n
			lat += n * s.Latency.Seconds()
			worst = max(worst, s.ErrorRatio)
			f.ImpactSamples++
		}
		f.FailedRequests, f.WorstErrorRatio = failed, min(worst, 1)
		if reqs > 0 {
			f.ImpactLatency = seconds(lat / reqs)
		}
		var bReqs, bLat float64
		for _, s := range in.within(f.ImpactStart.Add(-time.Hour), f.ImpactStart) {
			if !in.bad(s) && s.HasHealth {
				n := s.Demand * s.Interval.Seconds()
				bReqs += n
				bLat += n * s.Latency.Seconds()
			}
		}
		if bReqs > 0 && bLat > 0 && f.ImpactLatency > 0 {
			f.BaselineLatency = seconds(bLat / bReqs)
			f.LatencyIncrease = 100 * (f.ImpactLatency.Seconds()/f.BaselineLatency.Seconds() - 1)
			f.HasLatency = true
		}
	}
	lookFrom := in.From
	if !f.ImpactStart.IsZero() {
		lookFrom = f.ImpactStart.Add(-time.Hour)
	}
	for i := range in.Alerts {
		a := &in.Alerts[i]
		if a.Signal == headroom.SignalBlind || a.StartsAt.Before(lookFrom) || a.StartsAt.After(in.To) {
			continue
		}
		if f.FirstAlert == nil || a.StartsAt.Before(f.FirstAlert.StartsAt) {
			c := *a
			f.FirstAlert = &c
		}
	}
	if f.FirstAlert != nil {
		// A cause alert fires in the cut's loop, before users fail:
		// capacity is back at need only after it was short or users
		// failed, from the impact's start on.
		trouble := false
		for _, s := range in.within(f.mitigationFrom(), in.To) {
			short := s.Needed > 0 && s.Ready < s.Needed
			if trouble && s.Needed > 0 && !short && !in.bad(s) {
				f.Mitigated = s.Time
				break
			}
			trouble = trouble || short || in.bad(s)
		}
	}
	var firstEnd time.Time
	if first >= 0 {
		firstEnd = samples[first].Time
	}
	f.Cause = in.cause(f.ImpactStart, firstEnd)
	if inc := in.Incident; inc != nil {
		f.Declared, f.Resolved = inc.CreatedAt, inc.ResolvedAt
	}
	return f
}

// mitigationFrom is where Mitigated is looked for from: the later of the
// first alert and the impact's start.
func (f Figures) mitigationFrom() time.Time {
	var from time.Time
	if f.FirstAlert != nil {
		from = f.FirstAlert.StartsAt
	}
	if f.ImpactStart.After(from) {
		from = f.ImpactStart
	}
	return from
}

// run is a span of samples[first:last+1] whose bad loops are at most
// mergeGap apart, starting and ending with a bad loop.
type run struct {
	first, last int
	start, end  time.Time
	failed      float64
}

// impactRun picks the impact among the runs of bad loops in samples: the
// run the incident was open in, or the last before it; without an
// incident, the run the first symptom alert fired in, or the last before
// it; without either, the run with the most failed requests. A noisy loop
// in the hour before an outage is not its impact. It returns -1s when no
// loop was bad.
func (in Input) impactRun(samples []Sample) (first, last int) {
	var runs []run
	for i, s := range samples {
		if !in.bad(s) {
			continue
		}
		n := s.Demand * s.Interval.Seconds() * s.ErrorRatio
		if k := len(runs) - 1; k >= 0 && s.Time.Sub(samples[runs[k].last].Time) <= mergeGap {
			runs[k].last, runs[k].end = i, s.Time
			runs[k].failed += n
			continue
		}
		runs = append(runs, run{first: i, last: i, start: s.Time.Add(-s.Interval), end: s.Time, failed: n})
	}
	if len(runs) == 0 {
		return -1, -1
	}
	pick := func(r run) (int, int) { return r.first, r.last }
	if from, to, ok := in.anchor(); ok {
		// Open during a run (or one began while it was open: a cause
		// alert opens it at the cut, before the first failure); the one
		// it opened in first, else the worst.
		best := -1
		for k, r := range runs {
			if r.end.Before(from) || (!to.IsZero() && r.start.After(to)) {
				continue
			}
			if !r.start.After(from) {
				return pick(r)
			}
			if best < 0 || r.failed > runs[best].failed {
				best = k
			}
		}
		if best >= 0 {
			return pick(runs[best])
		}
		// Declared after it ended: the last before.
		for k := len(runs) - 1; k >= 0; k-- {
			if runs[k].end.Before(from) {
				return pick(runs[k])
			}
		}
	}
	worst := 0
	for k, r := range runs {
		if r.failed > runs[worst].failed {
			worst = k
		}
	}
	return pick(runs[worst])
}

// anchor is the span the impact is looked for in: the incident's, from
// when it started (or was opened, if earlier) to its resolution (or To);
// without an incident, the first symptom alert's. ok is false without
// either.
func (in Input) anchor() (from, to time.Time, ok bool) {
	if inc := in.Incident; inc != nil {
		from = inc.StartedAt
		if from.IsZero() || (!inc.CreatedAt.IsZero() && inc.CreatedAt.Before(from)) {
			from = inc.CreatedAt
		}
		if !from.IsZero() {
			to = inc.ResolvedAt
			if to.IsZero() || to.Before(from) {
				to = in.To
			}
			return from, to, true
		}
	}
	for _, a := range in.Alerts {
		if a.Signal != headroom.SignalSymptom || a.StartsAt.Before(in.From) || (!in.To.IsZero() && a.StartsAt.After(in.To)) {
			continue
		}
		if !ok || a.StartsAt.Before(from) {
			from, to, ok = a.StartsAt, a.EndsAt, true
		}
	}
	if ok && (to.IsZero() || to.Before(from)) {
		to = in.To
	}
	return from, to, ok
}

// within returns the samples ending in (from, to]; zero bounds are open.
func (in Input) within(from, to time.Time) []Sample {
	lo := 0
	if !from.IsZero() {
		lo, _ = slices.BinarySearchFunc(in.Samples, from, func(s Sample, t time.Time) int {
			if s.Time.After(t) {
				return 1
			}
			return -1
		})
	}
	hi := len(in.Samples)
	if !to.IsZero() {
		hi, _ = slices.BinarySearchFunc(in.Samples, to, func(s Sample, t time.Time) int {
			if s.Time.After(t) {
				return 1
			}
			return -1
		})
	}
	if hi < lo {
		return nil
	}
	return in.Samples[lo:hi]
}

// cause returns the decision that cut capacity below need: the last
// change in the hour before the impact started (or before To when there
// was no impact), or a cut in the impact's first loop, blamed only when
// the first loop after it had fewer instances ready than demand needed (as
// check blames a cut). A scale-in that left enough, or a scale-out that
// was not enough, is no cause: demand outran capacity.
func (in Input) cause(start, firstEnd time.Time) *headroom.Decision {
	end := start
	if end.IsZero() {
		end, firstEnd = in.To, in.To
	}
	var c *headroom.Decision
	for i := range in.Decisions {
		d := &in.Decisions[i]
		if !d.Changed() || d.Time.Before(end.Add(-time.Hour)) {
			continue
		}
		// After the start, only a cut in the first loop: a scale-out
		// there is the response, not the cause.
		if d.Time.After(end) && (!d.Time.Before(firstEnd) || d.Desired > d.Current) {
			continue
		}
		c = d
	}
	if c == nil || c.Desired >= c.Current {
		return nil
	}
	after := in.within(c.Time, time.Time{})
	if len(after) == 0 || after[0].Needed <= 0 || after[0].Ready >= after[0].Needed {
		return nil
	}
	out := *c
	return &out
}

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
