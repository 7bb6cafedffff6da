package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
)

// guardCodes are the reasons a guard gives, in the order they are said.
var guardCodes = []struct {
	code headroom.ReasonCode
	what string
}{
	{headroom.ReasonScaleInDeferred, "scale-in deferred"},
	{headroom.ReasonScaleInLimited, "scale-in rate limited"},
	{headroom.ReasonBlind, "scale-in frozen while blind"},
	{headroom.ReasonEmergency, "emergency scale-out"},
}

// maxGuardLines is how many interventions the text lists.
const maxGuardLines = 3

// guardInterventions returns the policy's decisions a guard made, and a
// count per kind ("2 scale-in deferred, 1 emergency scale-out"); empty
// when the guards never stepped in (or were off).
func guardInterventions(p *check.PolicyResult) ([]headroom.Decision, string) {
	var list []headroom.Decision
	counts := map[headroom.ReasonCode]int{}
	for _, d := range p.Decisions {
		for _, g := range guardCodes {
			if d.Reason.Code == g.code {
				list = append(list, d)
				counts[g.code]++
			}
		}
	}
	var parts []string
	for _, g := range guardCodes {
		if n := counts[g.code]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, g.what))
		}
	}
	return list, strings.Join(parts, ", ")
}

// writeTextGuards says what headroom's guards did in the run (check
// --guards): how often each stepped in, and the first few with reasons.
func writeTextGuards(b *strings.Builder, p *check.PolicyResult) {
	list, counts := guardInterventions(p)
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(b, "  guards: %s\n", counts)
	// What they held back from a scheduled action first: the cuts a
	// schedule makes at once are what the guards are for.
	shown := slices.Clone(list)
	slices.SortStableFunc(shown, func(x, y headroom.Decision) int {
		return cmp.Compare(scheduledRank(x), scheduledRank(y))
	})
	for _, d := range shown[:min(len(shown), maxGuardLines)] {
		fmt.Fprintf(b, "    %s %s %s: %s\n", fmtUTC(d.Time), d.Reason.Code, decisionChange(d, "->"), oneLine(d.Reason.Message))
	}
	if more := len(list) - maxGuardLines; more > 0 {
		fmt.Fprintf(b, "    ... and %d more (every one in --format json and --report)\n", more)
	}
}

// scheduledRank puts a guard's intervention on a scheduled action first.
func scheduledRank(d headroom.Decision) int {
	if strings.Contains(d.Reason.Message, "scheduled action") {
		return 0
	}
	return 1
}
