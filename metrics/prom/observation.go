package prom

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/prometheus/common/model"
)

// reading is one query's answer folded into one value.
type reading struct {
	value float64
	// newest is the latest evaluation time with a finite value.
	newest time.Time
	ok     bool
	// dropped counts the NaN and infinite samples left out.
	dropped int
}

// fold combines the series of m at each evaluation time — their sum when
// sum is set, else their mean — and averages the combined values over the
// evaluation times that have one. NaN and infinite samples are left out; a
// matrix without a finite sample gives a reading that is not ok.
func fold(m model.Matrix, sum bool) reading {
	type acc struct {
		total float64
		n     int
	}
	var r reading
	at := map[model.Time]acc{}
	for _, series := range m {
		for _, p := range series.Values {
			v := float64(p.Value)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				r.dropped++
				continue
			}
			a := at[p.Timestamp]
			a.total += v
			a.n++
			at[p.Timestamp] = a
		}
	}
	if len(at) == 0 {
		return r
	}
	// In time order, so that the float sum does not depend on map order.
	times := slices.Sorted(maps.Keys(at))
	var total float64
	for _, t := range times {
		a := at[t]
		if sum {
			total += a.total
		} else {
			total += a.total / float64(a.n)
		}
	}
	r.value = total / float64(len(times))
	r.newest = times[len(times)-1].Time().UTC()
	r.ok = true
	return r
}

// assemble builds the observation at now from the answers of the queries
// (nil for a query not configured), leaving out metrics whose newest sample
// is older than maxAge. It returns notes on the metrics it left out.
func assemble(now time.Time, maxAge time.Duration, answers [nMetrics]model.Matrix) (headroom.Observation, []string) {
	var (
		obs   headroom.Observation
		notes []string
	)
	for m, matrix := range answers {
		r := fold(matrix, metric(m) == demand)
		if !r.ok {
			if r.dropped > 0 {
				notes = append(notes, fmt.Sprintf("%s: all %d samples were NaN or infinite: metric missing", fields[m], r.dropped))
			}
			continue
		}
		if age := now.Sub(r.newest); age > maxAge {
			notes = append(notes, fmt.Sprintf("%s: newest sample is %s old, more than maxAge %s: metric missing", fields[m], age.Round(time.Millisecond), maxAge))
			continue
		}
		// The observation is as old as its stalest part.
		if obs.Time.IsZero() || r.newest.Before(obs.Time) {
			obs.Time = r.newest
		}
		switch metric(m) {
		case demand:
			obs.Demand, obs.HasDemand = r.value, true
		case utilization:
			obs.Utilization, obs.HasUtilization = r.value, true
		case errorRatio:
			obs.ErrorRatio, obs.HasHealth = r.value, true
		case latency:
			obs.Latency, obs.HasHealth = seconds(r.value), true
		}
	}
	if obs.Time.IsZero() {
		// Nothing to see: the observation is of now, and empty.
		obs.Time = now.UTC()
	}
	return obs, notes
}

// seconds converts a latency in seconds, saturating at the longest Duration.
func seconds(v float64) time.Duration {
	if d := v * float64(time.Second); math.Abs(d) < math.MaxInt64 {
		return time.Duration(d)
	}
	if v < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}
