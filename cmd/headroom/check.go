package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/report"
	"github.com/headroomhq/headroom/traffic"
	"github.com/spf13/cobra"
)

type checkFlags struct {
	service                     string
	proposed, baseline          []string
	baselineGit, policyFormat   string
	traffic                     trafficFlags
	format, output, junit, html string
	postmortem                  string
	guards                      guardFlags
	judge                       judgeFlags
}

// judgeFlags say what is judged, and how: a gate a team with an imperfect
// baseline can adopt.
type judgeFlags struct {
	failOn      string
	tolerance   float64
	from, until string
	exclude     []string
}

func (j *judgeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&j.failOn, "fail-on", check.FailOnAny, "any: any SLO violation of the proposed policy fails; regression: only being worse than --baseline fails (more failed requests or longer out of SLO, beyond --tolerance)")
	fl.Float64Var(&j.tolerance, "tolerance", 0, "with --fail-on regression: the share of the baseline's failed requests and time out of SLO the proposed policy may add, such as 0.05")
	fl.StringVar(&j.from, "from", "", "judge the traffic from this time: 2021-06-30T17:00:00Z, 2021-06-30T17:00 (UTC) or 2021-06-30")
	fl.StringVar(&j.until, "until", "", "judge the traffic until this time (same forms)")
	fl.StringArrayVar(&j.exclude, "exclude", nil, "leave START/END out of the judgement (known incidents, bot spikes), such as 2021-06-30T17:00/2021-06-30T18:00; repeatable")
}

