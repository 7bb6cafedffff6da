package check_test

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/tracetest"
	"github.com/headroomhq/headroom/policy"
)

// Regression test for a WorldCup98 violation blamed on a scale-down twelve
// days earlier: on a real trace, every violation's cause is a cut that was
// the last change of capacity before the violation's first window ended,
// or none (demand outgrew the capacity) — never a scale-out, never an older
// decision.
func TestCausesOnWorldCup(t *testing.T) {
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A plain HPA at 85% cpu, no schedules: WorldCup's match-time surges
	// outrun it, and it scales in between them.
	pol, err := policy.ParsePolicy("hpa.yaml", []byte("apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: hpa}\n"+
		"spec:\n  minInstances: 2\n  maxInstances: 400\n  targetTracking: {metric: cpu, target: 85}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracetest.Read(t, "worldcup98_1min.csv", 0.3)
	r, err := check.Run(check.Options{Service: svc, Proposed: pol, Traffic: []*headroom.Series{tr}})
	if err != nil {
		t.Fatal(err)
	}
	p := r.Policies[0]
	if len(p.Violations) == 0 {
		t.Fatal("no violation: the test needs some (raise the scale)")
	}
	var blamed, outgrown int
	for _, v := range p.Violations {
		if v.CauseSummary == "" {
			t.Errorf("violation at %s has no cause summary", v.Start)
		}
		c := v.Cause
		if c == nil {
			outgrown++
			continue
		}
		blamed++
		if c.Desired >= c.Current {
			t.Errorf("violation at %s blamed on %s %d -> %d: not a cut", v.Start, c.Reason.Code, c.Current, c.Desired)
		}
		for _, d := range p.Decisions {
			if d.Changed() && d.Time.After(c.Time) && d.Time.Before(v.Start.Add(svc.SLO.Window)) {
				t.Errorf("violation at %s blamed on %s at %s, but %s at %s changed capacity after it", v.Start, c.Reason.Code, c.Time, d.Reason.Code, d.Time)
				break
			}
		}
		if v.Start.Sub(c.Time) > time.Hour {
			t.Errorf("violation at %s blamed on a decision %s earlier", v.Start, v.Start.Sub(c.Time))
		}
	}
	t.Logf("%d violations: %d blamed on a cut, %d on demand outgrowing capacity; the first: %s", len(p.Violations), blamed, outgrown, p.Violations[0].CauseSummary)
}
