package check

import (
	"time"

	"github.com/headroomhq/headroom"
)

// Defaults of the guards `check --guards` applies, the ones `headroom
// serve` will start with.
const (
	// DefaultGuardUtilization is the utilization the scale-in guard keeps
	// demand under when the policy has no cpu target.
	DefaultGuardUtilization = 0.8
	// DefaultGuardMargin is the extra capacity the scale-in guard keeps.
	DefaultGuardMargin = 0.1
	// DefaultGuardRatePercent and DefaultGuardRateInstances per
	// DefaultGuardRatePeriod bound how fast capacity may shrink.
	DefaultGuardRatePercent   = 10
	DefaultGuardRateInstances = 2
	DefaultGuardRatePeriod    = time.Minute
	// DefaultGuardStaleAfter is how old metrics may be before scale-in
	// freezes.
	DefaultGuardStaleAfter = 2 * time.Minute
	// DefaultGuardEmergencyUtilization (percent) and the share of ready instances added.
	DefaultGuardEmergencyUtilization = 95
	DefaultGuardEmergencyIncrease    = 0.5
)

// DefaultGuards are the guards for policy p of service svc: the scale-in
// guard keeps demand at the policy's own cpu target (or 80%) with margin
// to spare, scale-in goes at most 10% or 2 instances a minute, stale
// metrics freeze it, and saturation (95% cpu, ten times the SLO's error
// ratio, or twice its latency) steps out by half of the ready instances up
// to the highest max the policy can set.
func DefaultGuards(svc *headroom.Service, p *headroom.Policy, margin float64) *headroom.Guards {
	util := DefaultGuardUtilization
	if p.Target != nil {
		for _, m := range p.Target.Metrics {
			if m.Kind == headroom.MetricCPU {
				util = m.Target / 100
				break
			}
		}
	}
	ceiling := p.Max
	for _, a := range p.Schedules {
		if a.Max != nil {
			ceiling = max(ceiling, *a.Max)
		}
	}
	return &headroom.Guards{
		ScaleIn:   &headroom.ScaleInGuard{CapacityPerInstance: svc.CapacityPerInstance, TargetUtilization: util, Margin: margin},
		RateLimit: &headroom.RateLimitGuard{Instances: DefaultGuardRateInstances, Percent: DefaultGuardRatePercent, Period: DefaultGuardRatePeriod},
		Blind:     &headroom.BlindGuard{StaleAfter: DefaultGuardStaleAfter},
		Emergency: &headroom.EmergencyGuard{Utilization: DefaultGuardEmergencyUtilization,
			ErrorRatio: min(1, 10*svc.SLO.MaxErrorRatio), Latency: 2 * svc.SLO.MaxLatency,
			Increase: DefaultGuardEmergencyIncrease, Ceiling: ceiling},
	}
}
