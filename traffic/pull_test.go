package traffic

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

var pullStart = time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)

// fakeRange answers like Prometheus from a rate per evaluation index
// (NaN: no value), and records the queries.
type fakeRange struct {
	rates   []float64
	queries [][2]time.Time
}

func (f *fakeRange) query(_ context.Context, start, end time.Time, step time.Duration) ([]Sample, error) {
	f.queries = append(f.queries, [2]time.Time{start, end})
	var out []Sample
	for at := start; !at.After(end); at = at.Add(step) {
		i := int(at.Sub(pullStart) / step)
		if i < len(f.rates) && !math.IsNaN(f.rates[i]) {
			out = append(out, Sample{Time: at, Value: f.rates[i]})
		}
	}
	return out, nil
}

func TestPullChunksAndGaps(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name        string
		rates       []float64
		chunk       int
		counts      bool
		wantQueries int
		wantCounts  []float64
		wantGaps    []string
	}{
		{
			name:        "rates become requests per step, in chunks of at most chunk evaluations",
			rates:       []float64{1, 2, 3, 4, 5},
			chunk:       2,
			wantQueries: 3,
			wantCounts:  []float64{15, 30, 45, 60, 75},
		},
		{
			name:        "counts are written as they are",
			rates:       []float64{1, 2, 3},
			counts:      true,
			wantQueries: 1,
			wantCounts:  []float64{1, 2, 3},
		},
		{
			name:        "a gap across a chunk boundary is one gap with its span",
			rates:       []float64{1, nan, nan, nan, 5, 6},
			chunk:       2,
			wantQueries: 3,
			wantCounts:  []float64{15, 75, 90},
			wantGaps:    []string{"3 missing intervals (45s, from 2021-06-01T00:00:15Z to 2021-06-01T00:01:00Z)"},
		},
		{
			name:        "missing at the start and at the end",
			rates:       []float64{nan, 2, 3, nan},
			wantQueries: 1,
			wantCounts:  []float64{30, 45},
			wantGaps: []string{"1 missing interval (15s, from 2021-06-01T00:00:00Z to 2021-06-01T00:00:15Z)",
				"1 missing interval (15s, from 2021-06-01T00:00:45Z to 2021-06-01T00:01:00Z)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRange{rates: tt.rates}
			var progress []int
			got, err := Pull(context.Background(), f.query, PullOptions{
				From: pullStart, Until: pullStart.Add(time.Duration(len(tt.rates)) * 15 * time.Second), Step: 15 * time.Second,
				ChunkPoints: tt.chunk, Counts: tt.counts, Progress: func(done, total int) { progress = append(progress, done) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Queries != tt.wantQueries || len(f.queries) != tt.wantQueries {
				t.Errorf("queries = %d (%v), want %d", got.Queries, f.queries, tt.wantQueries)
			}
			for i := 1; i < len(f.queries); i++ {
				if !f.queries[i][0].Equal(f.queries[i-1][1].Add(15 * time.Second)) {
					t.Errorf("query %d starts at %s, want one step after the previous end %s", i, f.queries[i][0], f.queries[i-1][1])
				}
			}
			if last := progress[len(progress)-1]; last != len(tt.rates) {
				t.Errorf("progress ends at %d, want %d", last, len(tt.rates))
			}
			var counts []float64
			for _, s := range got.Samples {
				counts = append(counts, s.Value)
			}
			if !equalFloats(counts, tt.wantCounts) {
				t.Errorf("counts = %v, want %v", counts, tt.wantCounts)
			}
			var gaps []string
			for _, g := range got.Gaps {
				gaps = append(gaps, g.String())
			}
			if strings.Join(gaps, "\n") != strings.Join(tt.wantGaps, "\n") {
				t.Errorf("gaps = %q, want %q", gaps, tt.wantGaps)
			}
		})
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The CSV Pull's samples are written as is what the reader reads back: a
// gap is a missing row, refused with --gaps error and filled otherwise.
func TestWriteCSVReadsBack(t *testing.T) {
	f := &fakeRange{rates: []float64{0.1, math.NaN(), 2.5, 1.0 / 3}}
	got, err := Pull(context.Background(), f.query, PullOptions{From: pullStart, Until: pullStart.Add(time.Minute), Step: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, got.Samples); err != nil {
		t.Fatal(err)
	}
	want := "timestamp,requests\n2021-06-01T00:00:00Z,1.5\n2021-06-01T00:00:30Z,37.5\n2021-06-01T00:00:45Z,5\n"
	if buf.String() != want {
		t.Errorf("CSV =\n%s\nwant\n%s", buf.String(), want)
	}
	if _, _, err := Read(bytes.NewReader(buf.Bytes()), "pulled.csv", Options{}); err == nil || !strings.Contains(err.Error(), "1 missing interval") {
		t.Errorf("read with gaps refused: err = %v, want the missing interval", err)
	}
	s, _, err := Read(bytes.NewReader(buf.Bytes()), "pulled.csv", Options{Gaps: GapZero})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1.5, 0, 37.5, 5}; !equalFloats(s.Counts, want) {
		t.Errorf("read back %v, want %v", s.Counts, want)
	}
}

func TestPullRefuses(t *testing.T) {
	ok := func(_ context.Context, start, end time.Time, step time.Duration) ([]Sample, error) { return nil, nil }
	down := errors.New("connection refused")
	tests := []struct {
		name  string
		query RangeFunc
		opt   PullOptions
		want  string
	}{
		{"a step under a second", ok, PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: 500 * time.Millisecond}, "whole seconds"},
		{"more points per query than Prometheus answers", ok, PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: time.Second, ChunkPoints: 11001}, "Prometheus refuses"},
		{"the end before the start", ok, PullOptions{From: pullStart, Until: pullStart, Step: time.Second}, "start before the end"},
		{"no value at all", ok, PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: time.Second}, "no value"},
		{"NaN", func(_ context.Context, start, _ time.Time, _ time.Duration) ([]Sample, error) {
			return []Sample{{Time: start, Value: math.NaN()}}, nil
		}, PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: time.Second}, "finite, non-negative"},
		{"a time off the grid", func(_ context.Context, start, _ time.Time, _ time.Duration) ([]Sample, error) {
			return []Sample{{Time: start.Add(time.Millisecond), Value: 1}}, nil
		}, PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: time.Second}, "not one of its evaluation times"},
		{"the query's own error", func(context.Context, time.Time, time.Time, time.Duration) ([]Sample, error) { return nil, down },
			PullOptions{From: pullStart, Until: pullStart.Add(time.Hour), Step: time.Second}, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Pull(context.Background(), tt.query, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.want != "connection refused" && headroom.ErrorCode(err) != headroom.EINVALID {
				t.Errorf("code = %s, want EINVALID", headroom.ErrorCode(err))
			}
		})
	}
}
