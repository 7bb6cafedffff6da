package hpa_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy/hpa"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden translates every testdata/*.yaml and compares a canonical dump
// of the policy (or of the error) with testdata/*.golden. Run with -update
// to rewrite the golden files, and review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("got %d testdata files, want the corpus", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !hpa.Detect(data) && !strings.Contains(file, "no-hpa") {
				t.Errorf("Detect(%s) = false", file)
			}
			pol, warnings, err := hpa.Parse(file, data)
			policytest.Compare(t, strings.TrimSuffix(file, ".yaml")+".golden", policytest.Dump(pol, warnings, err), *update)
		})
	}
}
