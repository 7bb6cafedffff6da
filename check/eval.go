package check

import (
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
)

// evaluator judges each SLO window of a run and merges consecutive bad
// windows into violations. Windows are aligned to multiples of their length
// since the Unix epoch (a 1-minute SLO is judged per clock minute), like
// Prometheus range vectors at a step of the same length.
type evaluator struct {
	slo   headroom.SLO
	model *sim.Model // for Required only; its backlog is never used
	// twin replays the run's model when the SLO bounds a percentile: the
	// model is deterministic, so fed the same demand and ready counts it
	// holds the same backlog and gives each second's latency
	// distribution, which a headroom.Second does not carry. The window's
	// percentile comes from their mixture (not the mean of the seconds'
	// percentiles).
	twin    *sim.Model
	mixture sim.Mixture
	zone    *time.Location
	traffic string
	width   int64 // window, seconds

	// the window being filled: [start, end) in Unix seconds, once a
	// step has opened one (started). Not a sentinel start: every int64
	// is a time a window can start at, negative ones (before 1970)
	// included.
	started               bool
	start, end            int64
	requests, failed      float64
	latencySum, servedSum float64
	minReady              int
	maxDemand             float64
	worstLatencyInWindow  time.Duration
	open                  *Violation

	violations      []Violation
	worstLatency    time.Duration
	worstPercentile time.Duration // the SLO's percentile, worst window
	peakInstances   int
	minInstances    int

	// exclude lists spans not judged; what their windows held is counted
	// apart.
	exclude                          []Span
	excludedRequests, excludedFailed float64
	excludedSeconds                  int64
}

func newEvaluator(svc *headroom.Service, zone *time.Location, traffic string) *evaluator {
	e := &evaluator{slo: svc.SLO, model: sim.NewModel(svc), zone: zone, traffic: traffic,
		width: int64(svc.SLO.Window / time.Second), minInstances: math.MaxInt}
	if svc.SLO.Percentile > 0 {
		e.twin = sim.NewModel(svc)
	}
	return e
}

func (e *evaluator) Add(s *headroom.Second) {
	if sec := s.Time.Unix(); !e.started || sec >= e.end || sec < e.start {
		e.openWindow(sec)
	}
	e.requests += s.Demand
	e.failed += s.Failed
	served := max(0, s.Demand-s.Failed)
	e.latencySum += served * s.Latency.Seconds()
	e.servedSum += served
	e.minReady = min(e.minReady, s.Ready)
	e.maxDemand = max(e.maxDemand, s.Demand)
	e.worstLatencyInWindow = max(e.worstLatencyInWindow, s.Latency)
	if e.twin != nil {
		o := e.twin.Serve(s.Demand, s.Ready)
		e.mixture.Add(o.Latencies, max(0, s.Demand-o.Failed))
	}
	n := s.Total()
	e.peakInstances = max(e.peakInstances, n)
	e.minInstances = min(e.minInstances, n)
}

// openWindow judges the window being filled and opens the one holding sec.
func (e *evaluator) openWindow(sec int64) {
	e.closeWindow()
	e.started = true
	// Floored, not truncated: a window before 1970 starts at or before
	// its first second too.
	e.start = sec - ((sec%e.width)+e.width)%e.width
	e.end = e.start + e.width
	e.minReady = math.MaxInt
}

// AddSpan is Add for each second of a quiet span (sim.Span): the same sums
// in the same order, window by window, with what the span's seconds share
// applied once (a min or max of the same figure again changes nothing).
func (e *evaluator) AddSpan(sp *sim.Span) {
	sec := sp.Start.Unix()
	latency, lat := sp.Latency, sp.Latency.Seconds()
	ds := sp.Demand
	for len(ds) > 0 {
		if !e.started || sec >= e.end || sec < e.start {
			e.openWindow(sec)
		}
		k := int(min(int64(len(ds)), e.end-sec))
		// Nothing failed: served is the demand.
		requests, latencySum, servedSum := e.requests, e.latencySum, e.servedSum
		for _, d := range ds[:k] {
			requests += d
			latencySum += d * lat
			servedSum += d
		}
		e.requests, e.latencySum, e.servedSum = requests, latencySum, servedSum
		e.maxDemand = maxOf(e.maxDemand, ds[:k])
		e.minReady = min(e.minReady, sp.Ready)
		e.worstLatencyInWindow = max(e.worstLatencyInWindow, latency)
		if e.twin != nil {
			// The twin's seconds too: quiet, no backlog to keep.
			for _, d := range ds[:k] {
				e.mixture.Add(sp.Latencies, d)
			}
		}
		ds, sec = ds[k:], sec+int64(k)
	}
	n := sp.Total()
	e.peakInstances = max(e.peakInstances, n)
	e.minInstances = min(e.minInstances, n)
}

