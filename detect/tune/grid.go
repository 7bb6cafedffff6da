package tune

import (
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
)

// TunedName is the name of the tuned rule in the service file.
const TunedName = "fast"

// Set is a named set of rules scored together: it pages when any of its
// rules fires.
type Set struct {
	Name  string
	Rules []detect.Rule
}

// minReset is the shortest keep_firing_for a tuned rule gets: a burst on
// idle traffic (minutes without a request) must not end and page again.
const minReset = time.Minute

// The grid's dimensions. Windows are whole 15 s buckets of the detector's
// history; every rule resets after its long window (at least minReset)
// without a burn (keep_firing_for), so one burst pages once.
var (
	gridShapes = []struct{ long, short time.Duration }{
		// one window
		{15 * time.Second, 0}, {30 * time.Second, 0}, {time.Minute, 0}, {2 * time.Minute, 0}, {5 * time.Minute, 0},
		{10 * time.Minute, 0}, {30 * time.Minute, 0}, {time.Hour, 0},
		// two windows: the long one makes the page significant, the
		// short one makes it stop soon after the burn does
		{2 * time.Minute, 30 * time.Second}, {5 * time.Minute, 30 * time.Second}, {5 * time.Minute, time.Minute},
		{10 * time.Minute, time.Minute}, {30 * time.Minute, 2 * time.Minute}, {time.Hour, 5 * time.Minute},
	}
	gridFor     = []time.Duration{0, 30 * time.Second, 45 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
	gridFactors = []float64{2, 3, 5, 7, 10, 14.4, 20, 30, 50, 70, 100, 140, 200, 300, 500}
)

// Grid returns the candidate rules for an SLO whose error budget is
// budget, leaving out burn factors whose error ratio (factor × budget) is
// above maxRatio: they cannot catch a burst of maxRatio errors. With no
// budget any failure burns without bound, and the factor is 1. Rules come
// simplest first (one window before two, no `for` before some), which
// breaks ties.
func Grid(budget, maxRatio float64) []detect.Rule {
	factors := gridFactors
	if budget <= 0 {
		factors = []float64{1}
	}
	var out []detect.Rule
	for _, s := range gridShapes {
		for _, f := range gridFor {
			for _, x := range factors {
				if budget > 0 && x*budget > maxRatio {
					continue
				}
				out = append(out, detect.Rule{Name: fmt.Sprintf("c%d", len(out)), Long: s.long, Short: s.short, Factor: x,
					For: f, KeepFiringFor: max(s.long, minReset), Severity: headroom.SeverityPage})
			}
		}
	}
	return out
}

// References are the rule sets the tuned rule is compared with, scored on
// the same runs:
//   - the detector's defaults (detect.DefaultRules): the SRE workbook's
//     two page pairs and, when the SLO bounds latency, the latency rule;
//   - Sloth's default page pair: 2% of a 30-day budget in 1 hour, burn 14.4
//     over 1h and 5m, no `for` and no keep_firing_for (its page alert ORs
//     this pair with the 6h & 30m one at 6; slok/sloth
//     internal/alert/window.go and its generated rules);
//   - Pyrra's fast rule: burn 14 over 1h and 5m with `for: 2m` for a 28-day
//     objective, no keep_firing_for (pyrra-dev/pyrra slo/rules.go,
//     Windows: "2m for 28d - half short").
//
// Sloth and Pyrra compare with `>`, the detector with `>=`: on a burn
// computed from sums of requests the difference is one request.
func References(maxLatency time.Duration) []Set {
	return []Set{
		{Name: "SRE workbook (default)", Rules: detect.DefaultRules(maxLatency)},
		{Name: "Sloth page 1h&5m 14.4", Rules: []detect.Rule{{Name: "sloth-1h-5m", Long: time.Hour, Short: 5 * time.Minute,
			Factor: 14.4, Severity: headroom.SeverityPage}}},
		{Name: "Pyrra fast 1h&5m 14 for 2m", Rules: []detect.Rule{{Name: "pyrra-1h-5m", Long: time.Hour, Short: 5 * time.Minute,
			Factor: 14, For: 2 * time.Minute, Severity: headroom.SeverityPage}}},
	}
}

// Written returns what --write puts in the service file: the tuned rule,
// named TunedName, and the detector's defaults beside it — the fast rule
// is added to the workbook's pairs, not put in their place, so a slow burn
// still pages.
func Written(tuned detect.Rule, maxLatency time.Duration) []detect.Rule {
	tuned.Name = TunedName
	return append([]detect.Rule{tuned}, detect.DefaultRules(maxLatency)...)
}

// Describe says what a rule does in a few words: "burn ≥ 50x over 1m &
// 30s for 2m, reset 1m".
func Describe(r detect.Rule) string {
	w := Dur(r.Long)
	if r.Short > 0 {
		w += " & " + Dur(r.Short)
	}
	var s string
	switch {
	case r.Factor > 0 && r.Latency > 0:
		s = fmt.Sprintf("burn ≥ %vx or latency ≥ %s over %s", r.Factor, r.Latency, w)
	case r.Latency > 0:
		s = fmt.Sprintf("latency ≥ %s over %s", r.Latency, w)
	default:
		s = fmt.Sprintf("burn ≥ %vx over %s", r.Factor, w)
	}
	if r.For > 0 {
		s += " for " + Dur(r.For)
	}
	if r.KeepFiringFor > 0 {
		s += ", reset " + Dur(r.KeepFiringFor)
	} else {
		s += ", no reset delay"
	}
	return s
}

// Dur prints a duration as Prometheus and people write it: 1h, 5m, 1m30s.
func Dur(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	s := ""
	if h := d / time.Hour; h > 0 {
		s += fmt.Sprintf("%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		s += fmt.Sprintf("%dm", m)
		d -= m * time.Minute
	}
	if d >= time.Second {
		s += fmt.Sprintf("%ds", d/time.Second)
		d -= d / time.Second * time.Second
	}
	if d > 0 {
		s += fmt.Sprintf("%dms", d/time.Millisecond)
	}
	return s
}
