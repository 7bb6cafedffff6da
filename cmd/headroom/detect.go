package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/alert/alertmanager"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/detect/tune"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/spf13/cobra"
)

func newDetectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Tune the detector's page rule on your own history, and export its rules to Prometheus",
		Long: `detect works on the symptom rules of headroom's detector (the error-budget
burn rules check, simulate and serve run): 'detect tune' finds the fastest rule
that would not have paged on your own history, 'detect rules' writes a
target's rules as a Prometheus rule file. See docs/DETECT.md.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newDetectTuneCmd(), newDetectRulesCmd())
	return cmd
}

type detectTuneFlags struct {
	service      string
	policy       []string
	policyFormat string
	traffic      trafficFlags
	write        bool
	seed         uint64
	blips        int
	bursts       int
}

func newDetectTuneCmd() *cobra.Command {
	var f detectTuneFlags
	cmd := &cobra.Command{
		Use:   "tune --service S.yaml --policy P.yaml --traffic T.csv [--write]",
		Short: "Find the fastest page rule with no false page on your own traffic",
		Long: `tune replays at least a day of your traffic through a policy that keeps the
SLO (your current one) three times: as recorded, with 30-second blips of 502s
injected (which must not page), and with 10-minute bursts of 5-50% errors
injected (which must). It searches single- and two-window burn-rate rules for
the fastest one that pages on no normal day and no blip and catches every
burst, and prints it beside the SRE workbook's defaults, Sloth's and Pyrra's
fast rules, scored on the same runs: detection time (median, p95), reset time,
precision, recall and false pages.

--write puts the rule, named fast, in the service file's detection: block
beside the workbook's defaults (an existing block is replaced; the rest of the
file is kept as it is).`,
		Example: `  headroom detect tune --service examples/bitbucket-2021-06-30/service.yaml \
    --policy examples/bitbucket-2021-06-30/baseline.yaml \
    --traffic examples/bitbucket-2021-06-30/traffic.csv --write`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDetectTune(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.service, "service", "", "service model and SLO (kind: Service); --write changes its detection: block")
	fl.StringArrayVar(&f.policy, "policy", nil, "the policy in production, which keeps the SLO: any format check reads")
	fl.StringVar(&f.policyFormat, "policy-format", "auto", "the policy file's format: auto, "+formatList())
	f.traffic.register(cmd)
	fl.BoolVar(&f.write, "write", false, "write the tuned rule into the service file's detection: block")
	fl.Uint64Var(&f.seed, "seed", tune.DefaultSeed, "where the blips and bursts fall: the same seed gives the same rule")
	fl.IntVar(&f.blips, "blips", tune.DefaultBlips, "30-second blips per recording")
	fl.IntVar(&f.bursts, "bursts", tune.DefaultBursts, "10-minute bursts per recording")
	return cmd
}

func runDetectTune(cmd *cobra.Command, f *detectTuneFlags) error {
	const hint = "headroom detect tune --service service.yaml --policy policy.yaml --traffic traffic.csv"
	if len(f.policy) == 0 {
		return &usageError{msg: "no policy: give --policy with the policy in production (one that keeps the SLO)", hint: hint}
	}
	if f.blips < 0 || f.bursts < 1 || f.seed == 0 {
		return &usageError{msg: fmt.Sprintf("--blips %d, --bursts %d, --seed %d: expected 0 or more blips, 1 or more bursts and a seed above 0", f.blips, f.bursts, f.seed), hint: hint}
	}
	svc, err := loadService(cmd, f.service)
	if err != nil {
		return err
	}
	format, err := dialect.ParseFormat(f.policyFormat)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom detect tune --policy-format hpa ..."}
	}
	pol, warnings, err := dialect.LoadPolicies(f.policy, format)
	if err != nil {
		return err
	}
	warn(cmd, warnings)
	series, _, err := f.traffic.load(cmd)
	if err != nil {
		return err
	}
	blips := f.blips
	if blips == 0 {
		blips = -1 // none; zero means the default in tune.Options
	}
	res, err := tune.Run(tune.Options{Service: svc, Policy: pol, Traffic: series, Seed: f.seed, Blips: blips, Bursts: f.bursts,
		Progress: progressFunc(cmd.ErrOrStderr(), "tune", f.traffic.progress)})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.WriteString(res.Summary())
	out.WriteString("\n")
	if err := tune.WriteTable(&out, res.Rows); err != nil {
		return err
	}
	if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
		return err
	}
	if !f.write {
		if res.Found {
			fmt.Fprintf(cmd.OutOrStdout(), "Add --write to put it in %s.\n", f.service)
		}
		return nil
	}
	if !res.Found {
		return headroom.Errorf(headroom.EINVALID, "not writing %s: no rule caught every burst without a false page", f.service)
	}
	note := fmt.Sprintf("%s: headroom detect tune on %s (seed %d): %d/%d bursts caught, median %s, no false page.",
		tune.TunedName, strings.Join(names(series), ", "), f.seed, res.Rows[0].Caught, res.Rows[0].Bursts, tune.Dur(res.Rows[0].DetectMedian))
	note += "\nThe others are the SRE workbook's defaults."
	if err := writeDetection(f.service, tune.Written(res.Rule, svc.SLO.MaxLatency), note); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Wrote the detection: block of %s.\n", f.service)
	return nil
}

func names(series []*headroom.Series) []string {
	var out []string
	for _, s := range series {
		out = append(out, filepath.Base(s.Name))
	}
	return out
}

// writeDetection replaces the detection: block of the service file at
// path: the new file is checked in memory, written beside the old one and
// renamed over it, then read back as check would read it.
func writeDetection(path string, rules []detect.Rule, note string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &headroom.InputError{File: path, Expected: "a readable Service file", Err: err}
	}
	out, err := tune.WriteDetection(path, data, rules, note)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".service-*.yaml")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := policy.LoadService(path); err != nil {
		return fmt.Errorf("%s no longer reads after writing its detection block: %w", path, err)
	}
	return nil
}

type detectRulesFlags struct {
	config string
	target string
	output string
}

func newDetectRulesCmd() *cobra.Command {
	var f detectRulesFlags
	cmd := &cobra.Command{
		Use:   "rules --config headroom.yaml [--target NAME] [-o rules.yaml]",
		Short: "Export each target's detector rules as a Prometheus rule file",
		Long: `rules writes each target's symptom rules — its service's detection: block, or
