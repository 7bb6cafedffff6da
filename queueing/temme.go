package queueing

import "math"

//go:generate go run ./internal/gentemme -o temme_coef.go

// Temme's uniform asymptotic expansion (N. M. Temme, "The asymptotic
// expansion of the incomplete gamma functions", SIAM J. Math. Anal. 10, 1979;
// DLMF §8.12) gives the regularized incomplete gamma function in a form that
// stays accurate uniformly through the transition x ≈ s, exactly where the
// power series and continued fraction need O(√s) terms:
//
//	Q(s, x) = ½·erfc(η·√(s/2)) + R,   P(s, x) = ½·erfc(-η·√(s/2)) - R,
//	R = e^{-sη²/2}/√(2πs) · Σ_k c_k(η)·s^{-k},
//	η²/2 = λ - 1 - ln λ,  λ = x/s,  sign(η) = sign(λ-1).
//
// With s = c+1 and x = a, P(X ≤ c) = Q(c+1, a) for X ~ Poisson(a). The work is
// a few elementary functions and ten short polynomials whatever c is, which is
// why ErlangB uses it for the near-critical loads a simulator spends its time
// at. The c_k are generated, in exact arithmetic, by internal/gentemme.
//
// Error budget, for c ≥ 20 and |λ-1| ≤ 0.4 (so |η| ≤ 0.47):
//   - the Taylor polynomials in η are truncated where the dropped terms are
//     below 1e-20 at |η| = 0.5;
//   - truncating the sum over k after c_9 leaves about |c_10|·s^-10, below
//     1e-16 relative at s = 21 and far smaller as s grows;
//   - rounding in y = s·η²/2 and in exp and erfc of it gives a relative
//     error of about y ulps. When a ≥ c+1 it cancels between P(X = c) and
//     P(X ≤ c); when a < c+1 it stays in B, but B is then about e^{-y}, so
//     while B is representable (y < 745) it is below 2e-13.
// The tests check it against the recurrence to 1e-9 over a grid of (c, a);
// the observed error is around 1e-13.

// erlangBTemme evaluates B(c, a) for c >= 1 and a > 0 by Temme's expansion.
// It is accurate where ErlangB calls it: c >= 20, |a/(c+1) - 1| <= 0.4.
func erlangBTemme(c int, a float64) float64 {
	s := float64(c) + 1
	sigma := (a - s) / s // λ - 1
	phi := -log1pmx(sigma)
	y := s * phi // s·η²/2
	eta := math.Sqrt(2 * phi)
	if sigma < 0 {
		eta = -eta
	}

	// Σ_k c_k(η)·s^{-k}, each c_k by Horner's rule, using only as many
	// terms as |η| needs. The k-th term is at most about 1e-3·s^{-k}, so
	// stop once s^{-k} can no longer matter.
	terms := &temmeTerms[0]
	for b := 1; b < len(temmeTerms) && math.Abs(eta) <= temmeEtaMax/float64(int(1)<<b); b++ {
		terms = &temmeTerms[b]
	}
	invS := 1 / s
	sum, scale := 0.0, 1.0
	for k := range temmeCoef {
		coef := temmeCoef[k][:terms[k]]
		p := coef[len(coef)-1]
		for i := len(coef) - 2; i >= 0; i-- {
			p = math.FMA(p, eta, coef[i])
		}
		sum += scale * p
		scale *= invS
		if scale < 1e-15 {
			break
		}
	}

	// The Poisson probability shares the factor e^{-y}/√(2πs) with R:
	//	P(X = c) = x^{s-1}e^{-x}/Γ(s) = e^{-y} / (λ·Γ*(s)·√(2πs)),
	// with Γ*(s) = exp(stirlerr(s)). Keeping e^{-y} symbolic avoids 0/0 when
	// both underflow.
	lambda := a / s
	sqrt2piS := math.Sqrt(2 * math.Pi * s)
	gstar := gammaStar(s)
	if sigma >= 0 {
		// Q = e^{-y}·(½·erfcx(√y) + sum/√(2πs)); the leading parts of the
		// two terms are 1/η and c_0(0) = -1/3 with |η| ≤ 0.36: no
		// cancellation.
		return 1 / (lambda * gstar * (0.5*erfcx(math.Sqrt(y))*sqrt2piS + sum))
	}
	ey := math.Exp(-y)
	// P(X > c) = P(s, x) = ½·erfc(√y) - R, and P(X ≤ c) = 1 - P(s, x) ≥ ½.
	tail := 0.5*math.Erfc(math.Sqrt(y)) - ey/sqrt2piS*sum
	return ey / (lambda * gstar * sqrt2piS * (1 - tail))
}

// gammaStar returns Γ*(s) = Γ(s)/(√(2π)·s^(s-½)·e^-s) = exp(stirlerr(s)) for
// s > 15. There stirlerr(s) < 1/180, so six Taylor terms of exp give it to
// 1e-19 without calling math.Exp.
func gammaStar(s float64) float64 {
	x := stirlerr(s)
	return 1 + x*(1+x/2*(1+x/3*(1+x/4*(1+x/5*(1+x/6)))))
}

// erfcx returns the scaled complementary error function e^{z²}·erfc(z) for
// z >= 0, which stays finite (≈ 1/(z√π)) where erfc underflows.
func erfcx(z float64) float64 {
	if z < 25 {
		// erfc(25) ≈ 8e-274 is still a normal number, and the product has
		// a relative error of about z² ulps from exp.
		return math.Exp(z*z) * math.Erfc(z)
	}
	// Asymptotic series (DLMF 7.12.1):
	//	erfcx(z) ~ 1/(z√π) · Σ_n (-1)^n (2n-1)!! / (2z²)^n.
	// At z ≥ 25 the terms fall by at least 1250/(2n-1) per step, so eight
	// of them give full precision.
	w := 1 / (2 * z * z)
	sum, term := 1.0, 1.0
	for n := 1.0; n < 20; n++ {
		term *= -(2*n - 1) * w
		sum += term
		if math.Abs(term) < 1e-17 {
			break
		}
	}
	return sum / (z * math.SqrtPi)
}
