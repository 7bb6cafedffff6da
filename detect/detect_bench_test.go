package detect

import (
	"testing"
	"time"
)

// BenchmarkStep is a day of a target's 15 s evaluations with the default
// rules (latency included), as check runs beside every replay: 5,760 steps
// an op. healthy has no failed request; failing a few every step, so no
// stretch is quiet.
func BenchmarkStep(b *testing.B) {
	for _, c := range []struct {
		name string
		err  float64
	}{{"healthy", 0}, {"failing", 0.0002}} {
		b.Run(c.name, func(b *testing.B) {
			start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
			const steps = 24 * 60 * 4
			b.ReportAllocs()
			for b.Loop() {
				d := New(Config{Target: "bench", Budget: 0.001, MaxLatency: 300 * time.Millisecond, StartupDelay: 3 * time.Minute}, State{})
				for i := 1; i <= steps; i++ {
					demand := 100 + float64(i%97)
					d.Step(Input{Now: start.Add(time.Duration(i) * DefaultResolution), Interval: DefaultResolution,
						Demand: demand, ErrorRatio: c.err * float64(i%5), Latency: 120 * time.Millisecond,
						HasDemand: true, HasHealth: true, Ready: 10, Desired: 10, Needed: 8})
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
		})
	}
}
