package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// Rule is a symptom rule (headroom.AlertRule): it fires when the error
// budget burns at Factor times the rate the SLO allows over both windows,
// or when the mean latency over both is at or over Latency; it fires once
// the condition held for For, and resets once it has not held for
// KeepFiringFor.
//
// Multiwindow, multi-burn-rate alerts — the long window makes the alert
// significant, the short one makes it reset soon after the burn stops:
// Google SRE workbook, "Alerting on SLOs", section 6
// (https://sre.google/workbook/alerting-on-slos/).
// For and KeepFiringFor are Prometheus alerting rules' `for` and
// `keep_firing_for`
// (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/).
type Rule = headroom.AlertRule

// The SRE workbook's recommended page rules for a 30-day SLO (its table 5-8):
// 2% of the budget spent in 1 hour (burn rate 14.4, short window 5 minutes)
// and 5% in 6 hours (burn rate 6, short window 30 minutes). Each resets when
// its short window no longer burns: keep_firing_for is the short window, so
// an alert does not flap on one good loop.
// https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
const (
	WorkbookFastFactor = 14.4
	WorkbookSlowFactor = 6
)

// DefaultRules are the workbook's two page rules and, when the SLO bounds
// latency, a latency rule over the same short and long windows as the fast
// pair's short one and a minute: mean latency over the SLO for five minutes
// and still over it now.
func DefaultRules(maxLatency time.Duration) []Rule {
	rules := []Rule{
		{Name: "burn-1h-5m", Long: time.Hour, Short: 5 * time.Minute, Factor: WorkbookFastFactor, KeepFiringFor: 5 * time.Minute, Severity: headroom.SeverityPage},
		{Name: "burn-6h-30m", Long: 6 * time.Hour, Short: 30 * time.Minute, Factor: WorkbookSlowFactor, KeepFiringFor: 30 * time.Minute, Severity: headroom.SeverityPage},
	}
	if maxLatency > 0 {
		rules = append(rules, Rule{Name: "latency-5m-1m", Long: 5 * time.Minute, Short: time.Minute, Latency: maxLatency, For: 2 * time.Minute, KeepFiringFor: 5 * time.Minute, Severity: headroom.SeverityPage})
	}
	return rules
}

// Validate says what is wrong with r, naming the field.
func Validate(r Rule) error {
	switch {
	case r.Name == "" || r.Name == ruleCause || r.Name == ruleBlind:
		return fmt.Errorf("name: %q is empty or reserved (%s, %s)", r.Name, ruleCause, ruleBlind)
	case r.Long <= 0:
		return fmt.Errorf("long: %s; expected a window longer than 0", r.Long)
	case r.Short < 0 || r.Short > r.Long:
		return fmt.Errorf("short: %s; expected 0 (none) or a window no longer than long (%s)", r.Short, r.Long)
	case r.Factor < 0 || math.IsNaN(r.Factor) || math.IsInf(r.Factor, 0):
		return fmt.Errorf("factor: %v; expected a finite burn rate of 0 (none) or more", r.Factor)
	case r.Latency < 0:
		return fmt.Errorf("latency: %s; expected 0 (none) or more", r.Latency)
	case r.Factor == 0 && r.Latency == 0:
		return fmt.Errorf("factor, latency: both 0; expected a burn rate, a latency or both")
	case r.For < 0 || r.KeepFiringFor < 0:
		return fmt.Errorf("for, keepFiringFor: expected 0 or more")
	case r.Severity != headroom.SeverityPage && r.Severity != headroom.SeverityTicket:
		return fmt.Errorf("severity: %q; expected %s or %s", r.Severity, headroom.SeverityPage, headroom.SeverityTicket)
	}
	return nil
}

// longest is the history the rules and the cause's demand comparison need.
func (c Config) longest() time.Duration {
	d := 2 * max(c.StartupDelay, time.Minute)
	for _, r := range c.Rules {
		d = max(d, r.Long, r.Short)
	}
	return d
}

