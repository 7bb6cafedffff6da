package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check service, policy and config files (every format check and serve read) and explain every problem with file:line",
		Long: `validate reads every file headroom reads and reports every problem at once,
each with file:line, the field, the value found and what was expected. The
format is detected from the content:

  headroom YAML    kind Service (the service model, the SLO, detection rules),
                   kind ScalingPolicy (apiVersion headroom.dev/v1alpha1)
  Kubernetes HPA   a HorizontalPodAutoscaler (autoscaling/v2, v2beta2, v1),
                   alone or next to its Deployment or StatefulSet
  KEDA             a ScaledObject (keda.sh/v1alpha1), alone or next to its workload
  AWS              the JSON of the AWS CLI's describe commands for Application
                   Auto Scaling and EC2 Auto Scaling
  headroom.yaml    kind Config: what serve runs; its targets' metrics are
                   listed, with those serve derives (cpu from demand)

It exits 0 when all files are valid, 2 otherwise.`,
		Example: `  headroom validate examples/bitbucket-2021-06-30/*.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "validate needs at least one file", hint: "headroom validate policy.yaml"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var bad headroom.InputErrors
			for _, path := range args {
				if err := validateFile(cmd, path); err != nil {
					if headroom.ErrorCode(err) != headroom.EINVALID {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: invalid\n", path)
					bad = append(bad, collect(err)...)
				}
			}
			return bad.Err()
		},
	}
}

// validateFile reads one file as what it holds (a Config, a native policy,
// or headroom Services and ScalingPolicies) and says what it found.
func validateFile(cmd *cobra.Command, path string) error {
	data, err := inputfile.Read(path, inputfile.MaxDocumentSize)
	if err != nil {
		return &headroom.InputError{File: path, Expected: "a readable file of at most 16 MiB", Err: err}
	}
	out := cmd.OutOrStdout()
	if configKind.Match(data) {
		cfg, err := config.Parse(path, data)
		if err != nil {
			return err
		}
		if err := checkAdapters(path, cfg); err != nil {
			return err
		}
		for _, t := range cfg.Targets {
			warn(cmd, t.Warnings)
		}
		fmt.Fprintf(out, "%s: ok: Config with %d target(s), data in %s, every %s\n", path, len(cfg.Targets), cfg.DataDir, cfg.LoopInterval)
		for _, t := range cfg.Targets {
			fmt.Fprintf(out, "  target %s: %s\n", t.Name, metricsSentence(t))
		}
		return nil
	}
	if d := dialect.Detect(data); d != dialect.Headroom && d != "" {
		// A native dialect: translate it as check would.
		p, ws, err := dialect.ParsePolicy(path, data, d)
		if err != nil {
			return err
		}
		warn(cmd, ws)
		fmt.Fprintf(out, "%s: ok: %s %q read as %d..%d instances, %d scheduled action(s), %d target tracking metric(s), %d step scaling policy(ies)\n",
			path, d, p.Name, p.Min, p.Max, len(p.Schedules), metricCount(p), len(p.Steps))
		return nil
	}
	f, err := policy.Parse(path, data)
	if err != nil {
		return err
	}
	for _, s := range f.Services {
		fmt.Fprintf(out, "%s: ok: Service %q (%.4g req/s per instance, SLO %.4g%% errors, %s latency per %s)\n",
			path, s.Name, s.CapacityPerInstance, 100*s.SLO.MaxErrorRatio, s.SLO.MaxLatency, s.SLO.Window)
	}
	for _, p := range f.Policies {
		fmt.Fprintf(out, "%s: ok: ScalingPolicy %q (%d..%d instances, %d scheduled action(s), target tracking: %v)\n",
			path, p.Name, p.Min, p.Max, len(p.Schedules), p.Target != nil)
	}
	return nil
}

func metricCount(p *headroom.Policy) int {
	if p.Target == nil {
		return 0
	}
	return len(p.Target.Metrics)
}

// configKind recognizes headroom.yaml, the Config that serve runs.
var configKind = regexp.MustCompile(`(?m)^kind:\s*Config\s*$`)

// collect flattens an error into its list of problems.
func collect(err error) headroom.InputErrors {
	if list := headroom.AsInputErrors(err); list != nil {
		return list
	}
	return headroom.InputErrors{{Err: err}}
}

// metricsSentence says which metrics a target reads from Prometheus and
// which the live loop derives, as check would.
func metricsSentence(t *config.Target) string {
	p := t.Prometheus
	if p == nil {
		return "no metrics source"
	}
	var reads, derives []string
	for _, m := range []struct{ name, query string }{{"demand", p.Demand}, {"cpu", p.Utilization}, {"error ratio", p.ErrorRatio}, {"latency", p.Latency}} {
		if m.query != "" {
			reads = append(reads, m.name)
		}
	}
	cpu := false
	if t.Policy != nil && t.Policy.Target != nil {
		for _, m := range t.Policy.Target.Metrics {
			cpu = cpu || m.Kind == headroom.MetricCPU
		}
	}
	if cpu && p.Utilization == "" && p.Demand != "" {
		derives = append(derives, "cpu from demand and ready capacity (the service's capacityPerInstance), as check does")
	}
	s := "reads " + strings.Join(reads, ", ") + " from Prometheus"
	if len(derives) > 0 {
		s += "; derives " + strings.Join(derives, "; ")
	}
	if p.ErrorRatio == "" && p.Latency == "" {
		s += "; no error ratio or latency query: the detector's symptom rules cannot fire (only its capacity cause)"
	}
	return s
}
