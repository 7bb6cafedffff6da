package statuspage_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/statuspage"
	"golang.org/x/net/html"
)

// metricsNow is when the test collections run: a minute past a day step.
var metricsNow = time.Date(2021, 7, 8, 12, 6, 30, 0, time.UTC)

// quiet drops the collectors' warnings of the outages the tests make.
var quiet = slog.New(slog.DiscardHandler)

// rangeCall is a range query the fake was asked.
type rangeCall struct {
	query      string
	start, end time.Time
	step       time.Duration
}

// fakeRanges answers each range query with one sample per evaluation time
// of value(t), or fails while down is set; it records the calls.
type fakeRanges struct {
	value func(time.Time) float64
	down  error
	mu    sync.Mutex // a collection asks concurrently
	calls []rangeCall
}

func (f *fakeRanges) query(_ context.Context, _, q string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
	f.mu.Lock()
	f.calls = append(f.calls, rangeCall{q, start, end, step})
	f.mu.Unlock()
	if f.down != nil {
		return nil, f.down
	}
	var out []statuspage.Sample
	for t := start; !t.After(end); t = t.Add(step) {
		out = append(out, statuspage.Sample{At: t, V: f.value(t)})
	}
	return out, nil
}

// errorsAndLatency are two metrics of the fixture's API component.
var errorsAndLatency = []statuspage.Metric{
	{ID: "api-errors", ComponentID: "cmpapi000001", Name: "Error ratio", Kind: statuspage.MetricErrorRatio, Query: `job:errors:ratio{job="api"}`, SLO: 0.01},
	{ID: "api-latency", ComponentID: "cmpapi000001", Name: "Mean latency", Kind: statuspage.MetricLatency, Query: `job:latency:mean{job="api"}`, SLO: 0.25},
}

// rampRatio rises by 0.0001 an hour from 0 at the start of July 8th, and
// is 2% from 10:00 to 10:30.
func rampRatio(t time.Time) float64 {
	if !t.Before(time.Date(2021, 7, 8, 10, 0, 0, 0, time.UTC)) && t.Before(time.Date(2021, 7, 8, 10, 30, 0, 0, time.UTC)) {
		return 0.02
	}
	return math.Max(0, t.Sub(time.Date(2021, 7, 8, 0, 0, 0, 0, time.UTC)).Hours()) * 0.0001
}

func TestCollectorQueries(t *testing.T) {
	f := &fakeRanges{value: func(time.Time) float64 { return 0.001 }}
	c := statuspage.NewCollector(errorsAndLatency[:1], f.query, nil)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	snap := c.Once(context.Background())
	want := []rangeCall{
		{`avg(job:errors:ratio{job="api"})`, time.Date(2021, 7, 7, 12, 5, 0, 0, time.UTC), time.Date(2021, 7, 8, 12, 5, 0, 0, time.UTC), 5 * time.Minute},
		{`avg(avg_over_time((job:errors:ratio{job="api"})[1h:5m]))`, time.Date(2021, 7, 1, 12, 0, 0, 0, time.UTC), time.Date(2021, 7, 8, 12, 0, 0, 0, time.UTC), time.Hour},
		{`avg(avg_over_time((job:errors:ratio{job="api"})[6h:5m]))`, time.Date(2021, 6, 8, 12, 0, 0, 0, time.UTC), time.Date(2021, 7, 8, 12, 0, 0, 0, time.UTC), 6 * time.Hour},
	}
	if len(f.calls) != len(want) {
		t.Fatalf("got %d queries, want %d: %v", len(f.calls), len(want), f.calls)
	}
	// Asked concurrently: in the ranges' order, by step.
	slices.SortFunc(f.calls, func(a, b rangeCall) int { return cmp.Compare(a.step, b.step) })
	for i, w := range want {
		if g := f.calls[i]; g.query != w.query || !g.start.Equal(w.start) || !g.end.Equal(w.end) || g.step != w.step {
			t.Errorf("%s: got query %q from %s to %s every %s, want %q from %s to %s every %s", statuspage.MetricRanges[i].Name,
				g.query, g.start, g.end, g.step, w.query, w.start, w.end, w.step)
		}
	}
	for r, n := range []int{289, 169, 121} {
		if got := len(snap.Metrics[0].Series[r].Samples); got != n {
			t.Errorf("%s: got %d samples, want %d", statuspage.MetricRanges[r].Name, got, n)
		}
	}
}

