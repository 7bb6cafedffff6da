package check_test

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
)

// BenchmarkCheckWeek checks the example's two policies on a week of
// per-second traffic (604,800 steps each), parse excluded; bench/checkbench
// measures the month end to end.
func BenchmarkCheckWeek(b *testing.B) {
	o := synth.Defaults()
	o.Days, o.Step = 7, time.Second
	tr := exampletest.Synth(b, o, "week.csv")
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		b.Fatal(err)
	}
	prop, err := policy.LoadPolicy(example + "proposed.yaml")
	if err != nil {
		b.Fatal(err)
	}
	base, err := policy.LoadPolicy(example + "baseline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: base, Traffic: []*headroom.Series{tr}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(2*tr.Seconds())*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
