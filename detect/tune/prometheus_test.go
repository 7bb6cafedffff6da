package tune

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// promTargets: the workbook's defaults with latency, a tuned rule beside
// them, a target with no latency query (its latency rule is left out), and
// an SLO with no budget.
func promTargets() []PromTarget {
	fast := detect.Rule{Name: TunedName, Long: time.Minute, Short: 30 * time.Second, Factor: 14.4, For: time.Minute,
		KeepFiringFor: time.Minute, Severity: headroom.SeverityPage}
	return []PromTarget{
		{Name: "web", Budget: 0.001, Interval: 15 * time.Second,
			ErrorRatio: `sum(rate(http_requests_total{job="web",code=~"5.."}[1m])) / sum(rate(http_requests_total{job="web"}[1m]))`,
			Latency:    `sum(rate(http_request_duration_seconds_sum{job="web"}[1m])) / sum(rate(http_request_duration_seconds_count{job="web"}[1m]))`,
			Rules:      Written(fast, 250*time.Millisecond)},
		{Name: "api", Budget: 0.01, Interval: time.Minute, ErrorRatio: `job:errors:ratio_rate1m{job="api"}`,
			Rules: detect.DefaultRules(300 * time.Millisecond)},
		{Name: "strict", Budget: 0, Interval: 15 * time.Second, ErrorRatio: `job:errors:ratio{job="strict"}`,
			Rules: []detect.Rule{{Name: "any", Long: 30 * time.Second, Factor: 1, Severity: headroom.SeverityTicket}}},
	}
}

func TestPrometheusRulesGolden(t *testing.T) {
	got, notes, err := PrometheusRules(promTargets(), PromOptions{AlertName: "HeadroomSymptom", Source: "headroom.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "target api: rule latency-5m-1m left out") {
		t.Errorf("notes: got %q, want the api latency rule left out", notes)
	}
	golden := filepath.Join("testdata", "rules.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./detect/tune -run Golden -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("rules differ from %s (-update rewrites it):\n%s", golden, got)
	}
}

// The exported file is a valid Prometheus rule file: promtool checks the
// YAML, every expression and every template. Debian's prometheus package
// ships promtool; under CI=true its absence fails the test.
func TestPrometheusRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found (CI=true, so this is a failure; apt-get install prometheus): %v", err)
		}
		t.Skipf("promtool not found: skipping (apt-get install prometheus): %v", err)
	}
	data, _, err := PrometheusRules(promTargets(), PromOptions{AlertName: "HeadroomSymptom"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, data)
	}
	if !strings.Contains(string(out), "SUCCESS: 7 rules found") {
		t.Errorf("promtool: got %s, want 7 rules", out)
	}
}

// The testdata README names every golden file it describes.
func TestGoldenREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("testdata", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden.*"))
	for _, g := range goldens {
		if !strings.Contains(string(readme), "`"+filepath.Base(g)+"`") {
			t.Errorf("testdata/README.md does not describe %s", filepath.Base(g))
		}
	}
}
