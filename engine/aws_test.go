package engine

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// awsPolicy is an ECS-like service with one CPU target tracking policy at
// 60% and the alarms AWS creates for it.
func awsPolicy(min, max int, policies ...headroom.AWSPolicy) *headroom.Policy {
	if len(policies) == 0 {
		policies = []headroom.AWSPolicy{{Name: "cpu60", ScaleOutCooldown: 300 * time.Second, ScaleInCooldown: 300 * time.Second}}
	}
	p := &headroom.Policy{Name: "ecs", Min: min, Max: max, Target: &headroom.TargetTracking{
		Algorithm:  headroom.AlgorithmAWS,
		SyncPeriod: time.Minute, Window: time.Minute, Delay: time.Minute,
		AWS: &headroom.AWSTracking{Policies: policies, Period: time.Minute, OutDatapoints: 3, InDatapoints: 15, InThreshold: 0.9},
	}}
	for range policies {
		p.Target.Metrics = append(p.Target.Metrics, headroom.MetricTarget{Name: "cpu", Kind: headroom.MetricCPU, Target: 60})
	}
	return p
}

// runAWS decides once a minute with the metric given per minute, keeping
// capacity ready (no launch delay), and returns the count after each.
func runAWS(p *headroom.Policy, ready int, cpu func(minute int) (float64, bool), minutes int) []int {
	st := NewState(p, t0)
	var got []int
	for m := 0; m < minutes; m++ {
		v, ok := cpu(m)
		out := Decide(Input{Now: t0.Add(time.Duration(m) * time.Minute), Policy: p, Current: headroom.Capacity{Ready: ready}, State: st,
			Observation: headroom.Observation{Utilization: v, HasUtilization: ok}})
		st, ready = out.State, out.Desired
		got = append(got, ready)
	}
	return got
}

func TestAWSScaleOutAfterThreeDatapoints(t *testing.T) {
	// 90% against a 60% target on 10 tasks: the high alarm fires on the
	// third datapoint, and the scale-out is proportional: ceil(10 × 90/60).
	// The metric stays at 90% (the test's tasks are ready at once): during
	// the 300 s scale-out cooldown the added 5 count toward the next
	// scale-out, so nothing more until minute 7, then ceil(15 × 1.5) = 23.
	got := runAWS(awsPolicy(1, 100), 10, func(int) (float64, bool) { return 90, true }, 9)
	if want := []int{10, 10, 15, 15, 15, 15, 15, 23, 23}; !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestAWSScaleInAfterFifteenDatapointsAndCooldown(t *testing.T) {
	// 30% against 60% (under the 54% scale-in threshold): nothing for 14
	// minutes, then to ceil(20 × 30/60) = 10 on the 15th datapoint; the
	// next scale-in (to 5) waits for the 300 s scale-in cooldown.
	got := runAWS(awsPolicy(1, 100), 20, func(int) (float64, bool) { return 30, true }, 22)
	want := []int{20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 10, 10, 10, 10, 10, 5, 5, 5}
	if !equal(got, want) {
		t.Errorf("got %v,\nwant %v", got, want)
	}
	// Just under the target but above 90% of it: no scale-in ever.
	if got := runAWS(awsPolicy(1, 100), 20, func(int) (float64, bool) { return 55, true }, 30); got[29] != 20 {
		t.Errorf("at 55%% of a 60%% target: got %d, want 20 held", got[29])
	}
}

func TestAWSMissingDataNeverScalesIn(t *testing.T) {
	got := runAWS(awsPolicy(1, 100), 20, func(m int) (float64, bool) { return 30, m%10 != 9 }, 30)
	if got[29] != 20 {
		t.Errorf("low datapoints with a gap every 10 minutes: got %v, want 20 held", got)
	}
}

func TestAWSScaleInNeedsEveryPolicy(t *testing.T) {
	// Two policies on the same metric value, the second with scale-in
	// disabled: it does not vote, the first scales in alone.
	p := awsPolicy(1, 100, headroom.AWSPolicy{Name: "a", ScaleInCooldown: 300 * time.Second}, headroom.AWSPolicy{Name: "b", DisableScaleIn: true})
	if got := runAWS(p, 20, func(int) (float64, bool) { return 30, true }, 16); got[15] != 10 {
		t.Errorf("with the other policy's scale-in disabled: got %v, want 10", got)
	}
	// Both may scale in but the second's target is lower: its metric is
	// not low for it, so nothing moves.
	p = awsPolicy(1, 100, headroom.AWSPolicy{Name: "a"}, headroom.AWSPolicy{Name: "b"})
	p.Target.Metrics[1].Target = 30
	if got := runAWS(p, 20, func(int) (float64, bool) { return 30, true }, 20); got[19] != 20 {
		t.Errorf("one policy not low: got %v, want 20 held", got)
	}
	// Only disabled policies: never.
	p = awsPolicy(1, 100, headroom.AWSPolicy{Name: "a", DisableScaleIn: true})
	if got := runAWS(p, 20, func(int) (float64, bool) { return 10, true }, 30); got[29] != 20 {
		t.Errorf("DisableScaleIn: got %d, want 20", got[29])
	}
}

func TestAWSInstanceWarmupBlocksScaleIn(t *testing.T) {
	p := awsPolicy(1, 100)
	p.Target.AWS.InstanceWarmup = 30 * time.Minute
	// High for 3 minutes (scale out to 15), then low: 15 datapoints later
	// the low alarm fires, but the warmup (30 min from the scale-out at
	// minute 2) holds until minute 32.
	got := runAWS(p, 10, func(m int) (float64, bool) {
		if m < 3 {
			return 90, true
		}
		return 20, true
	}, 34)
	if got[2] != 15 || got[30] != 15 || got[32] >= 15 {
		t.Errorf("got %v: want 15 from minute 2, held by warmup through minute 31, then a scale-in", got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
