package queueing

import (
	"fmt"
	"math"
	"testing"
)

// These tests hold the fast methods to the O(c) recurrence, which is slow but
// needs no analysis to trust, and the recurrence itself to exact arithmetic.

// maxRelErr is the agreement required with the reference. The methods
// actually agree to about 1e-12 (see the worst error logged below).
const maxRelErr = 1e-9

// crossCheckGrid returns (c, a) pairs covering one server, tiny loads, loads
// a hair either side of c, both edges of Temme's window (a/(c+1) = 0.6 and
// 1.4), and c up to 100,000.
func crossCheckGrid() [][2]float64 {
	servers := []int{1, 2, 3, 5, 10, 19, 20, 21, 39, 40, 41, 50, 100, 500, 1000, 5000, 10000, 20000, 100000}
	rhos := []float64{1e-9, 1e-6, 1e-3, 0.1, 0.3, 0.5, 0.59, 0.6, 0.61, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999,
		0.99999, 1 - 1e-9, 1, 1 + 1e-9, 1.00001, 1.001, 1.01, 1.1, 1.2, 1.39, 1.4, 1.41, 1.5, 2, 10, 1000}
	var grid [][2]float64
	for _, c := range servers {
		n := float64(c)
		for _, rho := range rhos {
			grid = append(grid, [2]float64{n, rho * n}, [2]float64{n, rho * (n + 1)})
		}
		// A fixed number of standard deviations from c, the scale on which
		// the blocking probability changes.
		for _, k := range []float64{-30, -10, -3, -1, -0.1, 0.1, 1, 3, 10, 30} {
			if a := n + k*math.Sqrt(n); a > 0 {
				grid = append(grid, [2]float64{n, a})
			}
		}
		grid = append(grid, [2]float64{n, n - 1e-6}, [2]float64{n, n + 1e-6})
	}
	return grid
}

func TestErlangBMatchesRecurrence(t *testing.T) {
	checkAgainstRecurrence(t, "ErlangB", ErlangB, func(c int, a float64) bool { return true })
}

func TestTemmeMatchesRecurrence(t *testing.T) {
	// Wider than where ErlangB uses it (c > 40): down to c = 20.
	checkAgainstRecurrence(t, "erlangBTemme", erlangBTemme, func(c int, a float64) bool {
		return c >= 20 && math.Abs(a/float64(c+1)-1) <= temmeMaxSigma
	})
}

func TestSeriesMatchesRecurrence(t *testing.T) {
	// Everywhere, including near a = c where ErlangB does not use it; it
	// is O(√c) there, so stop at c = 20,000.
	checkAgainstRecurrence(t, "erlangBSeries", erlangBSeries, func(c int, a float64) bool { return c <= 20000 })
}

func checkAgainstRecurrence(t *testing.T, name string, f func(int, float64) float64, use func(int, float64) bool) {
	t.Helper()
	worst, where := 0.0, ""
	checked := 0
	for _, p := range crossCheckGrid() {
		c, a := int(p[0]), p[1]
		if !use(c, a) {
			continue
		}
		checked++
		got, want := f(c, a), erlangBRecurrence(c, a)
		if want < 1e-290 {
			// Relative error means little once B is close to underflowing;
			// both must just be tiny.
			if got > 1e-280 {
				t.Errorf("%s(%d, %.17g) = %g, recurrence %g", name, c, a, got, want)
			}
			continue
		}
		e := relErr(got, want)
		if e > maxRelErr || math.IsNaN(got) {
			t.Errorf("%s(%d, %.17g) = %.17g, recurrence %.17g (relative error %.2g)", name, c, a, got, want, e)
		}
		if e > worst {
			worst, where = e, fmt.Sprintf("c=%d a=%.17g", c, a)
		}
		// ErlangC is a well-conditioned function of B, so check it too.
		if name == "ErlangB" && a < float64(c) {
			gotC := ErlangC(c, a)
			n := float64(c)
			wantC := want / (1 - a/n*(1-want))
			if e := relErr(gotC, wantC); e > maxRelErr {
				t.Errorf("ErlangC(%d, %.17g) = %.17g, from the recurrence %.17g (relative error %.2g)", c, a, gotC, wantC, e)
			}
		}
	}
	t.Logf("%s: %d points, worst relative error %.2g at %s", name, checked, worst, where)
}

