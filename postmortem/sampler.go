package postmortem

import (
	"time"

	"github.com/headroomhq/headroom"
)

// Sampler turns a replay's seconds into the samples a live loop of Every
// would have read: a sim.Sink, so `check --postmortem` drafts from the same
// kind of record as a live incident.
type Sampler struct {
	// Every is the loop; 15 s (the live controller's default) when zero.
	Every time.Duration
	// Needed is the service model's count for a demand; nil for unknown.
	Needed  func(demand float64) int
	Samples []Sample

	start          time.Time
	n              int
	reqs, failed   float64
	latSum, served float64
	minReady       int
}

// Add adds one simulated second.
func (s *Sampler) Add(st *headroom.Second) {
	every := s.Every
	if every <= 0 {
		every = 15 * time.Second
	}
	if s.n > 0 && st.Time.Sub(s.start) >= every {
		s.Flush()
	}
	if s.n == 0 {
		s.start, s.minReady = st.Time, st.Ready
	}
	s.n++
	s.reqs += st.Demand
	s.failed += st.Failed
	served := max(0, st.Demand-st.Failed)
	s.served += served
	s.latSum += served * st.Latency.Seconds()
	s.minReady = min(s.minReady, st.Ready)
}

// Flush ends the loop being filled.
func (s *Sampler) Flush() {
	if s.n == 0 {
		return
	}
	secs := time.Duration(s.n) * time.Second
	sm := Sample{Time: s.start.Add(secs), Interval: secs, Demand: s.reqs / float64(s.n), HasDemand: true, HasHealth: true, Ready: s.minReady}
	if s.reqs > 0 {
		sm.ErrorRatio = min(1, s.failed/s.reqs)
	}
	if s.served > 0 {
		sm.Latency = seconds(s.latSum / s.served)
	}
	if s.Needed != nil {
		sm.Needed = s.Needed(sm.Demand)
	}
	s.Samples = append(s.Samples, sm)
	s.n, s.reqs, s.failed, s.latSum, s.served = 0, 0, 0, 0, 0
}
