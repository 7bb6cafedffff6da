package statuspage_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/browsertest"
	"github.com/headroomhq/headroom/statuspage"
)

// The line colours of the system metrics' charts (internal/chart's
// Vermillion and Purple), as the browser paints them.
var (
	paintErrors  = [3]int{0xd5, 0x5e, 0x00}
	paintLatency = [3]int{0xcc, 0x79, 0xa7}
)

// The system metrics in a real browser, through HTTP with the page's
// Content-Security-Policy: the charts are inline SVG, drawn without
// script, in their colours, on the status page and on each range's page,
// on a desktop's width and a phone's.
func TestSystemMetricsInBrowser(t *testing.T) {
	chrome := browsertest.Find(t)
	h := published(t, fixture())
	ratios := &fakeRanges{value: rampRatio}
	// A latency in sight: 150 ms, 200 ms in the afternoons.
	latencies := &fakeRanges{value: func(t time.Time) float64 { return 0.15 + 0.05*float64(t.Hour()/12) }}
	query := func(ctx context.Context, source, q string, start, end time.Time, step time.Duration) ([]statuspage.Sample, error) {
		if strings.Contains(q, "latency") {
			return latencies.query(ctx, source, q, start, end, step)
		}
		return ratios.query(ctx, source, q, start, end, step)
	}
	c := statuspage.NewCollector(errorsAndLatency, query, h.PublishMetrics)
	c.Now, c.Logger = func() time.Time { return metricsNow }, quiet
	c.Once(context.Background())
	srv := httptest.NewServer(h)
	defer srv.Close()

	dom := browsertest.Run(t, chrome, srv.URL+"/system-metrics/week", "--dump-dom")
	for _, want := range []string{
		`<a href="../system-metrics/week" aria-current="page">Week</a>`,
		`<figure class="metric" id="metric-api-errors">\s*<svg class="chart metric errors"[^>]* role="img" aria-label="Error ratio over the last week, in %">`,
		`<figcaption>Error ratio over the last week: 0\.12 % at Jul 8, 12:00 UTC`,
	} {
		if !regexp.MustCompile(want).MatchString(dom) {
			t.Errorf("the browser's DOM of the week has no %s", want)
		}
	}
	for _, size := range []struct {
		name          string
		width, height int
		least         int
	}{
		{"desktop", 1280, 1100, 150},
		{"phone", 390, 1400, 60},
	} {
		t.Run(size.name, func(t *testing.T) {
			for _, page := range []struct{ path, name string }{{"/system-metrics/week", "system-metrics-week-"}, {"/system-metrics/day", "system-metrics-day-"}} {
				img := browsertest.Screenshot(t, chrome, srv.URL+page.path, page.name+size.name, size.width, size.height)
				browsertest.ExpectPaint(t, img, []browsertest.Paint{
					{Name: "the error ratio's line", Colour: paintErrors, Least: size.least},
					{Name: "the latency's line", Colour: paintLatency, Least: size.least},
				})
			}
		})
	}
	browsertest.Screenshot(t, chrome, srv.URL+"/", "status-page-with-system-metrics-desktop", 1280, 2200)
}
