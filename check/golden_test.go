package check_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/report"
	"github.com/headroomhq/headroom/traffic"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/cases")

// TestGolden runs every case in testdata/cases: service.yaml, proposed.yaml,
// an optional baseline.yaml and traffic.csv go in; the text report (verdict,
// violations with their causes, totals) must equal want.txt. Rewrite with
// go test ./check -run Golden -update, and read the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			svc, err := policy.LoadService(filepath.Join(dir, "service.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			opt := check.Options{Service: svc}
			if opt.Proposed, err = policy.LoadPolicy(filepath.Join(dir, "proposed.yaml")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "baseline.yaml")); err == nil {
				if opt.Baseline, err = policy.LoadPolicy(filepath.Join(dir, "baseline.yaml")); err != nil {
					t.Fatal(err)
				}
			}
			tr, _, err := traffic.ReadFile(filepath.Join(dir, "traffic.csv"), traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			opt.Traffic = []*headroom.Series{tr}
			rep, err := check.Run(opt)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := report.Text(&got, rep); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("report differs from %s:\n--- got\n%s\n--- want\n%s", golden, got.Bytes(), want)
			}
		})
	}
}
