package report

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/check"
)

// The chart engine's own tests (ticks, paths, bands, goldens) are in
// internal/chart; these check what the report asks of it.

func TestHTMLChartUnits(t *testing.T) {
	s := fixture().Service
	for _, tc := range []struct {
		name       string
		latencyMs  float64
		wantUnit   string
		wantSLORef string
	}{
		{"latency under 2 s stays in milliseconds", 180, ">ms</text>", ">SLO 500ms</text>"},
		{"timeouts switch the latency chart to seconds", 30000, ">s</text>", ">SLO 500ms</text>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &check.Chart{Traffic: trafficName, Start: utc(0, 0), Bucket: time.Minute,
				LatencyMs: []float64{50, tc.latencyMs, 60}}
			got := string(newHTMLChart(c, s, "").Latency)
			for _, want := range []string{tc.wantUnit, tc.wantSLORef} {
				if !strings.Contains(got, want) {
					t.Errorf("latency chart lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

// The error chart is in percent, with the SLO's limit as a reference line.
func TestHTMLChartErrorPercent(t *testing.T) {
	s := fixture().Service
	c := &check.Chart{Traffic: trafficName, Start: utc(0, 0), Bucket: time.Minute,
		ErrorRatio: []float64{0, 0.004, math.NaN(), 0}}
	got := string(newHTMLChart(c, s, "").Errors)
	if !strings.Contains(got, `<line class="ref"`) || !strings.Contains(got, ">%</text>") {
		t.Errorf("error chart lacks the SLO line or its unit:\n%s", got)
	}
	// 0.4% is the highest point: the axis reaches at least the larger of
	// it and the SLO's limit, in percent.
	labels := regexp.MustCompile(`text-anchor="end" fill="[^"]+">([^<]+)</text>`).FindAllStringSubmatch(got, -1)
	if len(labels) == 0 || labels[len(labels)-1][1] == "0" {
		t.Fatalf("error chart's y labels = %v", labels)
	}
}

// The three panels of a traffic file share one time axis, even when one
// series is shorter, so that a violation lines up across them.
func TestHTMLChartPanelsShareTheAxis(t *testing.T) {
	c := dayChart(nil, false)
	c.LatencyMs = c.LatencyMs[:len(c.LatencyMs)/2]
	h := newHTMLChart(c, fixture().Service, "")
	ticks := regexp.MustCompile(`<line class="axis" x1="([0-9.]+)" x2="[0-9.]+" y1="[0-9.]+" y2="[0-9.]+"`)
	axis := func(svg string) string {
		var xs []string
		for _, m := range ticks.FindAllStringSubmatch(svg, -1) {
			xs = append(xs, m[1])
		}
		return strings.Join(xs, " ")
	}
	if a, b := axis(string(h.Capacity)), axis(string(h.Latency)); a != b {
		t.Errorf("capacity ticks at %s, latency ticks at %s: want the same", a, b)
	}
}
