package hpadiff

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

var (
	fullN    = flag.Int("hpadiff.n", 0, "TestDifferentialFull: scenarios to run (0 skips it)")
	fullSeed = flag.Uint64("hpadiff.seed", 1, "TestDifferentialFull: first seed")
	sampleN  = flag.Int("hpadiff.sample", 200, "TestDifferentialSample: scenarios to run")
	verbose  = flag.Bool("hpadiff.v", false, "print every divergent scenario's trace")
)

// Syncs per scenario: 15 minutes, three times the longest default window.
const syncs = 60

func TestMain(m *testing.M) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	flag.Parse()
	keepErrors()
	os.Exit(m.Run())
}

// Result is the comparison of one scenario.
type Result struct {
	S        *Scenario
	Up       []UpStep
	Head     []Step
	Equal    int
	First    int // first divergent sync, -1 when none
	Class    string
	Trace    string
	Compared int
}

func compare(t *testing.T, s *Scenario) Result {
	up := Upstream(t, s)
	at := make([]time.Time, 0, len(up))
	for _, u := range up {
		at = append(at, u.At)
	}
	head, err := Headroom(s, at)
	if err != nil {
		t.Fatalf("seed %d: headroom: %v", s.Seed, err)
	}
	r := Result{S: s, Up: up, Head: head, First: -1, Compared: len(up)}
	for k := range up {
		if up[k].Replicas == head[k].Replicas {
			r.Equal++
		} else if r.First < 0 {
			r.First = k
		}
	}
	if r.First >= 0 {
		r.Class = classify(&r)
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n", s.Describe())
		prevU, prevH := s.Initial, s.Initial
		for k := range up {
			mark := ""
			if up[k].Replicas != head[k].Replicas {
				mark = " <<"
			}
			util := "missing"
			if !s.Missing[k] {
				util = fmt.Sprintf("up %d%% head %d%%", s.Utilization(k, prevU), s.Utilization(k, prevH))
			}
			fmt.Fprintf(&b, "  sync %2d t=%3ds demand %.2f %s: upstream %d (%s/%s) headroom %d (%s: %s)%s\n", k,
				int(up[k].At.Sub(up[0].At).Seconds()), s.Demand[k], util, up[k].Replicas, up[k].Able, up[k].Limited,
				head[k].Replicas, head[k].Reason.Code, head[k].Reason.Message, mark)
			prevU, prevH = up[k].Replicas, head[k].Replicas
		}
		r.Trace = b.String()
	}
	return r
}

// The divergence classes docs/HPA.md ("Differential test against the
// upstream controller") explains, each with the upstream function behind it.
const (
	// ClassLegacyWindowEdge: without behavior, the controller keeps a
	// recommendation made exactly 5 minutes ago (stabilizeRecommendation
	// drops only samples Before the cutoff); headroom's window drops it.
	ClassLegacyWindowEdge = "no behavior: the 5-minute window's edge (stabilizeRecommendation keeps a sample exactly one window old)"
	// ClassEventSlots: with behavior, the controller reuses the slot of a
	// scale event older than its own direction's longest policy period
	// (storeScaleEvent, markScaleEventsOutdated), so the other direction's
	// limit, which reads both lists, forgets it; headroom keeps every event
	// of the longest period of either direction.
	ClassEventSlots = "behavior: a rate limit reads scale events the controller has overwritten (storeScaleEvent reuses outdated slots)"
	// ClassBoundsRescale: the replica count starts outside [min, max]; the
	// controller's sync that brings it inside computes no metric and, with
	// behavior, records the move as a scale event (reconcileAutoscaler);
	// headroom applies the bound and then target tracking in the same
	// decision, and records no event for the bound.
	ClassBoundsRescale = "start outside [min, max]: the controller's bound rescale skips the metrics and counts as a scale event (reconcileAutoscaler)"
	// ClassFloatCeil: the controller's ceil(usageRatio × ready pods)
	// (ReplicaCalculator.GetResourceReplicas) rounds float noise up: 56/50
	// × 25 is 28.000000000000004 in float64, so it asks for 29; headroom's
	// ceil forgives 1e-9 and asks for 28.
	ClassFloatCeil = "float noise: ceil(usageRatio × ready) of an exact integer (GetResourceReplicas math.Ceil)"
)

// noiseUpTo says whether float noise hit any sync up to k: a rounded-up
// recommendation stays in the stabilization window after its sync.
func noiseUpTo(r *Result, k int) bool {
	for j := range k + 1 {
		if floatNoise(r, j) {
			return true
		}
	}
	return false
}

