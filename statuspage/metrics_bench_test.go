package statuspage_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/headroomhq/headroom/statuspage"
)

// benchMetrics are the system metrics of bigSnapshot's first five
// components: an error ratio and a latency each.
func benchMetrics(shift float64) *statuspage.MetricsSnapshot {
	snap := bigSnapshot()
	var metrics []statuspage.Metric
	for _, c := range snap.Components[:5] {
		metrics = append(metrics,
			statuspage.Metric{ID: c.ID + "-errors", ComponentID: c.ID, Name: "Error ratio", Kind: statuspage.MetricErrorRatio, Query: "e", SLO: 0.01},
			statuspage.Metric{ID: c.ID + "-latency", ComponentID: c.ID, Name: "Latency", Kind: statuspage.MetricLatency, Query: "l", SLO: 0.25})
	}
	value := func(t time.Time) float64 { return 0.004 + 0.003*math.Sin(float64(t.Unix())/5000+shift) }
	c := statuspage.NewCollector(metrics, (&fakeRanges{value: value}).query, nil)
	c.Now = func() time.Time { return fixtureNow }
	return c.Once(context.Background())
}

// BenchmarkPublishMetrics measures the system metrics' cost to a write,
// on bigSnapshot with ten charts (five components' error ratio and
// latency): "update" is BenchmarkPublish/update with the charts on the
// page (they are not rendered again); "collection" a collection whose
// every series changed (each chart rendered again, and the pages with
// them); "collection-unchanged" one with the same figures (nothing
// rendered). CPU per op, as BenchmarkPublish; and the sizes of / with
// and without the charts.
func BenchmarkPublishMetrics(b *testing.B) {
	sizes := func(b *testing.B, h http.Handler) {
		b.Helper()
		for _, enc := range []string{"", "gzip"} {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", enc)
			w := &discard{h: http.Header{}}
			h.ServeHTTP(w, r)
			b.ReportMetric(float64(w.n), fmt.Sprintf("index-%sB", map[string]string{"": "", "gzip": "gzip-"}[enc]))
		}
	}
	b.Run("update", func(b *testing.B) {
		snap := bigSnapshot()
		h := statuspage.New()
		h.Publish(snap)
		h.PublishMetrics(benchMetrics(0))
		b.ReportAllocs()
		cpu0 := cpuTime(b)
		for i := 0; b.Loop(); i++ {
			snap.Version++
			snap.Incidents[0].Updates[0].Body = fmt.Sprintf("Update number %d.", i)
			h.Publish(snap)
		}
		b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		sizes(b, h)
	})
	for _, c := range []struct {
		name    string
		changes bool
	}{{"collection", true}, {"collection-unchanged", false}} {
		b.Run(c.name, func(b *testing.B) {
			h := statuspage.New()
			h.Publish(bigSnapshot())
			// Collections made beforehand: the benchmark is the page's
			// work, not the fake's.
			collections := []*statuspage.MetricsSnapshot{benchMetrics(0), benchMetrics(1)}
			h.PublishMetrics(collections[0])
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				next := collections[0]
				if c.changes {
					next = collections[(i+1)%2]
				}
				h.PublishMetrics(next)
			}
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
