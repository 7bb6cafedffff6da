package prom

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// These tests run a real Prometheus (Debian's prometheus package) scraping
// test exporters every second.

// A test service's pods: how it splits requests, fails and answers. The
// test drives it at a known total rate.
var pods = []struct {
	name       string
	share      float64 // of the requests
	errorRatio float64
	latency    float64 // seconds, every request
	cpu        float64 // percent
}{
	{"a", 0.6, 0.04, 0.1, 50},
	{"b", 0.4, 0.06, 0.3, 75},
}

// exporter is a test service's /metrics, counting the scrapes it served.
type exporter struct {
	*httptest.Server
	scrapes  atomic.Int64
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newExporter(t *testing.T) *exporter {
	t.Helper()
	e := &exporter{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests served."}, []string{"pod"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_request_errors_total", Help: "Requests failed."}, []string{"pod"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Response time.",
			Buckets: []float64{0.05, 0.2, 0.5}}, []string{"pod"}),
	}
	cpu := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "cpu_utilization_percent", Help: "CPU busy."}, []string{"pod"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.requests, e.errors, e.latency, cpu)
	for _, p := range pods {
		cpu.WithLabelValues(p.name).Set(p.cpu)
		e.requests.WithLabelValues(p.name)
		e.errors.WithLabelValues(p.name)
	}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.ServeHTTP(w, r)
		e.scrapes.Add(1)
	}))
	t.Cleanup(e.Close)
	return e
}

// drive serves rate requests per second until ctx ends. The counters follow
// the clock (every 10 ms they are brought to rate × elapsed time), so that
// their rate is the driven one whenever Prometheus scrapes; errors grow in
// proportion to requests. The histogram observes whole requests.
func (e *exporter) drive(ctx context.Context, rate float64) {
	start := time.Now()
	var served float64 // requests counted so far, all pods
	var observed [2]int
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		due := rate * time.Since(start).Seconds()
		for i, p := range pods {
			n := (due - served) * p.share
			e.requests.WithLabelValues(p.name).Add(n)
			e.errors.WithLabelValues(p.name).Add(n * p.errorRatio)
			for ; float64(observed[i]) < due*p.share; observed[i]++ {
				e.latency.WithLabelValues(p.name).Observe(p.latency)
			}
		}
		served = due
	}
}

