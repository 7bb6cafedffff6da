package check_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/exampletest"
)

const example = "../examples/bitbucket-2021-06-30/"

func loadExample(t *testing.T) (*headroom.Service, *headroom.Policy, *headroom.Policy, *headroom.Series) {
	t.Helper()
	ex := exampletest.Load(t)
	return ex.Service, ex.Baseline, ex.Proposed, ex.Traffic
}

// The seed incident: a scheduled scale-in at 17:00 UTC on 2021-06-30,
// written as 03:00 in Sydney, under-provisions the site during its busiest
// hours. check must fail and name the window.
func TestSeedIncidentIsCaught(t *testing.T) {
	svc, base, prop, tr := loadExample(t)
	r, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: base, Traffic: []*headroom.Series{tr}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != check.Fail {
		t.Fatalf("verdict: got %s, want fail", r.Verdict)
	}
	p := r.Policies[0]
	if p.ViolationCount == 0 {
		t.Fatal("no violations")
	}
	v := p.Violations[0]
	from, to := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC), time.Date(2021, 6, 30, 17, 10, 0, 0, time.UTC)
	if v.Start.Before(from) || !v.Start.Before(to) {
		t.Errorf("first violation starts at %s, want 17:0x UTC", v.Start)
	}
	// Regression test for the scale-outs at 17:00:30 and 17:00:45, the
	// response inside the first bad minute, taking the blame from the cut.
	if c := v.Cause; c == nil || c.Reason.Code != headroom.ReasonScheduled || c.Desired != 12 ||
		!strings.Contains(v.CauseSummary, "ScheduledAction cut capacity from 60 to 12 at 17:00:00 UTC") {
		t.Errorf("cause: got %+v (%q), want the scheduled cut to 12 at 17:00", c, v.CauseSummary)
	}
	t.Logf("violation %s..%s worst err %.3f latency %.0fms ready %d needed %d cause %v", v.Start, v.End, v.WorstErrorRatio, v.WorstLatencyMs, v.ReadyInstances, v.NeededInstances, v.Cause)
	for _, pr := range r.Policies {
		t.Logf("%s: %s violations=%d failed=%.0f err=%.5f ih=%.1f", pr.Role, pr.Verdict, pr.ViolationCount, pr.Totals.FailedRequests, pr.Totals.ErrorRatio, pr.Totals.InstanceHours)
	}
	if b := r.Policies[1]; b.Verdict != check.Pass {
		t.Errorf("baseline: got %s with %d violations, want pass", b.Verdict, b.ViolationCount)
		for _, v := range b.Violations {
			t.Logf("baseline violation %s..%s err %.4f lat %.0f ready %d cause %v", v.Start, v.End, v.WorstErrorRatio, v.WorstLatencyMs, v.ReadyInstances, v.Cause)
		}
	}
}

