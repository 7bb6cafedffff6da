package hpadiff

import (
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/policy/hpa"
	"sigs.k8s.io/yaml"
)

// Step is one sync of headroom's engine: the replica count it leaves and
// the reason it gives.
type Step struct {
	Replicas int
	Reason   headroom.Reason
}

// Headroom runs headroom's engine on s: the HPA manifest through headroom's
// own reader (policy/hpa), then one engine.Decide per sync at the times
// the upstream controller synced (syncs[k]), each seeing the utilization
// and request rate its own fleet gives, with the pods not ready yet as
// launching capacity. The state starts as the controller's does: its first
// sync records the current count as a recommendation
// (engine.State.Settled). An edit of the bounds is read as a new manifest
// whose bounds the state takes from that sync on.
func Headroom(s *Scenario, syncs []time.Time) ([]Step, error) {
	p, err := parse(s, -1)
	if err != nil {
		return nil, err
	}
	if len(syncs) == 0 {
		return nil, nil
	}
	st := engine.NewState(p, syncs[0]).Settled(syncs[0], s.Initial)
	fleet := NewFleet(s.Initial)
	out := make([]Step, 0, len(syncs))
	for k, at := range syncs {
		if k == s.BoundsAt {
			if p, err = parse(s, k); err != nil {
				return nil, err
			}
			st.Min, st.Max = p.Min, p.Max
		}
		ready := fleet.Ready(k)
		obs := headroom.Observation{Time: at}
		if !s.Missing[k] {
			obs.Utilization, obs.HasUtilization = float64(s.Utilization(k, ready)), true
		}
		if s.Rate != nil && !s.RateMissing[k] {
			obs.Demand, obs.HasDemand = float64(s.TotalRate(k, ready)), true
		}
		cur := headroom.Capacity{Ready: ready, Launching: len(fleet.ReadyAt) - ready}
		o := engine.Decide(engine.Input{Now: at, Policy: p, Current: cur, Observation: obs, State: st})
		st = o.State
		fleet.Scale(o.Desired, k, s.Launch)
		out = append(out, Step{Replicas: o.Desired, Reason: o.Reason})
	}
	return out, nil
}

// parse reads the HPA as it is at sync k with headroom's reader.
func parse(s *Scenario, k int) (*headroom.Policy, error) {
	h := s.HPA.DeepCopy()
	lo, hi := s.Bounds(k)
	l := int32(lo)
	h.Spec.MinReplicas, h.Spec.MaxReplicas = &l, int32(hi)
	data, err := yaml.Marshal(h)
	if err != nil {
		return nil, err
	}
	p, _, err := hpa.Parse("scenario.yaml", data)
	return p, err
}
