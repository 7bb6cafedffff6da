package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom/check"
)

//go:embed report.html.tmpl
var pageSource string

// page is parsed once; html/template escapes every value by context, in
// the HTML and in the SVG alike.
var page = template.Must(template.New("report").Parse(pageSource))

// HTML writes the report as one self-contained HTML page: the verdict, the
// service and its SLO, the traffic, a summary of the policies, and for each
// policy and traffic file three SVG charts (demand against ready and
// required capacity, error ratio, latency against the SLO) with the
// violations shaded, then the violations and the decisions. Styles and
// charts are inline; the page loads nothing and runs no script, so it can
// be archived as a CI artifact and opened anywhere.
func HTML(w io.Writer, r *check.Report) error {
	if r == nil {
		return errNilReport
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, newHTMLPage(r)); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

type htmlPage struct {
	Title   string
	Verdict string
	// Badge is the verdict in capitals: text the page's style colours,
	// not an emoji a font may lack.
	Badge    string
	Heading  string
	Reasons  []string
	Notes    []string
	Facts    []fact
	Traffic  []htmlTraffic
	Compare  string
	Warnings []string
	Policies []htmlPolicy
	Options  []fact
	// ManyTraffic adds a traffic column to violation tables.
	ManyTraffic bool
}

type fact struct{ Name, Value string }

type htmlTraffic struct {
	Name, Start, End, Step, Requests, Peak string
}

type htmlPolicy struct {
	ID, Title, Verdict, VerdictWord, File, Zone string

	ViolationCount                                             int
	Failed, ErrorRatio, WorstLatency, InstanceHours, Instances string

	ManyTraffic bool
	// ViolationColumns is the width of a violation row, for the cause
	// row beneath it.
	ViolationColumns int
	Charts           []htmlChart
	Violations       []htmlViolation
	MoreViolations   int
	Decisions        []htmlDecision
	DecisionNote     string
	// Alerts are the detector's; Page says when it would have paged.
	Alerts     []htmlAlert
	MoreAlerts int
	Page       string
}

type htmlAlert struct {
	Signal, Rule, Severity, Fired, Reset, Code, Message string
}

type htmlChart struct {
	Traffic                   string
	Capacity, Errors, Latency template.HTML
}

type htmlViolation struct {
	Traffic, Start, End, StartLocal                     string
	HasZone                                             bool
	Duration, Error, Latency, ReadyNeeded, Peak, Failed string
	CauseTime, CauseCode, CauseChange, CauseMessage     string
	// Zoom is the violation's own chart, ±30 minutes, with the decisions
	// marked and its cause shaded; empty past the first few.
	Zoom template.HTML
	// CauseSummary says why when no decision made capacity short.
	CauseSummary string
}

type htmlDecision struct {
	Time, Change, Bounds, Code, Message string
	Cause                               bool
}

func newHTMLPage(r *check.Report) *htmlPage {
	p := &htmlPage{
		Verdict:  r.Verdict,
		Badge:    upper(r.Verdict),
		Heading:  fmt.Sprintf("%s %s: %s", command(r), verdictWord(r.Verdict), r.Service.Name),
		Reasons:  r.Reasons,
		Warnings: r.Warnings,
	}
	p.Title = fmt.Sprintf("%s · %s · %s", upper(r.Verdict), command(r), r.Service.Name)

	s := r.Service
	p.Facts = []fact{
		{"Service", s.Name},
		{"SLO", sloSentence(s.SLO, "≤")},
		{"Capacity per instance", sig3(s.CapacityPerInstance) + " requests/s"},
		{"Startup delay", orUnknown(s.StartupDelay)},
		{"Base latency", orUnknown(s.BaseLatency)},
	}
	for _, t := range r.Traffic {
		p.Traffic = append(p.Traffic, htmlTraffic{
			Name: t.Name, Start: fmtUTC(t.Start), End: fmtUTC(t.End), Step: t.Step,
			Requests: fmtCount(t.Requests), Peak: sig3(t.PeakRate),
		})
	}
	if c := r.Compare; c != nil {
		p.Compare = fmt.Sprintf("Proposed vs baseline: %s failed requests, %s in SLO violation, %s instance-hours (%s).",
			fmtSignedCount(c.FailedRequestsDelta), fmtSignedSeconds(c.ViolationSecondsDelta),
			fmtSignedHours(c.InstanceHoursDelta), fmtSignedPercent(c.InstanceHoursChange))
	}
	keys := make([]string, 0, len(r.Options))
	for k := range r.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.Options = append(p.Options, fact{k, r.Options[k]})
	}
	if j := judgement(r); j != "" {
		p.Options = append(p.Options, fact{"judged", j})
	}
	p.Notes = r.Notes

	many := len(r.Traffic) > 1
	p.ManyTraffic = many
	for i, pr := range r.Policies {
		if pr == nil {
			continue
		}
		p.Policies = append(p.Policies, newHTMLPolicy(i, pr, s, many))
	}
	return p
}

