package engine

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
)

// trackAWS runs AWS target tracking. Each policy owns two CloudWatch
// alarms on one-minute datapoints: a high alarm after OutDatapoints in a
// row above the target, and a low alarm after InDatapoints in a row under
// InThreshold × target. An alarm in ALARM invokes its policy every period.
//   - Scale-out: proportional, ceil(base × metric / target), where base is
//     the capacity the metric was measured on (ready instances), and,
//     during the policy's scale-out cooldown, the capacity before the
//     scale-out that started it: "the capacity that has been added by the
//     previous scale-out activity that initiated the cooldown is
//     calculated as part of the desired capacity for the next scale-out".
//   - Scale-in: only when every policy that may scale in has its low
//     alarm firing, to the highest of their proportional counts; never
//     during a policy's scale-in cooldown or while instances warm up.
//   - Missing data resets the alarms: it never scales in.
//
// https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html
func trackAWS(t *headroom.TargetTracking, st *State, e eval) (int, headroom.Reason) {
	current := e.cur.Total()
	a := t.AWS
	if len(st.Alarms) != len(t.Metrics) {
		st.Alarms = make([]AlarmState, len(t.Metrics))
	} else {
		st.Alarms = slices.Clone(st.Alarms)
	}
	base := max(e.cur.Ready, 1)
	out, in := -1, -1
	var outReason, inReason string
	voters, agree := 0, 0
	for i, m := range t.Metrics {
		p := policyAt(a, i)
		al := &st.Alarms[i]
		v, ok := value(t, i, st, e.now, e.obs, e.cur.Ready)
		if !ok {
			al.High, al.Low = 0, 0
			continue
		}
		if v > m.Target {
			al.High++
		} else {
			al.High = 0
		}
		if v < a.InThreshold*m.Target {
			al.Low++
		} else {
			al.Low = 0
		}
		b := base
		if e.now.Before(al.OutCooldownUntil) {
			b = al.OutBase
		}
		want := ceil(float64(b) * v / m.Target)
		if al.High >= a.OutDatapoints && want > out {
			out = want
			outReason = fmt.Sprintf("%s %s above target %s for %d datapoints: %d ready instances need %d (policy %q)",
				m.Name, num(v), num(m.Target), al.High, e.cur.Ready, want, p.Name)
		}
		if p.DisableScaleIn {
			continue
		}
		voters++
		if al.Low >= a.InDatapoints && e.now.After(al.InCooldownUntil.Add(-time.Nanosecond)) {
			agree++
			if want > in {
				in = want
				inReason = fmt.Sprintf("%s %s under %s%% of target %s for %d datapoints (policy %q)",
					m.Name, num(v), num(100*a.InThreshold), num(m.Target), al.Low, p.Name)
			}
		}
	}

	desired := current
	reason := headroom.Reason{Code: headroom.ReasonWithinTolerance, Message: "no alarm in ALARM: capacity held"}
	switch {
	case out > current:
		desired = out
		reason = headroom.Reason{Code: headroom.ReasonScaleUp, Message: outReason}
	case voters > 0 && agree == voters && in < current:
		warming := a.InstanceWarmup > 0 && e.now.Before(st.LastScaleOut.Add(a.InstanceWarmup))
		if warming {
			reason = headroom.Reason{Code: headroom.ReasonStabilized,
				Message: inReason + "; scale-in waits while instances warm up until " + st.LastScaleOut.Add(a.InstanceWarmup).UTC().Format("15:04:05 UTC")}
			break
		}
		desired = in
		reason = headroom.Reason{Code: headroom.ReasonScaleDown, Message: inReason + ": " + strconv.Itoa(current) + " → " + strconv.Itoa(in)}
	}
	if b := clamp(desired, e.lo, e.hi); b != desired {
		reason.Message += "; bounded to " + strconv.Itoa(b) + " by min " + strconv.Itoa(e.lo) + " / max " + strconv.Itoa(e.hi)
		desired = b
	}
	// A scale-in starts every policy's scale-in cooldown; a scale-out is
	// never held back (AWS: "if another alarm triggers a scale-out during
	// the scale-in cooldown, scales out immediately").
	switch {
	case desired < current:
		for i := range t.Metrics {
			st.Alarms[i].InCooldownUntil = e.now.Add(policyAt(a, i).ScaleInCooldown)
		}
	case desired > current:
		st.LastScaleOut = e.now
		for i := range t.Metrics {
			al := &st.Alarms[i]
			if al.High >= a.OutDatapoints && !e.now.Before(al.OutCooldownUntil) {
				al.OutCooldownUntil, al.OutBase = e.now.Add(policyAt(a, i).ScaleOutCooldown), base
			}
		}
	}
	return desired, reason
}

// policyAt returns the settings of policy i (defaults when absent).
func policyAt(a *headroom.AWSTracking, i int) headroom.AWSPolicy {
	if i < len(a.Policies) {
		return a.Policies[i]
	}
	return headroom.AWSPolicy{Name: strconv.Itoa(i)}
}

// num formats a metric value for a reason.
func num(v float64) string { return string(appendNum(nil, v)) }
