package keda_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/keda"
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
			if !keda.Detect(data) && !strings.Contains(file, "no-scaledobject") {
				t.Errorf("Detect(%s) = false", file)
			}
			pol, warnings, err := keda.Parse(file, data)
			got := dump(pol, warnings, err)
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
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
				t.Errorf("%s differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", file, golden, got, want)
			}
		})
	}
}

// dump writes a policy, its warnings or its error in a stable text form.
func dump(p *headroom.Policy, warnings []string, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error (%s):\n", headroom.ErrorCode(err))
		var list headroom.InputErrors
		if !errors.As(err, &list) {
			var one *headroom.InputError
			if errors.As(err, &one) {
				list = headroom.InputErrors{one}
			}
		}
		for _, e := range list {
			fmt.Fprintf(&b, "  line %d field %q: %s\n", e.Line, e.Field, e)
		}
		if len(list) == 0 {
			fmt.Fprintf(&b, "  %v\n", err)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "policy %q from %s\n", p.Name, p.File)
	fmt.Fprintf(&b, "min %d max %d initial %d\n", p.Min, p.Max, p.Initial)
	zone := "none"
	if p.TimeZone != nil {
		zone = p.TimeZone.String()
	}
	fmt.Fprintf(&b, "time zone %s, %d schedules\n", zone, len(p.Schedules))
	t := p.Target
	if t == nil {
		fmt.Fprintf(&b, "no target tracking\n")
	} else {
		for _, m := range t.Metrics {
			fmt.Fprintf(&b, "metric %q kind %s target %g total %t external %t\n", m.Name, m.Kind, m.Target, m.Total, m.External)
			if w := m.Window; w != nil {
				fmt.Fprintf(&b, "  window %q to %q in %s, desired %d\n", w.StartSpec, w.EndSpec, w.TimeZone, w.Desired)
			}
		}
		fmt.Fprintf(&b, "tolerance up %g down %g\n", t.ScaleUpTolerance, t.ScaleDownTolerance)
		fmt.Fprintf(&b, "sync %v window %v delay %v\n", t.SyncPeriod, t.Window, t.Delay)
		fmt.Fprintf(&b, "legacy %t\n", t.Legacy)
		for _, r := range []struct {
			name  string
			rules headroom.ScalingRules
		}{{"scaleUp", t.ScaleUp}, {"scaleDown", t.ScaleDown}} {
			fmt.Fprintf(&b, "%s: stabilization %v select %q\n", r.name, r.rules.StabilizationWindow, r.rules.Select)
			for _, rp := range r.rules.Policies {
				fmt.Fprintf(&b, "  %s %d per %v\n", rp.Kind, rp.Value, rp.Period)
			}
		}
		if f := t.Fallback; f != nil {
			fmt.Fprintf(&b, "fallback after %d failures to %d replicas\n", f.FailureThreshold, f.Replicas)
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}
