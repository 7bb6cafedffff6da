package sim

import (
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/queueing"
)

// Model turns demand and ready instances into what users see, one second
// at a time.
//
// Each instance is k = round(capacity × base latency) parallel workers (at
// least 1), so a pool of n ready instances is an M/M/c queue with c = n·k
// servers, each serving capacity/k requests per second: total throughput is
// exactly n × capacity. The proxy in front answers 502 to a request that
// could not start within the request timeout, which makes the queue M/M/c+D
// (queueing.Deadline): while demand is below throughput, latency is the
// base latency plus the served requests' mean wait, and the requests that
// would wait past the timeout fail. (The plain M/M/c tail C(c, a)·e^(−(cμ−λ)t)
// counts them as if they still waited in the queue: near saturation it
// overstated the 502s by a factor 1/(1−ρ) and the served requests' wait
// without bound; bench/model measured both against a real service.)
//
// When demand exceeds throughput, the excess queues as a fluid backlog that
// carries over to the next second; requests that could not start within the
// request timeout are answered 502 by the proxy in front. First come first
// served behind the backlog, a second's served requests waited from what
// the backlog held when the second began to what it holds when it ends
// (over throughput), evenly spread: a backlog builds up to the timeout's
// worth over seconds rather than at once, and drains the same way. With no
// ready instance, everything fails. That is the shape of the seed incident:
// 502s and a latency jump.
type Model struct {
	svc     *headroom.Service
	k       int     // workers per instance
	mu      float64 // service rate of one worker, requests/s
	base    float64 // base latency, seconds
	timeout float64 // request timeout, seconds
	backlog float64 // requests waiting from earlier seconds
	// cache is made by the first figure it holds: most models (a chart's,
	// an evaluator's) never ask, and 256 KB zeroed for each was a good
	// share of check's page faults.
	cache *[1 << 12]cacheEntry
	// tables memoize the same figures densely, by integer rate, a table
	// per server count: per-second counts are integers and the next
	// second's rate lies near this one's, so a table stays in the CPU's
	// caches where the hashed cache above misses (BenchmarkCheckWeek's two
	// policies ask for ~10,000 different (c, λ); the hashed cache computed
	// 30,000 for them). last is the table of the count used last.
	tables     map[int]*stableTable
	last       *stableTable
	tableRates int // rates held by all tables, at most maxTableRates
}

// maxTableRates bounds the tables' memory: ~13 MB of figures. Past it they
// start over (a run moves between a few dozen counts: it never does).
// maxRatesPerTable bounds one table: the rates between the far bound and
// saturation are √(40c)·μ (1,600 for 400 servers at 12.5/s each).
const (
	maxTableRates    = 1 << 18
	maxRatesPerTable = 1 << 16
)

// stableTable is the M/M/c+D queue of c servers for integer rates lo,
// lo+1, ..., in pages made when a rate in them is first asked: a run's
// rates at one count keep to a narrow band of the table's range, and a
// table made whole was most of check's page faults.
type stableTable struct {
	c     int
	lo    int
	n     int // rates
	pages []*tablePage
}

// tablePage holds the figures of pageRates consecutive rates; known has a
// bit for each figure computed.
type tablePage struct {
	known uint64
	queue [pageRates]queueing.Deadline
}

const pageRates = 64

// cacheEntry memoizes the stable-queue figures: traffic repeats the same
// rates (a minute of data is 60 equal seconds; per-second counts are
// integers) at the same instance count.
type cacheEntry struct {
	c      int
	lambda float64
	queue  queueing.Deadline
}

// Outcome is one second as users saw it.
type Outcome struct {
	// Utilization is offered demand over ready capacity (may exceed 1);
	// Busy is the share of ready capacity that served requests (at most
	// 1, and 1 while a backlog waits): what a CPU metric reads.
	Utilization float64
	Busy        float64
	// Latency is the mean response time of the requests served;
	// Latencies their distribution, for percentiles.
	Latency    time.Duration
	Latencies  Latencies
	ErrorRatio float64
	Failed     float64
}

// Latencies is the distribution of one second's served response times: the
// base latency plus a wait, either the M/M/c+D queue's (a stable second) or
// spread evenly between two bounds (a second behind a fluid backlog).
type Latencies struct {
	base     float64
	queue    queueing.Deadline
	fluid    bool
	from, to float64 // a fluid second's waits, seconds
}