// waitScrapes waits until Prometheus has scraped e n times.
func waitScrapes(t *testing.T, e *exporter, n int64, p *promtest.Server) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.scrapes.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("prometheus scraped %s %d times in 20s, want %d; its log:\n%s", e.URL, e.scrapes.Load(), n, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func within(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance*math.Abs(want) }

func TestPrometheus(t *testing.T) {
	bin := promtest.Binary(t)
	web := newExporter(t)
	gone := newExporter(t) // a service that stops answering
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	const rate = 50.0 // requests/s driven into web
	go web.drive(ctx, rate)
	p := promtest.Start(t, bin, map[string]string{"web": web.Listener.Addr().String(), "gone": gone.Listener.Addr().String()})

	waitScrapes(t, gone, 2, p)
	gone.Close()
	waitScrapes(t, web, 1, p)
	// A rate over [4s] at the earliest evaluation of a 4s window reaches 8s
	// back: wait until samples cover it, so that rate() interpolates
	// between samples instead of extrapolating a series that has only just
	// begun (which would read low).
	const window, rateRange = 4 * time.Second, 4 * time.Second
	time.Sleep(window + rateRange + time.Second)

	source := func(q Queries) *Source {
		s, err := New(p.URL, q)
		if err != nil {
			t.Fatal(err)
		}
		s.Window, s.Step = window, time.Second
		return s
	}
	ratePerPod := func(metric string) string { return fmt.Sprintf(`rate(%s{job="web"}[%s])`, metric, rateRange) }

	t.Run("the driven values", func(t *testing.T) {
		s := source(Queries{
			// Per pod, unaggregated: the Source sums demand and averages
			// the rest across series.
			Demand:      ratePerPod("http_requests_total"),
			Utilization: `cpu_utilization_percent{job="web"}`,
			ErrorRatio:  ratePerPod("http_request_errors_total") + " / " + ratePerPod("http_requests_total"),
			Latency:     ratePerPod("http_request_duration_seconds_sum") + " / " + ratePerPod("http_request_duration_seconds_count"),
		})
		now := time.Now()
		obs, err := s.Observe(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("observed %+v", obs)
		// Demand: the counters are linear in time up to 10 ms of driving
		// (0.5 requests), and Prometheus stamps a sample when it starts the
		// scrape, a few ms before the exporter reads the counter: each
		// sample is off by rate × that lag, against ~150 requests between
		// the first and last samples of a 4s range. That is under 1% on an
		// idle machine; 5% leaves room for a loaded CI runner's lags of
		// ~100 ms and still catches averaging instead of summing (25 req/s)
		// or a window read before it was filled.
		if !obs.HasDemand || !within(obs.Demand, rate, 0.05) {
			t.Errorf("demand: got %v (has %v), want %v ± 5%%", obs.Demand, obs.HasDemand, rate)
		}
		// Utilization: gauges set once, 50 and 75: the mean is exact.
		if want := (pods[0].cpu + pods[1].cpu) / 2; !obs.HasUtilization || !within(obs.Utilization, want, 1e-9) {
			t.Errorf("utilization: got %v (has %v), want %v", obs.Utilization, obs.HasUtilization, want)
		}
		// Error ratio and latency are ratios of counters that grow in
		// proportion and are read in the same scrape: timing cancels out.
		// 1% covers a scrape landing between two counter updates.
		if want := (pods[0].errorRatio + pods[1].errorRatio) / 2; !obs.HasHealth || !within(obs.ErrorRatio, want, 0.01) {
			t.Errorf("error ratio: got %v (has %v), want %v ± 1%%", obs.ErrorRatio, obs.HasHealth, want)
		}
		if want := (pods[0].latency + pods[1].latency) / 2; !within(obs.Latency.Seconds(), want, 0.01) {
			t.Errorf("latency: got %v, want %vs ± 1%%", obs.Latency, want)
		}
		if age := now.Sub(obs.Time); age < 0 || age > time.Second {
			t.Errorf("time: got %v, %v before now, want the last evaluation, at now", obs.Time, age)
		}
		if w := s.Warnings(); len(w) != 0 {
			t.Errorf("warnings: got %q, want none", w)
		}
	})

	t.Run("a sum() in the query is kept as it is", func(t *testing.T) {
		s := source(Queries{Demand: fmt.Sprintf(`sum(rate(http_requests_total{job="web"}[%s]))`, rateRange)})
		obs, err := s.Observe(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !obs.HasDemand || !within(obs.Demand, rate, 0.05) {
			t.Errorf("demand: got %v (has %v), want %v ± 5%%", obs.Demand, obs.HasDemand, rate)
		}
	})

	t.Run("queries without data: missing, not an error", func(t *testing.T) {
		s := source(Queries{
			Demand:      `sum(rate(http_requests_total{job="nope"}[4s]))`,
			Utilization: `cpu_utilization_percent{job="nope"}`,
			Latency:     `rate(http_request_duration_seconds_sum{job="nope"}[4s])`,
		})
		now := time.Now()
		obs, err := s.Observe(context.Background(), now)
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		if obs.HasDemand || obs.HasUtilization || obs.HasHealth {
			t.Errorf("got %+v, want nothing observed", obs)
		}
		if !obs.Time.Equal(now) {
			t.Errorf("time: got %v, want now %v", obs.Time, now)
		}
	})

	t.Run("NaN answers are dropped", func(t *testing.T) {
		// 0/0: no errors out of no requests.
		s := source(Queries{Demand: ratePerPod("http_requests_total"),
			ErrorRatio: `vector(0) / vector(0)`})
		obs, err := s.Observe(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !obs.HasDemand || obs.HasHealth {
			t.Errorf("got %+v, want demand and no health", obs)
		}
		if w := s.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "queries.errorRatio: all ") {
			t.Errorf("warnings: got %q, want a note on queries.errorRatio", w)
		}
	})

	for _, tc := range []struct {
		name, query, want string
	}{
		{"a syntax error", `rate(cpu_utilization_percent{job="web"}[`, "parse error"},
		{"a type error", `rate(cpu_utilization_percent{job="web"})`, "expected type range vector"},
	} {
		t.Run("bad PromQL: "+tc.name, func(t *testing.T) {
			s := source(Queries{Demand: ratePerPod("http_requests_total"), Utilization: tc.query})
			_, err := s.Observe(context.Background(), time.Now())
			wantError(t, err, headroom.EINVALID, "queries.utilization: ", tc.want, tc.query)
			t.Logf("error: %v", err)
		})
	}

	t.Run("stale data: missing once older than MaxAge", func(t *testing.T) {
		// gone stopped answering seconds ago: Prometheus marked its series
		// stale at the next failed scrape, so the newest sample is from then.
		q := Queries{Demand: ratePerPod("http_requests_total"), Utilization: `cpu_utilization_percent{job="gone"}`}
		s := source(q)
		s.Window = 30 * time.Second // reaches back to when gone answered
		obs, err := s.Observe(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !obs.HasUtilization || obs.Utilization != 62.5 {
			t.Errorf("default MaxAge: got %+v, want gone's old utilization 62.5", obs)
		}

		s.MaxAge = 2 * time.Second
		now := time.Now()
		obs, err = s.Observe(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		if !obs.HasDemand || obs.HasUtilization {
			t.Errorf("MaxAge 2s: got %+v, want web's demand and no utilization", obs)
		}
		if age := now.Sub(obs.Time); age > time.Second {
			t.Errorf("time: got %v before now, want the fresh demand's time", age)
		}
		if w := s.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "queries.utilization: newest sample is ") {
			t.Errorf("warnings: got %q, want a note on queries.utilization", w)
		}
	})

	// Last: it ends the server.
	t.Run("prometheus killed: unavailable", func(t *testing.T) {
		s := source(Queries{Demand: ratePerPod("http_requests_total")})
		p.Kill()
		_, err := s.Observe(context.Background(), time.Now())
		wantError(t, err, headroom.EUNAVAILABLE, "queries.demand", p.URL, "unreachable")
		t.Logf("error: %v", err)
	})
}
