package queueing

import (
	"fmt"
	"testing"
)

var benchSink float64

// BenchmarkErlangC measures the simulator's hot call at 90% utilisation for a
// small service, a large one and a very large one.
func BenchmarkErlangC(b *testing.B) {
	for _, c := range []int{10, 1000, 20000} {
		a := 0.9 * float64(c)
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for b.Loop() {
				benchSink = ErlangC(c, a)
			}
		})
	}
}

// BenchmarkErlangCLoads covers every method: the series far below c, Temme's
// expansion near it, and the unstable shortcut.
func BenchmarkErlangCLoads(b *testing.B) {
	for _, c := range []int{20000, 100000} {
		for _, rho := range []float64{0.3, 0.59, 0.61, 0.99, 0.999999, 1.5} {
			a := rho * float64(c)
			b.Run(fmt.Sprintf("c=%d/rho=%g", c, rho), func(b *testing.B) {
				for b.Loop() {
					benchSink = ErlangC(c, a)
				}
			})
		}
	}
}

// BenchmarkErlangB includes loads above c, which ErlangC never evaluates.
func BenchmarkErlangB(b *testing.B) {
	for _, c := range []int{40, 41, 20000} {
		for _, rho := range []float64{0.9, 1.39, 1.41} {
			a := rho * float64(c)
			b.Run(fmt.Sprintf("c=%d/rho=%g", c, rho), func(b *testing.B) {
				for b.Loop() {
					benchSink = ErlangB(c, a)
				}
			})
		}
	}
}

// BenchmarkErlangBRecurrence is the O(c) reference, for comparison.
func BenchmarkErlangBRecurrence(b *testing.B) {
	for _, c := range []int{10, 1000, 20000} {
		a := 0.9 * float64(c)
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for b.Loop() {
				benchSink = erlangBRecurrence(c, a)
			}
		})
	}
}

func BenchmarkMinServers(b *testing.B) {
	for _, lambda := range []float64{9, 900, 18000} {
		b.Run(fmt.Sprintf("a=%g", lambda), func(b *testing.B) {
			for b.Loop() {
				benchSink = float64(MinServers(lambda, 1, 0.01))
			}
		})
	}
}
