package config

import (
	"io/fs"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// withMetrics is a page whose first component shows three charts of the
// target web, and the target with its Prometheus queries.
const withMetrics = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  page:
    name: Bitbucket
    metricsInterval: 30s
    components:
    - name: Website and API
      metrics:
      - {target: web, show: errorRatio}
      - {target: web, show: latency}
      - target: web
        show: latency
        name: p99 latency
        query: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
        slo: 500ms
    - name: Git
      components:
      - name: Git via SSH
  targets:
  - name: web
    service: service.yaml
    policy: policy.yaml
    prometheus:
      url: http://127.0.0.1:9090
      demand: sum(rate(http_requests_total[1m]))
      errorRatio: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
      latency: sum(rate(http_request_duration_seconds_sum[1m])) / sum(rate(http_request_duration_seconds_count[1m]))
    command: {scale: [/bin/true]}
`

func TestLoadPageMetrics(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = withMetrics
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	prom := cfg.Targets[0].Prometheus
	// The objectives of testdata/service.yaml: maxErrorRatio 0.001,
	// maxLatency 200ms (a mean, as prometheus.latency is).
	want := []PageMetric{
		{ID: "website-and-api-error-ratio", Target: "web", URL: "http://127.0.0.1:9090", Show: ShowErrorRatio, Name: "Error ratio", Query: prom.ErrorRatio, SLO: 0.001},
		{ID: "website-and-api-latency", Target: "web", URL: "http://127.0.0.1:9090", Show: ShowLatency, Name: "Latency", Query: prom.Latency, SLO: 0.2},
		{ID: "website-and-api-latency-2", Target: "web", URL: "http://127.0.0.1:9090", Show: ShowLatency, Name: "p99 latency",
			Query: "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", SLO: 0.5},
	}
	if got := cfg.Page.Components[0].Metrics; !reflect.DeepEqual(got, want) {
		t.Errorf("metrics:\n got %+v\nwant %+v", got, want)
	}
	if got := cfg.Page.Components[1].Metrics; got != nil {
		t.Errorf("Git via SSH shows %+v, want no metric", got)
	}
	if got, want := cfg.Page.MetricsInterval, 30*time.Second; got != want {
		t.Errorf("metricsInterval: got %s, want %s", got, want)
	}
}

func TestPageMetricErrors(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		want           at
	}{
		{"an unknown target", "{target: web, show: errorRatio}", "{target: api, show: errorRatio}", at{"headroom.yaml", 10, "spec.page.components[0].metrics[0].target"}},
		{"no target", "{target: web, show: errorRatio}", "{show: errorRatio}", at{"headroom.yaml", 10, "spec.page.components[0].metrics[0].target"}},
		{"an unknown kind", "{target: web, show: errorRatio}", "{target: web, show: errors}", at{"headroom.yaml", 10, "spec.page.components[0].metrics[0].show"}},
		{"latency of a target without a latency query", "      latency: sum(rate(http_request_duration_seconds_sum[1m])) / sum(rate(http_request_duration_seconds_count[1m]))\n", "",
			at{"headroom.yaml", 11, "spec.page.components[0].metrics[1].query"}},
		{"an error ratio objective over 1", "{target: web, show: errorRatio}", "{target: web, show: errorRatio, slo: 5}", at{"headroom.yaml", 10, "spec.page.components[0].metrics[0].slo"}},
		{"a latency objective without a unit", "slo: 500ms", "slo: 500", at{"headroom.yaml", 16, "spec.page.components[0].metrics[2].slo"}},
		{"an interval under 10s", "metricsInterval: 30s", "metricsInterval: 5s", at{"headroom.yaml", 6, "spec.page.metricsInterval"}},
		{"metrics on a group", "    - name: Git\n", "    - name: Git\n      metrics: [{target: web, show: latency}]\n", at{"headroom.yaml", 18, "spec.page.components[1].metrics"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(withMetrics, tt.old) {
				t.Fatalf("no %q", tt.old)
			}
			dir := t.TempDir()
			files := fixtures(t)
			files["headroom.yaml"] = strings.Replace(withMetrics, tt.old, tt.new, 1)
			writeFiles(t, dir, files)
			_, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			list := inputErrors(t, err)
			if got := (at{filepath.Base(list[0].File), list[0].Line, list[0].Field}); len(list) != 1 || got != tt.want {
				t.Errorf("got %v, want one error at %v", err, tt.want)
			}
		})
	}
}

// FuzzPageMetrics reads a page's metrics from any text: an accepted
// config's every metric names a target of the config, shows one of the
// two kinds and has a query and a finite, non-negative objective.
func FuzzPageMetrics(f *testing.F) {
	files := fixtures(f)
	f.Add([]byte(withMetrics))
	f.Add([]byte(strings.Replace(withMetrics, "slo: 500ms", "slo: 1.5", 1)))
	read := func(path string) ([]byte, error) {
		if s, ok := files[filepath.Base(path)]; ok && filepath.Dir(path) == "fuzz" {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("fuzz/headroom.yaml", data, read)
		if err != nil || cfg.Page == nil {
			return
		}
		targets := map[string]bool{}
		for _, tg := range cfg.Targets {
			targets[tg.Name] = true
		}
		for _, c := range cfg.Page.Components {
			for _, m := range c.Metrics {
				if !targets[m.Target] || (m.Show != ShowErrorRatio && m.Show != ShowLatency) || strings.TrimSpace(m.Query) == "" ||
					m.URL == "" || m.ID == "" || !(m.SLO >= 0) || math.IsInf(m.SLO, 0) || (m.Show == ShowErrorRatio && m.SLO > 1) {
					t.Fatalf("accepted metric %+v", m)
				}
			}
		}
		if cfg.Page.MetricsInterval != 0 && cfg.Page.MetricsInterval < MinMetricsInterval {
			t.Fatalf("accepted metricsInterval %s", cfg.Page.MetricsInterval)
		}
	})
}
