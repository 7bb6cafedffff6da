package aws_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/policytest"
	"github.com/headroomhq/headroom/policy/aws"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// from is where the golden dumps start listing activations: the Friday
// before clocks spring forward in the United States (10 March 2024), so
// that the dumps show schedules in a zone crossing DST.
var from = time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)

// corpus lists the inputs of the golden test: every testdata/*.json read
// with Parse, and every testdata/ folder read with ParseFiles, its files in
// name order.
func corpus(t testing.TB) map[string][]string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range entries {
		path := filepath.Join("testdata", e.Name())
		switch {
		case e.IsDir():
			files, err := filepath.Glob(filepath.Join(path, "*.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) == 0 {
				continue // testdata/fuzz holds the fuzzer's corpus
			}
			sort.Strings(files)
			out[e.Name()] = files
		case strings.HasSuffix(e.Name(), ".json"):
			out[strings.TrimSuffix(e.Name(), ".json")] = []string{path}
		}
	}
	return out
}

func readAll(t testing.TB, files []string) [][]byte {
	t.Helper()
	var contents [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, data)
	}
	return contents
}

// TestGolden translates the corpus and compares a canonical dump of each
// policy (or error) with testdata/NAME.golden. Run with -update to rewrite
// the golden files, and review the diff.
func TestGolden(t *testing.T) {
	inputs := corpus(t)
	if len(inputs) < 15 {
		t.Fatalf("got %d testdata inputs, want the corpus", len(inputs))
	}
	for name, files := range inputs {
		t.Run(name, func(t *testing.T) {
			contents := readAll(t, files)
			for i, data := range contents {
				if !aws.Detect(data) {
					t.Errorf("Detect(%s) = false", files[i])
				}
			}
			pol, warnings, err := aws.ParseFiles(files, contents)
			policytest.Compare(t, filepath.Join("testdata", name+".golden"), policytest.DumpFrom(from, pol, warnings, err), *update)
		})
	}
}

func bound(f *float64, inf string) string {
	if f == nil {
		return inf
	}
	return fmt.Sprintf("%.4g", *f)
}
