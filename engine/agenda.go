package engine

import "time"

// agenda is a persistent leftist heap of scheduled activations: the next
// activation of each action, earliest first, ties in policy order. A node
// is never changed once built, so states share an agenda and Decide's
// copy-on-write contract holds without copying it; pop and push build
// O(log n) new nodes.
// https://en.wikipedia.org/wiki/Leftist_tree
type agenda struct {
	at          time.Time
	i           int // index in Policy.Schedules
	rank        int // length of the right spine
	left, right *agenda
}

// newAgenda returns the agenda of fires (zero times never fire), built
// by merging pairs: O(n).
func newAgenda(fires []time.Time) *agenda {
	var q []*agenda
	for i, at := range fires {
		if !at.IsZero() {
			q = append(q, &agenda{at: at, i: i, rank: 1})
		}
	}
	for len(q) > 1 {
		n := 0
		for k := 0; k+1 < len(q); k += 2 {
			q[n] = merge(q[k], q[k+1])
			n++
		}
		if len(q)%2 == 1 {
			q[n] = q[len(q)-1]
			n++
		}
		q = q[:n]
	}
	if len(q) == 0 {
		return nil
	}
	return q[0]
}

// pop returns the agenda without its earliest activation.
func (h *agenda) pop() *agenda { return merge(h.left, h.right) }

// push returns the agenda with action i's activation at; a zero time
// never fires and is left out.
func (h *agenda) push(at time.Time, i int) *agenda {
	if at.IsZero() {
		return h
	}
	return merge(h, &agenda{at: at, i: i, rank: 1})
}

func (h *agenda) before(o *agenda) bool {
	c := h.at.Compare(o.at)
	return c < 0 || c == 0 && h.i < o.i
}

func rank(h *agenda) int {
	if h == nil {
		return 0
	}
	return h.rank
}

// merge returns the union of a and b, sharing their unchanged nodes.
func merge(a, b *agenda) *agenda {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.before(a):
		a, b = b, a
	}
	l, r := a.left, merge(a.right, b)
	if rank(l) < rank(r) {
		l, r = r, l
	}
	return &agenda{at: a.at, i: a.i, rank: rank(r) + 1, left: l, right: r}
}
