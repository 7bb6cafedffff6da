package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestServeOnceRecordsDecisions(t *testing.T) {
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
	if code, _, stderr := run(t, "decisions", "nope", "--config", cfg); code != ExitInvalid || !strings.Contains(stderr, `no target "nope"`) {
		t.Errorf("unknown target: exit %d\n%s", code, stderr)
	}
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte("apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  targets:\n  - name: web\n    mode: guard\n"), 0o644)
	code, _, stderr := run(t, "serve", "--config", cfg, "--once")
	if code != ExitInvalid || !strings.Contains(stderr, "headroom.yaml:6") {
		t.Errorf("bad config: exit %d\n%s", code, stderr)
	}
}