func newHTMLPolicy(i int, p *check.PolicyResult, s check.Service, manyTraffic bool) htmlPolicy {
	t := p.Totals
	hp := htmlPolicy{
		ID:             "policy-" + strconv.Itoa(i+1),
		Title:          policyRoleName(p),
		Verdict:        p.Verdict,
		VerdictWord:    upper(p.Verdict),
		File:           p.File,
		ViolationCount: violationCount(p),
		Failed:         fmtCount(t.FailedRequests),
		ErrorRatio:     fmtPercent(t.ErrorRatio),
		WorstLatency:   fmtLatency(t.WorstLatencyMs),
		InstanceHours:  fmtHours(t.InstanceHours),
		Instances:      fmt.Sprintf("%d–%d", t.MinInstances, t.PeakInstances),
		ManyTraffic:    manyTraffic,
	}
	if !isUTCZone(p.Zone) {
		hp.Zone = p.Zone
	}
	hp.ViolationColumns = 8
	if manyTraffic {
		hp.ViolationColumns++
	}
	if hp.Zone != "" {
		hp.ViolationColumns++
	}
	for _, c := range p.Charts {
		if c != nil {
			hp.Charts = append(hp.Charts, newHTMLChart(c, s, p.Zone))
		}
	}

	causes := map[time.Time]bool{}
	for i, v := range p.Violations {
		hv := htmlViolation{
			Traffic:     v.Traffic,
			Start:       fmtUTC(v.Start),
			End:         fmtUTCNear(v.End, v.Start),
			StartLocal:  strings.TrimSuffix(localStart(v, p.Zone), " "+p.Zone), // the zone is in the header
			HasZone:     hp.Zone != "",
			Duration:    fmtSeconds(durationSeconds(v)),
			Error:       fmtPercent(v.WorstErrorRatio),
			Latency:     violationLatency(v),
			ReadyNeeded: fmt.Sprintf("%d / %d", v.ReadyInstances, v.NeededInstances),
			Peak:        sig3(v.PeakDemand),
			Failed:      fmtCount(v.FailedRequests),
		}
		if d := v.Cause; d != nil {
			hv.CauseTime = fmtUTCNear(d.Time, v.Start)
			hv.CauseCode = string(d.Reason.Code)
			hv.CauseChange = decisionChange(*d, "→")
			hv.CauseMessage = d.Reason.Message
			causes[d.Time.UTC()] = true
		} else {
			hv.CauseSummary = v.CauseSummary
		}
		if i < len(p.Zooms) && p.Zooms[i] != nil {
			hv.Zoom = zoomChart(p.Zooms[i], v, p.Decisions)
		}
		hp.Violations = append(hp.Violations, hv)
	}
	hp.MoreViolations = max(0, violationCount(p)-len(p.Violations))

	for _, d := range p.Decisions {
		hp.Decisions = append(hp.Decisions, htmlDecision{
			Time:    fmtUTC(d.Time),
			Change:  decisionChange(d, "→"),
			Bounds:  fmt.Sprintf("%d / %d", d.Min, d.Max),
			Code:    string(d.Reason.Code),
			Message: d.Reason.Message,
			Cause:   causes[d.Time.UTC()],
		})
	}
	for _, d := range p.Detections {
		reset := "still firing at the end"
		if !d.Firing() {
			reset = fmtUTCNear(d.EndsAt, d.StartsAt)
		}
		hp.Alerts = append(hp.Alerts, htmlAlert{Signal: string(d.Signal), Rule: d.Rule, Severity: string(d.Severity),
			Fired: fmtUTC(d.StartsAt), Reset: reset, Code: string(d.Reason.Code), Message: d.Reason.Message})
	}
	hp.MoreAlerts = max(0, p.DetectionCount-len(p.Detections))
	hp.Page = pageSentence(p)

	total := max(p.DecisionCount, len(p.Decisions))
	hp.DecisionNote = strconv.Itoa(total)
	if total > len(p.Decisions) {
		hp.DecisionNote = fmt.Sprintf("first %d of %d", len(p.Decisions), total)
	}
	return hp
}
