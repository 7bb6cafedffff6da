package statuspage

import (
	"html/template"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/chart"
)

// metricsJSONPath is the system metrics' series as JSON: headroom's own
// document, beside (not in) Statuspage's v2 API, which has none.
const metricsJSONPath = "/api/system-metrics.json"

// metricsPath is the page of a range's charts: /system-metrics/week. Not
// /metrics, which serve gives to its Prometheus exposition.
func metricsPath(r MetricRange) string { return "/system-metrics/" + r.Name }

// sysMetrics is what a Handler keeps of the system metrics: the last
// collection's charts, rendered once per change, and what was made of
// them.
type sysMetrics struct {
	// snap is the last snapshot published, rendered again when a
	// collection changes a chart.
	snap *incident.Snapshot
	// metrics are the last collection's, with their rendered charts
	// (charts[i][r] of metrics[i] over MetricRanges[r]).
	metrics []MetricData
	charts  [][]chartView
	json    []byte
	// gen counts the collections that changed something; pages holds
	// each range's page as last rendered, for gen and a page name.
	gen   int
	pages map[string]metricsPage
}

type metricsPage struct {
	gen  int
	name string
	doc  doc
}

// chartView is one metric's chart over one range, with its text.
type chartView struct {
	ID, Name string
	SVG      template.HTML
	// Summary is the chart's text alternative: the value now, the
	// highest, the objective.
	Summary string
	// Stale says since when the figures have not been updated, when the
	// source stopped answering.
	Stale string
}

// metricsSectionView is the "System Metrics" section over one range.
type metricsSectionView struct {
	Range      string
	Tabs       []metricsTab
	Components []metricsComponentView
}

type metricsTab struct {
	Label, Href string
	Current     bool
}

type metricsComponentView struct {
	Name   string
	Charts []chartView
}

// metricsPageView is /system-metrics/{range}.
type metricsPageView struct {
	base
	Section *metricsSectionView
}

// PublishMetrics renders the charts of a collection that changed (an
// unchanged series keeps its SVG) and serves them with the last snapshot:
// the status page under its components, /system-metrics/{day,week,month}
// and /api/system-metrics.json. It is Collector.Publish's callback. A
// collection with nothing new renders nothing.
func (h *Handler) PublishMetrics(ms *MetricsSnapshot) {
	if ms == nil {
		return
	}
	if p := h.private.Load(); p != nil {
		p.PublishMetrics(ms) // the private audience's site (access.go)
	}
	h.mu.Lock()
	changed, snap := h.updateMetrics(ms)
	h.mu.Unlock()
	if changed && snap != nil {
		if w := h.whole.Load(); w != nil {
			// Two audiences: snap is a public view, which a write may
			// have replaced since; the whole page stands for it.
			snap = w
		}
		// The same version again: Publish renders it with the charts.
		h.Publish(snap)
	}
}

// updateMetrics takes a collection in; it says whether any chart or JSON
// changed, and returns the snapshot to render them with.
func (h *Handler) updateMetrics(ms *MetricsSnapshot) (bool, *incident.Snapshot) {
	s := &h.sys
	// Every metric gets a series per range, empty when the collection
	// had none: the pages index them by range.
	metrics := make([]MetricData, len(ms.Metrics))
	for i, d := range ms.Metrics {
		d.Series = append(d.Series[:len(d.Series):len(d.Series)], make([]MetricSeries, max(len(MetricRanges)-len(d.Series), 0))...)[:len(MetricRanges)]
		metrics[i] = d
	}
	charts := make([][]chartView, len(metrics))
	changed := len(metrics) != len(s.metrics)
	for i := range metrics {
		d := &metrics[i]
		var prev *MetricData
		if i < len(s.metrics) && s.metrics[i].Metric == d.Metric {
			prev = &s.metrics[i]
		}
		unit := metricUnit(d)
		charts[i] = make([]chartView, len(d.Series))
		for r := range d.Series {
			if prev != nil && r < len(prev.Series) && metricUnit(prev) == unit && reflect.DeepEqual(prev.Series[r], d.Series[r]) {
				charts[i][r] = s.charts[i][r]
				continue
			}
			changed = true
			charts[i][r] = h.chartOf(d, r, unit)
		}
	}
	if !changed {
		return false, s.snap
	}
	b, err := encodeMetricsJSON(ms.CollectedAt, metrics)
	if err != nil {
		// Numbers and strings only: a failure is a bug. Keep the last.
		h.logger().Error("status page: encode system metrics", "err", err)
		return false, s.snap
	}
	s.metrics, s.charts, s.json = metrics, charts, b
	s.gen++
	return true, s.snap
}

