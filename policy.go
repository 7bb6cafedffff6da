package headroom

import "time"

// Policy is an autoscaling policy in headroom's own terms. Native dialects
// (HPA, KEDA, AWS) translate into it, and the engine decides from it alone.
type Policy struct {
	// Name and File say where the policy came from, for reports.
	Name string
	File string
	// Min and Max bound the instance count until a scheduled action
	// changes them.
	Min, Max int
	// Initial is the instance count a simulation starts with; 0 derives it
	// from the first demand and the target.
	Initial int
	// TimeZone is the zone people read this policy in; reports print
	// times in it beside UTC. Defaults to the zone of the first schedule.
	TimeZone *time.Location
	// Schedules are scheduled actions, in file order.
	Schedules []ScheduledAction
	// Target is the reactive part; nil means capacity only moves by
	// schedule (and step scaling, if any).
	Target *TargetTracking
	// Steps are AWS step scaling policies, evaluated beside target
	// tracking on one-minute datapoints.
	Steps []StepScaling
}

// StepScaling is an AWS step scaling policy with the CloudWatch alarm that
// invokes it. When the alarm is in ALARM, the step whose interval holds
// metric − threshold gives the adjustment.
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html
type StepScaling struct {
	Name string
	// Metric is what the alarm watches (its Target is unused).
	Metric MetricTarget
	// Threshold and Comparison are the alarm's: "GreaterThanOrEqualToThreshold",
	// "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold".
	Threshold  float64
	Comparison string
	// The alarm fires when DatapointsToAlarm of the last
	// EvaluationPeriods one-minute datapoints breach.
	EvaluationPeriods, DatapointsToAlarm int
	// AdjustmentType is "ChangeInCapacity", "PercentChangeInCapacity" or
	// "ExactCapacity".
	AdjustmentType         string
	Steps                  []StepAdjustment
	MinAdjustmentMagnitude int
	// Cooldown (Application Auto Scaling) holds further scale-ins, and
	// counts capacity already added toward further scale-outs.
	Cooldown time.Duration
}

// StepAdjustment applies Adjustment when metric − threshold is in
// [Lower, Upper); a nil bound is infinite.
type StepAdjustment struct {
	Lower, Upper *float64
	Adjustment   float64
}

// Schedule yields the activation times of a recurring scheduled action.
type Schedule interface {
	// Next returns the first activation strictly after t, or the zero
	// time when there is none.
	Next(t time.Time) time.Time
}

// ScheduledAction sets bounds and/or capacity at recurring times, with AWS
// semantics: Min and Max persist until another action changes them, Desired
// is applied once. Lowering Max below the current count scales in at once,
// bypassing every rate limit, as on every real platform.
// https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html
type ScheduledAction struct {
	Name string
	// Spec is the schedule as written (a 5-field cron expression).
	Spec     string
	TimeZone *time.Location
	Schedule Schedule
	// Min, Max and Desired are nil when the action leaves them alone.
	Min, Max, Desired *int
	// Delay is how late the platform applies the action after its
	// activation (EC2 Auto Scaling: up to two minutes; a check takes the
	// worst case).
	Delay time.Duration
}

// TargetTracking keeps metrics near their targets with the Kubernetes HPA
// algorithm: each metric recommends a count and the highest wins.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
type TargetTracking struct {
	// Metrics holds at least one target.
	Metrics []MetricTarget
	// ScaleUpTolerance and ScaleDownTolerance are the relative deviations
	// from target ignored in each direction (HPA default 0.1 both).
	ScaleUpTolerance, ScaleDownTolerance float64
	// SyncPeriod is how often the policy is evaluated (HPA default 15s).
	SyncPeriod time.Duration
	// Window is how long the metric is averaged over, and Delay how late it
	// arrives: the autoscaler never sees the present.
	Window, Delay time.Duration
	// Legacy selects the HPA's path for an autoscaler without a behavior
	// section: a scale-down stabilization window (ScaleDown's) and a
	// scale-up limit of max(2 × current, 4) per sync, no rate policies.
	// https://github.com/kubernetes/enhancements/tree/master/keps/sig-autoscaling/853-configurable-hpa-scale-velocity
	Legacy    bool
	ScaleUp   ScalingRules
	ScaleDown ScalingRules
	// Algorithm selects how the metrics move capacity: the Kubernetes HPA
	// (the default) or AWS's alarm-driven target tracking.
	Algorithm Algorithm
	// AWS holds the settings of AlgorithmAWS.
	AWS *AWSTracking
	// Fallback, when set, is KEDA's answer to a metric that keeps failing:
	// after FailureThreshold consecutive syncs without a sample, the metric
	// recommends Replicas.
	// https://keda.sh/docs/latest/reference/scaledobject/#fallback
	Fallback *Fallback
}