// apply trims the series and sets the check's judgement; options gets
// what the report echoes.
func (j *judgeFlags) apply(cmd *cobra.Command, series []*headroom.Series, opt *check.Options, options map[string]string) error {
	hint := "headroom check ... --fail-on regression --tolerance 0.05 --exclude 2021-06-30T17:00/2021-06-30T18:00"
	if j.failOn != check.FailOnAny && j.failOn != check.FailOnRegression {
		return &usageError{msg: fmt.Sprintf("--fail-on %q: expected any or regression", j.failOn), hint: hint}
	}
	if j.failOn == check.FailOnRegression && opt.Baseline == nil {
		return &usageError{msg: "--fail-on regression compares with a baseline: give --baseline or --baseline-git", hint: hint}
	}
	if !(j.tolerance >= 0 && j.tolerance <= 1) {
		return &usageError{msg: fmt.Sprintf("--tolerance %v: expected a share between 0 and 1, such as 0.05", j.tolerance), hint: hint}
	}
	opt.FailOn, opt.Tolerance = j.failOn, j.tolerance
	var from, until time.Time
	var err error
	if j.from != "" {
		if from, err = traffic.ParseTime(j.from); err != nil {
			return &usageError{msg: "--from " + err.Error(), hint: hint}
		}
		options["from"] = from.Format(time.RFC3339)
	}
	if j.until != "" {
		if until, err = traffic.ParseTime(j.until); err != nil {
			return &usageError{msg: "--until " + err.Error(), hint: hint}
		}
		options["until"] = until.Format(time.RFC3339)
	}
	if !from.IsZero() && !until.IsZero() && !until.After(from) {
		return &usageError{msg: fmt.Sprintf("--until %s is not after --from %s", j.until, j.from), hint: hint}
	}
	if !from.IsZero() || !until.IsZero() {
		for _, s := range series {
			if err := traffic.Trim(s, from, until); err != nil {
				return err
			}
		}
	}
	for _, x := range j.exclude {
		a, b, ok := strings.Cut(x, "/")
		var span check.Span
		if ok {
			span.From, err = traffic.ParseTime(a)
			if err == nil {
				span.To, err = traffic.ParseTime(b)
			}
		}
		if !ok || err != nil || !span.To.After(span.From) {
			return &usageError{msg: fmt.Sprintf("--exclude %q: expected START/END with END after START, such as 2021-06-30T17:00/2021-06-30T18:00", x), hint: hint}
		}
		opt.Exclude = append(opt.Exclude, span)
	}
	return nil
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check --service S.yaml --proposed NEW.yaml [--baseline OLD.yaml] --traffic T.csv ...",
		Short: "Fail when a proposed scaling policy would under-provision the service (the CI gate)",
		Long: `check replays each --traffic recording through the proposed policy (and the
baseline, when given) with the service model, and judges every SLO window.

Exit codes, for CI:
  0  the proposed policy keeps the SLO on all the traffic
     (and, with --baseline, does no worse than the baseline)
  1  it misses the SLO somewhere, or does worse than the baseline
  2  bad input or usage, or interrupted (Ctrl-C, SIGTERM): nothing was
     judged and nothing is written

Policies are read in the format they are kept in, detected by content:
headroom's ScalingPolicy, a Kubernetes HorizontalPodAutoscaler (with its
Deployment), a KEDA ScaledObject, or the JSON the AWS CLI prints for
Application Auto Scaling or EC2 Auto Scaling (describe-scalable-targets,
describe-scaling-policies, describe-scheduled-actions; describe-auto-scaling-
groups, describe-policies, describe-scheduled-actions), one file or several.

Violation times are printed in UTC and in the policy's own time zone, so a
schedule written in the wrong zone shows at once.`,
		Example: `  headroom check --service service.yaml --proposed new.yaml --baseline old.yaml \
    --traffic last-week.csv --format markdown --junit junit.xml --report check.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.service, "service", "", "service model and SLO (kind: Service)")
	fl.StringArrayVar(&f.proposed, "proposed", nil, "the policy under test: headroom ScalingPolicy, Kubernetes HPA, KEDA ScaledObject or AWS CLI JSON (repeat for AWS outputs in several files)")
	fl.StringArrayVar(&f.baseline, "baseline", nil, "the policy in production today, to compare against (same formats)")
	fl.StringVar(&f.baselineGit, "baseline-git", "", "take the baseline from the proposed file's path at this git ref (origin/main): test what a pull request changes")
	fl.StringVar(&f.policyFormat, "policy-format", "auto", "policy files' format: auto, "+formatList())
	f.traffic.register(cmd)
	fl.StringVar(&f.format, "format", "text", "output: text, json or markdown")
	fl.StringVarP(&f.output, "output", "o", "", "write the output to this file instead of stdout")
	fl.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to this file")
	fl.StringVar(&f.html, "report", "", "also write a self-contained HTML report with charts to this file")
	fl.StringVar(&f.postmortem, "postmortem", "", "also write the postmortem draft the proposed policy's first violation would make (Markdown) to this file; nothing when it passes")
	f.guards.register(cmd)
	f.judge.register(cmd)
	return cmd
}

func runCheck(cmd *cobra.Command, f *checkFlags) error {
	render, err := renderer(f.format)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom check ... --format markdown"}
	}
	if len(f.proposed) == 0 {
		return &usageError{msg: "no proposed policy: give --proposed policy.yaml", hint: "headroom check --service service.yaml --proposed policy.yaml --traffic traffic.csv"}
	}
	svc, err := loadService(cmd, f.service)
	if err != nil {
		return err
	}
	if len(f.baseline) > 0 && f.baselineGit != "" {
		return &usageError{msg: "--baseline and --baseline-git both name a baseline: give one", hint: "headroom check --proposed deploy/hpa.yaml --baseline-git origin/main ..."}
	}
	if f.baselineGit != "" && len(f.proposed) > 1 {
		return &usageError{msg: "--baseline-git takes the baseline from the one --proposed file: merge AWS outputs into one file to use it", hint: "jq -s add targets.json policies.json actions.json > scaling.json"}
	}
	format, err := dialect.ParseFormat(f.policyFormat)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom check --policy-format hpa ..."}
	}
	var warnings []string
	proposed, ws, err := dialect.LoadPolicies(f.proposed, format)
	if err != nil {
		return err
	}
	warnings = append(warnings, warn(cmd, ws)...)
	var baseline *headroom.Policy
	switch {
	case len(f.baseline) > 0:
		if baseline, ws, err = dialect.LoadPolicies(f.baseline, format); err != nil {
			return err
		}
		warnings = append(warnings, warn(cmd, ws)...)
	case f.baselineGit != "":
		name, data, err := gitShow(cmd.Context(), f.proposed[0], f.baselineGit)
		switch {
		case errors.Is(err, errNotAtRef):
			warnings = append(warnings, warn(cmd, []string{fmt.Sprintf("%s does not exist: a new policy, checked without a baseline", name)})...)
		case err != nil:
			return err
		default:
			if baseline, ws, err = dialect.ParsePolicy(name, data, format); err != nil {
				return err
			}
			warnings = append(warnings, warn(cmd, ws)...)
		}
	}
	// One file, judged whole, is simulated while it is still being read
	// (trimming --from/--until and the postmortem's sampler want it all).
	var (
		series []*headroom.Series
		tw     []string
		ahead  *traffic.Ahead
	)
	if f.judge.from == "" && f.judge.until == "" && f.postmortem == "" {
		series, tw, ahead, err = f.traffic.loadAhead(cmd)
	} else {
		series, tw, err = f.traffic.load(cmd)
	}
	if err != nil {
		return err
	}
	// fail returns the traffic's error before err: reading it whole came
	// first, so its errors did.
	fail := func(err error) error {
		if ahead != nil {
			if _, _, _, aerr := ahead.Result(); aerr != nil {
				return aerr
			}
		}
		return err
	}
	warnings = append(warnings, tw...)
	opt := check.Options{Service: svc, Proposed: proposed, Baseline: baseline, Traffic: series,
		Progress: progressFunc(cmd.ErrOrStderr(), "check", f.traffic.progress), Context: cmd.Context()}
	if ahead != nil {
		opt.Wait = func(_ *headroom.Series, n int) (int, error) { return ahead.Wait(n) }
	}
	recordGuards, err := f.guards.apply(cmd, &opt)
	if err != nil {
		return fail(err)
	}
	judged := map[string]string{}
	if err := f.judge.apply(cmd, series, &opt, judged); err != nil {
		return fail(err)
	}
	var pm *replayPostmortem
	if f.postmortem != "" {
		pm = newReplayPostmortem(svc)
		pm.install(&opt)
	}
	rep, err := check.Run(opt)
	if ahead != nil {
		s, ws, diverged, aerr := ahead.Result()
		if aerr != nil {
			return aerr
		}
		warnings = append(warnings, f.traffic.report(cmd, ws)...)
		if diverged {
			// The file ended elsewhere than its last line said: the
			// series as read, replayed again.
			opt.Traffic, opt.Wait = []*headroom.Series{s}, nil
			rep, err = check.Run(opt)
		}
	}
	if err != nil {
		return err
	}
	rep.Warnings, rep.Options = warnings, f.traffic.describe()
	for k, v := range judged {
		if rep.Options == nil {
			rep.Options = map[string]string{}
		}
		rep.Options[k] = v
	}
	recordGuards(rep)

	// Render everything before writing anything: no partial output is
	// presented as a result.
	var main bytes.Buffer
	if err := render(&main, rep); err != nil {
		return fmt.Errorf("render %s: %w", f.format, err)
	}
	extra := []struct {
		path   string
		render func(io.Writer, *check.Report) error
	}{{f.junit, report.JUnit}, {f.html, report.HTML}}
	files := map[string][]byte{}
	for _, o := range extra {
		if o.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := o.render(&b, rep); err != nil {
			return fmt.Errorf("render %s: %w", o.path, err)
		}
		files[o.path] = b.Bytes()
	}
	if pm != nil {
		if md, ok := pm.draft(rep, proposed, checkCommand(f)); ok {
			files[f.postmortem] = []byte(md)
		} else {
			fmt.Fprintf(cmd.ErrOrStderr(), "headroom: --postmortem: the proposed policy keeps the SLO, no postmortem to draft: %s not written\n", f.postmortem)
		}
	}
	if f.output != "" {
		files[f.output] = main.Bytes()
	} else if _, err := cmd.OutOrStdout().Write(main.Bytes()); err != nil {
		return err
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
		}
	}
	if rep.Verdict != check.Pass {
		return errFailed
	}
	return nil
}

func renderer(format string) (func(io.Writer, *check.Report) error, error) {
	switch format {
	case "text", "":
		return report.Text, nil
	case "json":
		return report.JSON, nil
	case "markdown", "md":
		return report.Markdown, nil
	}
	return nil, fmt.Errorf("--format %q: expected text, json or markdown", format)
}