// closeWindow judges the window just filled.
func (e *evaluator) closeWindow() {
	if !e.started {
		return
	}
	if e.excluded() {
		// Known incidents, bot spikes: not judged, and a violation open
		// before one ends at it.
		e.excludedRequests += e.requests
		e.excludedFailed += e.failed
		e.excludedSeconds += e.width
		if e.open != nil {
			e.flush()
		}
		e.reset()
		return
	}
	var errRatio float64
	if e.requests > 0 {
		// A backlog from the window before may fail in this one: the
		// ratio is capped at all of the window's requests.
		errRatio = min(1, e.failed/e.requests)
	} else if e.failed > 0 {
		// Only the backlog failed, with no new request: that window is
		// all failures, not a clean one.
		errRatio = 1
	}
	var latency time.Duration
	if e.servedSum > 0 {
		latency = time.Duration(e.latencySum / e.servedSum * float64(time.Second))
	} else if e.requests > 0 {
		latency = e.worstLatencyInWindow
	}
	e.worstLatency = max(e.worstLatency, latency)
	bad := errRatio > e.slo.MaxErrorRatio || latency > e.slo.MaxLatency
	var pct time.Duration
	if e.twin != nil {
		// Only failures in the window: no served request, no percentile
		// (the error ratio judges it).
		pct = e.mixture.Quantile(e.slo.Percentile / 100)
		e.worstPercentile = max(e.worstPercentile, pct)
		bad = bad || pct > e.slo.MaxPercentileLatency
	}
	from := time.Unix(e.start, 0).UTC()
	to := from.Add(time.Duration(e.width) * time.Second)
	switch {
	case bad && e.open == nil:
		e.open = &Violation{Traffic: e.traffic, Start: from, ReadyInstances: math.MaxInt}
		fallthrough
	case bad:
		v := e.open
		v.End = to
		v.WorstErrorRatio = math.Max(v.WorstErrorRatio, errRatio)
		v.WorstLatencyMs = math.Max(v.WorstLatencyMs, ms(latency))
		if e.twin != nil {
			v.Percentile = e.slo.Percentile
			v.WorstPercentileLatencyMs = math.Max(v.WorstPercentileLatencyMs, ms(pct))
		}
		v.ReadyInstances = min(v.ReadyInstances, e.minReady)
		v.FailedRequests += e.failed
		if e.maxDemand > v.PeakDemand {
			v.PeakDemand = e.maxDemand
		}
	case e.open != nil:
		e.flush()
	}
	e.reset()
}

// reset empties the window's sums.
func (e *evaluator) reset() {
	e.requests, e.failed, e.latencySum, e.servedSum, e.maxDemand, e.worstLatencyInWindow = 0, 0, 0, 0, 0, 0
	e.mixture.Reset()
}

// excluded reports whether the window being closed overlaps an excluded
// span.
func (e *evaluator) excluded() bool {
	from := time.Unix(e.start, 0)
	to := time.Unix(e.end, 0)
	for _, x := range e.exclude {
		if from.Before(x.To) && x.From.Before(to) {
			return true
		}
	}
	return false
}

// flush finishes the open violation.
func (e *evaluator) flush() {
	v := e.open
	e.open = nil
	v.DurationSeconds = int(v.End.Sub(v.Start) / time.Second)
	v.FailedRequests = math.Round(v.FailedRequests)
	v.NeededInstances = e.model.Required(v.PeakDemand, e.slo.MaxLatency)
	v.StartLocal = v.Start.In(e.zone).Format(time.RFC3339)
	v.EndLocal = v.End.In(e.zone).Format(time.RFC3339)
	e.violations = append(e.violations, *v)
}

// finish judges the last (possibly partial) window.
func (e *evaluator) finish() {
	e.closeWindow()
	if e.open != nil {
		e.flush()
	}
}

// chartSink reduces a run to buckets for plotting. The bucket being filled
// lives in fields and is appended when full.
type chartSink struct {
	c     *Chart
	model *sim.Model
	slo   headroom.SLO
	per   float64 // capacity per instance
	width int     // seconds per bucket
	n     int     // seconds in the current bucket
	// zooms, when set, keeps the buckets instead of the chart: only
	// those a zoom may show.
	zooms *zooms

	demand, errRatio float64
	latency          time.Duration
	ready, desired   int
}

func newChartSink(svc *headroom.Service, tr *headroom.Series, points int) *chartSink {
	if points <= 0 {
		points = DefaultChartPoints
	}
	width := max(1, (tr.Seconds()+points-1)/points)
	return newBucketSink(svc, tr, width, (tr.Seconds()+width-1)/width)
}

