package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
)

// Tolerance is the HPA's dead band around the target: no scaling while
// the usage ratio is within [1-Down, 1+Up].
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
type Tolerance struct{ Up, Down float64 }

func (t Tolerance) isWithin(ratio float64) bool {
	return ratio >= 1-t.Down && ratio <= 1+t.Up
}

// value returns the value of metric i and whether it was observed: cpu is
// the utilization; a per-instance rate is the demand over ready instances
// (what a Pods metric averages); a service-wide rate is the demand; a cron
// metric is its window's desired count while open, 1 otherwise.
func value(t *headroom.TargetTracking, i int, st *State, now time.Time, obs headroom.Observation, ready int) (float64, bool) {
	m := t.Metrics[i]
	switch {
	case m.Kind == headroom.MetricCPU:
		return obs.Utilization, obs.HasUtilization
	case m.Kind == headroom.MetricCron:
		if windowOpen(t, i, st, now) {
			return float64(m.Window.Desired), true
		}
		return 1, true
	case m.Total || m.External:
		return obs.Demand, obs.HasDemand
	default:
		return obs.Demand / float64(max(ready, 1)), obs.HasDemand
	}
}

// windowOpen reports whether the cron window of metric i is open at now
// (headroom.CronWindow.OpenAt: KEDA's rule), memoized in st until the
// window's next edge: asking robfig/cron for both edges at every decision
// was 93% of a KEDA policy's search in recommend. An answer is kept only
// a day clear of a clock change, and only at a whole-hour offset: around a
// change, and at half-hour offsets, robfig/cron's Next is not monotonic
// (Australia/Lord_Howe), so there both edges are asked for afresh, as KEDA
// asks.
func windowOpen(t *headroom.TargetTracking, i int, st *State, now time.Time) bool {
	if i < len(st.cron) {
		if c := st.cron[i]; !now.Before(c.from) && now.Before(c.until) {
			return c.open
		}
	}
	w := t.Metrics[i].Window
	start, end := w.Start.Next(now), w.End.Next(now)
	c := cronMemo{from: now, until: start, open: !start.Before(end)}
	if end.Before(c.until) {
		c.until = end
	}
	loc := w.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	if _, offset := local.Zone(); offset%3600 != 0 {
		// robfig/cron truncates to whole hours of absolute time: at a
		// half-hour offset (Lord Howe's winter, India) its Next from two
		// instants between the same edges may differ. Ask every time.
		return c.open
	}
	// robfig/cron walks from the local day's midnight: a day that began
	// at another offset, on either side, makes its answers disagree with
	// one another. Keep a day clear of each clock change.
	begun, change := local.ZoneBounds()
	if !begun.IsZero() && now.Sub(begun) < 24*time.Hour {
		return c.open
	}
	if !change.IsZero() && change.Add(-24*time.Hour).Before(c.until) {
		c.until = change.Add(-24 * time.Hour)
	}
	memo := make([]cronMemo, max(len(st.cron), len(t.Metrics)))
	copy(memo, st.cron)
	memo[i] = c
	st.cron = memo
	return c.open
}

