package kedadiff

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/policy/keda"
	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"
)

var (
	fullN   = flag.Int("kedadiff.n", 0, "TestCronFull: scenarios to run (0 skips it)")
	sampleN = flag.Int("kedadiff.sample", 100, "TestCronSample: scenarios to run")
	verbose = flag.Bool("kedadiff.v", false, "print every divergent scenario's first minutes")
)

// Zones: most change their clocks; Lord Howe by 30 minutes, Kolkata never.
var zones = []string{"America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney",
	"Pacific/Auckland", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kolkata"}

// Scenario is one cron trigger looked at every minute of [From, From+48h).
type Scenario struct {
	Seed       uint64
	Zone       string
	Start, End string
	Desired    int
	From       time.Time
}

// Generate draws scenario seed: a zone, start and end among the shapes
// people write (daily, weekdays, Sundays, ranges of hours, every 30
// minutes of an hour), with the hours around 01:00-03:00 where clocks
// change drawn more often, and two days around one of the zone's 2026
// clock changes (any two days for a zone without).
func Generate(seed uint64) *Scenario {
	r := rand.New(rand.NewPCG(seed, 0xbb67ae8584caa73b))
	s := &Scenario{Seed: seed, Zone: zones[r.IntN(len(zones))], Desired: 2 + r.IntN(19)}
	for s.Start == s.End {
		s.Start, s.End = spec(r), spec(r)
	}
	loc, err := time.LoadLocation(s.Zone)
	if err != nil {
		panic(err)
	}
	changes := clockChanges(loc, 2026)
	if len(changes) == 0 {
		s.From = time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, loc).UTC()
	} else {
		s.From = changes[r.IntN(len(changes))].Add(-time.Duration(12+r.IntN(25)) * time.Hour).Truncate(time.Minute)
	}
	return s
}

func spec(r *rand.Rand) string {
	hour := r.IntN(24)
	if r.IntN(2) == 0 {
		hour = r.IntN(4) // 00:00-03:59, where clocks change
	}
	minute := []int{0, 15, 30, 45}[r.IntN(4)]
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("%d %d * * 1-5", minute, hour)
	case 1:
		return fmt.Sprintf("%d %d * * 0", minute, hour)
	case 2:
		return fmt.Sprintf("%d %d-%d * * *", minute, hour, min(hour+1+r.IntN(3), 23))
	case 3:
		return fmt.Sprintf("*/30 %d * * *", hour)
	}
	return fmt.Sprintf("%d %d * * *", minute, hour)
}

// clockChanges returns the instants loc's offset changes in year.
func clockChanges(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	_, off := t.In(loc).Zone()
	for end := t.AddDate(1, 0, 0); t.Before(end); t = t.Add(15 * time.Minute) {
		if _, o := t.In(loc).Zone(); o != off {
			out = append(out, t)
			off = o
		}
	}
	return out
}

// Minutes per scenario: two days.
const minutes = 48 * 60

// Sample is one minute of one side: whether the window is active, the
// metric value reported and the replica count the HPA asks for.
type Sample struct {
	Active   bool
	Value    float64
	Replicas int
}

