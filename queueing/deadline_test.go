package queueing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestWaitQuantile(t *testing.T) {
	// c = 1, λ = 0.5, μ = 1: C = ρ = 0.5, P(Wq > t) = 0.5·e^(−0.5t), so the
	// p99 is 2·ln 50 and the median 0.
	if got, want := WaitQuantile(1, 0.5, 1, 0.99), 2*math.Log(50); relErr(got, want) > 1e-12 {
		t.Errorf("WaitQuantile(1, 0.5, 1, 0.99) = %.17g, want %.17g", got, want)
	}
	if got := WaitQuantile(1, 0.5, 1, 0.5); got != 0 {
		t.Errorf("WaitQuantile(1, 0.5, 1, 0.5) = %g, want 0", got)
	}
	if got := WaitQuantile(2, 2, 1, 0.99); !math.IsInf(got, 1) {
		t.Errorf("WaitQuantile at saturation = %g, want +Inf", got)
	}
	// The tail at the quantile is 1 − p (where more than 1% queue).
	for _, c := range []int{1, 5, 50, 500} {
		lambda := 0.95 * float64(c)
		q := WaitQuantile(c, lambda, 1, 0.99)
		if _, tail := Waits(c, lambda, 1, q); relErr(tail, 0.01) > 1e-9 {
			t.Errorf("c=%d: P(Wq > p99) = %g, want 0.01", c, tail)
		}
	}
}

func TestMinServersQuantile(t *testing.T) {
	for _, tt := range []struct{ lambda, mu, p, maxWait float64 }{
		{100, 1, 0.99, 0.1}, {100, 1, 0.5, 0}, {5, 10, 0.99, 0.01}, {1e5, 0.5, 0.999, 2},
	} {
		c := MinServersQuantile(tt.lambda, tt.mu, tt.p, tt.maxWait)
		if c < 1 || WaitQuantile(c, tt.lambda, tt.mu, tt.p) > tt.maxWait {
			t.Errorf("MinServersQuantile(%v) = %d does not meet the target", tt, c)
		}
		if c > 1 && tt.lambda < float64(c-1)*tt.mu && WaitQuantile(c-1, tt.lambda, tt.mu, tt.p) <= tt.maxWait {
			t.Errorf("MinServersQuantile(%v) = %d, but %d meets the target", tt, c, c-1)
		}
	}
	if got := MinServersQuantile(1, 1, 1, 1); got != -1 {
		t.Errorf("p = 1: got %d, want -1", got)
	}
}

// Without a deadline worth the name, M/M/c+D is M/M/c.
func TestDeadlineLongIsErlangC(t *testing.T) {
	for _, c := range []int{1, 2, 10, 100, 2000} {
		for _, rho := range []float64{0.1, 0.5, 0.9, 0.99} {
			lambda := rho * float64(c)
			d := NewDeadline(c, lambda, 1, 1e6)
			mean, _ := Waits(c, lambda, 1, 0)
			if e := relErr(d.Queued, ErlangC(c, lambda)); e > 1e-9 {
				t.Errorf("c=%d ρ=%g: Queued %.17g, Erlang C %.17g", c, rho, d.Queued, ErlangC(c, lambda))
			}
			if e := relErr(d.MeanWait, mean); e > 1e-9 {
				t.Errorf("c=%d ρ=%g: MeanWait %.17g, M/M/c %.17g", c, rho, d.MeanWait, mean)
			}
			if q, want := d.Quantile(0.99), WaitQuantile(c, lambda, 1, 0.99); math.Abs(q-want) > 1e-9*max(1, want) {
				t.Errorf("c=%d ρ=%g: p99 %.17g, M/M/c %.17g", c, rho, q, want)
			}
		}
	}
}

// The closed forms against a simulation of the queue itself: FIFO, c
// exponential servers, a request that would start later than its deadline
// leaves without taking a server.
func TestDeadlineMatchesSimulation(t *testing.T) {
	for _, tt := range []struct {
		c          int
		rho, limit float64 // limit in mean service times
	}{
		{1, 0.5, 5}, {2, 0.9, 10}, {2, 1, 10}, {8, 1.1, 10}, {8, 1.5, 10}, {16, 0.95, 2}, {4, 3, 4},
	} {
		t.Run(fmt.Sprintf("c=%d ρ=%g T=%g", tt.c, tt.rho, tt.limit), func(t *testing.T) {
			lambda := tt.rho * float64(tt.c)
			d := NewDeadline(tt.c, lambda, 1, tt.limit)
			timedOut, mean, waits := simulateDeadline(tt.c, lambda, tt.limit, 400000, 7)
			if math.Abs(d.TimedOut-timedOut) > 0.005+0.03*timedOut {
				t.Errorf("TimedOut %.4f, simulated %.4f", d.TimedOut, timedOut)
			}
			if math.Abs(d.MeanWait-mean) > 0.02+0.03*mean {
				t.Errorf("MeanWait %.4f, simulated %.4f", d.MeanWait, mean)
			}
			for _, p := range []float64{0.5, 0.9, 0.99} {
				got, want := d.Quantile(p), waits[int(p*float64(len(waits)))]
				if math.Abs(got-want) > 0.05+0.05*want {
					t.Errorf("p%g %.4f, simulated %.4f", 100*p, got, want)
				}
				if p == 0.9 && got > 0 {
					if tail := d.Tail(got); relErr(tail, 1-p) > 1e-6 {
						t.Errorf("Tail(p90) = %g, want %g", tail, 1-p)
					}
				}
			}
		})
	}
}

func simulateDeadline(c int, lambda, limit float64, n int, seed uint64) (timedOut, mean float64, waits []float64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	free := make([]float64, c) // when each server is next free
	now, out := 0.0, 0
	for i := 0; i < n; i++ {
		now += rng.ExpFloat64() / lambda
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		start := max(now, free[k])
		if start-now > limit {
			out++
			continue
		}
		free[k] = start + rng.ExpFloat64()
		waits = append(waits, start-now)
		mean += start - now
	}
	sort.Float64s(waits)
	return float64(out) / float64(n), mean / float64(len(waits)), waits
}