// recommend is the HPA replica calculation for one metric: ceil(ready ×
// metric/target), with the controller's handling of not-yet-ready pods for
// per-pod metrics: on a scale-up they count as using 0% of target (so a
// burst of launches is not multiplied again before it is ready); on a
// scale-down they are left out. If that correction brings the ratio inside
// the tolerance, or flips its direction, the count stays. A metric for the
// whole service (an Object or External Value target) has no per-pod
// correction.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
func recommend(t *headroom.TargetTracking, m headroom.MetricTarget, c headroom.Capacity, metric float64, terse bool) (int, headroom.Reason) {
	current := c.Total()
	ratio := metric / m.Target
	if m.External && !m.Total {
		// An AverageValue target on one service-wide value: compared with
		// the target times the current count, and the count it asks for
		// is value / target, launching instances or not.
		ratio = metric / (m.Target * float64(max(current, 1)))
	}
	tol := Tolerance{Up: t.ScaleUpTolerance, Down: t.ScaleDownTolerance}
	if tol.isWithin(ratio) {
		if terse {
			return current, headroom.Reason{Code: headroom.ReasonWithinTolerance}
		}
		b := make([]byte, 0, 128)
		b = appendMetric(b, m, metric)
		b = append(b, " is within tolerance of target "...)
		b = appendNum(b, m.Target)
		return current, headroom.Reason{Code: headroom.ReasonWithinTolerance, Message: string(b)}
	}
	if m.External && !m.Total {
		want := ceil(metric / m.Target)
		return want, reasonFor(m, metric, want, current, c.Ready, terse)
	}
	scaleUpWithUnready := ratio > 1 && c.Launching > 0 && !m.Total
	if scaleUpWithUnready {
		util := metric * float64(c.Ready) / float64(current)
		if m.Kind == headroom.MetricCPU {
			// The controller recounts cpu utilization in integers: a
			// whole percent, truncated (GetResourceUtilizationRatio's
			// int32(metricsTotal * 100 / requestsTotal), metrics/utilization.go).
			// The 1e-9 forgives float noise, as ceil does.
			util = math.Floor(util + 1e-9)
		}
		corrected := util / m.Target
		if corrected <= 1+tol.Up {
			if terse {
				return current, headroom.Reason{Code: headroom.ReasonWithinTolerance}
			}
			return current, headroom.Reason{Code: headroom.ReasonWithinTolerance,
				Message: fmt.Sprintf("%s %.3g over target %.3g, but counting %d launching instances at 0%% it is within tolerance: waiting for them", m.Name, metric, m.Target, c.Launching)}
		}
		ratio = corrected * float64(current) / float64(max(c.Ready, 1))
	}
	want := ceil(ratio * float64(c.Ready))
	if c.Ready == 0 {
		want = current
	}
	if ratio < 1 && want > current {
		want = current
	}
	return want, reasonFor(m, metric, want, current, c.Ready, terse)
}

// reasonFor explains a recommendation of want instances from current: the
// code alone when terse.
func reasonFor(m headroom.MetricTarget, metric float64, want, current, ready int, terse bool) headroom.Reason {
	code := headroom.ReasonScaleUp
	if want < current {
		code = headroom.ReasonScaleDown
	}
	if want == current {
		code = headroom.ReasonWithinTolerance
	}
	if terse {
		return headroom.Reason{Code: code}
	}
	b := make([]byte, 0, 128)
	b = appendMetric(b, m, metric)
	b = append(b, " against target "...)
	b = appendNum(b, m.Target)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, int64(ready), 10)
	b = append(b, " ready instances need "...)
	b = strconv.AppendInt(b, int64(want), 10)
	return headroom.Reason{Code: code, Message: string(b)}
}

// recommendAll combines the metrics as the HPA does: the highest
// recommendation wins; a missing metric blocks a scale-down but not a
// scale-up; with every metric missing nothing moves.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-on-multiple-metrics
func recommendAll(t *headroom.TargetTracking, st *State, e eval) (int, headroom.Reason, bool) {
	current := e.cur.Total()
	best, missing := -1, ""
	var reason headroom.Reason
	for i, m := range t.Metrics {
		v, ok := value(t, i, st, e.now, e.obs, e.cur.Ready)
		ok = ok && !math.IsNaN(v)
		fallback := false
		if fb := t.Fallback; fb != nil && m.External && !m.Total && failures(t, st, i, ok) > fb.FailureThreshold {
			// KEDA answers for a scaler that has failed more than
			// failureThreshold times with target × fallback replicas,
			// which the HPA then reads like any value (tolerance
			// included). Only AverageValue metrics fall back.
			v, ok, fallback = m.Target*float64(fb.Replicas), true, true
		}
		if !ok {
			if missing == "" {
				missing = m.Name
			}
			continue
		}
		rec, r := recommend(t, m, e.cur, v, e.terse)
		if fallback && !e.terse {
			r.Message = fmt.Sprintf("%s has failed %d syncs in a row, KEDA falls back to %d replicas: %s", m.Name, st.Failures[i], t.Fallback.Replicas, r.Message)
		}
		if rec > best {
			best, reason = rec, r
		}
	}
	switch {
	case best < 0:
		return current, headroom.Reason{Code: headroom.ReasonMetricUnavailable,
			Message: "no sample of " + missing + " in the observation window: capacity held"}, false
	case missing != "" && best < current:
		return current, headroom.Reason{Code: headroom.ReasonMetricUnavailable,
			Message: reason.Message + ", but " + missing + " has no sample: a scale-down waits for every metric"}, false
	}
	return best, reason, true
}

