package tune

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"go.yaml.in/yaml/v3"
)

// PromTarget is one target's rules to export.
type PromTarget struct {
	Name string
	// Budget is the SLO's maxErrorRatio.
	Budget float64
	// ErrorRatio and Latency are the target's Prometheus queries (a ratio
	// in [0, 1]; seconds), as headroom.yaml gives them to serve; a rule
	// that needs a missing one is left out, with a note.
	ErrorRatio, Latency string
	Rules               []detect.Rule
	// Interval is the group's evaluation interval and the subqueries'
	// resolution: serve's loop, so a window holds what the detector's
	// buckets hold.
	Interval time.Duration
}

// PromOptions are the export's settings.
type PromOptions struct {
	// AlertName is the alertname the live detector's alerts carry in
	// Alertmanager (alertmanager.AlertName of the symptom signal), so
	// that routes and silences match both.
	AlertName string
	// Source names the configuration, for the file's header.
	Source string
}

// The rule file's shape (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/).
type promFile struct {
	Groups []promGroup `yaml:"groups"`
}

type promGroup struct {
	Name     string      `yaml:"name"`
	Interval string      `yaml:"interval,omitempty"`
	Rules    []promAlert `yaml:"rules"`
}

type promAlert struct {
	Alert         string            `yaml:"alert"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for,omitempty"`
	KeepFiringFor string            `yaml:"keep_firing_for,omitempty"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// promHeader says where the export differs from the detector.
const promHeader = `# Prometheus alerting rules exported by 'headroom detect rules'%s.
# One group per target, one alert per symptom rule of the target's detector
# (its service's detection: block, or the SRE workbook's defaults).
#
# Where these rules differ from headroom's own detector:
#  - The detector weights the error ratio by requests: a window's ratio is
#    failed requests over requests. Here a window is avg_over_time of the
#    errorRatio query sampled every interval (a subquery), an unweighted
#    mean: a quiet minute's ratio counts as much as a busy one's.
#  - The query's own range (rate(...[1m]), say) widens each window by that
#    much; the detector's windows are whole buckets of the loop.
#  - Several series of a query are averaged (avg), as serve does.
#  - 'for' and 'keep_firing_for' count from this group's evaluations;
#    Prometheus 2.42 or later reads keep_firing_for.
#  - Right after a start a window here holds the samples it has and can
#    fire on seconds of data; the detector counts the time before its
#    history began as healthy.
#  - Only the symptom rules are here: the capacity (cause) and blind
#    alerts need headroom's decisions and are sent by serve.
`

// PrometheusRules renders the targets' rules as a Prometheus rule file, and
// notes the rules it left out (a query missing).
//
// Each window w of a rule becomes
//
//	avg_over_time((avg(Q))[w:interval]) / budget >= factor
//
// a subquery evaluating Q every interval over the last w
// (https://prometheus.io/docs/prometheus/latest/querying/basics/#subquery);
// a two-window rule ANDs its windows, a rule with both a burn factor and a
// latency ORs the two conditions, as the detector does. With no budget
// (maxErrorRatio 0) any error burns: the condition is "> 0".
//
// Errors: EINVALID for a target without a name or an interval.
func PrometheusRules(targets []PromTarget, opt PromOptions) ([]byte, []string, error) {
	var f promFile
	var notes []string
	for _, t := range targets {
		if t.Name == "" || t.Interval < time.Second {
			return nil, nil, headroom.Errorf(headroom.EINVALID, "prometheus rules: target %q: expected a name and an interval of 1s or more, got %s", t.Name, t.Interval)
		}
		g := promGroup{Name: "headroom-" + t.Name, Interval: Dur(t.Interval), Rules: []promAlert{}}
		for _, r := range t.Rules {
			var missing []string
			if r.Factor > 0 && t.ErrorRatio == "" {
				missing = append(missing, "prometheus.errorRatio")
			}
			if r.Latency > 0 && t.Latency == "" {
				missing = append(missing, "prometheus.latency")
			}
			if len(missing) > 0 {
				notes = append(notes, fmt.Sprintf("target %s: rule %s left out: it needs the %s query", t.Name, r.Name, strings.Join(missing, " and ")))
				continue
			}
			g.Rules = append(g.Rules, promAlert{
				Alert: opt.AlertName, Expr: expr(t, r), For: durOrEmpty(r.For), KeepFiringFor: durOrEmpty(r.KeepFiringFor),
				Labels: map[string]string{"target": t.Name, "signal": string(headroom.SignalSymptom), "severity": string(r.Severity), "rule": r.Name},
				Annotations: map[string]string{
					"summary":     fmt.Sprintf("%s: %s (rule %s)", t.Name, Describe(r), r.Name),
					"description": fmt.Sprintf("headroom's detector rule %s on %s fired: %s. Its long window reads {{ $value | humanize }}.", r.Name, t.Name, Describe(r)),
				},
			})
		}
		f.Groups = append(f.Groups, g)
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, nil, fmt.Errorf("prometheus rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("prometheus rules: %w", err)
	}
	src := ""
	if opt.Source != "" {
		src = " from " + opt.Source
	}
	out := fmt.Sprintf(promHeader, src)
	for _, n := range notes {
		out += "# Left out: " + n + "\n"
	}
	return []byte(out + body.String()), notes, nil
}

// expr is a rule's condition in PromQL.
func expr(t PromTarget, r detect.Rule) string {
	windows := []time.Duration{r.Long}
	if r.Short > 0 && r.Short != r.Long {
		windows = append(windows, r.Short)
	}
	cond := func(q string, test func(avg string) string) string {
		var parts []string
		for _, w := range windows {
			// A window is whole loops, at least one, as the
			// detector's buckets.
			w = max(w.Truncate(t.Interval), t.Interval)
			parts = append(parts, test(fmt.Sprintf("avg_over_time((avg(%s))[%s:%s])", q, Dur(w), Dur(t.Interval))))
		}
		return strings.Join(parts, " and ")
	}
	var conds []string
	if r.Factor > 0 {
		conds = append(conds, cond(t.ErrorRatio, func(avg string) string {
			if t.Budget <= 0 {
				return avg + " > 0"
			}
			return fmt.Sprintf("%s / %s >= %s", avg, num(t.Budget), num(r.Factor))
		}))
	}
	if r.Latency > 0 {
		conds = append(conds, cond(t.Latency, func(avg string) string {
			return fmt.Sprintf("%s >= %s", avg, num(r.Latency.Seconds()))
		}))
	}
	if len(conds) == 1 {
		return conds[0]
	}
	return "(" + strings.Join(conds, ") or (") + ")"
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func durOrEmpty(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return Dur(d)
}
