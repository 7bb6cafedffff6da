package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/check"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// render runs one renderer and fails the test on error.
func render(t *testing.T, f func(io.Writer, *check.Report) error, r *check.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b, r); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.String()
}

func TestText(t *testing.T) {
	out := render(t, Text, fixture())
	first, _, _ := strings.Cut(out, "\n")
	if want := `FAIL: headroom check of service "bitbucket-web"`; first != want {
		t.Errorf("first line = %q, want %q", first, want)
	}
	for _, want := range []string{
		// When, in UTC and in the policy's zone.
		"1. 2021-06-30 17:00:00 UTC = 2021-07-01 03:00 Australia/Sydney, for 10m\n",
		"2. 2021-06-30 17:31:00 UTC = 2021-07-01 03:31 Australia/Sydney, for 3m\n",
		// How bad.
		"error ratio up to 35.2%, latency up to 2.48s, 4 ready of 11 needed instances, 128,734 failed requests",
		// Why: the decision that caused it, with its reason.
		"cause: 16:58:00 UTC ScheduledAction 12 -> 4: " + causeMessage,
		"cause: 17:24:00 UTC ScaleDown 11 -> 9: cpu utilization (42%) is below target (70%)",
		"totals: 51,840,000 requests, 129,246 failed (0.249%), 13m in violation, worst latency 2.48s",
		"176.4 instance-hours, 4 to 12 instances",
		`baseline policy "current" (policies/current.yaml, zone UTC): PASS, no SLO violations`,
		"Proposed vs baseline: +129,246 failed requests, +13m in violation, -31.5 instance-hours (-15.2%).",
		"Warnings:\n  - " + trafficName + ": 3 missing intervals",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q\n%s", want, out)
		}
	}
	// The baseline's zone is UTC: a local time would repeat the UTC one.
	if strings.Count(out, "UTC = ") != 3 {
		t.Errorf("got %d UTC = local pairs, want 3 (one per violation, one for the first page)", strings.Count(out, "UTC = "))
	}
}

func TestTextCapsViolations(t *testing.T) {
	r := fixture()
	p := r.Policies[0]
	v := p.Violations[0]
	p.Violations = nil
	for i := range 15 {
		v.Start = utc(1+i, 0)
		p.Violations = append(p.Violations, v)
	}
	p.ViolationCount = 40 // the check capped its own list at 15

	out := render(t, Text, r)
	if !strings.Contains(out, "FAIL, 40 SLO violations") {
		t.Errorf("text does not give the full count of 40")
	}
	if !strings.Contains(out, "  10. 2021-06-30 10:00:00 UTC") {
		t.Errorf("text lacks the tenth violation")
	}
	if strings.Contains(out, "11. ") {
		t.Errorf("text lists more than %d violations", maxListed)
	}
	if !strings.Contains(out, "  ... and 30 more\n") {
		t.Errorf("text lacks %q\n%s", "... and 30 more", out)
	}
}

func TestTextLocalTimeFallback(t *testing.T) {
	if _, err := time.LoadLocation("Australia/Sydney"); err != nil {
		t.Skip("no time zone database:", err)
	}
	r := fixture()
	r.Policies[0].Violations[0].StartLocal = "" // an older check did not fill it
	out := render(t, Text, r)
	if want := "17:00:00 UTC = 2021-07-01 03:00 Australia/Sydney"; !strings.Contains(out, want) {
		t.Errorf("text lacks %q\n%s", want, out)
	}
}

