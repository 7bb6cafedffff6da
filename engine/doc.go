// Package engine is headroom's one decision engine: given a policy, the
// time, the current capacity, what the autoscaler observes and the engine's
// own memory, Decide returns the desired capacity and the reason.
//
// The simulator drives it with a simulated clock and service; the live
// controller drives it with real metrics. A scaling test is only worth
// something if the code under test is the code that runs in production, so
// there is no second implementation anywhere: native dialects (HPA, KEDA,
// AWS) translate into headroom.Policy and come here.
//
// Decide is a pure function: no clock reads, no I/O, no globals; its State
// is a value that goes in and comes out.
package engine
