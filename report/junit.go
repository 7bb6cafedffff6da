package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/headroomhq/headroom/check"
)

// JUnitSuite is the name of the one test suite JUnit writes.
const JUnitSuite = "headroom check"

// The JUnit XML schema as GitLab, GitHub test reporters and Jenkins read it
// (the Ant junit format under a <testsuites> root).
// https://docs.gitlab.com/ee/ci/testing/unit_test_reports.html
// https://github.com/testmoapp/junitxml
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  *junitCDATA     `xml:"system-out,omitempty"`
	}
	junitCDATA struct {
		Text string `xml:",cdata"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		SystemOut *junitCDATA   `xml:"system-out,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"` // keeps line breaks readable in the raw file
	}
)

// JUnit writes the report as JUnit XML: a <testsuites> root holding one
// <testsuite name="headroom check"> with one <testcase> per policy and
// traffic file (classname "role/name", name the traffic).
//
// The failures agree with the verdict, so that the test report and the
// job's exit code never disagree:
//   - a case of a policy under test (any role but baseline) fails when the
//     policy failed and violated the SLO on that traffic, with a one-line
//     message and the violations as its text;
//   - when the check failed and none of those cases did (the proposed
//     policy failed only against the baseline, say), all the cases of the
//     policies under test fail with the check's reasons;
//   - a baseline is the reference, not under test: its violations go to
//     the case's system-out and never fail it;
//   - a failed check with no policy under test gets a "verdict" case.
//
// The report holds no wall-clock duration, so every time attribute is 0.
func JUnit(w io.Writer, r *check.Report) error {
	if r == nil {
		return errNilReport
	}
	suite := junitSuite{Name: JUnitSuite, Time: "0"}
	suite.Properties = append(suite.Properties,
		junitProperty{"service", r.Service.Name},
		junitProperty{"verdict", r.Verdict},
		junitProperty{"slo", sloSentence(r.Service.SLO, "<=")},
	)

	traffic := make([]string, 0, len(r.Traffic))
	for _, t := range r.Traffic {
		traffic = append(traffic, t.Name)
	}
	if len(traffic) == 0 {
		traffic = append(traffic, "all traffic")
	}
	failures := 0
	var underTest []int // indexes in suite.Cases
	for _, p := range r.Policies {
		if p == nil {
			continue
		}
		baseline := p.Role == check.RoleBaseline
		for _, t := range traffic {
			c := junitCase{ClassName: policyID(p), Name: t, Time: "0"}
			vs := trafficViolations(p, t)
			switch {
			case baseline && len(vs) > 0:
				f := violationFailure(p, vs, len(traffic) == 1)
				c.SystemOut = &junitCDATA{xmlText("The baseline, not under test: " + f.Message + "\n" + f.Text)}
			case baseline:
			case p.Verdict == check.Fail && len(vs) > 0:
				c.Failure = violationFailure(p, vs, len(traffic) == 1)
				failures++
			default:
				underTest = append(underTest, len(suite.Cases))
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	if r.Verdict == check.Fail && failures == 0 {
		reasons := xmlText(reasonsText(r.Reasons))
		for _, i := range underTest {
			c := &suite.Cases[i]
			c.Failure = &junitFailure{Message: "the check failed: " + oneLine(strings.Join(r.Reasons, "; ")), Type: "CheckFailed", Text: reasons}
			failures++
		}
		if failures == 0 {
			suite.Cases = append(suite.Cases, junitCase{
				ClassName: "headroom", Name: "verdict", Time: "0",
				Failure: &junitFailure{Message: "the check failed", Type: "CheckFailed", Text: reasons},
			})
			failures++
		}
	}
	suite.Tests, suite.Failures = len(suite.Cases), failures
	if len(r.Warnings) > 0 {
		suite.SystemOut = &junitCDATA{xmlText("Warnings:\n" + reasonsText(r.Warnings))}
	}

	doc := junitSuites{
		Name: JUnitSuite, Tests: suite.Tests, Failures: suite.Failures, Time: "0",
		Suites: []junitSuite{suite},
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// violationFailure describes the violations vs of p on one traffic series:
// a message that fits a report's one-line view and the violation lines of
// Text as the body.
func violationFailure(p *check.PolicyResult, vs []check.Violation, allTraffic bool) *junitFailure {
	n := len(vs)
	if allTraffic {
		// The only series: the policy's count includes the ones the
		// list left out.
		n = max(n, violationCount(p))
	}
	first := vs[0]
	msg := fmt.Sprintf("%s: first at %s", plural(n, "SLO violation", "SLO violations"), fmtUTC(first.Start))
	if local := localStart(first, p.Zone); local != "" {
		msg += " = " + local
	}
	msg += fmt.Sprintf(" for %s, error ratio up to %s, %d ready of %d needed instances",
		fmtSeconds(durationSeconds(first)), fmtPercent(first.WorstErrorRatio), first.ReadyInstances, first.NeededInstances)

	var b strings.Builder
	listed := vs[:min(len(vs), maxListed)]
	for i, v := range listed {
		writeTextViolation(&b, strconv.Itoa(i+1)+".", v, p.Zone, false)
	}
	if more := n - len(listed); more > 0 {
		fmt.Fprintf(&b, "  ... and %d more\n", more)
	}
	return &junitFailure{Message: msg, Type: "SLOViolation", Text: xmlText(b.String())}
}

func reasonsText(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("- " + oneLine(l) + "\n")
	}
	return b.String()
}

// xmlText drops the characters XML 1.0 cannot hold at all, escaped or not
// (most control characters): encoding/xml writes CDATA as it is given.
// https://www.w3.org/TR/xml/#charsets
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return -1
	}, s)
}
