// Package tracetest finds the real traffic traces the team shares beside
// the repository (../shared/data/traces; they are never copied into it) for
// tests: a test skips with a message when they are absent, and fails under
// CI=true, where they must be.
package tracetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/traffic"
)

// Rel is the traces' directory relative to the repository's root.
const Rel = "../shared/data/traces"

// Dir returns the traces' directory, found from the test's working
// directory up to go.mod; it skips the test (fails it under CI=true) when
// the directory is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above %s", dir)
		}
		dir = parent
	}
	traces := filepath.Join(dir, Rel)
	if _, err := os.Stat(traces); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real traces missing at %s (CI=true, so this is a failure): %v", traces, err)
		}
		t.Skipf("real traces missing at %s: skipping (they sit beside the repository as %s)", traces, Rel)
	}
	return traces
}

// Read reads trace name (a file of Dir) scaled by factor.
func Read(t testing.TB, name string, factor float64) *headroom.Series {
	t.Helper()
	s, _, err := traffic.ReadFile(filepath.Join(Dir(t), name), traffic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if factor != 1 {
		traffic.Scale(s, factor)
	}
	return s
}
