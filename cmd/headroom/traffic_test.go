package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/tracetest"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/headroomhq/headroom/traffic"
	"github.com/spf13/cobra"
)

// nasaWeek is the trace the pull is tested on: a week of the NASA server's
// requests, every second.
const nasaWeek = "nasa_http_1995-07-09_1week_1s.csv"

// aggregate sums a series into intervals of step.
func aggregate(t *testing.T, s *headroom.Series, step time.Duration) []float64 {
	t.Helper()
	k := int(step / s.Step)
	if k*int(s.Step) != int(step) || len(s.Counts)%k != 0 {
		t.Fatalf("cannot aggregate %d intervals of %s into %s", len(s.Counts), s.Step, step)
	}
	out := make([]float64, len(s.Counts)/k)
	for i, c := range s.Counts {
		out[i/k] += c
	}
	return out
}

// backfillWeek writes the trace, aggregated to 15 s, as a recorded rate
// (what a recording rule of sum(rate(...)) stores: requests per second at
// the start of each interval) into a Prometheus TSDB with promtool, and
// beside it the same rate with an hour missing on 1995-07-12 from 12:00, to
// see what a gap looks like in a real answer.
func backfillWeek(t *testing.T, start time.Time, counts []float64, step time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "week.om")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	holeFrom := time.Date(1995, 7, 12, 12, 0, 0, 0, time.UTC)
	fmt.Fprintln(w, "# HELP job:nasa_http_requests:rate15s Requests per second to the NASA web server, per 15 s.")
	fmt.Fprintln(w, "# TYPE job:nasa_http_requests:rate15s gauge")
	var holed strings.Builder
	for i, c := range counts {
		at := start.Add(time.Duration(i) * step)
		rate := c / step.Seconds()
		fmt.Fprintf(w, "job:nasa_http_requests:rate15s{job=\"nasa\"} %s %d\n", formatFloat(rate), at.Unix())
		if at.Sub(holeFrom) < 0 && at.Sub(holeFrom) >= -2*time.Hour || at.Sub(holeFrom) >= time.Hour && at.Sub(holeFrom) < 3*time.Hour {
			fmt.Fprintf(&holed, "holed:nasa_http_requests:rate15s{job=\"nasa\"} %s %d\n", formatFloat(rate), at.Unix())
		}
	}
	// OpenMetrics wants each metric family's samples together.
	fmt.Fprintln(w, "# TYPE holed:nasa_http_requests:rate15s gauge")
	w.WriteString(holed.String())
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return promtest.Backfill(t, path)
}

func formatFloat(v float64) string { return fmt.Sprintf("%v", v) }

