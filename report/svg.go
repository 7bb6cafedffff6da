package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The geometry of every chart, in viewBox units. The page scales the SVG to
// its width, so these are proportions, not pixels.
const (
	chartW      = 900
	chartH      = 220
	chartLeft   = 62 // y tick labels
	chartRight  = 24 // room for half the last time label
	chartTop    = 28 // legend
	chartBottom = 40 // time tick labels: time and, on day changes, date
)

// lineChart describes a time-series chart before layout: series sampled at
// the middle of equal buckets from Start, horizontal reference lines, and
// shaded spans.
type lineChart struct {
	// Label names the chart for screen readers and as its SVG title.
	Label string
	// Unit is written above the y axis: "req/s", "%", "ms".
	Unit   string
	Start  time.Time
	Bucket time.Duration
	Series []chartSeries
	Refs   []chartRef
	Spans  []chartSpan
}

// chartSeries is one line. Colour and Dash are SVG presentation
// attributes, so that a chart copied out of the page keeps its look; Class
// lets the page's CSS override them (dark mode). NaN and infinite values
// leave a gap.
type chartSeries struct {
	Name   string
	Class  string
	Colour string
	Dash   string // stroke-dasharray, empty for a solid line
	Values []float64
}

// chartRef is a horizontal dashed line, such as an SLO limit.
type chartRef struct {
	Value float64
	Label string
}

// chartSpan is a shaded interval, such as an SLO violation.
type chartSpan struct {
	Start, End time.Time
	Title      string
}

// svgChart is a laid-out chart: everything the template writes, as
// strings of numbers in viewBox units.
type svgChart struct {
	Label      string
	Unit       string
	W, H       int
	PlotX      string
	PlotY      string
	PlotW      string
	PlotH      string
	PlotRight  string
	PlotBottom string
	TickBottom string
	YTicks     []svgTick
	XTicks     []svgTick
	Lines      []svgLine
	Refs       []svgRef
	Spans      []svgSpan
	Legend     []svgLegend
	Empty      bool
}

type svgTick struct {
	Pos   string // y for a y tick, x for an x tick
	Label string
	// Date is a second label line under a time tick, when the day changed.
	Date string
}

type svgLine struct {
	Class, Colour, Dash string
	Name                string
	D                   string
}

type svgRef struct {
	Y, LabelY string
	Label     string
}

type svgSpan struct {
	X, W  string
	Title string
}

type svgLegend struct {
	X, X2, TextX        string
	Class, Colour, Dash string
	Name                string
}

// num formats a coordinate with at most one decimal.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// layout places the chart in the viewBox.
func (c *lineChart) layout() svgChart {
	px, py := float64(chartLeft), float64(chartTop)
	pw, ph := float64(chartW-chartLeft-chartRight), float64(chartH-chartTop-chartBottom)
	out := svgChart{
		Label: c.Label, Unit: c.Unit, W: chartW, H: chartH,
		PlotX: num(px), PlotY: num(py), PlotW: num(pw), PlotH: num(ph),
		PlotRight: num(px + pw), PlotBottom: num(py + ph), TickBottom: num(py + ph + 4),
	}

	n := 0
	for _, s := range c.Series {
		n = max(n, len(s.Values))
	}
	total := time.Duration(n) * c.Bucket
	if n == 0 || c.Bucket <= 0 {
		out.Empty = true
		return out
	}

	// The y axis starts at zero: capacity and errors read wrong on a
	// cropped axis.
	top := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if finite(v) {
				top = max(top, v)
			}
		}
	}
	for _, r := range c.Refs {
		if finite(r.Value) {
			top = max(top, r.Value)
		}
	}
	ticks, step := niceTicks(0, top, 5)
	yTop := ticks[len(ticks)-1]
	yOf := func(v float64) float64 { return py + ph - v/yTop*ph }
	xOf := func(t time.Time) float64 { return px + float64(t.Sub(c.Start))/float64(total)*pw }

	for _, v := range ticks {
		out.YTicks = append(out.YTicks, svgTick{Pos: num(yOf(v)), Label: tickLabel(v, step)})
	}
	end := c.Start.Add(total)
	for _, t := range timeTicks(c.Start, end, 8) {
		out.XTicks = append(out.XTicks, svgTick{Pos: num(xOf(t.At)), Label: t.Label, Date: t.Date})
	}

	for _, s := range c.Series {
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if !finite(v) {
				pen = false
				continue
			}
			x := xOf(c.Start.Add(time.Duration(i)*c.Bucket + c.Bucket/2))
			if pen {
				d.WriteString(" L")
			} else {
				if d.Len() > 0 {
					d.WriteByte(' ')
				}
				d.WriteString("M")
				pen = true
			}
			d.WriteString(num(x) + " " + num(yOf(v)))
		}
		out.Lines = append(out.Lines, svgLine{Class: s.Class, Colour: s.Colour, Dash: s.Dash, Name: s.Name, D: d.String()})
	}

	for _, r := range c.Refs {
		if !finite(r.Value) {
			continue
		}
		y := yOf(r.Value)
		out.Refs = append(out.Refs, svgRef{Y: num(y), LabelY: num(y - 4), Label: r.Label})
	}

	for _, s := range c.Spans {
		x1, x2 := xOf(s.Start), xOf(s.End)
		if x2 < px || x1 > px+pw {
			continue // outside this series
		}
		x1, x2 = max(x1, px), min(x2, px+pw)
		// A short violation on a long series still gets a visible band.
		if w := x2 - x1; w < 2 {
			x1 = max(px, x1-(2-w)/2)
			x2 = x1 + 2
		}
		out.Spans = append(out.Spans, svgSpan{X: num(x1), W: num(x2 - x1), Title: s.Title})
	}

	// Legend along the top, left to right. Widths are estimated: the page
	// font is not known here, 8 units a character suits the 14-unit font.
	x := px
	for _, s := range c.Series {
		out.Legend = append(out.Legend, svgLegend{
			X: num(x), X2: num(x + 18), TextX: num(x + 22),
			Class: s.Class, Colour: s.Colour, Dash: s.Dash, Name: s.Name,
		})
		x += 22 + 8*float64(len([]rune(s.Name))) + 18
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// niceTicks returns about n evenly spaced round tick values covering
// [lo, hi], starting at or below lo and ending at or above hi, and their
// step: Heckbert's "nice numbers for graph labels" (Graphics Gems, 1990).
func niceTicks(lo, hi float64, n int) ([]float64, float64) {
	if !finite(lo) || !finite(hi) {
		lo, hi = 0, 1
	}
	if hi <= lo {
		hi = lo + 1
	}
	n = max(n, 2)
	step := niceNum(niceNum(hi-lo, false)/float64(n-1), true)
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
// k or M for large values: 1500 → "1.5k".
func tickLabel(v, step float64) string {
	if v == 0 {
		return "0"
	}
	suffix := ""
	switch {
	case step >= 1e6 || math.Abs(v) >= 1e7:
		v, step, suffix = v/1e6, step/1e6, "M"
	case step >= 1e3 || math.Abs(v) >= 1e4:
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
	Date  string
}

// tickSteps are the round steps a time axis may use.
var tickSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeTicks returns at most n ticks between start and end on round UTC
// times (whole hours, midnights...), with labels: "15:04" under the tick and
// "Jan 2" on the first tick and where the day changes; for steps of a day
// or more, the date alone.
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
