// Package queueing is the M/M/c queueing math that headroom's simulator uses to
// turn demand and capacity into latency.
//
// The simulator models a service as c identical worker slots (instances ×
// slots per instance) fed by Poisson arrivals at rate λ, each slot serving at
// rate μ with exponential service times. Under those assumptions the queue is
// M/M/c and everything the simulator needs follows from the offered load
// a = λ/μ (in Erlangs):
//
//   - [ErlangB] is the probability that all c servers are busy in the loss
//     system; it is the building block for the rest.
//   - [ErlangC] is the probability that an arriving request has to wait.
//   - [MeanWait] is the mean time spent queueing; [Waits] returns it with the
//     chance a request queues for longer than t, the figure an SLO on
//     latency needs.
//   - [MinServers] inverts MeanWait: the fewest servers that keep the mean
//     queueing delay under a target.
//
// # Why the numerics are not the textbook formula
//
// The simulator calls these functions for every simulated second, with c in
// the thousands, so they must be cheap and must not overflow: the textbook
// form needs a^c and c!, which overflow a float64 beyond c ≈ 170. The classic
// recurrence B(k) = a·B(k-1)/(k + a·B(k-1)) is stable but costs O(c) divisions,
// tens of microseconds at c = 10,000. Instead this package writes Erlang B as a
// ratio of Poisson probabilities,
//
//	B(c, a) = P(X = c) / P(X ≤ c),  X ~ Poisson(a),
//
// and P(X ≤ c) = Q(c+1, a) is the regularized upper incomplete gamma function.
// Near the critical load (a within 40% of c, the region the simulator lives
// in) Q is evaluated with Temme's uniform asymptotic expansion, a fixed amount
// of work whatever c is; elsewhere the Poisson tail sums converge within about
// a hundred terms, usually a handful. The recurrence is kept for c ≤ 40, where
// it is the fastest, and the tests use it as the reference for every other
// path. See poisson.go and temme.go for the details and the error analysis.
package queueing
