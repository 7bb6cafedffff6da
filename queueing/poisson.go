package queueing

import "math"

// Erlang B as a ratio of Poisson probabilities. With X ~ Poisson(a),
//
//	B(c, a) = P(X = c) / P(X ≤ c),
//
// because the Erlang loss system's occupancy is Poisson(a) truncated to
// 0..c. Dividing both sides through by P(X = c) gives two sums whose terms are
// simple ratios, so neither a^c nor c! is ever formed:
//
//	1/B = Σ_{j=0..c} Π_{i<j} (c-i)/a                      (terms fall when a ≥ c)
//	1/B = 1/P(X=c) - Σ_{n≥1} Π_{i=1..n} a/(c+i)            (terms fall when a < c)
//
// Both converge slowly only when a is close to c (about 8√c terms at a = c),
// which is where ErlangB uses Temme's expansion instead.

const (
	lnSqrt2Pi = 0.91893853320467274178 // ln √(2π)
	// tailTol is the absolute error allowed on P(X > c). When a < c,
	// P(X ≤ c) ≥ ½ (the Poisson median is below a + 1/3), so this is a
	// relative error of at most 2e-17 on B.
	tailTol = 1e-17
)

// erlangBSeries evaluates B(c, a) for c >= 1, 0 < a < +Inf with whichever of
// the two sums above has decreasing terms. Its cost is O(1) away from a ≈ c,
// and O(√c) near it.
func erlangBSeries(c int, a float64) float64 {
	n := float64(c)
	if a >= n {
		// 1/B = Σ t_j with t_0 = 1, t_{j+1} = t_j·(c-j)/a. Every ratio is
		// at most c/a ≤ 1 and they shrink as j grows, so once r_j < 1 the
		// remainder after t_j is below t_j·r_j/(1-r_j).
		invA := 1 / a
		sum, t := 1.0, 1.0
		for j := 0.0; j < n; j++ {
			r := (n - j) * invA
			t *= r
			sum += t
			if t <= 1e-17*sum && r < 1 && t*r <= 1e-17*sum*(1-r) {
				break
			}
		}
		return 1 / sum
	}
	pmf := poissonPMF(n, a)
	if pmf == 0 {
		// B underflows: B ≤ P(X = c)/½.
		return 0
	}
	// P(X > c) = pmf·Σ_{n≥1} t_n with t_n = t_{n-1}·a/(c+n). The ratios are
	// all below r1 = a/(c+1) < 1, so the remainder after t_n is below
	// t_n·r1/(1-r1); stop when that is under tailTol/pmf.
	r1 := a / (n + 1)
	stop := tailTol / pmf * (1 - r1) / r1
	sum, t := 0.0, 1.0
	for k := n + 1; ; k++ {
		t *= a / k
		sum += t
		if t <= stop {
			break
		}
	}
	return pmf / (1 - pmf*sum)
}

// poissonPMF returns P(X = x) = e^{-a} a^x / x! for X ~ Poisson(a), x >= 1,
// a > 0, in the saddle-point form of Loader (2000), "Fast and Accurate
// Computation of Binomial Probabilities", also used by R's dpois:
//
//	P(X = x) = exp(-stirlerr(x) - bd0(x, a)) / √(2πx),
//	bd0(x, a) = x·ln(x/a) + a - x.
//
// Both terms in the exponent are computed without cancellation, so the result
// keeps nearly full relative precision where x·ln a - ln x! would lose about
// log10(x) digits.
func poissonPMF(x, a float64) float64 {
	return math.Exp(-stirlerr(x)-bd0(x, a)) / math.Sqrt(2*math.Pi*x)
}

// bd0 returns x·ln(x/a) + a - x, the deviance term of poissonPMF, for x, a > 0.
func bd0(x, a float64) float64 {
	if u := (a - x) / x; math.Abs(u) < 0.5 {
		// x·ln(x/a) + a - x = x·(u - ln(1+u)), whose two parts cancel as
		// u → 0.
		return -x * log1pmx(u)
	}
	// Here the terms do not cancel badly, and ln(x/a) stays exact as
	// a/x → 0, where ln(1+u) with u = a/x - 1 would lose the digits of a.
	return x*math.Log(x/a) + a - x
}

// stirlerr returns ln Γ(n+1) - (n+½)·ln n + n - ln √(2π), the error of
// Stirling's approximation to ln n!; equivalently ln Γ*(n), where
// Γ*(n) = Γ(n)/(√(2π)·n^(n-½)·e^-n). n must be positive.
func stirlerr(n float64) float64 {
	if n <= 15 {
		// Few digits are lost to cancellation here, and the result is an
		// absolute error in an exponent, so about 1e-15 is plenty.
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - lnSqrt2Pi
	}
	// Stirling's series (DLMF 5.11.1); the first omitted term,
	// 691/(360360·n^11), is below 1.1e-16 for n > 15.
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	nn := n * n
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// log1pmx returns ln(1+u) - u, accurately also for small u, where the direct
// formula cancels. u must be > -1.
func log1pmx(u float64) float64 {
	if math.Abs(u) >= 0.5 {
		// At most two bits are lost to cancellation here.
		return math.Log1p(u) - u
	}
	// With v = u/(2+u), ln(1+u) = 2·atanh(v) = 2v·Σ v^(2k)/(2k+1) and
	// 2v - u = -u·v, so ln(1+u) - u = -u·v + 2v·Σ_{k≥1} v^(2k)/(2k+1).
	// |v| ≤ 1/3, so the series gains at least a factor 9 per term, and its
	// sum is at most a ninth of u·v: no cancellation.
	v := u / (2 + u)
	v2 := v * v
	sum, p := 0.0, v2
	for k := 3.0; k < 80; k += 2 {
		term := p / k
		sum += term
		if term <= 1e-17*sum {
			break
		}
		p *= v2
	}
	return 2*v*sum - u*v
}