// failures counts consecutive syncs without a sample of metric i, and
// returns the count (0 after a sample).
func failures(t *headroom.TargetTracking, st *State, i int, ok bool) int {
	if len(st.Failures) != len(t.Metrics) {
		st.Failures = make([]int, len(t.Metrics))
	}
	n := 0
	if !ok {
		n = st.Failures[i] + 1
	}
	if n != st.Failures[i] {
		st.Failures = slices.Clone(st.Failures)
		st.Failures[i] = n
	}
	return n
}

// legacyScaleUpLimit is the HPA's scale-up cap without a behavior section:
// at most double, and at least 4, per sync.
// https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/podautoscaler/horizontal.go (scaleUpLimitFactor, scaleUpLimitMinimum)
func legacyScaleUpLimit(current int) int { return max(2*current, 4) }

// trackHPA runs target tracking the HPA way: recommendation,
// stabilization, rate limits and bounds. It records the recommendation in
// st; Decide records the scale event.
func trackHPA(t *headroom.TargetTracking, st *State, e eval) (int, headroom.Reason) {
	current := e.cur.Total()
	rec, reason, ok := recommendAll(t, st, e)
	if !ok {
		// A failed metric computation stops the HPA from scaling.
		return clamp(current, e.lo, e.hi), reason
	}

	// Stabilization: the HPA keeps every recommendation and moves only as
	// far as all of them in each window agree: up to the lowest of the
	// scale-up window, down to the highest of the scale-down window.
	// Without behavior, only the scale-down window exists and the highest
	// recommendation in it wins outright.
	// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#stabilization-window
	s, upCut, downCut := Sample{At: e.now, Replicas: rec}, e.now.Add(-t.ScaleUp.StabilizationWindow), e.now.Add(-t.ScaleDown.StabilizationWindow)
	if e.reuse {
		st.UpWindow, st.DownWindow = slideInPlace(st.UpWindow, s, upCut, lower), slideInPlace(st.DownWindow, s, downCut, higher)
	} else {
		st.UpWindow, st.DownWindow = slideBoth(st.UpWindow, st.DownWindow, s, upCut, downCut)
	}
	upRec, downRec := st.UpWindow[0].Replicas, st.DownWindow[0].Replicas
	stabilized := min(max(current, upRec), downRec)
	if t.Legacy {
		stabilized = downRec
	}
	if stabilized != rec && e.terse {
		reason = headroom.Reason{Code: headroom.ReasonStabilized}
	} else if stabilized != rec {
		window := t.ScaleDown.StabilizationWindow
		if rec > current && !t.Legacy {
			window = t.ScaleUp.StabilizationWindow
		}
		reason = headroom.Reason{Code: headroom.ReasonStabilized,
			Message: reason.Message + "; held at " + strconv.Itoa(stabilized) + " by the " + window.String() + " stabilization window"}
	}

	// Rate policies, then bounds.
	// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-policies
	desired := stabilized
	st.pruneEvents(t, e.now)
	switch {
	case desired > current:
		limit := legacyScaleUpLimit(current)
		if !t.Legacy {
			limit = scaleUpLimit(t.ScaleUp, current, st.UpEvents, st.DownEvents, e.now)
		}
		if desired > limit {
			desired = max(limit, current)
			reason.Code = headroom.ReasonScaleUpLimit
			if !e.terse {
				reason.Message = fmt.Sprintf("%s; the desired count is increasing faster than the maximum scale rate: limited to %d", reason.Message, desired)
			}
		}
	case desired < current && !t.Legacy:
		limit := scaleDownLimit(t.ScaleDown, current, st.UpEvents, st.DownEvents, e.now)
		if desired < limit {
			desired = min(limit, current)
			reason.Code = headroom.ReasonScaleDownLimit
			if !e.terse {
				reason.Message = fmt.Sprintf("%s; the desired count is decreasing faster than the maximum scale rate: limited to %d", reason.Message, desired)
			}
		}
	}
	if b := clamp(desired, e.lo, e.hi); b != desired {
		if !e.terse {
			reason.Message += "; bounded to " + strconv.Itoa(b) + " by min " + strconv.Itoa(e.lo) + " / max " + strconv.Itoa(e.hi)
		}
		desired = b
	}
	// The scale event is the move made, recorded by Decide once the
	// guards had their say.
	return desired, reason
}

