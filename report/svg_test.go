package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi float64
		want   []float64
	}{
		{"requests per second", 0, 1040, []float64{0, 500, 1000, 1500}},
		{"error percent under an SLO of 0.1%", 0, 0.1, []float64{0, 0.02, 0.04, 0.06, 0.08, 0.1}},
		{"latency", 0, 2480, []float64{0, 1000, 2000, 3000}},
		{"flat zero line", 0, 0, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := niceTicks(tc.lo, tc.hi, 5)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// Whatever the range, ticks cover it with 3 to 11 round, even steps.
func TestNiceTicksCover(t *testing.T) {
	for _, hi := range []float64{1e-6, 0.0042, 0.3, 1, 7, 9.99, 42, 999, 1001, 65432, 3.3e7} {
		ticks, step := niceTicks(0, hi, 5)
		if n := len(ticks); n < 3 || n > 11 {
			t.Errorf("hi=%g: %d ticks %v", hi, n, ticks)
		}
		if ticks[0] > 0 || ticks[len(ticks)-1] < hi {
			t.Errorf("hi=%g: ticks %v do not cover [0, hi]", hi, ticks)
		}
		m := step / math.Pow(10, math.Floor(math.Log10(step)))
		if r := math.Round(m); math.Abs(m-r) > 1e-9 || (r != 1 && r != 2 && r != 5) {
			t.Errorf("hi=%g: step %g is not 1, 2 or 5 times a power of ten", hi, step)
		}
		for i := 1; i < len(ticks); i++ {
			if d := ticks[i] - ticks[i-1]; math.Abs(d-step) > step*1e-9 {
				t.Errorf("hi=%g: uneven ticks %v", hi, ticks)
				break
			}
		}
	}
}

func TestTickLabel(t *testing.T) {
	for _, tc := range []struct {
		v, step float64
		want    string
	}{
		{1500, 500, "1500"},
		{15000, 5000, "15k"},
		{12500, 2500, "12.5k"},
		{0.04, 0.02, "0.04"},
		{20, 5, "20"},
		{3e7, 1e7, "30M"},
		{0, 2000, "0"},
	} {
		if got := tickLabel(tc.v, tc.step); got != tc.want {
			t.Errorf("tickLabel(%g, %g) = %q, want %q", tc.v, tc.step, got, tc.want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	ticks := timeTicks(start, start.Add(24*time.Hour), 8)
	var labels, dates []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
		if tk.Date != "" {
			dates = append(dates, tk.Date)
		}
	}
	if got, want := strings.Join(labels, " "), "00:00 03:00 06:00 09:00 12:00 15:00 18:00 21:00 00:00"; got != want {
		t.Errorf("labels = %s, want %s", got, want)
	}
	if got, want := strings.Join(dates, ","), "Jun 30,Jul 1"; got != want {
		t.Errorf("dates = %s, want %s", got, want)
	}

	// An odd start still gets round ticks.
	ticks = timeTicks(start.Add(17*time.Minute+13*time.Second), start.Add(2*time.Hour), 8)
	if ticks[0].Label != "00:30" {
		t.Errorf("first tick of a 17m13s start = %s, want 00:30", ticks[0].Label)
	}

	// A month: dates only.
	ticks = timeTicks(start, start.Add(30*24*time.Hour), 8)
	if len(ticks) == 0 || len(ticks) > 8 || ticks[0].Date != "" || !strings.Contains(ticks[0].Label, " ") {
		t.Errorf("month ticks = %+v", ticks)
	}
}

func TestLayoutGaps(t *testing.T) {
	c := lineChart{
		Start: time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC), Bucket: time.Minute,
		Series: []chartSeries{{Name: "latency", Values: []float64{1, 2, math.NaN(), 3, math.Inf(1), 4}}},
	}
	got := c.layout()
	if n := strings.Count(got.Lines[0].D, "M"); n != 3 {
		t.Errorf("path %q has %d segments, want 3 (NaN and Inf break the line)", got.Lines[0].D, n)
	}
}

func TestLayoutShortSpanVisible(t *testing.T) {
	start := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	c := lineChart{
		Start: start, Bucket: time.Minute,
		Series: []chartSeries{{Name: "demand", Values: make([]float64, 30*24*60)}}, // a month
		Spans:  []chartSpan{{Start: start.Add(time.Hour), End: start.Add(time.Hour + time.Minute)}},
	}
	got := c.layout()
	if len(got.Spans) != 1 || got.Spans[0].W != "2" {
		t.Errorf("spans = %+v, want one 2 units wide", got.Spans)
	}
}