// newBucketSink keeps buckets of width seconds in a chart with room for n.
func newBucketSink(svc *headroom.Service, tr *headroom.Series, width, n int) *chartSink {
	c := &Chart{Traffic: tr.Name, Start: tr.Start, Bucket: time.Duration(width) * time.Second,
		Demand: make([]float64, 0, n), Ready: make([]int, 0, n), Desired: make([]int, 0, n),
		ErrorRatio: make([]float64, 0, n), LatencyMs: make([]float64, 0, n)}
	return &chartSink{c: c, model: sim.NewModel(svc), slo: svc.SLO, per: svc.CapacityPerInstance, width: width}
}

func (c *chartSink) Add(s *headroom.Second) {
	if c.n == 0 {
		c.demand, c.ready, c.desired, c.errRatio, c.latency = s.Demand, s.Ready, s.Desired, s.ErrorRatio, s.Latency
	} else {
		c.demand = max(c.demand, s.Demand)
		c.ready = min(c.ready, s.Ready)
		c.desired = max(c.desired, s.Desired)
		c.errRatio = max(c.errRatio, s.ErrorRatio)
		c.latency = max(c.latency, s.Latency)
	}
	c.n++
	if c.n == c.width {
		c.flush()
	}
}

// AddSpan is Add for each second of a quiet span, bucket by bucket: no
// error, the same latency, capacity and desired count, so only demand's
// maximum needs a pass over the seconds.
func (c *chartSink) AddSpan(sp *sim.Span) {
	ds := sp.Demand
	for len(ds) > 0 {
		k := min(len(ds), c.width-c.n)
		chunk := ds[:k]
		if c.n == 0 {
			c.demand, c.ready, c.desired, c.errRatio, c.latency = chunk[0], sp.Ready, sp.Desired, 0, sp.Latency
			chunk = chunk[1:]
		} else {
			c.ready = min(c.ready, sp.Ready)
			c.desired = max(c.desired, sp.Desired)
			c.errRatio = max(c.errRatio, 0)
			c.latency = max(c.latency, sp.Latency)
		}
		c.demand = maxOf(c.demand, chunk)
		c.n += k
		if c.n == c.width {
			c.flush()
		}
		ds = ds[k:]
	}
}

func (c *chartSink) flush() {
	if c.zooms != nil {
		c.zooms.add(c.demand, c.ready, c.desired, c.errRatio, ms(c.latency))
		c.n = 0
		return
	}
	ch := c.c
	ch.Demand = append(ch.Demand, c.demand)
	ch.Ready = append(ch.Ready, c.ready)
	ch.Desired = append(ch.Desired, c.desired)
	ch.ErrorRatio = append(ch.ErrorRatio, c.errRatio)
	ch.LatencyMs = append(ch.LatencyMs, ms(c.latency))
	c.n = 0
}

func (c *chartSink) finish() *Chart {
	if c.n > 0 {
		c.flush()
	}
	c.capacities(c.c)
	return c.c
}

// capacities fills ch's ready and required capacity in requests/s.
func (c *chartSink) capacities(ch *Chart) {
	ch.Capacity = make([]float64, len(ch.Ready))
	ch.Required = make([]float64, len(ch.Ready))
	for i := range ch.Ready {
		ch.Capacity[i] = float64(ch.Ready[i]) * c.per
		ch.Required[i] = float64(c.model.Required(ch.Demand[i], c.slo.MaxLatency)) * c.per
	}
}

// window returns the buckets in [from, to) as a chart of their own, with
// its capacities: a zoom on one violation, from the zoom sink
// (newZoomSink; another sink keeps no zooms). Nil when there are none, or
// the zooms released some (a violation past the first maxZoomed).
func (c *chartSink) window(from, to time.Time) *Chart {
	if c.n > 0 {
		c.flush()
	}
	z := c.zooms
	lo, hi := z.span(from, to)
	lo, hi = max(lo, 0), min(hi, z.n)
	if hi <= lo {
		return nil
	}
	ch := z.chart(c.c, lo, hi)
	if ch != nil {
		c.capacities(ch)
	}
	return ch
}

// maxOf returns the largest of m and ds, as a chain of the builtin max
// would (NaN, ±0 alike: max is associative and commutative), on four
// chains that run side by side: one chain waits on each max before the
// next, and quiet spans of a month are 2.6 M seconds for each of three
// sinks.
func maxOf(m float64, ds []float64) float64 {
	m0, m1, m2, m3 := m, m, m, m
	for len(ds) >= 4 {
		m0, m1, m2, m3 = max(m0, ds[0]), max(m1, ds[1]), max(m2, ds[2]), max(m3, ds[3])
		ds = ds[4:]
	}
	for _, d := range ds {
		m0 = max(m0, d)
	}
	return max(max(m0, m1), max(m2, m3))
}
