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
	latency  = flag.Duration("hpadiff.latency", time.Millisecond, "how long the fake API server takes to answer a scale read: syncs drift by it, as a real cluster's do (0: exact 15 s syncs)")
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
		fu, fh := NewFleet(s.Initial), NewFleet(s.Initial)
		for k := range up {
			mark := ""
			if up[k].Replicas != head[k].Replicas {
				mark = " <<"
			}
			ru, rh := fu.Ready(k), fh.Ready(k)
			util := "cpu missing"
			if !s.Missing[k] {
				util = fmt.Sprintf("cpu up %d%% head %d%%", s.Utilization(k, ru), s.Utilization(k, rh))
			}
			if s.Rate != nil && !s.RateMissing[k] {
				util += fmt.Sprintf(" rate up %d/pod head %d/pod", s.PerPodRate(k, ru), s.PerPodRate(k, rh))
			} else if s.Rate != nil {
				util += " rate missing"
			}
			fmt.Fprintf(&b, "  sync %2d t=%3ds ready up %d/%d head %d/%d %s: upstream %d (%s/%s) headroom %d (%s: %s)%s\n", k,
				int(up[k].At.Sub(up[0].At).Seconds()), ru, len(fu.ReadyAt), rh, len(fh.ReadyAt), util, up[k].Replicas, up[k].Able, up[k].Limited,
				head[k].Replicas, head[k].Reason.Code, head[k].Reason.Message, mark)
			fu.Scale(up[k].Replicas, k, s.Launch)
			fh.Scale(head[k].Replicas, k, s.Launch)
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
	// ClassBoundsRescale: the replica count is outside [min, max] at a
	// sync (at the start, or after an edit of the bounds); the
	// controller's sync that brings it inside computes no metric and, with
	// behavior, records the move as a scale event (reconcileAutoscaler);
	// headroom applies the bound and then target tracking in the same
	// decision, and records no event for the bound.
	ClassBoundsRescale = "count outside [min, max]: the controller's bound rescale skips the metrics and counts as a scale event (reconcileAutoscaler)"
	// ClassFloatCeil: the controller's ceil(usageRatio × ready pods)
	// (ReplicaCalculator.GetResourceReplicas) rounds float noise up: 56/50
	// × 25 is 28.000000000000004 in float64, so it asks for 29; headroom's
	// ceil forgives 1e-9 and asks for 28.
	ClassFloatCeil = "float noise: ceil(usageRatio × ready) of an exact integer (GetResourceReplicas math.Ceil)"
	// ClassWholePercent: on a scale-up with pods not ready, the controller
	// recounts CPU utilization with them at 0% in integers, a whole
	// percent truncated (GetResourceReplicas, GetResourceUtilizationRatio);
	// headroom's engine recounts in float64.
	ClassWholePercent = "pods not ready: the scale-up recount of cpu is a truncated whole percent (GetResourceUtilizationRatio)"
)

// truncatedAt says whether, at sync k, the controller's truncated recount
// of cpu with pods not ready asks for another count than the same recount
// in float64 does.
func truncatedAt(r *Result, k int) bool {
	target := float64(*r.S.HPA.Spec.Metrics[0].Resource.Target.AverageUtilization)
	tolUp := 0.1
	if b := r.S.HPA.Spec.Behavior; b != nil && b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
		tolUp = b.ScaleUp.Tolerance.AsApproximateFloat64()
	}
	f := upFleet(r, k)
	ready, total := f.Ready(k), len(f.ReadyAt)
	if r.S.Missing[k] || ready == total || ready == 0 {
		return false
	}
	u := r.S.Utilization(k, ready)
	if float64(u)/target <= 1 {
		return false
	}
	rec := func(over float64) int {
		if over/target <= 1+tolUp {
			return total
		}
		return int(math.Ceil(over/target*float64(total) - 1e-9))
	}
	return rec(float64(u*ready/total)) != rec(float64(u*ready)/float64(total))
}

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

// upFleet is the upstream side's pods at sync k.
func upFleet(r *Result, k int) *Fleet {
	f := NewFleet(r.S.Initial)
	for j := range k {
		f.Scale(r.Up[j].Replicas, j, r.S.Launch)
	}
	return f
}

// floatNoise says whether, at sync k, a product the controller rounds up
// is an integer that float64 arithmetic lands just above: cpu's
// ceil(usageRatio × ready) (GetResourceReplicas) or a Pods metric's
// (calcPlainMetricReplicas).
func floatNoise(r *Result, k int) bool {
	f := upFleet(r, k)
	ready := f.Ready(k)
	var products []float64
	if !r.S.Missing[k] {
		ratio := float64(r.S.Utilization(k, ready)) / float64(*r.S.HPA.Spec.Metrics[0].Resource.Target.AverageUtilization)
		products = append(products, ratio*float64(ready))
	}
	if r.S.HasPodsMetric() && !r.S.RateMissing[k] {
		ratio := float64(r.S.PerPodRate(k, ready)) / r.S.HPA.Spec.Metrics[1].Pods.Target.AverageValue.AsApproximateFloat64()
		products = append(products, ratio*float64(ready))
	}
	for _, x := range products {
		if math.Ceil(x) != math.Ceil(x-1e-9) {
			return true
		}
	}
	return false
}

// outsideAt says whether the upstream count was outside the bounds in
// force at sync k.
func outsideAt(r *Result, k int) bool {
	n := r.S.Initial
	if k > 0 {
		n = r.Up[k-1].Replicas
	}
	lo, hi := r.S.Bounds(k)
	return n < lo || n > hi
}

// classify names the first divergence by the mechanism behind it, from the
// scenario and the two sides' reasons at that sync; a divergence that
// matches none is "unexplained: ..." with both reasons, which fails
// TestDifferentialSample.
func classify(r *Result) string {
	k := r.First
	u, h := r.Up[k], r.Head[k]
	rateLimited := strings.HasPrefix(u.Limited, "Scale") || h.Reason.Code == "ScaleUpLimit" || h.Reason.Code == "ScaleDownLimit"
	switch {
	case noiseUpTo(r, k):
		return ClassFloatCeil
	// The engine recounts in whole percents and rescales to a bound as
	// the controller does: only a difference at the divergent sync itself
	// would be theirs.
	case truncatedAt(r, k):
		return ClassWholePercent
	case outsideAt(r, k):
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
	return class == ClassLegacyWindowEdge || class == ClassFloatCeil || class == ClassEventSlots || class == ClassBoundsRescale ||
		class == ClassWholePercent
}
