package engine

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

func f(v float64) *float64 { return &v }

// stepPolicies are the step adjustments of the EC2 Auto Scaling user
// guide's example: an alarm at 50% CPU; +10% of capacity from 60% to 70%,
// +30% from 70% up; and a scale-in alarm at 50% with -10% from 40% to 50%
// and -30% under 40%.
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html#as-scaling-steps
func stepPolicies() []headroom.StepScaling {
	cpu := headroom.MetricTarget{Name: "cpu", Kind: headroom.MetricCPU}
	return []headroom.StepScaling{
		{Name: "out", Metric: cpu, Threshold: 50, Comparison: "GreaterThanOrEqualToThreshold", EvaluationPeriods: 1, DatapointsToAlarm: 1,
			AdjustmentType: "PercentChangeInCapacity", Steps: []headroom.StepAdjustment{
				{Lower: f(0), Upper: f(10), Adjustment: 0}, {Lower: f(10), Upper: f(20), Adjustment: 10}, {Lower: f(20), Adjustment: 30}}},
		{Name: "in", Metric: cpu, Threshold: 50, Comparison: "LessThanOrEqualToThreshold", EvaluationPeriods: 1, DatapointsToAlarm: 1,
			AdjustmentType: "PercentChangeInCapacity", Steps: []headroom.StepAdjustment{
				{Lower: f(-10), Upper: f(0), Adjustment: -10}, {Upper: f(-10), Adjustment: -30}}},
	}
}

func TestStepScalingDocumentedSteps(t *testing.T) {
	tests := []struct {
		name    string
		cpu     float64
		current int
		want    int
	}{
		{"55%: the first step adds nothing", 55, 10, 10},
		{"65%: +10% of 10 is 1", 65, 10, 11},
		{"80%: +30% of 10 is 3", 80, 10, 13},
		{"45%: -10% of 10 is 1", 45, 10, 9},
		{"30%: -30% of 10 is 3", 30, 10, 7},
		{"exactly 40%: below the threshold a step is (lower, upper], so -30%", 40, 10, 7},
		{"exactly 60%: above it [lower, upper), so +10%", 60, 10, 11},
		{"65% of 4 instances: +0.4 rounds to +1", 65, 4, 5},
		{"80% of 9: +2.7 rounds down to +2", 80, 9, 11},
		{"45% of 4: -0.4 rounds to -1", 45, 4, 3},
		{"30% of 9: -2.7 rounds toward zero to -2", 30, 9, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &headroom.Policy{Name: "asg", Min: 1, Max: 100, Steps: stepPolicies()}
			out := Decide(Input{Now: t0, Policy: p, Current: headroom.Capacity{Ready: tc.current}, State: NewState(p, t0),
				Observation: headroom.Observation{Utilization: tc.cpu, HasUtilization: true}})
			if out.Desired != tc.want {
				t.Errorf("got %d (%s), want %d", out.Desired, out.Reason.Message, tc.want)
			}
		})
	}
}

func TestStepScalingAlarmAndCooldown(t *testing.T) {
	steps := stepPolicies()
	steps[0].EvaluationPeriods, steps[0].DatapointsToAlarm = 3, 2 // 2 of 3
	steps[0].AdjustmentType = "ChangeInCapacity"
	steps[0].Steps = []headroom.StepAdjustment{{Lower: f(0), Adjustment: 2}}
	steps[0].Cooldown = 5 * time.Minute
	steps[1].Cooldown = 5 * time.Minute
	p := &headroom.Policy{Name: "asg", Min: 1, Max: 100, Steps: steps}
	st := NewState(p, t0)
	ready := 10
	cpu := []float64{60, 40, 60, 60, 60, 60, 60, 60, 30}
	var got []int
	for m, v := range cpu {
		out := Decide(Input{Now: t0.Add(time.Duration(m) * time.Minute), Policy: p, Current: headroom.Capacity{Ready: ready}, State: st,
			Observation: headroom.Observation{Utilization: v, HasUtilization: true}})
		st, ready = out.State, out.Desired
		got = append(got, ready)
	}
	// Minute 0: 1 breach of the 2 needed. Minute 1: the scale-in alarm:
	// 40 is exactly 10 under 50, and below the threshold a step is
	// (lower, upper], so the -30% step: 10 → 7, and a cooldown. Minute 2:
	// 2 of the last 3 breach; a scale-out is never held by a scale-in's
	// cooldown: 7 + 2 = 9, and a new cooldown remembers the 7. Minutes
	// 3-6: still in ALARM, but 7 + 2 is what is there. Minute 7: the
	// cooldown is over, 9 + 2. Minute 8: a scale-in inside it is held.
	want := []int{10, 7, 9, 9, 9, 9, 9, 11, 11}
	if !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStepAdjustmentTypes(t *testing.T) {
	tests := []struct {
		name string
		sp   headroom.StepScaling
		base int
		adj  float64
		want int
	}{
		{"ExactCapacity", headroom.StepScaling{AdjustmentType: "ExactCapacity"}, 10, 25, 25},
		{"ChangeInCapacity", headroom.StepScaling{AdjustmentType: "ChangeInCapacity"}, 10, -3, 7},
		{"Percent with MinAdjustmentMagnitude: 5% of 10 is 0.5 → 1, at least 3", headroom.StepScaling{AdjustmentType: "PercentChangeInCapacity", MinAdjustmentMagnitude: 3}, 10, 5, 13},
		{"Percent scale-in with MinAdjustmentMagnitude", headroom.StepScaling{AdjustmentType: "PercentChangeInCapacity", MinAdjustmentMagnitude: 2}, 10, -5, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := adjust(&tc.sp, tc.base, tc.adj); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestStepAndTargetTrackingLargestWins(t *testing.T) {
	// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scale-based-on-demand.html#multiple-scaling-policies:
	// the policy giving the largest capacity wins. The step policy adds
	// 30% at once (10 → 13) and its 300 s cooldown counts that toward its
	// next steps; target tracking (60%) acts on its third datapoint, on
	// the 13 now running at 90%: ceil(13 × 1.5) = 20, larger, so it wins.
	p := awsPolicy(1, 100)
	p.Steps = stepPolicies()[:1]
	p.Steps[0].Cooldown = 300 * time.Second
	got := runAWS(p, 10, func(int) (float64, bool) { return 90, true }, 3)
	if want := []int{13, 13, 20}; !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Regression test: a breach that reaches a higher step while the first
// scale-out's instances warm up adds only the difference, and holds there
// until the warm-up ends (the EC2 user guide's warm-up walkthrough).
func TestStepScaleOutTopUpDuringCooldown(t *testing.T) {
	steps := stepPolicies()[:1]
	steps[0].Cooldown = 5 * time.Minute
	p := &headroom.Policy{Name: "asg", Min: 1, Max: 100, Steps: steps}
	cpu := []float64{65, 65, 80, 80, 80, 80, 80}
	st := NewState(p, t0)
	current := 10
	var got []int
	for m, v := range cpu {
		out := Decide(Input{Now: t0.Add(time.Duration(m) * time.Minute), Policy: p, Current: headroom.Capacity{Ready: current}, State: st,
			Observation: headroom.Observation{Utilization: v, HasUtilization: true}})
		st, current = out.State, out.Desired
		got = append(got, current)
	}
	// +10% of 10 = 11; the 30% step measured from the 10 before the
	// cooldown = 13; held at 13 until the cooldown of minute 0 ends at
	// minute 5, then +30% of 13 = 16.
	if want := []int{11, 11, 13, 13, 13, 16, 16}; !equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