// With headroom's guards, the same bad change is harmless: the scheduled
// cut at 17:00 is deferred while demand needs the capacity, and released
// as demand falls.
func TestSeedIncidentPreventedByGuards(t *testing.T) {
	svc, _, prop, tr := loadExample(t)
	r, err := check.Run(check.Options{Service: svc, Proposed: prop, Traffic: []*headroom.Series{tr},
		Guards: func(p *headroom.Policy) *headroom.Guards {
			return headroom.DefaultGuards(svc, p, headroom.DefaultGuardMargin)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != check.Pass {
		t.Fatalf("verdict with guards: got %s (%v), want pass", r.Verdict, r.Reasons)
	}
	var deferred *headroom.Decision
	for i, d := range r.Policies[0].Decisions {
		if d.Reason.Code == headroom.ReasonScaleInDeferred && d.Time.Equal(time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)) {
			deferred = &r.Policies[0].Decisions[i]
		}
	}
	if deferred == nil || !strings.Contains(deferred.Reason.Message, `scheduled action "night-savings"`) || deferred.Desired != deferred.Current {
		t.Errorf("no ScaleInDeferred decision naming the night-savings action at 17:00: %+v", deferred)
	}
}

// The detector on the seed: the cause alert fires at 17:00:00 UTC, in the
// loop of the scheduled cut, before the first failed request; a symptom
// alert follows within a minute of the first errors. The baseline raises
// no alert at all.
func TestSeedIncidentIsDetected(t *testing.T) {
	svc, base, prop, tr := loadExample(t)
	r, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: base, Traffic: []*headroom.Series{tr}})
	if err != nil {
		t.Fatal(err)
	}
	cut := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	var cause, symptom *check.Detection
	for i, d := range r.Policies[0].Detections {
		t.Logf("%s %s %s..%s %s", d.Signal, d.Rule, d.StartsAt.Format(time.TimeOnly), d.EndsAt.Format(time.TimeOnly), d.Reason.Message)
		switch {
		case d.Signal == headroom.SignalCause && cause == nil:
			cause = &r.Policies[0].Detections[i]
		case d.Signal == headroom.SignalSymptom && symptom == nil:
			symptom = &r.Policies[0].Detections[i]
		}
	}
	if cause == nil || !cause.StartsAt.Equal(cut) || !strings.Contains(cause.Reason.Message, "night-savings") {
		t.Fatalf("cause: got %+v, want an alert at %s naming night-savings", cause, cut)
	}
	if symptom == nil || symptom.StartsAt.Before(cut) || symptom.StartsAt.After(cut.Add(2*time.Minute)) {
		t.Fatalf("symptom: got %+v, want an alert within 2 minutes of %s", symptom, cut)
	}
	if n := r.Policies[1].DetectionCount; n != 0 {
		t.Errorf("baseline: got %d detections, want none: %+v", n, r.Policies[1].Detections)
	}
}

// A gate teams can adopt: with fail-on regression a policy that misses
// the SLO where the baseline misses it too passes, with a note; one worse
// than the baseline fails. An excluded span is not judged.
func TestFailOnRegressionAndExclude(t *testing.T) {
	svc, base, prop, tr := loadExample(t)
	series := []*headroom.Series{tr}
	same, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: prop, Traffic: series, FailOn: check.FailOnRegression})
	if err != nil {
		t.Fatal(err)
	}
	if same.Verdict != check.Pass || len(same.Notes) != 1 || !strings.Contains(same.Notes[0], "fail-on regression judges only the difference") {
		t.Errorf("proposed = baseline under fail-on regression: got %s %v %v, want pass with a note", same.Verdict, same.Reasons, same.Notes)
	}
	worse, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: base, Traffic: series, FailOn: check.FailOnRegression, Tolerance: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if worse.Verdict != check.Fail || !strings.Contains(strings.Join(worse.Reasons, " "), "more requests than the baseline") {
		t.Errorf("a worse proposed policy: got %s %v, want fail", worse.Verdict, worse.Reasons)
	}
	// Regression test for the reason's count printed without the thousands
	// separators every other count in the reports has ("fails 729309 more").
	if n := regexp.MustCompile(`fails ([0-9,]+) more requests`).FindStringSubmatch(strings.Join(worse.Reasons, " ")); n == nil || !strings.Contains(n[1], ",") {
		t.Errorf("the reason's count of failed requests: got %v, want thousands separators (e.g. 729,309)", worse.Reasons)
	}
	incident := check.Span{From: time.Date(2021, 6, 30, 16, 55, 0, 0, time.UTC), To: time.Date(2021, 6, 30, 17, 30, 0, 0, time.UTC)}
	excl, err := check.Run(check.Options{Service: svc, Proposed: prop, Baseline: base, Traffic: series, Exclude: []check.Span{incident}})
	if err != nil {
		t.Fatal(err)
	}
	p := excl.Policies[0]
	if excl.Verdict != check.Pass || p.ViolationCount != 0 || p.Totals.FailedRequests > 0.5 || p.Totals.ExcludedSeconds != 35*60 {
		t.Errorf("the incident excluded: got %s, %d violations, %.0f failed, %d s excluded; want pass, none, 0, 2100",
			excl.Verdict, p.ViolationCount, p.Totals.FailedRequests, p.Totals.ExcludedSeconds)
	}
	if _, err := check.Run(check.Options{Service: svc, Proposed: prop, Traffic: series, FailOn: check.FailOnRegression}); headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("fail-on regression without a baseline: got %v, want EINVALID", err)
	}
}