func TestRecurrenceMatchesExact(t *testing.T) {
	for _, c := range []int{1, 2, 7, 40, 41, 120} {
		for _, a := range []string{"1/1000000", "1/3", "7/2", "40", "41", "117/2", "120", "121", "1000"} {
			t.Run(fmt.Sprintf("c=%d a=%s", c, a), func(t *testing.T) {
				ar := mustRat(t, a)
				af, _ := ar.Float64()
				want := exactErlangB(c, ar)
				for name, f := range map[string]func(int, float64) float64{
					"erlangBRecurrence": erlangBRecurrence, "ErlangB": ErlangB, "erlangBSeries": erlangBSeries,
				} {
					if got := f(c, af); relErr(got, want) > 1e-13 {
						t.Errorf("%s(%d, %s) = %.17g, exact %.17g", name, c, a, got, want)
					}
				}
			})
		}
	}
}

// The values of c_k(0) are given by Temme (1979) and in DLMF §8.12:
// c_0(0) = -1/3, c_1(0) = -1/540, c_2(0) = 25/6048, c_3(0) = 101/155520.
func TestTemmeCoefficients(t *testing.T) {
	tests := []struct {
		name string
		k    int
		want float64
	}{
		{name: "c_0(0) = -1/3", k: 0, want: -1.0 / 3},
		{name: "c_1(0) = -1/540", k: 1, want: -1.0 / 540},
		{name: "c_2(0) = 25/6048", k: 2, want: 25.0 / 6048},
		{name: "c_3(0) = 101/155520", k: 3, want: 101.0 / 155520},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := temmeCoef[tt.k][0]; relErr(got, tt.want) > 1e-15 {
				t.Errorf("temmeCoef[%d][0] = %.17g, want %.17g", tt.k, got, tt.want)
			}
		})
	}
	// The first coefficients of c_0, from c_0(η) = 1/(λ-1) - 1/η and
	// λ = 1 + η + η²/3 + η³/36 - η⁴/270 + ...: -1/3 + η/12 - 2η²/135 + η³/864.
	for i, want := range []float64{-1.0 / 3, 1.0 / 12, -2.0 / 135, 1.0 / 864} {
		if got := temmeCoef[0][i]; relErr(got, want) > 1e-15 {
			t.Errorf("temmeCoef[0][%d] = %.17g, want %.17g", i, got, want)
		}
	}
}

func TestLog1pmx(t *testing.T) {
	tests := []struct {
		name string
		u    float64
		want float64
	}{
		// -u²/2 + u³/3 - u⁴/4 + u⁵/5, the rest below 1e-36.
		{name: "tiny positive", u: 1e-6, want: -5e-13 + 1e-18/3 - 1e-24/4 + 1e-30/5},
		{name: "tiny negative", u: -1e-6, want: -5e-13 - 1e-18/3 - 1e-24/4 - 1e-30/5},
		{name: "zero", u: 0, want: 0},
		// ln 1.25 - 0.25 and ln 0.6 + 0.4, where the direct formula is
		// still accurate to a few ulps.
		{name: "series branch, positive", u: 0.25, want: math.Log(1.25) - 0.25},
		{name: "series branch, negative", u: -0.4, want: math.Log(0.6) + 0.4},
		{name: "direct branch", u: 3, want: math.Log(4) - 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := log1pmx(tt.u); relErr(got, tt.want) > 1e-14 {
				t.Errorf("log1pmx(%g) = %.17g, want %.17g", tt.u, got, tt.want)
			}
		})
	}
}

func TestPoissonPMF(t *testing.T) {
	// Against the direct log-space formula e^{-a + c·ln a - ln c!}, which
	// is accurate to about 1e-13 while c and a are small.
	for _, tt := range []struct{ c, a float64 }{{1, 1}, {5, 2.5}, {20, 20}, {20, 10}, {20, 45}, {100, 97}} {
		lg, _ := math.Lgamma(tt.c + 1)
		want := math.Exp(-tt.a + tt.c*math.Log(tt.a) - lg)
		if got := poissonPMF(tt.c, tt.a); relErr(got, want) > 1e-12 {
			t.Errorf("poissonPMF(%g, %g) = %.17g, want %.17g", tt.c, tt.a, got, want)
		}
	}
	// Exactly, for an integer case: P(X=3 | a=3) = 27·e^{-3}/6 = 4.5·e^{-3}.
	want := 4.5 * math.Exp(-3)
	if got := poissonPMF(3, 3); relErr(got, want) > 1e-15 {
		t.Errorf("poissonPMF(3, 3) = %.17g, want %.17g", got, want)
	}
}
