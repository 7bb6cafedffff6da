// Package chart draws headroom's time charts as inline SVG: the check
// report's demand, error and latency panels, the decisions page's capacity
// and demand panels, and whatever the status page draws next. It is the one
// place that decides how a chart looks — its scales, round time ticks, tick
// labels, line and step paths, shaded bands, markers and the palette — so
// that two pages showing the same kind of data show it the same way.
//
// A Chart is a value: series of (time, value) points, horizontal reference
// lines, shaded bands and markers over one time axis [Start, End]. Render
// lays it out in its Frame and writes the SVG, escaped, ready for an
// html/template page as template.HTML. Charts stacked with the same Start,
// End and Frame margins line up, so panels of one story share a time axis.
//
// The SVG carries its colours as presentation attributes, so a chart copied
// out of the page keeps its look, and class names, so the page's CSS can
// override them (dark mode). Nothing is loaded and nothing runs: the pages
// forbid both by their Content-Security-Policy.
//
// Standard library only.
package chart
