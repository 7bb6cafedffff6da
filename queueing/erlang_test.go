package queueing

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The published values below are checked twice: against the figure as
// printed (to the precision it was printed with) and, where the inputs are
// rational, against the exact value from exactErlangB.

func TestErlangBPublished(t *testing.T) {
	tests := []struct {
		name string
		c    int
		a    string // exact decimal, so exactErlangB can use it too
		want float64
		tol  float64 // the precision of the published figure
	}{
		// Closed form for one server: B(1, a) = a/(1+a).
		{name: "one server, one Erlang: B = a/(1+a) = 1/2", c: 1, a: "1", want: 0.5, tol: 1e-15},
		// Closed form for two servers: B(2, a) = (a²/2)/(1 + a + a²/2).
		{name: "two servers, one Erlang: B = (1/2)/(5/2) = 1/5", c: 2, a: "1", want: 0.2, tol: 1e-15},
		// Erlang B tables (e.g. the Erlang B table in ITU-D's Teletraffic
		// Engineering Handbook, Iversen, and the telephony traffic tables
		// derived from it): 10 circuits offered 5 E block 1.84% of calls.
		{name: "table: 10 servers, 5 Erlangs block 1.84%", c: 10, a: "5", want: 0.01838, tol: 5e-6},
		// The same tables, read the other way: the traffic each number of
		// circuits carries at a 1% grade of service (B = 0.01). The traffic
		// is printed to 4-5 figures, which moves B by up to about 2e-5.
		{name: "table, 1% grade of service: 5 servers carry 1.361 E", c: 5, a: "1.361", want: 0.01, tol: 5e-5},
		{name: "table, 1% grade of service: 10 servers carry 4.461 E", c: 10, a: "4.461", want: 0.01, tol: 5e-5},
		{name: "table, 1% grade of service: 20 servers carry 12.03 E", c: 20, a: "12.03", want: 0.01, tol: 5e-5},
		{name: "table, 1% grade of service: 50 servers carry 37.90 E", c: 50, a: "37.90", want: 0.01, tol: 5e-5},
		{name: "table, 1% grade of service: 100 servers carry 84.06 E", c: 100, a: "84.06", want: 0.01, tol: 5e-5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustRat(t, tt.a)
			af, _ := a.Float64()
			got := ErlangB(tt.c, af)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("ErlangB(%d, %s) = %.10g, want %.10g ± %g", tt.c, tt.a, got, tt.want, tt.tol)
			}
			exact := exactErlangB(tt.c, a)
			if e := relErr(got, exact); e > 1e-13 {
				t.Errorf("ErlangB(%d, %s) = %.17g, exact value %.17g (relative error %.2g)", tt.c, tt.a, got, exact, e)
			}
		})
	}
}

func TestErlangCPublished(t *testing.T) {
	tests := []struct {
		name string
		c    int
		a    string
		want float64
		tol  float64
	}{
		// M/M/1: the probability of waiting is the utilisation, C = ρ.
		{name: "M/M/1: C = ρ", c: 1, a: "0.75", want: 0.75, tol: 1e-15},
		// M/M/2 (any queueing text, e.g. Gross & Harris, Fundamentals of
		// Queueing Theory, M/M/c with c = 2): C = 2ρ²/(1+ρ), ρ = a/2 = 1/2.
		{name: "M/M/2 closed form: c=2, a=1 gives 1/3", c: 2, a: "1", want: 1.0 / 3, tol: 1e-15},
		// Wolfram Language documentation for ErlangC, basic example
		// ErlangC[3, 2]; by the formula C = (8/6·3)/(1+2+2+8/6·3) = 4/9.
		{name: "Wolfram ErlangC[3, 2] = 4/9", c: 3, a: "2", want: 4.0 / 9, tol: 1e-15},
		// From the table value B(10, 5) = 0.01838 and C = B/(1 - ρ(1-B)).
		{name: "from the B table: 10 servers, 5 Erlangs wait 3.61%", c: 10, a: "5", want: 0.03611, tol: 1e-5},
		// Westbay Engineers' worked Erlang C example for a call centre: 360
		// calls per half hour of 240 s each (a = 48 E) and 55 agents. The
		// 4-figure value is from exact arithmetic (0.2387009...).
		{name: "call centre: 48 Erlangs on 55 agents", c: 55, a: "48", want: 0.2387, tol: 5e-5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustRat(t, tt.a)
			af, _ := a.Float64()
			got := ErlangC(tt.c, af)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("ErlangC(%d, %s) = %.10g, want %.10g ± %g", tt.c, tt.a, got, tt.want, tt.tol)
			}
			exact := exactErlangC(tt.c, a)
			if e := relErr(got, exact); e > 1e-13 {
				t.Errorf("ErlangC(%d, %s) = %.17g, exact value %.17g (relative error %.2g)", tt.c, tt.a, got, exact, e)
			}
		})
	}
}

