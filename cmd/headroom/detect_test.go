package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/policy"
)

// tune --write on the shipped example: the table names the tuned rule and
// the references, and the service file keeps every comment and line it
// had, with a detection block that reads back.
func TestDetectTuneWriteKeepsComments(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := filepath.Join(dir, "service.yaml")
	if err := os.WriteFile(svc, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "detect", "tune", "--service", svc, "--policy", example+"baseline.yaml", "--traffic", example+"traffic.csv", "--write")
	if code != ExitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"tuned: fast", "SRE workbook (default)", "Sloth page 1h&5m 14.4", "Pyrra fast 1h&5m 14 for 2m", "10/10", "Wrote the detection: block"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	got, err := os.ReadFile(svc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), string(orig)) {
		t.Errorf("the file's original text changed:\n%s", got)
	}
	s, err := policy.LoadService(svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Detection) != 4 || s.Detection[0].Name != "fast" || s.Detection[0].KeepFiringFor <= 0 {
		t.Errorf("detection: got %+v, want fast and the three defaults", s.Detection)
	}
	// Tuned again: the block is replaced, the file otherwise the same.
	if code, out, stderr := run(t, "detect", "tune", "--service", svc, "--policy", example+"baseline.yaml", "--traffic", example+"traffic.csv", "--write"); code != ExitPass {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, stderr)
	}
	again, _ := os.ReadFile(svc)
	if string(again) != string(got) {
		t.Errorf("a second tune changed the file:\n%s\nwas:\n%s", again, got)
	}
}

func TestDetectTuneRefusesLessThanADay(t *testing.T) {
	short := filepath.Join(t.TempDir(), "hour.csv")
	data, err := os.ReadFile(example + "traffic.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if err := os.WriteFile(short, []byte(strings.Join(lines[:241], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "detect", "tune", "--service", example+"service.yaml", "--policy", example+"baseline.yaml", "--traffic", short)
	if code != ExitInvalid || !strings.Contains(stderr, "hour.csv covers 1h") || !strings.Contains(stderr, "at least 24h") {
		t.Fatalf("exit %d, stderr %s; want 2 and the traffic named with its length", code, stderr)
	}
}

func TestDetectRulesExport(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"service.yaml", "baseline.yaml"} {
		data, err := os.ReadFile(example + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `apiVersion: headroom.dev/v1alpha1
kind: Config
metadata: {name: test}
spec:
  targets:
  - name: web
    mode: off
    service: service.yaml
    policy: baseline.yaml
    prometheus:
      url: http://127.0.0.1:9090
      demand: 'sum(rate(http_requests_total[1m]))'
      errorRatio: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'
`
	path := filepath.Join(dir, "headroom.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "detect", "rules", "--config", path)
	if code != ExitPass {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"name: headroom-web", "alert: HeadroomSymptom", "rule: burn-1h-5m", "keep_firing_for: 5m", "[1h:15s]) / 0.001 >= 14.4"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules lack %q:\n%s", want, out)
		}
	}
	// No latency query: the latency rule is left out, with a warning.
	if !strings.Contains(stderr, "latency-5m-1m left out") {
		t.Errorf("stderr: got %q, want the latency rule's warning", stderr)
	}
	if code, _, stderr := run(t, "detect", "rules", "--config", path, "--target", "api"); code != ExitInvalid || !strings.Contains(stderr, "it has: web") {
		t.Errorf("unknown target: exit %d, %s", code, stderr)
	}
}
