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
	"github.com/headroomhq/headroom/internal/inputfile"
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
	timelineStep   time.Duration
	format, output string
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
instance-seconds): about 100 bytes a second, 3 GB for a year. Its size is
printed on stderr before the run; --timeline-step 1m writes one row a
minute instead (demand, utilization and latency the minute's means, ready
the fewest, launching and desired the most, error ratio the minute's
failed requests over its requests, failed requests and instance-seconds
the minute's sums). --report writes an HTML page with charts and every
capacity decision with its reason. simulate exits 0 whenever it ran: use
check to gate; 2 on bad input or when interrupted (nothing is written).`,
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
	fl.StringVar(&f.timeline, "timeline", "", "write the per-second timeline as CSV to this file (its size is printed first)")
	fl.DurationVar(&f.timelineStep, "timeline-step", time.Second, "with --timeline: one row per this much simulated time, e.g. 1m (whole seconds)")
	fl.StringVar(&f.html, "report", "", "write a self-contained HTML report with charts to this file")
	fl.StringVar(&f.format, "format", "text", "summary: text, json or markdown (the check report's forms)")
	fl.StringVarP(&f.output, "output", "o", "", "write the summary to this file instead of stdout")
	return cmd
}

func runSimulate(cmd *cobra.Command, f *simulateFlags) error {
	if len(f.policy) == 0 {
		return &usageError{msg: "no policy: give --policy policy.yaml", hint: "headroom simulate --service service.yaml --policy policy.yaml --traffic traffic.csv"}
	}
	if _, err := renderer(f.format); err != nil {
		return &usageError{msg: err.Error(), hint: "headroom simulate ... --format json -o summary.json"}
	}
	if f.timelineStep < time.Second || f.timelineStep%time.Second != 0 || f.timelineStep > maxTimelineStep {
		what := "expected"
		if f.timelineStep < 0 {
			what = "negative; expected"
		}
		return &usageError{msg: fmt.Sprintf("--timeline-step %s: %s whole seconds from 1s to 24h, such as 1m", f.timelineStep, what),
			hint: "headroom simulate ... --timeline timeline.csv --timeline-step 1m"}
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
	opt := check.Options{Service: svc, Proposed: pol, Traffic: series, Progress: progressFunc(cmd.ErrOrStderr(), "simulate", f.traffic.progress),
		Context: cmd.Context()}
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
	step := int(f.timelineStep / time.Second)
	fmt.Fprintln(cmd.ErrOrStderr(), timelineSize(f.timeline, series, step))
	tl := newTimelineWriter(tmp, step)
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
	render, err := renderer(f.format)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "headroom simulate ... --format json -o summary.json"}
	}
	// Everything rendered before anything is written.
	var main, page bytes.Buffer
	if err := render(&main, rep); err != nil {
		return fmt.Errorf("render %s: %w", f.format, err)
	}
	if f.html != "" {
		if err := report.HTML(&page, rep); err != nil {
			return fmt.Errorf("render report: %w", err)
		}
		if err := os.WriteFile(f.html, page.Bytes(), 0o644); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "write " + f.html, Err: err}
		}
	}
	if f.output != "" {
		if err := os.WriteFile(f.output, main.Bytes(), 0o644); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "write " + f.output, Err: err}
		}
		return nil
	}
	_, err = cmd.OutOrStdout().Write(main.Bytes())
	return err
}

// maxTimelineStep bounds --timeline-step: a row a day is the coarsest.
const maxTimelineStep = 24 * time.Hour

// timelineRowBytes is the size of a timeline row without its traffic name,
// measured on the example (70 to 75 bytes).
const timelineRowBytes = 72

// timelineSize says up front how big the timeline will be: a year of
// seconds is 3 GB, which nobody should find out from a full disk.
func timelineSize(path string, series []*headroom.Series, step int) string {
	var rows, size int64
	for _, tr := range series {
		n := int64((tr.Seconds() + step - 1) / step)
		rows += n
		size += n * int64(len(csvField(tr.Name))+timelineRowBytes)
	}
	msg := fmt.Sprintf("timeline: %d rows, about %s, to %s", rows, inputfile.Size(size), path)
	if step == 1 && rows > 3600 {
		msg += fmt.Sprintf(" (--timeline-step 1m writes 60 times fewer rows, about %s)", inputfile.Size(size/60))
	}
	return msg
}

// timelineWriter writes simulated seconds as CSV, one traffic at a time
// (simulate runs one policy, so writes never interleave), a row per step
// seconds.
type timelineWriter struct {
	w    *bufio.Writer
	buf  []byte
	err  error
	step int
	cur  *timelineRow // the row being summed, of one traffic
}

// timelineRow sums the seconds of one row (see simulate's help).
type timelineRow struct {
	name                                 string
	n                                    int
	s                                    headroom.Second // the first second's time; the extremes
	demand, util, latency, failed, insts float64
}

func newTimelineWriter(f *os.File, step int) *timelineWriter {
	t := &timelineWriter{w: bufio.NewWriterSize(f, 1<<20), step: max(1, step)}
	_, t.err = t.w.WriteString("traffic,time,demand_rps,ready,launching,desired,utilization,latency_ms,error_ratio,failed_requests,instance_seconds\n")
	return t
}

func (t *timelineWriter) forTraffic(name string) sim.Sink {
	r := &timelineRow{name: csvField(name)}
	return sim.SinkFunc(func(s *headroom.Second) {
		if t.err != nil {
			return
		}
		if t.cur != r {
			// The traffic before this one ended with a partial row.
			t.flush()
			t.cur = r
		}
		if t.step == 1 {
			t.write(r.name, s)
			return
		}
		if r.n == 0 {
			r.s = *s
		} else {
			r.s.Ready = min(r.s.Ready, s.Ready)
			r.s.Launching = max(r.s.Launching, s.Launching)
			r.s.Desired = max(r.s.Desired, s.Desired)
		}
		r.n++
		r.demand += s.Demand
		r.util += s.Utilization
		r.latency += s.Latency.Seconds()
		r.failed += s.Failed
		r.insts += s.InstanceSeconds
		if r.n == t.step {
			t.flush()
		}
	})
}

// flush writes the row being summed, if any.
func (t *timelineWriter) flush() {
	r := t.cur
	if r == nil || r.n == 0 {
		return
	}
	k := float64(r.n)
	s := r.s
	s.Demand, s.Utilization, s.Latency = r.demand/k, r.util/k, time.Duration(r.latency/k*float64(time.Second))
	s.Failed, s.InstanceSeconds, s.ErrorRatio = r.failed, r.insts, 0
	if r.demand > 0 {
		s.ErrorRatio = min(1, r.failed/r.demand)
	} else if r.failed > 0 {
		s.ErrorRatio = 1
	}
	t.write(r.name, &s)
	*r = timelineRow{name: r.name}
}

// write writes one row.
func (t *timelineWriter) write(name string, s *headroom.Second) {
	if t.err != nil {
		return
	}
	b := t.buf[:0]
	b = append(b, name...)
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
}

func (t *timelineWriter) close() error {
	t.flush()
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