// TestGolden compares whole outputs with testdata/*.golden; run
// `go test ./report -update` to rewrite them after a deliberate change.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		f    func(io.Writer, *check.Report) error
	}{
		{"text.golden", Text},
		{"markdown.golden", Markdown},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := render(t, tc.f, fixture())
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test ./report -update rewrites it)\ngot:\n%s", path, got)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	out := render(t, Markdown, fixture())
	for _, want := range []string{
		MarkdownMarker + "\n## ❌ headroom check failed: bitbucket-web\n",
		"| proposed aggressive-night-scale-in | ❌ fail | 2 | 129,246 | 0.249% | 176.4 |\n",
		"| baseline current | ✅ pass | 0 | 0 | 0% | 207.9 |\n",
		"| Start (UTC) | Start (Australia/Sydney) | Duration | Worst error | Worst latency | Ready / needed | Cause |\n",
		"| 2021-06-30 17:00:00 | 2021-07-01 03:00 Australia/Sydney | 10m | 35.2% | 2.48s | 4 / 11 | 16:58:00 UTC `ScheduledAction` 12 → 4: " + causeMessage + " |\n",
		"| 2021-06-30 17:31:00 | 2021-07-01 03:31 Australia/Sydney | 3m | 0.42% | 640ms | 9 / 10 |",
		"<details><summary>Decisions of proposed aggressive-night-scale-in (6)</summary>\n",
		"| 2021-06-30 16:58:00 | 12 → 4 | 4 / 20 | `ScheduledAction` | " + causeMessage + " |\n",
		"Proposed vs baseline: **+129,246** failed requests",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q\n%s", want, out)
		}
	}
	// The passing baseline has no violations table.
	if strings.Contains(out, "### Violations of baseline") {
		t.Errorf("markdown has a violations table for the baseline")
	}
}

func TestMarkdownEscapes(t *testing.T) {
	r := fixture()
	r.Policies[0].Name = "night_scale|<b>bold</b>"
	r.Policies[0].Violations[0].Cause.Reason.Message = "line one\nline | two"
	out := render(t, Markdown, r)
	if strings.Contains(out, "<b>") {
		t.Errorf("markdown passes HTML from a policy name through")
	}
	row := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| proposed night") {
			row = line
		}
	}
	// 6 columns: 7 unescaped pipes.
	if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(row, -1)); n != 7 {
		t.Errorf("summary row %q has %d cell separators, want 7", row, n)
	}
	// In the HTML block of <details>, HTML escaping alone.
	if want := "<summary>Decisions of proposed night_scale|&lt;b&gt;bold&lt;/b&gt; (6)</summary>"; !strings.Contains(out, want) {
		t.Errorf("markdown lacks %q", want)
	}
	if !strings.Contains(out, `line one line \| two`) {
		t.Errorf("markdown does not keep a multi-line message on one table line")
	}
}

// junitDoc is the JUnit XML as a test reporter reads it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Time     *string  `xml:"time,attr"`
	Suites   []struct {
		Name     string  `xml:"name,attr"`
		Tests    int     `xml:"tests,attr"`
		Failures int     `xml:"failures,attr"`
		Time     *string `xml:"time,attr"`
		Cases    []struct {
			ClassName string  `xml:"classname,attr"`
			Name      string  `xml:"name,attr"`
			Time      *string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out string) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, out)
	}
	return doc
}

func TestJUnit(t *testing.T) {
	out := render(t, JUnit, fixture())
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("JUnit output lacks the XML declaration")
	}
	doc := parseJUnit(t, out)
	if doc.Tests != 2 || doc.Failures != 1 || doc.Time == nil {
		t.Errorf("testsuites tests=%d failures=%d time=%v, want 2, 1, set", doc.Tests, doc.Failures, doc.Time)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("got %d test suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "headroom check" || s.Tests != 2 || s.Failures != 1 || s.Time == nil {
		t.Errorf("testsuite name=%q tests=%d failures=%d time=%v, want headroom check, 2, 1, set", s.Name, s.Tests, s.Failures, s.Time)
	}
	if len(s.Cases) != 2 {
		t.Fatalf("got %d test cases, want 2", len(s.Cases))
	}
	failed, passed := s.Cases[0], s.Cases[1]
	if failed.ClassName != "proposed/"+proposedName || failed.Name != trafficName || failed.Time == nil {
		t.Errorf("first case = %s %s, want proposed/%s %s", failed.ClassName, failed.Name, proposedName, trafficName)
	}
	if failed.Failure == nil {
		t.Fatalf("the proposed policy's case did not fail")
	}
	if want := "2 SLO violations: first at 2021-06-30 17:00:00 UTC = 2021-07-01 03:00 Australia/Sydney"; !strings.HasPrefix(failed.Failure.Message, want) {
		t.Errorf("failure message = %q, want it to start %q", failed.Failure.Message, want)
	}
	if !strings.Contains(failed.Failure.Text, causeMessage) || !strings.Contains(failed.Failure.Text, "17:31:00 UTC") {
		t.Errorf("failure text lacks the violations:\n%s", failed.Failure.Text)
	}
	if passed.ClassName != "baseline/current" || passed.Failure != nil {
		t.Errorf("second case = %s, failure %v; want baseline/current passing", passed.ClassName, passed.Failure)
	}
}

