package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/numfmt"
)

// errNilReport is returned by every renderer given a nil report.
var errNilReport = errors.New("report: nil check report")

// maxListed caps the violations printed per policy in Text and Markdown: a
// reader needs the first few to understand a failure, not all of them.
const maxListed = 10

// Time layouts. UTC times carry seconds because SLO windows and scheduled
// actions often fall on the same minute; local times, shown beside them,
// only when they are not on a minute.
const (
	layoutUTC   = "2006-01-02 15:04:05"
	layoutClock = "15:04:05"
	layoutLocal = "2006-01-02 15:04"
)

// fmtUTC formats t in UTC with the date: "2021-06-30 17:00:00 UTC".
func fmtUTC(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	return t.UTC().Format(layoutUTC) + " UTC"
}

// fmtUTCNear formats t in UTC, leaving the date out when it is the same
// day as ref: causes are usually minutes before their violation.
func fmtUTCNear(t, ref time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	tu, ru := t.UTC(), ref.UTC()
	if tu.YearDay() == ru.YearDay() && tu.Year() == ru.Year() {
		return tu.Format(layoutClock) + " UTC"
	}
	return fmtUTC(t)
}

// isUTCZone reports whether a policy zone name means UTC, in which case a
// local time would only repeat the UTC one.
func isUTCZone(zone string) bool {
	switch zone {
	case "", "UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT":
		return true
	}
	return false
}

// localStart returns the violation's start in the policy's zone followed by
// the zone's name: "2021-07-01 03:00 Australia/Sydney". The check writes
// StartLocal as RFC3339 with the zone's offset (docs/CHECK-JSON.md); a value
// in another form is shown as it is. It is empty when the zone is UTC.
func localStart(v check.Violation, zone string) string {
	if isUTCZone(zone) {
		return ""
	}
	if v.StartLocal == "" {
		// The check fills it; fall back on the zone database, which a
		// minimal system may lack.
		loc, err := time.LoadLocation(zone)
		if err != nil || v.Start.IsZero() {
			return ""
		}
		return localClock(v.Start.In(loc)) + " " + zone
	}
	if t, err := time.Parse(time.RFC3339, v.StartLocal); err == nil {
		return localClock(t) + " " + zone
	}
	if strings.Contains(v.StartLocal, zone) {
		return v.StartLocal
	}
	return v.StartLocal + " " + zone
}

// localClock formats a local time to the minute, or to the second when it
// is not on one.
func localClock(t time.Time) string {
	if t.Second() != 0 {
		return t.Format(layoutUTC)
	}
	return t.Format(layoutLocal)
}

// sig3 formats x with three significant digits and no exponent, dropping
// trailing zeros: 12.345 → "12.3", 0.001234 → "0.00123", 100 → "100".
func sig3(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "-∞"
	case x == 0:
		return "0"
	}
	d := 2 - int(math.Floor(math.Log10(math.Abs(x))))
	d = max(0, min(d, 6))
	s := strconv.FormatFloat(x, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// fmtPercent formats a ratio as a percentage: 0.3521 → "35.2%".
func fmtPercent(r float64) string {
	if math.IsNaN(r) {
		return "n/a"
	}
	return sig3(r*100) + "%"
}

// fmtSignedPercent is fmtPercent with an explicit sign: -0.12 → "-12%".
func fmtSignedPercent(r float64) string {
	if r > 0 {
		return "+" + fmtPercent(r)
	}
	return fmtPercent(r)
}

// fmtLatency formats milliseconds: "850ms", "2.5s".
func fmtLatency(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "n/a"
	case math.Abs(ms) >= 1000:
		return sig3(ms/1000) + "s"
	default:
		return sig3(ms) + "ms"
	}
}

// fmtCount formats a number of requests rounded to a whole number with
// thousands separators. Fractions of a request come from the fluid model;
// "<1" keeps a small but non-zero count from reading as none.
func fmtCount(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.IsInf(x, 0):
		return sig3(x)
	case x > 0 && x < 0.5:
		return "<1"
	}
	r := math.Round(x)
	if r == 0 {
		r = 0 // no "-0"
	}
	return numfmt.Group(strconv.FormatFloat(r, 'f', 0, 64))
}

// fmtSignedCount is fmtCount with an explicit sign.
func fmtSignedCount(x float64) string {
	if x > 0 {
		return "+" + fmtCount(x)
	}
	return fmtCount(x)
}

// fmtHours formats instance-hours with one decimal: "1,234.5".
func fmtHours(h float64) string {
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return sig3(h)
	}
	s := strconv.FormatFloat(h, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	i := strings.IndexByte(s, '.')
	return numfmt.Group(s[:i]) + s[i:]
}

// fmtSignedHours is fmtHours with an explicit sign.
func fmtSignedHours(h float64) string {
	s := fmtHours(h)
	if h > 0 && s != "0.0" {
		return "+" + s
	}
	return s
}

// fmtSeconds formats a span of seconds compactly: "45s", "10m", "1h5m",
// "26h", "10m30s".
func fmtSeconds(sec int) string {
	if sec == 0 {
		return "0s"
	}
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m, s := sec/3600, sec%3600/60, sec%60
	var b strings.Builder
	b.WriteString(sign)
	if h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	if s > 0 {
		b.WriteString(strconv.Itoa(s) + "s")
	}
	return b.String()
}

