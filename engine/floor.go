package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// FloorInput is guard mode's question: the platform's own autoscaler (an
// HPA) runs and may scale in as far as its minimum; what must it keep?
type FloorInput struct {
	Now         time.Time
	Guards      *headroom.Guards
	Current     headroom.Capacity
	Observation headroom.Observation
	// PlatformMin is the minimum the platform's autoscaler was configured
	// with (not a floor headroom raised).
	PlatformMin int
	// State is the previous decision's memory: the platform's recent
	// scale-ins, which the rate limit counts.
	State State
}

// FloorOutput is the floor to hold the platform's autoscaler at, why, and
// the memory for the next decision.
type FloorOutput struct {
	// Floor at or below PlatformMin means no raise is needed.
	Floor  int
	Reason headroom.Reason
	State  State
}

// Floor applies the guards Decide applies to the deepest reduction the
// platform may make. The platform acts, not headroom: the memory keeps the
// scale-ins the platform made (capacity dropped since the last decision),
// not the ones the guards considered.
func Floor(in FloorInput) FloorOutput {
	current := in.Current.Total()
	st := in.State
	st.LastEval = in.Now
	if r := guardRate(in.Guards); r != nil {
		st.GuardEvents = prune(slices.Clone(st.GuardEvents), in.Now, r.Period)
		if in.State.Seen > current {
			st.GuardEvents = append(st.GuardEvents, Sample{At: in.Now, Replicas: in.State.Seen - current})
		}
	}
	st.Seen = current
	if in.Guards == nil {
		return FloorOutput{Floor: in.PlatformMin, State: st,
			Reason: headroom.Reason{Code: headroom.ReasonGuardIdle, Message: "guards are off"}}
	}
	// guard records the reduction it allows as an event: ask it on a
	// scratch copy.
	scratch := st
	scratch.GuardEvents = slices.Clone(st.GuardEvents)
	cut := headroom.Reason{Code: headroom.ReasonScaleDown,
		Message: fmt.Sprintf("the platform's autoscaler may scale in from %d to its minimum %d", current, in.PlatformMin)}
	floor, reason := guard(in.Guards, &scratch, eval{now: in.Now, cur: in.Current, obs: in.Observation}, in.PlatformMin, cut)
	if floor <= in.PlatformMin {
		return FloorOutput{Floor: in.PlatformMin, State: st, Reason: headroom.Reason{Code: headroom.ReasonGuardIdle,
			Message: fmt.Sprintf("%s: no guard objects, the platform's own minimum %d stands", idleWhy(in), in.PlatformMin)}}
	}
	return FloorOutput{Floor: floor, Reason: reason, State: st}
}

func guardRate(g *headroom.Guards) *headroom.RateLimitGuard {
	if g == nil {
		return nil
	}
	return g.RateLimit
}

// idleWhy says what the guards saw when they let the platform alone.
func idleWhy(in FloorInput) string {
	if g := in.Guards.ScaleIn; g != nil && in.Observation.HasDemand && g.CapacityPerInstance > 0 && g.TargetUtilization > 0 {
		return fmt.Sprintf("%s req/s needs %d instances", num(in.Observation.Demand), needed(g, in.Observation.Demand))
	}
	return fmt.Sprintf("%d instances", in.Current.Total())
}
