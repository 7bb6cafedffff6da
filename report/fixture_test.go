package report

import (
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
)

// utc returns 2021-06-30 at hh:mm UTC, or the next day for hh >= 24.
func utc(hh, mm int) time.Time {
	return time.Date(2021, 6, 30, hh, mm, 0, 0, time.UTC)
}

const (
	proposedName = "aggressive-night-scale-in"
	trafficName  = "bitbucket-2021-06-30.csv"
	causeMessage = `scheduled action "night-scale-in" set min 4, max 20 and desired 4`
)

// fixture builds the report of the Bitbucket incident replayed: a proposed
// policy whose scheduled scale-in at 16:58 UTC (02:58 in Sydney) leaves the
// service four instances short of the 17:00 peak, and a baseline that
// keeps the SLO. The proposed policy has two violations and a chart of 480
// three-minute buckets.
func fixture() *check.Report {
	scheduled := headroom.Decision{
		Time: utc(16, 58), Current: 12, Desired: 4, Min: 4, Max: 20,
		Reason: headroom.Reason{Code: headroom.ReasonScheduled, Message: causeMessage},
	}
	scaleDown := headroom.Decision{
		Time: utc(17, 24), Current: 11, Desired: 9, Min: 4, Max: 20,
		Reason: headroom.Reason{Code: headroom.ReasonScaleDown, Message: "cpu utilization (42%) is below target (70%)"},
	}
	decisions := []headroom.Decision{
		{Time: utc(0, 0), Current: 10, Desired: 10, Min: 6, Max: 20,
			Reason: headroom.Reason{Code: headroom.ReasonInitial, Message: "the run started at 10 instances"}},
		{Time: utc(9, 30), Current: 10, Desired: 12, Min: 6, Max: 20,
			Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "cpu utilization (81%) is above target (70%)"}},
		scheduled,
		{Time: utc(17, 1), Current: 4, Desired: 8, Min: 4, Max: 20,
			Reason: headroom.Reason{Code: headroom.ReasonScaleUpLimit, Message: "the desired replica count is increasing faster than the maximum scale rate"}},
		{Time: utc(17, 5), Current: 8, Desired: 11, Min: 4, Max: 20,
			Reason: headroom.Reason{Code: headroom.ReasonScaleUp, Message: "cpu utilization (100%) is above target (70%)"}},
		scaleDown,
	}
	v1 := check.Violation{
		Traffic: trafficName, Start: utc(17, 0), End: utc(17, 10),
		StartLocal: "2021-07-01T03:00:00+10:00", EndLocal: "2021-07-01T03:10:00+10:00",
		DurationSeconds: 600, WorstErrorRatio: 0.3521, WorstLatencyMs: 2480,
		ReadyInstances: 4, NeededInstances: 11, PeakDemand: 1040, FailedRequests: 128734.4,
		Cause: &scheduled,
	}
	v2 := check.Violation{
		Traffic: trafficName, Start: utc(17, 31), End: utc(17, 34),
		StartLocal: "2021-07-01T03:31:00+10:00", EndLocal: "2021-07-01T03:34:00+10:00",
		DurationSeconds: 180, WorstErrorRatio: 0.0042, WorstLatencyMs: 640,
		ReadyInstances: 9, NeededInstances: 10, PeakDemand: 985, FailedRequests: 512,
		Cause: &scaleDown,
	}
	proposed := &check.PolicyResult{
		Role: check.RoleProposed, Name: proposedName, File: "policies/proposed.yaml",
		Zone: "Australia/Sydney", Verdict: check.Fail,
		Violations: []check.Violation{v1, v2}, ViolationCount: 2,
		Totals: check.Totals{
			Requests: 51840000, FailedRequests: 129246.4, ErrorRatio: 0.002493,
			InstanceHours: 176.4, ViolationSeconds: 780, WorstLatencyMs: 2480,
			PeakInstances: 12, MinInstances: 4,
		},
		Decisions: decisions, DecisionCount: len(decisions),
		Detections: []check.Detection{
			{Traffic: trafficName, Alert: headroom.Alert{Target: "bitbucket-web", Signal: headroom.SignalCause, Rule: "capacity", Severity: headroom.SeverityPage,
				StartsAt: utc(16, 58), EndsAt: utc(17, 8), Reason: headroom.Reason{Code: headroom.ReasonCapacityShort,
					Message: "capacity below need: 4 ready of 11 needed for 1040 req/s — cut by 16:58:00 UTC ScheduledAction 12 -> 4"}}},
			{Traffic: trafficName, Alert: headroom.Alert{Target: "bitbucket-web", Signal: headroom.SignalSymptom, Rule: "burn-1h-5m", Severity: headroom.SeverityPage,
				StartsAt: utc(17, 1), Reason: headroom.Reason{Code: headroom.ReasonBudgetBurn,
					Message: "error budget burning 352x the SLO's rate: 35.2% of requests failed over the last 5m & <1h>"}}},
		},
		DetectionCount: 2,
	}
	proposed.Charts = []*check.Chart{dayChart(proposed.Violations, true)}
	zoom := dayChart(proposed.Violations[:1], true)
	proposed.Zooms = []*check.Chart{zoom, nil}

	baseline := &check.PolicyResult{
		Role: check.RoleBaseline, Name: "current", File: "policies/current.yaml",
		Zone: "UTC", Verdict: check.Pass, Violations: []check.Violation{},
		Totals: check.Totals{
			Requests: 51840000, InstanceHours: 207.9, WorstLatencyMs: 212,
			PeakInstances: 12, MinInstances: 6,
		},
		Decisions: decisions[:2], DecisionCount: 2,
	}
	baseline.Charts = []*check.Chart{dayChart(nil, false)}

	return &check.Report{
		Verdict: check.Fail,
		Reasons: []string{`proposed policy "aggressive-night-scale-in" missed the SLO for 13m (129,246 failed requests) where the baseline kept it`},
		Service: check.Service{
			Name: "bitbucket-web", CapacityPerInstance: 100, StartupDelay: "2m0s", BaseLatency: "50ms",
			SLO: check.SLO{MaxErrorRatio: 0.001, MaxLatencyMs: 500, WindowSeconds: 60},
		},
		Traffic: []check.Traffic{{
			Name: trafficName, Start: utc(0, 0), End: utc(24, 0), Step: "1m0s",
			Requests: 51840000, PeakRate: 1040,
		}},
		Policies: []*check.PolicyResult{proposed, baseline},
		Compare: &check.Comparison{
			FailedRequestsDelta: 129246.4, ViolationSecondsDelta: 780,
			InstanceHoursDelta: -31.5, InstanceHoursChange: -0.1515,
		},
		Warnings: []string{trafficName + ": 3 missing intervals were read as zero requests"},
		Options:  map[string]string{"window": "60s", "baseline": "policies/current.yaml"},
	}
}