// Exceeds returns the share of the served requests slower than d.
func (l Latencies) Exceeds(d time.Duration) float64 {
	t := d.Seconds() - l.base
	switch {
	case t < 0:
		return 1
	case !l.fluid:
		return l.queue.Tail(t)
	case t >= l.to:
		return 0
	case t < l.from:
		return 1
	}
	return (l.to - t) / (l.to - l.from)
}

// Quantile returns the p-quantile (0 < p < 1) of the served requests'
// response times, in closed form: base + the wait's quantile.
func (l Latencies) Quantile(p float64) time.Duration {
	if !l.fluid {
		return seconds(l.base + l.queue.Quantile(p))
	}
	return seconds(l.base + l.from + p*(l.to-l.from))
}

// Mixture is the response times of several seconds together, each weighted
// by the requests it served: a window's. Its percentile is not the mean of
// the seconds' percentiles.
type Mixture struct {
	parts   []Latencies
	weights []float64
	total   float64
	lo, hi  float64 // bounds of every response time, seconds
}

// Add adds a second's served requests; equal consecutive seconds (traffic
// at a minute's step) share one entry.
func (x *Mixture) Add(l Latencies, served float64) {
	if !(served > 0) {
		return
	}
	if n := len(x.parts); n > 0 && x.parts[n-1] == l {
		x.weights[n-1] += served
	} else {
		x.parts = append(x.parts, l)
		x.weights = append(x.weights, served)
		lo, hi := l.base, l.base+l.queue.Quantile(1-1e-15)
		if l.fluid {
			hi = l.base + l.to
		}
		if len(x.parts) == 1 {
			x.lo, x.hi = lo, hi
		}
		x.lo, x.hi = min(x.lo, lo), max(x.hi, hi)
	}
	x.total += served
}

// Reset empties the mixture, keeping its memory.
func (x *Mixture) Reset() {
	x.parts, x.weights, x.total = x.parts[:0], x.weights[:0], 0
}

// Served returns the requests the mixture holds.
func (x *Mixture) Served() float64 { return x.total }

