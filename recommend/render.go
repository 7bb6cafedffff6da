package recommend

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Text writes the recommendation for a terminal: how it was found, the
// comparison on the held-out traffic, the proof's verdict and, with
// explain, every weekday-hour's floor and what drove it.
func Text(w io.Writer, r *Result, explain bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "headroom recommend: %s\n", r.Policy.Name)
	fmt.Fprintf(&b, "learnt from %.1f days, proved on %.1f %sdays; floors per weekday-hour in %s, set %s ahead (start-up delay), margin %.0f%%\n",
		r.TrainDays, r.HoldoutDays, map[bool]string{true: "training (in-sample) ", false: "held-out "}[r.InSample], r.Zone, r.Lead, 100*r.Margin)
	fmt.Fprintf(&b, "each floor pooled over %s; %.0f%% of the floors kept\n", r.Pool, 100*r.FloorShare)
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "target tracking %s: %g -> %g\n", t.Metric, t.Current, t.New)
	}
	fmt.Fprintf(&b, "search: %d simulations of the training traffic, %d rounds raising floors\n\n", r.Simulations, r.Rounds)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tinstance-hours\tvs oracle\tvs hourly oracle\tSLO violation\tfailed requests\t")
	for _, row := range r.Rows {
		viol := (time.Duration(row.ViolationSeconds) * time.Second).String()
		failed := fmt.Sprintf("%.0f", row.FailedRequests)
		if row.Role == RoleOracle || row.Role == RoleHourlyOracle {
			viol, failed = "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.2f\t%s\t%s\t\n", row.Name, row.InstanceHours, row.VsOracle, row.VsHourly, viol, failed)
	}
	tw.Flush()
	b.WriteString("\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "  %s: %s\n", row.Name, row.Note)
	}
	fmt.Fprintf(&b, "\nproof: check --proposed recommended --baseline CURRENT on the %s traffic: %s\n", map[bool]string{true: "training", false: "held-out"}[r.InSample], strings.ToUpper(r.Proof.Verdict))
	for _, reason := range r.Proof.Reasons {
		fmt.Fprintf(&b, "  %s\n", reason)
	}
	if c := r.Proof.Compare; c != nil {
		fmt.Fprintf(&b, "  instance-hours %+.1f%% against CURRENT\n", 100*c.InstanceHoursChange)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if explain {
		b.WriteString("\n")
		writeFloors(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFloors lists every weekday-hour: its floor, the need that drove it
// and when.
func writeFloors(b *strings.Builder, r *Result) {
	fmt.Fprintf(b, "floors (%s): the instances kept ready in each hour, and the busiest training interval that needed them\n", r.Zone)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "weekday\thour\tfloor\tneed\tdemand (req/s)\tdriven by (UTC)\tnote")
	for _, f := range r.Floors {
		driver := "-"
		if !f.Driver.IsZero() {
			driver = f.Driver.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%02d:00\t%d\t%d\t%.0f\t%s\t%s\n", f.Weekday.String()[:3], f.Hour, f.Instances, f.Need, f.Demand, driver, f.Raised)
	}
	tw.Flush()
}

// Markdown writes the recommendation as a pull request comment.
func Markdown(w io.Writer, r *Result, explain bool) error {
	var b strings.Builder
	b.WriteString("<!-- headroom-recommend -->\n")
	fmt.Fprintf(&b, "### headroom recommend: `%s` — proof %s\n\n", r.Policy.Name, strings.ToUpper(r.Proof.Verdict))
	fmt.Fprintf(&b, "Learnt from %.1f days, proved on %.1f %s days. Floors per weekday-hour in %s, set %s ahead, margin %.0f%%.",
		r.TrainDays, r.HoldoutDays, map[bool]string{true: "training (in-sample)", false: "held-out"}[r.InSample], r.Zone, r.Lead, 100*r.Margin)
	for _, t := range r.Targets {
		fmt.Fprintf(&b, " Target tracking `%s`: %g → %g.", t.Metric, t.Current, t.New)
	}
	b.WriteString("\n\n| policy | instance-hours | vs oracle | vs hourly oracle | SLO violation | failed requests | how |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, row := range r.Rows {
		viol := (time.Duration(row.ViolationSeconds) * time.Second).String()
		failed := fmt.Sprintf("%.0f", row.FailedRequests)
		if row.Role == RoleOracle || row.Role == RoleHourlyOracle {
			viol, failed = "—", "—"
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.2f | %.2f | %s | %s | %s |\n", row.Name, row.InstanceHours, row.VsOracle, row.VsHourly, viol, failed, row.Note)
	}
	for _, reason := range r.Proof.Reasons {
		fmt.Fprintf(&b, "\n- %s", reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- note: %s", n)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "\n- warning: %s", w)
	}
	b.WriteString("\n")
	if explain {
		b.WriteString("\n<details><summary>Floors</summary>\n\n```\n")
		writeFloors(&b, r)
		b.WriteString("```\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON writes the recommendation, its floors, the comparison and the
// proof's report.
func JSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
