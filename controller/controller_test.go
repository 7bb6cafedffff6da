package controller_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/actuator/exec"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const example = "../examples/bitbucket-2021-06-30/"

// steady is a metrics source that always sees the same demand and cpu. A
// fake is enough here: metrics/prom is tested against a real Prometheus.
type steady struct {
	demand, cpu float64
	err         error
}

func (s steady) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	if s.err != nil {
		return headroom.Observation{}, s.err
	}
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: s.demand, HasDemand: true,
		Utilization: s.cpu, HasUtilization: true, HasHealth: true}, nil
}

// fleet is a real command actuator over a file holding the instance count:
// scale.sh writes it (or fails when told to), read.sh prints it.
func fleet(t *testing.T, count int) (*exec.Actuator, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "count")
	os.WriteFile(state, []byte(strconv.Itoa(count)), 0o644)
	scale := filepath.Join(dir, "scale.sh")
	read := filepath.Join(dir, "read.sh")
	os.WriteFile(scale, []byte("#!/bin/sh\n[ -e \""+dir+"/fail\" ] && { echo 'platform says no' >&2; exit 3; }\nprintf '%s' \"$HEADROOM_DESIRED\" > \""+state+"\"\n"), 0o755)
	os.WriteFile(read, []byte("#!/bin/sh\ncat \""+state+"\"\n"), 0o755)
	a, err := exec.New(exec.Config{Target: "web", Scale: []string{scale}, Read: []string{read}, Timeout: 5 * time.Second, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return a, state
}

func count(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func load(t *testing.T) (*headroom.Service, *headroom.Policy, *headroom.Policy) {
	t.Helper()
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prop, err := policy.LoadPolicy(example + "proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base, err := policy.LoadPolicy(example + "baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return svc, prop, base
}

// The seed's bad scheduled action, replayed live at 17:00 UTC while the
// site serves 3,400 req/s on 57 instances: with guards off it happens (the
// actuator is told 12), with guards on it is deferred and the record says
// why.
func TestSeedLive(t *testing.T) {
	svc, prop, _ := load(t)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for _, guarded := range []bool{false, true} {
		t.Run("guards "+map[bool]string{false: "off", true: "on"}[guarded], func(t *testing.T) {
			act, state := fleet(t, 57)
			target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act}
			if guarded {
				target.Guards = headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)
			}
			j := &memory.Journal{}
			c := controller.New(j, target)
			c.Step(context.Background(), at.Add(-15*time.Second))
			r := c.Step(context.Background(), at)[0]
			switch {
			case !guarded && (count(t, state) != 12 || !r.Applied || r.Decision.Reason.Code != headroom.ReasonScheduled):
				t.Errorf("guards off: fleet %d, record %+v; want the cut to 12 applied", count(t, state), r.Decision)
			case guarded && (count(t, state) != 57 || r.Decision.Reason.Code != headroom.ReasonScaleInDeferred ||
				!strings.Contains(r.Decision.Reason.Message, `scheduled action "night-savings"`) || !strings.Contains(r.Decision.Reason.Message, "3400 req/s needs")):
				t.Errorf("guards on: fleet %d, reason %s: %s; want 57 kept and the deferral explained", count(t, state), r.Decision.Reason.Code, r.Decision.Reason.Message)
			}
			if recs, _ := j.Records(context.Background(), "web", time.Time{}, time.Time{}, 0); len(recs) != 2 {
				t.Errorf("records: got %d, want 2", len(recs))
			}
		})
	}
}

// Regression guard for the copy-on-write contract in production: a failed
// actuation leaves the engine's memory as it was, so the next iteration
// decides the same thing again and the scale happens once the platform
// answers.
func TestFailedActuationIsRetried(t *testing.T) {
	_, prop, _ := load(t)
	act, state := fleet(t, 57)
	fail := filepath.Join(filepath.Dir(state), "fail")
	os.WriteFile(fail, nil, 0o644)
	j := &memory.Journal{}
	c := controller.New(j, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: steady{demand: 3400, cpu: 60}, Actuator: act})
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	c.Step(context.Background(), at.Add(-15*time.Second))
	r := c.Step(context.Background(), at)[0]
	if r.Applied || !strings.Contains(r.Error, "scale to 12") || !strings.Contains(r.Error, "platform says no") {
		t.Fatalf("failing platform: %+v", r)
	}
	os.Remove(fail)
	r = c.Step(context.Background(), at.Add(15*time.Second))[0]
	if !r.Applied || count(t, state) != 12 || r.Decision.Reason.Code != headroom.ReasonScheduled {
		t.Errorf("retry: fleet %d, record %s %+v; want the scheduled cut applied now", count(t, state), r.Error, r.Decision)
	}
}