func TestMeanWaitPublished(t *testing.T) {
	tests := []struct {
		name       string
		c          int
		lambda, mu float64
		want, tol  float64
	}{
		// M/M/1: Wq = ρ/(μ - λ) = 0.8/0.2.
		{name: "M/M/1: λ=0.8, μ=1 waits 4", c: 1, lambda: 0.8, mu: 1, want: 4, tol: 1e-14},
		// M/M/2 with ρ = 1/2: Wq = C/(2μ - λ) = (1/3)/1.
		{name: "M/M/2: λ=1, μ=1 waits 1/3", c: 2, lambda: 1, mu: 1, want: 1.0 / 3, tol: 1e-15},
		// The call-centre example above: average speed of answer
		// Wq = C·Ts/(c - a) = 0.23870·240 s/7 = 8.184 s.
		{name: "call centre: 55 agents answer in 8.18 s on average", c: 55, lambda: 360.0 / 1800, mu: 1.0 / 240, want: 8.184032104388887, tol: 1e-11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MeanWait(tt.c, tt.lambda, tt.mu)
			if math.Abs(got-tt.want) > tt.tol*tt.want {
				t.Errorf("MeanWait(%d, %g, %g) = %.17g, want %.17g", tt.c, tt.lambda, tt.mu, got, tt.want)
			}
		})
	}
}

func TestWaits(t *testing.T) {
	const callLambda, callMu = 360.0 / 1800, 1.0 / 240
	tests := []struct {
		name          string
		c             int
		lambda, mu, t float64
		want          float64
	}{
		// M/M/1: P(Wq > t) = ρ·e^{-(μ-λ)t} = 0.8·e^{-1}.
		{name: "M/M/1 tail at t=5", c: 1, lambda: 0.8, mu: 1, t: 5, want: 0.8 * math.Exp(-1)},
		// Call centre: the share answered within 15 s (the service level)
		// is 1 - C·e^{-(c-a)·15/240} = 84.59%.
		{name: "call centre: 15.4% wait longer than 15 s", c: 55, lambda: callLambda, mu: callMu, t: 15, want: 1 - 0.8458830921705803},
		{name: "at t=0 the tail is the probability of waiting", c: 55, lambda: callLambda, mu: callMu, t: 0, want: 0.2387009363780092},
		{name: "negative t: every wait exceeds it", c: 2, lambda: 1, mu: 1, t: -1, want: 1},
		{name: "unstable queue: everyone waits forever", c: 2, lambda: 2, mu: 1, t: 1e9, want: 1},
		{name: "no traffic: nobody waits", c: 2, lambda: 0, mu: 1, t: 0, want: 0},
		{name: "infinite t", c: 2, lambda: 1, mu: 1, t: math.Inf(1), want: 0},
		// Regression test for NaN from exp(-(cμ-λ)·t) = exp(-Inf·0).
		{name: "infinite service rate at t=0", c: 2, lambda: 1, mu: math.Inf(1), t: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mean, got := Waits(tt.c, tt.lambda, tt.mu, tt.t)
			if math.Abs(got-tt.want) > 1e-13*math.Max(tt.want, 1e-300) && got != tt.want {
				t.Errorf("Waits(%d, %g, %g, %g) tail = %.17g, want %.17g", tt.c, tt.lambda, tt.mu, tt.t, got, tt.want)
			}
			if want := MeanWait(tt.c, tt.lambda, tt.mu); mean != want {
				t.Errorf("Waits(%d, %g, %g, %g) mean = %.17g, want MeanWait's %.17g", tt.c, tt.lambda, tt.mu, tt.t, mean, want)
			}
		})
	}
}

func TestEdgeCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		got  float64
		want float64 // NaN means NaN
	}{
		{name: "ErlangB: NaN load", got: ErlangB(5, nan), want: nan},
		{name: "ErlangB: no servers block everything", got: ErlangB(0, 3), want: 1},
		{name: "ErlangB: negative servers block everything", got: ErlangB(-4, 3), want: 1},
		{name: "ErlangB: no load, no blocking", got: ErlangB(5, 0), want: 0},
		{name: "ErlangB: negative load", got: ErlangB(5, -1), want: 0},
		{name: "ErlangB: no servers, no load", got: ErlangB(0, 0), want: 0},
		{name: "ErlangB: infinite load", got: ErlangB(5, inf), want: 1},
		{name: "ErlangB: infinite load, many servers", got: ErlangB(100000, inf), want: 1},
		{name: "ErlangC: NaN load", got: ErlangC(5, nan), want: nan},
		{name: "ErlangC: no load", got: ErlangC(5, 0), want: 0},
		{name: "ErlangC: load equal to servers is unstable", got: ErlangC(5, 5), want: 1},
		{name: "ErlangC: overload", got: ErlangC(5, 7), want: 1},
		{name: "ErlangC: no servers", got: ErlangC(0, 1), want: 1},
		{name: "ErlangC: no servers, no load", got: ErlangC(0, 0), want: 0},
		{name: "ErlangC: infinite load", got: ErlangC(20000, inf), want: 1},
		{name: "MeanWait: unstable is infinite", got: MeanWait(2, 2, 1), want: inf},
		{name: "MeanWait: no servers", got: MeanWait(0, 1, 1), want: inf},
		{name: "MeanWait: no service", got: MeanWait(3, 1, 0), want: inf},
		{name: "MeanWait: no traffic", got: MeanWait(3, 0, 1), want: 0},
		{name: "MeanWait: infinitely fast servers", got: MeanWait(3, 1, inf), want: 0},
		{name: "MeanWait: NaN", got: MeanWait(3, nan, 1), want: nan},
		{name: "Waits: NaN t, NaN tail", got: second(Waits(3, 1, 1, nan)), want: nan},
		{name: "Waits: NaN t, NaN mean", got: first(Waits(3, 1, 1, nan)), want: nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.IsNaN(tt.want) {
				if !math.IsNaN(tt.got) {
					t.Errorf("got %v, want NaN", tt.got)
				}
				return
			}
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// Regression test for the Poisson probability losing c·1e-16/a of its
// precision when a ≪ c: ln(1+u) with u = a/c - 1 near -1 cancelled, and
// ErlangB(50, 5e-5) came out 1.4e-9 off in relative terms.
func TestErlangBTinyLoad(t *testing.T) {
	for _, c := range []int{1, 5, 20, 41, 50, 200} {
		for _, rho := range []float64{1e-6, 1e-3} {
			a := rho * float64(c)
			got, want := ErlangB(c, a), erlangBRecurrence(c, a)
			if e := relErr(got, want); e > 1e-12 && want > 1e-300 {
				t.Errorf("ErlangB(%d, %g) = %.17g, recurrence %.17g (relative error %.2g)", c, a, got, want, e)
			}
		}
	}
}

func TestErlangProperties(t *testing.T) {
	// Loads either side of every switch between methods, for server counts
	// either side of the recurrence/expansion switch.
	rhos := []float64{1e-4, 0.1, 0.3, 0.5, 0.59, 0.599, 0.6, 0.601, 0.61, 0.8, 0.9, 0.99, 0.999999,
		1, 1.000001, 1.01, 1.39, 1.399, 1.4, 1.401, 1.41, 2, 5}
	for _, c := range []int{1, 2, 7, 39, 40, 41, 42, 100, 1000, 20000, 100000} {
		n := float64(c)
		prevB, prevC := 0.0, 0.0
		for _, rho := range rhos {
			// The expansion's window is defined on a/(c+1).
			a := rho * (n + 1)
			b, cw := ErlangB(c, a), ErlangC(c, a)
			// 1e-12 of slack: the methods agree to about 1e-13, not exactly.
			if b < prevB*(1-1e-12) {
				t.Errorf("ErlangB(%d, ·) not increasing in load: %g at a=%g after %g", c, b, a, prevB)
			}
			if cw < prevC*(1-1e-12) {
				t.Errorf("ErlangC(%d, ·) not increasing in load: %g at a=%g after %g", c, cw, a, prevC)
			}
			if cw < b*(1-1e-15) {
				t.Errorf("ErlangC(%d, %g) = %g < ErlangB = %g", c, a, cw, b)
			}
			if b < 0 || b > 1 || cw < 0 || cw > 1 {
				t.Errorf("c=%d a=%g: B = %g, C = %g, want both in [0,1]", c, a, b, cw)
			}
			// Adding a server can only help: B(c+1, a) = a·B/(c+1+a·B) < B.
			// The step from c to c+1 crosses method boundaries at c = 40
			// and whenever a/(c+1) or a/(c+2) crosses 0.6 or 1.4, so this
			// also checks that neighbouring methods agree.
			next := ErlangB(c+1, a)
			if want := a * b / (n + 1 + a*b); relErr(next, want) > 1e-12 && want > 1e-300 {
				t.Errorf("ErlangB(%d, %g) = %.17g, want a·B(c)/(c+1+a·B(c)) = %.17g", c+1, a, next, want)
			}
			if a < n && ErlangC(c+1, a) > cw {
				t.Errorf("ErlangC(%d, %g) = %g > ErlangC(%d, ·) = %g", c+1, a, ErlangC(c+1, a), c, cw)
			}
			prevB, prevC = b, cw
		}
	}
}

func TestMinServers(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name                string
		lambda, mu, maxWait float64
		want                int
	}{
		// M/M/1 with ρ = 1/2: Wq = ρ/(μ-λ) = 1 exactly.
		{name: "one server meets its exact wait", lambda: 0.5, mu: 1, maxWait: 1, want: 1},
		// Just under: two servers, Wq = 0.1/1.5.
		{name: "one server just misses", lambda: 0.5, mu: 1, maxWait: 0.99, want: 2},
		// The call-centre example: Wq is 27.96 s with 52 agents and
		// 18.07 s with 53 (exact arithmetic).
		{name: "call centre: answer within 20 s on average", lambda: 360.0 / 1800, mu: 1.0 / 240, maxWait: 20, want: 53},
		{name: "call centre: answer within 8.2 s on average", lambda: 360.0 / 1800, mu: 1.0 / 240, maxWait: 8.2, want: 55},
		{name: "any finite wait: smallest stable count", lambda: 10, mu: 1, maxWait: inf, want: 11},
		{name: "fractional load: smallest stable count", lambda: 10.5, mu: 1, maxWait: inf, want: 11},
		{name: "no traffic", lambda: 0, mu: 1, maxWait: 0, want: 1},
		{name: "infinitely fast servers", lambda: 5, mu: inf, maxWait: 1, want: 1},
		{name: "negative target is impossible", lambda: 1, mu: 1, maxWait: -1, want: -1},
		{name: "zero wait is impossible with traffic", lambda: 1, mu: 1, maxWait: 0, want: -1},
		{name: "servers that never finish", lambda: 1, mu: 0, maxWait: 1, want: -1},
		{name: "infinite traffic", lambda: inf, mu: 1, maxWait: 1, want: -1},
		{name: "NaN target", lambda: 1, mu: 1, maxWait: math.NaN(), want: -1},
		{name: "load beyond 2^52 servers", lambda: 1e300, mu: 1, maxWait: 1, want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MinServers(tt.lambda, tt.mu, tt.maxWait); got != tt.want {
				t.Errorf("MinServers(%g, %g, %g) = %d, want %d", tt.lambda, tt.mu, tt.maxWait, got, tt.want)
			}
		})
	}
}

func TestMinServersIsMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		mu := math.Exp(r.NormFloat64() * 2)
		a := math.Exp(r.Float64() * math.Log(1e5)) // 1 to 100,000 Erlangs
		lambda := a * mu
		// Targets from a tiny fraction of a service time to several.
		maxWait := math.Exp(r.Float64()*math.Log(1e8)-math.Log(1e6)) / mu
		c := MinServers(lambda, mu, maxWait)
		if c < 1 {
			t.Fatalf("MinServers(%g, %g, %g) = %d", lambda, mu, maxWait, c)
		}
		if got := MeanWait(c, lambda, mu); !(got <= maxWait) {
			t.Errorf("MinServers(%g, %g, %g) = %d, but MeanWait there is %g", lambda, mu, maxWait, c, got)
		}
		if c > 1 {
			if got := MeanWait(c-1, lambda, mu); got <= maxWait {
				t.Errorf("MinServers(%g, %g, %g) = %d, but %d servers already wait %g", lambda, mu, maxWait, c, c-1, got)
			}
		}
	}
}

// exactErlangB returns B(c, a) for rational a by the recurrence in exact
// arithmetic, as a float64.
func exactErlangB(c int, a *big.Rat) float64 {
	f, _ := exactErlangBRat(c, a).Float64()
	return f
}

func exactErlangBRat(c int, a *big.Rat) *big.Rat {
	b := big.NewRat(1, 1)
	ab := new(big.Rat)
	for k := 1; k <= c; k++ {
		ab.Mul(a, b)
		b = new(big.Rat).Quo(ab, new(big.Rat).Add(big.NewRat(int64(k), 1), ab))
	}
	return b
}

// exactErlangC returns C(c, a) = B/(1 - (a/c)(1-B)) in exact arithmetic.
func exactErlangC(c int, a *big.Rat) float64 {
	b := exactErlangBRat(c, a)
	rho := new(big.Rat).Quo(a, big.NewRat(int64(c), 1))
	oneMinusB := new(big.Rat).Sub(big.NewRat(1, 1), b)
	den := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(rho, oneMinusB))
	f, _ := new(big.Rat).Quo(b, den).Float64()
	return f
}

func mustRat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad rational %q", s)
	}
	return r
}

// relErr returns |got-want|/|want|, or |got-want| when want is 0.
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// first and second pick one of two results, for a table of calls.
func first(a, _ float64) float64  { return a }
func second(_, b float64) float64 { return b }
