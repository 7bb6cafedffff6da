package check_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/schedule"
	"github.com/headroomhq/headroom/sim"
)

// TestRandomPolicies runs many random services, policies and traffic
// through check, as users' own cases would, and asserts what must hold
// whatever the input: no panic, capacity within the policy's widest bounds,
// totals that add up, a verdict that matches the violations.
func TestRandomPolicies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 150; i++ {
		svc, p, tr, widestMin, widestMax := randomCase(t, rng)
		var minSeen, maxSeen = math.MaxInt, 0
		rep, err := check.Run(check.Options{Service: svc, Proposed: p, Traffic: []*headroom.Series{tr}, ChartPoints: 200})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		pr := rep.Policies[0]
		for _, d := range pr.Decisions {
			minSeen, maxSeen = min(minSeen, d.Desired), max(maxSeen, d.Desired)
		}
		if minSeen < min(widestMin, p.Min) || maxSeen > max(widestMax, p.Max) {
			t.Errorf("case %d: decisions ranged %d..%d outside every bound the policy can set (%d..%d)", i, minSeen, maxSeen, widestMin, widestMax)
		}
		tot := pr.Totals
		if math.Abs(tot.Requests-tr.Total()) > 1e-6*tr.Total()+1e-6 || tot.FailedRequests < 0 || tot.FailedRequests > tot.Requests*(1+1e-9)+1e-6 {
			t.Errorf("case %d: totals %+v against %v requests", i, tot, tr.Total())
		}
		if (pr.ViolationCount > 0) != (rep.Verdict == check.Fail) || math.IsNaN(tot.ErrorRatio) || math.IsNaN(tot.InstanceHours) {
			t.Errorf("case %d: verdict %s with %d violations, totals %+v", i, rep.Verdict, pr.ViolationCount, tot)
		}
	}
}

// TestFailingTrafficNeverPasses is the property behind the verdict: when
// the failed requests of a run exceed what the SLO allows over all of it,
// some window misses the SLO, so the verdict is never "pass" — whatever the
// service, the policy, and wherever the traffic lies in time (before 1970,
// across the epoch, far ahead). The failed requests are summed by a sink of
// the test's own, not taken from the report.
//
// Regression test for traffic dated before 1970 never being judged: the
// evaluator took start = math.MinInt64 as "no window yet", and a negative
// second fell inside that window, which was never closed.
func TestFailingTrafficNeverPasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	failing := 0
	for i := 0; i < 200; i++ {
		svc, p, tr, _, _ := randomCase(t, rng)
		// Anywhere from 1900 to 2190, a third of the cases before 1970.
		tr.Start = time.Unix(-2208988800+rng.Int64N(9400000000), 0).UTC().Truncate(time.Second)
		if rng.IntN(4) == 0 {
			tr.Start = time.Unix(-rng.Int64N(7200), 0).UTC() // across the epoch
		}
		// Starve the service now and then, so that many runs fail.
		if rng.IntN(2) == 0 {
			p.Max = p.Min
			p.Schedules, p.Target = nil, nil
		}
		var requests, failed float64
		count := sim.SinkFunc(func(s *headroom.Second) { requests += s.Demand; failed += s.Failed })
		rep, err := check.Run(check.Options{Service: svc, Proposed: p, Traffic: []*headroom.Series{tr}, ChartPoints: 50,
			Sinks: func(string, *headroom.Series) []sim.Sink { return []sim.Sink{count} }})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if failed <= svc.SLO.MaxErrorRatio*requests*(1+1e-9)+1e-6 {
			continue
		}
		failing++
		if rep.Verdict == check.Pass {
			t.Errorf("case %d: traffic from %s: %.0f of %.0f requests failed (%.3f%%, the SLO allows %.3f%%), verdict pass",
				i, tr.Start.Format(time.RFC3339), failed, requests, 100*failed/requests, 100*svc.SLO.MaxErrorRatio)
		}
	}
	if failing < 40 {
		t.Errorf("only %d of 200 cases failed requests beyond the SLO: the property is barely tested", failing)
	}
}

