package yamlnode

import (
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Regression test for "-1s" refused as "a bare number is ambiguous": each
// bad duration says what is wrong with it.
func TestDurationProblem(t *testing.T) {
	tests := []struct {
		yaml    string
		want    time.Duration
		problem string
	}{
		{"90s", 90 * time.Second, ""},
		{"0s", 0, ""},
		{"-1s", 0, "negative"},
		{"-0.5h", 0, "negative"},
		{"30", 0, "a bare number is ambiguous"},
		{"-30", 0, "a bare number is ambiguous"},
		{"1.5", 0, "a bare number is ambiguous"},
		{"soon", 0, "not a duration"},
		{"[1s]", 0, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			var d Duration
			if err := yaml.Unmarshal([]byte(tt.yaml), &d); err != nil {
				t.Fatal(err)
			}
			if got := d.Problem(); got != tt.problem || d.Bad != (tt.problem != "") || d.Or(-1) != map[bool]time.Duration{true: -1, false: tt.want}[d.Bad] {
				t.Errorf("got %+v, problem %q; want %v, problem %q", d, got, tt.want, tt.problem)
			}
		})
	}
}

// FuzzDuration: any scalar is either a non-negative duration or Bad with a
// reason, never an error that would stop a document's other checks.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{"90s", "-1s", "30", "1e308", "-9223372036854775808ns", "2562047h47m16.854775807s", ".inf", "-.nan", "1h-1s", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d Duration
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if err := d.UnmarshalYAML(n); err != nil {
			t.Fatal(err)
		}
		if d.Bad == (d.Problem() == "") || (!d.Bad && d.D < 0) {
			t.Fatalf("%q: %+v, problem %q", s, d, d.Problem())
		}
	})
}
