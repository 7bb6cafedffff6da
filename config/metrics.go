package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom/internal/yamlnode"
)

// What a status page component's metric shows (spec.page.components[].metrics[].show).
const (
	// ShowErrorRatio is the target's error ratio: prometheus.errorRatio.
	ShowErrorRatio = "errorRatio"
	// ShowLatency is the target's latency: prometheus.latency (a mean),
	// or the metric's own query (a percentile).
	ShowLatency = "latency"
)

// MinMetricsInterval bounds spec.page.metricsInterval: each collection
// asks Prometheus three range queries per metric.
const MinMetricsInterval = 10 * time.Second

// PageMetric is a chart of a component's "System Metrics": a target's
// error ratio or latency over the last day, week and month.
type PageMetric struct {
	// ID names it on the page: the component's id and what it shows,
	// numbered from the second of a kind ("api-latency-2").
	ID string
	// Target names the target whose Prometheus it reads; URL is that
	// server's address.
	Target, URL string
	// Show is ShowErrorRatio or ShowLatency.
	Show string
	// Name is its title: "Error ratio" or "Latency" unless given.
	Name string
	// Query is the PromQL expression: the target's query for Show
	// unless given.
	Query string
	// SLO is the objective drawn as a line, a ratio or seconds: the
	// written slo, else the target's service SLO (its maxErrorRatio, or
	// its maxLatency for the target's own mean latency query); 0 for
	// none.
	SLO float64
}

// metricYAML is spec.page.components[].metrics[].
type metricYAML struct {
	Target string `yaml:"target"`
	Show   string `yaml:"show"`
	Name   string `yaml:"name"`
	Query  string `yaml:"query"`
	// SLO is a ratio (errorRatio) or a duration (latency): read by Show.
	SLO *string `yaml:"slo"`
}

// pendingMetric is a component's metric, checked once the targets it
// names are read.
type pendingMetric struct {
	at        string // its field path
	component int    // its index in Page.Components
	m         metricYAML
}

// pageMetrics checks the components' metrics against the targets: each
// names a target with a Prometheus query for what it shows.
func (p *parser) pageMetrics(cfg *Config) {
	page := cfg.Page
	byName := map[string]*Target{}
	var names []string
	for _, t := range cfg.Targets {
		if t != nil && t.Name != "" {
			byName[t.Name] = t
			names = append(names, t.Name)
		}
	}
	ids := map[string]int{}
	for _, pm := range p.metrics {
		m, at := pm.m, pm.at
		out := PageMetric{Target: m.Target, Show: m.Show, Name: m.Name, Query: strings.TrimSpace(m.Query)}
		t := byName[m.Target]
		switch {
		case m.Target == "":
			p.fail(at+".target", "", "the name of the target whose Prometheus the metric reads: "+list(names))
		case t == nil:
			p.fail(at+".target", m.Target, "the name of a target of spec.targets: "+list(names))
		}
		var own string // the target's query for what the metric shows
		if t != nil && t.Prometheus != nil {
			out.URL = t.Prometheus.URL
			switch m.Show {
			case ShowErrorRatio:
				own = t.Prometheus.ErrorRatio
			case ShowLatency:
				own = t.Prometheus.Latency
			}
		}
		switch m.Show {
		case ShowErrorRatio:
			if out.Name == "" {
				out.Name = "Error ratio"
			}
		case ShowLatency:
			if out.Name == "" {
				out.Name = "Latency"
			}
		default:
			p.fail(at+".show", m.Show, "errorRatio (the share of requests failing) or latency (the response time)")
			continue
		}
		if out.Query == "" {
			out.Query = strings.TrimSpace(own)
			if out.Query == "" && t != nil {
				p.fail(at+".query", "", fmt.Sprintf("a PromQL query of the %s, since target %q has no prometheus.%s", m.Show, m.Target, m.Show))
			}
		}
		out.SLO = p.metricSLO(at+".slo", m, t, out.Query == strings.TrimSpace(own))
		id := page.Components[pm.component].ID + "-" + strings.ToLower(strings.ReplaceAll(m.Show, "Ratio", "-ratio"))
		ids[id]++
		if n := ids[id]; n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		out.ID = id
		c := &page.Components[pm.component]
		c.Metrics = append(c.Metrics, out)
	}
}

// metricSLO reads a metric's objective: the written one, or the target's
// service SLO when the metric shows what that SLO bounds.
func (p *parser) metricSLO(at string, m metricYAML, t *Target, ownQuery bool) float64 {
	if m.SLO == nil {
		if t == nil || t.Service == nil {
			return 0
		}
		slo := t.Service.SLO
		switch {
		case m.Show == ShowErrorRatio:
			return slo.MaxErrorRatio
		case m.Show == ShowLatency && ownQuery:
			// prometheus.latency is a mean, as maxLatency bounds.
			return slo.MaxLatency.Seconds()
		}
		return 0
	}
	raw := strings.TrimSpace(*m.SLO)
	switch m.Show {
	case ShowErrorRatio:
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || !(v > 0 && v <= 1) {
			p.fail(at, raw, "a ratio in (0, 1], such as 0.01 for 1% of requests failing")
			return 0
		}
		return v
	case ShowLatency:
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			p.fail(at, raw, "a positive duration with its unit, such as 250ms")
			return 0
		}
		return d.Seconds()
	}
	return 0
}

// metricsInterval reads spec.page.metricsInterval; zero when not written
// (the status page's default, a minute).
func (p *parser) metricsInterval(at string, d yamlnode.Duration) time.Duration {
	if !d.Set {
		return 0
	}
	if d.Bad || d.D < MinMetricsInterval {
		why := d.Problem()
		if why == "" {
			why = "under " + MinMetricsInterval.String()
		}
		p.fail(at, d.Raw, "how often the system metrics are collected, at least "+MinMetricsInterval.String()+", such as 1m ("+why+")")
		return 0
	}
	return d.D
}

// list names the targets in a message.
func list(names []string) string {
	if len(names) == 0 {
		return "the config has none"
	}
	return strings.Join(names, ", ")
}