// pruneEvents drops the scale events no rate limit of t counts at now.
// Each direction's limit counts the other direction's events too, so both
// lists are kept for the longest period of either.
func (st *State) pruneEvents(t *headroom.TargetTracking, now time.Time) {
	keep := max(longestPeriod(t.ScaleUp), longestPeriod(t.ScaleDown))
	st.UpEvents = prune(st.UpEvents, now, keep)
	st.DownEvents = prune(st.DownEvents, now, keep)
}

// storeScaleEvent records a move from current to desired at now for the
// rate limits (the HPA keeps them only with behavior).
func (st *State) storeScaleEvent(now time.Time, current, desired int) {
	switch {
	case desired > current:
		st.UpEvents = append(slices.Clip(st.UpEvents), Sample{At: now, Replicas: desired - current})
	case desired < current:
		st.DownEvents = append(slices.Clip(st.DownEvents), Sample{At: now, Replicas: current - desired})
	}
}

// hpaBoundRescale says whether the decision is the HPA's bound rescale: a
// policy tracking the HPA way alone (no AWS step scaling beside it) whose
// count was outside [min, max] with no scheduled action acting.
func hpaBoundRescale(p *headroom.Policy, reason headroom.Reason) bool {
	return p.Target != nil && p.Target.Algorithm != headroom.AlgorithmAWS && len(p.Steps) == 0 &&
		(reason.Code == headroom.ReasonAboveMax || reason.Code == headroom.ReasonBelowMin)
}

// lower and higher order recommendations for the two windows.
func lower(a, b int) bool  { return a <= b }
func higher(a, b int) bool { return a >= b }

// keep returns the part w[i:j] of a sliding-window extreme that stays when
// s joins it: samples at or before cutoff leave, and so does every older
// sample that s beats, since it can never be the extreme again while s is
// in the window.
func keep(w []Sample, s Sample, cutoff time.Time, beats func(a, b int) bool) (i, j int) {
	for i < len(w) && !w[i].At.After(cutoff) {
		i++
	}
	j = len(w)
	for j > i && beats(s.Replicas, w[j-1].Replicas) {
		j--
	}
	return i, j
}

// slide adds s to one sliding-window extreme; the first sample of the
// result is the window's extreme. The result is a new slice: the caller's
// state is never written to.
func slide(w []Sample, s Sample, cutoff time.Time, beats func(a, b int) bool) []Sample {
	i, j := keep(w, s, cutoff, beats)
	out := make([]Sample, 0, j-i+1)
	return append(append(out, w[i:j]...), s)
}

// slideInPlace is slide writing into w's array, for a caller that drops
// the old state (Input.Reuse): what stays moves to the array's front, a
// few samples copied rather than a new array every sync. (slideBoth caps
// the up window at its length, so an up window never writes into the down
// window beside it.)
func slideInPlace(w []Sample, s Sample, cutoff time.Time, beats func(a, b int) bool) []Sample {
	i, j := keep(w, s, cutoff, beats)
	return append(w[:copy(w, w[i:j])], s)
}

// slideBoth adds s to the scale-up (minimum) and scale-down (maximum)
// windows at once, in one allocation: it runs on every sync.
func slideBoth(up, down []Sample, s Sample, upCut, downCut time.Time) ([]Sample, []Sample) {
	ui, uj := keep(up, s, upCut, lower)
	di, dj := keep(down, s, downCut, higher)
	nu, nd := uj-ui+1, dj-di+1
	buf := make([]Sample, nu+nd)
	copy(buf, up[ui:uj])
	buf[nu-1] = s
	copy(buf[nu:], down[di:dj])
	buf[nu+nd-1] = s
	return buf[:nu:nu], buf[nu:]
}

