package traffic_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom/traffic"
)

// tracesDir holds the real traces described in its README. They are shared
// by the team and must not be copied into the repository.
const tracesDir = "../../shared/data/traces"

// requireTraces skips the test when the traces are absent, and fails it
// under CI, where they must be.
func requireTraces(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(tracesDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real traces missing at %s (CI=true, so this is a failure): %v", tracesDir, err)
		}
		t.Skipf("real traces missing at %s: skipping (they sit beside the repository as ../shared/data/traces)", tracesDir)
	}
}

// TestRealTraces reads every trace and checks it against the README table.
func TestRealTraces(t *testing.T) {
	requireTraces(t)
	tests := []struct {
		file  string
		rows  int
		step  time.Duration
		start string
		total float64
	}{
		{"nasa_http_jul1995_1min.csv", 39692, time.Minute, "1995-07-01T04:00:00Z", 1891672},
		{"nasa_http_aug1995_1min.csv", 40320, time.Minute, "1995-08-04T04:00:00Z", 1494514},
		{"nasa_http_1995-07-09_1week_1s.csv", 604800, time.Second, "1995-07-09T04:00:00Z", 544913},
		{"worldcup98_1min.csv", 125310, time.Minute, "1998-04-30T21:30:00Z", 1352804107},
		{"wikipedia_en_2012_1h.csv", 8784, time.Hour, "2012-01-01T00:00:00Z", 93479831857},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(tracesDir, tt.file)
			s, warnings, err := traffic.ReadFile(path, traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("got warnings %v, want none", warnings)
			}
			if got := len(s.Counts); got != tt.rows {
				t.Errorf("rows: got %d, want %d", got, tt.rows)
			}
			if s.Step != tt.step {
				t.Errorf("step: got %v, want %v", s.Step, tt.step)
			}
			if got := s.Start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start: got %s, want %s", got, tt.start)
			}
			if got := s.Total(); got != tt.total {
				t.Errorf("total: got %.0f, want %.0f", got, tt.total)
			}
			if s.Name != path {
				t.Errorf("name: got %q, want %q", s.Name, path)
			}
		})
	}
}
