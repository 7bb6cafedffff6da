package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/metrics/prom"
	"github.com/headroomhq/headroom/metrics/prom/promtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// fakePrometheus answers query_range with a constant value for every
// query. metrics/prom is tested against a real Prometheus; this test is
// about serve's wiring.
func fakePrometheus(t *testing.T, value float64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().Unix()
		var values [][2]any
		for ts := now - 30; ts <= now; ts += 15 {
			values = append(values, [2]any{ts, fmt.Sprint(value)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{
			"resultType": "matrix", "result": []any{map[string]any{"metric": map[string]string{}, "values": values}}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// writeServeConfig writes a headroom.yaml with one enforced target: the
// example's baseline policy (the proposed one beside it), a fake Prometheus
// seeing 3,000 req/s, and a command actuator over a file holding 20.
func writeServeConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	srv := fakePrometheus(t, 3000)
	count := filepath.Join(dir, "count")
	os.WriteFile(count, []byte("20"), 0o644)
	os.WriteFile(filepath.Join(dir, "scale.sh"), []byte("#!/bin/sh\nprintf '%s' \"$HEADROOM_DESIRED\" > \""+count+"\"\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "read.sh"), []byte("#!/bin/sh\ncat \""+count+"\"\n"), 0o755)
	for _, f := range []string{"service.yaml", "baseline.yaml", "proposed.yaml"} {
		data, err := os.ReadFile(example + f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte(`apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  loopInterval: 1s
  targets:
  - name: web
    mode: enforce
    service: service.yaml
    policy: baseline.yaml
    proposed: proposed.yaml
    prometheus:
      url: `+srv.URL+`
      demand: sum(rate(http_requests_total[1m]))
      utilization: avg(cpu)
    command:
      scale: ["`+filepath.Join(dir, "scale.sh")+`"]
      read: ["`+filepath.Join(dir, "read.sh")+`"]
`), 0o644)
	return cfg
}

func TestServeOnceRecordsDecisions(t *testing.T) {
	cfg := writeServeConfig(t)
	dir := filepath.Dir(cfg)
	count := filepath.Join(dir, "count")
	code, out, stderr := run(t, "serve", "--config", cfg, "--once")
	if code != ExitPass || !strings.Contains(out, "1 target(s)") {
		t.Fatalf("serve --once: exit %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "headroom.db")); err != nil {
		t.Fatalf("no store: %v", err)
	}
	// 3000 req/s on 20 instances of 100 req/s is 100% cpu against a 60%
	// target: the live policy scales out, and the command ran.
	data, _ := os.ReadFile(count)
	if got := strings.TrimSpace(string(data)); got == "20" {
		t.Errorf("the actuator was not called: count still %s\n%s", got, stderr)
	}
	code, out, stderr = run(t, "decisions", "web", "--config", cfg)
	if code != ExitPass || !strings.Contains(out, "enforce") || !strings.Contains(out, "3000 req/s") {
		t.Errorf("decisions: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, "decisions", "web", "--config", cfg, "--format", "json")
	var recs []map[string]any
	if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 {
		t.Errorf("decisions --format json: exit %d, %d records\n%s%s", code, len(recs), out, stderr)
	}
	code, out, stderr = run(t, "shadow", "web", "--config", cfg)
	if code != ExitPass || out == "" {
		t.Errorf("shadow: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, "shadow", "web", "--config", cfg, "--format", "json")
	var shadow struct {
		Target    string           `json:"target"`
		Decisions int              `json:"decisions"`
		Diverged  []map[string]any `json:"diverged"`
	}
	if code != ExitPass || json.Unmarshal([]byte(out), &shadow) != nil || shadow.Target != "web" || shadow.Decisions != 1 || shadow.Diverged == nil {
		t.Errorf("shadow --format json: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := run(t, "decisions", "nope", "--config", cfg); code != ExitInvalid || !strings.Contains(stderr, `no target "nope"`) {
		t.Errorf("unknown target: exit %d\n%s", code, stderr)
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte("apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  targets:\n  - name: web\n    mode: sideways\n"), 0o644)
	code, _, stderr := run(t, "serve", "--config", cfg, "--once")
	if code != ExitInvalid || !strings.Contains(stderr, "headroom.yaml:6") {
		t.Errorf("bad config: exit %d\n%s", code, stderr)
	}
}

// Regression guard for the wiring of serve's own metrics and page: a
// running Main answers /metrics with the controller's counters after its
// first loop, and the decisions page shows that loop.
func TestServeMetricsEndpoint(t *testing.T) {
	cfgPath := writeServeConfig(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMain(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Addr = "127.0.0.1:0"
	if err := m.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, false) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(m.URL + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), `headroom_decisions_total{reason=`) && strings.Contains(string(body), "headroom_loop_duration_seconds") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed a decision (last error %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The decisions page is mounted beside them, on the same journal.
	resp, err := http.Get(m.URL + "/decisions/web")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "3000 req/s") {
		t.Errorf("/decisions/web: %s\n%s", resp.Status, body)
	}
}

// serve against a real Prometheus (Debian's prometheus, started by the
// test) scraping a real exporter driven at 3,000 req/s and 100% cpu: one
// iteration observes that demand and scales out through the command.
func TestServeAgainstRealPrometheus(t *testing.T) {
	bin := promtest.Binary(t)
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounter(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."})
	cpu := prometheus.NewGauge(prometheus.GaugeOpts{Name: "cpu_percent", Help: "CPU busy."})
	reg.MustRegister(requests, cpu)
	cpu.Set(100)
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer exporter.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The counter follows the clock, not the ticks (a loaded machine
		// drops ticks): at every tick it is brought to 3,000 × elapsed.
		begin, served := time.Now(), 0.0
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				due := 3000 * time.Since(begin).Seconds()
				requests.Add(due - served)
				served = due
			}
		}
	}()
	server := promtest.Start(t, bin, map[string]string{"web": strings.TrimPrefix(exporter.URL, "http://")})

	queries := prom.Queries{Demand: "sum(rate(http_requests_total[5s]))", Utilization: "avg(cpu_percent)"}
	src, err := prom.New(server.URL, queries)
	if err != nil {
		t.Fatal(err)
	}
	src.Window, src.Step = 5*time.Second, time.Second
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Wait until the whole window sees the steady rate, not the ramp
		// from the exporter's start, so serve's own window does too.
		obs, err := src.Observe(context.Background(), time.Now())
		if err == nil && obs.HasDemand && obs.Demand > 2850 && obs.Demand < 3150 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus never saw the exporter's rate (last %+v, %v); its log:\n%s", obs, err, server.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}

	cfg := writeServeConfig(t)
	data, _ := os.ReadFile(cfg)
	text := string(data)
	start := strings.Index(text, "    prometheus:")
	end := strings.Index(text, "    command:")
	text = text[:start] + "    prometheus:\n      url: " + server.URL + "\n      demand: '" + queries.Demand + "'\n      utilization: '" + queries.Utilization + "'\n      window: 5s\n" + text[end:]
	os.WriteFile(cfg, []byte(text), 0o644)

	if code, out, stderr := run(t, "serve", "--config", cfg, "--once"); code != ExitPass {
		t.Fatalf("serve --once: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr := run(t, "decisions", "web", "--config", cfg, "--format", "json")
	var recs []struct {
		Observation struct {
			Demand    float64
			HasDemand bool
		}
		Applied bool
		Error   string
	}
	if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 {
		t.Fatalf("decisions: exit %d\n%s%s", code, out, stderr)
	}
	r := recs[0]
	if !r.Observation.HasDemand || r.Observation.Demand < 2700 || r.Observation.Demand > 3300 || !r.Applied || r.Error != "" {
		t.Errorf("record: %+v; want about 3000 req/s observed and a scale-out applied", r)
	}
}

// serve --once reports a failed iteration in its exit code, for cron and CI.
func TestServeOnceFailureExits(t *testing.T) {
	cfg := writeServeConfig(t)
	os.WriteFile(filepath.Join(filepath.Dir(cfg), "read.sh"), []byte("#!/bin/sh\necho 'platform down' >&2\nexit 3\n"), 0o755)
	code, _, stderr := run(t, "serve", "--config", cfg, "--once")
	if code == ExitPass || !strings.Contains(stderr, "1 of 1 target(s) failed: web: read capacity") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// decisions --limit N shows the newest N of the window.
func TestDecisionsLimitIsTheNewest(t *testing.T) {
	cfg := writeServeConfig(t)
	for range 3 {
		if code, _, stderr := run(t, "serve", "--config", cfg, "--once"); code != ExitPass {
			t.Fatalf("serve --once: exit %d\n%s", code, stderr)
		}
	}
	read := func(args ...string) []map[string]any {
		t.Helper()
		code, out, stderr := run(t, append([]string{"decisions", "web", "--config", cfg, "--format", "json"}, args...)...)
		var recs []map[string]any
		if code != ExitPass || json.Unmarshal([]byte(out), &recs) != nil {
			t.Fatalf("decisions %v: exit %d\n%s%s", args, code, out, stderr)
		}
		return recs
	}
	all, last := read(), read("--limit", "1")
	if len(all) != 3 || len(last) != 1 || last[0]["time"] != all[2]["time"] {
		t.Errorf("--limit 1 gave %v of %d records; want the newest, %v", last, len(all), all[len(all)-1]["time"])
	}
}