// burn is the error budget's burn rate over t: its error ratio over the
// budget. With no budget any failure burns without bound.
func (c Config) burn(t Totals) float64 {
	er := t.ErrorRatio()
	if c.Budget <= 0 {
		if er > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return er / c.Budget
}

// symptom evaluates rule r at now; reach is its long and short windows'.
func (d *Detector) symptom(r Rule, reach [2]reach, now time.Time) {
	rs := d.st.rule(r.Name)
	long := d.at.window(reach[0])
	short := long
	if r.Short > 0 {
		short = d.at.window(reach[1])
	}
	shortW := r.Short
	if shortW <= 0 {
		shortW = r.Long
	}
	longBurn, shortBurn := d.unseenHealthy(long, now, r.Long), d.unseenHealthy(short, now, shortW)
	burning := r.Factor > 0 && d.cfg.burn(longBurn) >= r.Factor && d.cfg.burn(shortBurn) >= r.Factor
	slow := r.Latency > 0 && long.Healthy > 0 && short.Healthy > 0 && long.Latency() >= r.Latency && short.Latency() >= r.Latency
	if !burning && !slow {
		rs.PendingSince = time.Time{}
		if rs.Active != nil && now.Sub(rs.LastTrue) >= r.KeepFiringFor {
			d.resolve(rs, now)
		}
		return
	}
	if rs.PendingSince.IsZero() {
		rs.PendingSince = now
	}
	rs.LastTrue = now
	if rs.Active != nil || now.Sub(rs.PendingSince) < r.For {
		return
	}
	var why headroom.Reason
	if burning {
		over := fmt.Sprintf("%s%% of requests failed over the last %s", num(100*shortBurn.ErrorRatio()), span(r.Short, r.Long))
		if r.Short > 0 {
			over += fmt.Sprintf(" and %s%% over %s", num(100*longBurn.ErrorRatio()), span(r.Long, r.Long))
		}
		if now.Add(-r.Long).Before(d.st.History.start()) {
			over += fmt.Sprintf(" (the %s before %s counted as healthy: headroom started watching then)",
				shortDuration(r.Long-now.Sub(d.st.History.start())), d.st.History.start().UTC().Format("15:04:05 UTC"))
		}
		why = headroom.Reason{Code: headroom.ReasonBudgetBurn, Message: fmt.Sprintf(
			"error budget burning %sx the SLO's rate: %s (budget %s%%; rule %s fires at %sx)",
			num(d.cfg.burn(shortBurn)), over, num(100*d.cfg.Budget), r.Name, num(r.Factor))}
	} else {
		over := fmt.Sprintf("mean latency %s over the last %s", short.Latency().Round(time.Millisecond), span(r.Short, r.Long))
		if r.Short > 0 {
			over += fmt.Sprintf(" and %s over %s", long.Latency().Round(time.Millisecond), span(r.Long, r.Long))
		}
		why = headroom.Reason{Code: headroom.ReasonLatencyHigh, Message: fmt.Sprintf("%s, at or over %s (rule %s)", over, r.Latency, r.Name)}
	}
	d.fire(rs, headroom.SignalSymptom, r.Severity, now, why)
}

// unseenHealthy is t, the totals of a window w before now, as if the part
// of w before the history began had been healthy at t's request rate.
// Right after a start (or a change of rules) the 1h window holds seconds:
// judged as they are, a 15 s blip is "60% failed over 1h" and pages. As if
// the service had been healthy before headroom watched, the first hour
// burns as any later hour does (an outage present from the start still
// pages at once, if it is one). Latency is not padded: For guards it.
func (d *Detector) unseenHealthy(t Totals, now time.Time, w time.Duration) Totals {
	seen := d.at.seen
	if seen >= w || t.Seconds <= 0 {
		return t
	}
	f := (w - seen).Seconds() / t.Seconds
	t.Requests += f * t.Requests
	t.Healthy += f * t.Healthy
	t.Seconds += f * t.Seconds
	return t
}

// span is a window for a message: w, or long when w is zero.
func span(w, long time.Duration) string {
	if w <= 0 {
		w = long
	}
	return shortDuration(w)
}

// shortDuration prints 5m, 1h and 1h30m, not 5m0s, 1h0m0s and 1h30m0s;
// other durations as Go prints them (58m30s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// num prints a figure for people: whole above 100, three significant
// digits below.
func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v == 0:
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
