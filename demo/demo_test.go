package demo_test

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/demo"
	"github.com/headroomhq/headroom/examples"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/seedreport"
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
	// Within a loop: the record reads failures loop by loop (15 s)
	// through the policy's one-minute metrics window, check judges whole
	// SLO minutes; on this day they agree to the loop.
	if d := f.ImpactEnd.Sub(f.ImpactStart) - time.Duration(v.DurationSeconds)*time.Second; d.Abs() > 15*time.Second {
		t.Errorf("postmortem impact %s–%s, check %s–%s", f.ImpactStart, f.ImpactEnd, v.Start, v.End)
	}
	if on.Failed > 0.5 || len(on.Incidents) != 0 || on.Deferred == nil {
		t.Errorf("guards on: %.1f failed, %d incidents, deferral %v; want none, none, the cut deferred", on.Failed, len(on.Incidents), on.Deferred)
	}
	t.Logf("guards off: %.0f failed in %s, opened %s after onset; guards on: %.1f failed in %s", off.Failed, off.Took, opened.DisplayAt.Sub(onset), on.Failed, on.Took)
}

// The demo's postmortem, section by section beside the seed's: every
// section of the seed's report is in the draft (Summary, Impact, Root
// cause, Remedial actions), each says what the seed's says of this day
// (the window, the cause, the detection), and the affected components read
// as the seed's page lists them.
func TestDemoPostmortemBesideTheSeed(t *testing.T) {
	seed, err := seedreport.Read()
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("%s not found: ../shared is not beside the repository", seedreport.File)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, off, _ := runBoth(t)
	draft := off.Incidents[0].PostmortemBody
	sections := map[string]string{}
	for _, part := range strings.Split("\n"+draft, "\n## ")[1:] {
		head, body, _ := strings.Cut(part, "\n")
		sections[strings.ToUpper(head)] = body
	}
	for _, want := range []struct{ section, seedSays, draftSays string }{
		{"SUMMARY", "between 5:05PM UTC and 5:15PM UTC", "between 17:00:15 and 17:10:30 UTC"},
		{"SUMMARY", "The incident was detected within 4 minutes", "The incident was detected 15 seconds before the impact began"},
		{"IMPACT", "elevated by 300%", "Average response times were elevated by"},
		{"ROOT CAUSE", "a scheduled scaling event aggressively reduced capacity", "a scheduled scaling event that reduced capacity below what traffic needed"},
		{"REMEDIAL ACTIONS", "Tuning auto-scaling configuration rules", "Tune the policy to the traffic"},
		{"REMEDIAL ACTIONS", "additional scaling testing measures", "headroom check --service service.yaml"},
	} {
		if !strings.Contains(seed.Postmortem, want.seedSays) {
			t.Errorf("the seed's report no longer says %q", want.seedSays)
		}
		body, ok := sections[want.section]
		if !ok {
			t.Errorf("the draft has no section %q (the seed's report has)", want.section)
			continue
		}
		if !strings.Contains(body, want.draftSays) {
			t.Errorf("%s: the seed says %q, the draft lacks %q:\n%s", want.section, want.seedSays, want.draftSays, body)
		}
	}
	if seed.Affected != "Website and API" || !strings.Contains(draft, "This incident affected: "+seed.Affected+".") {
		t.Errorf("affected: the seed lists %q; the draft: %q", seed.Affected, draft)
	}
}
