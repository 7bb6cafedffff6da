package hpa_test

import (
	"os"
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/hpa"
)

// TestRewriteRoundTrip: bounds and targets written into an HPA read back
// as written, a quantity target scaled in its own unit; comments, the
// workload and the behavior stay; a schedule is refused.
func TestRewriteRoundTrip(t *testing.T) {
	tests := []struct {
		file    string
		targets []float64
		keep    []string
	}{
		{"testdata/example-hpa.yaml", []float64{70}, []string{"minReplicas: 25 # the daytime floor, held all night too", "averageUtilization: 70 # percent of the request", "replicas: 24"}},
		{"testdata/pods-metric.yaml", []float64{150, 85}, []string{"averageValue: \"150\"", "stabilizationWindowSeconds: 120"}},
		{"testdata/default-metrics.yaml", []float64{65}, []string{"averageUtilization: 65"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			cur, _, err := hpa.Parse(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			p := *cur
			tr := *cur.Target
			tr.Metrics = append([]headroom.MetricTarget(nil), cur.Target.Metrics...)
			for i, v := range tt.targets {
				tr.Metrics[i].Target = v
			}
			p.Target, p.Min, p.Max = &tr, 25, 110
			out, err := hpa.Rewrite(tt.file, data, &p)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := hpa.Parse(tt.file, out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got.Min != 25 || got.Max != 110 {
				t.Errorf("bounds: got %d..%d, want 25..110", got.Min, got.Max)
			}
			for i, v := range tt.targets {
				if got.Target.Metrics[i].Target != v {
					t.Errorf("metric %d: target %v read back, want %v", i, got.Target.Metrics[i].Target, v)
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(string(out), k) {
					t.Errorf("the written file lacks %q:\n%s", k, out)
				}
			}
			p.Schedules = []headroom.ScheduledAction{{Name: "floor-0857"}}
			if _, err := hpa.Rewrite(tt.file, data, &p); err == nil || !strings.Contains(err.Error(), "a HorizontalPodAutoscaler has no schedules") {
				t.Errorf("a schedule: got %v, want a refusal", err)
			}
		})
	}
}
