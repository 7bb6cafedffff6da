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
