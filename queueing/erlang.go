package queueing

import "math"

// Method thresholds for ErlangB; see doc.go for the overall approach.
const (
	// recurrenceMaxC is the largest c evaluated with the O(c) recurrence.
	// Up to here the recurrence is faster than the fixed cost of Temme's
	// expansion (about 3 ns per server against 150 ns; measured crossover
	// c ≈ 48), and it is exact to a few ulps.
	recurrenceMaxC = 40
	// temmeMaxSigma bounds |σ| = |a/(c+1) - 1| for Temme's expansion. On
	// this window the generated coefficients are accurate to double
	// precision for c >= 20 (the same window Boost.Math uses for its 53-bit
	// version). Outside it the Poisson sums of erlangBSeries converge
	// quickly: their term ratio is at most 1/1.4 or 0.6.
	temmeMaxSigma = 0.4
	// maxServers bounds MinServers' search; it keeps float64(c) exact.
	maxServers = 1 << 52
)

// ErlangB returns the Erlang B blocking probability for c servers and offered
// load a = λ/μ (Erlangs): the chance that all c servers are busy in a loss
// system, where arrivals that find no free server are turned away.
//
// ErlangB(c, a) is 0 for a <= 0 (no traffic, nothing is blocked), otherwise
// 1 for c <= 0 (there is nothing to serve with) and for a = +Inf, and NaN
// when a is NaN. It is accurate to about 1e-12 relative error for any c, and
// its cost does not grow with c (a few hundred nanoseconds at most).
func ErlangB(c int, a float64) float64 {
	switch {
	case math.IsNaN(a):
		return a
	case a <= 0:
		return 0
	case c <= 0 || math.IsInf(a, 1):
		return 1
	case c <= recurrenceMaxC:
		return erlangBRecurrence(c, a)
	}
	s := float64(c) + 1
	if sigma := (a - s) / s; math.Abs(sigma) <= temmeMaxSigma {
		return erlangBTemme(c, a)
	}
	return erlangBSeries(c, a)
}

// ErlangC returns the probability that an arriving request waits (M/M/c):
// the Erlang C formula for c servers and offered load a = λ/μ. It returns 1
// when a >= c, where the queue is unstable and every request eventually
// waits, 0 when a <= 0, and NaN when a is NaN.
//
// It is computed from Erlang B as C = B / (1 - ρ(1 - B)) with ρ = a/c, which
// is well conditioned for every 0 < ρ < 1, so it shares ErlangB's accuracy.
func ErlangC(c int, a float64) float64 {
	switch {
	case math.IsNaN(a):
		return a
	case a <= 0:
		return 0
	case a >= float64(c):
		return 1
	}
	b := ErlangB(c, a)
	n := float64(c)
	// 1 - ρ(1-B) written as (1-ρ) + ρB: both terms are non-negative, so
	// there is no cancellation however close a is to c.
	return b / ((n-a)/n + a/n*b)
}

// MeanWait returns Wq, the mean time a request spends in the queue before
// service starts, for arrival rate lambda, service rate mu per server and c
// servers: Wq = C(c, λ/μ) / (cμ - λ), in the reciprocal unit of the rates.
// It is +Inf when lambda >= c*mu (the queue grows without bound), 0 when
// lambda <= 0, and NaN when an argument is NaN.
func MeanWait(c int, lambda, mu float64) float64 {
	mean, _ := Waits(c, lambda, mu, 0)
	return mean
}

