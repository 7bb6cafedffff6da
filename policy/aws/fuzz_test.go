package aws_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/aws"
)

// FuzzParse checks that no input panics, that every error is an input
// error naming the file, and that every policy is one the engine can run.
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
			var one *headroom.InputError
			var list headroom.InputErrors
			switch {
			case errors.As(err, &list):
				if len(list) == 0 {
					t.Fatal("empty InputErrors")
				}
				for _, e := range list {
					if e.File != "fuzz.json" || e.Line < 1 {
						t.Fatalf("error names %s:%d: %v", e.File, e.Line, e)
					}
				}
			case errors.As(err, &one):
				if one.File != "fuzz.json" || one.Line < 1 {
					t.Fatalf("error names %s:%d: %v", one.File, one.Line, one)
				}
			default:
				t.Fatalf("got %T %v, want an input error", err, err)
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
	})
}
