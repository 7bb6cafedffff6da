package policy

import (
	"fmt"
	"math"
	"strconv"

	"github.com/headroomhq/headroom"
)

// The ranges of the numbers a Service or a policy may hold, in every format
// (docs/POLICY.md, "Limits"). They keep the service model and the engine's
// arithmetic far from overflow: a count above them is a typo, and an
// infinite one would turn a failing policy into a passing one.
const (
	// MaxInstances bounds every instance count: min, max, initial,
	// scheduled and fallback counts.
	MaxInstances = 1_000_000
	// MinCapacityPerInstance and MaxCapacityPerInstance bound a service's
	// capacityPerInstance, in requests per second.
	MinCapacityPerInstance = 0.001
	MaxCapacityPerInstance = 1e9
	// MinMetricTarget and MaxMetricTarget bound a request-rate target (per
	// instance or for the service); a cpu target is a percent in (0, 100].
	MinMetricTarget = 0.001
	MaxMetricTarget = 1e9
	// MaxStepValue bounds an AWS step policy's threshold, interval bounds
	// and adjustment.
	MaxStepValue = 1e12
	// MaxServiceDuration bounds a service's startupDelay, baseLatency,
	// requestTimeout, slo.maxLatency and slo.window.
	MaxServiceDuration = 24 * 60 * 60 // seconds
)

// instanceRange is the expected text for an instance count out of range;
// the lower bound of each count is its reader's (scaling to zero is not
// modelled), the upper one the model's.
var instanceRange = fmt.Sprintf("an instance count of at most %d", MaxInstances)

// CheckLimits returns a headroom.InputErrors listing every number of p
// outside the limits above, each naming p.File and the field as headroom's
// YAML spells it. Every format's reader leaves its numbers in p, so the
// policy readers call it last (dialect.ParsePolicy): one check for all.
func CheckLimits(p *headroom.Policy) error {
	var errs headroom.InputErrors
	fail := func(field, value, expected string) {
		errs = append(errs, &headroom.InputError{File: p.File, Field: field, Value: value, Expected: expected})
	}
	count := func(field string, v int) {
		if v < 0 || v > MaxInstances {
			fail(field, strconv.Itoa(v), instanceRange)
		}
	}
	countPtr := func(field string, v *int) {
		if v != nil {
			count(field, *v)
		}
	}
	count("minInstances", p.Min)
	count("maxInstances", p.Max)
	count("initialInstances", p.Initial)
	for i, a := range p.Schedules {
		at := fmt.Sprintf("schedules[%d]", i)
		countPtr(at+".minInstances", a.Min)
		countPtr(at+".maxInstances", a.Max)
		countPtr(at+".desiredInstances", a.Desired)
	}
	if t := p.Target; t != nil {
		for i, m := range t.Metrics {
			at := fmt.Sprintf("targetTracking.metrics[%d]", i)
			switch m.Kind {
			case headroom.MetricCPU:
				if !(m.Target > 0 && m.Target <= 100) {
					fail(at+".target", formatFloat(m.Target), "a cpu percent above 0 and at most 100")
				}
			case headroom.MetricCron:
				if w := m.Window; w != nil {
					count(at+".desiredReplicas", w.Desired)
				}
			default:
				if !(m.Target >= MinMetricTarget && m.Target <= MaxMetricTarget) {
					fail(at+".target", formatFloat(m.Target), fmt.Sprintf("a finite request rate from %g to %g", MinMetricTarget, MaxMetricTarget))
				}
			}
		}
		if f := t.Fallback; f != nil {
			count("targetTracking.fallback.replicas", f.Replicas)
		}
	}
	for i, s := range p.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		finite := func(field string, v float64) {
			if !(math.Abs(v) <= MaxStepValue) {
				fail(at+"."+field, formatFloat(v), fmt.Sprintf("a finite number from %g to %g", -MaxStepValue, MaxStepValue))
			}
		}
		finite("threshold", s.Threshold)
		for j, a := range s.Steps {
			adj := fmt.Sprintf("stepAdjustments[%d].", j)
			if a.Lower != nil {
				finite(adj+"lower", *a.Lower)
			}
			if a.Upper != nil {
				finite(adj+"upper", *a.Upper)
			}
			finite(adj+"adjustment", a.Adjustment)
		}
		if s.MinAdjustmentMagnitude < 0 || s.MinAdjustmentMagnitude > MaxInstances {
			fail(at+".minAdjustmentMagnitude", strconv.Itoa(s.MinAdjustmentMagnitude), fmt.Sprintf("a count from 0 to %d", MaxInstances))
		}
	}
	return errs.Err()
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
