package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/metrics/prom"
	"github.com/headroomhq/headroom/traffic"
	"github.com/spf13/cobra"
)

func newTrafficCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "traffic",
		Short: "Get recorded traffic to replay",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "traffic needs a subcommand", hint: "headroom traffic pull --help"}
		},
	}
	cmd.AddCommand(newTrafficPullCmd())
	return cmd
}

// pullFlags are traffic pull's options.
type pullFlags struct {
	url, query   string
	since        string
	from, until  string
	step         time.Duration
	output       string
	counts       bool
	chunk        int
	timeout      time.Duration
	retries      int
	progress     bool
	now          func() time.Time
	maxGapsShown int
}

func newTrafficPullCmd() *cobra.Command {
	f := &pullFlags{now: time.Now, maxGapsShown: traffic.MaxGapWarnings}
	cmd := &cobra.Command{
		Use:   "pull --prometheus URL --query Q (--since 7d | --from T --until T) -o FILE.csv",
		Short: "Export a request rate from Prometheus as a traffic CSV for check and simulate",
		Long: `pull asks Prometheus for a request rate over a span of history and writes it as
the CSV that check, simulate and detect tune replay (timestamp,requests).

Prometheus answers at most 11,000 points per series in one range query, so
a week at 15 s (40,320 points) is asked for in chunks of at most --chunk
evaluations (10,000), one after the other, joined in time order. A query
that fails with a server error (5xx), a timeout or a refused connection is
retried with a doubling backoff (--retries); one Prometheus refuses (a
PromQL error) is not.

The query gives requests per second, such as sum(rate(http_requests_total[1m])):
each value is multiplied by the step, so a row holds the requests of its
interval (a rate of 2 req/s at a 15s step is 30 requests). With --counts the
query already gives requests per step (sum(increase(http_requests_total[15s]))
at --step 15s) and values are written as they are. As with Prometheus JSON
given to --traffic, the value at time T is written for the interval that
starts at T (a rate looks back over its window, so the series is up to one
window later than the traffic it measures).

An evaluation time at which the query has no value (Prometheus was down, the
series was absent for longer than its lookback of 5 minutes) is a gap: it is
reported with its span and has no row in the CSV, as a file with a gap has
none. check and simulate then refuse the file unless --gaps zero (no traffic
then) or --gaps hold (the recording stalled while traffic went on).

The file is written only when every query succeeded; -o - writes to stdout.`,
		Example: `  # The last week at 15 s
  headroom traffic pull --prometheus http://prometheus:9090 \
    --query 'sum(rate(http_requests_total{job="web"}[1m]))' --since 7d -o week.csv

  # A fixed span, then replay it
  headroom traffic pull --prometheus http://prometheus:9090 \
    --query 'sum(rate(http_requests_total{job="web"}[1m]))' \
    --from 2021-06-23 --until 2021-06-30 --step 15s -o week.csv
  headroom check --service service.yaml --proposed hpa.yaml --traffic week.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "prometheus", "", "the Prometheus server's address, such as http://prometheus:9090")
	fl.StringVar(&f.query, "query", "", `a PromQL expression giving the service's requests per second, such as 'sum(rate(http_requests_total{job="web"}[1m]))'`)
	fl.StringVar(&f.since, "since", "", "how far back from now: 7d, 36h (instead of --from and --until)")
	fl.StringVar(&f.from, "from", "", "the first time, such as 2021-06-23 or 2021-06-23T00:00:00Z (UTC)")
	fl.StringVar(&f.until, "until", "", "the end, not included, such as 2021-06-30")
	fl.DurationVar(&f.step, "step", prom.DefaultStep, "the time between evaluations, and the interval of each row (whole seconds)")
	fl.StringVarP(&f.output, "output", "o", "", "the CSV to write (- for stdout)")
	fl.BoolVar(&f.counts, "counts", false, "the query gives requests per step (an increase over the step), not requests per second")
	fl.IntVar(&f.chunk, "chunk", traffic.DefaultChunkPoints, fmt.Sprintf("evaluations per range query (at most %d, Prometheus's limit)", traffic.MaxChunkPoints))
	fl.DurationVar(&f.timeout, "timeout", prom.DefaultRangeTimeout, "how long one range query may take")
	fl.IntVar(&f.retries, "retries", prom.DefaultRangeRetries, "how many more times a failed range query is tried (5xx, timeouts, refused connections)")
	fl.BoolVar(&f.progress, "progress", false, "show progress on stderr even when it is not a terminal")
	return cmd
}

const pullHint = `headroom traffic pull --prometheus http://prometheus:9090 --query 'sum(rate(http_requests_total[1m]))' --since 7d -o week.csv`

func (f *pullFlags) run(cmd *cobra.Command) error {
	opt, err := f.options()
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	ranger := &prom.Ranger{URL: f.url, Query: f.query, Timeout: f.timeout, Retries: f.retries,
		OnRetry: func(err error, wait time.Duration) {
			fmt.Fprintf(stderr, "warning: %v; trying again in %s\n", err, wait)
		},
		OnWarning: func(w string) { fmt.Fprintf(stderr, "warning: prometheus: %s\n", w) },
	}
	if f.retries == 0 {
		ranger.Retries = -1
	}
	total, _ := opt.Intervals()
	opt.Progress = progressBar(stderr, "pull", f.progress, func(done, _ int) string {
		return fmt.Sprintf("%s of %s pulled", time.Duration(done)*f.step, time.Duration(total)*f.step)
	})
	started := time.Now()
	pulled, err := traffic.Pull(cmd.Context(), func(ctx context.Context, start, end time.Time, step time.Duration) ([]traffic.Sample, error) {
		points, err := ranger.Range(ctx, start, end, step)
		samples := make([]traffic.Sample, len(points))
		for i, p := range points {
			samples[i] = traffic.Sample{Time: p.Time, Value: p.Value}
		}
		return samples, err
	}, opt)
	if err != nil {
		return err
	}
	// Rendered before anything is written: no partial file.
	var buf bytes.Buffer
	if err := traffic.WriteCSV(&buf, pulled.Samples); err != nil {
		return err
	}
	if err := writeOutput(cmd, f.output, buf.Bytes()); err != nil {
		return err
	}
	for i, g := range pulled.Gaps {
		if i == f.maxGapsShown {
			fmt.Fprintf(stderr, "warning: %d more gaps; only the first %d are listed\n", len(pulled.Gaps)-i, i)
			break
		}
		fmt.Fprintf(stderr, "warning: gap: %s: no value from Prometheus, no row in the CSV\n", g)
	}
	missing := 0
	for _, g := range pulled.Gaps {
		missing += g.Intervals
	}
	unit := "req/s × " + f.step.String()
	if f.counts {
		unit = "counts per step"
	}
	fmt.Fprintf(stderr, "headroom: pulled %d intervals of %s from %s to %s in %d %s (%s): %s requests (%s); wrote %s\n",
		len(pulled.Samples), f.step, opt.From.UTC().Format(time.RFC3339), opt.Until.UTC().Format(time.RFC3339),
		pulled.Queries, plural(pulled.Queries, "query", "queries"), time.Since(started).Round(time.Millisecond),
		strconv.FormatFloat(pulled.Total(), 'f', -1, 64), unit, outputName(f.output))
	if missing > 0 {
		fmt.Fprintf(stderr, "headroom: %d of %d intervals are missing in %d %s: check and simulate refuse the file unless --gaps zero (no traffic then) or --gaps hold (the recording stalled)\n",
			missing, missing+len(pulled.Samples), len(pulled.Gaps), plural(len(pulled.Gaps), "gap", "gaps"))
	}
	return nil
}

// options checks the flags and turns them into the pull's span.
func (f *pullFlags) options() (traffic.PullOptions, error) {
	usage := func(format string, args ...any) (traffic.PullOptions, error) {
		return traffic.PullOptions{}, &usageError{msg: fmt.Sprintf(format, args...), hint: pullHint}
	}
	switch {
	case f.url == "":
		return usage("no Prometheus: give --prometheus URL")
	case f.query == "":
		return usage("no query: give --query with a request rate")
	case f.output == "":
		return usage("no output: give -o FILE.csv (or -o - for stdout)")
	case f.step < time.Second || f.step%time.Second != 0:
		return usage("--step %s: expected whole seconds, at least 1s, such as 15s", f.step)
	case f.chunk < 1 || f.chunk > traffic.MaxChunkPoints:
		return usage("--chunk %d: expected 1 to %d evaluations per query", f.chunk, traffic.MaxChunkPoints)
	case f.timeout <= 0:
		return usage("--timeout %s: expected a positive duration", f.timeout)
	case f.retries < 0:
		return usage("--retries %d: expected 0 or more", f.retries)
	}
	opt := traffic.PullOptions{Step: f.step, ChunkPoints: f.chunk, Counts: f.counts}
	switch {
	case f.since != "" && (f.from != "" || f.until != ""):
		return usage("--since with --from or --until: give one span")
	case f.since != "":
		d, err := parseDays(f.since)
		if err != nil || d < f.step {
			return usage("--since %q: expected a span of at least one step, such as 7d or 36h", f.since)
		}
		// Whole steps, so that every pull of one step has the same grid.
		opt.Until = f.now().UTC().Truncate(f.step)
		opt.From = opt.Until.Add(-d).Truncate(f.step)
	case f.from != "" && f.until != "":
		from, err := traffic.ParseTime(f.from)
		if err != nil {
			return usage("--from %v", err)
		}
		until, err := traffic.ParseTime(f.until)
		if err != nil {
			return usage("--until %v", err)
		}
		if !until.After(from) {
			return usage("--from %s --until %s: expected the start before the end", f.from, f.until)
		}
		opt.From, opt.Until = from.Truncate(time.Second), until
	default:
		return usage("no span: give --since 7d, or --from and --until")
	}
	if _, err := opt.Intervals(); err != nil {
		return usage("%v", err)
	}
	return opt, nil
}

// writeOutput writes data to path, or to stdout for "-": into a file
// beside it first, renamed into place, so that an interrupted write leaves
// no half file.
func writeOutput(cmd *cobra.Command, path string, data []byte) error {
	if path == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
	}
	if err := tmp.Close(); err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "write " + path, Err: err}
	}
	return nil
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// outputName names where -o wrote, for messages.
func outputName(path string) string {
	if path == "-" {
		return "stdout"
	}
	return path
}