// randomCase returns a random service, policy and traffic, and the widest
// bounds the policy's schedules can set.
func randomCase(t *testing.T, rng *rand.Rand) (svc *headroom.Service, p *headroom.Policy, tr *headroom.Series, widestMin, widestMax int) {
	t.Helper()
	zones := []string{"UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"}
	{
		svc = &headroom.Service{Name: "s", CapacityPerInstance: 1 + rng.Float64()*500,
			StartupDelay: time.Duration(rng.IntN(600)) * time.Second, BaseLatency: time.Duration(5+rng.IntN(300)) * time.Millisecond,
			RequestTimeout: time.Duration(1+rng.IntN(60)) * time.Second}
		svc.SLO = headroom.SLO{MaxErrorRatio: rng.Float64() * 0.05, MaxLatency: svc.BaseLatency + time.Duration(1+rng.IntN(1000))*time.Millisecond, Window: time.Duration(1+rng.IntN(300)) * time.Second}
		lo := 1 + rng.IntN(20)
		p = &headroom.Policy{Name: "p", Min: lo, Max: lo + rng.IntN(200)}
		widestMin, widestMax = p.Min, p.Max
		for j := rng.IntN(4); j > 0; j-- {
			loc, _ := time.LoadLocation(zones[rng.IntN(len(zones))])
			c, err := schedule.Parse([]string{"0 * * * *", "*/7 * * * *", "30 2 * * *", "0 9 * * 1-5", "15 1 * * 0"}[rng.IntN(5)], loc)
			if err != nil {
				t.Fatal(err)
			}
			a := headroom.ScheduledAction{Name: "a", Spec: "x", TimeZone: loc, Schedule: c, Delay: time.Duration(rng.IntN(3)) * time.Minute}
			if rng.IntN(2) == 0 {
				v := 1 + rng.IntN(50)
				a.Min = &v
				widestMin, widestMax = min(widestMin, v), max(widestMax, v)
			}
			if rng.IntN(2) == 0 {
				v := 1 + rng.IntN(300)
				a.Max = &v
				widestMax = max(widestMax, v)
				widestMin = min(widestMin, v)
			}
			if rng.IntN(2) == 0 {
				v := 1 + rng.IntN(300)
				a.Desired = &v
			}
			if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
				*a.Min, *a.Max = *a.Max, *a.Min
			}
			if a.Min == nil && a.Max == nil && a.Desired == nil {
				v := 1 + rng.IntN(50)
				a.Desired = &v
			}
			p.Schedules = append(p.Schedules, a)
		}
		if rng.IntN(4) > 0 {
			tt := &headroom.TargetTracking{ScaleUpTolerance: rng.Float64() * 0.3, ScaleDownTolerance: rng.Float64() * 0.3,
				SyncPeriod: time.Duration(1+rng.IntN(60)) * time.Second, Window: time.Duration(1+rng.IntN(120)) * time.Second,
				Delay: time.Duration(rng.IntN(120)) * time.Second, ScaleUp: policy.DefaultScaleUp(), ScaleDown: policy.DefaultScaleDown(),
				Legacy: rng.IntN(3) == 0}
			switch rng.IntN(3) {
			case 0:
				tt.Metrics = []headroom.MetricTarget{{Name: "cpu", Kind: headroom.MetricCPU, Target: 10 + rng.Float64()*90}}
			case 1:
				tt.Metrics = []headroom.MetricTarget{{Name: "rps", Kind: headroom.MetricRPS, Target: 1 + rng.Float64()*300}}
			default:
				tt.Metrics = []headroom.MetricTarget{{Name: "cpu", Kind: headroom.MetricCPU, Target: 50},
					{Name: "q", Kind: headroom.MetricRPS, Target: 100 + rng.Float64()*1000, External: true}}
			}
			if rng.IntN(3) == 0 {
				tt.Algorithm = headroom.AlgorithmAWS
				tt.AWS = &headroom.AWSTracking{Period: time.Minute, OutDatapoints: 3, InDatapoints: 15, InThreshold: 0.9,
					InstanceWarmup: time.Duration(rng.IntN(600)) * time.Second}
				for range tt.Metrics {
					tt.AWS.Policies = append(tt.AWS.Policies, headroom.AWSPolicy{Name: "x", ScaleInCooldown: 300 * time.Second, DisableScaleIn: rng.IntN(4) == 0})
				}
			}
			p.Target = tt
		}
		// Traffic: a few hours with a random step, shape and spikes, zeros included.
		step := []time.Duration{time.Second, 15 * time.Second, time.Minute}[rng.IntN(3)]
		n := int((time.Duration(1+rng.IntN(6)) * time.Hour) / step)
		tr = &headroom.Series{Name: "t", Start: time.Date(2021, 3, 28, rng.IntN(24), 0, 0, 0, time.UTC), Step: step, Counts: make([]float64, n)}
		peak := rng.Float64() * 20000
		for k := range tr.Counts {
			v := peak * (0.5 + 0.5*math.Sin(float64(k)/float64(n)*6)) * step.Seconds()
			if rng.IntN(50) == 0 {
				v *= 5
			}
			if rng.IntN(30) == 0 {
				v = 0
			}
			tr.Counts[k] = math.Round(v)
		}
	}
	return svc, p, tr, widestMin, widestMax
}
