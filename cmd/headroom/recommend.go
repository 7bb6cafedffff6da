package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/recommend"
	"github.com/spf13/cobra"
)

type recommendFlags struct {
	service        string
	policy         []string
	policyFormat   string
	traffic        trafficFlags
	holdout        string
	holdoutTraffic []string
	exclude        []string
	margin         float64
	format, output string
	explain        bool
}

// defaultHoldout is the traffic kept from the search to prove the
// recommendation on: the last week.
const defaultHoldout = "7d"

func newRecommendCmd() *cobra.Command {
	var f recommendFlags
	cmd := &cobra.Command{
		Use:   "recommend --service S.yaml --policy CURRENT --traffic T.csv ... [-o NEW]",
		Short: "Find the cheapest policy that keeps the SLO on your traffic, prove it on held-out days, write it in your format",
		Long: `recommend learns, from recorded traffic, the instances the service needs in
every weekday and hour of the policy's time zone (the service model's answer
for the busiest interval of that hour, launched a start-up delay ahead, with
--margin more demand), writes them as scheduled floors on top of the current
policy's target tracking, verifies them with the same simulator as check on
every training day, raises the hours that missed, and finds the highest
target utilization the floors make safe on days they did not learn from.

Then it proves the result: check --proposed recommended --baseline CURRENT on
held-out traffic (the last --holdout of the recordings, or --holdout-traffic),
with a table of instance-hours and SLO violation time beside the Tortoise
rule, an AWS-predictive-style forecast and the oracle (perfect foresight: a
lower bound).

The recommendation is written with -o in the format of CURRENT, as a minimal
diff: headroom YAML, a KEDA ScaledObject (the floors as cron triggers), AWS
describe JSON (and beside it a .sh of the AWS CLI commands that apply it). A
plain HPA has no schedules: it gets the nearest policy it can express, and
the table costs the alternatives, KEDA cron triggers (written to NEW.keda.yaml
when they pass) and headroom serve in guard mode. See docs/RECOMMEND.md.

Exit codes: 0 the proof passes (and -o is written), 1 it fails (nothing is
written), 2 bad input: traffic shorter than a day, a service that cannot
keep its SLO at maxInstances, a format that cannot be written back.`,
		Example: `  headroom recommend --service service.yaml --policy policy.yaml \
    --traffic last-4-weeks.csv --holdout 7d -o recommended.yaml

  # train on July, prove on August, skip a known incident
  headroom recommend --service service.yaml --policy policy.yaml \
    --traffic jul.csv --holdout-traffic aug.csv \
    --exclude 2024-07-12T14:00:00Z/2024-07-12T16:00:00Z --explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRecommend(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.service, "service", "", "service model and SLO (kind: Service)")
	fl.StringArrayVar(&f.policy, "policy", nil, "the policy in production (CURRENT): headroom ScalingPolicy (repeat for AWS outputs in several files)")
	fl.StringVar(&f.policyFormat, "policy-format", "auto", "policy files' format: auto, "+formatList())
	f.traffic.register(cmd)
	fl.StringVar(&f.holdout, "holdout", defaultHoldout, "keep the last span of the --traffic recordings out of the search to prove the recommendation on (e.g. 7d, 48h; 0 proves on the training traffic)")
	fl.StringArrayVar(&f.holdoutTraffic, "holdout-traffic", nil, "held-out recordings to prove on instead of the last --holdout of --traffic (repeat)")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "a known incident START/END (RFC 3339) the floors must not learn from (repeat)")
	fl.Float64Var(&f.margin, "margin", recommend.DefaultMargin, "extra demand each floor and the verification allow for, as a fraction")
	fl.StringVar(&f.format, "format", "text", "output: text, json or markdown")
	fl.StringVarP(&f.output, "output", "o", "", "write the recommended policy to this file, in the format of --policy")
	fl.BoolVar(&f.explain, "explain", false, "list every weekday-hour's floor and the busiest second of the training traffic that needed it")
	return cmd
}

func runRecommend(cmd *cobra.Command, f *recommendFlags) error {
	hint := "headroom recommend --service service.yaml --policy policy.yaml --traffic traffic.csv -o recommended.yaml"
	switch f.format {
	case "text", "json", "markdown", "md":
	default:
		return &usageError{msg: fmt.Sprintf("--format %q: expected text, json or markdown", f.format), hint: "headroom recommend ... --format markdown"}
	}
	if len(f.policy) == 0 {
		return &usageError{msg: "no current policy: give --policy policy.yaml", hint: hint}
	}
	if !(f.margin >= 0 && f.margin <= recommend.MaxMargin) {
		return &usageError{msg: fmt.Sprintf("--margin %v: expected a fraction from 0 to %d, such as 0.1", f.margin, recommend.MaxMargin), hint: "headroom recommend ... --margin 0.1"}
	}
	holdout, err := parseDays(f.holdout)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("--holdout %q: expected a duration such as 7d or 48h, or 0", f.holdout), hint: "headroom recommend ... --holdout 7d"}
	}
	exclude, err := parseSpans(f.exclude)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom recommend ... --exclude 2024-07-12T14:00:00Z/2024-07-12T16:00:00Z"}
	}
	format, err := dialect.ParseFormat(f.policyFormat)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom recommend --policy-format headroom ..."}
	}
	svc, err := loadService(cmd, f.service)
	if err != nil {
		return err
	}
	cur, ws, err := dialect.LoadPolicies(f.policy, format)
	if err != nil {
		return err
	}
	warnings := warn(cmd, ws)
	// The format of CURRENT decides what the search may write: refuse a
	// file that cannot be written back before the search, so that nothing
	// runs for a file that cannot be produced.
	if f.output != "" && len(f.policy) > 1 {
		return &usageError{msg: "-o writes one file: give CURRENT as one file (merge AWS outputs into one)", hint: "jq -s add targets.json policies.json actions.json > scaling.json"}
	}
	var w, kw *dialect.Writer
	var platform recommend.Platform
	var alts []recommend.Alternative
	var notes []string
	kedaOut := "scaledobject.yaml"
	if f.output != "" {
		ext := filepath.Ext(f.output)
		kedaOut = strings.TrimSuffix(f.output, ext) + ".keda" + ext
	}
	if len(f.policy) == 1 {
		original, err := inputfile.Read(f.policy[0], inputfile.MaxDocumentSize)
		if err != nil {
			return &headroom.InputError{File: f.policy[0], Expected: "a readable policy file", Err: err}
		}
		if w, err = dialect.NewWriter(f.policy[0], original, format); err != nil {
			return err
		}
		if _, err := w.Write(cur); err != nil {
			return err
		}
		platform = recommend.Platform{Express: w.Express, NoSchedules: !w.Schedules(), Delay: w.FloorDelay()}
		if !w.Schedules() {
			notes = append(notes, "a HorizontalPodAutoscaler has no schedules: the recommendation is the nearest policy it can express (one minReplicas all week, the target searched with it); the floors by weekday-hour can run as KEDA cron triggers or under headroom serve in guard mode, costed below")
			alts = append(alts, recommend.Alternative{Name: "guard mode", Guard: true,
				Note: "the HPA with the quietest hour's floor as minReplicas, and headroom serve in guard mode holding minReplicas up while demand needs it (docs/SERVE.md; the default guards, docs/GUARDS.md); it does not pre-warm for a ramp"})
			if kw, err = w.KEDA(kedaOut); err != nil {
				notes = append(notes, "no KEDA alternative: "+err.Error())
			} else {
				alts = append(alts, recommend.Alternative{Name: "KEDA cron triggers", Platform: recommend.Platform{Express: kw.Express, Delay: kw.FloorDelay()},
					Note: "a ScaledObject for the same workload: the floors as cron triggers beside the cpu trigger, searched for KEDA (the HPA's tolerance applies to a window; its end waits out the scale-down window)"})
			}
		}
	} else {
		notes = append(notes, "CURRENT is several AWS files: the floors are searched as headroom's own scheduled actions; merge the outputs into one file to write them back")
	}
	series, tw, err := f.traffic.load(cmd)
	if err != nil {
		return err
	}
	warnings = append(warnings, tw...)
	train, hold := series, []*headroom.Series(nil)
	if len(f.holdoutTraffic) > 0 {
		ht := f.traffic
		ht.files = f.holdoutTraffic
		if hold, tw, err = ht.load(cmd); err != nil {
			return err
		}
		warnings = append(warnings, tw...)
	} else if holdout > 0 {
		train, hold = splitHoldout(series, holdout)
	}
	res, err := recommend.Recommend(recommend.Options{Service: svc, Current: cur, Train: train, Holdout: hold,
		Margin: f.margin, Exclude: exclude, Context: cmd.Context(), Platform: platform, Alternatives: alts})
	if err != nil {
		return err
	}
	res.Warnings = append(warnings, res.Warnings...)
	res.Notes = append(notes, res.Notes...)

	// Render everything before writing anything.
	var out bytes.Buffer
	switch f.format {
	case "json":
		err = recommend.JSON(&out, res)
	case "markdown", "md":
		err = recommend.Markdown(&out, res, f.explain)
	default:
		err = recommend.Text(&out, res, f.explain)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", f.format, err)
	}
	// Every file is rendered before any is written: the recommendation;
	// for AWS the script of the CLI commands that apply it; for an HPA the
	// ScaledObject of the KEDA alternative when it passes too.
	type file struct {
		path string
		data []byte
	}
	var files []file
	if f.output != "" {
		written, err := w.Write(res.Policy)
		if err != nil {
			return err
		}
		files = append(files, file{f.output, written})
		script, err := w.Script(res.Policy)
		if err != nil {
			return err
		}
		if script != nil {
			files = append(files, file{strings.TrimSuffix(f.output, filepath.Ext(f.output)) + ".sh", script})
		}
		for _, a := range res.Alternatives {
			if kw != nil && a.Name == "KEDA cron triggers" && a.Verdict == "pass" {
				so, err := kw.Write(a.Policy)
				if err != nil {
					return err
				}
				files = append(files, file{kedaOut, so})
			}
		}
	}
	if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
		return err
	}
	if res.Proof.Verdict != "pass" {
		if f.output != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "headroom: the proof failed on the held-out traffic: %s not written\n", f.output)
		}
		return errFailed
	}
	for _, out := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(out.path, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(out.path, out.data, mode); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "write " + out.path, Err: err}
		}
		if mode == 0o755 {
			fmt.Fprintf(cmd.ErrOrStderr(), "headroom: wrote %s, the AWS CLI commands that apply %s; review it, then run: sh %s\n", out.path, f.output, out.path)
			continue
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "headroom: wrote %s; check it with: headroom check --service %s --baseline %s --proposed %s --traffic ...\n",
			out.path, f.service, f.policy[0], out.path)
	}
	return nil
}

// parseDays reads a duration that may be written in days ("7d"), or Go's
// form ("48h"), or 0.
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || !(n >= 0 && n <= 3650) {
			return 0, fmt.Errorf("bad days %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

// parseSpans reads --exclude START/END values.
func parseSpans(list []string) ([]recommend.Span, error) {
	var out []recommend.Span
	for _, s := range list {
		a, b, ok := strings.Cut(s, "/")
		start, err1 := time.Parse(time.RFC3339, strings.TrimSpace(a))
		end, err2 := time.Parse(time.RFC3339, strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || !start.Before(end) {
			return nil, fmt.Errorf("--exclude %q: expected START/END, two RFC 3339 times with START before END", s)
		}
		out = append(out, recommend.Span{Start: start, End: end})
	}
	return out, nil
}

// splitHoldout keeps the last d of the recordings for the proof: whole
// intervals of the last series (all of it, and then of the one before, if
// d is longer).
func splitHoldout(series []*headroom.Series, d time.Duration) (train, hold []*headroom.Series) {
	left := d
	train = append([]*headroom.Series(nil), series...)
	for len(train) > 0 && left > 0 {
		s := train[len(train)-1]
		n := min(len(s.Counts), int((left+s.Step-1)/s.Step))
		h, t := *s, *s
		h.Start = s.Start.Add(time.Duration(len(s.Counts)-n) * s.Step)
		h.Counts = s.Counts[len(s.Counts)-n:]
		t.Counts = s.Counts[:len(s.Counts)-n]
		hold = append([]*headroom.Series{&h}, hold...)
		left -= time.Duration(n) * s.Step
		train = train[:len(train)-1]
		if len(t.Counts) > 0 {
			train = append(train, &t)
			break
		}
	}
	return train, hold
}
