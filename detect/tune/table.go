package tune

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom/detect"
)

// WriteTable prints rows as a table people read in a terminal, then what
// each row's rules are.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule set\tdetect p50\tp95\treset p50\tprecision\trecall\tfalse pages (normal/blips/bursts)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f%%\t%d/%d\t%d (%d/%d/%d)\n", r.Name, since(r.DetectMedian, r.Caught), since(r.DetectP95, r.Caught),
			since(r.ResetMedian, r.Caught), 100*r.Precision(), r.Caught, r.Bursts, r.False(), r.FalseNormal, r.FalseBlips, r.FalseBursts)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		var ds []string
		for _, x := range r.Rules {
			ds = append(ds, x.Name+": "+Describe(x))
		}
		fmt.Fprintf(w, "  %s — %s\n", r.Name, strings.Join(ds, "; "))
	}
	_, err := fmt.Fprintln(w)
	return err
}

// since prints a time from onset, or "-" when nothing was caught.
func since(d time.Duration, caught int) string {
	if caught == 0 {
		return "-"
	}
	return Dur(d.Round(time.Second))
}

// Summary says in a few lines what was replayed and searched.
func (r *Result) Summary() string {
	o := r.Options
	var b strings.Builder
	fmt.Fprintf(&b, "Replayed %s of traffic (%d recording(s)) through policy %s, three times: as recorded, with %d blips of %s at %.0f%% errors, and with %d bursts of %s at %.0f–%.0f%% errors per recording (seed %d; SLO budget %s%%).\n",
		Dur(time.Duration(r.Seconds)*time.Second), len(o.Traffic), o.Policy.Name, o.Blips, Dur(o.BlipLength), 100*o.BlipErrors,
		o.Bursts, Dur(o.BurstLength), 100*o.BurstMinErrors, 100*o.BurstMaxErrors, o.Seed, trimFloat(100*o.Service.SLO.MaxErrorRatio))
	if o.Blips > 0 && o.Service.SLO.MaxErrorRatio > 0 && len(o.Traffic) > 0 {
		share := float64(o.Blips) * o.BlipLength.Seconds() * o.BlipErrors / (float64(r.Seconds) / float64(len(o.Traffic)))
		burn := share / o.Service.SLO.MaxErrorRatio
		fmt.Fprintf(&b, "The blips fail %s%% of a recording's requests, a burn of %sx the budget's rate over it", trimFloat(100*share), trimFloat(burn))
		if burn >= detect.WorkbookSlowFactor {
			b.WriteString(": a slow burn the workbook's 6h & 30m pair is meant to page on; the fast rule must not")
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(&b, "Searched %d candidate rules: %d quiet on the blips, %d of those caught every burst, %d of those quiet on the normal replay.\n",
		r.Candidates, r.QuietOnBlips, r.CaughtAll, r.Qualified)
	switch {
	case r.Found:
		fmt.Fprintf(&b, "Fastest: %s — %s.\n", TunedName, Describe(r.Rule))
	case r.Rule.Long > 0:
		fmt.Fprintf(&b, "No rule caught every burst without a false page; the best without a false page: %s — %s.\n", TunedName, Describe(r.Rule))
	default:
		b.WriteString("No rule went without a false page.\n")
	}
	return b.String()
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}