// KEDA runs KEDA's cron scaler on s, one GetMetricsAndActivity a minute,
// in a synctest bubble whose clock starts at s.From. The HPA's count is
// what its External AverageValue target of 1 asks for, ceil(value / 1),
// within [minReplicaCount 1, maxReplicaCount 100].
func KEDA(t *testing.T, s *Scenario) []Sample {
	var out []Sample
	synctest.Test(t, func(t *testing.T) {
		sc, err := scalers.NewCronScaler(&scalersconfig.ScalerConfig{
			TriggerType: "cron",
			TriggerMetadata: map[string]string{"timezone": s.Zone, "start": s.Start, "end": s.End,
				"desiredReplicas": fmt.Sprint(s.Desired)},
		})
		if err != nil {
			t.Fatalf("seed %d: KEDA refuses the trigger: %v", s.Seed, err)
		}
		ctx := context.Background()
		name := sc.GetMetricSpecForScaling(ctx)[0].External.Metric.Name
		time.Sleep(time.Until(s.From))
		for range minutes {
			m, active, err := sc.GetMetricsAndActivity(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			v := m[0].Value.AsApproximateFloat64()
			out = append(out, Sample{Active: active, Value: v, Replicas: min(max(1, ceilInt(v)), 100)})
			time.Sleep(time.Minute)
		}
	})
	return out
}

func ceilInt(v float64) int {
	n := int(v)
	if float64(n) < v {
		n++
	}
	return n
}

// manifest is the ScaledObject headroom reads: the trigger, bounds 1..100,
// and a behavior that lets the HPA follow the metric within one sync, so
// the count shows the window and not the HPA's rate limits.
func (s *Scenario) manifest() string {
	return fmt.Sprintf(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
spec:
  scaleTargetRef:
    name: web
  minReplicaCount: 1
  maxReplicaCount: 100
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          policies: [{type: Pods, value: 100, periodSeconds: 15}]
        scaleDown:
          stabilizationWindowSeconds: 0
          policies: [{type: Percent, value: 100, periodSeconds: 15}]
  triggers:
    - type: cron
      metadata:
        timezone: %s
        start: %q
        end: %q
        desiredReplicas: "%d"
`, s.Zone, s.Start, s.End, s.Desired)
}

// Headroom runs headroom's engine on s, one engine.Decide a minute from 1
// replica. Headroom's cron metric reports desiredReplicas inside the
// window and 1 outside (docs/KEDA.md), so the window is active when the
// engine's count is desiredReplicas.
func Headroom(s *Scenario) ([]Sample, error) {
	p, _, err := keda.Parse("scaledobject.yaml", []byte(s.manifest()))
	if err != nil {
		return nil, err
	}
	st := engine.NewState(p, s.From)
	n := 1
	out := make([]Sample, 0, minutes)
	for i := range minutes {
		at := s.From.Add(time.Duration(i) * time.Minute)
		o := engine.Decide(engine.Input{Now: at, Policy: p, Current: headroom.Capacity{Ready: n}, Observation: headroom.Observation{Time: at}, State: st})
		st, n = o.State, o.Desired
		active := n == s.Desired
		v := 1.0
		if active {
			v = float64(s.Desired)
		}
		out = append(out, Sample{Active: active, Value: v, Replicas: n})
	}
	return out, nil
}

// The classes of divergence docs/KEDA.md explains.
const (
	// ClassFallBack: a divergence within a day of clocks falling back
	// (none since the fixes docs/KEDA.md lists: an edge in the repeated
	// hour, Lord Howe's half-hour change).
	ClassFallBack = "clocks fall back"
	// ClassSpringForward: a divergence within a day of clocks springing
	// forward.
	ClassSpringForward = "clocks spring forward"
)

// Result is the comparison of one scenario.
type Result struct {
	S              *Scenario
	K, H           []Sample
	Equal, Minutes int
	ValueDiffers   int // minutes outside the window: KEDA reports 0, headroom 1
	First          int
	Class, Trace   string
}

func compare(t *testing.T, s *Scenario) Result {
	k := KEDA(t, s)
	h, err := Headroom(s)
	if err != nil {
		t.Fatalf("seed %d: headroom: %v\n%s", s.Seed, err, s.manifest())
	}
	r := Result{S: s, K: k, H: h, First: -1, Minutes: len(k)}
	for i := range k {
		if k[i].Replicas == h[i].Replicas && k[i].Active == h[i].Active {
			r.Equal++
		} else if r.First < 0 {
			r.First = i
		}
		if !k[i].Active && !h[i].Active && k[i].Value != h[i].Value {
			r.ValueDiffers++
		}
	}
	if r.First >= 0 {
		r.Class = classify(&r)
		loc, _ := time.LoadLocation(s.Zone)
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d %s start %q end %q desired %d\n", s.Seed, s.Zone, s.Start, s.End, s.Desired)
		for i := max(r.First-3, 0); i < min(r.First+5, len(k)); i++ {
			at := s.From.Add(time.Duration(i) * time.Minute)
			fmt.Fprintf(&b, "  %s = %s: KEDA active %v value %g replicas %d; headroom %d\n", at.Format("2006-01-02 15:04 UTC"),
				at.In(loc).Format("15:04 MST"), k[i].Active, k[i].Value, k[i].Replicas, h[i].Replicas)
		}
		r.Trace = b.String()
	}
	return r
}

// classify names the first divergence by the clock change within three
// hours of it, and which way the clocks went.
func classify(r *Result) string {
	loc, _ := time.LoadLocation(r.S.Zone)
	at := r.S.From.Add(time.Duration(r.First) * time.Minute)
	for _, c := range clockChanges(loc, at.Year()) {
		if d := at.Sub(c); d > -3*time.Hour && d < 27*time.Hour {
			_, before := c.Add(-time.Minute).In(loc).Zone()
			_, after := c.In(loc).Zone()
			if after < before {
				return ClassFallBack
			}
			return ClassSpringForward
		}
	}
	return "unexplained"
}

// Summary tallies results.
type Summary struct {
	Scenarios, Minutes, Equal, Divergent, ValueDiffers int
	Classes                                            map[string]int
	Examples                                           map[string]string
}

func (s *Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenarios %d, minutes compared %d, equal %d (%.3f%%), scenarios with a divergence %d; minutes outside the window where KEDA reports 0 and headroom 1: %d\n",
		s.Scenarios, s.Minutes, s.Equal, 100*float64(s.Equal)/float64(max(s.Minutes, 1)), s.Divergent, s.ValueDiffers)
	for _, c := range slices.Sorted(maps.Keys(s.Classes)) {
		fmt.Fprintf(&b, "  %5d  %s\n", s.Classes[c], c)
	}
	return b.String()
}

func run(t *testing.T, n int) *Summary {
	sum := &Summary{Classes: map[string]int{}, Examples: map[string]string{}}
	for i := range n {
		r := compare(t, Generate(uint64(i+1)))
		if *verbose && r.First >= 0 {
			t.Logf("%s: %s", r.Class, r.Trace)
		}
		sum.Scenarios++
		sum.Minutes += r.Minutes
		sum.Equal += r.Equal
		sum.ValueDiffers += r.ValueDiffers
		if r.First >= 0 {
			sum.Divergent++
			sum.Classes[r.Class]++
			if _, ok := sum.Examples[r.Class]; !ok {
				sum.Examples[r.Class] = r.Trace
			}
		}
	}
	return sum
}

// TestCronSample runs 100 fixed-seed scenarios through KEDA's cron scaler
// and headroom and fails on any divergence.
func TestCronSample(t *testing.T) {
	sum := run(t, *sampleN)
	t.Logf("\n%s", sum)
	for c, n := range sum.Classes {
		t.Errorf("%d scenarios diverge (%s); first:\n%s", n, c, sum.Examples[c])
	}
}

// TestCronFull is the large run:
//
//	go test -run TestCronFull -kedadiff.n=2000 -timeout 1h
func TestCronFull(t *testing.T) {
	if *fullN == 0 {
		t.Skip("set -kedadiff.n")
	}
	sum := run(t, *fullN)
	fmt.Print(sum)
	for _, c := range slices.Sorted(maps.Keys(sum.Examples)) {
		fmt.Printf("\n== %s\n%s", c, sum.Examples[c])
	}
}
