package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/internal/tracetest"
	"github.com/headroomhq/headroom/policy/dialect"
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

// TestRecommendThenCheckPassesOnRealTrace: learnt from NASA's July 1995
// and proved on its August (×1000, the example's service), the written
// recommendation passes `check --baseline CURRENT --proposed NEW` on
// August. Regression test for the 720 s the recommendation missed there.
func TestRecommendThenCheckPassesOnRealTrace(t *testing.T) {
	traces := tracetest.Dir(t)
	if testing.Short() {
		t.Skip("two months of simulations: not in -short")
	}
	dir := t.TempDir()
	cur := filepath.Join(dir, "current.yaml")
	if err := os.WriteFile(cur, []byte(`# What a team without schedules runs.
apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata:
  name: plain-hpa
spec:
  minInstances: 2
  maxInstances: 300
  timeZone: America/New_York
  targetTracking:
    metric: cpu
    target: 60
`), 0o644); err != nil {
		t.Fatal(err)
	}
	svc := "../../examples/bitbucket-2021-06-30/service.yaml"
	jul, aug := filepath.Join(traces, "nasa_http_jul1995_1min.csv"), filepath.Join(traces, "nasa_http_aug1995_1min.csv")
	out := filepath.Join(dir, "recommended.yaml")
	code, stdout, stderr := run(t, "recommend", "--service", svc, "--policy", cur, "--traffic", jul, "--holdout-traffic", aug, "--scale", "1000", "-o", out)
	if code != ExitPass {
		t.Fatalf("recommend: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"hourly oracle", "PASS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("recommend's output lacks %q:\n%s", want, stdout)
		}
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), "# What a team without schedules runs.") {
		t.Errorf("the written policy lost CURRENT's comment:\n%s", written)
	}
	code, stdout, stderr = run(t, "check", "--service", svc, "--baseline", cur, "--proposed", out, "--traffic", aug, "--scale", "1000")
	if code != ExitPass {
		t.Fatalf("check of the recommendation on August: exit %d\n%s\n%s", code, stdout, stderr)
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

// TestRecommendWritesEachFormat: the shipped example's policy as a KEDA
// ScaledObject, as Application and EC2 Auto Scaling output and as a plain
// HPA: the recommendation is written in CURRENT's format, `check
// --baseline CURRENT --proposed NEW` passes on the traffic, and the written
// file read back and written again is the same file (what the search
// simulated is what was written).
//
// This tests the CLI's plumbing, not the search: each format learns from
// the example's one day (a single fold, so no cross-validation) and proves
// on that same day (--holdout 0). The search verified the policy it
// simulated on that day, so a check that fails there means the file
// written is not what was simulated. It learnt from two weeks and proved on
// the week after until the KEDA case alone took more than 10 minutes (each
// decision of a KEDA policy's simulation evaluates its cron triggers); the
// search's quality on held-out traffic is tested in package recommend and
// bench/recommend, and end to end by TestRecommendThenCheckPasses and
// TestRecommendThenCheckPassesOnRealTrace.
func TestRecommendWritesEachFormat(t *testing.T) {
	dir := t.TempDir()
	day := "../../examples/bitbucket-2021-06-30/traffic.csv"
	svc := "../../examples/bitbucket-2021-06-30/service.yaml"
	tests := []struct {
		name, policy, out string
		// also lists the other files written, and what the output says.
		also, says []string
	}{
		{"keda", "../../policy/keda/testdata/example-keda.yaml", "new.yaml", nil, []string{"PASS"}},
		{"aws application auto scaling", "../../policy/aws/testdata/example-ecs.json", "new.json", []string{"new.sh"}, []string{"PASS"}},
		{"aws ec2 auto scaling", "../../policy/aws/testdata/example-ec2.json", "new.json", []string{"new.sh"}, []string{"PASS"}},
		{"hpa", "../../policy/hpa/testdata/example-hpa.yaml", "new.yaml", []string{"new.keda.yaml"},
			[]string{"a HorizontalPodAutoscaler has no schedules", "guard mode", "KEDA cron triggers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(sub, tt.out)
			code, stdout, stderr := run(t, "recommend", "--service", svc, "--policy", tt.policy, "--traffic", day, "--holdout", "0", "-o", out)
			if code != ExitPass {
				t.Fatalf("recommend: exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, s := range tt.says {
				if !strings.Contains(stdout, s) {
					t.Errorf("recommend's output lacks %q:\n%s", s, stdout)
				}
			}
			t.Logf("%s", stdout)
			for _, written := range append([]string{tt.out}, tt.also...) {
				path := filepath.Join(sub, written)
				if _, err := os.Stat(path); err != nil {
					t.Fatalf("%s not written: %v\n%s", written, err, stderr)
				}
				if strings.HasSuffix(written, ".sh") {
					continue
				}
				code, stdout, stderr = run(t, "check", "--service", svc, "--baseline", tt.policy, "--proposed", path, "--traffic", day)
				if code != ExitPass {
					t.Errorf("check --baseline %s --proposed %s: exit %d\n%s\n%s", tt.policy, written, code, stdout, stderr)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				p, _, err := dialect.ParsePolicy(path, data, dialect.Auto)
				if err != nil {
					t.Fatal(err)
				}
				w, err := dialect.NewWriter(path, data, dialect.Auto)
				if err != nil {
					t.Fatal(err)
				}
				again, err := w.Write(p)
				if err != nil {
					t.Fatal(err)
				}
				if string(again) != string(data) {
					t.Errorf("%s read back and written again differs:\n%s\nwant\n%s", written, again, data)
				}
			}
		})
	}
}