// Quantile returns the p-quantile (0 < p < 1) of the mixture's response
// times: the t at which the served requests slower than t are 1 − p of
// them, found by bisection on the mixture's distribution (60 halvings: to
// well under a microsecond). Zero when the mixture is empty.
func (x *Mixture) Quantile(p float64) time.Duration {
	if x.total == 0 {
		return 0
	}
	if len(x.parts) == 1 {
		return x.parts[0].Quantile(p)
	}
	target := (1 - p) * x.total
	lo, hi := x.lo, x.hi
	for range 60 {
		mid := lo + (hi-lo)/2
		var above float64
		for i, l := range x.parts {
			above += x.weights[i] * l.Exceeds(seconds(mid))
		}
		if above > target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return seconds(hi)
}

// Bounds that keep the model's integer arithmetic from overflowing, whatever
// the service (policy validation keeps real inputs far below them).
const (
	// maxWorkers bounds k, the workers of one instance. Past a million an
	// M/M/c queue is a fluid one: the figures do not change, the sums
	// stay exact.
	maxWorkers = 1 << 20
	// maxServers bounds c = ready × k, and maxCount the instance counts
	// Required returns: both keep float64(c) exact and c·k in an int.
	maxServers = 1 << 52
	maxCount   = 1 << 31
)

// NewModel returns a model of svc with an empty backlog.
func NewModel(svc *headroom.Service) *Model {
	k := int(min(maxWorkers, max(1, math.Round(svc.CapacityPerInstance*svc.BaseLatency.Seconds()))))
	return &Model{svc: svc, k: k, mu: svc.CapacityPerInstance / float64(k),
		base: svc.BaseLatency.Seconds(), timeout: svc.Timeout().Seconds()}
}

// servers returns c = ready × k, saturated at maxServers.
func (m *Model) servers(ready int) int {
	if ready <= 0 {
		return 0
	}
	if ready > maxServers/m.k {
		return maxServers
	}
	return ready * m.k
}

// WorkersPerInstance returns k, the parallel workers one instance has.
func (m *Model) WorkersPerInstance() int { return m.k }

// far reports whether c servers are far from saturation at arrival rate
// lambda, x = c − λ/μ servers spare with x² > 40c. There a Poisson tail
// bounds Erlang C: with N ~ Poisson(a), B ≤ 2·P(N ≥ a+x) ≤ 2·e^(−x²/2c) <
// 5e-9 and C ≤ B/(1−ρ) = B·c/x < 1e-9·√c. The wait is under a microsecond
// and the timeout tail under 1e-7 even for 20,000 servers: the model
// counts neither (not worth an evaluation per simulated second).
func (m *Model) far(c int, lambda float64) bool {
	x := float64(c) - lambda/m.mu
	return x > 0 && x*x > 40*float64(c)
}

// quiet reports whether the next second of demand on ready instances is
// one no request waits in or fails: no backlog, and ready instances far
// from saturation. Such a second is Latency = the base latency, nothing
// failed, every request served, Utilization = demand / throughput
// (Serve's answer, which Run's quiet path writes without it). A negative
// demand (no reader makes one) is not quiet: Serve serves none of it.
func (m *Model) quiet(demand float64, ready int) bool {
	return m.backlog == 0 && ready > 0 && demand >= 0 && demand <= float64(ready)*m.svc.CapacityPerInstance && m.far(m.servers(ready), demand)
}

// stable returns the M/M/c+D queue with c servers at arrival rate lambda,
// which must be at most c·μ.
func (m *Model) stable(c int, lambda float64) queueing.Deadline {
	if m.far(c, lambda) {
		return queueing.Deadline{}
	}
	if r := int(lambda); float64(r) == lambda && r >= 0 {
		if t := m.table(c); t != nil {
			if i := r - t.lo; i >= 0 && i < t.n {
				p := t.pages[i/pageRates]
				if p == nil {
					p = new(tablePage)
					t.pages[i/pageRates] = p
				}
				bit := uint64(1) << (i % pageRates)
				if p.known&bit == 0 {
					p.queue[i%pageRates], p.known = queueing.NewDeadline(c, lambda, m.mu, m.timeout-m.base), p.known|bit
				}
				return p.queue[i%pageRates]
			}
		}
	}
	if m.cache == nil {
		m.cache = new([1 << 12]cacheEntry)
	}
	h := uint64(c)*0x9E3779B97F4A7C15 ^ math.Float64bits(lambda)*0xBF58476D1CE4E5B9
	e := &m.cache[h>>52]
	if e.c == c && e.lambda == lambda {
		return e.queue
	}
	q := queueing.NewDeadline(c, lambda, m.mu, m.timeout-m.base)
	*e = cacheEntry{c: c, lambda: lambda, queue: q}
	return q
}

// table returns the dense table of c servers, made if need be; nil when
// it would be too large.
func (m *Model) table(c int) *stableTable {
	if t := m.last; t != nil && t.c == c {
		return t
	}
	t := m.tables[c]
	if t == nil {
		// The rates that are not far from saturation: from μ(c − √(40c)),
		// less a margin for rounding, to cμ.
		n := float64(c)
		lo := max(0, int(m.mu*(n-math.Sqrt(40*n)))-2)
		hi := n*m.mu + 2
		if !(hi-float64(lo) < maxRatesPerTable) {
			return nil
		}
		size := int(hi) - lo + 1
		if m.tables == nil || m.tableRates+size > maxTableRates {
			m.tables, m.tableRates = map[int]*stableTable{}, 0
		}
		t = &stableTable{c: c, lo: lo, n: size, pages: make([]*tablePage, (size+pageRates-1)/pageRates)}
		m.tables[c], m.tableRates = t, m.tableRates+size
	}
	m.last = t
	return t
}

// Serve simulates one second of demand (requests/s) on ready instances.
func (m *Model) Serve(demand float64, ready int) Outcome {
	var o Outcome
	m.serve(demand, ready, &o)
	return o
}

// serve is Serve writing the outcome into o, whatever o held: the
// simulator's loop keeps one outcome rather than copy a new one out every
// second.
func (m *Model) serve(demand float64, ready int, o *Outcome) {
	throughput := float64(ready) * m.svc.CapacityPerInstance
	*o = Outcome{}
	if throughput > 0 {
		o.Utilization = demand / throughput
	} else if demand > 0 {
		o.Utilization = math.Inf(1)
	}
	maxWait := m.timeout - m.base
	if m.backlog == 0 && demand <= throughput && throughput > 0 {
		// Stable: M/M/c with the proxy's deadline. At exactly 100% the
		// plain M/M/c queue has no steady state; with the deadline it
		// has one, its waits spread up to the timeout.
		o.Busy = o.Utilization
		q := m.stable(m.servers(ready), demand)
		o.Failed = demand * q.TimedOut
		o.Latency = seconds(m.base + q.MeanWait)
		o.Latencies = Latencies{base: m.base, queue: q}
		if demand > 0 {
			o.ErrorRatio = q.TimedOut
		}
		return
	}
	// Overloaded, or draining a backlog: a fluid queue with a timeout.
	queued := m.backlog + demand
	served := min(queued, throughput)
	if throughput > 0 {
		o.Busy = served / throughput
	}
	left := queued - served
	keep := throughput * maxWait // what can still start before timing out
	failed := max(0, left-keep)
	// First come first served, the second's first request served waited
	// for the backlog before it, its last for the backlog it leaves.
	from, to := maxWait, maxWait
	if throughput > 0 {
		from = min(maxWait, m.backlog/throughput)
	}
	m.backlog = left - failed
	if m.backlog < 1e-9 {
		m.backlog = 0
	}
	if throughput > 0 {
		to = min(maxWait, m.backlog/throughput)
	}
	from, to = min(from, to), max(from, to)
	o.Failed = failed
	if demand > 0 {
		o.ErrorRatio = min(1, failed/demand)
	}
	o.Latency = seconds(m.base + (from+to)/2)
	o.Latencies = Latencies{base: m.base, fluid: true, from: from, to: to}
}

// Utilization is the CPU utilization a second reads, in percent: the busy
// share of ready capacity. With no ready instance it reads as saturated.
func Utilization(o Outcome, ready int) float64 {
	if ready <= 0 {
		return 100
	}
	return 100 * o.Busy
}

// Required returns the fewest ready instances that serve demand with a mean
// latency within maxLatency and, when the service's SLO bounds a latency
// percentile, that percentile within its bound: the capacity a policy
// should have had. Both are the plain M/M/c queue's (no timeout to relieve
// it), stable.
func (m *Model) Required(demand float64, maxLatency time.Duration) int {
	if demand <= 0 {
		return 0
	}
	servers := queueing.MinServers(demand, m.mu, maxLatency.Seconds()-m.base)
	if slo := m.svc.SLO; slo.Percentile > 0 && servers >= 0 {
		q := queueing.MinServersQuantile(demand, m.mu, slo.Percentile/100, slo.MaxPercentileLatency.Seconds()-m.base)
		servers = max(servers, q)
		if q < 0 {
			servers = -1
		}
	}
	if servers < 0 {
		// No count meets a latency at or under the base latency (validation
		// refuses such an SLO), or the answer is beyond 2^52 servers; say
		// what keeps the queue stable at least.
		return count(demand/m.svc.CapacityPerInstance + 1)
	}
	return min(maxCount, (servers+m.k-1)/m.k)
}

// Enough reports whether ready instances meet what Required asks,
// Required(demand, maxLatency) <= ready, with one evaluation of the queue
// at ready instances instead of Required's search (none far from
// saturation): the detector asks it every loop, and a month's check loops
// 170,000 times a policy. The two agree because the mean wait and the
// percentile both fall as servers are added, which is what Required's
// search relies on too. Odd inputs (no traffic, a bound at or under the
// base latency, astronomic counts) take Required's own answer.
func (m *Model) Enough(demand float64, ready int, maxLatency time.Duration) bool {
	wait := maxLatency.Seconds() - m.base
	slo := m.svc.SLO
	pwait := slo.MaxPercentileLatency.Seconds() - m.base
	if !(demand > 0) || !(wait > 0) || ready <= 0 || ready > (1<<40)/m.k ||
		!(demand/m.mu < 1<<40) || (slo.Percentile > 0 && !(pwait >= 0)) {
		return m.Required(demand, maxLatency) <= ready
	}
	c := ready * m.k
	n := float64(c)
	if !(demand < n*m.mu) {
		// Unstable at c: Required starts its search above it.
		return false
	}
	// Far from saturation C(c, a) < 1e-9·√c and the mean wait C/(cμ − λ)
	// under 1e-9/(6μ): below any bound of 1e-9/μ or more.
	far := m.far(c, demand)
	if !(far && wait >= 1e-9/m.mu) && queueing.MeanWait(c, demand, m.mu) > wait {
		return false
	}
	if p := slo.Percentile / 100; slo.Percentile > 0 && !(far && 1e-9*math.Sqrt(n) < (1-p)/2) &&
		queueing.WaitQuantile(c, demand, m.mu, p) > pwait {
		// Past the far bound fewer than 1 − p queue at all: quantile 0.
		return false
	}
	return true
}

// count converts an instance count to an int, saturated at maxCount (a NaN
// too): never the wrapped negative number of a plain conversion.
func count(x float64) int {
	if !(x < maxCount) {
		return maxCount
	}
	return max(0, int(x))
}

// seconds converts to a Duration, saturated rather than wrapped.
func seconds(s float64) time.Duration {
	if !(s < float64(math.MaxInt64)/float64(time.Second)) {
		return math.MaxInt64
	}
	return time.Duration(s * float64(time.Second))
}
