package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

func guards() *headroom.Guards {
	return &headroom.Guards{
		ScaleIn:   &headroom.ScaleInGuard{CapacityPerInstance: 100, TargetUtilization: 0.5, Margin: 0.1},
		RateLimit: &headroom.RateLimitGuard{Instances: 2, Percent: 10, Period: time.Minute},
		Blind:     &headroom.BlindGuard{StaleAfter: 2 * time.Minute},
		Emergency: &headroom.EmergencyGuard{Utilization: 95, ErrorRatio: 0.01, Latency: time.Second, Increase: 0.5, Ceiling: 40},
	}
}

// seen is an observation of demand (req/s) and cpu, fresh and healthy.
func seen(now time.Time, demand, cpu float64) headroom.Observation {
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: demand, HasDemand: true, Utilization: cpu, HasUtilization: true, HasHealth: true}
}

func TestScaleInGuardDefersAScheduledCut(t *testing.T) {
	// The seed: a scheduled action cuts 20 instances to 6 at 17:00 UTC
	// while 1,000 req/s need ceil(1000 × 1.1 / (100 × 0.5)) = 22... capped
	// at the 20 there are; when demand falls to 300 req/s, 7 are enough
	// and the cut goes through, 10% or 2 a minute at a time.
	cut, _ := schedule.Parse("0 17 * * *", time.UTC)
	p := &headroom.Policy{Name: "p", Min: 1, Max: 60, Schedules: []headroom.ScheduledAction{
		{Name: "night", Spec: "0 17 * * *", TimeZone: time.UTC, Schedule: cut, Max: ptr(6)}}}
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	out := Decide(Input{Now: at, Policy: p, Current: headroom.Capacity{Ready: 20}, State: NewState(p, at.Add(-time.Second)),
		Observation: seen(at, 1000, 50), Guards: guards()})
	if out.Desired != 20 || out.Reason.Code != headroom.ReasonScaleInDeferred {
		t.Fatalf("got %d (%s), want 20 deferred", out.Desired, out.Reason.Code)
	}
	for _, want := range []string{`scheduled action "night"`, "17:00 UTC", "1000 req/s needs 22 instances", "the policy wants 6"} {
		if !strings.Contains(out.Reason.Message, want) {
			t.Errorf("reason %q does not say %q", out.Reason.Message, want)
		}
	}
	// Retried every loop, released as demand falls, at the rate limit.
	st, current := out.State, 20
	var got []int
	for i := 1; i <= 8; i++ {
		now := at.Add(time.Duration(i) * GuardInterval)
		if out.Next.After(now) {
			t.Fatalf("next decision %s, want within the guard interval", out.Next)
		}
		out = Decide(Input{Now: now, Policy: p, Current: headroom.Capacity{Ready: current}, State: st, Observation: seen(now, 300, 20), Guards: guards()})
		st, current = out.State, out.Desired
		got = append(got, current)
	}
	// 2 a minute (10% of 20 is 2): 18 at 17:00:15, then held until 17:01:15, ...
	if want := []int{18, 18, 18, 18, 16, 16, 16, 16}; !equal(got, want) {
		t.Errorf("release: got %v, want %v", got, want)
	}
}

func TestBlindGuardFreezesScaleIn(t *testing.T) {
	p := hpaPolicy(1, 100)
	at := t0
	tests := []struct {
		name string
		obs  headroom.Observation
	}{
		{"no sample", headroom.Observation{}},
		{"stale by 10 minutes", headroom.Observation{Time: at.Add(-10 * time.Minute), Demand: 10, HasDemand: true, Utilization: 5, HasUtilization: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := guards()
			g.ScaleIn = nil
			// The policy itself wants fewer (a schedule-free HPA at 5% cpu);
			// a missing sample already holds it, a stale one must too.
			out := Decide(Input{Now: at, Policy: p, Current: headroom.Capacity{Ready: 10}, State: NewState(p, at), Observation: tc.obs, Guards: g})
			if out.Desired != 10 {
				t.Errorf("got %d (%s), want 10 held", out.Desired, out.Reason.Code)
			}
			if tc.obs.HasDemand && out.Reason.Code != headroom.ReasonBlind {
				t.Errorf("reason %s, want MetricsBlind (an alert state)", out.Reason.Code)
			}
		})
	}
}

func TestEmergencyScaleOut(t *testing.T) {
	p := hpaPolicy(1, 100)
	// Saturated: 98% cpu. The policy (legacy-free HPA) also wants more, but
	// waits for launching instances; the guard adds 50% of the ready ones
	// at once, up to the ceiling.
	out := Decide(Input{Now: t0, Policy: p, Current: headroom.Capacity{Ready: 10}, State: NewState(p, t0), Observation: seen(t0, 1000, 98), Guards: guards()})
	if out.Desired < 15 {
		t.Errorf("got %d (%s), want at least 15", out.Desired, out.Reason.Code)
	}
	obs := seen(t0, 1000, 60)
	obs.ErrorRatio = 0.05
	out = Decide(Input{Now: t0, Policy: p, Current: headroom.Capacity{Ready: 30}, State: NewState(p, t0).Settled(t0, 30), Observation: obs, Guards: guards()})
	if out.Desired != 40 || out.Reason.Code != headroom.ReasonEmergency {
		t.Errorf("error ratio 5%%: got %d (%s), want 40 (ceiling) by EmergencyScaleOut", out.Desired, out.Reason.Code)
	}
}