// With the metrics source down, nothing may remove capacity: not even the
// scheduled cut, which the blind guard freezes (an alert state), while the
// failure is recorded.
func TestBlindWhenMetricsFail(t *testing.T) {
	svc, prop, _ := load(t)
	act, state := fleet(t, 57)
	target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Guards: headroom.DefaultGuards(svc, prop, 0.1),
		Source: steady{err: &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "prometheus is down"}}, Actuator: act}
	c := controller.New(&memory.Journal{}, target)
	at := time.Date(2021, 6, 30, 16, 59, 0, 0, time.UTC)
	var blind bool
	for i := 0; i < 12; i++ {
		r := c.Step(context.Background(), at.Add(time.Duration(i)*15*time.Second))[0]
		if !strings.Contains(r.Error, "prometheus is down") {
			t.Fatalf("the failure is not recorded: %q", r.Error)
		}
		blind = blind || r.Decision.Reason.Code == headroom.ReasonBlind
	}
	if count(t, state) != 57 || !blind {
		t.Errorf("fleet %d, a MetricsBlind decision seen: %v; want 57 kept by the blind guard", count(t, state), blind)
	}
}

func TestShadowAndProposedNeverAct(t *testing.T) {
	_, prop, base := load(t)
	act, state := fleet(t, 57)
	j := &memory.Journal{}
	c := controller.New(j, &controller.Target{Name: "web", Mode: headroom.ModeShadow, Policy: base, Proposed: prop,
		Source: steady{demand: 3400, cpu: 60}, Actuator: act})
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	c.Step(context.Background(), at.Add(-15*time.Second))
	r := c.Step(context.Background(), at)[0]
	if count(t, state) != 57 || r.Applied {
		t.Errorf("shadow mode acted: fleet %d", count(t, state))
	}
	if r.Proposed == nil || r.Proposed.Desired != 12 || r.Decision.Desired == 12 {
		t.Errorf("the proposed policy's divergence is not recorded: live %+v, proposed %+v", r.Decision, r.Proposed)
	}
}

// The engine's memory survives a restart: the HPA's rate policies count
// the scale-up the first controller made (+10 in this 15 s period), so a
// new controller on the same journal, 5 s later, does not scale up again;
// one without that memory (the real HPA after a controller restart) would
// double the count at once.
func TestRestartKeepsEngineMemory(t *testing.T) {
	p := &headroom.Policy{Name: "web", Min: 1, Max: 1000, Target: &headroom.TargetTracking{
		Metrics:          []headroom.MetricTarget{{Name: "cpu", Kind: headroom.MetricCPU, Target: 50}},
		ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1, SyncPeriod: 15 * time.Second,
		Window: 30 * time.Second, Delay: 15 * time.Second, ScaleUp: policy.DefaultScaleUp(), ScaleDown: policy.DefaultScaleDown()}}
	at := time.Date(2021, 6, 30, 14, 0, 0, 0, time.UTC)
	run := func(keep bool) int {
		t.Helper()
		act, state := fleet(t, 10)
		target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: p, Source: steady{demand: 5000, cpu: 100}, Actuator: act}
		j := &memory.Journal{}
		controller.New(j, target).Step(context.Background(), at)
		if count(t, state) != 20 {
			t.Fatalf("first step: fleet %d, want 20 (100%% cpu on 10, limited to +100%%)", count(t, state))
		}
		if !keep {
			j = &memory.Journal{}
		}
		controller.New(j, target).Step(context.Background(), at.Add(5*time.Second))
		return count(t, state)
	}
	if got := run(true); got != 20 {
		t.Errorf("restart with the journal: fleet %d, want 20 (no sync due, the period's scale-up remembered)", got)
	}
	if got := run(false); got != 40 {
		t.Errorf("restart without memory: fleet %d, want 40 (what a memoryless controller does)", got)
	}
}