func TestJUnitControlCharacters(t *testing.T) {
	r := fixture()
	r.Policies[0].Violations[0].Cause.Reason.Message = "bad\x00byte ]]> end"
	doc := parseJUnit(t, render(t, JUnit, r))
	if text := doc.Suites[0].Cases[0].Failure.Text; !strings.Contains(text, "badbyte ]]> end") {
		t.Errorf("failure text = %q, want the message without NUL and with ]]> intact", text)
	}
}

// The JUnit failures agree with the verdict: a test report never passes a
// failed job, nor fails a passing one.
func TestJUnitAgreesWithVerdict(t *testing.T) {
	type want struct {
		failed   []string // class names of the failing cases
		tests    int
		inFailed string // text of the first failure
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *check.Report)
		want   want
		stdout string // in some case's system-out
	}{
		{
			name: "proposed fails only against the baseline",
			edit: func(r *check.Report) {
				p := r.Policies[0]
				p.Verdict, p.Violations, p.ViolationCount = check.Pass, nil, 0
				p.Charts[0].Violations = nil
				r.Reasons = []string{"proposed policy fails 812 more requests than the baseline"}
			},
			want: want{failed: []string{"proposed/" + proposedName}, tests: 2, inFailed: "812 more requests"},
		},
		{
			name: "failed check without a policy under test",
			edit: func(r *check.Report) {
				r.Policies = r.Policies[1:]
				r.Reasons = []string{"no proposed policy"}
			},
			want: want{failed: []string{"headroom"}, tests: 2, inFailed: "no proposed policy"},
		},
		{
			name: "baseline violations do not fail a passing check",
			edit: func(r *check.Report) {
				r.Verdict, r.Reasons = check.Pass, nil
				r.Policies[0], r.Policies[1] = r.Policies[1], r.Policies[0]
				r.Policies[0].Role, r.Policies[0].Name = check.RoleProposed, "better"
				r.Policies[1].Role, r.Policies[1].Name = check.RoleBaseline, "current"
			},
			want:   want{tests: 2},
			stdout: "The baseline, not under test: 2 SLO violations: first at 2021-06-30 17:00:00 UTC",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture()
			tc.edit(r)
			out := render(t, JUnit, r)
			doc := parseJUnit(t, out)
			var failed []string
			text := ""
			for _, c := range doc.Suites[0].Cases {
				if c.Failure != nil {
					failed = append(failed, c.ClassName)
					if text == "" {
						text = c.Failure.Text
					}
				}
			}
			if doc.Tests != tc.want.tests || doc.Failures != len(tc.want.failed) ||
				strings.Join(failed, ",") != strings.Join(tc.want.failed, ",") {
				t.Errorf("tests=%d failures=%d failed=%v, want %d, %d, %v",
					doc.Tests, doc.Failures, failed, tc.want.tests, len(tc.want.failed), tc.want.failed)
			}
			if !strings.Contains(text, tc.want.inFailed) {
				t.Errorf("failure text %q lacks %q", text, tc.want.inFailed)
			}
			if tc.stdout != "" && !strings.Contains(out, tc.stdout) {
				t.Errorf("JUnit lacks %q\n%s", tc.stdout, out)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := fixture()
	out := render(t, JSON, want)
	if !strings.Contains(out, "\n  \"verdict\": \"fail\",\n") {
		t.Errorf("JSON is not indented as expected:\n%.300s", out)
	}
	var got check.Report
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("JSON does not parse back: %v", err)
	}
	if got.Verdict != check.Fail {
		t.Errorf("verdict = %q, want fail", got.Verdict)
	}
	if len(got.Policies) != 2 || len(got.Policies[0].Violations) != 2 {
		t.Fatalf("policies or violations lost in the round trip")
	}
	gv, wv := got.Policies[0].Violations[0], want.Policies[0].Violations[0]
	if !gv.Start.Equal(wv.Start) || gv.StartLocal != wv.StartLocal {
		t.Errorf("violation start = %v %q, want %v %q", gv.Start, gv.StartLocal, wv.Start, wv.StartLocal)
	}
	if gv.Cause == nil || gv.Cause.Reason.Message != causeMessage {
		t.Errorf("violation cause = %+v, want the scheduled action", gv.Cause)
	}
	if !strings.Contains(out, `"message": "scheduled action \"night-scale-in\"`) {
		t.Errorf("JSON escapes more than it needs to")
	}
}

func TestJSONNaN(t *testing.T) {
	r := fixture()
	r.Policies[0].Totals.WorstLatencyMs = nanValue()
	var b bytes.Buffer
	if err := JSON(&b, r); err == nil {
		t.Errorf("JSON of a NaN succeeded: %s", b.String())
	} else if b.Len() != 0 {
		t.Errorf("JSON wrote %d bytes before failing", b.Len())
	}
}

func TestHTML(t *testing.T) {
	r := fixture()
	out := render(t, HTML, r)

	// Well-formed: the page is written so that an XML parser reads it.
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = true
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("HTML is not well-formed: %v", err)
		}
	}

	for _, want := range []string{
		"<title>FAIL · headroom check · bitbucket-web</title>",
		`<span class="badge fail">FAIL</span>`,
		"the decision that caused it", // the zoom chart's cause band
		`<meta name="viewport" content="width=device-width, initial-scale=1"/>`,
		"<svg",
		"2021-07-01 03:00 Australia/Sydney",
		"set min 4, max 20 and desired 4", // the cause, whose quotes are escaped
		"SLO 500ms",                       // the latency limit line
		"demand", "ready capacity", "required capacity",
		"The live detector would page you at 2021-06-30 16:58:00 UTC = 2021-07-01 02:58 Australia/Sydney (cause alert capacity).",
		"35.2% of requests failed over the last 5m &amp; &lt;1h&gt;", // the alert's reason, escaped
		"still firing at the end",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}

	// No emoji: a machine may lack the font (the verdict is a styled word).
	for _, r := range out {
		if r >= 0x1F000 || (r >= 0x2600 && r <= 0x27BF) {
			t.Errorf("HTML has %q, a symbol a font may lack", r)
			break
		}
	}
	// The first violation's zoom chart comes first, in its table; then
	// three charts per policy and traffic; each of the proposed policy's
	// shades its two violations, the baseline's none.
	if _, zoom, _ := strings.Cut(out, `<figure class="zoom">`); !strings.Contains(zoom, "<svg") {
		t.Fatal("no zoom chart under the violations table")
	}
	svgs := strings.Split(out, "<svg")[1:]
	if len(svgs) != 7 {
		t.Fatalf("got %d charts, want 7 (6 and a zoom)", len(svgs))
	}
	var day []string
	for _, svg := range svgs {
		if !strings.Contains(svg[:min(len(svg), 400)], "from 2021-06-30") {
			day = append(day, svg)
		}
	}
	svgs = day
	if len(svgs) != 6 {
		t.Fatalf("got %d day charts, want 6", len(svgs))
	}
	for i, svg := range svgs {
		svg, _, _ = strings.Cut(svg, "</svg>")
		want := 0
		if i < 3 {
			want = len(r.Policies[0].Charts[0].Violations)
		}
		if got := strings.Count(svg, `<rect class="violation"`); got != want {
			t.Errorf("chart %d shades %d violations, want %d", i+1, got, want)
		}
		if !strings.Contains(svg, "<path") || strings.Count(svg, `text-anchor="end"`) < 3 {
			t.Errorf("chart %d lacks lines or y ticks", i+1)
		}
	}

	// Self-contained: nothing to fetch, nothing to run.
	rest := strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"http://", "https://", "<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(strings.ToLower(rest), bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	r := fixture()
	r.Service.Name = `<script>alert("x")</script>`
	r.Policies[0].Violations[0].Cause.Reason.Message = `<img src=x onerror=alert(1)>`
	r.Policies[0].Charts[0].Traffic = `"><svg onload=alert(1)>`
	out := render(t, HTML, r)
	for _, bad := range []string{"<script", "<img", "<svg onload"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML lets %q through", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("HTML lacks the escaped service name")
	}
}

