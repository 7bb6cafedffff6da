package keda_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/engine"
	"github.com/headroomhq/headroom/policy/keda"
)

// FuzzParse checks that no input panics, that every error is an input
// error naming the file, and that every policy is one the engine can run.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nspec: &s\n  x: *s\n"))
	start := time.Date(2024, 3, 31, 0, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		keda.Detect(data)
		p, warnings, err := keda.Parse("fuzz.yaml", data)
		if err != nil {
			list := headroom.AsInputErrors(err)
			if len(list) == 0 {
				t.Fatalf("got %T %v, want an input error", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.yaml" {
					t.Fatalf("error names %s:%d: %v", e.File, e.Line, e)
				}
			}
			if p != nil || warnings != nil {
				t.Fatal("a policy or warnings returned with an error")
			}
			return
		}
		if p.Min < 1 || p.Max < p.Min || p.Initial != 0 && (p.Initial < p.Min || p.Initial > p.Max) {
			t.Fatalf("bounds: min %d max %d initial %d", p.Min, p.Max, p.Initial)
		}
		if len(p.Schedules) != 0 {
			t.Fatalf("schedules: %d", len(p.Schedules))
		}
		if tt := p.Target; tt != nil {
			if len(tt.Metrics) == 0 || tt.SyncPeriod <= 0 {
				t.Fatalf("target: %+v", tt)
			}
			for _, m := range tt.Metrics {
				if !(m.Target > 0) || math.IsInf(m.Target, 0) {
					t.Fatalf("metric %+v", m)
				}
				switch {
				case m.Kind == headroom.MetricCron:
					if w := m.Window; w == nil || w.Start == nil || w.End == nil || w.TimeZone == nil || w.Desired < 1 {
						t.Fatalf("cron metric %+v", m)
					}
				case !m.Kind.Valid():
					t.Fatalf("metric kind %q", m.Kind)
				}
			}
			if f := tt.Fallback; f != nil && (f.FailureThreshold < 1 || f.Replicas < 1) {
				t.Fatalf("fallback %+v", f)
			}
			for _, r := range []headroom.ScalingRules{tt.ScaleUp, tt.ScaleDown} {
				for _, rp := range r.Policies {
					if rp.Value <= 0 || rp.Period <= 0 {
						t.Fatalf("rate policy %+v", rp)
					}
				}
			}
		}
		// The engine runs it.
		st := engine.NewState(p, start)
		current := max(p.Initial, p.Min)
		for i := 0; i < 3; i++ {
			out := engine.Decide(engine.Input{Now: start.Add(time.Duration(i) * 15 * time.Second), Policy: p,
				Current: headroom.Capacity{Ready: current}, State: st,
				Observation: headroom.Observation{Utilization: 50, HasUtilization: true, Demand: 100, HasDemand: true}})
			if out.Desired < p.Min || out.Desired > p.Max {
				t.Fatalf("decision %d outside %d..%d: %s", out.Desired, p.Min, p.Max, out.Reason.Message)
			}
			st, current = out.State, out.Desired
		}
	})
}
