package engine

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/headroomhq/headroom"
)

// stepScale evaluates AWS step scaling policies on this minute's datapoint.
// A policy acts when its alarm is in ALARM (DatapointsToAlarm of the last
// EvaluationPeriods datapoints breach); the step holding metric −
// threshold gives the adjustment. Of the policies that act, the largest
// capacity wins. During a policy's cooldown a scale-in is held and a
// scale-out is measured from the capacity before the cooldown began, so
// capacity already added counts toward it.
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
func stepScale(steps []headroom.StepScaling, st *State, e eval) (int, headroom.Reason, bool) {
	current := e.cur.Total()
	if len(st.StepAlarms) != len(steps) {
		st.StepAlarms = make([]StepAlarm, len(steps))
	} else {
		st.StepAlarms = slices.Clone(st.StepAlarms)
	}
	best, acted := 0, false
	var reason headroom.Reason
	for i := range steps {
		sp := &steps[i]
		al := &st.StepAlarms[i]
		v, ok := stepValue(sp.Metric, e.obs, e.cur.Ready)
		breach := ok && breaches(sp.Comparison, v, sp.Threshold)
		al.Breaches <<= 1
		if breach {
			al.Breaches |= 1
		}
		window := uint64(1)<<min(max(sp.EvaluationPeriods, 1), 63) - 1
		if bits.OnesCount64(al.Breaches&window) < max(sp.DatapointsToAlarm, 1) {
			continue
		}
		step, found := findStep(sp.Steps, v-sp.Threshold)
		if !found {
			continue
		}
		inCooldown := e.now.Before(al.CooldownUntil)
		base := current
		if inCooldown && al.CooldownBase > 0 {
			base = al.CooldownBase
		}
		want := adjust(sp, base, step.Adjustment)
		switch {
		case want < current && inCooldown:
			continue // scale-in waits for the cooldown
		case want == current:
			continue // nothing to do, or already added during the cooldown
		}
		want = clamp(want, e.lo, e.hi)
		if !acted || want > best {
			best, acted = want, true
			reason = headroom.Reason{Code: headroom.ReasonScaleUp,
				Message: fmt.Sprintf("step scaling %q: %s %s %s threshold %s, step adjustment %s (%s): %d → %d",
					sp.Name, sp.Metric.Name, num(v), comparisonWord(sp.Comparison), num(sp.Threshold), num(step.Adjustment), sp.AdjustmentType, current, want)}
			if want < current {
				reason.Code = headroom.ReasonScaleDown
			}
		}
	}
	if !acted || best == current {
		return current, reason, false
	}
	// Every scaling activity starts the cooldown anew, except a further
	// scale-out inside a scale-out's cooldown: that one only tops up the
	// capacity the first added (AWS adds the difference while instances
	// warm up), so the cooldown and its base stay.
	for i := range steps {
		if steps[i].Cooldown == 0 {
			continue
		}
		al := &st.StepAlarms[i]
		topUp := best > current && al.CooldownBase > 0 && e.now.Before(al.CooldownUntil)
		if topUp {
			continue
		}
		al.CooldownUntil, al.CooldownBase = e.now.Add(steps[i].Cooldown), 0
		if best > current {
			al.CooldownBase = current
		}
	}
	return best, reason, true
}

// stepValue is the value an alarm sees: as target tracking's value(), for
// the metric kinds an alarm can watch.
func stepValue(m headroom.MetricTarget, obs headroom.Observation, ready int) (float64, bool) {
	switch {
	case m.Kind == headroom.MetricCPU:
		return obs.Utilization, obs.HasUtilization
	case m.Total || m.External:
		return obs.Demand, obs.HasDemand
	default:
		return obs.Demand / float64(max(ready, 1)), obs.HasDemand
	}
}

func breaches(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

func comparisonWord(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return "≥"
	case "GreaterThanThreshold":
		return ">"
	case "LessThanThreshold":
		return "<"
	case "LessThanOrEqualToThreshold":
		return "≤"
	}
	return op
}

// findStep returns the step that holds d = metric − threshold (a nil
// bound is infinite). Above the threshold a step is [Lower, Upper), below
// it (Lower, Upper]; exactly on the threshold, the step that has 0 as a
// bound on its side.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StepAdjustment.html
func findStep(steps []headroom.StepAdjustment, d float64) (headroom.StepAdjustment, bool) {
	lower := func(s headroom.StepAdjustment, inclusive bool) bool {
		return s.Lower == nil || d > *s.Lower || (inclusive && d == *s.Lower)
	}
	upper := func(s headroom.StepAdjustment, inclusive bool) bool {
		return s.Upper == nil || d < *s.Upper || (inclusive && d == *s.Upper)
	}
	for _, s := range steps {
		var in bool
		switch {
		case d > 0:
			in = lower(s, true) && upper(s, false)
		case d < 0:
			in = lower(s, false) && upper(s, true)
		default:
			in = lower(s, true) && upper(s, true)
		}
		if in {
			return s, true
		}
	}
	return headroom.StepAdjustment{}, false
}

// adjust applies an adjustment to base. A percent change is rounded as AWS
// documents: between 0 and 1 it is 1, above 1 it rounds down, between -1
// and 0 it is -1, below -1 it rounds up (toward zero); then it is at least
// MinAdjustmentMagnitude in size.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html#as-scaling-adjustment
func adjust(sp *headroom.StepScaling, base int, adj float64) int {
	switch sp.AdjustmentType {
	case "ExactCapacity":
		return int(adj)
	case "PercentChangeInCapacity":
		d := float64(base) * adj / 100
		var n int
		switch {
		case d > 0 && d < 1:
			n = 1
		case d >= 1:
			n = int(math.Floor(d))
		case d < 0 && d > -1:
			n = -1
		case d <= -1:
			n = int(math.Ceil(d))
		}
		if m := sp.MinAdjustmentMagnitude; m > 0 && n != 0 && abs(n) < m {
			n = m * sign(n)
		}
		return base + n
	default: // ChangeInCapacity
		return base + int(adj)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func sign(n int) int {
	if n < 0 {
		return -1
	}
	return 1
}
