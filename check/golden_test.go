package check_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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

// Every case's README.md states what its want.txt holds — "Verdict
// (want.txt): FAIL", one "Violations (want.txt): <start>, for <duration>"
// line per violation, and "Cause (want.txt): <part of the cause>" — beside
// what the case was designed to show, so a regenerated want.txt that
// drifted from the design disagrees with its README and fails here.
func TestGoldenREADMEs(t *testing.T) {
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatalf("every case needs a README.md saying what it shows and what want.txt holds: %v", err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var verdict, causes []string
			var spans []string
			for _, line := range strings.Split(string(readme), "\n") {
				key, value, ok := strings.Cut(line, " (want.txt): ")
				if !ok {
					continue
				}
				switch key {
				case "Verdict":
					verdict = append(verdict, value)
				case "Violations":
					spans = append(spans, value)
				case "Cause":
					causes = append(causes, value)
				default:
					t.Errorf("README line %q: expected Verdict, Violations or Cause", line)
				}
			}
			if len(verdict) != 1 || !strings.HasPrefix(string(want), verdict[0]+": ") {
				t.Errorf("README says the verdict is %v; want.txt starts %.30q", verdict, want)
			}
			var got []string
			for _, m := range regexp.MustCompile(`(?m)^  \d+\. (.+?)(?: = .+?)?, (for \S+)`).FindAllStringSubmatch(string(want), -1) {
				got = append(got, m[1]+", "+m[2])
			}
			// want.txt lists the proposed policy's violations first; the
			// README states the proposed policy's.
			if len(got) > len(spans) {
				got = got[:len(spans)]
			}
			if !slices.Equal(got, spans) {
				t.Errorf("README says the violations are %q; want.txt holds %q", spans, got)
			}
			causeLines := regexp.MustCompile(`(?m)^\s+cause: (.*)$`).FindAllStringSubmatch(string(want), -1)
			for _, c := range causes {
				found := false
				for _, l := range causeLines {
					found = found || strings.Contains(l[1], c)
				}
				if !found {
					t.Errorf("README says a cause reads %q; want.txt has no such cause", c)
				}
			}
		})
	}
}
