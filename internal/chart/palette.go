package chart

// The palette of every chart. Lines use the Okabe–Ito colours (black
// softened to #1a1a1a), which people with any common colour blindness
// still tell apart; a page's dark mode recolours the black line by its
// class. The others match the pages' GitHub-like greys and alert red. A page gives a quantity the same colour on every
// chart: demand is Blue and capacity Black in the report and on the
// decisions page alike.
const (
	Black      = "#1a1a1a" // capacity: the line people look at first
	Blue       = "#0072b2" // demand
	Orange     = "#e69f00" // required capacity; guard bands
	Vermillion = "#d55e00" // errors; the desired count
	Purple     = "#cc79a7" // latency; a proposed policy

	Red   = "#d1242f" // alerts: SLO violations, metrics-blind bands, error markers
	Ink   = "#1f2328" // reference lines and the legend's text
	Muted = "#59636e" // axes and their labels
	Grid  = "#d1d9e0" // horizontal grid lines
)