// appendMetric writes "cpu 66.2".
func appendMetric(b []byte, m headroom.MetricTarget, v float64) []byte {
	b = append(b, m.Name...)
	b = append(b, ' ')
	return appendNum(b, v)
}

// appendNum writes a metric value with one decimal (two under 10), by
// integer arithmetic: the simulator explains every sync, a month holds
// 170,000 of them, and strconv's shortest-float search costs more than the
// rest of the decision.
func appendNum(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e12 {
		return strconv.AppendFloat(b, v, 'g', 4, 64)
	}
	if v < 0 {
		b, v = append(b, '-'), -v
	}
	scale, digits := 10.0, 1
	if v < 10 {
		scale, digits = 100, 2
	}
	x := int64(math.Round(v * scale))
	b = strconv.AppendInt(b, x/int64(scale), 10)
	frac := x % int64(scale)
	if frac == 0 {
		return b
	}
	b = append(b, '.')
	if digits == 2 && frac < 10 {
		b = append(b, '0')
	}
	if digits == 2 && frac%10 == 0 {
		frac /= 10
	}
	return strconv.AppendInt(b, frac, 10)
}

func longestPeriod(r headroom.ScalingRules) time.Duration {
	var d time.Duration
	for _, p := range r.Policies {
		d = max(d, p.Period)
	}
	return d
}

// changedIn sums the scale events of the last period.
func changedIn(events []Sample, now time.Time, period time.Duration) int {
	cut := now.Add(-period)
	n := 0
	for _, e := range events {
		if e.At.After(cut) {
			n += e.Replicas
		}
	}
	return n
}

// scaleUpLimit is the highest count the scale-up policies allow: each
// policy measures from the count at the start of its period; Max picks the
// most permissive, Min the least, Disabled forbids scaling up. The count at
// the start of the period undoes both the scale-ups and the scale-downs of
// the period, as the controller's calculateScaleUpLimitWithScalingRules
// does (k8s.io/kubernetes pkg/controller/podautoscaler/horizontal.go;
// found by hack/hpadiff).
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-policies
func scaleUpLimit(r headroom.ScalingRules, current int, up, down []Sample, now time.Time) int {
	if r.Select == headroom.SelectDisabled || len(r.Policies) == 0 {
		return current
	}
	// The first policy sets the limit: a Percent scale-down over 100%
	// proposes a negative count, so no count can mark "unset".
	limit := 0
	for i, p := range r.Policies {
		start := current - changedIn(up, now, p.Period) + changedIn(down, now, p.Period)
		var proposed int
		if p.Kind == headroom.RatePods {
			proposed = start + p.Value
		} else {
			proposed = ceil(float64(start) * (1 + float64(p.Value)/100))
		}
		if i == 0 || (r.Select == headroom.SelectMin) == (proposed < limit) {
			limit = proposed
		}
	}
	return limit
}

// scaleDownLimit is the lowest count the scale-down policies allow. A
// Percent policy truncates, as the HPA's int32 conversion does: 10% off 72 leaves 64 (the
// documented "7.2 is rounded up to 8"), 50% off 5 leaves 2.
//
// The count at the start of the period undoes the period's scale-ups as
// well as its scale-downs (calculateScaleDownLimitWithBehaviors).
func scaleDownLimit(r headroom.ScalingRules, current int, up, down []Sample, now time.Time) int {
	if r.Select == headroom.SelectDisabled || len(r.Policies) == 0 {
		return current
	}
	// The first policy sets the limit: a Percent scale-down over 100%
	// proposes a negative count, so no count can mark "unset".
	limit := 0
	for i, p := range r.Policies {
		start := current + changedIn(down, now, p.Period) - changedIn(up, now, p.Period)
		var proposed int
		if p.Kind == headroom.RatePods {
			proposed = start - p.Value
		} else {
			proposed = int(float64(start) * (1 - float64(p.Value)/100))
		}
		if i == 0 || (r.Select == headroom.SelectMin) == (proposed > limit) {
			limit = proposed
		}
	}
	return limit
}
