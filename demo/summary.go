package demo

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/postmortem"
)

// Seed is what the seed's public report says of 2021-06-30: the figures
// the summary puts beside the demo's. They are the report's words
// (../shared/seed/bitbucket-2021-06-30-postmortem.txt), not measurements.
var Seed = struct {
	Impact, Failed, Latency, Detected, Mitigated, Postmortem string
	Updates                                                  []string
}{
	Impact:     "17:05–17:15 UTC (10 minutes)",
	Failed:     "not published",
	Latency:    "elevated by 300%",
	Detected:   "within 4 minutes, by monitoring",
	Mitigated:  "capacity added by hand; resolution in about 14 minutes",
	Postmortem: "a week later (Jul 07, 21:51 UTC)",
	Updates:    []string{"17:16 Investigating", "17:24 Identified", "17:31 Monitoring", "17:53 Resolved"},
}

// Row is a line of the side-by-side summary: the seed's report, the day
// with guards off, the day with guards on; more lines continue a cell.
type Row struct {
	What          string
	Seed, Off, On []string
}

// Rows compares the runs with the seed and with check's replay.
func Rows(replay *check.PolicyResult, off, on *Outcome) []Row {
	var rows []Row
	add := func(what string, seed, o, g []string) { rows = append(rows, Row{what, seed, o, g}) }
	one := func(s string) []string { return []string{s} }

	cut := "—"
	if len(replay.Violations) > 0 && replay.Violations[0].Cause != nil {
		c := replay.Violations[0].Cause
		cut = fmt.Sprintf("%s %d → %d at %s UTC", c.Reason.Code, c.Current, c.Desired, c.Time.UTC().Format("15:04:05"))
	}
	deferred := "no cut deferred"
	if d := on.Deferred; d != nil {
		deferred = fmt.Sprintf("the same cut deferred at %s UTC: %d kept", d.Time.UTC().Format("15:04:05"), d.Desired)
	}
	add("the change", one("a scheduled scaling event"), one(cut), one(deferred))

	f := off.Figures
	impact, failed, worst, latency := "none", "0", "0%", "—"
	detected, mitigated := "no alert", "—"
	if f != nil && !f.ImpactStart.IsZero() {
		impact = fmt.Sprintf("%s–%s UTC (%s)", f.ImpactStart.UTC().Format("15:04:05"), f.ImpactEnd.UTC().Format("15:04:05"), words(f.ImpactEnd.Sub(f.ImpactStart)))
		failed = postmortem.Count(f.FailedRequests)
		worst = pct(f.WorstErrorRatio) + " of a 15 s loop"
		switch {
		case f.HasLatency && f.LatencyIncrease >= 0:
			latency = "elevated by " + strconv.Itoa(int(math.Round(f.LatencyIncrease))) + "%"
		case f.HasLatency:
			latency = "fell by " + strconv.Itoa(int(math.Round(-f.LatencyIncrease))) + "% (fast failures)"
		}
		if a := f.FirstAlert; a != nil {
			detected = fmt.Sprintf("%s alert at %s UTC (%s)", a.Signal, a.StartsAt.UTC().Format("15:04:05"), relative(a.StartsAt.Sub(f.ImpactStart)))
		}
		if !f.Mitigated.IsZero() && f.FirstAlert != nil {
			mitigated = fmt.Sprintf("capacity back at need at %s UTC, %s after the first alert", f.Mitigated.UTC().Format("15:04:05"), words(f.Mitigated.Sub(f.FirstAlert.StartsAt)))
		}
	}
	var checkFailed, checkWorst string
	if len(replay.Violations) > 0 {
		v := replay.Violations[0]
		checkFailed = fmt.Sprintf("check: %s", postmortem.Count(v.FailedRequests))
		checkWorst = fmt.Sprintf("check: %s of a minute", pct(v.WorstErrorRatio))
	}
	add("impact", one(Seed.Impact), one(impact), one("none"))
	add("failed requests", one(Seed.Failed), nonEmpty(failed+" (all day: "+postmortem.Count(off.Failed)+")", checkFailed), one(postmortem.Count(on.Failed)))
	add("worst error ratio", one("—"), nonEmpty(worst, checkWorst), one("—"))
	add("latency", one(Seed.Latency), one(latency), one("—"))
	add("detected", one(Seed.Detected), one(detected), one(alertsSay(on.Alerts)))
	var symptom string
	for _, a := range off.Alerts {
		if a.Signal == headroom.SignalSymptom && (symptom == "" || f == nil) {
			symptom = fmt.Sprintf("symptom alert %s at %s UTC", a.Rule, a.StartsAt.UTC().Format("15:04:05"))
			if f != nil && !f.ImpactStart.IsZero() {
				symptom += " (" + relative(a.StartsAt.Sub(f.ImpactStart)) + ")"
			}
			break
		}
	}
	if symptom != "" {
		rows[len(rows)-1].Off = append(rows[len(rows)-1].Off, symptom)
	}
	add("mitigated", one(Seed.Mitigated), one(mitigated), one("—"))
	add("status page", Seed.Updates, updates(off.Incidents), updates(on.Incidents))
	pm := "—"
	for _, inc := range off.Incidents {
		if inc.PostmortemBody != "" {
			pm = fmt.Sprintf("drafted from the record when resolved (%s UTC)", inc.ResolvedAt.UTC().Format("15:04:05"))
		}
	}
	add("postmortem", one(Seed.Postmortem), one(pm), one("—"))
	add("wall time", one("—"), one(off.Took.Round(10*time.Millisecond).String()), one(on.Took.Round(10*time.Millisecond).String()))
	return rows
}

// WriteSummary prints rows side by side.
func WriteSummary(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tseed report (public)\tguards off\tguards on")
	for _, r := range rows {
		n := max(len(r.Seed), len(r.Off), len(r.On))
		for i := range n {
			what := ""
			if i == 0 {
				what = r.What
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", what, at(r.Seed, i), at(r.Off, i), at(r.On, i))
		}
	}
	return tw.Flush()
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// updates lists an outcome's incident updates, oldest first.
func updates(incs []incident.Incident) []string {
	if len(incs) == 0 {
		return []string{"nothing to tell"}
	}
	var out []string
	for _, inc := range incs {
		for i := len(inc.Updates) - 1; i >= 0; i-- {
			u := inc.Updates[i]
			out = append(out, u.DisplayAt.UTC().Format("15:04:05")+" "+title(string(u.Status)))
		}
	}
	return out
}

func alertsSay(as []headroom.Alert) string {
	if len(as) == 0 {
		return "no alert"
	}
	return fmt.Sprintf("%d alert(s), the first %s at %s UTC", len(as), as[0].Rule, as[0].StartsAt.UTC().Format("15:04:05"))
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// relative says when something came relative to the impact's start.
func relative(d time.Duration) string {
	switch {
	case d < 0:
		return words(-d) + " before the impact"
	case d == 0:
		return "as the impact began"
	}
	return words(d) + " into the impact"
}

func words(d time.Duration) string {
	d = d.Round(time.Second)
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}

func pct(r float64) string { return strconv.FormatFloat(math.Round(1000*r)/10, 'f', -1, 64) + "%" }
