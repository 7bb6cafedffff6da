package report

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/headroomhq/headroom/check"
)

// MarkdownMarker is the first line of every Markdown report: a bot posting
// the comment can find its previous one and edit it instead of adding
// another.
const MarkdownMarker = "<!-- headroom-check -->"

// maxMarkdownDecisions caps the decisions in a comment: GitHub refuses
// comments over 65536 characters.
const maxMarkdownDecisions = 50

// Markdown writes the report as a GitHub (or GitLab) pull-request comment:
// a heading with the verdict, the reasons, a summary table of the policies,
// the comparison with the baseline, a table of each failing policy's
// violations, the warnings, and each policy's decisions folded in a
// <details> block. Text from the report is escaped so that a name or a
// message cannot break a table or inject markup.
func Markdown(w io.Writer, r *check.Report) error {
	if r == nil {
		return errNilReport
	}
	var b strings.Builder
	b.WriteString(MarkdownMarker + "\n")
	fmt.Fprintf(&b, "## %s %s %s: %s\n\n", verdictEmoji(r.Verdict), command(r), verdictWord(r.Verdict), mdText(r.Service.Name))
	for _, reason := range r.Reasons {
		fmt.Fprintf(&b, "- %s\n", mdText(reason))
	}
	for _, note := range r.Notes {
		fmt.Fprintf(&b, "- _Note:_ %s\n", mdText(note))
	}
	if len(r.Reasons)+len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	if j := judgement(r); j != "" {
		fmt.Fprintf(&b, "Judged: %s.\n\n", mdText(j))
	}

	b.WriteString("| Policy | Verdict | Violations | Failed requests | Error ratio | Instance-hours |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|\n")
	for _, p := range r.Policies {
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s %s | %d | %s | %s | %s |\n",
			mdCell(policyRoleName(p)), verdictEmoji(p.Verdict), mdCell(p.Verdict), violationCount(p),
			fmtCount(p.Totals.FailedRequests), fmtPercent(p.Totals.ErrorRatio), fmtHours(p.Totals.InstanceHours))
	}
	if c := r.Compare; c != nil {
		fmt.Fprintf(&b, "\nProposed vs baseline: **%s** failed requests, %s in SLO violation, %s instance-hours (%s).\n",
			fmtSignedCount(c.FailedRequestsDelta), fmtSignedSeconds(c.ViolationSecondsDelta),
			fmtSignedHours(c.InstanceHoursDelta), fmtSignedPercent(c.InstanceHoursChange))
	}

	many := len(r.Traffic) > 1
	for _, p := range r.Policies {
		if p == nil || len(p.Violations) == 0 {
			continue
		}
		writeMarkdownViolations(&b, p, many)
	}
	for _, p := range r.Policies {
		if p == nil || len(p.Detections) == 0 {
			continue
		}
		writeMarkdownDetections(&b, p)
	}

	if len(r.Warnings) > 0 {
		b.WriteString("\n**Warnings**\n\n")
		for _, warn := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", mdText(warn))
		}
	}

	for _, p := range r.Policies {
		if p == nil || len(p.Decisions) == 0 {
			continue
		}
		writeMarkdownDecisions(&b, p)
	}

	summary := trafficSummary(r.Traffic)
	if t := transforms(r.Options); t != "" {
		summary += " (options: " + t + ")"
	}
	fmt.Fprintf(&b, "\n<sub>SLO: %s. %s.</sub>\n", mdText(sloSentence(r.Service.SLO, "≤")), mdText(summary))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownViolations(b *strings.Builder, p *check.PolicyResult, manyTraffic bool) {
	fmt.Fprintf(b, "\n### Violations of %s\n\n", mdText(policyRoleName(p)))
	local := "Start (local)"
	if p.Zone != "" {
		local = "Start (" + mdCell(p.Zone) + ")"
	}
	if manyTraffic {
		b.WriteString("| Traffic ")
	}
	fmt.Fprintf(b, "| Start (UTC) | %s | Duration | Worst error | Worst latency | Ready / needed | Cause |\n", local)
	if manyTraffic {
		b.WriteString("|---")
	}
	b.WriteString("|---|---|--:|--:|--:|--:|---|\n")
	listed := p.Violations[:min(len(p.Violations), maxListed)]
	for _, v := range listed {
		if manyTraffic {
			fmt.Fprintf(b, "| %s ", mdCell(v.Traffic))
		}
		loc := localStart(v, p.Zone)
		if loc == "" {
			loc = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d / %d | %s |\n",
			v.Start.UTC().Format(layoutUTC), mdCell(loc), fmtSeconds(durationSeconds(v)),
			fmtPercent(v.WorstErrorRatio), violationLatency(v),
			v.ReadyInstances, v.NeededInstances, mdCause(v))
	}
	if more := violationCount(p) - len(listed); more > 0 {
		fmt.Fprintf(b, "\n_… and %d more._\n", more)
	}
}