// Waits returns MeanWait(c, lambda, mu) and P(Wq > t), the probability that
// a request queues for longer than t: C(c, a)·exp(-(cμ - λ)·t). In an M/M/c
// queue the wait of a request that does queue is exponential with rate
// cμ - λ, which is what makes latency percentiles cheap to compute. Both
// come from one evaluation of Erlang C: the simulator needs both every
// second.
//
// The tail is 1 when lambda >= c*mu (unstable) or t < 0, 0 when lambda <= 0
// and t >= 0; both are NaN when an argument is NaN.
func Waits(c int, lambda, mu, t float64) (mean, tail float64) {
	if math.IsNaN(lambda) || math.IsNaN(mu) || math.IsNaN(t) {
		return math.NaN(), math.NaN()
	}
	capacity := float64(c) * mu
	switch {
	case lambda <= 0:
		mean, tail = 0, 0
	case !(lambda < capacity):
		return math.Inf(1), 1
	default:
		erl := ErlangC(c, lambda/mu)
		gap := capacity - lambda
		mean, tail = erl/gap, erl
		if t > 0 {
			// Not erl·exp(-Inf·0) at t = 0 when cμ overflows.
			tail = erl * math.Exp(-gap*t)
		}
	}
	if t < 0 {
		// Every wait, none included, is longer than a negative t.
		tail = 1
	}
	return mean, tail
}

// MinServers returns the smallest c >= 1 such that the queue is stable
// (lambda < c*mu) and MeanWait(c, lambda, mu) <= maxWait: the capacity a
// mean-latency target asks for.
//
// It returns 1 when lambda <= 0 and maxWait >= 0, and -1 when no server count
// satisfies the target: maxWait < 0, maxWait == 0 with traffic (every request
// has some chance to wait), mu <= 0, an infinite lambda, a NaN argument, or an
// answer above 2^52.
//
// It needs O(log(c - λ/μ)) evaluations of ErlangC: MeanWait falls as c grows,
// so it gallops up from the smallest stable c and then bisects.
func MinServers(lambda, mu, maxWait float64) int {
	switch {
	case math.IsNaN(lambda) || math.IsNaN(mu) || math.IsNaN(maxWait):
		return -1
	case maxWait < 0:
		return -1
	case lambda <= 0:
		return 1
	case maxWait == 0 || mu <= 0 || math.IsInf(lambda, 1):
		return -1
	}
	return minServers(lambda, mu, func(c int) bool { return MeanWait(c, lambda, mu) <= maxWait })
}

// minServers returns the smallest stable c for which holds, a test that
// stays true once true as c grows: 1 when lambda <= 0, -1 when mu <= 0,
// lambda is infinite or NaN, or the answer is above 2^52.
func minServers(lambda, mu float64, holds func(int) bool) int {
	switch {
	case math.IsNaN(lambda) || math.IsNaN(mu):
		return -1
	case lambda <= 0:
		return 1
	case mu <= 0 || math.IsInf(lambda, 1):
		return -1
	}
	a := lambda / mu
	if a >= maxServers {
		return -1
	}
	// The smallest stable c is floor(a)+1; nudge it so that it agrees with
	// MeanWait's own stability test, lambda < c*mu, whatever the rounding of a.
	lo := int(a) + 1
	for lo > 1 && lambda < float64(lo-1)*mu {
		lo--
	}
	for !(lambda < float64(lo)*mu) {
		lo++
	}
	if holds(lo) {
		return lo
	}
	// Gallop: the answer usually lies between √a/10 and a few √a above a
	// (square-root staffing), so doubling steps from √a/4 find a bracket
	// (lo fails, hi holds) in a few evaluations, and bisection closes it.
	step := max(1, int(math.Sqrt(a)/4))
	hi := lo + step
	for !holds(hi) {
		lo = hi
		step *= 2
		hi = lo + step
		if hi > maxServers {
			return -1
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if holds(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// erlangBRecurrence is the textbook recurrence
//
//	B(0) = 1,  B(k) = a·B(k-1) / (k + a·B(k-1)),
//
// O(c) but unconditionally stable: each step damps the relative error of the
// previous one, so the result is good to a few ulps times c at worst. ErlangB
// uses it for small c, and the tests use it as the reference implementation
// that every other method is checked against.
func erlangBRecurrence(c int, a float64) float64 {
	b := 1.0
	for k := 1; k <= c; k++ {
		ab := a * b
		b = ab / (float64(k) + ab)
	}
	return b
}
