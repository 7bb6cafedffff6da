package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// guard applies headroom's guards to the policy's decision. Order: an
// emergency scale-out first (saturation beats everything), then the blind
// guard (no scale-in without eyes), the scale-in guard (no scale-in below
// what demand needs) and the rate limit (no scale-in faster than allowed).
// The policy's own reason stays in the message: it names the source of a
// deferred reduction.
func guard(g *headroom.Guards, st *State, e eval, desired int, reason headroom.Reason) (int, headroom.Reason) {
	current := e.cur.Total()
	if em := g.Emergency; em != nil {
		if why := saturated(em, e.obs); why != "" {
			target := min(em.Ceiling, ceil(float64(max(e.cur.Ready, 1))*(1+em.Increase)))
			if target > desired {
				reason = headroom.Reason{Code: headroom.ReasonEmergency,
					Message: fmt.Sprintf("%s: emergency scale-out from %d to %d (ceiling %d), bypassing stabilization", why, current, target, em.Ceiling)}
				desired = target
			}
		}
	}
	if desired >= current {
		return desired, reason
	}
	if b := g.Blind; b != nil {
		stale := b.StaleAfter > 0 && e.now.Sub(e.obs.Time) > b.StaleAfter
		if !e.obs.HasDemand || math.IsNaN(e.obs.Demand) || stale {
			why := "no demand sample"
			if stale {
				why = fmt.Sprintf("the newest metrics are %s old", e.now.Sub(e.obs.Time).Round(time.Second))
			}
			return current, headroom.Reason{Code: headroom.ReasonBlind,
				Message: fmt.Sprintf("%s: scale-in frozen at %d (%s)", why, current, reason.Message)}
		}
	}
	if s := g.ScaleIn; s != nil && s.CapacityPerInstance > 0 && s.TargetUtilization > 0 {
		need := needed(s, e.obs.Demand)
		if need > desired {
			kept := min(current, need)
			reason = headroom.Reason{Code: headroom.ReasonScaleInDeferred,
				Message: fmt.Sprintf("%s — deferred: %s req/s needs %d instances at %s%% utilization with %s%% margin, the policy wants %d; keeping %d",
					reason.Message, num(e.obs.Demand), need, num(100*s.TargetUtilization), num(100*s.Margin), desired, kept)}
			desired = kept
		}
	}
	if r := g.RateLimit; r != nil && desired < current {
		st.GuardEvents = prune(st.GuardEvents, e.now, r.Period)
		removed := changedIn(st.GuardEvents, e.now, r.Period)
		start := current + removed
		allowed := max(r.Instances, int(r.Percent/100*float64(start)))
		floor := start - allowed
		if desired < floor {
			reason = headroom.Reason{Code: headroom.ReasonScaleInLimited,
				Message: fmt.Sprintf("%s — rate limited: at most %d fewer per %s, %d already removed: %d", reason.Message, allowed, r.Period, removed, max(floor, 0))}
			desired = min(current, max(floor, 0))
		}
	}
	if desired < current && g.RateLimit != nil {
		st.GuardEvents = append(slices.Clip(st.GuardEvents), Sample{At: e.now, Replicas: current - desired})
	}
	return desired, reason
}

// needed is how many instances demand (req/s) needs under the scale-in
// guard: at its target utilization, with its margin.
func needed(s *headroom.ScaleInGuard, demand float64) int {
	return ceil(demand * (1 + s.Margin) / (s.CapacityPerInstance * s.TargetUtilization))
}

// saturated says why the service is saturated, or "".
func saturated(e *headroom.EmergencyGuard, obs headroom.Observation) string {
	switch {
	case e.Utilization > 0 && obs.HasUtilization && obs.Utilization >= e.Utilization:
		return fmt.Sprintf("cpu %s%% at or over %s%%", num(obs.Utilization), num(e.Utilization))
	case e.ErrorRatio > 0 && obs.HasHealth && obs.ErrorRatio >= e.ErrorRatio:
		return fmt.Sprintf("error ratio %s%% at or over %s%%", num(100*obs.ErrorRatio), num(100*e.ErrorRatio))
	case e.Latency > 0 && obs.HasHealth && obs.Latency >= e.Latency:
		return fmt.Sprintf("latency %s at or over %s", obs.Latency.Round(time.Millisecond), e.Latency)
	}
	return ""
}
