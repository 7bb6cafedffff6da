package aws_test

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/aws"
)

// FuzzParse checks that no input panics, that every error is an input
// error naming the file, and that every policy is one the engine can run:
// bounds, schedules, target tracking, and step scaling policies whose
// alarms and steps are well formed.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	more, err := filepath.Glob("testdata/*/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(files, more...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\xff\xfe{\x00}\x00"))
	f.Add([]byte(`{"ScalableTargets": [{"MinCapacity": 1e400}]}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		aws.Detect(data)
		p, warnings, err := aws.Parse("fuzz.json", data)
		if err != nil {
			list := headroom.AsInputErrors(err)
			if len(list) == 0 {
				t.Fatalf("got %T %v, want an input error", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.json" || e.Line < 1 {
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
		for _, s := range p.Schedules {
			if s.Schedule == nil || s.TimeZone == nil || s.Min == nil && s.Max == nil && s.Desired == nil {
				t.Fatalf("schedule %+v", s)
			}
			for _, n := range []*int{s.Min, s.Max, s.Desired} {
				if n != nil && *n < 1 {
					t.Fatalf("schedule %q sets %d", s.Name, *n)
				}
			}
			at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for range 3 {
				next := s.Schedule.Next(at)
				if next.IsZero() {
					break
				}
				if !next.After(at) {
					t.Fatalf("schedule %q: Next(%v) = %v", s.Name, at, next)
				}
				at = next
			}
		}
		if tt := p.Target; tt != nil {
			if tt.Algorithm != headroom.AlgorithmAWS || tt.AWS == nil || len(tt.Metrics) == 0 || len(tt.AWS.Policies) != len(tt.Metrics) || tt.SyncPeriod <= 0 {
				t.Fatalf("target: %+v", tt)
			}
			for i, m := range tt.Metrics {
				if !m.Kind.Valid() || !(m.Target > 0) || math.IsInf(m.Target, 0) || m.Kind == headroom.MetricCPU && m.Target > 100 {
					t.Fatalf("metric %+v", m)
				}
				if p := tt.AWS.Policies[i]; p.ScaleInCooldown < 0 || p.ScaleOutCooldown < 0 {
					t.Fatalf("policy %+v", p)
				}
			}
			if tt.AWS.InstanceWarmup < 0 {
				t.Fatalf("warm-up %v", tt.AWS.InstanceWarmup)
			}
		}
		for _, s := range p.Steps {
			finite := func(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }
			if !s.Metric.Kind.Valid() || !finite(s.Threshold) || s.EvaluationPeriods < 1 || s.EvaluationPeriods > 63 ||
				s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods || s.Cooldown < 0 || len(s.Steps) == 0 || s.MinAdjustmentMagnitude < 0 {
				t.Fatalf("step scaling %+v", s)
			}
			switch s.Comparison {
			case "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold":
			default:
				t.Fatalf("comparison %q", s.Comparison)
			}
			switch s.AdjustmentType {
			case "ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity":
			default:
				t.Fatalf("adjustment type %q", s.AdjustmentType)
			}
			// The steps, in order, neither overlap nor leave a gap.
			steps := append([]headroom.StepAdjustment(nil), s.Steps...)
			sort.Slice(steps, func(i, j int) bool {
				a, b := steps[i].Lower, steps[j].Lower
				return a == nil && b != nil || a != nil && b != nil && *a < *b
			})
			for i, st := range steps {
				if st.Lower != nil && !finite(*st.Lower) || st.Upper != nil && !finite(*st.Upper) || st.Lower != nil && st.Upper != nil && *st.Upper <= *st.Lower {
					t.Fatalf("step %+v of %q", st, s.Name)
				}
				if i > 0 && (steps[i-1].Upper == nil || st.Lower == nil || *steps[i-1].Upper != *st.Lower) {
					t.Fatalf("steps of %q overlap or leave a gap", s.Name)
				}
			}
		}
	})
}
