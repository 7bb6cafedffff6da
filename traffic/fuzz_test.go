package traffic_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/traffic"
)

// fuzzMaxIntervals keeps fuzzed gaps and log spans small: the limit itself
// is under test, not the machine's memory.
const fuzzMaxIntervals = 1 << 16

var fuzzPolicies = []traffic.GapPolicy{traffic.GapError, traffic.GapZero, traffic.GapHold}

// addSeeds adds every file of dir as a seed, with each gap policy in turn.
func addSeeds(f *testing.F, dir string) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds in %s: %v", dir, err)
	}
	for i, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i))
	}
}

// fuzzRead reads data and checks what any reader promises: no panic, an
// InputError on failure, and on success a series the simulator can use.
func fuzzRead(t *testing.T, data []byte, format traffic.Format, policy uint8) *headroom.Series {
	t.Helper()
	opt := traffic.Options{Format: format, Gaps: fuzzPolicies[int(policy)%len(fuzzPolicies)], MaxIntervals: fuzzMaxIntervals}
	s, warnings, err := traffic.Read(bytes.NewReader(data), "fuzz", opt)
	if err != nil {
		var in *headroom.InputError
		if !errors.As(err, &in) {
			t.Fatalf("got %T %v, want a *headroom.InputError", err, err)
		}
		if s != nil || warnings != nil {
			t.Fatalf("got a series or warnings with error %v", err)
		}
		if in.File != "fuzz" {
			t.Fatalf("error names file %q, want fuzz: %v", in.File, err)
		}
		return nil
	}
	checkSeriesValid(t, s)
	// The CLI's boundary check takes whatever a reader returns: an
	// InputError naming the file, or nil for a series in range.
	if err := traffic.CheckRange(s, ""); err != nil {
		var in *headroom.InputError
		if !errors.As(err, &in) || in.File != "fuzz" {
			t.Fatalf("CheckRange: got %T %v, want a *headroom.InputError naming fuzz", err, err)
		}
	} else if s.Start.Unix() < traffic.MinUnix || s.End().Unix() > traffic.MaxUnix {
		t.Fatalf("CheckRange accepted %s to %s", s.Start, s.End())
	}
	if len(s.Counts) > fuzzMaxIntervals {
		t.Fatalf("got %d counts, more than the limit %d", len(s.Counts), fuzzMaxIntervals)
	}
	for _, w := range warnings {
		if w.File != "fuzz" || w.Message == "" {
			t.Fatalf("bad warning %q", w.String())
		}
	}
	return s
}

func FuzzReadCSV(f *testing.F) {
	addSeeds(f, "testdata/csv")
	f.Fuzz(func(t *testing.T, data []byte, policy uint8) {
		s := fuzzRead(t, data, traffic.FormatCSV, policy)
		if s != nil && len(s.Counts) < 2 {
			t.Fatalf("got %d counts, want at least the 2 rows the step was inferred from", len(s.Counts))
		}
	})
}

func FuzzReadPrometheus(f *testing.F) {
	addSeeds(f, "testdata/prometheus")
	f.Fuzz(func(t *testing.T, data []byte, policy uint8) {
		fuzzRead(t, data, traffic.FormatPrometheus, policy)
	})
}

func FuzzReadAccessLog(f *testing.F) {
	addSeeds(f, "testdata/accesslog")
	f.Fuzz(func(t *testing.T, data []byte, policy uint8) {
		s := fuzzRead(t, data, traffic.FormatAccessLog, policy)
		if s == nil {
			return
		}
		// Every non-blank line is one request, counted once.
		requests := 0
		for line := range bytes.Lines(data) {
			if len(bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\ufeff")))) > 0 {
				requests++
			}
		}
		if got := s.Total(); got != float64(requests) {
			t.Fatalf("got %v requests, want %d, one per line", got, requests)
		}
		if s.Step.Seconds() != 1 {
			t.Fatalf("got step %v, want 1s", s.Step)
		}
	})
}

// TestTestdata reads each seed file with the format detected, as the CLI
// would.
func TestTestdata(t *testing.T) {
	tests := []struct {
		file      string
		format    traffic.Format
		wantField string // "" for success
		total     float64
	}{
		{"csv/minute_header.csv", traffic.FormatCSV, "", 234},
		{"csv/seconds_unix.csv", traffic.FormatCSV, "", 11},
		{"csv/offsets_comments_crlf.csv", traffic.FormatCSV, "", 31},
		{"csv/gaps.csv", traffic.FormatCSV, "timestamp", 0},
		{"csv/decimals_hourly.csv", traffic.FormatCSV, "", 12.5 + 1000 + 0.125 + 123456789012345678},
		{"csv/bad_header.csv", traffic.FormatCSV, "header", 0},
		{"csv/disorder.csv", traffic.FormatCSV, "timestamp", 0},
		{"prometheus/one_series.json", traffic.FormatPrometheus, "", 60 * (12.5 + 13 + 0 + 11.75)},
		{"prometheus/two_series_gap.json", traffic.FormatPrometheus, "", 15 * (1.5 + 2 + 2.5 + 4)},
		{"prometheus/warnings_fractional.json", traffic.FormatPrometheus, "", 30 * 6},
		{"prometheus/error_status.json", traffic.FormatPrometheus, "status", 0},
		{"prometheus/vector.json", traffic.FormatPrometheus, "data.resultType", 0},
		{"prometheus/nan_negative.json", traffic.FormatPrometheus, "data.result[0].values[0]", 0},
		{"accesslog/common.log", traffic.FormatAccessLog, "", 5},
		{"accesslog/combined_out_of_order.log", traffic.FormatAccessLog, "", 5},
		{"accesslog/malformed.log", traffic.FormatAccessLog, "timestamp", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := traffic.Detect(data); got != tt.format {
				t.Errorf("detected %q, want %q", got, tt.format)
			}
			s, _, err := traffic.ReadFile(path, traffic.Options{})
			if tt.wantField != "" {
				var in *headroom.InputError
				if !errors.As(err, &in) || in.Field != tt.wantField {
					t.Fatalf("got error %v, want an InputError on field %q", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Total(); got != tt.total {
				t.Errorf("total: got %v, want %v", got, tt.total)
			}
		})
	}
}
