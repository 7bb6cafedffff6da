package controller

import (
	"github.com/headroomhq/headroom"
)

// derivedNote ends a decision's reason when its cpu was derived.
const derivedNote = " (cpu derived from demand and ready capacity: the target has no utilization query)"

// tracksCPU reports whether p has a cpu metric.
func tracksCPU(p *headroom.Policy) bool {
	if p == nil || p.Target == nil {
		return false
	}
	for _, m := range p.Target.Metrics {
		if m.Kind == headroom.MetricCPU {
			return true
		}
	}
	return false
}

// derive fills in cpu utilization from demand when the source has none and
// the target's policy tracks cpu, as the simulator does: the busy share of
// ready capacity, in percent, 100 when saturated or with no ready instance.
// One rule for check and serve: a policy check passed on derived cpu runs
// live on the same numbers. It reports whether it derived.
func (t *Target) derive(obs headroom.Observation, c headroom.Capacity) (headroom.Observation, bool) {
	if obs.HasUtilization || !obs.HasDemand || t.CapacityPerInstance <= 0 || !tracksCPU(t.Policy) {
		return obs, false
	}
	obs.Utilization, obs.HasUtilization = 100, true
	if c.Ready > 0 {
		obs.Utilization = min(100, 100*obs.Demand/(float64(c.Ready)*t.CapacityPerInstance))
	}
	return obs, true
}
