package check

import (
	"math"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
)

func TestEvaluatorPercentile(t *testing.T) {
	// One worker of 100 ms at 8 requests/s (M/M/1, ρ = 0.8): the mean
	// wait is 0.8/(10−8) = 0.4 s, so the mean latency 0.5 s keeps a 1 s
	// bound; the p99 wait is ln(0.8/0.01)/2 = 2.19 s, so the p99 misses it.
	p99 := 0.1 + math.Log(0.8/0.01)/2
	tests := []struct {
		name          string
		slo           headroom.SLO
		wantViolation bool
	}{
		{"the mean keeps its bound", headroom.SLO{MaxErrorRatio: 0.01, MaxLatency: time.Second, Window: time.Minute}, false},
		{"the p99 misses its bound", headroom.SLO{MaxErrorRatio: 0.01, MaxLatency: time.Second, Percentile: 99,
			MaxPercentileLatency: time.Second, Window: time.Minute}, true},
		{"a p99 bound above it", headroom.SLO{MaxErrorRatio: 0.01, MaxLatency: time.Second, Percentile: 99,
			MaxPercentileLatency: 2400 * time.Millisecond, Window: time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &headroom.Service{Name: "s", CapacityPerInstance: 10, BaseLatency: 100 * time.Millisecond,
				RequestTimeout: time.Minute, SLO: tt.slo}
			e := newEvaluator(svc, time.UTC, "t")
			run(e, svc, repeat(8, 120), 1)
			if got := len(e.violations) > 0; got != tt.wantViolation {
				t.Fatalf("violations: got %v, want one: %v", e.violations, tt.wantViolation)
			}
			if tt.wantViolation {
				v := e.violations[0]
				if v.Percentile != 99 || math.Abs(v.WorstPercentileLatencyMs-1000*p99) > 1 {
					t.Errorf("worst p%g: got %.1f ms, want %.1f ms", v.Percentile, v.WorstPercentileLatencyMs, 1000*p99)
				}
			}
		})
	}
}

// Regression guard for a window's percentile taken as the mean of its
// seconds' percentiles: half a minute idle and half at 80% have a p99 near
// the busy half's p99.5, far above the mean of the two p99s.
func TestEvaluatorPercentileMixture(t *testing.T) {
	svc := &headroom.Service{Name: "s", CapacityPerInstance: 10, BaseLatency: 100 * time.Millisecond,
		RequestTimeout: time.Minute, SLO: headroom.SLO{MaxErrorRatio: 0.01, MaxLatency: 10 * time.Second, Percentile: 99,
			MaxPercentileLatency: 10 * time.Second, Window: time.Minute}}
	e := newEvaluator(svc, time.UTC, "t")
	demand := append(repeat(0.001, 30), repeat(8, 30)...)
	run(e, svc, demand, 1)
	got := e.worstPercentile.Seconds()
	// Nearly every served request is the busy half's: the p99 of the
	// window is the busy second's p99 (idle seconds serve 0.001 each).
	busy := sim.NewModel(svc).Serve(8, 1).Latencies.Quantile(0.99).Seconds()
	if math.Abs(got-busy) > 0.001 {
		t.Errorf("window p99: got %.4fs, want about %.4fs (the mean of the halves' p99s would be %.4fs)", got, busy, (busy+0.1)/2)
	}
}

// run feeds the evaluator the model's seconds on a fixed pool, as sim.Run
// does.
func run(e *evaluator, svc *headroom.Service, demand []float64, ready int) {
	m := sim.NewModel(svc)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range demand {
		o := m.Serve(d, ready)
		e.Add(&headroom.Second{Time: t0.Add(time.Duration(i) * time.Second), Demand: d,
			Capacity: headroom.Capacity{Ready: ready}, Latency: o.Latency, ErrorRatio: o.ErrorRatio, Failed: o.Failed})
	}
	e.finish()
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
