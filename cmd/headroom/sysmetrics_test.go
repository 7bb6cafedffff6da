package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/headroomhq/headroom/statuspage"
)

// serve's system metrics, wired as openStatusPage wires them, against a
// real Prometheus holding a day of a target's error ratio (0.2%, and 3%
// for the last half hour): the collector takes the page's interval, asks
// the target's server, and the page's JSON holds Prometheus's values.
func TestSystemMetricsWiring(t *testing.T) {
	bin := promtest.Binary(t)
	end := time.Date(2021, 6, 30, 18, 0, 0, 0, time.UTC)
	value := func(at time.Time) float64 {
		if at.After(end.Add(-30 * time.Minute)) {
			return 0.03
		}
		return 0.002
	}
	var om strings.Builder
	om.WriteString("# TYPE job:errors:ratio gauge\n")
	for at := end.Add(-25 * time.Hour); !at.After(end); at = at.Add(5 * time.Minute) {
		fmt.Fprintf(&om, "job:errors:ratio{job=\"web\"} %v %d\n", value(at), at.Unix())
	}
	om.WriteString("# EOF\n")
	path := filepath.Join(t.TempDir(), "day.om")
	if err := os.WriteFile(path, []byte(om.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	server := promtest.StartWith(t, bin, promtest.Options{DataDir: promtest.BackfillBlocks(t, path, 48*time.Hour), Retention: 60 * 24 * time.Hour})

	page := &config.Page{ID: "acme", Name: "Acme", MetricsInterval: 30 * time.Second, Components: []config.PageComponent{
		{ID: "web", Name: "Web", Metrics: []config.PageMetric{{ID: "web-error-ratio", Target: "web", URL: server.URL, Show: config.ShowErrorRatio,
			Name: "Error ratio", Query: `job:errors:ratio{job="web"}`, SLO: 0.01}}},
		{ID: "git", Name: "Git"},
	}}
	public := statuspage.New()
	public.Publish(&incident.Snapshot{Page: incident.Page{ID: "acme", Name: "Acme"}, Version: 1, BuiltAt: end, UpdatedAt: end,
		Components: []incident.Component{{ID: "web", Name: "Web"}, {ID: "git", Name: "Git"}}})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := systemMetrics(page, public, log)
	if c == nil || c.Interval != 30*time.Second || len(c.Metrics) != 1 || c.Metrics[0].Kind != statuspage.MetricErrorRatio || c.Metrics[0].Source != server.URL {
		t.Fatalf("the collector of the page: %+v", c)
	}
	c.Now = func() time.Time { return end.Add(time.Minute) }
	c.Once(context.Background())

	w := httptest.NewRecorder()
	public.ServeHTTP(w, httptest.NewRequest("GET", "/api/system-metrics.json", nil))
	var doc struct {
		Metrics []struct {
			ID     string `json:"id"`
			Kind   string
			Ranges []struct {
				Range  string       `json:"range"`
				Stale  bool         `json:"stale"`
				Points [][2]float64 `json:"points"`
			}
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, w.Body.String())
	}
	if len(doc.Metrics) != 1 || doc.Metrics[0].ID != "web-error-ratio" || len(doc.Metrics[0].Ranges) != 3 {
		t.Fatalf("the JSON: %s", w.Body.String())
	}
	day := doc.Metrics[0].Ranges[0]
	if day.Range != "day" || day.Stale || len(day.Points) != 289 {
		t.Fatalf("the day: %s, stale %v, %d points; want 289 fresh ones; prometheus log:\n%s", day.Range, day.Stale, len(day.Points), server.Log())
	}
	for _, p := range day.Points {
		at := time.Unix(int64(p[0]), 0).UTC()
		if want := value(at); p[1] != want {
			t.Errorf("the day at %s: got %v, want %v", at, p[1], want)
		}
	}
	if page.Components[1].Metrics != nil || systemMetrics(&config.Page{Components: page.Components[1:]}, public, log) != nil {
		t.Errorf("a page without metrics got a collector")
	}
}
