package report

import (
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
)

// check --guards says in text what the guards did: how often each stepped
// in, and first what they held back from a scheduled action.
func TestTextSaysWhatTheGuardsDid(t *testing.T) {
	r := fixture()
	p := r.Policies[0]
	p.Decisions = append(p.Decisions,
		headroom.Decision{Time: utc(3, 0), Current: 10, Desired: 10, Reason: headroom.Reason{Code: headroom.ReasonScaleInDeferred, Message: "cpu 40 against target 70 — deferred: keeping 10"}},
		headroom.Decision{Time: utc(16, 58), Current: 12, Desired: 12, Reason: headroom.Reason{Code: headroom.ReasonScaleInDeferred, Message: `scheduled action "night-scale-in" set desired 4 — deferred: keeping 12`}},
		headroom.Decision{Time: utc(17, 30), Current: 12, Desired: 10, Reason: headroom.Reason{Code: headroom.ReasonScaleInLimited, Message: "rate limited"}},
	)
	out := render(t, Text, r)
	want := "  guards: 2 scale-in deferred, 1 scale-in rate limited\n    2021-06-30 16:58:00 UTC ScaleInDeferred 12 (held): scheduled action"
	if !strings.Contains(out, want) {
		t.Errorf("text lacks %q:\n%s", want, out)
	}
	if strings.Count(render(t, Text, fixture()), "guards:") != 0 {
		t.Error("a run without guard interventions says guards")
	}
}
