// Package policytest is what the policy readers' tests share: a canonical
// text dump of a translated policy (or of its error) for golden files, and
// the comparison with the golden file.
package policytest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// From is where Dump starts listing a schedule's activations: a Monday in
// summer time, the week of the seed incident.
var From = time.Date(2021, 6, 28, 0, 0, 0, 0, time.UTC)

// Dump writes a policy, its warnings or its error in a stable text form:
// every field the engine reads, and the next activations of each schedule
// after From.
func Dump(p *headroom.Policy, warnings []string, err error) string {
	return DumpFrom(From, p, warnings, err)
}

// DumpFrom is Dump listing activations after from.
func DumpFrom(from time.Time, p *headroom.Policy, warnings []string, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "error (%s):\n", headroom.ErrorCode(err))
		list := headroom.AsInputErrors(err)
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
	if t := p.Target; t == nil {
		fmt.Fprintf(&b, "no target tracking\n")
	} else {
		dumpTarget(&b, t)
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

func dumpTarget(b *strings.Builder, t *headroom.TargetTracking) {
	fmt.Fprintf(b, "target tracking %q: sync %v window %v delay %v; legacy %t; tolerance up %g down %g\n",
		t.Algorithm, t.SyncPeriod, t.Window, t.Delay, t.Legacy, t.ScaleUpTolerance, t.ScaleDownTolerance)
	for _, m := range t.Metrics {
		fmt.Fprintf(b, "metric %q kind %s target %.4g total %t external %t\n", m.Name, m.Kind, m.Target, m.Total, m.External)
		if w := m.Window; w != nil {
			fmt.Fprintf(b, "  window %q to %q in %s, desired %d\n", w.StartSpec, w.EndSpec, w.TimeZone, w.Desired)
		}
	}
	if t.Algorithm == headroom.AlgorithmHPA {
		for _, r := range []struct {
			name  string
			rules headroom.ScalingRules
		}{{"scaleUp", t.ScaleUp}, {"scaleDown", t.ScaleDown}} {
			fmt.Fprintf(b, "%s: stabilization %v select %q\n", r.name, r.rules.StabilizationWindow, r.rules.Select)
			for _, rp := range r.rules.Policies {
				fmt.Fprintf(b, "  %s %d per %v\n", rp.Kind, rp.Value, rp.Period)
			}
		}
	}
	if a := t.AWS; a != nil {
		fmt.Fprintf(b, "alarms: period %v, high after %d, low after %d under %g of target; warm-up %v\n", a.Period, a.OutDatapoints, a.InDatapoints, a.InThreshold, a.InstanceWarmup)
		for _, pp := range a.Policies {
			fmt.Fprintf(b, "  policy %q: cooldown out %v in %v; scale-in disabled %t\n", pp.Name, pp.ScaleOutCooldown, pp.ScaleInCooldown, pp.DisableScaleIn)
		}
	}
	if f := t.Fallback; f != nil {
		fmt.Fprintf(b, "fallback after %d failures to %d replicas\n", f.FailureThreshold, f.Replicas)
	}
}

func bound(f *float64, inf string) string {
	if f == nil {
		return inf
	}
	return fmt.Sprint(*f)
}

func count(n *int) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

// Compare checks got against the golden file, or rewrites it when update
// is set.
func Compare(t *testing.T, golden, got string, update bool) {
	t.Helper()
	if update {
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
		t.Errorf("output differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// GoldenYAML runs a reader over every testdata/*.yaml and compares each
// Dump with testdata/NAME.golden. Files whose name contains undetected are
// ones detect must not claim.
func GoldenYAML(t *testing.T, detect func([]byte) bool, parse func(string, []byte) (*headroom.Policy, []string, error), undetected string, update bool) {
	t.Helper()
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
			if got, want := detect(data), !strings.Contains(file, undetected); got != want {
				t.Errorf("Detect(%s) = %t, want %t", file, got, want)
			}
			pol, warnings, err := parse(file, data)
			Compare(t, strings.TrimSuffix(file, ".yaml")+".golden", Dump(pol, warnings, err), update)
		})
	}
}

// WantError is one expected input error: its line, its field path and part
// of its message.
type WantError struct {
	Line  int
	Field string
	Text  string
}

// CheckErrors checks that err is the invalid-input error listing want, in
// order, each in file. A test package declares its own type wantErr
// WantError so that its tables can list errors without keys.
func CheckErrors[W ~struct {
	Line  int
	Field string
	Text  string
}](t *testing.T, err error, file string, want []W) {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	if code := headroom.ErrorCode(err); code != headroom.EINVALID {
		t.Errorf("error code %q, want %q for %v", code, headroom.EINVALID, err)
	}
	list := headroom.AsInputErrors(err)
	if len(list) == 0 {
		t.Fatalf("got %T %v, want input errors", err, err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		w, e := WantError(w), list[i]
		if e.File != file || e.Line != w.Line || e.Field != w.Field || !strings.Contains(e.Error(), w.Text) {
			t.Errorf("error %d: got %s:%d field %q: %v\nwant %s:%d field %q containing %q", i, e.File, e.Line, e.Field, e, file, w.Line, w.Field, w.Text)
		}
	}
}
