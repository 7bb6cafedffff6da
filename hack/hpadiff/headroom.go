package hpadiff

import (
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/policy/hpa"
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
// its own replica count gives. The state starts as the controller's does:
// its first sync records the current count as a recommendation
// (engine.State.Settled).
func Headroom(s *Scenario, syncs []time.Time) ([]Step, error) {
	data, err := s.YAML()
	if err != nil {
		return nil, err
	}
	p, _, err := hpa.Parse("scenario.yaml", data)
	if err != nil {
		return nil, err
	}
	if len(syncs) == 0 {
		return nil, nil
	}
	st := engine.NewState(p, syncs[0]).Settled(syncs[0], s.Initial)
	n := s.Initial
	out := make([]Step, 0, len(syncs))
	for k, at := range syncs {
		obs := headroom.Observation{Time: at}
		if !s.Missing[k] {
			obs.Utilization, obs.HasUtilization = float64(s.Utilization(k, n)), true
		}
		o := engine.Decide(engine.Input{Now: at, Policy: p, Current: headroom.Capacity{Ready: n}, Observation: obs, State: st})
		st, n = o.State, o.Desired
		out = append(out, Step{Replicas: n, Reason: o.Reason})
	}
	return out, nil
}