func mdCause(v check.Violation) string {
	d := v.Cause
	if d == nil {
		if v.CauseSummary != "" {
			return mdCell(v.CauseSummary)
		}
		return "–"
	}
	return fmt.Sprintf("%s `%s` %s: %s", fmtUTCNear(d.Time, v.Start), mdCode(string(d.Reason.Code)),
		decisionChange(*d, "→"), mdCell(d.Reason.Message))
}

func writeMarkdownDecisions(b *strings.Builder, p *check.PolicyResult) {
	total := max(p.DecisionCount, len(p.Decisions))
	shown := p.Decisions[:min(len(p.Decisions), maxMarkdownDecisions)]
	count := strconv.Itoa(total)
	if len(shown) < total {
		count = fmt.Sprintf("first %d of %d", len(shown), total)
	}
	// The <details> line is an HTML block: Markdown escapes would show
	// as written there, so it takes HTML escaping only.
	fmt.Fprintf(b, "\n<details><summary>Decisions of %s (%s)</summary>\n\n", html.EscapeString(oneLine(policyRoleName(p))), count)
	b.WriteString("| Time (UTC) | Current → desired | Min / max | Reason | Message |\n")
	b.WriteString("|---|--:|--:|---|---|\n")
	for _, d := range shown {
		fmt.Fprintf(b, "| %s | %s | %d / %d | `%s` | %s |\n",
			d.Time.UTC().Format(layoutUTC), decisionChange(d, "→"), d.Min, d.Max,
			mdCode(string(d.Reason.Code)), mdCell(d.Reason.Message))
	}
	b.WriteString("\n</details>\n")
}

// policyRoleName is "proposed night-scale-in" for headings and tables.
func policyRoleName(p *check.PolicyResult) string {
	return strings.TrimSpace(p.Role + " " + p.Name)
}

func trafficSummary(ts []check.Traffic) string {
	switch len(ts) {
	case 0:
		return "No traffic"
	case 1:
		t := ts[0]
		return fmt.Sprintf("Traffic %s: %s to %s, %s requests", t.Name, fmtUTC(t.Start), fmtUTC(t.End), fmtCount(t.Requests))
	}
	var req float64
	for _, t := range ts {
		req += t.Requests
	}
	return fmt.Sprintf("Traffic: %d files, %s requests", len(ts), fmtCount(req))
}

func verdictEmoji(v string) string {
	switch v {
	case check.Pass:
		return "✅"
	case check.Fail:
		return "❌"
	}
	return "⚠️"
}

func verdictWord(v string) string {
	switch v {
	case check.Pass:
		return "passed"
	case check.Fail:
		return "failed"
	}
	return "verdict " + strconv.Quote(v)
}

// mdReplacer escapes what Markdown or the HTML GitHub allows in it would
// interpret: emphasis, code, links, tables, tags and entities.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`|`, `\|`, `#`, `\#`, `~`, `\~`,
	`&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes report text for a Markdown paragraph or list item.
func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCell escapes report text for a table cell: one line, no bare pipes.
func mdCell(s string) string { return mdReplacer.Replace(oneLine(s)) }

// mdCode makes s safe inside a one-backtick code span, where backslash
// escapes do not work.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}
