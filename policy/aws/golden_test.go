package aws_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
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
			got := dump(pol, warnings, err)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, golden, got, want)
			}
		})
	}
}

// dump writes a policy, its warnings or its error in a stable text form.
func dump(p *headroom.Policy, warnings []string, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error (%s):\n", headroom.ErrorCode(err))
		for _, e := range inputErrors(err) {
			fmt.Fprintf(&b, "  line %d field %q: %s\n", e.Line, e.Field, e)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "policy %q from %s\n", p.Name, p.File)
	fmt.Fprintf(&b, "min %d max %d initial %d\n", p.Min, p.Max, p.Initial)
	zone := "unset"
	if p.TimeZone != nil {
		zone = p.TimeZone.String()
	}
	fmt.Fprintf(&b, "time zone %s, %d schedules\n", zone, len(p.Schedules))
	for _, s := range p.Schedules {
		fmt.Fprintf(&b, "schedule %q %q in %s: min %s max %s desired %s, delay %v\n", s.Name, s.Spec, s.TimeZone, count(s.Min), count(s.Max), count(s.Desired), s.Delay)
		at := from
		for range 4 {
			if at = s.Schedule.Next(at); at.IsZero() {
				break
			}
			fmt.Fprintf(&b, "  at %s (%s)\n", at.Format(time.RFC3339), at.In(s.TimeZone).Format("Mon 15:04 MST"))
		}
	}
	if t := p.Target; t != nil {
		fmt.Fprintf(&b, "target tracking %q: sync %v window %v delay %v\n", t.Algorithm, t.SyncPeriod, t.Window, t.Delay)
		a := t.AWS
		fmt.Fprintf(&b, "  alarms: period %v, high after %d, low after %d under %g of target; warm-up %v\n", a.Period, a.OutDatapoints, a.InDatapoints, a.InThreshold, a.InstanceWarmup)
		for i, m := range t.Metrics {
			pp := a.Policies[i]
			fmt.Fprintf(&b, "  policy %q: metric %q kind %s target %.4g; cooldown out %v in %v; scale-in disabled %t\n",
				pp.Name, m.Name, m.Kind, m.Target, pp.ScaleOutCooldown, pp.ScaleInCooldown, pp.DisableScaleIn)
		}
	}
	for _, s := range p.Steps {
		m := s.Metric
		fmt.Fprintf(&b, "step scaling %q: metric %q kind %s total %t; alarm %s %g, %d of %d datapoints; %s, min magnitude %d; cooldown %v\n",
			s.Name, m.Name, m.Kind, m.Total, s.Comparison, s.Threshold, s.DatapointsToAlarm, s.EvaluationPeriods, s.AdjustmentType, s.MinAdjustmentMagnitude, s.Cooldown)
		for _, st := range s.Steps {
			fmt.Fprintf(&b, "  metric - threshold in [%s, %s): %+g\n", bound(st.Lower, "-inf"), bound(st.Upper, "+inf"), st.Adjustment)
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

func bound(f *float64, inf string) string {
	if f == nil {
		return inf
	}
	return fmt.Sprintf("%.4g", *f)
}

func count(n *int) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// inputErrors flattens err into its input errors.
func inputErrors(err error) headroom.InputErrors {
	var list headroom.InputErrors
	if errors.As(err, &list) {
		return list
	}
	var one *headroom.InputError
	if errors.As(err, &one) {
		return headroom.InputErrors{one}
	}
	return nil
}
