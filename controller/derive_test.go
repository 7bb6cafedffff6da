package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/memory"
)

// demandOnly is a source with a demand query and no utilization one.
type demandOnly struct{ demand float64 }

func (s demandOnly) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	return headroom.Observation{Time: now, Demand: s.demand, HasDemand: true}, nil
}

// Regression test for a cpu-tracking target with only prometheus.demand,
// which held capacity forever ("no sample of cpu") while check computed
// cpu from demand: the live loop derives it the same way, and says so.
func TestCPUDerivedFromDemand(t *testing.T) {
	pol, err := policy.ParsePolicy("hpa.yaml", []byte("apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: web}\n"+
		"spec:\n  minInstances: 2\n  maxInstances: 100\n  targetTracking: {metric: cpu, target: 65}\n"))
	if err != nil {
		t.Fatal(err)
	}
	act, state := fleet(t, 20)
	target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: pol, Source: demandOnly{demand: 1800}, Actuator: act, CapacityPerInstance: 100}
	c := controller.New(&memory.Journal{}, target)
	r := c.Step(context.Background(), time.Date(2021, 6, 30, 12, 0, 0, 0, time.UTC))[0]
	// 1800 req/s on 20 instances of 100: cpu 90, against 65: 28 instances.
	if !r.Observation.HasUtilization || r.Observation.Utilization != 90 {
		t.Errorf("observation: got %+v, want cpu 90 derived", r.Observation)
	}
	if r.Decision.Reason.Code != headroom.ReasonScaleUp || r.Decision.Desired != 28 || count(t, state) != 28 {
		t.Errorf("decision: got %s %d (fleet %d), want ScaleUp to 28", r.Decision.Reason.Code, r.Decision.Desired, count(t, state))
	}
	if !strings.Contains(r.Decision.Reason.Message, "cpu derived from demand") {
		t.Errorf("reason %q does not say the cpu was derived", r.Decision.Reason.Message)
	}
}
