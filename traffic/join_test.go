package traffic

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

func part(name string, offset int, counts ...float64) *headroom.Series {
	return &headroom.Series{Name: name, Start: pullStart.Add(time.Duration(offset) * time.Minute), Step: time.Minute, Counts: counts}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		name     string
		parts    []*headroom.Series
		gaps     GapPolicy
		want     []float64
		warnings []string
	}{
		{
			name:  "consecutive pieces in any order",
			parts: []*headroom.Series{part("b.csv", 2, 3, 4), part("a.csv", 0, 1, 2)},
			want:  []float64{1, 2, 3, 4},
		},
		{
			name:     "an overlap whose counts agree",
			parts:    []*headroom.Series{part("a.csv", 0, 1, 2, 3), part("b.csv", 1, 2, 3, 4)},
			want:     []float64{1, 2, 3, 4},
			warnings: []string{"week: a.csv and b.csv overlap for 2 intervals (2m0s, from 2021-06-01T00:01:00Z to 2021-06-01T00:03:00Z): the counts agree; the counts of the recording that starts first are kept"},
		},
		{
			name:     "an overlap whose counts differ keeps the earlier recording's",
			parts:    []*headroom.Series{part("a.csv", 0, 1, 2, 3), part("b.csv", 2, 5, 4)},
			want:     []float64{1, 2, 3, 4},
			warnings: []string{"week: a.csv and b.csv overlap for 1 interval (1m0s, from 2021-06-01T00:02:00Z to 2021-06-01T00:03:00Z): 1 of the counts differ, by up to 2; the counts of the recording that starts first are kept"},
		},
		{
			name:     "a recording inside another adds nothing",
			parts:    []*headroom.Series{part("a.csv", 0, 1, 2, 3, 4), part("b.csv", 1, 2)},
			want:     []float64{1, 2, 3, 4},
			warnings: []string{"week: a.csv and b.csv overlap for 1 interval (1m0s, from 2021-06-01T00:01:00Z to 2021-06-01T00:02:00Z): the counts agree; the counts of the recording that starts first are kept"},
		},
		{
			name:     "a gap filled with zero",
			parts:    []*headroom.Series{part("a.csv", 0, 1, 2), part("b.csv", 4, 5)},
			gaps:     GapZero,
			want:     []float64{1, 2, 0, 0, 5},
			warnings: []string{"week: 2 missing intervals (2m0s, from 2021-06-01T00:02:00Z to 2021-06-01T00:04:00Z) between a.csv and b.csv, filled with 0"},
		},
		{
			name:     "a gap held",
			parts:    []*headroom.Series{part("a.csv", 0, 1, 2), part("b.csv", 3, 5)},
			gaps:     GapHold,
			want:     []float64{1, 2, 2, 5},
			warnings: []string{"week: 1 missing interval (1m0s, from 2021-06-01T00:02:00Z to 2021-06-01T00:03:00Z) between a.csv and b.csv, filled with 2, the count before it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ws, err := Join("week", tt.parts, tt.gaps)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Start.Equal(pullStart) || got.Step != time.Minute || got.Name != "week" {
				t.Errorf("got %s from %s every %s, want week from %s every 1m", got.Name, got.Start, got.Step, pullStart)
			}
			if !equalFloats(got.Counts, tt.want) {
				t.Errorf("counts = %v, want %v", got.Counts, tt.want)
			}
			var warnings []string
			for _, w := range ws {
				warnings = append(warnings, w.String())
			}
			if strings.Join(warnings, "\n") != strings.Join(tt.warnings, "\n") {
				t.Errorf("warnings =\n%s\nwant\n%s", strings.Join(warnings, "\n"), strings.Join(tt.warnings, "\n"))
			}
		})
	}
}

func TestJoinRefuses(t *testing.T) {
	off := part("b.csv", 2, 3)
	off.Start = off.Start.Add(30 * time.Second)
	tests := []struct {
		name  string
		parts []*headroom.Series
		file  string
		want  string
	}{
		{"a gap with --gaps error", []*headroom.Series{part("a.csv", 0, 1), part("b.csv", 2, 3)}, "b.csv",
			"1 missing interval (1m0s, from 2021-06-01T00:01:00Z to 2021-06-01T00:02:00Z) between a.csv and b.csv; use --gaps zero or --gaps hold"},
		{"another step", []*headroom.Series{part("a.csv", 0, 1), {Name: "b.csv", Start: pullStart.Add(time.Minute), Step: time.Second, Counts: []float64{1}}}, "b.csv",
			"the step of the recordings it joins: a.csv has 1m0s"},
		{"off the grid", []*headroom.Series{part("a.csv", 0, 1), off}, "b.csv", "not 30s off it"},
		{"nothing", nil, "week", "at least one recording"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Join("week", tt.parts, GapError)
			var ie *headroom.InputError
			if !errors.As(err, &ie) || ie.File != tt.file || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an input error of %s saying %q", err, tt.file, tt.want)
			}
		})
	}
}
