// Package recommend finds the cheapest scaling policy that keeps a
// service's SLO on its own recorded traffic, and proves it on traffic the
// search did not see.
//
// The search does not simulate every candidate over every second. It reads
// the service model directly: sim.Model.Required gives, for each interval of
// the training traffic, the fewest ready instances that keep the SLO's
// latency; the highest of them in each weekday and hour of the policy's time
// zone (widened by the start-up delay, since capacity must be launched that
// much earlier) is that hour's floor. The floors become scheduled actions on
// top of the current policy's target tracking. A few full simulations (the
// same sim and check as `headroom check`) then verify the floors on every
// training day and raise the hours that missed, and a bisection finds the
// highest target utilization the floors make safe.
//
// The proof replays the recommendation and the current policy on held-out
// traffic with check.Run, beside three references: Mercari Tortoise's rule,
// an AWS-predictive-style forecast and the oracle, the cheapest capacity
// with perfect foresight under the start-up delay, which no policy can beat.
// docs/RECOMMEND.md describes the method.
package recommend