// dayChart builds a day of three-minute buckets: diurnal demand peaking at
// 17:00 UTC, and, when scaledIn, capacity cut to 4 instances at 16:58 and
// recovering by 17:10.
func dayChart(violations []check.Violation, scaledIn bool) *check.Chart {
	const n = 480
	c := &check.Chart{
		Traffic: trafficName, Start: utc(0, 0), Bucket: 3 * time.Minute,
		Violations: violations,
	}
	for i := range n {
		t := utc(0, 0).Add(time.Duration(i) * c.Bucket)
		hour := float64(t.Hour()) + float64(t.Minute())/60
		demand := 600 + 440*math.Cos((hour-17)/24*2*math.Pi)
		ready := 12
		if hour < 9.5 {
			ready = 10
		}
		if scaledIn {
			switch {
			case hour >= 16.97 && hour < 17.05:
				ready = 4
			case hour >= 17.05 && hour < 17.15:
				ready = 8
			case hour >= 17.15 && hour < 17.4:
				ready = 11
			case hour >= 17.4:
				ready = 9
			}
		}
		capacity := float64(ready) * 100
		required := math.Ceil(demand/80) * 100
		errRatio, latency := 0.0, 50+120*demand/capacity
		if demand > capacity {
			errRatio = 1 - capacity/demand
			latency = 2480
		}
		c.Demand = append(c.Demand, demand)
		c.Capacity = append(c.Capacity, capacity)
		c.Required = append(c.Required, required)
		c.Ready = append(c.Ready, ready)
		c.Desired = append(c.Desired, ready)
		c.ErrorRatio = append(c.ErrorRatio, errRatio)
		c.LatencyMs = append(c.LatencyMs, latency)
	}
	return c
}
