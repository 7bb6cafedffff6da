package keda_test

import (
	"flag"
	"testing"

	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy/keda"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden translates every testdata/*.yaml and compares a canonical dump
// of the policy (or of the error) with testdata/*.golden. Run with -update
// to rewrite the golden files, and review the diff.
func TestGolden(t *testing.T) {
	policytest.GoldenYAML(t, keda.Detect, keda.Parse, "no-scaledobject", *update)
}
