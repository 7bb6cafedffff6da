package tune

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/headroomhq/headroom/sim"
)

// Kind is a kind of labelled scenario.
type Kind int

const (
	// Normal is the history as recorded: no page is wanted.
	Normal Kind = iota
	// Blips are short bursts of errors: no page is wanted either.
	Blips
	// Bursts are longer bursts of errors: each must page.
	Bursts
	nKinds
)

func (k Kind) String() string {
	return [...]string{"normal", "blips", "bursts"}[k]
}

// Fault is one injected stretch of errors in one recording.
type Fault struct {
	Kind Kind
	// Traffic indexes Options.Traffic.
	Traffic int
	// At and Length are in seconds from the recording's start.
	At, Length int
	// Start is At as a time.
	Start time.Time
	// ErrorRatio is the share of requests that fail during the fault (the
	// model's own errors, if higher, stay).
	ErrorRatio float64
}

// End is when the fault stops.
func (f Fault) End() time.Time { return f.Start.Add(time.Duration(f.Length) * time.Second) }

// place returns n faults of length secs in a recording of total seconds:
// one at a random time in each of n equal slots after the warm-up, so that
// they spread over the recording and never overlap. ratio draws each
// fault's error ratio.
func place(rng *rand.Rand, kind Kind, tr int, start time.Time, total, warmup, n, length int, ratio func() float64) []Fault {
	span := total - warmup
	if n <= 0 || span < n*length {
		return nil
	}
	slot := span / n
	out := make([]Fault, 0, n)
	for i := range n {
		from := warmup + i*slot
		at := from + rng.IntN(max(slot-length, 1))
		out = append(out, Fault{Kind: kind, Traffic: tr, At: at, Length: length,
			Start: start.Add(time.Duration(at) * time.Second), ErrorRatio: ratio()})
	}
	return out
}

// injector raises the error ratio of the seconds the faults cover. Faults
// must be in time order; the simulator calls it second by second.
func injector(fs []Fault) func(sec int, demand float64, o *sim.Outcome) {
	fs = slices.Clone(fs)
	i := 0
	return func(sec int, demand float64, o *sim.Outcome) {
		for i < len(fs) && sec >= fs[i].At+fs[i].Length {
			i++
		}
		if i < len(fs) && sec >= fs[i].At {
			r := max(o.ErrorRatio, fs[i].ErrorRatio)
			o.ErrorRatio, o.Failed = r, demand*r
		}
	}
}
