package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/synth"
)

// generated writes the example's generator's traffic for n days from
// start to a file in dir.
func generated(t *testing.T, dir string, start time.Time, n int) string {
	t.Helper()
	path := filepath.Join(dir, "traffic.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	o := synth.Defaults()
	o.Start, o.Days = start, n
	if err := synth.Write(f, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRecommendThenCheckPasses: the recommendation written for the shipped
// example (three weeks of its generated traffic, the last held out) passes
// `check --baseline CURRENT --proposed NEW` on that traffic.
func TestRecommendThenCheckPasses(t *testing.T) {
	dir := t.TempDir()
	tr := generated(t, dir, time.Date(2021, 6, 16, 0, 0, 0, 0, time.UTC), 21)
	out := filepath.Join(dir, "recommended.yaml")
	svc, cur := "../../examples/bitbucket-2021-06-30/service.yaml", "../../examples/bitbucket-2021-06-30/baseline.yaml"
	code, stdout, stderr := run(t, "recommend", "--service", svc, "--policy", cur, "--traffic", tr, "--holdout", "7d", "-o", out)
	if code != ExitPass {
		t.Fatalf("recommend: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"CURRENT", "recommended", "Tortoise rule", "AWS-predictive style", "oracle", "PASS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("recommend's output lacks %q:\n%s", want, stdout)
		}
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// A minimal diff: the file's comments and the fields not searched stay.
	for _, keep := range []string{"# The policy in production before the change", "maxInstances: 120", "timeZone: America/Los_Angeles", "metric: cpu"} {
		if !strings.Contains(string(written), keep) {
			t.Errorf("the written policy lost %q:\n%s", keep, written)
		}
	}
	code, stdout, stderr = run(t, "check", "--service", svc, "--baseline", cur, "--proposed", out, "--traffic", tr)
	if code != ExitPass {
		t.Fatalf("check of the recommendation: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestRecommendBadInput(t *testing.T) {
	dir := t.TempDir()
	svc, cur := "../../examples/bitbucket-2021-06-30/service.yaml", "../../examples/bitbucket-2021-06-30/baseline.yaml"
	day := "../../examples/bitbucket-2021-06-30/traffic.csv"
	out := filepath.Join(dir, "new.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"less than a day after the holdout", []string{"--traffic", day, "--holdout", "7d"}, "recommend learns from at least 24h0m0s"},
		{"bad holdout", []string{"--traffic", day, "--holdout", "a week"}, "--holdout"},
		{"bad exclude", []string{"--traffic", day, "--exclude", "yesterday"}, "START/END"},
		{"margin out of range", []string{"--traffic", day, "--margin", "-1"}, "--margin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"recommend", "--service", svc, "--policy", cur, "-o", out}, tt.args...)
			code, _, stderr := run(t, args...)
			if code != ExitInvalid || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want exit 2 naming %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written after bad input", out)
			}
		})
	}
}
