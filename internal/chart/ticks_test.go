package chart

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hi      float64
		integer bool
		want    []float64
	}{
		{"requests per second", 1040, false, []float64{0, 500, 1000, 1500}},
		{"error percent under an SLO of 0.1%", 0.1, false, []float64{0, 0.02, 0.04, 0.06, 0.08, 0.1}},
		{"latency", 2480, false, []float64{0, 1000, 2000, 3000}},
		{"flat zero line", 0, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"instances: ten", 10, true, []float64{0, 2, 4, 6, 8, 10}},
		{"instances: a flat zero line has no half instance", 0, true, []float64{0, 1}},
		{"instances: three", 3, true, []float64{0, 1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := niceTicks(0, tc.hi, yTicks, tc.integer)
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
		ticks, step := niceTicks(0, hi, yTicks, false)
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
		name    string
		v, step float64
		want    string
	}{
		{"zero is 0 whatever the step", 0, 2000, "0"},
		{"four digits read fine", 1500, 500, "1500"},
		{"thousands get k", 15000, 5000, "15k"},
		{"k keeps the decimal its step needs", 12500, 2500, "12.5k"},
		{"a small step's decimals", 0.04, 0.02, "0.04"},
		{"a step of 2.5 needs one decimal", 7.5, 2.5, "7.5"},
		{"whole numbers", 20, 5, "20"},
		{"tens of millions get M", 3e7, 1e7, "30M"},
		{"2.5e6 formats as 2.5M", 2.5e6, 5e5, "2.5M"},
		{"below a million on a million axis stays k", 5e5, 5e5, "500k"},
		{"a million-sized step is M", 2e6, 1e6, "2M"},
		{"negative values keep their sign", -1500, 500, "-1500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tickLabel(tc.v, tc.step); got != tc.want {
				t.Errorf("tickLabel(%g, %g) = %q, want %q", tc.v, tc.step, got, tc.want)
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
	day := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		labels     string // the labels, space-separated
		dates      string // the dates under ticks, comma-separated
	}{
		{"a 90-second range gives sub-minute ticks", day.Add(17 * time.Hour), day.Add(17*time.Hour + 90*time.Second),
			"17:00:00 17:00:15 17:00:30 17:00:45 17:01:00 17:01:15 17:01:30", "Jun 30"},
		{"ten seconds: a tick a second and a half is too many, two seconds", day, day.Add(10 * time.Second),
			"00:00:00 00:00:02 00:00:04 00:00:06 00:00:08 00:00:10", "Jun 30"},
		{"an hour: ten minutes", day.Add(12 * time.Hour), day.Add(13 * time.Hour),
			"12:00 12:10 12:20 12:30 12:40 12:50 13:00", "Jun 30"},
		{"a day: three hours, the date again at midnight", day, day.Add(24 * time.Hour),
			"00:00 03:00 06:00 09:00 12:00 15:00 18:00 21:00 00:00", "Jun 30,Jul 1"},
		{"an odd start still gets round ticks", day.Add(17*time.Minute + 13*time.Second), day.Add(2 * time.Hour),
			"00:30 00:45 01:00 01:15 01:30 01:45 02:00", "Jun 30"},
		{"a week: dates only, one a day", day, day.Add(7 * 24 * time.Hour),
			"Jun 30 Jul 1 Jul 2 Jul 3 Jul 4 Jul 5 Jul 6 Jul 7", ""},
		// Week steps are counted from the zero time, a Monday.
		{"a month: dates only, weekly on Mondays", day, day.Add(30 * 24 * time.Hour),
			"Jul 5 Jul 12 Jul 19 Jul 26", ""},
		{"another zone's times are labelled in UTC", day.In(time.FixedZone("AEST", 10*3600)), day.Add(time.Hour).In(time.FixedZone("AEST", 10*3600)),
			"00:00 00:10 00:20 00:30 00:40 00:50 01:00", "Jun 30"},
		{"an empty range has no ticks", day, day, "", ""},
		{"a reversed range has no ticks", day.Add(time.Hour), day, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var labels, dates []string
			for _, tk := range timeTicks(tc.start, tc.end, xTicks) {
				labels = append(labels, tk.Label)
				if tk.Date != "" {
					dates = append(dates, tk.Date)
				}
			}
			if got := strings.Join(labels, " "); got != tc.labels {
				t.Errorf("labels = %q, want %q", got, tc.labels)
			}
			if got := strings.Join(dates, ","); got != tc.dates {
				t.Errorf("dates = %q, want %q", got, tc.dates)
			}
		})
	}
}

// Whatever the span, there are at most n ticks, inside the range, evenly
// spaced.
func TestTimeTicksBounded(t *testing.T) {
	start := time.Date(2021, 6, 30, 0, 0, 7, 0, time.UTC)
	for _, span := range []time.Duration{time.Second, 7 * time.Second, 90 * time.Second, 11 * time.Minute, 5 * time.Hour, 49 * time.Hour, 400 * 24 * time.Hour} {
		ticks := timeTicks(start, start.Add(span), xTicks)
		if len(ticks) > xTicks+1 {
			t.Errorf("%s: %d ticks", span, len(ticks))
		}
		for i, tk := range ticks {
			if tk.At.Before(start) || tk.At.After(start.Add(span)) {
				t.Errorf("%s: tick %s outside the range", span, tk.At)
			}
			if i > 1 && tk.At.Sub(ticks[i-1].At) != ticks[1].At.Sub(ticks[0].At) {
				t.Errorf("%s: uneven ticks at %s", span, tk.At)
			}
		}
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    float64
		want string
	}{
		{"whole numbers lose the .0", 62, "62"},
		{"one decimal at most", 129.333, "129.3"},
		{"negative zero is zero", -0.04, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := num(tc.x); got != tc.want {
				t.Errorf("num(%g) = %q, want %q", tc.x, got, tc.want)
			}
		})
	}
}