// floatNoise says whether, at sync k, the product the controller rounds up
// is an integer that float64 arithmetic lands just above.
func floatNoise(r *Result, k int) bool {
	n := r.S.Initial
	if k > 0 {
		n = r.Up[k-1].Replicas
	}
	if r.S.Missing[k] {
		return false
	}
	ratio := float64(r.S.Utilization(k, n)) / float64(*r.S.HPA.Spec.Metrics[0].Resource.Target.AverageUtilization)
	x := ratio * float64(n)
	return math.Ceil(x) != math.Ceil(x-1e-9)
}

// classify names the first divergence by the mechanism behind it, from the
// scenario and the two sides' reasons at that sync; a divergence that
// matches none is "unexplained: ..." with both reasons, which fails
// TestDifferentialSample.
func classify(r *Result) string {
	k := r.First
	u, h := r.Up[k], r.Head[k]
	lo, hi := int(*r.S.HPA.Spec.MinReplicas), int(r.S.HPA.Spec.MaxReplicas)
	rateLimited := strings.HasPrefix(u.Limited, "Scale") || h.Reason.Code == "ScaleUpLimit" || h.Reason.Code == "ScaleDownLimit"
	switch {
	case noiseUpTo(r, k):
		return ClassFloatCeil
	case r.S.Initial < lo || r.S.Initial > hi:
		return ClassBoundsRescale
	case !r.S.HasBehavior() && h.Replicas < u.Replicas:
		return ClassLegacyWindowEdge
	case r.S.HasBehavior() && rateLimited:
		return ClassEventSlots
	}
	return fmt.Sprintf("unexplained: upstream %d (%s/%s), headroom %d (%s)", u.Replicas, u.Able, u.Limited, h.Replicas, h.Reason.Code)
}

// Summary tallies results.
type Summary struct {
	Scenarios, Syncs, Equal, Divergent int
	Classes                            map[string]int
	Examples                           map[string]string
}

func (s *Summary) add(r Result) {
	s.Scenarios++
	s.Syncs += r.Compared
	s.Equal += r.Equal
	if r.First >= 0 {
		s.Divergent++
		s.Classes[r.Class]++
		if _, ok := s.Examples[r.Class]; !ok {
			s.Examples[r.Class] = r.Trace
		}
	}
}

func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenarios %d, syncs compared %d, equal %d (%.3f%%), scenarios with a divergence %d\n",
		s.Scenarios, s.Syncs, s.Equal, 100*float64(s.Equal)/float64(max(s.Syncs, 1)), s.Divergent)
	for _, c := range slices.Sorted(maps.Keys(s.Classes)) {
		fmt.Fprintf(&b, "  %5d  %s\n", s.Classes[c], c)
	}
	return b.String()
}

func run(t *testing.T, first uint64, n int) *Summary {
	sum := &Summary{Classes: map[string]int{}, Examples: map[string]string{}}
	for i := range n {
		r := compare(t, Generate(first+uint64(i), syncs))
		if *verbose && r.First >= 0 {
			t.Logf("%s: %s", r.Class, r.Trace)
		}
		sum.add(r)
	}
	return sum
}

// TestDifferentialSample runs 200 fixed-seed scenarios through both the
// upstream controller and headroom's engine and fails on any divergence
// not in a class docs/HPA.md explains.
func TestDifferentialSample(t *testing.T) {
	sum := run(t, 1, *sampleN)
	t.Logf("\n%s", sum)
	for c, n := range sum.Classes {
		if !explained(c) {
			t.Errorf("%d scenarios diverge in an unexplained class %q; first:\n%s", n, c, sum.Examples[c])
		}
	}
}

// TestDifferentialFull is the large run:
//
//	go test -run TestDifferentialFull -hpadiff.n=10000 -timeout 2h
func TestDifferentialFull(t *testing.T) {
	if *fullN == 0 {
		t.Skip("set -hpadiff.n")
	}
	sum := run(t, *fullSeed, *fullN)
	fmt.Print(sum)
	for c := range sum.Classes {
		fmt.Printf("\n== %s\n%s", c, sum.Examples[c])
	}
}

// explained says whether docs/HPA.md explains class.
func explained(class string) bool {
	return class == ClassLegacyWindowEdge || class == ClassFloatCeil || class == ClassEventSlots || class == ClassBoundsRescale
}
