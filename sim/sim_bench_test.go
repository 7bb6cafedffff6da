package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/traffic"
)

// BenchmarkRunDay simulates one day of per-second traffic (86,400 steps)
// through the example's proposed policy and reports steps per second on one
// core.
func BenchmarkRunDay(b *testing.B) {
	o := synth.Defaults()
	o.Step = time.Second
	var buf bytes.Buffer
	if err := synth.Write(&buf, o); err != nil {
		b.Fatal(err)
	}
	tr, _, err := traffic.Read(&buf, "day.csv", traffic.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := policy.LoadService("../examples/bitbucket-2021-06-30/service.yaml")
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.LoadPolicy("../examples/bitbucket-2021-06-30/proposed.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(Config{Service: svc, Policy: pol, Traffic: tr}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(tr.Seconds())*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}