// A week at 15 s is 40,320 points, beyond the 11,000 Prometheus answers
// per series: pull asks in chunks and joins them. The pulled file must
// hold the trace's requests, interval for interval, within float rounding
// (the rate is stored as count/15 and multiplied back by 15).
func TestTrafficPullAWeekFromPrometheus(t *testing.T) {
	traces := tracetest.Dir(t)
	bin := promtest.Binary(t)
	trace, _, err := traffic.ReadFile(filepath.Join(traces, nasaWeek), traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const step = 15 * time.Second
	counts := aggregate(t, trace, step)
	var want float64
	for _, c := range trace.Counts {
		want += c
	}
	data := backfillWeek(t, trace.Start, counts, step)
	server := promtest.StartWith(t, bin, promtest.Options{DataDir: data})

	out := filepath.Join(t.TempDir(), "week.csv")
	began := time.Now()
	code, stdout, stderr := run(t, "traffic", "pull", "--prometheus", server.URL,
		"--query", `sum(job:nasa_http_requests:rate15s{job="nasa"})`,
		"--from", trace.Start.Format(time.RFC3339), "--until", trace.End().Format(time.RFC3339),
		"--step", "15s", "-o", out)
	took := time.Since(began)
	if code != 0 {
		t.Fatalf("traffic pull: exit %d\nstdout: %s\nstderr: %s\nprometheus: %s", code, stdout, stderr, server.Log())
	}
	if !strings.Contains(stderr, "pulled 40320 intervals of 15s") || !strings.Contains(stderr, "in 5 queries") {
		t.Errorf("stderr = %q, want 40320 intervals in 5 queries (at most 10,000 points each)", stderr)
	}
	if strings.Contains(stderr, "gap") {
		t.Errorf("stderr reports a gap in a complete week:\n%s", stderr)
	}

	got, warnings, err := traffic.ReadFile(out, traffic.Options{})
	if err != nil {
		t.Fatalf("read the pulled file: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("reading the pulled file warned: %v", warnings)
	}
	if !got.Start.Equal(trace.Start) || got.Step != step || len(got.Counts) != len(counts) {
		t.Fatalf("pulled %s, step %s, %d intervals; want %s, 15s, %d", got.Start, got.Step, len(got.Counts), trace.Start, len(counts))
	}
	var total float64
	for i, c := range got.Counts {
		total += c
		if math.Abs(c-counts[i]) > 1e-9*math.Max(1, counts[i]) {
			t.Fatalf("interval %d (%s): pulled %v requests, the trace has %v", i, got.Start.Add(time.Duration(i)*step), c, counts[i])
		}
	}
	if math.Abs(total-want) > 1e-6 {
		t.Errorf("pulled %v requests in all, the trace has %v", total, want)
	}
	t.Logf("pulled a week at 15 s (%d intervals) in %s: %.6f requests, the trace %.0f (difference %.3g)",
		len(got.Counts), took.Round(time.Millisecond), total, want, total-want)

	// The file replays as it is: check and simulate take it.
	code, _, stderr = run(t, "simulate", "--service", example+"service.yaml", "--policy", example+"baseline.yaml", "--traffic", out)
	if code != 0 {
		t.Errorf("simulate the pulled week: exit %d\n%s", code, stderr)
	}

	t.Run("a gap is reported with its span and has no row", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "holed.csv")
		code, _, stderr := run(t, "traffic", "pull", "--prometheus", server.URL,
			"--query", `sum(holed:nasa_http_requests:rate15s)`,
			"--from", "1995-07-12T11:00:00Z", "--until", "1995-07-12T13:30:00Z", "-o", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		// The last sample before the hole is at 11:59:45; Prometheus's
		// lookback of 5 minutes still answers with it until 12:04:45.
		wantGap := "gap: 220 missing intervals (55m0s, from 1995-07-12T12:05:00Z to 1995-07-12T13:00:00Z)"
		if !strings.Contains(stderr, wantGap) || !strings.Contains(stderr, "220 of 600 intervals are missing in 1 gap") {
			t.Errorf("stderr = %q, want %q and the count of missing intervals", stderr, wantGap)
		}
		if _, _, err := traffic.ReadFile(out, traffic.Options{}); err == nil || !strings.Contains(err.Error(), "220 missing intervals") {
			t.Errorf("reading the file with --gaps error: err = %v, want the 220 missing intervals", err)
		}
		s, _, err := traffic.ReadFile(out, traffic.Options{Gaps: traffic.GapZero})
		if err != nil || len(s.Counts) != 600 {
			t.Errorf("reading with --gaps zero: %v, want 600 intervals", err)
		}
	})

	t.Run("pieces of the week join into the week", func(t *testing.T) {
		dir := t.TempDir()
		// Two pulls that overlap by an hour, as two exports of one period
		// taken at different times would.
		mid := trace.Start.Add(3*24*time.Hour + 12*time.Hour)
		for i, span := range [][2]time.Time{{trace.Start, mid.Add(time.Hour)}, {mid, trace.End()}} {
			code, _, stderr := run(t, "traffic", "pull", "--prometheus", server.URL,
				"--query", `sum(job:nasa_http_requests:rate15s)`,
				"--from", span[0].Format(time.RFC3339), "--until", span[1].Format(time.RFC3339),
				"-o", filepath.Join(dir, fmt.Sprintf("week-%d.csv", i+1)))
			if code != 0 {
				t.Fatalf("pull %d: exit %d: %s", i+1, code, stderr)
			}
		}
		var errOut strings.Builder
		cmd := &cobra.Command{}
		cmd.SetErr(&errOut)
		cmd.SetContext(context.Background())
		f := &trafficFlags{files: []string{filepath.Join(dir, "week-*.csv")}, format: "auto", gaps: "error", scale: 1}
		series, warnings, err := f.load(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if len(series) != 1 || len(series[0].Counts) != len(counts) || !series[0].Start.Equal(trace.Start) {
			t.Fatalf("joined %d series; want one week of %d intervals", len(series), len(counts))
		}
		var total float64
		for _, c := range series[0].Counts {
			total += c
		}
		if math.Abs(total-want) > 1e-6 {
			t.Errorf("joined %v requests, the trace has %v", total, want)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "overlap for 240 intervals (1h0m0s, from 1995-07-12T16:00:00Z to 1995-07-12T17:00:00Z): the counts agree") {
			t.Errorf("warnings = %q, want the hour of overlap whose counts agree", warnings)
		}
	})
}

// --join makes one recording of several files: a gap between them is
// refused like a gap inside a file, unless --gaps fills it, and said.
func TestTrafficJoin(t *testing.T) {
	dir := t.TempDir()
	write := func(name, from string, n int) string {
		t.Helper()
		start, err := time.Parse(time.RFC3339, from)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("timestamp,requests\n")
		for i := range n {
			fmt.Fprintf(&b, "%s,600\n", start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a.csv", "2021-06-30T00:00:00Z", 60)
	b := write("b.csv", "2021-06-30T01:05:00Z", 60)
	args := []string{"simulate", "--service", example + "service.yaml", "--policy", example + "baseline.yaml", "--traffic", a, "--traffic", b, "--join"}

	code, _, stderr := run(t, args...)
	if code != 2 || !strings.Contains(stderr, "5 missing intervals (5m0s, from 2021-06-30T01:00:00Z to 2021-06-30T01:05:00Z) between "+a+" and "+b) {
		t.Errorf("a gap between joined files: exit %d, stderr %q; want 2 and the gap's span", code, stderr)
	}
	code, stdout, stderr := run(t, append(args, "--gaps", "zero")...)
	if code != 0 || !strings.Contains(stderr, "filled with 0") {
		t.Errorf("--gaps zero: exit %d, stderr %q; want 0 and the filled gap", code, stderr)
	}
	if !strings.Contains(stdout, "2021-06-30 00:00:00 UTC to 2021-06-30 02:05:00 UTC, step 1m0s, 72,000 requests") {
		t.Errorf("simulate replayed something else than the joined two hours:\n%s", stdout)
	}
	code, _, stderr = run(t, "simulate", "--service", example+"service.yaml", "--policy", example+"baseline.yaml", "--traffic", filepath.Join(dir, "nothing-*.csv"))
	if code != 2 || !strings.Contains(stderr, "no file matches the pattern") {
		t.Errorf("a pattern matching nothing: exit %d, stderr %q", code, stderr)
	}
}

func TestTrafficPullRefuses(t *testing.T) {
	out := filepath.Join(t.TempDir(), "week.csv")
	base := []string{"traffic", "pull", "--prometheus", "http://127.0.0.1:1", "--query", "sum(rate(x[1m]))"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no span", append(base, "-o", out), "no span: give --since 7d, or --from and --until"},
		{"two spans", append(base, "--since", "7d", "--from", "2021-06-01", "--until", "2021-06-08", "-o", out), "give one span"},
		{"no output", append(base, "--since", "7d"), "no output"},
		{"a step under a second", append(base, "--since", "7d", "--step", "500ms", "-o", out), "--step 500ms: expected whole seconds"},
		{"more points than Prometheus answers", append(base, "--since", "7d", "--chunk", "20000", "-o", out), "--chunk 20000"},
		{"the end first", append(base, "--from", "2021-06-08", "--until", "2021-06-01", "-o", out), "expected the start before the end"},
		{"Prometheus unreachable", append(base, "--since", "1h", "--retries", "0", "-o", out), "did not answer the range query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written by a pull that failed", out)
			}
		})
	}
}