// Algorithm is a reactive scaling algorithm.
type Algorithm string

const (
	// AlgorithmHPA is the Kubernetes HPA: every sync, ceil(ready ×
	// metric / target), stabilization windows and rate policies.
	AlgorithmHPA Algorithm = ""
	// AlgorithmAWS is AWS target tracking (Application Auto Scaling and
	// EC2 Auto Scaling): CloudWatch alarms on one-minute datapoints, a
	// proportional scale-out when the high alarm fires, a scale-in only
	// when every policy's low alarm fires, cooldowns between activities.
	// https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
	AlgorithmAWS Algorithm = "aws"
)

// AWSTracking is how AWS evaluates target tracking. Each of the policy's
// Metrics is one target tracking scaling policy; per-policy settings are
// in the same order in Policies.
type AWSTracking struct {
	Policies []AWSPolicy
	// Period is the CloudWatch datapoint length (60 s). The high alarm
	// fires after OutDatapoints consecutive datapoints above the target,
	// the low alarm after InDatapoints consecutive datapoints under
	// InThreshold × target.
	Period        time.Duration
	OutDatapoints int
	InDatapoints  int
	InThreshold   float64
	// InstanceWarmup (EC2 Auto Scaling) keeps new instances out of the
	// aggregated metric and blocks scale-in by the policy while any
	// instance warms up. Zero means instances count once ready.
	InstanceWarmup time.Duration
}

// AWSPolicy is one AWS target tracking policy's own settings.
type AWSPolicy struct {
	Name             string
	ScaleOutCooldown time.Duration
	ScaleInCooldown  time.Duration
	DisableScaleIn   bool
}

// Fallback is a count to use while a metric is unavailable.
type Fallback struct {
	FailureThreshold int
	Replicas         int
}

// MetricTarget is one metric target tracking follows.
type MetricTarget struct {
	// Name is the metric as the user wrote it ("cpu",
	// "http_requests_per_second"), for reasons.
	Name string
	Kind MetricKind
	// Target is percent for cpu; requests per second per instance for
	// rps, or for the whole service when Total.
	Target float64
	// Total marks a target for the service as a whole (an HPA Object or
	// External metric with a Value target) rather than per instance.
	Total bool
	// External marks one value for the whole service compared with the
	// target per instance (an HPA Object or External metric with an
	// AverageValue target): ratio = value / (target × current), count =
	// ceil(value / target), no correction for launching instances.
	External bool
	// Window, for MetricCron, is the schedule whose value the metric
	// takes: Desired inside [start, end), 1 outside (KEDA's cron scaler,
	// an External metric with an AverageValue target of 1).
	Window *CronWindow
}

// MetricCron is a metric computed from the clock: a KEDA cron trigger.
const MetricCron MetricKind = "cron"

// CronWindow is a recurring window [start, end) in a time zone.
// https://keda.sh/docs/latest/scalers/cron/
type CronWindow struct {
	StartSpec, EndSpec string
	TimeZone           *time.Location
	Start, End         Schedule
	Desired            int
}

// OpenAt reports whether the window is open at now: its next start does
// not come before its next end. When both fall at the same instant the
// window is open, as KEDA's cron scaler has it (GetMetricsAndActivity in
// pkg/scalers/cron_scaler.go, v2.20.2; found by hack/kedadiff). Both edges
// are asked for afresh each time, as KEDA does: robfig/cron's Next is not
// monotonic around a half-hour clock change (Australia/Lord_Howe). The
// engine and the simulator's initial capacity both ask here, so the rule
// has one home.
// https://keda.sh/docs/latest/scalers/cron/
func (w *CronWindow) OpenAt(now time.Time) bool {
	return !w.Start.Next(now).Before(w.End.Next(now))
}

// SelectPolicy picks among rate policies, as HPA behavior's selectPolicy.
type SelectPolicy string

const (
	SelectMax      SelectPolicy = "Max"
	SelectMin      SelectPolicy = "Min"
	SelectDisabled SelectPolicy = "Disabled"
)

// RateKind is the unit of a rate policy.
type RateKind string

const (
	RatePods    RateKind = "Pods"
	RatePercent RateKind = "Percent"
)

// RatePolicy allows at most Value pods or percent of change per Period.
type RatePolicy struct {
	Kind   RateKind
	Value  int
	Period time.Duration
}

// ScalingRules are one direction of HPA behavior.
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
type ScalingRules struct {
	StabilizationWindow time.Duration
	Select              SelectPolicy
	Policies            []RatePolicy
}

// Zone returns the zone reports should show beside UTC.
func (p *Policy) Zone() *time.Location {
	if p.TimeZone != nil {
		return p.TimeZone
	}
	for _, s := range p.Schedules {
		if s.TimeZone != nil {
			return s.TimeZone
		}
	}
	return time.UTC
}
