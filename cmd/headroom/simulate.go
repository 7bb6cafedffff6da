package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/report"
	"github.com/headroomhq/headroom/sim"
	"github.com/spf13/cobra"
)

type simulateFlags struct {
	service        string
	policy         []string
	policyFormat   string
	traffic        trafficFlags
	guards         guardFlags
	timeline, html string
}

func newSimulateCmd() *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate --service S.yaml --policy P.yaml --traffic T.csv",
		Short: "Replay traffic through one policy and show what users would have seen",
		Long: `simulate replays traffic through one policy, second by second, and prints a
summary: SLO violations, failed requests, latency, instance-hours.

--timeline writes every simulated second as CSV (time, demand, ready and
launching instances, utilization, latency, error ratio, failed requests,
instance-seconds); --report writes an HTML page with charts and every
capacity decision with its reason. simulate exits 0 whenever it ran: use
check to gate.`,
		Example: `  headroom simulate --service service.yaml --policy policy.yaml \
    --traffic traffic.csv --timeline timeline.csv --report sim.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimulate(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.service, "service", "", "service model and SLO (kind: Service)")
	fl.StringArrayVar(&f.policy, "policy", nil, "the policy to simulate: headroom ScalingPolicy, Kubernetes HPA, KEDA ScaledObject or AWS CLI JSON (repeat for AWS outputs in several files)")
	fl.StringVar(&f.policyFormat, "policy-format", "auto", "the policy file's format: auto, "+formatList())
	f.traffic.register(cmd)
	f.guards.register(cmd)
	fl.StringVar(&f.timeline, "timeline", "", "write the per-second timeline as CSV to this file")
	fl.StringVar(&f.html, "report", "", "write a self-contained HTML report with charts to this file")
	return cmd
}

func runSimulate(cmd *cobra.Command, f *simulateFlags) error {
	if len(f.policy) == 0 {
		return &usageError{msg: "no policy: give --policy policy.yaml", hint: "headroom simulate --service service.yaml --policy policy.yaml --traffic traffic.csv"}
	}
	svc, err := loadService(cmd, f.service)
	if err != nil {
		return err
	}
	format, err := dialect.ParseFormat(f.policyFormat)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom simulate --policy-format hpa ..."}
	}
	pol, warnings, err := dialect.LoadPolicies(f.policy, format)
	if err != nil {
		return err
	}
	warn(cmd, warnings)
	series, tw, err := f.traffic.load(cmd)
	if err != nil {
		return err
	}
	warnings = append(warnings, tw...)
	opt := check.Options{Service: svc, Proposed: pol, Traffic: series, Progress: progressFunc(cmd.ErrOrStderr(), "simulate", f.traffic.progress)}
	recordGuards, err := f.guards.apply(cmd, &opt)
	if err != nil {
		return err
	}
	if f.timeline == "" {
		rep, err := check.Run(opt)
		if err != nil {
			return err
		}
		return finishSimulate(cmd, f, rep, warnings, recordGuards)
	}
	// The timeline goes to a temporary file beside the target, renamed
	// at the end: no half timeline is left behind as a result.
	tmp, err := os.CreateTemp(filepath.Dir(f.timeline), ".timeline-*.csv")
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "create timeline " + f.timeline, Err: err}
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	tl := newTimelineWriter(tmp)
	opt.Sinks = func(_ string, tr *headroom.Series) []sim.Sink { return []sim.Sink{tl.forTraffic(tr.Name)} }
	rep, err := check.Run(opt)
	if err != nil {
		return err
	}
	if err := tl.close(); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.timeline); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return finishSimulate(cmd, f, rep, warnings, recordGuards)
}

func finishSimulate(cmd *cobra.Command, f *simulateFlags, rep *check.Report, warnings []string, recordGuards func(*check.Report)) error {
	rep.Warnings, rep.Options, rep.Command = warnings, f.traffic.describe(), "simulate"
	recordGuards(rep)
	if f.html != "" {
		var b bytes.Buffer
		if err := report.HTML(&b, rep); err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		if err := os.WriteFile(f.html, b.Bytes(), 0o644); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "write " + f.html, Err: err}
		}
	}
	return report.Text(cmd.OutOrStdout(), rep)
}

// timelineWriter writes simulated seconds as CSV, one traffic at a time
// (simulate runs one policy, so writes never interleave).
type timelineWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func newTimelineWriter(f *os.File) *timelineWriter {
	t := &timelineWriter{w: bufio.NewWriterSize(f, 1<<20)}
	_, t.err = t.w.WriteString("traffic,time,demand_rps,ready,launching,desired,utilization,latency_ms,error_ratio,failed_requests,instance_seconds\n")
	return t
}

func (t *timelineWriter) forTraffic(name string) sim.Sink {
	return sim.SinkFunc(func(s *headroom.Step) {
		if t.err != nil {
			return
		}
		b := t.buf[:0]
		b = append(b, csvField(name)...)
		b = append(b, ',')
		b = s.Time.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.Demand, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(s.Ready), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(s.Launching), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(s.Desired), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.Utilization, 'f', 4, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, float64(s.Latency)/float64(time.Millisecond), 'f', 3, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.ErrorRatio, 'g', 6, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.Failed, 'f', 3, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.InstanceSeconds, 'f', -1, 64)
		b = append(b, '\n')
		_, t.err = t.w.Write(b)
		t.buf = b
	})
}

func (t *timelineWriter) close() error {
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}

// csvField quotes a file name that needs it.
func csvField(s string) string {
	for _, r := range s {
		if r == ',' || r == '"' || r == '\n' {
			return strconv.Quote(s)
		}
	}
	return s
}
