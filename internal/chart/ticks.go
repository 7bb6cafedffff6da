package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// num formats a coordinate with at most one decimal: a tenth of a viewBox
// unit is finer than any screen shows, and short numbers keep a week of
// points a small path.
func num(x float64) string {
	s := strings.TrimSuffix(strconv.FormatFloat(x, 'f', 1, 64), ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns about n evenly spaced round tick values covering
// [lo, hi], starting at or below lo and ending at or above hi, and their
// step: Heckbert's "nice numbers for graph labels" (Graphics Gems, 1990).
// With integer, the step is at least 1: there is no half an instance.
func niceTicks(lo, hi float64, n int, integer bool) ([]float64, float64) {
	if !finite(lo) || !finite(hi) {
		lo, hi = 0, 1
	}
	if hi <= lo {
		hi = lo + 1
	}
	n = max(n, 2)
	step := niceNum(niceNum(hi-lo, false)/float64(n-1), true)
	if integer {
		step = max(step, 1)
	}
	first := math.Floor(lo/step) * step
	last := math.Ceil(hi/step) * step
	var ticks []float64
	// Count steps rather than add them up, so that 0.1+0.2 does not creep.
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > last+step/2 {
			break
		}
		// Round away the float noise in values like 0.30000000000000004.
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return ticks, step
}

// niceNum returns a round number (1, 2, 5 or 10 times a power of ten) near x:
// the nearest when round, else the smallest at or above x.
func niceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && f < 1.5:
		nf = 1
	case round && f < 3:
		nf = 2
	case round && f < 7:
		nf = 5
	case round:
		nf = 10
	case f <= 1:
		nf = 1
	case f <= 2:
		nf = 2
	case f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

// tickLabel formats a y tick value with the decimals its step needs, and
// k or M for large values: 1500 → "1500" (four digits read fine),
// 15000 → "15k", 2.5e6 → "2.5M". Ticks on one axis may mix suffixes
// ("500k", "1.0M", "1.5M"), so that each label stays short.
func tickLabel(v, step float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	suffix := ""
	switch {
	case step >= 1e6 || a >= 1e7 || (a >= 1e6 && step >= 1e5):
		v, step, suffix = v/1e6, step/1e6, "M"
	case step >= 1e3 || a >= 1e4:
		v, step, suffix = v/1e3, step/1e3, "k"
	}
	// As many decimals as the step needs: 2.5 needs one, 0.02 two.
	dec := 0
	for scaled := step; dec < 6 && math.Abs(scaled-math.Round(scaled)) > 1e-9*math.Max(1, scaled); dec++ {
		scaled *= 10
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if s == "-0" {
		s = "0"
	}
	return s + suffix
}

// timeTick is one tick of a time axis, labelled in UTC.
type timeTick struct {
	At    time.Time
	Label string
	// Date is a second label line under the tick, where the day changed.
	Date string
}

// tickSteps are the round steps a time axis may use, from a second (a
// simulated minute's detail) to four weeks (a month of traffic).
var tickSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeTicks returns at most n ticks between start and end on round UTC
// times (whole minutes, hours, midnights...), with labels: "15:04" under
// the tick ("15:04:05" for steps under a minute) and "Jan 2" on the first
// tick and where the day changes; for steps of a day or more, the date
// alone.
func timeTicks(start, end time.Time, n int) []timeTick {
	start, end = start.UTC(), end.UTC()
	span := end.Sub(start)
	if span <= 0 || n < 1 {
		return nil
	}
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= time.Duration(n) {
			step = s
			break
		}
	}
	for span/step > time.Duration(n) { // longer than the table knows
		step *= 2
	}
	// Truncate rounds down relative to the zero time, which is a UTC
	// midnight: hour and day steps land on round UTC times.
	t := start.Truncate(step)
	if t.Before(start) {
		t = t.Add(step)
	}
	clock := "15:04"
	if step < time.Minute {
		clock = "15:04:05"
	}
	var ticks []timeTick
	lastDay := ""
	for ; !t.After(end); t = t.Add(step) {
		day := t.Format("Jan 2")
		tk := timeTick{At: t}
		switch {
		case step >= 24*time.Hour:
			tk.Label = day
		default:
			tk.Label = t.Format(clock)
			if day != lastDay {
				tk.Date = day
			}
		}
		lastDay = day
		ticks = append(ticks, tk)
	}
	return ticks
}
