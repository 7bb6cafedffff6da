package statuspage

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// MetricKind is what a system metric measures; it decides the chart's
// unit and how its values read.
type MetricKind string

// The kinds of system metric a component can show.
const (
	// MetricErrorRatio is the share of requests failing, in [0, 1]; the
	// page shows it in percent.
	MetricErrorRatio MetricKind = "error_ratio"
	// MetricLatency is a response time in seconds (a mean or a
	// percentile); the page shows it in ms or s.
	MetricLatency MetricKind = "latency"
)

// Metric is one chart of the "System Metrics" section (Statuspage's name:
// https://support.atlassian.com/statuspage/docs/add-and-display-system-metrics/):
// a PromQL query shown under a component, with the objective it is held
// to.
type Metric struct {
	// ID names the metric in the page's anchors and its JSON: unique on
	// the page.
	ID string
	// ComponentID is the component it is shown under.
	ComponentID string
	// Name is its title, such as "Error ratio" or "p99 latency".
	Name string
	Kind MetricKind
	// Source is where Query runs: the address of the target's
	// Prometheus, handed to the RangeQuery.
	Source, Query string
	// SLO is the objective drawn as a line, in the kind's unit (a ratio,
	// seconds); 0 for none.
	SLO float64
}

// MetricRange is a span the page shows a metric over, and the time
// between its points.
type MetricRange struct {
	// Name is its path segment and label: day, week, month.
	Name       string
	Span, Step time.Duration
}

// MetricRanges are the views of every metric, as Statuspage's day, week
// and month: 289, 169 and 121 points, a few KB of SVG each. The week and
// month plot each step's mean of the query evaluated every
// metricsInnerStep, so a 20-minute spike of errors still shows on the
// month.
var MetricRanges = []MetricRange{
	{Name: "day", Span: 24 * time.Hour, Step: 5 * time.Minute},
	{Name: "week", Span: 7 * 24 * time.Hour, Step: time.Hour},
	{Name: "month", Span: 30 * 24 * time.Hour, Step: 6 * time.Hour},
}

// metricsInnerStep is how often the week and month views sample the
// query inside each of their steps: the day view's step.
const metricsInnerStep = 5 * time.Minute

// Sample is a metric's value at an evaluation time. A NaN value is a gap
// (no traffic: 0/0).
type Sample struct {
	At time.Time
	V  float64
}

// MetricSeries is a metric over one range, as last collected.
type MetricSeries struct {
	// Start and End are the range's first and last evaluation times.
	Start, End time.Time
	Samples    []Sample
	// Stale says the last collection failed: Samples are the last good
	// ones, of Start to End. Err says why, for the log.
	Stale bool
	Err   string
}

// MetricData is a metric with its series, one per MetricRanges entry.
type MetricData struct {
	Metric
	Series []MetricSeries
}

// MetricsSnapshot is everything the system metrics show at one moment.
type MetricsSnapshot struct {
	// CollectedAt is when the collection that made it ran.
	CollectedAt time.Time
	Metrics     []MetricData
}

// RangeQuery runs a PromQL range query on the Prometheus at source,
// evaluated at start, start+step, ... end, and returns one value per
// evaluation time that has one. The Collector's queries give one series
// (they are wrapped in avg). metrics/prom's Ranger does it.
type RangeQuery func(ctx context.Context, source, query string, start, end time.Time, step time.Duration) ([]Sample, error)

// Defaults of a Collector.
const (
	// DefaultMetricsInterval is how often the system metrics are
	// collected: Statuspage's "refreshed every minute", and a day view's
	// point is 5 minutes.
	DefaultMetricsInterval = time.Minute
	// DefaultMetricsTimeout bounds one query of a collection.
	DefaultMetricsTimeout = 10 * time.Second
	// DefaultMetricsParallel is how many queries of a collection run at
	// once: a Prometheus that does not answer holds a collection of ten
	// metrics (30 queries) for 80 s at the default timeout (8 rounds of
	// 10 s), not 10 minutes, and one that answers is not asked 30 things
	// at once.
	DefaultMetricsParallel = 4
)

