package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/engine"
)

// Config is one simulation run: a service, a policy and the traffic to replay.
type Config struct {
	Service *headroom.Service
	Policy  *headroom.Policy
	Traffic *headroom.Series
	// Progress, when set, is called now and then with seconds done and
	// seconds in all.
	Progress func(done, total int)
	// Guards, when set, apply after the policy, as in the live controller.
	Guards *headroom.Guards
	// Detect, when set, runs the detector as the live controller does:
	// every DetectInterval on what the interval held, and at once on a
	// decision that cuts capacity.
	Detect *detect.Config
	// DetectInterval is the detector's loop; DefaultDetectInterval when
	// zero.
	DetectInterval time.Duration
	// Inject, when set, may change the outcome of each simulated second
	// (sec counts from 0; demand is what was offered) before anything
	// reads it: sinks, the autoscaler's metrics, the detector. It replays
	// faults the service model does not produce, such as a bad deploy's
	// 502s (detect/tune injects blips and bursts this way), on the same
	// simulator. It must keep Failed equal to demand × ErrorRatio; the
	// model's own state (its backlog) is left as it was.
	Inject func(sec int, demand float64, o *Outcome)
	// Wait, when set, says Traffic's counts are still arriving (a file
	// being read, traffic.Ahead): Run calls it before it reads a count
	// past those it was told are final, and it returns how many are, at
	// least n, or an error that ends the run.
	Wait func(n int) (int, error)
	// Context, when set, cancels the run: Run looks at it every
	// cancelEvery simulated seconds (about a millisecond of work) and
	// returns its error, with no result.
	Context context.Context
}

// cancelEvery is how many simulated seconds pass between two looks at
// Config.Context: about a millisecond of work.
const cancelEvery = 1 << 12

// DefaultDetectInterval is the live controller's loop: the detector sees
// what a loop sees.
const DefaultDetectInterval = 15 * time.Second

