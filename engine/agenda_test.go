package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestAgendaOrder checks the agenda against a sort: activations come off
// earliest first, ties in policy order, and an agenda popped or pushed is
// still what it was for every state that holds it.
func TestAgendaOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 60 {
		fires := make([]time.Time, n)
		for i := range fires {
			if rng.IntN(5) > 0 { // some never fire again: zero
				fires[i] = t0.Add(time.Duration(rng.IntN(20)) * time.Minute)
			}
		}
		h := newAgenda(fires)
		want := func(fires []time.Time) []int {
			var idx []int
			for i, f := range fires {
				if !f.IsZero() {
					idx = append(idx, i)
				}
			}
			slices.SortStableFunc(idx, func(x, y int) int { return fires[x].Compare(fires[y]) })
			return idx
		}
		drain := func(h *agenda) []int {
			var got []int
			for ; h != nil; h = h.pop() {
				got = append(got, h.i)
			}
			return got
		}
		if got := drain(h); !slices.Equal(got, want(fires)) {
			t.Fatalf("n=%d: order %v, want %v", n, got, want(fires))
		}
		if n == 0 {
			continue
		}
		// Move one activation later, as Decide does when it fires.
		moved := slices.Clone(fires)
		i := rng.IntN(n)
		moved[i] = t0.Add(time.Duration(rng.IntN(40)) * time.Minute)
		var h2 *agenda
		for k := h; k != nil; k = k.pop() {
			if k.i != i {
				h2 = h2.push(fires[k.i], k.i)
			}
		}
		h2 = h2.push(moved[i], i)
		if got := drain(h2); !slices.Equal(got, want(moved)) {
			t.Fatalf("n=%d after a push: order %v, want %v", n, got, want(moved))
		}
		if got := drain(h); !slices.Equal(got, want(fires)) {
			t.Fatalf("n=%d: the first agenda changed under the second: %v", n, got)
		}
	}
}
