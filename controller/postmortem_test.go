package controller_test

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/postmortem"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/sim/world"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/headroomhq/headroom/traffic"
)

// vclock is the virtual clock the loop, the status page and the store share.
type vclock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *vclock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *vclock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// The seed's day live, on the simulated world: the controller cuts at
// 17:00, the detector fires, automation opens the incident and resolves it,
// and the postmortem drafted from the journal agrees with check's replay of
// the same files: the impact window within a loop, the failed requests and
// the worst error ratio within 1%.
func TestLivePostmortemAgreesWithCheck(t *testing.T) {
	svc, prop, _ := load(t)
	tr, _, err := traffic.ReadFile(example+"traffic.csv", traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := check.Run(check.Options{Service: svc, Proposed: prop, Traffic: []*headroom.Series{tr}})
	if err != nil {
		t.Fatal(err)
	}
	v := rep.Policies[0].Violations[0]
	w, err := world.ForPolicy(svc, prop, tr, rep.Policies[0].Decisions[0].Desired)
	if err != nil {
		t.Fatal(err)
	}
	clk := &vclock{now: w.Start()}
	store := &memory.Incidents{Now: clk.Now}
	page, err := incident.NewService(t.Context(), incident.Config{Store: store, Page: incident.Page{ID: "p", Name: "Bitbucket", TimeZone: "UTC"},
		Components: []incident.Component{{ID: "website-and-api", Name: "Website and API", Position: 1}}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	model := sim.NewModel(svc)
	cfg := detect.ForService(svc)
	target := &controller.Target{Name: "website-and-api", Mode: headroom.ModeEnforce, Policy: prop, Source: w, Actuator: w,
		Detect: &cfg, Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) },
		Incident: &incident.Automation{Target: "website-and-api", Service: "website and API services", Components: []string{"website-and-api"}, ResolveAfter: 20 * time.Minute}}
	j := &memory.Journal{}
	c := controller.New(j, target)
	c.Logger = slog.New(slog.DiscardHandler)
	var drafted postmortem.Input
	c.Automator = &incident.Automator{Service: page, Logger: c.Logger, Postmortem: func(ctx context.Context, _ string, inc *incident.Incident) (string, error) {
		in, err := controller.PostmortemInput(ctx, j, controller.PostmortemSource{Target: target, Incident: inc, Components: []string{"Website and API"},
			Store: "memory", Budget: svc.SLO.MaxErrorRatio, MaxLatency: svc.SLO.MaxLatency}, clk.Now())
		drafted = in
		return postmortem.Draft(in), err
	}}
	for now := w.Start(); now.Before(w.End()); now = now.Add(controller.DefaultInterval) {
		clk.Set(now)
		w.AdvanceTo(now)
		c.Step(context.Background(), now)
	}
	var inc *incident.Incident
	for i := range page.Snapshot().Incidents {
		inc = &page.Snapshot().Incidents[i]
	}
	if n := len(page.Snapshot().Incidents); n != 1 || inc.Status != incident.Resolved || inc.PostmortemDraft == "" {
		t.Fatalf("got %d incidents, the last %+v; want one, resolved, with a postmortem draft", n, inc)
	}
	f := postmortem.Compute(drafted)
	if d := f.ImpactStart.Sub(v.Start); d < -15*time.Second || d > time.Minute {
		t.Errorf("impact start: live %s, check %s", f.ImpactStart, v.Start)
	}
	if rel := math.Abs(f.WorstErrorRatio-v.WorstErrorRatio) / v.WorstErrorRatio; f.WorstErrorRatio < v.WorstErrorRatio*0.99 {
		t.Errorf("worst error ratio: live draft %.4f, check %.4f (%.1f%% apart)", f.WorstErrorRatio, v.WorstErrorRatio, 100*rel)
	}
	if rel := math.Abs(f.FailedRequests-v.FailedRequests) / v.FailedRequests; rel > 0.01 {
		t.Errorf("failed requests: live draft %.0f, check %.0f (%.1f%% apart)", f.FailedRequests, v.FailedRequests, 100*rel)
	}
	if f.FirstAlert == nil || f.FirstAlert.Signal != headroom.SignalCause || f.Cause == nil || f.Cause.Reason.Code != headroom.ReasonScheduled {
		t.Errorf("first alert %+v, cause %+v; want the cause alert and the scheduled cut", f.FirstAlert, f.Cause)
	}
	for _, want := range []string{"## Summary", "Website and API", "night-savings", "status page: **Investigating**", "status page: **Resolved**"} {
		if !strings.Contains(inc.PostmortemDraft, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	t.Logf("impact %s–%s (check %s–%s), failed %.0f (check %.0f), detected %s after onset, mitigated %s, investigating at %s",
		f.ImpactStart.Format(time.TimeOnly), f.ImpactEnd.Format(time.TimeOnly), v.Start.Format(time.TimeOnly), v.End.Format(time.TimeOnly),
		f.FailedRequests, v.FailedRequests, f.FirstAlert.StartsAt.Sub(f.ImpactStart), f.Mitigated.Format(time.TimeOnly),
		inc.Updates[len(inc.Updates)-1].DisplayAt.Format(time.TimeOnly))
}

// Finding 3: the decisions a postmortem weighs are the changes enforce mode
// made. Guard mode records the floor it holds every loop (applied, Desired
// below Current when the floor is under the count); shadow mode records
// what it would have done: neither changed capacity, and a postmortem that
// kept them blamed the last loop's floor.
func TestPostmortemInputKeepsEnforcedChanges(t *testing.T) {
	start := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	j := &memory.Journal{}
	add := func(r headroom.DecisionRecord) {
		t.Helper()
		r.Target = "web"
		if err := j.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	cut := headroom.Decision{Time: at(-20), Current: 20, Desired: 12, Reason: headroom.Reason{Code: headroom.ReasonScheduled}}
	add(headroom.DecisionRecord{Time: at(-20), Mode: string(headroom.ModeEnforce), Decision: cut, Applied: true})
	for m := -19; m <= 5; m++ {
		floor := headroom.Decision{Time: at(m), Current: 12, Desired: 4, Reason: headroom.Reason{Code: headroom.ReasonGuardIdle}}
		add(headroom.DecisionRecord{Time: at(m), Mode: string(headroom.ModeGuard), Decision: floor, Applied: true})
	}
	shadow := headroom.Decision{Time: at(6), Current: 12, Desired: 8, Reason: headroom.Reason{Code: headroom.ReasonScaleDown}}
	add(headroom.DecisionRecord{Time: at(6), Mode: string(headroom.ModeShadow), Decision: shadow})
	held := headroom.Decision{Time: at(7), Current: 12, Desired: 12, Reason: headroom.Reason{Code: headroom.ReasonWithinTolerance}}
	add(headroom.DecisionRecord{Time: at(7), Mode: string(headroom.ModeEnforce), Decision: held, Applied: true})
	inc := &incident.Incident{ID: "i", CreatedAt: start, StartedAt: start, ResolvedAt: at(30)}
	in, err := controller.PostmortemInput(t.Context(), j, controller.PostmortemSource{Target: &controller.Target{Name: "web"}, Incident: inc, Store: "memory"}, at(40))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Decisions) != 1 || !in.Decisions[0].Time.Equal(cut.Time) {
		t.Errorf("decisions: got %+v, want only the enforced cut at %s", in.Decisions, cut.Time)
	}
}
