package queueing

import "math"

// WaitQuantile returns the p-quantile of the time a request queues in an
// M/M/c queue (0 < p < 1): the t with P(Wq > t) = C(c, a)·e^(−(cμ−λ)t) =
// 1 − p, which is closed-form, or 0 when fewer than 1 − p of the requests
// queue at all. It is +Inf when lambda >= c*mu, and NaN when an argument is
// NaN or p is outside (0, 1).
func WaitQuantile(c int, lambda, mu, p float64) float64 {
	if math.IsNaN(lambda) || math.IsNaN(mu) || !(p > 0 && p < 1) {
		return math.NaN()
	}
	capacity := float64(c) * mu
	switch {
	case lambda <= 0:
		return 0
	case !(lambda < capacity):
		return math.Inf(1)
	}
	erl := ErlangC(c, lambda/mu)
	if erl <= 1-p {
		return 0
	}
	return math.Log(erl/(1-p)) / (capacity - lambda)
}

// MinServersQuantile returns the smallest c >= 1 such that the queue is
// stable and WaitQuantile(c, lambda, mu, p) <= maxWait: the capacity a
// percentile latency target asks for. It returns 1 when lambda <= 0 and -1
// when no count satisfies it (maxWait < 0, mu <= 0, an infinite lambda, a
// NaN, p outside (0, 1), or an answer above 2^52).
func MinServersQuantile(lambda, mu, p, maxWait float64) int {
	if !(p > 0 && p < 1) || math.IsNaN(maxWait) || maxWait < 0 {
		return -1
	}
	// maxWait = 0 is a target a finite count meets (fewer than 1 − p
	// queue at all), unlike a mean wait of 0.
	return minServers(lambda, mu, func(c int) bool { return WaitQuantile(c, lambda, mu, p) <= maxWait })
}

// Deadline is the steady state of an M/M/c queue whose requests give up
// after waiting a fixed time for a server (M/M/c+D: Poisson arrivals, c
// exponential servers, first come first served, deterministic patience): a
// proxy that answers 502 when a request could not start within its timeout.
// Unlike the plain M/M/c queue it has a steady state at any load, overload
// included: the requests that time out relieve the queue.
//
// Conditional on finding every server busy, the wait a request would be
// offered has the density ∝ exp(λ·min(x, T) − cμx) (Baccelli and Hébuterne,
// 1981; Zeltyn and Mandelbaum, "Call centers with impatient customers",
// 2005, for M/M/n+G): exponential at rate cμ − λ up to the deadline T, at
// rate cμ beyond it. An arrival finds every server busy with probability
// λJ·B(c−1, a) / (1 + λJ·B(c−1, a)), J being the density's integral and B
// Erlang B; with T = ∞ this is Erlang C.
type Deadline struct {
	// Queued is the probability that an arrival finds every server busy.
	Queued float64
	// TimedOut is the probability that an arrival waits longer than the
	// deadline (and is answered with an error).
	TimedOut float64
	// MeanWait is the mean wait of the requests served (those that did
	// not time out), zeros included.
	MeanWait float64

	gap, limit float64 // cμ − λ; the deadline
	waited     float64 // P(0 < W ≤ T | served)
}

// NewDeadline returns the steady state of c servers of rate mu, arrivals at
// rate lambda, and a deadline limit on the wait. Arguments are expected
// finite, c >= 1, mu > 0 and limit > 0; lambda <= 0 is an idle queue.
func NewDeadline(c int, lambda, mu, limit float64) Deadline {
	if !(lambda > 0) {
		return Deadline{limit: limit}
	}
	n := float64(c)
	g := n*mu - lambda
	logA := logIntegral(g, limit)        // log ∫_0^T e^(−gx) dx
	logTail := -g*limit - math.Log(n*mu) // log ∫_T^∞ e^(λT − cμx) dx
	logJ := max(logA, logTail) + math.Log1p(math.Exp(-math.Abs(logA-logTail)))
	b := ErlangB(c-1, lambda/mu) // 1 at c = 1
	queued := 1 / (1 + math.Exp(-(math.Log(lambda) + logJ + math.Log(b))))
	logK := math.Log(queued) - logJ // the density's scale
	d := Deadline{Queued: queued, TimedOut: math.Exp(logK + logTail), gap: g, limit: limit}
	served := 1 - d.TimedOut
	if served <= 0 {
		return d
	}
	d.waited = min(1, math.Exp(logK+logA)/served)
	d.MeanWait = d.waited * truncatedMean(g, limit)
	return d
}

// Tail returns P(W > t) for a served request: 1 for t < 0, 0 from the
// deadline on.
func (d Deadline) Tail(t float64) float64 {
	switch {
	case t < 0:
		return 1
	case t >= d.limit || d.waited == 0:
		return 0
	}
	// ∫_t^T e^(−gx) dx / ∫_0^T e^(−gx) dx
	return d.waited * math.Exp(-d.gap*t+logIntegral(d.gap, d.limit-t)-logIntegral(d.gap, d.limit))
}

// Quantile returns the p-quantile (0 < p < 1) of the served requests' wait,
// in closed form: 0 when fewer than 1 − p of them queue, below the deadline
// otherwise.
func (d Deadline) Quantile(p float64) float64 {
	q := 1 - p
	if !(q > 0 && q < 1) {
		return math.NaN()
	}
	if d.waited <= q {
		return 0
	}
	r := q / d.waited // P(X > t) for X, the truncated exponential
	g, T := d.gap, d.limit
	var t float64
	switch {
	case g > 0:
		t = -math.Log(r+(1-r)*math.Exp(-g*T)) / g
	case g < 0:
		t = T - math.Log1p(r*math.Expm1(g*T))/g
	default:
		t = T * (1 - r)
	}
	return min(T, max(0, t))
}

// logIntegral returns log ∫_0^x e^(−gy) dy for x > 0 and any g, without
// overflow: log x + log φ(−gx), φ(y) = (e^y − 1)/y.
func logIntegral(g, x float64) float64 {
	if x <= 0 {
		return math.Inf(-1)
	}
	y := -g * x
	var logPhi float64
	switch {
	case math.Abs(y) < 1e-8:
		logPhi = y / 2
	case y > 0:
		logPhi = y + math.Log(-math.Expm1(-y)) - math.Log(y)
	default:
		logPhi = math.Log(-math.Expm1(y)) - math.Log(-y)
	}
	return math.Log(x) + logPhi
}

// truncatedMean returns the mean of an exponential of rate g (any sign: a
// negative rate is a density growing towards T) truncated to (0, T):
// 1/g − T/(e^(gT) − 1), T/2 at g = 0.
func truncatedMean(g, T float64) float64 {
	y := g * T
	if math.Abs(y) < 1e-4 {
		return T/2 - y*T/12
	}
	return 1/g - T/math.Expm1(y)
}