// Sink receives every simulated second. The second is reused: a sink that
// keeps it must copy it.
type Sink interface {
	Add(s *headroom.Second)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(s *headroom.Second)

func (f SinkFunc) Add(s *headroom.Second) { f(s) }

// SpanSink is a Sink that also takes quiet seconds a run at a time (see
// Span): the check's sinks do, which spares a month's replay a call and a
// row for each of most of its seconds. Run gives every other Sink the
// same seconds one by one.
type SpanSink interface {
	Sink
	AddSpan(sp *Span)
}

// Span is consecutive quiet seconds (Model.quiet) at one capacity and
// desired count: no request waited or failed, so demand alone tells them
// apart. Run reuses it: a sink that keeps it must copy it.
type Span struct {
	// Start is the first second's time; the others follow a second
	// apart.
	Start time.Time
	// Demand is each second's offered rate, requests/s.
	Demand []float64
	headroom.Capacity
	Desired int
	// Throughput is what the ready instances serve in a second: each
	// second's Utilization is its demand over it.
	Throughput float64
	// Latency is every second's (the base latency), Latencies their
	// distribution.
	Latency   time.Duration
	Latencies Latencies
}

// Second writes second i of the span into s, as Run gives it to a Sink.
func (sp *Span) Second(i int, s *headroom.Second) {
	*s = headroom.Second{Time: sp.Start.Add(time.Duration(i) * time.Second), Demand: sp.Demand[i], Capacity: sp.Capacity,
		Desired: sp.Desired, Utilization: sp.Demand[i] / sp.Throughput, Latency: sp.Latency, InstanceSeconds: float64(sp.Total())}
}

// spanOut collects quiet seconds for the sinks and hands them over when the
// run of them ends: at a second of another capacity or desired count, a
// second that is not quiet, or a full buffer.
type spanOut struct {
	sp    Span
	per   float64 // capacity per instance
	sinks []Sink
	row   *headroom.Second
}

// add appends a quiet second at sec's time, first flushing a span of other
// figures.
func (o *spanOut) add(start time.Time, sec int, demand float64, c headroom.Capacity, desired int) {
	sp := &o.sp
	if n := len(sp.Demand); n > 0 && (n == cap(sp.Demand) || sp.Capacity != c || sp.Desired != desired) {
		o.flush()
	}
	if len(sp.Demand) == 0 {
		sp.Start = start.Add(time.Duration(sec) * time.Second)
		sp.Capacity, sp.Desired = c, desired
		sp.Throughput = float64(c.Ready) * o.per
	}
	sp.Demand = append(sp.Demand, demand)
}

// flush gives the span to the sinks.
func (o *spanOut) flush() {
	sp := &o.sp
	if len(sp.Demand) == 0 {
		return
	}
	for _, s := range o.sinks {
		if ss, ok := s.(SpanSink); ok {
			ss.AddSpan(sp)
			continue
		}
		for i := range sp.Demand {
			sp.Second(i, o.row)
			s.Add(o.row)
		}
	}
	sp.Demand = sp.Demand[:0]
}

// spanSeconds is the most quiet seconds a span holds: a few hours, a
// buffer that stays in the CPU's caches.
const spanSeconds = 1 << 12

// Result sums up a run. The per-second timeline goes to sinks, not here: a
// month of seconds would not fit the memory budget twice.
type Result struct {
	Policy  *headroom.Policy
	Start   time.Time
	Seconds int
	// Decisions lists every decision that changed capacity or came from a
	// scheduled action, in time order.
	Decisions       []headroom.Decision
	Requests        float64
	Failed          float64
	InstanceSeconds float64
	// Initial is the capacity the run started with.
	Initial int
	// Alerts lists every alert the detector raised, in the order they
	// started; one still firing at the end has a zero EndsAt.
	Alerts []headroom.Alert
}

// Observed series, kept per second in a window.
const (
	obsUtilization = iota // percent
	obsDemand             // requests/s
	obsFailed             // failed requests
	obsLatency            // seconds
	obsSeries
)

// window keeps running sums of what the autoscaler can observe, so that an
// average over any recent window costs O(1).
type window struct {
	// cumulative sums, a ring indexed by second; a second's series side
	// by side, so that a push touches one cache line.
	sums []([obsSeries]float64)
}

// newWindow keeps at least size seconds; the ring is a power of two so
// that indexing is a mask, not a division, on every simulated second.
func newWindow(size int) *window {
	n := 1
	for n < size {
		n <<= 1
	}
	return &window{sums: make([][obsSeries]float64, n)}
}

// push records second sec (0-based) and keeps cumulative sums.
func (w *window) push(sec int, v [obsSeries]float64) {
	mask := len(w.sums) - 1
	p := &w.sums[sec&mask]
	if sec == 0 {
		*p = v
		return
	}
	q := &w.sums[(sec-1)&mask]
	p[0], p[1], p[2], p[3] = q[0]+v[0], q[1]+v[1], q[2]+v[2], q[3]+v[3]
}

// sum totals seconds [from, to) that were recorded, and how many there
// were.
func (w *window) sum(from, to int) (total [obsSeries]float64, n int) {
	from = max(from, 0)
	if to <= from {
		return total, 0
	}
	mask := len(w.sums) - 1
	var before [obsSeries]float64
	if from > 0 {
		before = w.sums[(from-1)&mask]
	}
	last := w.sums[(to-1)&mask]
	for i := range total {
		total[i] = last[i] - before[i]
	}
	return total, to - from
}

// observe is what the autoscaler sees at second sec: averages over the
// window that ended delay seconds ago.
func (w *window) observe(now time.Time, sec, window, delay int) headroom.Observation {
	t, n := w.sum(sec-delay-window, sec-delay)
	obs := headroom.Observation{Time: now.Add(-time.Duration(delay) * time.Second)}
	if n == 0 {
		return obs
	}
	k := float64(n)
	obs.Utilization, obs.Demand, obs.HasUtilization, obs.HasDemand = t[obsUtilization]/k, t[obsDemand]/k, true, true
	obs.Latency, obs.HasHealth = time.Duration(t[obsLatency]/k*float64(time.Second)), true
	if t[obsDemand] > 0 {
		obs.ErrorRatio = min(1, t[obsFailed]/t[obsDemand])
	}
	return obs
}

// Run replays the traffic through the policy, second by second, and feeds
// each second to the sinks.
func Run(cfg Config, sinks ...Sink) (*Result, error) {
	svc, pol, tr := cfg.Service, cfg.Policy, cfg.Traffic
	if svc == nil || pol == nil || tr == nil || len(tr.Counts) == 0 {
		return nil, errors.New("sim: service, policy and non-empty traffic are required")
	}
	total := tr.Seconds()
	start := tr.Start
	model := NewModel(svc)
	startup := int(math.Ceil(svc.StartupDelay.Seconds()))

	obsWindow, obsDelay := 1, 0
	switch t := pol.Target; {
	case t != nil:
		obsWindow, obsDelay = int(t.Window/time.Second), int(t.Delay/time.Second)
	case len(pol.Steps) > 0:
		// Step scaling alone: CloudWatch one-minute datapoints, a minute
		// late, as the AWS readers set for target tracking.
		obsWindow, obsDelay = 60, 60
	}
	hist := newWindow(obsWindow + obsDelay + 2)

	// The counts final so far; those the first minute needs first.
	final := len(tr.Counts)
	if cfg.Wait != nil {
		var err error
		if final, err = cfg.Wait(min(len(tr.Counts), 60)); err != nil {
			return nil, err
		}
	}
	state := engine.NewState(pol, start)
	res := &Result{Policy: pol, Start: start, Seconds: total}
	res.Initial = initialCapacity(svc, pol, tr, state)
	state = state.Settled(start, res.Initial)
	f := &Fleet{Ready: res.Initial}
	desired := res.Initial
	res.Decisions = append(res.Decisions, headroom.Decision{Time: start, Current: desired, Desired: desired, Min: state.Min, Max: state.Max,
		Reason: headroom.Reason{Code: headroom.ReasonInitial, Message: initialMessage(pol, desired)}})

	det := newDetection(cfg, model)

	next := start
	nextSec := 0
	var before stateCopy
	row := &headroom.Second{}
	// One outcome for the run, rewritten every second (Config.Inject's
	// pointer would make a fresh one a heap object each second).
	o := &Outcome{}
	// Quiet seconds skip the model and go to the sinks a span at a time;
	// their figures are the model's for such a second (Model.quiet).
	quietLatency := seconds(model.base)
	quietLatencySec := quietLatency.Seconds()
	spans := &spanOut{sinks: sinks, row: row, per: svc.CapacityPerInstance,
		sp: Span{Demand: make([]float64, 0, min(total, spanSeconds)), Latency: quietLatency, Latencies: Latencies{base: model.base}}}
	progressEvery := max(total/100, 1)
	progressAt := 0 // Progress is called after this second
	stepSec, interval, boundary, rate := tr.StepSeconds(), 0, 0, 0.0
	// The run goes from event to event — a decision, a detector step, a
	// launch becoming ready, a look at the context, a progress report —
	// and between two, second by second, at a capacity and a desired
	// count that do not change.
	for sec := 0; sec < total; {
		if sec%cancelEvery == 0 && cfg.Context != nil {
			if err := cfg.Context.Err(); err != nil {
				return nil, err
			}
		}
		f.Tick(sec)
		var cut *headroom.Decision
		if sec == nextSec && !next.IsZero() {
			now := start.Add(time.Duration(sec) * time.Second)
			in := engine.Input{
				Now: now, Policy: pol, Current: f.Capacity(), State: state, Guards: cfg.Guards,
				Observation: hist.observe(now, sec, obsWindow, obsDelay),
				// The run keeps only the state Decide returns, and the
				// message of the few decisions it lists: terse, then
				// again in full from the state as it was for those.
				Reuse: true, Terse: true,
			}
			before.save(state)
			out := engine.Decide(in)
			if out.Changed() || out.Reason.Code == headroom.ReasonScheduled || guardNews(res.Decisions, out.Decision) {
				in.State, in.Reuse, in.Terse = before.restore(), false, false
				out = engine.Decide(in)
				res.Decisions = append(res.Decisions, out.Decision)
			}
			state = out.State
			if out.Desired < out.Current {
				// A copy: the detector may keep it, and out stays on
				// the stack (it was a heap object every decision).
				d := out.Decision
				cut = &d
			}
			f.Scale(out.Desired, sec, startup)
			desired = out.Desired
			next = out.Next
			nextSec = sec + 1
			if !next.IsZero() {
				nextSec = max(int(math.Ceil(next.Sub(start).Seconds())), sec+1)
			}
		}

		if det != nil && sec > 0 && (sec == det.due || cut != nil) {
			if sec == det.due {
				det.due += det.every
			}
			det.step(start.Add(time.Duration(sec)*time.Second), f.Ready, desired, cut, res)
		}

		// The seconds up to the next event.
		end := total
		if !next.IsZero() {
			end = min(end, nextSec)
		}
		if det != nil {
			end = min(end, det.due)
		}
		if at, ok := f.nextReady(); ok {
			end = min(end, max(at, sec+1))
		}
		if cfg.Context != nil {
			end = min(end, (sec/cancelEvery+1)*cancelEvery)
		}
		if cfg.Progress != nil {
			end = min(end, progressAt+1)
		}
		c := f.Capacity()
		throughput := float64(c.Ready) * svc.CapacityPerInstance
		instances := float64(c.Total())
		for ; sec < end; sec++ {
			if sec == boundary {
				if interval == final {
					var err error
					if final, err = cfg.Wait(interval + 1); err != nil {
						return nil, err
					}
				}
				// A count is spread evenly over its interval.
				rate = tr.Counts[interval] / float64(stepSec)
				interval++
				boundary += stepSec
			}
			demand := rate
			if cfg.Inject == nil && model.quiet(demand, c.Ready) {
				// What model.serve would say, written out: no outcome,
				// no row; the sinks get the span.
				util := demand / throughput
				hist.push(sec, [obsSeries]float64{100 * util, demand, 0, quietLatencySec})
				if det != nil {
					det.addQuiet(demand, quietLatencySec)
				}
				res.Requests += demand
				res.InstanceSeconds += instances
				spans.add(start, sec, demand, c, desired)
				continue
			}
			spans.flush()
			now := start.Add(time.Duration(sec) * time.Second)
			model.serve(demand, c.Ready, o)
			if cfg.Inject != nil {
				cfg.Inject(sec, demand, o)
			}
			*row = headroom.Second{
				Time: now, Demand: demand, Capacity: c, Desired: desired,
				Utilization: o.Utilization, Latency: o.Latency, ErrorRatio: o.ErrorRatio, Failed: o.Failed,
				InstanceSeconds: instances,
			}
			hist.push(sec, [obsSeries]float64{Utilization(*o, c.Ready), demand, o.Failed, o.Latency.Seconds()})
			if det != nil {
				det.add(demand, o)
			}
			res.Requests += demand
			res.Failed += o.Failed
			res.InstanceSeconds += instances
			for _, s := range sinks {
				s.Add(row)
			}
		}
		if sec-1 == progressAt {
			progressAt += progressEvery
			if cfg.Progress != nil {
				cfg.Progress(sec-1, total)
			}
		}
	}
	spans.flush()
	if cfg.Progress != nil {
		cfg.Progress(total, total)
	}
	return res, nil
}

// stateCopy keeps an engine state as it was before a Decide with Reuse,
// which writes into the state's arrays (the stabilization windows, the
// next activations): they are copied into buffers of its own.
type stateCopy struct {
	st       engine.State
	up, down []engine.Sample
	fire     []time.Time
}

func (c *stateCopy) save(st engine.State) {
	c.st = st
	c.up = append(c.up[:0], st.UpWindow...)
	c.down = append(c.down[:0], st.DownWindow...)
	c.fire = append(c.fire[:0], st.NextFire...)
}

// restore returns the state saved, on arrays of its own (the buffers serve
// the next save).
func (c *stateCopy) restore() engine.State {
	st := c.st
	st.UpWindow, st.DownWindow, st.NextFire = cloneAs(st.UpWindow, c.up), cloneAs(st.DownWindow, c.down), cloneAs(st.NextFire, c.fire)
	return st
}

// cloneAs returns a copy of saved, nil where the state's slice was nil.
func cloneAs[T any](was, saved []T) []T {
	if was == nil {
		return nil
	}
	return append(make([]T, 0, len(saved)), saved...)
}

// detection runs the detector beside the engine: it sums the seconds since
// its last evaluation, as a metrics query over the loop would.
type detection struct {
	d     *detect.Detector
	model *Model
	slo   headroom.SLO
	every int // seconds
	due   int // the next multiple of every: a count, not a division per second
	// since the last evaluation
	secs               int
	requests, failed   float64
	latencySum, served float64
	index              map[string]int // rule → index in res.Alerts of its firing alert
}

func newDetection(cfg Config, m *Model) *detection {
	if cfg.Detect == nil {
		return nil
	}
	every := int(cfg.DetectInterval / time.Second)
	if every <= 0 {
		every = int(DefaultDetectInterval / time.Second)
	}
	return &detection{d: detect.New(*cfg.Detect, detect.State{}), model: m, slo: cfg.Service.SLO, every: every, due: every, index: map[string]int{}}
}

// add sums one second.
func (dt *detection) add(demand float64, o *Outcome) {
	dt.secs++
	dt.requests += demand
	dt.failed += o.Failed
	served := max(0, demand-o.Failed)
	dt.served += served
	dt.latencySum += served * o.Latency.Seconds()
}

// addQuiet is add for a quiet second: nothing failed, every request
// served at latency (seconds).
func (dt *detection) addQuiet(demand, latency float64) {
	dt.secs++
	dt.requests += demand
	dt.served += demand
	dt.latencySum += demand * latency
}

// step evaluates the detector at now on the seconds since the last
// evaluation, and keeps the alerts in res.
func (dt *detection) step(now time.Time, ready, desired int, cut *headroom.Decision, res *Result) {
	in := detect.Input{Now: now, Interval: time.Duration(dt.secs) * time.Second, Ready: ready, Desired: desired, Decision: cut}
	if dt.secs > 0 {
		in.HasDemand, in.HasHealth = true, true
		in.Demand = dt.requests / float64(dt.secs)
		if dt.requests > 0 {
			in.ErrorRatio = min(1, dt.failed/dt.requests)
		}
		if dt.served > 0 {
			in.Latency = time.Duration(dt.latencySum / dt.served * float64(time.Second))
		}
		in.Needed = dt.needed(in.Demand, ready, cut)
	}
	out := dt.d.Advance(&in)
	for _, a := range out.Ended {
		if i, ok := dt.index[a.Rule]; ok {
			res.Alerts[i].EndsAt = a.EndsAt
			delete(dt.index, a.Rule)
		}
	}
	for _, a := range out.Started {
		dt.index[a.Rule] = len(res.Alerts)
		res.Alerts = append(res.Alerts, a)
	}
	dt.secs, dt.requests, dt.failed, dt.latencySum, dt.served = 0, 0, 0, 0, 0
}

// needed is what the detector's Input.Needed asks: the count demand needs,
// or — when ready instances are enough, and the cut, if any, left enough —
// the smaller of the two, which compares with both as the exact count does
// (detect.Input says so). Required's search costs a dozen evaluations of
// the queue; Enough one, or none far from saturation.
func (dt *detection) needed(demand float64, ready int, cut *headroom.Decision) int {
	have := ready
	if cut != nil {
		have = min(have, cut.Desired)
	}
	if demand > 0 && have > 0 && dt.model.Enough(demand, have, dt.slo.MaxLatency) {
		return have
	}
	return dt.model.Required(demand, dt.slo.MaxLatency)
}

// guardNews reports whether d is a guard stepping in that the log has not
// shown yet: a deferral repeated every loop is logged once, when it starts.
func guardNews(log []headroom.Decision, d headroom.Decision) bool {
	switch d.Reason.Code {
	case headroom.ReasonScaleInDeferred, headroom.ReasonScaleInLimited, headroom.ReasonBlind, headroom.ReasonEmergency:
		return len(log) == 0 || log[len(log)-1].Reason.Code != d.Reason.Code
	}
	return false
}

// initialCapacity is the policy's initialInstances, or what target tracking
// would settle on for the first minute of traffic (the service was running
// before the recording started), within the bounds in force.
func initialCapacity(svc *headroom.Service, pol *headroom.Policy, tr *headroom.Series, st engine.State) int {
	if pol.Initial > 0 {
		return clamp(pol.Initial, st.Min, st.Max)
	}
	var sum float64
	first := min(60, tr.Seconds())
	for i := 0; i < first; i++ {
		sum += tr.RateAt(i)
	}
	demand := sum / float64(first)
	n := count(math.Ceil(demand / svc.CapacityPerInstance))
	if t := pol.Target; t != nil {
		// The count each metric would settle on; the highest wins.
		for _, m := range t.Metrics {
			switch {
			case m.Kind == headroom.MetricCron:
				// A clock metric: its window's count if open at start.
				if m.Window.OpenAt(tr.Start) {
					n = max(n, m.Window.Desired)
				}
			case m.Kind == headroom.MetricCPU:
				n = max(n, count(math.Ceil(demand/(svc.CapacityPerInstance*m.Target/100))))
			case !m.Total:
				n = max(n, count(math.Ceil(demand/m.Target)))
			}
		}
	}
	return clamp(n, st.Min, st.Max)
}

func initialMessage(pol *headroom.Policy, n int) string {
	switch {
	case pol.Initial > 0:
		return fmt.Sprintf("run starts at initialInstances: %d", n)
	case pol.Target == nil:
		return fmt.Sprintf("run starts at %d instances: what the first minute of traffic needs at full utilization, within the bounds in force", n)
	}
	return fmt.Sprintf("run starts at %d instances, where target tracking settles for the first minute of traffic within the bounds in force", n)
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// InitialCapacity is the capacity a run of policy p on tr starts with (see
// Run): the live loop on a simulated world starts there too, so the two
// agree.
func InitialCapacity(svc *headroom.Service, p *headroom.Policy, tr *headroom.Series) int {
	return initialCapacity(svc, p, tr, engine.NewState(p, tr.Start))
}
