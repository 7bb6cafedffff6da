package recommend_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/traffic"
)

// example is the shipped example's directory.
const example = "../examples/bitbucket-2021-06-30/"

// tracesDir holds the real traces (../shared/data/traces beside the
// repository); they are never copied into it.
const tracesDir = "../../shared/data/traces"

// requireTraces skips the test when the traces are absent, and fails it
// under CI, where they must be.
func requireTraces(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(tracesDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real traces missing at %s (CI=true, so this is a failure): %v", tracesDir, err)
		}
		t.Skipf("real traces missing at %s: skipping (they sit beside the repository as ../shared/data/traces)", tracesDir)
	}
}

// days returns the example's generator's traffic for n days from start.
func days(t testing.TB, start time.Time, n int, seed uint64) *headroom.Series {
	t.Helper()
	o := synth.Defaults()
	o.Start, o.Days, o.Seed = start, n, seed
	return exampletest.Synth(t, o, "synth")
}

func loadExample(t testing.TB) (*headroom.Service, *headroom.Policy) {
	t.Helper()
	svc, err := policy.LoadService(example + "service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.LoadPolicy(example + "baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return svc, p
}

func trace(t testing.TB, file string, scale float64) *headroom.Series {
	t.Helper()
	s, _, err := traffic.ReadFile(filepath.Join(tracesDir, file), traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	traffic.Scale(s, scale)
	return s
}
