package chart

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
)

// Point is a value at a moment. A NaN or infinite value is a gap: the
// line breaks there rather than draw across what is not known.
type Point struct {
	At time.Time
	V  float64
}

// Buckets turns values aggregated over equal buckets from start into
// points at the middle of each bucket, where their average belongs.
func Buckets(start time.Time, bucket time.Duration, values []float64) []Point {
	pts := make([]Point, len(values))
	for i, v := range values {
		pts[i] = Point{At: start.Add(time.Duration(i)*bucket + bucket/2), V: v}
	}
	return pts
}

// Series is one line. Colour, Dash and Width are SVG presentation
// attributes, so that a chart copied out of its page keeps its look; Class
// lets the page's CSS override them (dark mode).
type Series struct {
	Name   string
	Class  string
	Colour string
	// Dash is a stroke-dasharray ("7 4"), empty for a solid line.
	Dash string
	// Width is the stroke width in viewBox units; 0 means 1.6.
	Width float64
	// Step draws each value held until the next point, as a count of
	// instances is; otherwise points are joined, as a rate is.
	Step   bool
	Points []Point
}

// Ref is a horizontal dashed line with a label at its right end, such as
// an SLO limit. The y axis always reaches it, so the limit is in sight
// even while the line stays far below.
type Ref struct {
	Value float64
	Label string
}

// BandStyle is how a kind of band looks. Name is its legend entry; a style
// without one is left out of the legend (the page explains it elsewhere).
type BandStyle struct {
	Class, Fill, Opacity, Name string
}

// Band shades a time interval over the plot's full height: an SLO
// violation, a guard's run of interventions. Title is the tooltip.
type Band struct {
	Start, End time.Time
	Title      string
	Style      BandStyle
}

// Mark is a triangle standing on the time axis at a moment: an error.
// Title is its tooltip.
type Mark struct {
	At    time.Time
	Title string
}

// Frame is a chart's geometry in viewBox units: its size and the margins
// around the plot. The page scales the SVG to its width, so these are
// proportions, not pixels. The left margin holds the y labels, the bottom
// the time labels (and their dates); the top holds an SVG legend, if any.
type Frame struct {
	W, H                     float64
	Left, Right, Top, Bottom float64
}

// LegendPlace says where the legend goes.
type LegendPlace int

const (
	// LegendInSVG draws the legend in a row in the frame's top margin: a
	// chart saved on its own keeps it.
	LegendInSVG LegendPlace = iota
	// LegendInHTML returns the legend as an HTML list in
	// Rendered.Legend, for the page to put above the chart: it wraps on a
	// phone, where a row inside the scaled-down SVG would be unreadable.
	LegendInHTML
)

// Chart is a time chart before layout: series over the time axis
// [Start, End], with reference lines, bands and marks.
type Chart struct {
	// Label names the chart for screen readers and as its SVG title.
	Label string
	// Class is added to the svg element's class "chart", for the page's CSS.
	Class string
	// Unit, when set, is written above the y axis ("req/s", "%"), and
	// "UTC" beside the time labels, so a chart on its own says what it
	// measures. Leave it empty when the page's caption says so.
	Unit string
	// Empty is what the chart says when it has no finite value to draw;
	// "no data" when unset.
	Empty string
	Frame Frame

	Start, End time.Time
	// Integer keeps the y ticks on whole numbers (instance counts).
	Integer bool

	Series []Series
	Refs   []Ref
	Bands  []Band
	// Marks are in time order. Marks closer than a few units share one
	// triangle, whose title counts the others.
	Marks []Mark
	// MarkName names the marks in the legend and in a shared mark's
	// title ("error": "… (and 3 more errors until …)").
	MarkName string
	Legend   LegendPlace
}

// Rendered is a chart written out: SVG is the svg element, Legend the HTML
// list to put above it (empty unless the chart asked for LegendInHTML).
// Both are escaped: every label, name and title is text, never markup.
type Rendered struct {
	SVG, Legend template.HTML
}

// The layout's constants, in viewBox units.
const (
	yTicks        = 5   // about five y ticks, zero included
	xTicks        = 8   // at most eight time ticks
	defaultWidth  = 1.6 // a series' stroke
	minBandWidth  = 2   // a one-second violation on a month still shows
	markMerge     = 8   // marks closer than this share a triangle
	legendRowY    = 12  // the SVG legend's swatch line...
	legendTextY   = 16  // ...and its text baseline
	legendCharW   = 8   // an estimated character of the 14-unit legend font
	legendSwatchW = 18
)

