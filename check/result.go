package check

import (
	"time"

	"github.com/headroomhq/headroom"
)

// Verdicts.
const (
	Pass = "pass"
	Fail = "fail"
)

// Roles of the policies in a check.
const (
	RoleProposed = "proposed"
	RoleBaseline = "baseline"
)

// Report is the outcome of a check. Its JSON form is documented in
// docs/CHECK-JSON.md; keep the two in step.
type Report struct {
	// Verdict is Pass or Fail; Reasons say why it failed, one sentence
	// each.
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons,omitempty"`
	// FailOn is the judgement's mode: "any" (a violation fails) or
	// "regression" (only being worse than the baseline beyond Tolerance
	// fails); Notes say what the mode let pass.
	FailOn    string   `json:"failOn"`
	Tolerance float64  `json:"tolerance,omitempty"`
	Notes     []string `json:"notes,omitempty"`
	// Excluded lists the spans left out of the judgement.
	Excluded []Span  `json:"excluded,omitempty"`
	Service  Service `json:"service"`
	// Traffic lists the replayed files.
	Traffic  []Traffic       `json:"traffic"`
	Policies []*PolicyResult `json:"policies"`
	Compare  *Comparison     `json:"comparison,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	// Command is the headroom command that produced the report ("check"
	// when empty), for titles.
	Command string            `json:"command,omitempty"`
	Options map[string]string `json:"options,omitempty"`
}

// Service is the part of the service model a reader of the report needs.
type Service struct {
	Name                string  `json:"name"`
	CapacityPerInstance float64 `json:"capacityPerInstance"`
	StartupDelay        string  `json:"startupDelay"`
	BaseLatency         string  `json:"baseLatency"`
	SLO                 SLO     `json:"slo"`
}

// SLO as written in the service file. MaxLatencyMs bounds the mean;
// Percentile (99 for p99), when set, a percentile's window value.
type SLO struct {
	MaxErrorRatio          float64 `json:"maxErrorRatio"`
	MaxLatencyMs           float64 `json:"maxLatencyMs"`
	Percentile             float64 `json:"percentile,omitempty"`
	MaxPercentileLatencyMs float64 `json:"maxPercentileLatencyMs,omitempty"`
	WindowSeconds          int     `json:"windowSeconds"`
}

// Traffic describes one replayed series.
type Traffic struct {
	Name     string    `json:"name"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Step     string    `json:"step"`
	Requests float64   `json:"requests"`
	PeakRate float64   `json:"peakRequestsPerSecond"`
}

// PolicyResult is how one policy did on all the traffic.
type PolicyResult struct {
	Role string `json:"role"`
	Name string `json:"name"`
	File string `json:"file"`
	// Zone is the policy's own time zone; violation times are also
	// given in it.
	Zone       string      `json:"timeZone"`
	Verdict    string      `json:"verdict"`
	Violations []Violation `json:"violations"`
	// ViolationCount can exceed len(Violations): the list is capped.
	ViolationCount int    `json:"violationCount"`
	Totals         Totals `json:"totals"`
	// Decisions that changed capacity or came from a schedule, capped.
	Decisions     []headroom.Decision `json:"decisions"`
	DecisionCount int                 `json:"decisionCount"`
	// Detections are the alerts the live detector would have raised on
	// this traffic: when it would have paged, and why. Capped.
	Detections     []Detection `json:"detections"`
	DetectionCount int         `json:"detectionCount"`
	Charts         []*Chart    `json:"-"`
	// Zooms holds, for each listed violation, its chart ±30 minutes at
	// 15 s (nil past the first few).
	Zooms []*Chart `json:"-"`
	zone  *time.Location
}

// Violation is a span of consecutive SLO windows that missed the SLO.
type Violation struct {
	Traffic string    `json:"traffic"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// StartLocal and EndLocal are Start and End in the policy's zone.
	StartLocal      string  `json:"startLocal"`
	EndLocal        string  `json:"endLocal"`
	DurationSeconds int     `json:"durationSeconds"`
	WorstErrorRatio float64 `json:"worstErrorRatio"`
	// WorstLatencyMs is the worst window's mean latency;
	// WorstPercentileLatencyMs its value of the SLO's percentile
	// (Percentile, 99 for p99), when the SLO bounds one.
	WorstLatencyMs           float64 `json:"worstLatencyMs"`
	Percentile               float64 `json:"percentile,omitempty"`
	WorstPercentileLatencyMs float64 `json:"worstPercentileLatencyMs,omitempty"`
	// ReadyInstances is the fewest ready instances during the span;
	// NeededInstances what the peak demand in it needed to keep the SLO.
	ReadyInstances  int     `json:"readyInstances"`
	NeededInstances int     `json:"neededInstances"`
	PeakDemand      float64 `json:"peakRequestsPerSecond"`
	FailedRequests  float64 `json:"failedRequests"`
	// Cause is the decision that made capacity short: the last change of
	// capacity before the span's first window ended, when it cut capacity
	// below what demand needed; nil when no decision did (demand outgrew
	// the capacity). CauseSummary says which, in a sentence.
	Cause        *headroom.Decision `json:"cause,omitempty"`
	CauseSummary string             `json:"causeSummary"`
}

// Detection is an alert the detector raised during a replay.
type Detection struct {
	Traffic string `json:"traffic"`
	headroom.Alert
}

// Totals of one policy over all traffic.
type Totals struct {
	Requests         float64 `json:"requests"`
	FailedRequests   float64 `json:"failedRequests"`
	ErrorRatio       float64 `json:"errorRatio"`
	InstanceHours    float64 `json:"instanceHours"`
	ViolationSeconds int     `json:"violationSeconds"`
	// ExcludedSeconds is the time in excluded spans, not judged.
	ExcludedSeconds int     `json:"excludedSeconds,omitempty"`
	WorstLatencyMs  float64 `json:"worstLatencyMs"`
	// PeakInstances and MinInstances are the most and fewest instances
	// (ready plus launching) during the run.
	PeakInstances int `json:"peakInstances"`
	MinInstances  int `json:"minInstances"`
}

// Comparison is proposed minus baseline.
type Comparison struct {
	FailedRequestsDelta   float64 `json:"failedRequestsDelta"`
	ViolationSecondsDelta int     `json:"violationSecondsDelta"`
	InstanceHoursDelta    float64 `json:"instanceHoursDelta"`
	// InstanceHoursChange is the relative change, e.g. -0.12 for 12% cheaper.
	InstanceHoursChange float64 `json:"instanceHoursChange"`
}

// Chart is one policy on one traffic series, reduced to at most a few
// thousand buckets for plotting. Each bucket keeps the extreme that matters:
// the highest demand and error ratio and latency, the fewest ready instances.
type Chart struct {
	Traffic string        `json:"traffic"`
	Start   time.Time     `json:"start"`
	Bucket  time.Duration `json:"bucket"`
	Demand  []float64     `json:"demand"`
	// Capacity is ready instances × capacity per instance (requests/s),
	// Required the capacity the SLO needed at the bucket's peak demand.
	Capacity   []float64 `json:"capacity"`
	Required   []float64 `json:"required"`
	Ready      []int     `json:"ready"`
	Desired    []int     `json:"desired"`
	ErrorRatio []float64 `json:"errorRatio"`
	LatencyMs  []float64 `json:"latencyMs"`
	// Violations are the spans of this series, for shading.
	Violations []Violation `json:"violations"`
}