// fmtSignedSeconds is fmtSeconds with an explicit sign.
func fmtSignedSeconds(sec int) string {
	if sec > 0 {
		return "+" + fmtSeconds(sec)
	}
	return fmtSeconds(sec)
}

// durationSeconds returns the violation's length, from its own field or
// from its times when the field is unset.
func durationSeconds(v check.Violation) int {
	if v.DurationSeconds > 0 || v.End.IsZero() {
		return v.DurationSeconds
	}
	return int(v.End.Sub(v.Start) / time.Second)
}

// upper returns the verdict as a shouted word for headings.
func upper(verdict string) string {
	if verdict == "" {
		return "UNKNOWN"
	}
	return strings.ToUpper(verdict)
}

// violationCount returns how many violations the policy had, which can be
// more than the listed ones.
func violationCount(p *check.PolicyResult) int {
	return max(p.ViolationCount, len(p.Violations))
}

// policyLabel names a policy for people: `proposed policy "night"`.
func policyLabel(p *check.PolicyResult) string {
	role := p.Role
	if role == "" {
		role = "policy"
	} else {
		role += " policy"
	}
	if p.Name == "" {
		return role
	}
	return role + " " + strconv.Quote(p.Name)
}

// policyID is the short "role/name" form used as a JUnit class name.
func policyID(p *check.PolicyResult) string {
	switch {
	case p.Role == "":
		return p.Name
	case p.Name == "":
		return p.Role
	}
	return p.Role + "/" + p.Name
}

// plural returns "1 violation" or "2 violations".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// violationLatency is a violation's worst window latency: the mean, and the
// SLO's percentile when it bounds one ("2.1s, p99 4.5s").
func violationLatency(v check.Violation) string {
	if v.Percentile > 0 {
		return fmt.Sprintf("%s, p%g %s", fmtLatency(v.WorstLatencyMs), v.Percentile, fmtLatency(v.WorstPercentileLatencyMs))
	}
	return fmtLatency(v.WorstLatencyMs)
}

// sloSentence describes the SLO in one line, with le as the "at most"
// sign: "<=" in plain text, "≤" where Unicode is safe.
func sloSentence(s check.SLO, le string) string {
	var parts []string
	if s.MaxErrorRatio > 0 {
		parts = append(parts, "error ratio "+le+" "+fmtPercent(s.MaxErrorRatio))
	}
	if s.MaxLatencyMs > 0 {
		parts = append(parts, "mean latency "+le+" "+fmtLatency(s.MaxLatencyMs))
	}
	if s.Percentile > 0 {
		parts = append(parts, fmt.Sprintf("p%g latency %s %s", s.Percentile, le, fmtLatency(s.MaxPercentileLatencyMs)))
	}
	if len(parts) == 0 {
		return "no SLO"
	}
	out := strings.Join(parts, " and ")
	if s.WindowSeconds > 0 {
		out += " in every " + fmtSeconds(s.WindowSeconds) + " window"
	}
	return out
}

// decisionChange formats a decision's capacity change with the given arrow.
func decisionChange(d headroom.Decision, arrow string) string {
	if d.Current == d.Desired {
		return strconv.Itoa(d.Current) + " (held)"
	}
	return strconv.Itoa(d.Current) + " " + arrow + " " + strconv.Itoa(d.Desired)
}

// trafficViolations returns the violations of p on one traffic series: the
// listed ones, or the chart's when the chart knows more (the list is capped
// over all series, the chart is not).
func trafficViolations(p *check.PolicyResult, traffic string) []check.Violation {
	var listed []check.Violation
	for _, v := range p.Violations {
		if v.Traffic == traffic {
			listed = append(listed, v)
		}
	}
	for _, c := range p.Charts {
		if c != nil && c.Traffic == traffic && len(c.Violations) > len(listed) {
			return c.Violations
		}
	}
	return listed
}

// oneLine replaces line breaks so that a message stays on its line or in
// its table cell.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// orUnknown stands in for a missing value in a sentence.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// transforms lists the options the check ran with (traffic transforms such as
// "scale=1.3, shift=2h0m0s"), or "" when there were none.
func transforms(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + opts[k]
	}
	return strings.Join(parts, ", ")
}

// command names what produced r: "headroom check" unless told otherwise.
func command(r *check.Report) string {
	if r.Command == "" {
		return "headroom check"
	}
	return "headroom " + r.Command
}

// judgement says how the check judged when not by default: fail-on
// regression with its tolerance, and the excluded spans; "" otherwise.
func judgement(r *check.Report) string {
	var parts []string
	if r.FailOn == check.FailOnRegression {
		p := "fail on regression only (worse than the baseline"
		if r.Tolerance > 0 {
			p += " by more than " + fmtPercent(r.Tolerance)
		}
		parts = append(parts, p+")")
	}
	for _, x := range r.Excluded {
		parts = append(parts, "excluded "+fmtUTC(x.From)+" to "+fmtUTCNear(x.To, x.From))
	}
	return strings.Join(parts, "; ")
}