func TestMetrics(t *testing.T) {
	svc, prop, _ := load(t)
	act, _ := fleet(t, 57)
	reg := prometheus.NewRegistry()
	c := controller.New(&memory.Journal{}, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop,
		Guards: headroom.DefaultGuards(svc, prop, 0.1), Source: steady{demand: 3400, cpu: 60}, Actuator: act})
	c.Metrics = controller.NewMetrics(reg)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	c.Step(context.Background(), at.Add(-15*time.Second))
	c.Step(context.Background(), at)
	if got := testutil.ToFloat64(c.Metrics.Guards.WithLabelValues("web", "scale_in")); got != 1 {
		t.Errorf("scale-in guard interventions: got %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.Metrics.Desired.WithLabelValues("web")); got != 57 {
		t.Errorf("desired: got %v, want 57", got)
	}
	if n := testutil.CollectAndCount(c.Metrics.IterationTime); n != 1 {
		t.Errorf("loop duration series: %d", n)
	}
	c.Targets[0].Source = steady{err: &headroom.Error{Code: headroom.EUNAVAILABLE, Message: "down"}}
	c.Step(context.Background(), at.Add(15*time.Second))
	if got := testutil.ToFloat64(c.Metrics.Errors.WithLabelValues("web", "read_metrics")); got != 1 {
		t.Errorf("metric read errors: got %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.Metrics.Alert.WithLabelValues("web", "metrics_unavailable")); got != 1 {
		t.Errorf("alert while Prometheus is down: got %v, want 1", got)
	}
	// Prometheus back: the alert clears.
	c.Targets[0].Source = steady{demand: 3400, cpu: 60}
	c.Step(context.Background(), at.Add(30*time.Second))
	if got := testutil.ToFloat64(c.Metrics.Alert.WithLabelValues("web", "metrics_unavailable")); got != 0 {
		t.Errorf("alert after recovery: got %v, want 0", got)
	}
}

// hpa is a platform autoscaler's minimum in memory, for the controller's
// side of guard mode; actuator/k8s holds a real HPA against a real API
// server.
type hpa struct {
	own, min int
	fail     error
}

func (h *hpa) PlatformMin(context.Context) (int, error) { return h.own, h.fail }
func (h *hpa) SetFloor(_ context.Context, floor int, _ headroom.Reason) error {
	if h.fail != nil {
		return h.fail
	}
	h.min = max(floor, h.own)
	return nil
}

// Guard mode on the seed: the platform's own minimum was cut to 12 at
// 17:00 UTC while 3,400 req/s needed 57 instances. headroom holds the
// minimum at 57, never scales itself, and lets go as demand falls, at the
// rate limit, counting the cuts the platform makes.
func TestGuardModeHoldsTheFloor(t *testing.T) {
	svc, prop, _ := load(t)
	act, state := fleet(t, 57)
	h := &hpa{own: 12, min: 12}
	src := &steady{demand: 3400, cpu: 60}
	target := &controller.Target{Name: "web", Mode: headroom.ModeGuard, Policy: prop, Source: src, Actuator: act, Floor: h,
		Guards: headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)}
	j := &memory.Journal{}
	c := controller.New(j, target)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

	r := c.Step(context.Background(), at)[0]
	if h.min != 57 || r.Decision.Desired != 57 || r.Decision.Min != 12 || !r.Applied || r.Decision.Reason.Code != headroom.ReasonScaleInDeferred {
		t.Fatalf("busy: hpa min %d, record %+v applied %v; want the floor held at 57", h.min, r.Decision, r.Applied)
	}
	if count(t, state) != 57 {
		t.Errorf("guard mode scaled the fleet to %d itself", count(t, state))
	}

	// Quiet again: the floor comes down at the rate limit, and back to the
	// platform's own 12 in the end.
	*src = steady{demand: 100, cpu: 10}
	var floors []int
	for i := 1; i <= 120 && h.min > 12; i++ {
		now := at.Add(time.Duration(i) * 15 * time.Second)
		r = c.Step(context.Background(), now)[0]
		if r.Error != "" {
			t.Fatalf("%s: %s", now, r.Error)
		}
		floors = append(floors, h.min)
		os.WriteFile(state, []byte(strconv.Itoa(h.min)), 0o644) // the HPA follows its minimum down
	}
	if h.min != 12 || r.Decision.Reason.Code != headroom.ReasonGuardIdle {
		t.Fatalf("quiet: hpa min %d (%s); want 12 restored, floors %v", h.min, r.Decision.Reason.Code, floors)
	}
	for i := 1; i < len(floors); i++ {
		if floors[i] > floors[i-1] {
			t.Errorf("floors %v: the floor rose while demand was low", floors)
		}
	}
	if floors[0] >= 57 || len(floors) < 4 {
		t.Errorf("floors %v: want a stepwise release", floors)
	}

	// The platform cannot be read: whatever floor is in place stays.
	h.min, h.fail = 30, errors.New("apiserver down")
	r = c.Step(context.Background(), at.Add(time.Hour))[0]
	if h.min != 30 || r.Applied || !strings.Contains(r.Error, "apiserver down") {
		t.Errorf("platform down: min %d, applied %v, error %q", h.min, r.Applied, r.Error)
	}
}
