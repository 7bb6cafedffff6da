package k8s_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/actuator/k8s"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/internal/kubetest"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/store/memory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const example = "../../examples/bitbucket-2021-06-30/"

// demand is what the site served at the seed's 17:00 UTC: 3,400 req/s at
// 60% cpu on 57 instances. A fake is enough here: metrics/prom is tested
// against a real Prometheus.
type demand struct{ reqs, cpu float64 }

func (d demand) Observe(_ context.Context, now time.Time) (headroom.Observation, error) {
	return headroom.Observation{Time: now.Add(-15 * time.Second), Demand: d.reqs, HasDemand: true,
		Utilization: d.cpu, HasUtilization: true, HasHealth: true}, nil
}

func seed(t *testing.T) (*headroom.Service, *headroom.Policy) {
	t.Helper()
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prop, err := policy.LoadPolicy(example + "proposed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return svc, prop
}

// The seed's bad scheduled action replayed live against a Deployment of 57
// on a real API server: with guards off the cut to 12 happens (and the
// Deployment's events say why), with guards on it is deferred and the
// record says why.
func TestSeedLiveOnADeployment(t *testing.T) {
	s := kubetest.Shared(t)
	svc, prop := seed(t)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for _, guarded := range []bool{false, true} {
		t.Run(map[bool]string{false: "guards off", true: "guards on"}[guarded], func(t *testing.T) {
			c, ns := deployment(t, s, "web", 57, 57)
			target := &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop, Source: demand{3400, 60},
				Actuator: newActuator(t, c, ns, k8s.Deployment, "web", "")}
			if guarded {
				target.Guards = headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)
			}
			j := &memory.Journal{}
			ctl := controller.New(j, target)
			ctl.Step(context.Background(), at.Add(-15*time.Second))
			r := ctl.Step(context.Background(), at)[0]
			if r.Error != "" {
				t.Fatal(r.Error)
			}
			n := replicas(t, c, ns, "web")
			if !guarded {
				if n != 12 || !r.Applied || r.Decision.Reason.Code != headroom.ReasonScheduled {
					t.Fatalf("guards off: %d replicas, record %+v; want the cut to 12 applied", n, r.Decision)
				}
				if ev := events(t, c, ns); len(ev) != 1 || !strings.Contains(ev[0], `New size: 12 (was 57); reason: ScheduledAction: scheduled action "night-savings"`) {
					t.Errorf("events %q", ev)
				}
				return
			}
			if n != 57 || r.Applied || r.Decision.Reason.Code != headroom.ReasonScaleInDeferred ||
				!strings.Contains(r.Decision.Reason.Message, `scheduled action "night-savings"`) || !strings.Contains(r.Decision.Reason.Message, "3400 req/s needs") {
				t.Fatalf("guards on: %d replicas, reason %s: %s; want 57 kept and the deferral explained", n, r.Decision.Reason.Code, r.Decision.Reason.Message)
			}
			if recs, _ := j.Records(context.Background(), "web", at, at.Add(time.Second), 0); len(recs) != 1 || recs[0].Decision.Reason.Code != headroom.ReasonScaleInDeferred {
				t.Errorf("journal: %+v", recs)
			}
		})
	}
}

// Guard mode against a real HPA: the seed's night cut is made by lowering
// the HPA's minReplicas (a CronJob's way) while demand needs 57; headroom
// holds minReplicas at 57 until demand falls, then gives the HPA back its
// own minimum.
func TestGuardModeOnAnHPA(t *testing.T) {
	s := kubetest.Shared(t)
	svc, prop := seed(t)
	c, ns := deployment(t, s, "web", 57, 57)
	ctx := context.Background()
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa("web", 12, 120), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	src := &demand{3400, 60}
	target := &controller.Target{Name: "web", Mode: headroom.ModeGuard, Policy: prop, Source: src,
		Guards: headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)}
	a := newActuator(t, c, ns, k8s.Deployment, "web", "web")
	target.Actuator, target.Floor = a, a
	ctl := controller.New(&memory.Journal{}, target)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	r := ctl.Step(ctx, at)[0]
	if lo, _, _ := bounds(t, c, ns, "web"); lo != 57 || r.Error != "" || r.Decision.Reason.Code != headroom.ReasonScaleInDeferred {
		t.Fatalf("busy: minReplicas %d, record %+v %s", lo, r.Decision, r.Error)
	}
	if n := replicas(t, c, ns, "web"); n != 57 {
		t.Errorf("guard mode changed the Deployment itself: %d", n)
	}
	// Demand falls; the HPA (played here: no controller-manager runs)
	// follows its minimum down each time.
	*src = demand{100, 10}
	for i := 1; i <= 200; i++ {
		r = ctl.Step(ctx, at.Add(time.Duration(i)*15*time.Second))[0]
		if r.Error != "" {
			t.Fatal(r.Error)
		}
		lo, _, _ := bounds(t, c, ns, "web")
		d, _ := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if *d.Spec.Replicas > lo {
			d.Spec.Replicas = &lo
			if _, err := c.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			kubetest.SetReady(t, c, ns, "web", lo)
		}
		if r.Decision.Reason.Code == headroom.ReasonGuardIdle {
			break
		}
	}
	lo, hi, note := bounds(t, c, ns, "web")
	if lo != 12 || hi != 120 || note != "" || r.Decision.Reason.Code != headroom.ReasonGuardIdle {
		t.Errorf("quiet: min %d max %d note %q reason %s; want the HPA's own 12..120 restored", lo, hi, note, r.Decision.Reason.Code)
	}
}

// A target taken out of guard mode while headroom held its HPA up (in
// shadow mode now, hpa still named) gets the HPA's own minimum back at the
// next loop, and the Deployment is left alone.
func TestLeavingGuardModeGivesTheHPABack(t *testing.T) {
	s := kubetest.Shared(t)
	svc, prop := seed(t)
	c, ns := deployment(t, s, "web", 57, 57)
	ctx := context.Background()
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa("web", 12, 120), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a := newActuator(t, c, ns, k8s.Deployment, "web", "web")
	target := &controller.Target{Name: "web", Mode: headroom.ModeGuard, Policy: prop, Source: demand{3400, 60}, Actuator: a, Floor: a,
		Guards: headroom.DefaultGuards(svc, prop, headroom.DefaultGuardMargin)}
	ctl := controller.New(&memory.Journal{}, target)
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	ctl.Step(ctx, at)
	if lo, _, _ := bounds(t, c, ns, "web"); lo != 57 {
		t.Fatalf("guard mode: minReplicas %d, want 57", lo)
	}
	target.Mode = headroom.ModeShadow
	ctl.Step(ctx, at.Add(15*time.Second))
	if lo, hi, note := bounds(t, c, ns, "web"); lo != 12 || hi != 120 || note != "" {
		t.Errorf("after leaving guard mode: min %d max %d note %q; want the HPA's own 12..120", lo, hi, note)
	}
	if n := replicas(t, c, ns, "web"); n != 57 {
		t.Errorf("shadow mode changed the Deployment: %d", n)
	}
}
