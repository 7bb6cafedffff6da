package demo_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/demo"
	"github.com/headroomhq/headroom/examples"
	"github.com/headroomhq/headroom/incident"
)

func runBoth(t *testing.T) (*demo.Example, *demo.Outcome, *demo.Outcome) {
	t.Helper()
	ex, err := demo.LoadExample(examples.Bitbucket, examples.BitbucketDir)
	if err != nil {
		t.Fatal(err)
	}
	off, err := demo.Run(context.Background(), ex, false, t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { off.DB.Close() })
	on, err := demo.Run(context.Background(), ex, true, t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { on.DB.Close() })
	return ex, off, on
}

// Guards off, the seed happens through the live code and is told: one
// incident, opened within 90 s of the first failed request, resolved, its
// postmortem drafted from the record with check's figures (within 1%).
// Guards on, the cut is deferred and nothing fails.
func TestDemo(t *testing.T) {
	ex, off, on := runBoth(t)
	replay, err := demo.Replay(context.Background(), ex)
	if err != nil {
		t.Fatal(err)
	}
	v := replay.Violations[0]
	if rel := math.Abs(off.Failed-replay.Totals.FailedRequests) / replay.Totals.FailedRequests; rel > 0.01 {
		t.Errorf("guards off failed %.0f requests, check %.0f", off.Failed, replay.Totals.FailedRequests)
	}
	if len(off.Incidents) != 1 {
		t.Fatalf("guards off: %d incidents, want 1", len(off.Incidents))
	}
	inc := off.Incidents[0]
	if inc.Status != incident.Postmortem || !strings.Contains(inc.PostmortemBody, "## Root cause") {
		t.Errorf("incident %s: status %s, postmortem %.80q; want its postmortem published", inc.ID, inc.Status, inc.PostmortemBody)
	}
	f := off.Figures
	if f == nil {
		t.Fatal("no postmortem figures")
	}
	opened := inc.Updates[len(inc.Updates)-1]
	onset := f.ImpactStart
	if d := opened.DisplayAt.Sub(onset); opened.Status != incident.Investigating || d > 90*time.Second {
		t.Errorf("opened %s at %s, %s after the impact began at %s; want investigating within 90 s", opened.Status, opened.DisplayAt, d, onset)
	}
	if rel := math.Abs(f.FailedRequests-v.FailedRequests) / v.FailedRequests; rel > 0.01 {
		t.Errorf("postmortem failed requests %.0f, check %.0f", f.FailedRequests, v.FailedRequests)
	}
	if d := f.ImpactEnd.Sub(f.ImpactStart) - time.Duration(v.DurationSeconds)*time.Second; d.Abs() > 6*time.Second {
		t.Errorf("postmortem impact %s–%s, check %s–%s", f.ImpactStart, f.ImpactEnd, v.Start, v.End)
	}
	if on.Failed > 0.5 || len(on.Incidents) != 0 || on.Deferred == nil {
		t.Errorf("guards on: %.1f failed, %d incidents, deferral %v; want none, none, the cut deferred", on.Failed, len(on.Incidents), on.Deferred)
	}
	t.Logf("guards off: %.0f failed in %s, opened %s after onset; guards on: %.1f failed in %s", off.Failed, off.Took, opened.DisplayAt.Sub(onset), on.Failed, on.Took)
}
