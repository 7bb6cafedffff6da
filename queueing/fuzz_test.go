package queueing

import (
	"math"
	"testing"
)

// FuzzErlangC checks that for any server count and any load that is not NaN
// the probabilities are finite and in [0, 1], that waiting is at least as
// likely as blocking, and that MeanWait is never negative or NaN.
func FuzzErlangC(f *testing.F) {
	f.Add(1, 0.5)
	f.Add(10, 9.0)
	f.Add(55, 48.0)
	f.Add(20000, 18000.0)
	f.Add(20000, 19999.999)
	f.Add(100000, 60000.0)
	f.Add(41, 24.6)            // edge of Temme's window
	f.Add(41, 58.8)            // other edge
	f.Add(40, 39.9999999)      // largest c on the recurrence
	f.Add(7, 1e-300)           // B underflows
	f.Add(3, 5e-324)           // smallest subnormal load
	f.Add(1<<62, 1e18)         // beyond float64's exact integers
	f.Add(0, 1.0)              // no servers
	f.Add(-5, 2.0)             // negative servers
	f.Add(12, -3.0)            // negative load
	f.Add(12, math.Inf(1))     // infinite load
	f.Add(1<<40, 1.0995e12)    // near-critical with huge c
	f.Add(30, math.MaxFloat64) // huge load on the recurrence
	f.Fuzz(func(t *testing.T, c int, a float64) {
		if math.IsNaN(a) {
			return
		}
		b, cw := ErlangB(c, a), ErlangC(c, a)
		if !(b >= 0 && b <= 1) {
			t.Fatalf("ErlangB(%d, %g) = %v, want a probability", c, a, b)
		}
		if !(cw >= 0 && cw <= 1) {
			t.Fatalf("ErlangC(%d, %g) = %v, want a probability", c, a, cw)
		}
		if cw < b*(1-1e-12) {
			t.Fatalf("ErlangC(%d, %g) = %v < ErlangB = %v", c, a, cw, b)
		}
		if w := MeanWait(c, a, 1); math.IsNaN(w) || w < 0 {
			t.Fatalf("MeanWait(%d, %g, 1) = %v", c, a, w)
		}
		if _, p := Waits(c, a, 1, 1); !(p >= 0 && p <= 1) {
			t.Fatalf("Waits(%d, %g, 1, 1) tail = %v", c, a, p)
		}
	})
}