// unit is how a metric's values are shown: the factor from the kind's
// unit and the unit's name.
type unit struct {
	scale float64
	name  string
}

// metricUnit picks a metric's unit from all its values and its objective,
// so its three ranges read alike: percent for an error ratio, ms for a
// latency under a second, else s.
func metricUnit(d *MetricData) unit {
	if d.Kind == MetricErrorRatio {
		return unit{100, "%"}
	}
	top := d.SLO
	for _, s := range d.Series {
		for _, p := range s.Samples {
			if finite(p.V) {
				top = max(top, p.V)
			}
		}
	}
	if top < 1 {
		return unit{1000, "ms"}
	}
	return unit{1, "s"}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Frame of a system metric's chart: the page's width, a short plot.
var metricsFrame = chart.Frame{W: 760, H: 210, Left: 56, Right: 14, Top: 26, Bottom: 42}

// chartOf renders metric d over range r.
func (h *Handler) chartOf(d *MetricData, r int, u unit) chartView {
	rg, s := MetricRanges[r], d.Series[r]
	lang := h.language()
	over := lang.T("metrics.over_" + rg.Name)
	value := func(v float64) string { return lang.Number(formatValue(v, u)) }
	v := chartView{ID: d.ID, Name: d.Name}
	pts := make([]chart.Point, 0, len(s.Samples))
	last, top, topAt := math.NaN(), math.NaN(), time.Time{}
	for i, p := range s.Samples {
		if i > 0 && p.At.Sub(s.Samples[i-1].At) > rg.Step {
			// Prometheus gave no value in between (no series had a
			// sample): a gap in the line, not a straight one across. A
			// NaN value (0/0 without traffic) is a gap already.
			pts = append(pts, chart.Point{At: s.Samples[i-1].At.Add(rg.Step), V: math.NaN()})
		}
		pts = append(pts, chart.Point{At: p.At, V: p.V * u.scale})
		if !finite(p.V) {
			continue
		}
		last = p.V
		if !(p.V <= top) { // NaN at first
			top, topAt = p.V, p.At
		}
	}
	colour, class := chart.Vermillion, "errors"
	if d.Kind == MetricLatency {
		colour, class = chart.Purple, "latency"
	}
	c := chart.Chart{Label: lang.T("metrics.chart_label", d.Name, over, u.name), Class: "metric " + class, Unit: u.name, Frame: metricsFrame,
		Start: s.Start, End: s.End, Legend: chart.LegendInHTML,
		Empty:  lang.T("metrics.no_data_yet"),
		Series: []chart.Series{{Name: d.Name, Class: class, Colour: colour, Points: pts}}}
	if s.Stale && len(s.Samples) == 0 {
		c.Empty = lang.T("metrics.source_down")
	}
	if d.SLO > 0 {
		c.Refs = []chart.Ref{{Value: d.SLO * u.scale, Label: lang.T("metrics.objective_ref", value(d.SLO))}}
	}
	v.SVG = c.Render().SVG
	switch {
	case math.IsNaN(last):
		v.Summary = lang.T("metrics.summary_empty", d.Name, over)
	default:
		v.Summary = lang.T("metrics.summary", d.Name, over, value(last), lang.Time("short", s.End.UTC()), value(top), lang.Time("short", topAt.UTC()))
	}
	if d.SLO > 0 {
		v.Summary += " " + lang.T("metrics.objective", value(d.SLO))
	}
	if s.Stale {
		v.Stale = lang.T("metrics.stale", lang.Time("short", s.End.UTC()))
	}
	return v
}

// formatValue writes a value of the kind's unit in u: "0.12 %", "250 ms",
// "1.25 s".
func formatValue(v float64, u unit) string {
	x := v * u.scale
	var s string
	switch {
	case u.name == "ms" && x >= 10:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 100:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return s + " " + u.name
}

// metricsSection lays range r's charts out under their components, in
// page order; nil when no component shows a metric. root is the relative
// link to /.
func (h *Handler) metricsSection(m *model, r int, root string) *metricsSectionView {
	s := &h.sys
	if len(s.metrics) == 0 {
		return nil
	}
	v := &metricsSectionView{Range: MetricRanges[r].Name}
	for i, rg := range MetricRanges {
		v.Tabs = append(v.Tabs, metricsTab{Label: m.lang.T("metrics.tab_" + rg.Name), Href: root + metricsPath(rg)[1:], Current: i == r})
	}
	at := map[string]int{}
	add := func(id, name string) int {
		j, ok := at[id]
		if !ok {
			j = len(v.Components)
			at[id] = j
			v.Components = append(v.Components, metricsComponentView{Name: name})
		}
		return j
	}
	for _, c := range m.snap.Components {
		for i := range s.metrics {
			if s.metrics[i].ComponentID == c.ID {
				j := add(c.ID, c.Name)
				v.Components[j].Charts = append(v.Components[j].Charts, s.charts[i][r])
			}
		}
	}
	// A metric of a component the page no longer has still shows, under
	// its own name.
	for i := range s.metrics {
		if _, ok := m.components[s.metrics[i].ComponentID]; !ok {
			j := add("\x00"+s.metrics[i].ComponentID, s.metrics[i].ComponentID)
			v.Components[j].Charts = append(v.Components[j].Charts, s.charts[i][r])
		}
	}
	return v
}

// renderMetrics adds the pages of each range and the JSON, when there are
// system metrics. A page is rendered again only when a collection changed
// something or the page was renamed.
func (h *Handler) renderMetrics(m *model, out *rendered, html func(string, any) doc) {
	s := &h.sys
	if len(s.metrics) == 0 {
		return
	}
	if s.pages == nil {
		s.pages = map[string]metricsPage{}
	}
	name := m.pageName()
	for r, rg := range MetricRanges {
		path := metricsPath(rg)
		if p, ok := s.pages[path]; ok && p.gen == s.gen && p.name == name {
			out.pages[path] = p.doc
			continue
		}
		title := m.lang.T("metrics.page_title", m.lang.T("metrics.tab_"+rg.Name))
		d := html("metrics", metricsPageView{base: m.base(title, "../"), Section: h.metricsSection(m, r, "../")})
		s.pages[path] = metricsPage{gen: s.gen, name: name, doc: d}
		out.pages[path] = d
	}
	out.pages[metricsJSONPath] = doc{body: s.json, contentType: typeJSON, cors: true}
}

// The JSON of /api/system-metrics.json: every metric with its ranges,
// values in the kind's unit (a ratio, seconds), times in RFC 3339 and
// points as [unix seconds, value], null for a gap.
type metricsJSON struct {
	CollectedAt time.Time    `json:"collected_at"`
	Metrics     []metricJSON `json:"metrics"`
}

type metricJSON struct {
	ID          string      `json:"id"`
	ComponentID string      `json:"component_id"`
	Name        string      `json:"name"`
	Kind        MetricKind  `json:"kind"`
	Unit        string      `json:"unit"`
	SLO         *float64    `json:"slo"`
	Ranges      []rangeJSON `json:"ranges"`
}

type rangeJSON struct {
	Range       string      `json:"range"`
	Start       time.Time   `json:"start"`
	End         time.Time   `json:"end"`
	StepSeconds int64       `json:"step_seconds"`
	Stale       bool        `json:"stale"`
	Points      []pointJSON `json:"points"`
}

type pointJSON Sample

// MarshalJSON writes [unix seconds, value].
func (p pointJSON) MarshalJSON() ([]byte, error) {
	v := "null"
	if finite(p.V) {
		v = strconv.FormatFloat(p.V, 'g', -1, 64)
	}
	return []byte("[" + strconv.FormatInt(p.At.Unix(), 10) + "," + v + "]"), nil
}

func encodeMetricsJSON(at time.Time, metrics []MetricData) ([]byte, error) {
	out := metricsJSON{CollectedAt: at.UTC(), Metrics: []metricJSON{}}
	for _, d := range metrics {
		mj := metricJSON{ID: d.ID, ComponentID: d.ComponentID, Name: d.Name, Kind: d.Kind, Unit: "ratio"}
		if d.Kind == MetricLatency {
			mj.Unit = "seconds"
		}
		if d.SLO > 0 {
			mj.SLO = &d.SLO
		}
		for r, s := range d.Series {
			rj := rangeJSON{Range: MetricRanges[r].Name, Start: s.Start.UTC(), End: s.End.UTC(),
				StepSeconds: int64(MetricRanges[r].Step / time.Second), Stale: s.Stale, Points: make([]pointJSON, len(s.Samples))}
			for i, p := range s.Samples {
				rj.Points[i] = pointJSON(p)
			}
			mj.Ranges = append(mj.Ranges, rj)
		}
		out.Metrics = append(out.Metrics, mj)
	}
	return encodeJSON(out)
}
