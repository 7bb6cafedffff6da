package headroom

import "time"

// ReasonCode is a stable, machine-readable name for why a decision was made.
// Logs, reports and the status page show it next to the sentence.
type ReasonCode string

const (
	// ReasonInitial: the run started at this capacity.
	ReasonInitial ReasonCode = "Initial"
	// ReasonScheduled: a scheduled action set min, max or desired.
	ReasonScheduled ReasonCode = "ScheduledAction"
	// ReasonAboveMax: current capacity exceeded max and was cut at once,
	// bypassing every rate limit (as HPA, KEDA and AWS all do).
	ReasonAboveMax ReasonCode = "AboveMax"
	// ReasonBelowMin: current capacity was under min and was raised at once.
	ReasonBelowMin ReasonCode = "BelowMin"
	// ReasonScaleUp / ReasonScaleDown: target tracking moved capacity.
	ReasonScaleUp   ReasonCode = "ScaleUp"
	ReasonScaleDown ReasonCode = "ScaleDown"
	// ReasonWithinTolerance: the metric was close enough to target.
	ReasonWithinTolerance ReasonCode = "WithinTolerance"
	// ReasonStabilized: a stabilization window held capacity back.
	ReasonStabilized ReasonCode = "Stabilized"
	// ReasonScaleUpLimit / ReasonScaleDownLimit: a rate policy capped the change.
	ReasonScaleUpLimit   ReasonCode = "ScaleUpLimit"
	ReasonScaleDownLimit ReasonCode = "ScaleDownLimit"
	// ReasonMetricUnavailable: no observation; capacity held.
	ReasonMetricUnavailable ReasonCode = "MetricUnavailable"
	// ReasonNoPolicy: the policy has no reactive part; capacity held.
	ReasonNoPolicy ReasonCode = "NoReactivePolicy"
	// Guards: a reduction deferred because demand needs the capacity, a
	// reduction slowed by the rate limit, scale-in frozen while metrics
	// are missing or stale (an alert state), an emergency scale-out.
	ReasonScaleInDeferred ReasonCode = "ScaleInDeferred"
	ReasonScaleInLimited  ReasonCode = "ScaleInRateLimited"
	ReasonBlind           ReasonCode = "MetricsBlind"
	ReasonEmergency       ReasonCode = "EmergencyScaleOut"
	// ReasonGuardIdle: in guard mode, no guard needs the platform's
	// autoscaler held above its own minimum.
	ReasonGuardIdle ReasonCode = "GuardIdle"
	// Detection: capacity cut below need by a decision; capacity below
	// need with no decision to blame (demand outran the policy); the
	// error budget burning too fast; latency over the SLO.
	ReasonCapacityShort ReasonCode = "CapacityShort"
	ReasonDemandOutran  ReasonCode = "DemandOutran"
	ReasonBudgetBurn    ReasonCode = "ErrorBudgetBurn"
	ReasonLatencyHigh   ReasonCode = "LatencyHigh"
)

// Reason explains a decision: a code for machines and a sentence for people,
// like the HPA's "the desired replica count is increasing faster than the
// maximum scale rate".
type Reason struct {
	Code    ReasonCode `json:"code"`
	Message string     `json:"message"`
}

// Decision is what the engine returns: the capacity it wants and why.
type Decision struct {
	Time    time.Time `json:"time"`
	Current int       `json:"current"`
	Desired int       `json:"desired"`
	Min     int       `json:"min"`
	Max     int       `json:"max"`
	Reason  Reason    `json:"reason"`
}

// Changed reports whether the decision changes capacity.
func (d Decision) Changed() bool { return d.Desired != d.Current }