func TestHTMLEmptyChart(t *testing.T) {
	r := fixture()
	r.Policies[1].Charts[0] = &check.Chart{Traffic: trafficName, Start: utc(0, 0), Bucket: time.Minute}
	out := render(t, HTML, r)
	if !strings.Contains(out, ">no data</text>") {
		t.Errorf("an empty chart does not say so")
	}
}

func TestNilReport(t *testing.T) {
	for name, f := range map[string]func(io.Writer, *check.Report) error{
		"Text": Text, "Markdown": Markdown, "JUnit": JUnit, "JSON": JSON, "HTML": HTML,
	} {
		if err := f(io.Discard, nil); err == nil {
			t.Errorf("%s(nil) = nil error", name)
		}
	}
}

// A passing report reads as one: no failure anywhere.
func TestPass(t *testing.T) {
	r := fixture()
	r.Verdict, r.Reasons = check.Pass, nil
	r.Policies = r.Policies[1:]
	r.Compare = nil
	if out := render(t, Text, r); !strings.HasPrefix(out, "PASS: ") {
		t.Errorf("text starts %.40q", out)
	}
	if out := render(t, Markdown, r); !strings.Contains(out, "## ✅ headroom check passed: bitbucket-web") {
		t.Errorf("markdown heading missing")
	}
	doc := parseJUnit(t, render(t, JUnit, r))
	if doc.Tests != 1 || doc.Failures != 0 {
		t.Errorf("JUnit tests=%d failures=%d, want 1 and 0", doc.Tests, doc.Failures)
	}
}

