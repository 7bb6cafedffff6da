package hpa_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/hpa"
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
	f.Add([]byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec: &s\n  x: *s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hpa.Detect(data)
		p, warnings, err := hpa.Parse("fuzz.yaml", data)
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
		tt := p.Target
		if tt == nil || len(tt.Metrics) == 0 || tt.SyncPeriod <= 0 {
			t.Fatalf("target: %+v", tt)
		}
		for _, m := range tt.Metrics {
			if !m.Kind.Valid() || !(m.Target > 0) || math.IsInf(m.Target, 0) {
				t.Fatalf("metric %+v", m)
			}
		}
		if !(tt.ScaleUpTolerance >= 0) || !(tt.ScaleDownTolerance >= 0) {
			t.Fatalf("tolerances %g %g", tt.ScaleUpTolerance, tt.ScaleDownTolerance)
		}
		for _, r := range []headroom.ScalingRules{tt.ScaleUp, tt.ScaleDown} {
			for _, rp := range r.Policies {
				if rp.Value <= 0 || rp.Period <= 0 {
					t.Fatalf("rate policy %+v", rp)
				}
			}
		}
	})
}
