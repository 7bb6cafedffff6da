package sim

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/schedule"
)

// BenchmarkRunDay simulates one day of per-second traffic (86,400 steps)
// through the example's proposed policy and reports steps per second on one
// core.
func BenchmarkRunDay(b *testing.B) {
	o := synth.Defaults()
	o.Step = time.Second
	tr := exampletest.Synth(b, o, "day.csv")
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

// BenchmarkScheduledMonth simulates a month of traffic (2.6 million
// seconds) through target tracking plus 10 or 10,000 scheduled actions,
// each firing once a month at a minute of its own: the cost of a schedule
// must be its activations, not a scan of every schedule at each decision.
// Compare the two: 10,000 schedules should cost about as much as 10.
func BenchmarkScheduledMonth(b *testing.B) {
	start := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	tr := &headroom.Series{Name: "month", Start: start, Step: time.Minute, Counts: make([]float64, 30*24*60)}
	for i := range tr.Counts {
		tr.Counts[i] = 60 * (3000 + 2000*math.Sin(float64(i)/(24*60)*2*math.Pi))
	}
	svc := &headroom.Service{Name: "s", CapacityPerInstance: 100, BaseLatency: 80 * time.Millisecond, StartupDelay: 3 * time.Minute,
		SLO: headroom.SLO{MaxErrorRatio: 0.001, MaxLatency: 250 * time.Millisecond, Window: time.Minute}}
	for _, n := range []int{10, 10_000} {
		p := &headroom.Policy{Name: "p", Min: 10, Max: 200, Target: &headroom.TargetTracking{
			Metrics:    []headroom.MetricTarget{{Name: "cpu", Kind: headroom.MetricCPU, Target: 60}},
			SyncPeriod: 15 * time.Second, Window: time.Minute, Delay: 30 * time.Second,
			ScaleUp: policy.DefaultScaleUp(), ScaleDown: policy.DefaultScaleDown()}}
		for i := range n {
			// Minute i*7 of the month (days 1 to 28), a distinct minute each.
			m := (i * 7) % (28 * 24 * 60)
			spec := fmt.Sprintf("%d %d %d * *", m%60, m/60%24, 1+m/(24*60))
			c, err := schedule.Parse(spec, time.UTC)
			if err != nil {
				b.Fatal(err)
			}
			lo := 10 + i%20
			p.Schedules = append(p.Schedules, headroom.ScheduledAction{Name: spec, Spec: spec, TimeZone: time.UTC, Schedule: c, Min: &lo})
		}
		b.Run(fmt.Sprintf("schedules=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Run(Config{Service: svc, Policy: p, Traffic: tr}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tr.Seconds())*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