func ExampleText() {
	r := fixture()
	r.Policies = r.Policies[:1]
	r.Policies[0].Violations = r.Policies[0].Violations[:1]
	r.Warnings, r.Compare, r.Traffic, r.Options = nil, nil, nil, map[string]string{"scale": "1.3"}
	if err := Text(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// FAIL: headroom check of service "bitbucket-web"
	//   - proposed policy "aggressive-night-scale-in" missed the SLO for 13m (129,246 failed requests) where the baseline kept it
	//
	// SLO: error ratio <= 0.1% and mean latency <= 500ms in every 1m window.
	// Service: 100 req/s per instance, startup 2m0s, base latency 50ms.
	// Options: scale=1.3
	//
	// proposed policy "aggressive-night-scale-in" (policies/proposed.yaml, zone Australia/Sydney): FAIL, 2 SLO violations
	//   1. 2021-06-30 17:00:00 UTC = 2021-07-01 03:00 Australia/Sydney, for 10m
	//      error ratio up to 35.2%, latency up to 2.48s, 4 ready of 11 needed instances, 128,734 failed requests
	//      cause: 16:58:00 UTC ScheduledAction 12 -> 4: scheduled action "night-scale-in" set min 4, max 20 and desired 4
	//   ... and 1 more
	//   detection: 2 alerts; would page you at 2021-06-30 16:58:00 UTC = 2021-07-01 02:58 Australia/Sydney (cause alert capacity)
	//     cause 2021-06-30 16:58:00 UTC until 17:08:00 UTC (capacity, page): capacity below need: 4 ready of 11 needed for 1040 req/s — cut by 16:58:00 UTC ScheduledAction 12 -> 4
	//     symptom 2021-06-30 17:01:00 UTC, still firing at the end (burn-1h-5m, page): error budget burning 352x the SLO's rate: 35.2% of requests failed over the last 5m & <1h>
	//   totals: 51,840,000 requests, 129,246 failed (0.249%), 13m in violation, worst latency 2.48s
	//           176.4 instance-hours, 4 to 12 instances
}
