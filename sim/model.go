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
// exactly n × capacity. While demand is below throughput, latency is the
// base latency plus the Erlang C mean wait, and requests whose wait would
// pass the timeout fail: P(Wq > t) = C(c, a)·e^(−(cμ−λ)t).
//
// When demand exceeds throughput, the excess queues as a fluid backlog that
// carries over to the next second; requests that could not start within the
// request timeout are answered 502 by the proxy in front. At or over
// capacity, served requests wait about the timeout (an M/M/c queue at 100%
// has no steady state); while a backlog drains, they wait for it. With no
// ready instance, everything fails. That is the shape of the seed incident: 502s and a latency jump.
type Model struct {
	svc     *headroom.Service
	k       int     // workers per instance
	mu      float64 // service rate of one worker, requests/s
	base    float64 // base latency, seconds
	timeout float64 // request timeout, seconds
	backlog float64 // requests waiting from earlier seconds
	cache   [1 << 12]cacheEntry
}

// cacheEntry memoizes the stable-queue figures: traffic repeats the same
// rates (a minute of data is 60 equal seconds; per-second counts are
// integers) at the same instance count.
type cacheEntry struct {
	c      int
	lambda float64
	wait   float64 // Wq, seconds
	tail   float64 // P(Wq > timeout − base)
}

// Outcome is one second as users saw it.
type Outcome struct {
	// Utilization is offered demand over ready capacity (may exceed 1);
	// Busy is the share of ready capacity that served requests (at most
	// 1, and 1 while a backlog waits): what a CPU metric reads.
	Utilization float64
	Busy        float64
	Latency     time.Duration
	ErrorRatio  float64
	Failed      float64
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

// stable returns Wq and the timeout tail of an M/M/c queue with c servers
// at arrival rate lambda, which must be under c·μ.
func (m *Model) stable(c int, lambda float64) (wait, tail float64) {
	a := lambda / m.mu
	if x := float64(c) - a; x > 0 && x*x > 40*float64(c) {
		// Far from saturation a Poisson tail bounds Erlang C: with N ~
		// Poisson(a), B ≤ 2·P(N ≥ a+x) ≤ 2·e^(−x²/2c) < 5e-9 and
		// C ≤ B/(1−ρ) = B·c/x < 1e-9·√c. The wait is under a
		// microsecond and the timeout tail under 1e-7 even for 20,000
		// servers: not worth an evaluation per simulated second.
		return 0, 0
	}
	h := uint64(c)*0x9E3779B97F4A7C15 ^ math.Float64bits(lambda)*0xBF58476D1CE4E5B9
	e := &m.cache[h>>52]
	if e.c == c && e.lambda == lambda {
		return e.wait, e.tail
	}
	wait, tail = queueing.Waits(c, lambda, m.mu, m.timeout-m.base)
	*e = cacheEntry{c: c, lambda: lambda, wait: wait, tail: tail}
	return wait, tail
}

// Serve simulates one second of demand (requests/s) on ready instances.
func (m *Model) Serve(demand float64, ready int) Outcome {
	throughput := float64(ready) * m.svc.CapacityPerInstance
	var o Outcome
	if throughput > 0 {
		o.Utilization = demand / throughput
	} else if demand > 0 {
		o.Utilization = math.Inf(1)
	}
	maxWait := m.timeout - m.base
	if m.backlog == 0 && demand < throughput {
		// Stable: M/M/c.
		o.Busy = o.Utilization
		wq, tail := m.stable(m.servers(ready), demand)
		tail = min(1, tail)
		o.Failed = demand * tail
		o.Latency = seconds(m.base + wq)
		if demand > 0 {
			o.ErrorRatio = tail
		}
		return o
	}
	// Overloaded: fluid backlog with a timeout.
	queued := m.backlog + demand
	served := min(queued, throughput)
	if throughput > 0 {
		o.Busy = served / throughput
	}
	left := queued - served
	keep := throughput * maxWait // what can still start before timing out
	failed := max(0, left-keep)
	m.backlog = left - failed
	if m.backlog < 1e-9 {
		m.backlog = 0
	}
	o.Failed = failed
	if demand > 0 {
		o.ErrorRatio = min(1, failed/demand)
	}
	// At or over capacity an M/M/c queue has no steady state: it grows
	// until requests time out, so served requests wait about the timeout.
	// Draining a backlog, they wait for it plus the M/M/c wait.
	wait := maxWait
	if demand < throughput {
		mmc, _ := m.stable(m.servers(ready), demand)
		wait = min(maxWait, m.backlog/throughput+mmc)
	}
	o.Latency = seconds(m.base + wait)
	return o
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
// latency within maxLatency: the capacity a policy should have had.
func (m *Model) Required(demand float64, maxLatency time.Duration) int {
	if demand <= 0 {
		return 0
	}
	servers := queueing.MinServers(demand, m.mu, maxLatency.Seconds()-m.base)
	if servers < 0 {
		// No count meets a latency at or under the base latency (validation
		// refuses such an SLO), or the answer is beyond 2^52 servers; say
		// what keeps the queue stable at least.
		return count(demand/m.svc.CapacityPerInstance + 1)
	}
	return min(maxCount, (servers+m.k-1)/m.k)
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