// Render lays the chart out in its frame and writes it. The y axis starts
// at zero: capacity and error ratios read wrong on a cropped axis.
func (c Chart) Render() Rendered {
	f := c.Frame
	px, py := f.Left, f.Top
	pw, ph := f.W-f.Left-f.Right, f.H-f.Top-f.Bottom
	right, bottom := px+pw, py+ph

	var w svgWriter
	class := "chart"
	if c.Class != "" {
		class += " " + c.Class
	}
	w.line(`<svg class="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-label="%s">`,
		esc(class), num(f.W), num(f.H), esc(c.Label))
	w.line(`<title>%s</title>`, esc(c.Label))

	span := c.End.Sub(c.Start)
	top, seen := 0.0, false
	for _, s := range c.Series {
		for _, p := range s.Points {
			if finite(p.V) {
				top, seen = max(top, p.V), true
			}
		}
	}
	if !seen || span <= 0 {
		empty := c.Empty
		if empty == "" {
			empty = "no data"
		}
		w.line(`<text class="empty" x="%s" y="%s" text-anchor="middle" fill="%s">%s</text>`, num(px+pw/2), num(py+ph/2), Muted, esc(empty))
		w.end("</svg>")
		return Rendered{SVG: w.html()}
	}
	for _, r := range c.Refs {
		if finite(r.Value) {
			top = max(top, r.Value)
		}
	}

	ticks, step := niceTicks(0, top, yTicks, c.Integer)
	yTop := ticks[len(ticks)-1]
	yOf := func(v float64) float64 { return py + ph - v/yTop*ph }
	// xAt is unclamped, to tell what lies outside the window; xOf keeps a
	// point a little ahead of the window's end (another clock's) on the plot.
	xAt := func(t time.Time) float64 { return px + float64(t.Sub(c.Start))/float64(span)*pw }
	xOf := func(t time.Time) float64 { return min(max(xAt(t), px), right) }

	for _, b := range c.Bands {
		x1, x2 := xAt(b.Start), xAt(b.End)
		if x2 < px || x1 > right {
			continue // outside the window
		}
		x1, x2 = max(x1, px), min(x2, right)
		if wd := x2 - x1; wd < minBandWidth {
			x1 = min(max(px, x1-(minBandWidth-wd)/2), right-minBandWidth)
			x2 = x1 + minBandWidth
		}
		w.line(`<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s"><title>%s</title></rect>`,
			esc(b.Style.Class), num(x1), num(py), num(x2-x1), num(ph), esc(b.Style.Fill), esc(b.Style.Opacity), esc(b.Title))
	}

	w.line(`<g class="yaxis">`)
	for _, v := range ticks {
		y := num(yOf(v))
		w.line(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1"/>`, num(px), num(right), y, y, Grid)
		w.line(`<text x="%s" dx="-6" y="%s" dy="0.32em" text-anchor="end" fill="%s">%s</text>`, num(px), y, Muted, esc(tickLabel(v, step)))
	}
	if c.Unit != "" {
		w.line(`<text x="6" y="%s" dy="-0.9em" fill="%s">%s</text>`, num(py), Muted, esc(c.Unit))
	}
	w.line(`</g>`)

	w.line(`<g class="xaxis">`)
	w.line(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1"/>`, num(px), num(right), num(bottom), num(bottom), Muted)
	for _, t := range timeTicks(c.Start, c.End, xTicks) {
		x := num(xOf(t.At))
		w.line(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1"/>`, x, x, num(bottom), num(bottom+4), Muted)
		w.line(`<text x="%s" y="%s" dy="1.25em" text-anchor="middle" fill="%s">%s</text>`, x, num(bottom), Muted, esc(t.Label))
		if t.Date != "" {
			w.line(`<text x="%s" y="%s" dy="2.4em" text-anchor="middle" fill="%s">%s</text>`, x, num(bottom), Muted, esc(t.Date))
		}
	}
	if c.Unit != "" {
		w.line(`<text x="6" y="%s" dy="1.25em" fill="%s">UTC</text>`, num(bottom), Muted)
	}
	w.line(`</g>`)

	for _, s := range c.Series {
		var d string
		if s.Step {
			d = stepPath(s.Points, xOf, yOf)
		} else {
			d = linePath(s.Points, xOf, yOf)
		}
		w.line(`<path class="%s" d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"%s><title>%s</title></path>`,
			esc(join("line", s.Class)), d, esc(s.Colour), num(width(s)), dash(s.Dash), esc(s.Name))
	}

	for _, r := range c.Refs {
		if !finite(r.Value) {
			continue
		}
		y := yOf(r.Value)
		w.line(`<line class="ref" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1.2" stroke-dasharray="5 4"/>`, num(px), num(right), num(y), num(y), Ink)
		w.line(`<text class="ref-label" x="%s" y="%s" text-anchor="end" fill="%s">%s</text>`, num(right), num(y-4), Ink, esc(r.Label))
	}

	for i := 0; i < len(c.Marks); {
		x := xOf(c.Marks[i].At)
		j := i + 1
		for j < len(c.Marks) && xOf(c.Marks[j].At)-x < markMerge {
			j++
		}
		title := c.Marks[i].Title
		if n := j - i - 1; n > 0 {
			title += fmt.Sprintf(" (and %d more%s until %s UTC)", n, noun(c.MarkName, n), c.Marks[j-1].At.UTC().Format("2006-01-02 15:04:05"))
		}
		w.line(`<path class="mark" d="%s" fill="%s"><title>%s</title></path>`, triangle(x, bottom-11), Red, esc(title))
		i = j
	}

	entries := c.legend()
	var legend template.HTML
	switch {
	case len(entries) == 0:
	case c.Legend == LegendInHTML:
		legend = legendHTML(entries)
	default:
		w.line(`<g class="legend">`)
		x := px
		for _, e := range entries {
			switch {
			case e.band != nil:
				w.line(`<rect x="%s" y="%s" width="%s" height="12" fill="%s" fill-opacity="%s"/>`,
					num(x), num(legendRowY-6), num(legendSwatchW), esc(e.band.Fill), esc(e.band.Opacity))
			case e.mark:
				w.line(`<path class="mark" d="%s" fill="%s"/>`, triangle(x+legendSwatchW/2, legendRowY-6), Red)
			default:
				w.line(`<line%s x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2.5"%s/>`,
					classAttr(e.series.Class), num(x), num(x+legendSwatchW), num(legendRowY), num(legendRowY), esc(e.series.Colour), dash(e.series.Dash))
			}
			w.line(`<text class="legend" x="%s" y="%s" fill="%s">%s</text>`, num(x+legendSwatchW+4), num(legendTextY), Ink, esc(e.name))
			// Widths are estimated: the page's font is not known here.
			x += legendSwatchW + 4 + legendCharW*float64(len([]rune(e.name))) + 18
		}
		w.line(`</g>`)
	}
	w.end("</svg>")
	return Rendered{SVG: w.html(), Legend: legend}
}

// legendEntry is a series, a band style or the marks.
type legendEntry struct {
	name   string
	series *Series
	band   *BandStyle
	mark   bool
}

// legend lists the series, then each named band style in the order the
// bands first use it, then the marks: what is on the plot, and no more.
func (c Chart) legend() []legendEntry {
	var out []legendEntry
	for i := range c.Series {
		out = append(out, legendEntry{name: c.Series[i].Name, series: &c.Series[i]})
	}
	var styles []BandStyle
	for _, b := range c.Bands {
		if b.Style.Name != "" && !slices.Contains(styles, b.Style) {
			styles = append(styles, b.Style)
		}
	}
	for i := range styles {
		out = append(out, legendEntry{name: styles[i].Name, band: &styles[i]})
	}
	if len(c.Marks) > 0 && c.MarkName != "" {
		out = append(out, legendEntry{name: c.MarkName, mark: true})
	}
	return out
}

// legendHTML writes the legend as a list of swatches and names.
func legendHTML(entries []legendEntry) template.HTML {
	var w svgWriter
	w.line(`<ul class="legend">`)
	for _, e := range entries {
		var swatch string
		switch {
		case e.band != nil:
			swatch = fmt.Sprintf(`<rect width="24" height="12" fill="%s" fill-opacity="%s"/>`, esc(e.band.Fill), esc(e.band.Opacity))
		case e.mark:
			swatch = fmt.Sprintf(`<path class="mark" d="M12 1 L17 10 L7 10 Z" fill="%s"/>`, Red)
		default:
			swatch = fmt.Sprintf(`<line%s x1="0" x2="24" y1="6" y2="6" stroke="%s" stroke-width="2.5"%s/>`,
				classAttr(e.series.Class), esc(e.series.Colour), dash(e.series.Dash))
		}
		w.line(`<li><svg class="swatch" width="24" height="12" viewBox="0 0 24 12" aria-hidden="true">%s</svg>%s</li>`, swatch, esc(e.name))
	}
	w.end(`</ul>`)
	return w.html()
}

// stepPath draws a series as steps: each value held until the next point,
// the last until its own time (the caller adds a point where it ends).
func stepPath(pts []Point, xOf func(time.Time) float64, yOf func(float64) float64) string {
	var b pathBuilder
	lastX, lastY := 0.0, 0.0
	for _, p := range pts {
		x := xOf(p.At)
		if !finite(p.V) {
			if b.pen {
				b.WriteString(" H" + num(x))
			}
			b.pen = false
			continue
		}
		y := yOf(p.V)
		switch {
		case !b.pen:
			b.move(x, y)
			lastY = y
		case y != lastY:
			b.WriteString(" H" + num(x) + " V" + num(y))
			lastY = y
		}
		lastX = x
	}
	if b.pen {
		b.WriteString(" H" + num(lastX))
	}
	return b.String()
}

// linePath joins a series' points, broken at gaps. Points falling in the
// same column (one viewBox unit) are reduced to the first, highest, lowest
// and last, drawn at the column's centre, so a week of decisions stays a
// small path that still shows every peak; a point alone in its column
// keeps its exact place.
func linePath(pts []Point, xOf func(time.Time) float64, yOf func(float64) float64) string {
	var b pathBuilder
	var col []float64
	colKey, colX := math.NaN(), 0.0
	flush := func() {
		if len(col) == 0 {
			return
		}
		x := colX
		if len(col) > 1 {
			x = colKey
		}
		ys := []float64{col[0]}
		for _, y := range []float64{slices.Max(col), slices.Min(col), col[len(col)-1]} {
			if y != ys[len(ys)-1] {
				ys = append(ys, y)
			}
		}
		for _, y := range ys {
			if !b.pen {
				b.move(x, y)
				continue
			}
			b.WriteString(" L" + num(x) + " " + num(y))
		}
		col = col[:0]
	}
	for _, p := range pts {
		if !finite(p.V) {
			flush()
			b.pen = false
			colKey = math.NaN()
			continue
		}
		x := xOf(p.At)
		if k := math.Round(x); k != colKey {
			flush()
			colKey, colX = k, x
		}
		col = append(col, yOf(p.V))
	}
	flush()
	return b.String()
}

// pathBuilder writes an SVG path's d; pen says whether the next point
// continues the current run.
type pathBuilder struct {
	strings.Builder
	pen bool
}

func (b *pathBuilder) move(x, y float64) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString("M" + num(x) + " " + num(y))
	b.pen = true
}

// triangle is a mark's path, its tip at (x, y), 12 wide and 11 high.
func triangle(x, y float64) string {
	return "M" + num(x) + " " + num(y) + " L" + num(x+6) + " " + num(y+11) + " L" + num(x-6) + " " + num(y+11) + " Z"
}

func width(s Series) float64 {
	if s.Width > 0 {
		return s.Width
	}
	return defaultWidth
}

func dash(d string) string {
	if d == "" {
		return ""
	}
	return ` stroke-dasharray="` + esc(d) + `"`
}

func classAttr(class string) string {
	if class == "" {
		return ""
	}
	return ` class="` + esc(class) + `"`
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// noun is " errors" for n errors, "" when the marks have no name.
func noun(name string, n int) string {
	switch {
	case name == "":
		return ""
	case n == 1:
		return " " + name
	}
	return " " + name + "s"
}

// svgWriter collects the lines of an element.
type svgWriter struct{ strings.Builder }

// line writes one element (or a tag) on a line of its own.
func (w *svgWriter) line(format string, args ...any) {
	fmt.Fprintf(w, format, args...)
	w.WriteByte('\n')
}

// end writes the closing tag, without a newline after it.
func (w *svgWriter) end(tag string) { w.WriteString(tag) }

// html is the written text: every value in it went through esc, so a
// template may insert it as it is.
func (w *svgWriter) html() template.HTML { return template.HTML(w.String()) }

// escaper escapes text for an HTML or SVG element's content or a quoted
// attribute: the characters html/template escapes, the same way, so the
// charts read the same whether a template or this package wrote them.
var escaper = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)

// esc escapes s: labels and titles come from policy files, traffic file
// names and platform errors, and are text, never markup.
func esc(s string) string { return escaper.Replace(s) }
