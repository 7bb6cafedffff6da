package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/metrics/prom"
	"github.com/headroomhq/headroom/statuspage"
)

// systemMetrics returns the Collector of the page's components' metrics,
// publishing to public; nil when no component shows one. Every serve
// process collects for the page it serves: reads only, three range
// queries per metric a minute.
func systemMetrics(p *config.Page, public *statuspage.Handler, log *slog.Logger) *statuspage.Collector {
	var metrics []statuspage.Metric
	for _, c := range p.Components {
		for _, m := range c.Metrics {
			kind := statuspage.MetricErrorRatio
			if m.Show == config.ShowLatency {
				kind = statuspage.MetricLatency
			}
			metrics = append(metrics, statuspage.Metric{ID: m.ID, ComponentID: c.ID, Name: m.Name, Kind: kind,
				Source: m.URL, Query: m.Query, SLO: m.SLO})
		}
	}
	if len(metrics) == 0 {
		return nil
	}
	c := statuspage.NewCollector(metrics, promRange, public.PublishMetrics)
	if p.MetricsInterval > 0 {
		c.Interval = p.MetricsInterval
	}
	c.Logger = log
	return c
}

// promRange is the Collector's RangeQuery on metrics/prom: one attempt per
// collection (the next is a minute away, and the last good series stays
// meanwhile), bounded by the Collector's context.
func promRange(ctx context.Context, source, query string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
	r := &prom.Ranger{URL: source, Query: query, Retries: -1}
	pts, err := r.Range(ctx, start, end, step)
	if err != nil {
		return nil, err
	}
	out := make([]statuspage.Sample, len(pts))
	for i, p := range pts {
		out[i] = statuspage.Sample{At: p.Time, V: p.Value}
	}
	return out, nil
}
