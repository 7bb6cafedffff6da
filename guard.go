package headroom

import "time"

// Guards are headroom's own safety rules. They apply after any policy's
// decision, whatever its dialect, in the live controller and in the
// simulator alike, so `check --guards` shows what they would have
// prevented. A nil rule is off.
type Guards struct {
	ScaleIn   *ScaleInGuard
	RateLimit *RateLimitGuard
	Blind     *BlindGuard
	Emergency *EmergencyGuard
}

// ScaleInGuard caps a reduction from any source (a schedule, the reactive
// policy, a lowered max) so that the capacity left serves the observed
// demand at TargetUtilization with Margin to spare. The deferred part is
// retried every decision and released when demand falls.
type ScaleInGuard struct {
	// CapacityPerInstance is the service model's requests/s per instance
	// at 100% utilization.
	CapacityPerInstance float64
	// TargetUtilization is the share of capacity demand may use, e.g. 0.6;
	// Margin the extra share kept, e.g. 0.1 for 10% more instances.
	TargetUtilization, Margin float64
}

// RateLimitGuard lets capacity shrink by at most Instances or Percent of
// the count (whichever allows more) per Period.
type RateLimitGuard struct {
	Instances int
	Percent   float64
	Period    time.Duration
}

// BlindGuard freezes scale-in while metrics are missing, NaN or older than
// StaleAfter: a blind autoscaler must not remove capacity.
type BlindGuard struct {
	StaleAfter time.Duration
}

// EmergencyGuard steps out at once, bypassing stabilization and rate
// policies, when the service is saturated: utilization (percent), error
// ratio or latency at or over their thresholds (zero thresholds are off).
// Each scale-out adds Increase (e.g. 0.5 for 50%) of the ready instances, up to
// Ceiling.
type EmergencyGuard struct {
	Utilization float64
	ErrorRatio  float64
	Latency     time.Duration
	Increase    float64
	Ceiling     int
}

// Defaults of the guards: what `check --guards` applies and what `headroom
// serve` starts a target with unless its config turns them off.
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
	// DefaultGuardEmergencyUtilization (percent) is where the emergency
	// guard acts; DefaultGuardEmergencyIncrease the share of ready
	// instances it adds.
	DefaultGuardEmergencyUtilization = 95
	DefaultGuardEmergencyIncrease    = 0.5
)

// DefaultGuards are the guards for policy p of service svc: the scale-in
// guard keeps demand at the policy's own cpu target (or 80%) with margin
// to spare, scale-in goes at most 10% or 2 instances a minute, stale
// metrics freeze it, and saturation (95% cpu, ten times the SLO's error
// ratio, or twice its latency) scales out by half of the ready instances up
// to the highest max the policy can set.
func DefaultGuards(svc *Service, p *Policy, margin float64) *Guards {
	util := DefaultGuardUtilization
	if p.Target != nil {
		for _, m := range p.Target.Metrics {
			if m.Kind == MetricCPU {
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
	return &Guards{
		ScaleIn:   &ScaleInGuard{CapacityPerInstance: svc.CapacityPerInstance, TargetUtilization: util, Margin: margin},
		RateLimit: &RateLimitGuard{Instances: DefaultGuardRateInstances, Percent: DefaultGuardRatePercent, Period: DefaultGuardRatePeriod},
		Blind:     &BlindGuard{StaleAfter: DefaultGuardStaleAfter},
		Emergency: &EmergencyGuard{Utilization: DefaultGuardEmergencyUtilization,
			ErrorRatio: min(1, 10*svc.SLO.MaxErrorRatio), Latency: 2 * svc.SLO.MaxLatency,
			Increase: DefaultGuardEmergencyIncrease, Ceiling: ceiling},
	}
}
