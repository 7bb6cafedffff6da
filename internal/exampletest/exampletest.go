// Package exampletest loads the shipped example
// (examples/bitbucket-2021-06-30) for the tests that replay the seed: one
// loader instead of a copy in every package's tests.
package exampletest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/traffic"
)

// Dir is the example's directory relative to the repository's root.
const Dir = "examples/bitbucket-2021-06-30"

// Example is the shipped example's files, read.
type Example struct {
	Service            *headroom.Service
	Baseline, Proposed *headroom.Policy
	Traffic            *headroom.Series
}

// Path returns the example's file name, from the test's working directory
// up to go.mod.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, Dir, name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads the example's service, both policies and its day of traffic.
func Load(t testing.TB) Example {
	t.Helper()
	var ex Example
	var err error
	if ex.Service, err = policy.LoadService(Path(t, "service.yaml")); err != nil {
		t.Fatal(err)
	}
	if ex.Baseline, err = policy.LoadPolicy(Path(t, "baseline.yaml")); err != nil {
		t.Fatal(err)
	}
	if ex.Proposed, err = policy.LoadPolicy(Path(t, "proposed.yaml")); err != nil {
		t.Fatal(err)
	}
	if ex.Traffic, _, err = traffic.ReadFile(Path(t, "traffic.csv"), traffic.Options{}); err != nil {
		t.Fatal(err)
	}
	return ex
}

// Synth returns the traffic the example's generator writes with o, read
// back as traffic.Read reads it (named name): the days of per-second
// traffic tests and benchmarks replay.
func Synth(t testing.TB, o synth.Options, name string) *headroom.Series {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Write(&buf, o); err != nil {
		t.Fatal(err)
	}
	s, _, err := traffic.Read(&buf, name, traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
