package postmortem_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/postmortem"
	"github.com/headroomhq/headroom/sim"
)

// replay runs check on the example's proposed policy with a Sampler on
// it, and returns the report and the draft's input for its first
// violation.
func replay(t *testing.T) (*check.Report, postmortem.Input) {
	t.Helper()
	ex := exampletest.Load(t)
	svc, prop, tr := ex.Service, ex.Proposed, ex.Traffic
	model := sim.NewModel(svc)
	s := &postmortem.Sampler{Needed: func(d float64) int { return model.Required(d, svc.SLO.MaxLatency) }}
	r, err := check.Run(check.Options{Service: svc, Proposed: prop, Traffic: []*headroom.Series{tr},
		Sinks: func(string, *headroom.Series) []sim.Sink { return []sim.Sink{s} }})
	if err != nil {
		t.Fatal(err)
	}
	s.Flush()
	p := r.Policies[0]
	v := p.Violations[0]
	in := postmortem.Input{Title: "Website and API services are returning 502 errors", Service: "website and API services",
		Components: []string{"Website and API"}, Target: "website-and-api", PolicyFile: "proposed.yaml", Zone: prop.Zone(),
		Budget: svc.SLO.MaxErrorRatio, MaxLatency: svc.SLO.MaxLatency, From: v.Start.Add(-time.Hour), To: v.End.Add(30 * time.Minute),
		Samples: s.Samples, Decisions: p.Decisions, Record: "a replay of proposed.yaml on traffic.csv",
		Check: "headroom check --service service.yaml --proposed proposed.yaml --traffic traffic.csv"}
	for _, d := range p.Detections {
		in.Alerts = append(in.Alerts, d.Alert)
	}
	return r, in
}

// The figures of a replay's draft agree with check's judgement of the same
// run: the impact window is the violation's (to the loop), and the failed
// requests and worst error ratio are within 1%.
func TestFiguresAgreeWithCheck(t *testing.T) {
	r, in := replay(t)
	v := r.Policies[0].Violations[0]
	f := postmortem.Compute(in)
	if d := f.ImpactStart.Sub(v.Start); d < 0 || d > time.Minute {
		t.Errorf("impact start %s, violation start %s", f.ImpactStart, v.Start)
	}
	if d := v.End.Sub(f.ImpactEnd); d < 0 || d > time.Minute {
		t.Errorf("impact end %s, violation end %s", f.ImpactEnd, v.End)
	}
	if rel := math.Abs(f.FailedRequests-v.FailedRequests) / v.FailedRequests; rel > 0.01 {
		t.Errorf("failed requests: draft %.0f, check %.0f (%.2f%% apart)", f.FailedRequests, v.FailedRequests, 100*rel)
	}
	// check's worst is per SLO minute, the draft's per 15 s loop: a loop
	// can be worse than its minute, never better.
	if f.WorstErrorRatio < v.WorstErrorRatio*0.99 {
		t.Errorf("worst error ratio: draft %.4f, check %.4f", f.WorstErrorRatio, v.WorstErrorRatio)
	}
	if f.FirstAlert == nil || f.FirstAlert.Signal != headroom.SignalCause || !f.FirstAlert.StartsAt.Equal(time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("first alert: got %+v, want the cause at 17:00:00", f.FirstAlert)
	}
	if f.Cause == nil || f.Cause.Reason.Code != headroom.ReasonScheduled || f.Cause.Desired != 12 {
		t.Errorf("cause: got %+v, want the scheduled cut to 12", f.Cause)
	}
	if f.LatencyIncrease < 100 {
		t.Errorf("latency increase: got %.0f%%, want the 10 s timeouts to show", f.LatencyIncrease)
	}
	if f.Mitigated.IsZero() || !f.Mitigated.After(f.FirstAlert.StartsAt) {
		t.Errorf("mitigated: got %s", f.Mitigated)
	}
	t.Logf("impact %s–%s, failed %.0f (check %.0f), worst %.3f, latency +%.0f%% (%s vs %s), mitigated %s",
		f.ImpactStart.Format(time.TimeOnly), f.ImpactEnd.Format(time.TimeOnly), f.FailedRequests, v.FailedRequests, f.WorstErrorRatio,
		f.LatencyIncrease, f.ImpactLatency, f.BaselineLatency, f.Mitigated.Format(time.TimeOnly))
}

// The draft has the seed report's sections and the SRE template's, fills
// them from the record with sources, and leaves the people's sections as
// prompts.
func TestDraftSections(t *testing.T) {
	_, in := replay(t)
	md := postmortem.Draft(in)
	for _, want := range []string{
		"# Postmortem: Website and API services are returning 502 errors",
		"## Summary", "## Impact", "## Root cause", "## Remedial actions",
		"## Trigger", "## Detection", "## Resolution", "## Timeline (UTC)",
		"## What went well\n\n_For people to write._", "## What went wrong\n\n_For people to write._", "## Where we got lucky\n\n_For people to write._",
		"On June 30, 2021, between 17:00:",
		"a scheduled scaling event that reduced capacity below what traffic needed",
		"This incident affected: Website and API.",
		`night-savings`, "= 10:00:00 America/Los_Angeles", "Policy: `proposed.yaml`.",
		"headroom check --service service.yaml --proposed proposed.yaml --traffic traffic.csv",
		"## Sources", "[^1]: a replay of proposed.yaml on traffic.csv",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	if strings.Contains(md, "[not recorded]") {
		t.Errorf("a replay's draft has unsourced figures:\n%s", md)
	}
}

// Regression guard for "never guessed": an incident with no target data
// says which figures it could not source.
func TestDraftWithoutRecord(t *testing.T) {
	md := postmortem.Draft(postmortem.Input{Title: "Errors on the website", From: time.Date(2021, 6, 30, 16, 0, 0, 0, time.UTC), To: time.Date(2021, 6, 30, 18, 0, 0, 0, time.UTC)})
	for _, want := range []string{"**[not recorded]**", "## Not in the record", "the impact window", "the first alert"} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "requests failed") {
		t.Errorf("a draft without a record states a failed-request count:\n%s", md)
	}
}