func TestCollectorKeepsLastGoodSeries(t *testing.T) {
	f := &fakeRanges{value: rampRatio}
	var published []*statuspage.MetricsSnapshot
	c := statuspage.NewCollector(errorsAndLatency[:1], f.query, func(s *statuspage.MetricsSnapshot) { published = append(published, s) })
	now := metricsNow
	c.Now, c.Logger = func() time.Time { return now }, quiet

	// Regression guard for an outage at start: nothing to keep, said stale.
	f.down = errors.New("connection refused")
	first := c.Once(context.Background())
	if s := first.Metrics[0].Series[0]; !s.Stale || len(s.Samples) != 0 || s.Err != "connection refused" {
		t.Errorf("an outage before any data: got stale %v, %d samples, err %q; want stale, none, the error", s.Stale, len(s.Samples), s.Err)
	}

	f.down = nil
	good := c.Once(context.Background())
	f.down = errors.New("prometheus at http://prom:9090 did not answer")
	now = now.Add(10 * time.Minute)
	during := c.Once(context.Background())
	for r, rg := range statuspage.MetricRanges {
		g, d := good.Metrics[0].Series[r], during.Metrics[0].Series[r]
		if !d.Stale || len(d.Samples) != len(g.Samples) || !d.End.Equal(g.End) {
			t.Errorf("%s during the outage: got stale %v, %d samples to %s; want stale, the last good %d samples to %s",
				rg.Name, d.Stale, len(d.Samples), d.End, len(g.Samples), g.End)
		}
	}
	f.down = nil
	after := c.Once(context.Background())
	if s := after.Metrics[0].Series[0]; s.Stale || !s.End.Equal(time.Date(2021, 7, 8, 12, 15, 0, 0, time.UTC)) {
		t.Errorf("after the outage: got stale %v to %s, want fresh to 12:15", s.Stale, s.End)
	}
	if len(published) != 4 {
		t.Errorf("got %d collections published, want 4", len(published))
	}
}

// collected is a collection of errorsAndLatency from f at metricsNow.
func collected(t *testing.T, f *fakeRanges) *statuspage.MetricsSnapshot {
	t.Helper()
	c := statuspage.NewCollector(errorsAndLatency, f.query, nil)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	return c.Once(context.Background())
}

