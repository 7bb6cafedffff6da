package traffic

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

func TestTrim(t *testing.T) {
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	mk := func() *headroom.Series {
		return &headroom.Series{Name: "t", Start: start, Step: time.Minute, Counts: []float64{0, 1, 2, 3, 4, 5}}
	}
	for _, tc := range []struct {
		name        string
		from, until time.Time
		first       time.Time
		counts      int
	}{
		{"both open", time.Time{}, time.Time{}, start, 6},
		{"from an interval's start", start.Add(2 * time.Minute), time.Time{}, start.Add(2 * time.Minute), 4},
		{"from inside an interval: the next one", start.Add(90 * time.Second), time.Time{}, start.Add(2 * time.Minute), 4},
		{"until inside an interval: it stays", time.Time{}, start.Add(150 * time.Second), start, 3},
		{"a window", start.Add(time.Minute), start.Add(3 * time.Minute), start.Add(time.Minute), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mk()
			if err := Trim(s, tc.from, tc.until); err != nil {
				t.Fatal(err)
			}
			if !s.Start.Equal(tc.first) || len(s.Counts) != tc.counts {
				t.Errorf("got start %s and %d counts, want %s and %d", s.Start, len(s.Counts), tc.first, tc.counts)
			}
		})
	}
	if err := Trim(mk(), start.Add(time.Hour), time.Time{}); headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("nothing left: got %v, want EINVALID", err)
	}
}