the SRE workbook's defaults — as Prometheus alerting rules built on the
target's prometheus.errorRatio and latency queries, with the labels serve's
alerts carry (alertname HeadroomSymptom, target, signal, severity, rule), for
users who want the alert without running serve. The file's header says where
Prometheus's evaluation differs from the detector's.`,
		Example: `  headroom detect rules --config headroom.yaml -o headroom-rules.yaml
  promtool check rules headroom-rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDetectRules(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "headroom.yaml", "the configuration serve runs")
	fl.StringVar(&f.target, "target", "", "only this target (all by default)")
	fl.StringVarP(&f.output, "output", "o", "", "write the rule file here (standard output by default)")
	return cmd
}

func runDetectRules(cmd *cobra.Command, f *detectRulesFlags) error {
	cfg, err := config.Load(f.config)
	if err != nil {
		return err
	}
	var targets []tune.PromTarget
	var known []string
	for _, t := range cfg.Targets {
		known = append(known, t.Name)
		if f.target != "" && t.Name != f.target {
			continue
		}
		pt := tune.PromTarget{Name: t.Name, Budget: t.Service.SLO.MaxErrorRatio, Rules: t.Service.Detection, Interval: cfg.LoopInterval}
		if pt.Rules == nil {
			pt.Rules = detect.DefaultRules(t.Service.SLO.MaxLatency)
		}
		if p := t.Prometheus; p != nil {
			pt.ErrorRatio, pt.Latency = p.ErrorRatio, p.Latency
		}
		targets = append(targets, pt)
	}
	if len(targets) == 0 {
		msg := fmt.Sprintf("%s has no targets", f.config)
		if f.target != "" {
			msg = fmt.Sprintf("--target %q: %s has no such target (it has: %s)", f.target, f.config, strings.Join(known, ", "))
		}
		return &usageError{msg: msg, hint: "headroom detect rules --config headroom.yaml --target web"}
	}
	data, notes, err := tune.PrometheusRules(targets, tune.PromOptions{AlertName: alertmanager.AlertName(headroom.SignalSymptom), Source: filepath.Base(f.config)})
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", n)
	}
	if f.output == "" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	if err := os.WriteFile(f.output, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", f.output, err)
	}
	return nil
}
