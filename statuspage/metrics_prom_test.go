package statuspage_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/metrics/prom"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/headroomhq/headroom/statuspage"
	"golang.org/x/net/html"
)

// The history a real Prometheus holds for the system metrics: two
// instances' error ratios and mean latencies every 5 minutes for 31 days
// up to promEnd. Instance a is at 0.2% errors and 120 ms, b at 0.4% and
// 180 ms, except during an incident of an hour three hours before promEnd,
// when a is at 5% and 600 ms.
var (
	promEnd           = time.Date(2021, 7, 8, 12, 0, 0, 0, time.UTC)
	promIncidentStart = promEnd.Add(-3 * time.Hour)
	promIncidentEnd   = promEnd.Add(-2 * time.Hour)
)

func promInstance(instance string, t time.Time) (ratio, latency float64) {
	if instance == "b" {
		return 0.004, 0.18
	}
	if !t.Before(promIncidentStart) && t.Before(promIncidentEnd) {
		return 0.05, 0.6
	}
	return 0.002, 0.12
}

// backfillSystemMetrics writes the history with promtool into TSDB blocks.
func backfillSystemMetrics(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.om")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	start := promEnd.Add(-31 * 24 * time.Hour)
	for i, family := range []string{"job:request_errors:ratio", "job:request_latency_seconds:mean"} {
		fmt.Fprintf(w, "# TYPE %s gauge\n", family)
		for _, instance := range []string{"a", "b"} {
			for at := start; !at.After(promEnd); at = at.Add(5 * time.Minute) {
				ratio, latency := promInstance(instance, at)
				v := ratio
				if i == 1 {
					v = latency
				}
				fmt.Fprintf(w, "%s{job=\"api\",instance=%q} %v %d\n", family, instance, v, at.Unix())
			}
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// In blocks of the whole month: 2-hour ones take promtool minutes.
	return promtest.BackfillBlocks(t, path, 32*24*time.Hour)
}

// promRanges is the Collector's RangeQuery on metrics/prom, as serve
// wires it (cmd/headroom's promRange).
func promRanges(ctx context.Context, source, query string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
	pts, err := (&prom.Ranger{URL: source, Query: query, Retries: -1}).Range(ctx, start, end, step)
	out := make([]statuspage.Sample, len(pts))
	for i, p := range pts {
		out[i] = statuspage.Sample{At: p.Time, V: p.Value}
	}
	return out, err
}

// The system metrics from a real Prometheus holding a known history: the
// day's points are the two instances' mean at each 5 minutes, drawn where
// the chart's own axes put them; the week's and month's are each step's
// mean (the subquery), at the quiet level away from the incident and
// above it where a step holds it; a Prometheus that dies leaves the last
// good charts, said stale.
func TestSystemMetricsFromPrometheus(t *testing.T) {
	bin := promtest.Binary(t)
	data := backfillSystemMetrics(t)
	server := promtest.StartWith(t, bin, promtest.Options{DataDir: data, Retention: 60 * 24 * time.Hour})

	h := published(t, fixture())
	metrics := []statuspage.Metric{
		{ID: "api-errors", ComponentID: "cmpapi000001", Name: "Error ratio", Kind: statuspage.MetricErrorRatio,
			Source: server.URL, Query: `job:request_errors:ratio{job="api"}`, SLO: 0.01},
		{ID: "api-latency", ComponentID: "cmpapi000001", Name: "Mean latency", Kind: statuspage.MetricLatency,
			Source: server.URL, Query: `job:request_latency_seconds:mean{job="api"}`, SLO: 0.25},
	}
	c := statuspage.NewCollector(metrics, promRanges, h.PublishMetrics)
	c.Now, c.Logger = func() time.Time { return promEnd.Add(90 * time.Second) }, quiet
	snap := c.Once(context.Background())

	for i, m := range metrics {
		for r, rg := range statuspage.MetricRanges {
			s := snap.Metrics[i].Series[r]
			if s.Stale {
				t.Fatalf("%s over the %s: stale (%s); prometheus log:\n%s", m.Name, rg.Name, s.Err, server.Log())
			}
			if want := int(rg.Span/rg.Step) + 1; len(s.Samples) != want {
				t.Fatalf("%s over the %s: %d samples, want %d", m.Name, rg.Name, len(s.Samples), want)
			}
			quiet, peak := 0.003, 0.027 // the instances' mean, without and with the incident
			if m.Kind == statuspage.MetricLatency {
				quiet, peak = 0.15, 0.39
			}
			for _, p := range s.Samples {
				// A step's mean is of the step before its time.
				during := !p.At.Before(promIncidentStart) && p.At.Before(promIncidentEnd.Add(rg.Step))
				switch {
				case rg.Name == "day" && !p.At.Before(promIncidentStart) && p.At.Before(promIncidentEnd):
					if math.Abs(p.V-peak) > 1e-9 {
						t.Errorf("%s at %s, in the incident: got %g, want the instances' mean %g", m.Name, p.At, p.V, peak)
					}
				case rg.Name == "day" || !during:
					if math.Abs(p.V-quiet) > 1e-9 {
						t.Errorf("%s over the %s at %s: got %g, want the quiet mean %g", m.Name, rg.Name, p.At, p.V, quiet)
					}
				default:
					if !(p.V > quiet && p.V <= peak) {
						t.Errorf("%s over the %s at %s, a step holding the incident: got %g, want above %g, at most %g", m.Name, rg.Name, p.At, p.V, quiet, peak)
					}
				}
			}
		}
	}

	_, body := get(t, h, http.MethodGet, "/")
	fig := find(parse(t, body), func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	checkChart(t, "the day's error ratio from Prometheus", fig, snap.Metrics[0].Series[0], 100, 0.1)
	lines := strings.Join(text(t, body, hasClass("metrics")), "\n")
	for _, want := range []string{
		"Error ratio over the last day: 0.30 % at Jul 8, 12:00 UTC, at most 2.70 % (Jul 8, 09:00 UTC). Objective: 1.00 % or less.",
		"Mean latency over the last day: 150 ms at Jul 8, 12:00 UTC, at most 390 ms (Jul 8, 09:00 UTC). Objective: 250 ms or less.",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("the page does not say %q; it says:\n%s", want, lines)
		}
	}
	_, body = get(t, h, http.MethodGet, "/system-metrics/month")
	fig = find(parse(t, body), func(n *html.Node) bool { return attr(n, "id") == "metric-api-latency" })
	checkChart(t, "the month's latency from Prometheus", fig, snap.Metrics[1].Series[2], 1000, 0.1)

	// Prometheus dies: the next collection keeps the charts, stale.
	server.Kill()
	c.Now = func() time.Time { return promEnd.Add(6 * time.Minute) }
	after := c.Once(context.Background())
	if s := after.Metrics[0].Series[0]; !s.Stale || len(s.Samples) != len(snap.Metrics[0].Series[0].Samples) {
		t.Fatalf("after Prometheus died: stale %v with %d samples, want the last good ones, stale", s.Stale, len(s.Samples))
	}
	_, body = get(t, h, http.MethodGet, "/")
	fig = find(parse(t, body), func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	checkChart(t, "the day's error ratio after Prometheus died", fig, snap.Metrics[0].Series[0], 100, 0.1)
	if !strings.Contains(body, "Not updated since Jul 8, 12:00 UTC: the metrics source is not answering.") {
		t.Errorf("the page does not say its figures are stale")
	}
}
