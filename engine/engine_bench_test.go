package engine

import (
	"testing"
	"time"
)

// BenchmarkDecide is one target-tracking sync with a stabilization history:
// what the simulator pays every 15 simulated seconds.
func BenchmarkDecide(b *testing.B) {
	p := hpaPolicy(1, 1000)
	st := NewState(p, t0).Settled(t0, 50)
	ready := 50
	metrics := []float64{48, 52, 61, 45, 70, 50}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		now := t0.Add(time.Duration(i) * 15 * time.Second)
		out := decide(p, st, now, ready, metrics[i%len(metrics)])
		st, ready = out.State, out.Desired
	}
}
