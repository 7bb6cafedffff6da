package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
)

// firstPage returns the first detection that would have paged someone, or
// nil.
func firstPage(p *check.PolicyResult) *check.Detection {
	var first *check.Detection
	for i := range p.Detections {
		d := &p.Detections[i]
		if d.Severity == headroom.SeverityPage && (first == nil || d.StartsAt.Before(first.StartsAt)) {
			first = d
		}
	}
	return first
}

// atLocal formats t in UTC and, unless the zone is UTC, in the policy's
// zone: "17:00:00 UTC = 10:00 America/Los_Angeles".
func atLocal(t time.Time, zone string) string {
	s := fmtUTC(t)
	if isUTCZone(zone) {
		return s
	}
	if loc, err := time.LoadLocation(zone); err == nil {
		s += " = " + localClock(t.In(loc)) + " " + zone
	}
	return s
}

// pageSentence says when the detector would have paged and on what:
// "would page you at 2021-06-30 17:00:00 UTC = 10:00 America/Los_Angeles
// (cause: ...)"; "" when it would not have.
func pageSentence(p *check.PolicyResult) string {
	d := firstPage(p)
	if d == nil {
		return ""
	}
	return fmt.Sprintf("would page you at %s (%s alert %s)", atLocal(d.StartsAt, p.Zone), d.Signal, d.Rule)
}

// detectionSpan is when an alert fired: "17:00:15 UTC until 17:15:30 UTC",
// or "from 17:00:15 UTC, still firing at the end".
func detectionSpan(d check.Detection) string {
	if d.Firing() {
		return fmtUTC(d.StartsAt) + ", still firing at the end"
	}
	return fmtUTC(d.StartsAt) + " until " + fmtUTCNear(d.EndsAt, d.StartsAt)
}

// writeTextDetections lists the alerts under a policy: when each signal
// would have fired and why.
func writeTextDetections(b *strings.Builder, p *check.PolicyResult) {
	n := max(p.DetectionCount, len(p.Detections))
	if n == 0 {
		return
	}
	fmt.Fprintf(b, "  detection: %s; %s\n", plural(n, "alert", "alerts"), orUnknown(pageSentence(p)))
	listed := p.Detections[:min(len(p.Detections), maxListed)]
	for _, d := range listed {
		fmt.Fprintf(b, "    %s %s (%s, %s): %s\n", d.Signal, detectionSpan(d), d.Rule, d.Severity, oneLine(d.Reason.Message))
	}
	if more := n - len(listed); more > 0 {
		fmt.Fprintf(b, "    ... and %d more\n", more)
	}
}

// writeMarkdownDetections is the alerts table of a policy.
func writeMarkdownDetections(b *strings.Builder, p *check.PolicyResult) {
	fmt.Fprintf(b, "\n### Alerts of %s\n\n", mdText(policyRoleName(p)))
	if s := pageSentence(p); s != "" {
		fmt.Fprintf(b, "This change %s.\n\n", mdText(s))
	}
	b.WriteString("| Signal | Fired (UTC) | Reset (UTC) | Rule | Why |\n")
	b.WriteString("|---|---|---|---|---|\n")
	listed := p.Detections[:min(len(p.Detections), maxListed)]
	for _, d := range listed {
		reset := "still firing"
		if !d.Firing() {
			reset = d.EndsAt.UTC().Format(layoutUTC)
		}
		fmt.Fprintf(b, "| %s | %s | %s | `%s` | %s |\n", mdCell(string(d.Signal)), d.StartsAt.UTC().Format(layoutUTC), reset,
			mdCode(d.Rule), mdCell(d.Reason.Message))
	}
	if more := max(p.DetectionCount, len(p.Detections)) - len(listed); more > 0 {
		fmt.Fprintf(b, "\n_… and %d more._\n", more)
	}
}