func TestSystemMetricsOnThePage(t *testing.T) {
	h := published(t, fixture())
	snap := collected(t, &fakeRanges{value: rampRatio})
	h.PublishMetrics(snap)

	_, body := get(t, h, http.MethodGet, "/")
	doc := parse(t, body)
	section := find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && attr(n, "id") == "system-metrics" })
	if section == nil {
		t.Fatal("the status page has no System Metrics section")
	}
	lines := text(t, body, hasClass("metrics"))
	joined := strings.Join(lines, "\n")
	for _, want := range []string{
		"System Metrics", "API",
		"Error ratio over the last day: 0.12 % at Jul 8, 12:05 UTC, at most 2.00 % (Jul 8, 10:00 UTC). Objective: 1.00 % or less.",
		"Mean latency over the last day:",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the section does not say %q; it says:\n%s", want, joined)
		}
	}
	tabs := findAll(section, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "a" })
	var hrefs []string
	for _, a := range tabs {
		hrefs = append(hrefs, attr(a, "href")+current(a))
	}
	if got, want := strings.Join(hrefs, " "), "./system-metrics/day(current) ./system-metrics/week ./system-metrics/month"; got != want {
		t.Errorf("the range links: got %s, want %s", got, want)
	}
	fig := find(section, func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	if fig == nil {
		t.Fatal("no figure of the error ratio")
	}
	checkChart(t, "the day's error ratio", fig, snap.Metrics[0].Series[0], 100, 1)

	// The week, on its own page, without script.
	res, body := get(t, h, http.MethodGet, "/system-metrics/week")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/system-metrics/week: %d", res.StatusCode)
	}
	doc = parse(t, body)
	fig = find(doc, func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	if fig == nil {
		t.Fatal("the week's page has no error ratio")
	}
	checkChart(t, "the week's error ratio", fig, snap.Metrics[0].Series[1], 100, 1)
	if cur := find(doc, func(n *html.Node) bool { return attr(n, "aria-current") == "page" }); cur == nil || attr(cur, "href") != "../system-metrics/week" {
		t.Errorf("the week's page does not mark its own range current")
	}
	fig = find(doc, func(n *html.Node) bool { return attr(n, "id") == "metric-api-latency" })
	checkChart(t, "the week's latency", fig, snap.Metrics[1].Series[1], 1000, 1)

	// The JSON gives the same points, in the kind's unit.
	res, body = get(t, h, http.MethodGet, "/api/system-metrics.json")
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("/api/system-metrics.json: %d, CORS %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	var js struct {
		Metrics []struct {
			ID     string   `json:"id"`
			Unit   string   `json:"unit"`
			SLO    *float64 `json:"slo"`
			Ranges []struct {
				Range  string       `json:"range"`
				Stale  bool         `json:"stale"`
				Points [][2]float64 `json:"points"`
			} `json:"ranges"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(body), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Metrics) != 2 || js.Metrics[0].Unit != "ratio" || js.Metrics[1].Unit != "seconds" || js.Metrics[0].SLO == nil || *js.Metrics[0].SLO != 0.01 {
		t.Fatalf("the JSON's metrics: %+v", js.Metrics)
	}
	day := js.Metrics[0].Ranges[0]
	for i, p := range day.Points {
		s := snap.Metrics[0].Series[0].Samples[i]
		if int64(p[0]) != s.At.Unix() || p[1] != s.V {
			t.Fatalf("the JSON's point %d: got %v, want [%d %v]", i, p, s.At.Unix(), s.V)
		}
	}
}

// current marks the range link of the page shown.
func current(a *html.Node) string {
	if attr(a, "aria-current") == "page" {
		return "(current)"
	}
	return ""
}

// checkChart reads the chart in fig by its own axes — the plot's corners
// from the x axis and the top grid line, the top tick's value from its
// label — and checks that its line passes through every sample of s
// (scaled to the chart's unit), within a tenth of a unit (the chart's
// rounding). tolerance is in viewBox units.
func checkChart(t *testing.T, name string, fig *html.Node, s statuspage.MetricSeries, scale, tolerance float64) {
	t.Helper()
	if fig == nil {
		t.Fatalf("%s: no figure", name)
	}
	svg := find(fig, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "svg" })
	if svg == nil || attr(svg, "role") != "img" || attr(svg, "aria-label") == "" {
		t.Fatalf("%s: no svg with role img and a label", name)
	}
	if find(svg, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "title" }) == nil {
		t.Errorf("%s: the svg has no title", name)
	}
	axis := find(svg, hasClass("axis"))
	left, right, bottom := fattr(t, axis, "x1"), fattr(t, axis, "x2"), fattr(t, axis, "y1")
	top, topValue := math.Inf(1), 0.0
	yaxis := find(svg, hasClass("yaxis"))
	for c := yaxis.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.Data != "line" {
			continue
		}
		// Each grid line is followed by its label.
		label := c.NextSibling
		for label != nil && label.Type != html.ElementNode {
			label = label.NextSibling
		}
		if y := fattr(t, c, "y1"); y < top {
			v, err := strconv.ParseFloat(label.FirstChild.Data, 64)
			if err != nil {
				t.Fatalf("%s: tick label %q", name, label.FirstChild.Data)
			}
			top, topValue = y, v
		}
	}
	line := find(svg, hasClass("line"))
	if line == nil {
		t.Fatalf("%s: no line", name)
	}
	pts := pathPoints(t, attr(line, "d"))
	if len(pts) != len(s.Samples) {
		t.Fatalf("%s: the line has %d points, want one per sample, %d", name, len(pts), len(s.Samples))
	}
	span := s.End.Sub(s.Start).Seconds()
	for i, p := range s.Samples {
		wx := left + p.At.Sub(s.Start).Seconds()/span*(right-left)
		wy := bottom - p.V*scale/topValue*(bottom-top)
		if math.Abs(pts[i][0]-wx) > tolerance || math.Abs(pts[i][1]-wy) > tolerance {
			t.Errorf("%s: point %d (%s, %g) drawn at (%g, %g), want (%.1f, %.1f)", name, i, p.At.Format(time.RFC3339), p.V, pts[i][0], pts[i][1], wx, wy)
			return
		}
	}
}

func fattr(t *testing.T, n *html.Node, name string) float64 {
	t.Helper()
	if n == nil {
		t.Fatalf("no element for attribute %s", name)
	}
	v, err := strconv.ParseFloat(attr(n, name), 64)
	if err != nil {
		t.Fatalf("attribute %s=%q: %v", name, attr(n, name), err)
	}
	return v
}

// pathPoints reads an SVG path of M and L commands.
func pathPoints(t *testing.T, d string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	fields := strings.Fields(d)
	for i := 0; i+1 < len(fields); i += 2 {
		x, err1 := strconv.ParseFloat(strings.TrimLeft(fields[i], "ML"), 64)
		y, err2 := strconv.ParseFloat(fields[i+1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("path %q: not M/L points at %q %q", d, fields[i], fields[i+1])
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func TestSystemMetricsStale(t *testing.T) {
	h := published(t, fixture())
	f := &fakeRanges{value: rampRatio}
	c := statuspage.NewCollector(errorsAndLatency, f.query, h.PublishMetrics)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	c.Once(context.Background())
	res, _ := get(t, h, http.MethodGet, "/")
	before := res.Header.Get("Etag")

	// The same figures again: nothing changes, not even the tag.
	c.Once(context.Background())
	if res, _ := get(t, h, http.MethodGet, "/"); res.Header.Get("Etag") != before {
		t.Errorf("an unchanged collection changed the page's tag")
	}
	res, _ = get(t, h, http.MethodGet, "/system-metrics/month")
	month := res.Header.Get("Etag")

	f.down = errors.New("connection refused")
	c.Now = func() time.Time { return metricsNow.Add(time.Hour) }
	c.Once(context.Background())
	_, body := get(t, h, http.MethodGet, "/")
	lines := strings.Join(text(t, body, hasClass("metrics")), "\n")
	if want := "Not updated since Jul 8, 12:05 UTC: the metrics source is not answering."; !strings.Contains(lines, want) {
		t.Errorf("during an outage the section does not say %q; it says:\n%s", want, lines)
	}
	fig := find(parse(t, body), func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	checkChart(t, "the stale day's error ratio", fig, collected(t, &fakeRanges{value: rampRatio}).Metrics[0].Series[0], 100, 1)
	if res, _ := get(t, h, http.MethodGet, "/system-metrics/month"); res.Header.Get("Etag") == month {
		t.Errorf("the month's page did not say it is stale")
	}

	// A new incident snapshot keeps the charts.
	snap := fixture()
	snap.Version++
	h.Publish(snap)
	if _, body := get(t, h, http.MethodGet, "/"); !strings.Contains(body, `id="metric-api-latency"`) {
		t.Errorf("a new snapshot lost the charts")
	}
}

func TestSystemMetricsUnits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kind  statuspage.MetricKind
		value float64
		slo   float64
		want  string
	}{
		{"an error ratio in percent", statuspage.MetricErrorRatio, 0.0012, 0.01, "0.12 %"},
		{"a latency under a second in ms", statuspage.MetricLatency, 0.1234, 0.25, "123 ms"},
		{"a latency over its second objective in s", statuspage.MetricLatency, 1.25, 2, "1.25 s"},
		{"a latency that reached a second in s", statuspage.MetricLatency, 1.5, 0.5, "1.50 s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := statuspage.Metric{ID: "m", ComponentID: "cmpweb000001", Name: "Figure", Kind: tc.kind, Query: "q", SLO: tc.slo}
			c := statuspage.NewCollector([]statuspage.Metric{m}, (&fakeRanges{value: func(time.Time) float64 { return tc.value }}).query, nil)
			c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
			h := published(t, fixture())
			h.PublishMetrics(c.Once(context.Background()))
			_, body := get(t, h, http.MethodGet, "/")
			want := fmt.Sprintf("Figure over the last day: %s at", tc.want)
			if !strings.Contains(body, want) {
				t.Errorf("the page does not say %q", want)
			}
		})
	}
}

// A collection asks at most Parallel queries at once, and every one.
func TestCollectorParallel(t *testing.T) {
	var mu sync.Mutex
	inFlight, most, asked := 0, 0, 0
	query := func(ctx context.Context, _, _ string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
		mu.Lock()
		inFlight++
		asked++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return []statuspage.Sample{{At: end, V: 0.001}}, nil
	}
	var metrics []statuspage.Metric
	for i := range 10 {
		metrics = append(metrics, statuspage.Metric{ID: fmt.Sprintf("m%d", i), ComponentID: "cmpapi000001", Name: "Error ratio", Kind: statuspage.MetricErrorRatio, Query: "q"})
	}
	c := statuspage.NewCollector(metrics, query, nil)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	snap := c.Once(context.Background())
	if asked != 30 || most > statuspage.DefaultMetricsParallel {
		t.Errorf("asked %d queries, at most %d at once; want 30, at most %d", asked, most, statuspage.DefaultMetricsParallel)
	}
	for _, d := range snap.Metrics {
		for r, s := range d.Series {
			if len(s.Samples) != 1 || !s.Samples[0].At.Equal(s.End) {
				t.Errorf("%s over the %s: %+v, want its one sample", d.ID, statuspage.MetricRanges[r].Name, s)
			}
		}
	}
}

// Regression test for a line drawn straight across the hours Prometheus
// had no value for: the line breaks there.
func TestSystemMetricsGap(t *testing.T) {
	gapFrom, gapUntil := time.Date(2021, 7, 8, 3, 0, 0, 0, time.UTC), time.Date(2021, 7, 8, 5, 0, 0, 0, time.UTC)
	f := &fakeRanges{value: rampRatio}
	query := func(ctx context.Context, source, q string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
		all, err := f.query(ctx, source, q, start, end, step)
		return slices.DeleteFunc(all, func(s statuspage.Sample) bool { return !s.At.Before(gapFrom) && s.At.Before(gapUntil) }), err
	}
	c := statuspage.NewCollector(errorsAndLatency[:1], query, nil)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	h := published(t, fixture())
	h.PublishMetrics(c.Once(context.Background()))
	_, body := get(t, h, http.MethodGet, "/")
	fig := find(parse(t, body), func(n *html.Node) bool { return attr(n, "id") == "metric-api-errors" })
	line := find(fig, hasClass("line"))
	if n := strings.Count(attr(line, "d"), "M"); n != 2 {
		t.Errorf("the day's line has %d runs, want 2: broken at the two hours without data", n)
	}
}
