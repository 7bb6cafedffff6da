package report

import (
	"strings"
	"testing"
)

func TestPercentileSLOShown(t *testing.T) {
	r := fixture()
	r.Service.SLO.Percentile, r.Service.SLO.MaxPercentileLatencyMs = 99, 500
	for _, p := range r.Policies {
		for i := range p.Violations {
			p.Violations[i].Percentile, p.Violations[i].WorstPercentileLatencyMs = 99, 2290
		}
	}
	for name, f := range map[string]func() string{
		"text":     func() string { return render(t, Text, r) },
		"markdown": func() string { return render(t, Markdown, r) },
		"html":     func() string { return render(t, HTML, r) },
	} {
		out := f()
		for _, want := range []string{"p99 latency", "500ms", "p99 2.29s"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in the report", name, want)
			}
		}
	}
}
