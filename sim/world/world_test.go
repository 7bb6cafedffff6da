package world_test

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/sim/world"
	"github.com/headroomhq/headroom/store/memory"
)

func load(t *testing.T) (*headroom.Service, *headroom.Policy, *headroom.Series) {
	t.Helper()
	ex := exampletest.Load(t)
	return ex.Service, ex.Proposed, ex.Traffic
}

// The live controller on the simulated world does what check's replay
// does: the same engine, the same fleet, model and metrics pipeline, and
// the loop calls the engine at the replay's 15 s syncs, so the seed's day
// fails the same requests (to 0.1%: float sums in another order).
func TestLiveLoopAgreesWithCheck(t *testing.T) {
	svc, prop, tr := load(t)
	rep, err := check.Run(check.Options{Service: svc, Proposed: prop, Traffic: []*headroom.Series{tr}})
	if err != nil {
		t.Fatal(err)
	}
	replay := rep.Policies[0]
	w, err := world.ForPolicy(svc, prop, tr, replay.Decisions[0].Desired)
	if err != nil {
		t.Fatal(err)
	}
	target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: w, Actuator: w}
	c := controller.New(&memory.Journal{}, target)
	c.Logger = slog.New(slog.DiscardHandler)
	for now := w.Start(); now.Before(w.End()); now = now.Add(controller.DefaultInterval) {
		w.AdvanceTo(now)
		c.Step(context.Background(), now)
	}
	w.AdvanceTo(w.End())
	reqs, failed := w.Totals()
	if math.Abs(reqs-replay.Totals.Requests) > 1 {
		t.Errorf("requests: world %.0f, replay %.0f", reqs, replay.Totals.Requests)
	}
	if rel := math.Abs(failed-replay.Totals.FailedRequests) / replay.Totals.FailedRequests; rel > 0.001 {
		t.Errorf("failed requests: world %.0f, replay %.0f (%.1f%% apart)", failed, replay.Totals.FailedRequests, 100*rel)
	}
	t.Logf("failed: live %.0f, replay %.0f", failed, replay.Totals.FailedRequests)
}

// Observations average the window that ends at now, and scaling takes the
// service's start-up delay.
func TestObserveAndScale(t *testing.T) {
	svc := &headroom.Service{Name: "s", CapacityPerInstance: 100, StartupDelay: time.Minute, BaseLatency: 50 * time.Millisecond, RequestTimeout: 5 * time.Second,
		SLO: headroom.SLO{MaxErrorRatio: 0.001, MaxLatency: 200 * time.Millisecond, Window: time.Minute}}
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	tr := &headroom.Series{Name: "t", Start: start, Step: time.Second, Counts: make([]float64, 600)}
	for i := range tr.Counts {
		tr.Counts[i] = 500
	}
	w, err := world.New(svc, tr, 10)
	if err != nil {
		t.Fatal(err)
	}
	w.AdvanceTo(start.Add(30 * time.Second))
	obs, _ := w.Observe(context.Background(), start.Add(30*time.Second))
	if !obs.HasDemand || obs.Demand != 500 || math.Abs(obs.Utilization-50) > 0.01 || obs.ErrorRatio != 0 {
		t.Errorf("got %+v, want 500 req/s at 50%% cpu, no errors", obs)
	}
	w.Scale(context.Background(), 4, headroom.Reason{}) // 400 req/s of capacity for 500
	w.AdvanceTo(start.Add(60 * time.Second))
	obs, _ = w.Observe(context.Background(), start.Add(60*time.Second))
	if obs.ErrorRatio == 0 || obs.Utilization < 99 {
		t.Errorf("under-provisioned: got %+v, want errors and saturation", obs)
	}
	w.Scale(context.Background(), 10, headroom.Reason{})
	if c, _ := w.Capacity(context.Background()); c.Ready != 4 || c.Launching != 6 {
		t.Errorf("got %+v, want 4 ready and 6 launching", c)
	}
	w.AdvanceTo(start.Add(121 * time.Second))
	if c, _ := w.Capacity(context.Background()); c.Ready != 10 {
		t.Errorf("after the start-up delay: got %+v, want 10 ready", c)
	}
}
