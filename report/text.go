package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/headroomhq/headroom/check"
)

// maxTraffic caps the traffic files listed in Text.
const maxTraffic = 5

// Text writes the report for a terminal or a CI log: the verdict and its
// reasons first, then the service and traffic in two lines, then each policy
// with its first violations (times in UTC and in the policy's zone, how bad,
// and the decision that caused it) and its totals, the comparison with the
// baseline, and the warnings. It is plain ASCII apart from names taken from
// the report.
func Text(w io.Writer, r *check.Report) error {
	if r == nil {
		return errNilReport
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s of service %q\n", upper(r.Verdict), command(r), r.Service.Name)
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "  - %s\n", oneLine(reason))
	}
	for _, note := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", oneLine(note))
	}
	b.WriteString("\n")

	s := r.Service
	fmt.Fprintf(&b, "SLO: %s.\n", sloSentence(s.SLO, "<="))
	fmt.Fprintf(&b, "Service: %s req/s per instance, startup %s, base latency %s.\n",
		sig3(s.CapacityPerInstance), orUnknown(s.StartupDelay), orUnknown(s.BaseLatency))
	for i, t := range r.Traffic {
		if i == maxTraffic {
			fmt.Fprintf(&b, "Traffic: ... and %d more files\n", len(r.Traffic)-maxTraffic)
			break
		}
		fmt.Fprintf(&b, "Traffic: %s, %s to %s, step %s, %s requests, peak %s req/s\n",
			t.Name, fmtUTC(t.Start), fmtUTC(t.End), orUnknown(t.Step), fmtCount(t.Requests), sig3(t.PeakRate))
	}

	if t := transforms(r.Options); t != "" {
		fmt.Fprintf(&b, "Options: %s\n", t)
	}
	if j := judgement(r); j != "" {
		fmt.Fprintf(&b, "Judged: %s\n", j)
	}

	many := len(r.Traffic) > 1
	for _, p := range r.Policies {
		if p == nil {
			continue
		}
		b.WriteString("\n")
		writeTextPolicy(&b, p, many)
	}

	if c := r.Compare; c != nil {
		fmt.Fprintf(&b, "\nProposed vs baseline: %s failed requests, %s in violation, %s instance-hours (%s).\n",
			fmtSignedCount(c.FailedRequestsDelta), fmtSignedSeconds(c.ViolationSecondsDelta),
			fmtSignedHours(c.InstanceHoursDelta), fmtSignedPercent(c.InstanceHoursChange))
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, warn := range r.Warnings {
			fmt.Fprintf(&b, "  - %s\n", oneLine(warn))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTextPolicy writes one policy: header, violations, totals.
func writeTextPolicy(b *strings.Builder, p *check.PolicyResult, manyTraffic bool) {
	where := []string{}
	if p.File != "" {
		where = append(where, p.File)
	}
	if p.Zone != "" {
		where = append(where, "zone "+p.Zone)
	}
	fmt.Fprintf(b, "%s", policyLabel(p))
	if len(where) > 0 {
		fmt.Fprintf(b, " (%s)", strings.Join(where, ", "))
	}
	n := violationCount(p)
	if n == 0 {
		fmt.Fprintf(b, ": %s, no SLO violations\n", upper(p.Verdict))
	} else {
		fmt.Fprintf(b, ": %s, %s\n", upper(p.Verdict), plural(n, "SLO violation", "SLO violations"))
	}

	listed := p.Violations[:min(len(p.Violations), maxListed)]
	for i, v := range listed {
		writeTextViolation(b, strconv.Itoa(i+1)+".", v, p.Zone, manyTraffic)
	}
	if more := n - len(listed); more > 0 {
		fmt.Fprintf(b, "  ... and %d more\n", more)
	}

	writeTextGuards(b, p)
	writeTextDetections(b, p)

	t := p.Totals
	fmt.Fprintf(b, "  totals: %s requests, %s failed (%s), %s in violation, worst latency %s\n",
		fmtCount(t.Requests), fmtCount(t.FailedRequests), fmtPercent(t.ErrorRatio),
		fmtSeconds(t.ViolationSeconds), fmtLatency(t.WorstLatencyMs))
	fmt.Fprintf(b, "          %s instance-hours, %d to %d instances\n",
		fmtHours(t.InstanceHours), t.MinInstances, t.PeakInstances)
}

// writeTextViolation writes one violation in three lines: when, how bad,
// and why. The same lines make the body of a JUnit failure.
func writeTextViolation(b *strings.Builder, bullet string, v check.Violation, zone string, withTraffic bool) {
	indent := strings.Repeat(" ", len(bullet)+3)
	fmt.Fprintf(b, "  %s %s", bullet, fmtUTC(v.Start))
	if local := localStart(v, zone); local != "" {
		fmt.Fprintf(b, " = %s", local)
	}
	fmt.Fprintf(b, ", for %s", fmtSeconds(durationSeconds(v)))
	if withTraffic && v.Traffic != "" {
		fmt.Fprintf(b, ", on %s", v.Traffic)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "%serror ratio up to %s, latency up to %s, %d ready of %d needed instances, %s failed requests\n",
		indent, fmtPercent(v.WorstErrorRatio), violationLatency(v),
		v.ReadyInstances, v.NeededInstances, fmtCount(v.FailedRequests))
	if d := v.Cause; d != nil {
		fmt.Fprintf(b, "%scause: %s %s %s: %s\n", indent, fmtUTCNear(d.Time, v.Start),
			d.Reason.Code, decisionChange(*d, "->"), oneLine(d.Reason.Message))
	} else if v.CauseSummary != "" {
		fmt.Fprintf(b, "%scause: %s\n", indent, oneLine(v.CauseSummary))
	}
}
