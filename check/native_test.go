package check_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
				t.Errorf("capacity over time differs from %s:\n--- got\n%s", golden, got.Bytes())
			}
		})
	}
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
