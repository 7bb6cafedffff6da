package report

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/internal/chart"
)

// reportFrame is the geometry of every chart of the report, in viewBox
// units: a row of legend above the plot, the unit and y labels on its
// left, times and dates under it.
var reportFrame = chart.Frame{W: 900, H: 220, Left: 62, Right: 24, Top: 28, Bottom: 40}

// violationBand shades an SLO violation; the page's footer says what the
// red bands are, so they are not in each chart's legend.
var violationBand = chart.BandStyle{Class: "violation", Fill: chart.Red, Opacity: "0.18"}

// newHTMLChart draws the three charts of one policy on one traffic series,
// all with the same time axis and the same shaded violations.
func newHTMLChart(c *check.Chart, s check.Service, zone string) htmlChart {
	var bands []chart.Band
	for _, v := range c.Violations {
		title := fmt.Sprintf("SLO violation %s to %s (%s), error ratio up to %s, latency up to %s",
			fmtUTC(v.Start), fmtUTCNear(v.End, v.Start), fmtSeconds(durationSeconds(v)),
			fmtPercent(v.WorstErrorRatio), violationLatency(v))
		if local := localStart(v, zone); local != "" {
			title += "; started " + local
		}
		bands = append(bands, chart.Band{Start: v.Start, End: v.End, Title: title, Style: violationBand})
	}
	// The axis covers the buckets, the longest series' worth.
	n := max(len(c.Demand), len(c.Capacity), len(c.Required), len(c.ErrorRatio), len(c.LatencyMs))
	end := c.Start
	if c.Bucket > 0 {
		end = c.Start.Add(time.Duration(n) * c.Bucket)
	}
	panel := func(label, unit string, series ...chart.Series) chart.Chart {
		return chart.Chart{Label: label, Unit: unit, Frame: reportFrame, Start: c.Start, End: end, Series: series, Bands: bands}
	}
	points := func(values []float64) []chart.Point { return chart.Buckets(c.Start, c.Bucket, values) }

	capacity := panel("Demand, ready capacity and required capacity in requests/s on "+c.Traffic, "req/s",
		chart.Series{Name: "demand", Class: "s-demand", Colour: chart.Blue, Points: points(c.Demand)},
		chart.Series{Name: "ready capacity", Class: "s-capacity", Colour: chart.Black, Points: points(c.Capacity)},
		chart.Series{Name: "required capacity", Class: "s-required", Colour: chart.Orange, Dash: "6 4", Points: points(c.Required)},
	)

	pct := make([]float64, len(c.ErrorRatio))
	for i, e := range c.ErrorRatio {
		pct[i] = 100 * e
	}
	errors := panel("Error ratio in percent on "+c.Traffic, "%",
		chart.Series{Name: "error ratio", Class: "s-errors", Colour: chart.Vermillion, Points: points(pct)})
	if m := s.SLO.MaxErrorRatio; m > 0 {
		errors.Refs = []chart.Ref{{Value: 100 * m, Label: "SLO " + fmtPercent(m)}}
	}

	// Latency in milliseconds, or in seconds when timeouts push it past
	// a few seconds: "10k ms" reads worse than "10 s".
	label, unit := "Mean latency in milliseconds on "+c.Traffic, "ms"
	values, scale := c.LatencyMs, 1.0
	if maxFinite(c.LatencyMs) >= 2000 {
		label, unit = "Mean latency in seconds on "+c.Traffic, "s"
		scale = 1000
		values = make([]float64, len(c.LatencyMs))
		for i, ms := range c.LatencyMs {
			values[i] = ms / scale
		}
	}
	latency := panel(label, unit, chart.Series{Name: "mean latency", Class: "s-latency", Colour: chart.Purple, Points: points(values)})
	if m := s.SLO.MaxLatencyMs; m > 0 {
		latency.Refs = []chart.Ref{{Value: m / scale, Label: "SLO " + fmtLatency(m)}}
	}

	return htmlChart{
		Traffic:  c.Traffic,
		Capacity: capacity.Render().SVG,
		Errors:   errors.Render().SVG,
		Latency:  latency.Render().SVG,
	}
}

// maxFinite returns the largest finite value of xs, or 0.
func maxFinite(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			m = max(m, x)
		}
	}
	return m
}

// zoomFrame is a violation's own chart: shorter than the day's.
var zoomFrame = chart.Frame{W: 900, H: 180, Left: 62, Right: 24, Top: 28, Bottom: 40}

// causeBand shades the decision that caused a violation on its zoom chart.
var causeBand = chart.BandStyle{Class: "cause", Fill: chart.Orange, Opacity: "0.55", Name: "the decision that caused it"}

// zoomChart draws one violation ±30 minutes at 15 s: demand, ready and
// required capacity, the decisions in it as marks and its cause shaded.
func zoomChart(z *check.Chart, v check.Violation, decisions []headroom.Decision) template.HTML {
	end := z.Start.Add(time.Duration(len(z.Demand)) * z.Bucket)
	points := func(values []float64) []chart.Point { return chart.Buckets(z.Start, z.Bucket, values) }
	c := chart.Chart{Label: fmt.Sprintf("Demand and capacity from %s to %s", fmtUTC(z.Start), fmtUTCNear(end, z.Start)),
		Unit: "req/s", Frame: zoomFrame, Start: z.Start, End: end, MarkName: "decision",
		Series: []chart.Series{
			{Name: "demand", Class: "s-demand", Colour: chart.Blue, Points: points(z.Demand)},
			{Name: "ready capacity", Class: "s-capacity", Colour: chart.Black, Step: true, Points: points(z.Capacity)},
			{Name: "required capacity", Class: "s-required", Colour: chart.Orange, Dash: "6 4", Points: points(z.Required)},
		},
		Bands: []chart.Band{{Start: v.Start, End: v.End, Title: "SLO violation " + fmtUTC(v.Start) + " to " + fmtUTCNear(v.End, v.Start), Style: violationBand}},
	}
	for _, d := range decisions {
		if d.Time.Before(z.Start) || !d.Time.Before(end) {
			continue
		}
		title := fmt.Sprintf("%s %s %s: %s", fmtUTC(d.Time), d.Reason.Code, decisionChange(d, "→"), oneLine(d.Reason.Message))
		if c := v.Cause; c != nil && c.Time.Equal(d.Time) {
			continue // shaded as the cause below
		}
		c.Marks = append(c.Marks, chart.Mark{At: d.Time, Title: title})
	}
	if cause := v.Cause; cause != nil && !cause.Time.Before(z.Start) && cause.Time.Before(end) {
		c.Bands = append(c.Bands, chart.Band{Start: cause.Time, End: cause.Time.Add(z.Bucket),
			Title: fmt.Sprintf("cause: %s %s %s: %s", fmtUTC(cause.Time), cause.Reason.Code, decisionChange(*cause, "→"), oneLine(cause.Reason.Message)),
			Style: causeBand})
	}
	return c.Render().SVG
}