// Collector collects the system metrics every Interval and hands each
// collection to Publish (the Handler's PublishMetrics). A query that fails
// keeps its last good series, marked stale: a Prometheus outage leaves the
// charts as they were, saying since when, rather than blank.
//
// Run drives it on a ticker until its context ends; Once runs one
// collection.
type Collector struct {
	Metrics []Metric
	Query   RangeQuery
	Publish func(*MetricsSnapshot)
	// Interval between collections (DefaultMetricsInterval); Timeout
	// bounds each query (DefaultMetricsTimeout).
	Interval, Timeout time.Duration
	// Parallel is how many queries run at once (DefaultMetricsParallel).
	Parallel int
	// Now is the clock of the collections: time.Now from NewCollector.
	Now    func() time.Time
	Logger *slog.Logger

	last *MetricsSnapshot
}

// NewCollector returns a Collector of metrics with the defaults.
func NewCollector(metrics []Metric, query RangeQuery, publish func(*MetricsSnapshot)) *Collector {
	return &Collector{Metrics: metrics, Query: query, Publish: publish, Interval: DefaultMetricsInterval,
		Timeout: DefaultMetricsTimeout, Parallel: DefaultMetricsParallel, Now: time.Now}
}

// Run collects at once, then every Interval, until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	interval := c.Interval
	if interval <= 0 {
		interval = DefaultMetricsInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs one collection, publishes it and returns it.
func (c *Collector) Once(ctx context.Context) *MetricsSnapshot {
	now := c.now()
	snap := &MetricsSnapshot{CollectedAt: now, Metrics: make([]MetricData, len(c.Metrics))}
	slots := make(chan struct{}, max(c.Parallel, 1))
	var wg sync.WaitGroup
	for i, m := range c.Metrics {
		snap.Metrics[i] = MetricData{Metric: m, Series: make([]MetricSeries, len(MetricRanges))}
		for r, rg := range MetricRanges {
			prev := c.previous(m, r)
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				snap.Metrics[i].Series[r] = c.collect(ctx, m, rg, now, prev)
			})
		}
	}
	wg.Wait()
	c.last = snap
	if c.Publish != nil {
		c.Publish(snap)
	}
	return snap
}

// collect queries one metric over one range ending at now's last whole
// step: the same evaluation times for a step's worth of collections, so
// an unchanged series keeps its rendered chart.
func (c *Collector) collect(ctx context.Context, m Metric, rg MetricRange, now time.Time, prev *MetricSeries) MetricSeries {
	end := now.Truncate(rg.Step)
	start := end.Add(-rg.Span)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultMetricsTimeout
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	samples, err := c.Query(qctx, m.Source, rangeQuery(m.Query, rg.Step), start, end, rg.Step)
	if err != nil {
		c.logger().Warn("status page: system metric not collected", "metric", m.ID, "range", rg.Name, "err", err)
		if prev == nil {
			return MetricSeries{Start: start, End: end, Stale: true, Err: err.Error()}
		}
		s := *prev
		s.Stale, s.Err = true, err.Error()
		return s
	}
	// Only the range's own times: a querier's point outside it is not
	// this range's.
	samples = slices.DeleteFunc(samples, func(s Sample) bool { return s.At.Before(start) || s.At.After(end) })
	return MetricSeries{Start: start, End: end, Samples: samples}
}

// rangeQuery is what a range asks Prometheus: the series averaged (a
// ratio or a latency per instance does not add up), and past the day's
// step each point the mean of the query over its step, evaluated every
// metricsInnerStep, with a PromQL subquery
// (https://prometheus.io/docs/prometheus/latest/querying/basics/#subquery).
func rangeQuery(q string, step time.Duration) string {
	if step <= metricsInnerStep {
		return "avg(" + q + ")"
	}
	return fmt.Sprintf("avg(avg_over_time((%s)[%s:%s]))", q, promDuration(step), promDuration(metricsInnerStep))
}

// promDuration writes d as PromQL does: 6h, 5m, 90s.
func promDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// previous is the last collection's series of m over range r, if it had
// the same metric.
func (c *Collector) previous(m Metric, r int) *MetricSeries {
	if c.last == nil {
		return nil
	}
	for i := range c.last.Metrics {
		if d := &c.last.Metrics[i]; d.Metric == m && r < len(d.Series) {
			return &d.Series[r]
		}
	}
	return nil
}

func (c *Collector) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Collector) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}
