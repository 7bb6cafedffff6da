package check

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/sim"
)

// perSecond hides a sink's AddSpan: sim.Run gives it every second as a row.
type perSecond struct{ s sim.Sink }

func (p perSecond) Add(s *headroom.Second) { p.s.Add(s) }

// The evaluator and the chart sinks must judge and draw a run the same
// whether its quiet seconds come a span at a time or one by one: the seed
// incident (overload, a backlog, 15 s traffic) and a day of 1 s traffic,
// with and without a percentile bound (the evaluator's twin).
func TestSpansJudgeAsSeconds(t *testing.T) {
	ex := exampletest.Load(t)
	o := synth.Defaults()
	o.Step = time.Second
	day := exampletest.Synth(t, o, "day.csv")
	pct := *ex.Service
	pct.SLO.Percentile, pct.SLO.MaxPercentileLatency = 99, 300*time.Millisecond
	for _, svc := range []*headroom.Service{ex.Service, &pct} {
		for _, tr := range []*headroom.Series{ex.Traffic, day} {
			for _, p := range []*headroom.Policy{ex.Proposed, ex.Baseline} {
				type sinks struct {
					ev          *evaluator
					chart, fine *chartSink
				}
				var got [2]sinks
				quiet := 0
				for i := range got {
					s := sinks{newEvaluator(svc, time.UTC, tr.Name), newChartSink(svc, tr, 0), newBucketSink(svc, tr, zoomBucket, 0)}
					list := []sim.Sink{s.ev, s.chart, s.fine}
					if i == 1 {
						list = []sim.Sink{perSecond{s.ev}, perSecond{s.chart}, perSecond{s.fine}}
					} else {
						list = append(list, spanCounter{&quiet})
					}
					if _, err := sim.Run(sim.Config{Service: svc, Policy: p, Traffic: tr}, list...); err != nil {
						t.Fatal(err)
					}
					s.ev.finish()
					s.chart.finish()
					s.fine.finish()
					got[i] = s
				}
				name := svc.Name + "/" + tr.Name + "/" + p.Name
				if quiet < tr.Seconds()/2 {
					t.Errorf("%s: %d of %d seconds came in spans, expected most", name, quiet, tr.Seconds())
				}
				a, b := got[0], got[1]
				if !reflect.DeepEqual(a.ev.violations, b.ev.violations) || a.ev.worstLatency != b.ev.worstLatency ||
					a.ev.worstPercentile != b.ev.worstPercentile || a.ev.peakInstances != b.ev.peakInstances || a.ev.minInstances != b.ev.minInstances {
					t.Errorf("%s: spans judged %d violations (worst %v, p %v), seconds %d (worst %v, p %v)", name,
						len(a.ev.violations), a.ev.worstLatency, a.ev.worstPercentile, len(b.ev.violations), b.ev.worstLatency, b.ev.worstPercentile)
				}
				if !reflect.DeepEqual(a.chart.c, b.chart.c) || !reflect.DeepEqual(a.fine.c, b.fine.c) {
					t.Errorf("%s: the charts differ", name)
				}
			}
		}
	}
}

// lockstep gives a run's seconds to two evaluators and two chart sinks,
// spans to one by AddSpan and to the other second by second, and compares
// all they hold after each span (the window's sums, the twin's mixture).
type lockstep struct {
	t     *testing.T
	ev    [2]*evaluator
	chart [2]*chartSink
	row   headroom.Second
	spans int
}

func (l *lockstep) Add(s *headroom.Second) {
	for i := range 2 {
		l.ev[i].Add(s)
		l.chart[i].Add(s)
	}
}

func (l *lockstep) AddSpan(sp *sim.Span) {
	l.ev[0].AddSpan(sp)
	l.chart[0].AddSpan(sp)
	for i := range sp.Demand {
		sp.Second(i, &l.row)
		l.ev[1].Add(&l.row)
		l.chart[1].Add(&l.row)
	}
	l.spans++
	if !reflect.DeepEqual(l.ev[0], l.ev[1]) || !reflect.DeepEqual(l.chart[0], l.chart[1]) {
		l.t.Fatalf("span %d of %d seconds from %s: AddSpan left %+v, Add %+v", l.spans, len(sp.Demand), sp.Start, *l.ev[0], *l.ev[1])
	}
}

// AddSpan must leave an evaluator and a chart sink as Add of each of the
// span's seconds does, with seconds that are not quiet between spans (a
// window's mixture of both) and a percentile bound.
func TestAddSpanIsAdd(t *testing.T) {
	ex := exampletest.Load(t)
	svc := *ex.Service
	svc.SLO.Percentile, svc.SLO.MaxPercentileLatency = 99, 300*time.Millisecond
	l := &lockstep{t: t}
	for i := range 2 {
		l.ev[i] = newEvaluator(&svc, time.UTC, "seed")
		l.chart[i] = newBucketSink(&svc, ex.Traffic, 7, 0)
	}
	if _, err := sim.Run(sim.Config{Service: &svc, Policy: ex.Proposed, Traffic: ex.Traffic}, l); err != nil {
		t.Fatal(err)
	}
	if l.spans < 100 {
		t.Fatalf("%d spans: expected the seed day to have many", l.spans)
	}
}

// spanCounter counts the seconds that came in spans.
type spanCounter struct{ n *int }

func (c spanCounter) Add(*headroom.Second) {}
func (c spanCounter) AddSpan(sp *sim.Span) { *c.n += len(sp.Demand) }

// maxOf must answer as a chain of the builtin max, whatever the length (a
// tail shorter than its four chains) and wherever a NaN, a −0 or the
// largest value falls.
func TestMaxOfIsTheBuiltinChain(t *testing.T) {
	nan, neg0 := math.NaN(), math.Copysign(0, -1)
	for n := 0; n <= 9; n++ {
		for at := 0; at < max(n, 1); at++ {
			for _, special := range []float64{7, nan, neg0, 0} {
				ds := make([]float64, n)
				for i := range ds {
					ds[i] = float64(i%3) - 1 // -1, 0, 1, ...
				}
				if n > 0 {
					ds[at] = special
				}
				for _, m := range []float64{neg0, -2, 5} {
					want := m
					for _, d := range ds {
						want = max(want, d)
					}
					got := maxOf(m, ds)
					if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
						t.Fatalf("maxOf(%v, %v) = %v, the chain says %v", m, ds, got, want)
					}
				}
			}
		}
	}
}
