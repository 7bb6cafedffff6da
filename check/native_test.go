package check_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/traffic"
)

// TestNativeGolden replays the documentation examples in testdata/native
// (each folder: README.md with the doc URL and the stated outcome,
// service.yaml, policy.yaml in its native format, traffic.csv) and pins the
// capacity over time — every decision that changed it, and ready/desired
// instances each minute — in want.txt. Rewrite with -update and read the
// diff against the README's statement.
//
// Two lines of each README are checked, so that -update cannot hide a
// drift: "Capacity (want.txt): 1 → 2 → ..." must be the desired count of
// every decision want.txt lists, and "Documented: 1 … 6 → 4" — the
// document's own numbers — must hold for the run itself: its first count
// is the run's first, "→ n" is the very next decision, and "… n" a later
// decision to n that the run then holds for a minute or more.
func TestNativeGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/native/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			svc, err := policy.LoadService(filepath.Join(dir, "service.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			pol, _, err := dialect.LoadPolicy(policyFile(t, dir), dialect.Auto)
			if err != nil {
				t.Fatal(err)
			}
			tr, _, err := traffic.ReadFile(filepath.Join(dir, "traffic.csv"), traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var minutes bytes.Buffer
			res, err := sim.Run(sim.Config{Service: svc, Policy: pol, Traffic: tr}, sim.SinkFunc(func(s *headroom.Second) {
				if s.Time.Second() == 0 {
					fmt.Fprintf(&minutes, "%s demand=%.0f ready=%d launching=%d desired=%d errors=%.3f\n",
						s.Time.Format("2006-01-02T15:04Z07:00"), s.Demand, s.Ready, s.Launching, s.Desired, s.ErrorRatio)
				}
			}))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			fmt.Fprintln(&got, "decisions that changed capacity:")
			for _, d := range res.Decisions {
				fmt.Fprintf(&got, "%s %d -> %d [%d..%d] %s: %s\n", d.Time.UTC().Format(time.RFC3339), d.Current, d.Desired, d.Min, d.Max, d.Reason.Code, d.Reason.Message)
			}
			fmt.Fprintln(&got, "\nevery minute:")
			got.Write(minutes.Bytes())
			readme, documented := readmeCounts(t, dir)
			end := tr.Start.Add(time.Duration(tr.Seconds()) * time.Second)
			if err := followsDocument(documented, res.Decisions, end); err != nil {
				var counts []int
				for _, d := range res.Decisions {
					counts = append(counts, d.Desired)
				}
				t.Errorf("the run (%v) does not do what README.md documents (%s): %v", counts, documented, err)
			}
			golden := filepath.Join(dir, "want.txt")
			defer func() {
				if w := wantCounts(t, golden); !slices.Equal(w, readme["Capacity (want.txt)"]) {
					t.Errorf("README.md says want.txt holds %v; it holds %v", readme["Capacity (want.txt)"], w)
				}
			}()
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
				t.Errorf("capacity over time differs from %s:\n--- got\n%s", golden, got.Bytes())
			}
		})
	}
}

// readmeCounts reads the "Capacity (want.txt): 1 → 2 → 3" line of a case's
// README.md, and returns it with the text of its "Documented:" line.
func readmeCounts(t *testing.T, dir string) (map[string][]int, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	documented := ""
	for _, line := range strings.Split(string(data), "\n") {
		label, list, ok := strings.Cut(line, ": ")
		list, _, _ = strings.Cut(list, " (") // a trailing remark
		if ok && label == "Documented" {
			documented = list
		}
		if !ok || label != "Capacity (want.txt)" {
			continue
		}
		for _, f := range strings.Split(list, "→") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("README.md: %s: %q is not a count", label, f)
			}
			out[label] = append(out[label], n)
		}
	}
	if len(out["Capacity (want.txt)"]) == 0 || documented == "" {
		t.Fatalf("README.md needs a \"Documented: 1 … 6 → 4\" and a \"Capacity (want.txt): 1 → 2 → ...\" line")
	}
	return out, documented
}

// followsDocument checks decisions against a Documented line (see
// TestNativeGolden); end is when the run ends.
func followsDocument(documented string, ds []headroom.Decision, end time.Time) error {
	held := func(j int) time.Duration {
		if j+1 < len(ds) {
			return ds[j+1].Time.Sub(ds[j].Time)
		}
		return end.Sub(ds[j].Time)
	}
	fields := strings.Fields(strings.NewReplacer("→", " → ", "…", " … ").Replace(documented))
	i := -1
	for k := 0; k < len(fields); k++ {
		sep := "→"
		if k > 0 {
			sep = fields[k]
			k++
		}
		if k >= len(fields) {
			return fmt.Errorf("%q ends with %s", documented, sep)
		}
		n, err := strconv.Atoi(fields[k])
		if err != nil {
			return fmt.Errorf("%q: %q is not a count", documented, fields[k])
		}
		switch {
		case sep == "→":
			i++
			if i >= len(ds) || ds[i].Desired != n {
				return fmt.Errorf("decision %d is not to %d", i+1, n)
			}
		case sep == "…":
			j := i + 1
			for j < len(ds) && !(ds[j].Desired == n && held(j) >= time.Minute) {
				j++
			}
			if j == len(ds) {
				return fmt.Errorf("after decision %d, no decision to %d held for a minute", i+1, n)
			}
			i = j
		default:
			return fmt.Errorf("%q: %q is not → or …", documented, sep)
		}
	}
	return nil
}

// wantCounts is the desired count of every decision a want.txt lists.
func wantCounts(t *testing.T, golden string) []int {
	t.Helper()
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	decisions, _, _ := strings.Cut(string(data), "\nevery minute:")
	var counts []int
	for _, line := range strings.Split(decisions, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "->" {
			continue
		}
		n, err := strconv.Atoi(f[3])
		if err != nil {
			t.Fatalf("%s: %q: %v", golden, line, err)
		}
		counts = append(counts, n)
	}
	return counts
}

// policyFile is the case's policy: policy.yaml, or policy.json for AWS.
func policyFile(t *testing.T, dir string) string {
	t.Helper()
	for _, name := range []string{"policy.yaml", "policy.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return filepath.Join(dir, name)
		}
	}
	t.Fatalf("%s has no policy.yaml or policy.json", dir)
	return ""
}
