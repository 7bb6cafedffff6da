package statuspage

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/i18n"
)

//go:embed page/page.html.tmpl page/metrics.html.tmpl page/page.css
var pageFiles embed.FS

// The templates and the stylesheet are made by the first page that needs
// them, not when the program starts: every other command (check, the
// autoscaler) would parse them for nothing.
var (
	// pageTemplates are parsed once, then copied for each language with
	// its catalog's t (a message) and n (a message by a count), by tag:
	// html/template escapes every value by its context. Only sanitized
	// Markdown enters as template.HTML.
	pageTemplates = sync.OnceValue(func() map[string]*template.Template {
		return languageTemplates(template.Must(template.New("page").Funcs(textFuncs(mustLookup(""))).ParseFS(pageFiles, "page/page.html.tmpl", "page/metrics.html.tmpl")))
	})
	// stylesheet is the one stylesheet and its path, which names its
	// content: browsers keep it for good, and a page carries only a link
	// to it (inline, it would be most of a small page's bytes, on every
	// request). Its texts (the uptime bars' tooltips and legend) are
	// custom properties set for each language by :lang().
	stylesheet = sync.OnceValues(func() (css []byte, path string) {
		css = []byte(mustRead(pageFiles, "page/page.css") + languageCSS())
		return css, "assets/status-" + contentHash(css) + ".css"
	})
)

// pageCSP is the Content-Security-Policy of every answer: no script,
// nothing loaded but the stylesheet, no inline style, no framing, no form.
const pageCSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// stylesheetURL is the stylesheet's path, below the page's root.
func stylesheetURL() string {
	_, path := stylesheet()
	return path
}

func mustRead(fs embed.FS, name string) string {
	data, err := fs.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return string(data)
}

func mustLookup(tag string) *i18n.Catalog {
	c, err := i18n.Lookup(tag)
	if err != nil {
		panic(err) // a language of i18n.Supported: cannot fail
	}
	return c
}

// textFuncs are the templates' words in c's language: {{t "nav.history"}},
// {{t "card.posted" .Posted}}, {{n "days_ago" 3}}. Every fixed text of a
// page goes through them (a test renders every page in every language).
func textFuncs(c *i18n.Catalog) template.FuncMap {
	return template.FuncMap{"t": c.T, "n": c.N}
}

// languageTemplates copies parsed, not yet executed, templates for each
// language, by tag.
func languageTemplates(parsed *template.Template) map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, tag := range i18n.Supported() {
		out[tag] = template.Must(parsed.Clone()).Funcs(textFuncs(mustLookup(tag)))
	}
	return out
}

// languageCSS sets the stylesheet's texts in each language: English on
// :root, the others on :root:lang(xx), which the page's <html lang>
// selects. A count of days is the uptime bar's CSS counter, so a text
// around it is two strings, before and after it.
func languageCSS() string {
	var b strings.Builder
	for _, tag := range i18n.Supported() {
		c := mustLookup(tag)
		const at = "\x00" // where the count goes
		daysAgo := c.T("days_ago.other", at)
		pre, post, _ := strings.Cut(c.T("uptime.quiet", daysAgo), at)
		nodataPre, nodataPost, _ := strings.Cut(c.T("uptime.no_data", daysAgo), at)
		vars := [][2]string{
			{"quiet-pre", pre}, {"quiet-post", post}, {"nodata-pre", nodataPre}, {"nodata-post", nodataPost},
			{"yesterday-quiet", c.T("uptime.quiet", c.T("uptime.yesterday"))},
			{"today-quiet", c.T("uptime.quiet", c.T("uptime.today"))},
			{"days-90", c.N("days_ago", 90)}, {"days-30", c.N("days_ago", 30)}, {"today", c.T("uptime.today")},
		}
		if tag == "en" {
			b.WriteString(":root{")
		} else {
			b.WriteString(":root:lang(" + tag + "){")
		}
		for i, v := range vars {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString("--t-" + v[0] + ":" + cssString(v[1]))
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// cssString quotes s as a CSS string (https://www.w3.org/TR/css-syntax-3/#consume-string-token).
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString("\\" + string(r))
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Content types of the answers.
const (
	typeCSS  = "text/css; charset=utf-8"
	typeHTML = "text/html; charset=utf-8"
	typeJSON = "application/json; charset=utf-8"
	typeAtom = "application/atom+xml; charset=utf-8"
	typeRSS  = "application/rss+xml; charset=utf-8"
)

// rendered is every answer of one snapshot.
type rendered struct {
	pages map[string]doc
	// history[0] is /history, history[n-1] /history?page=n.
	history                      []doc
	notFound, noIncident, noJSON doc
}

// model is a snapshot with what rendering it needs at hand.
type model struct {
	snap *incident.Snapshot
	loc  *time.Location
	// updatesJSON and kept are the Handler's: the incidents' updates'
	// JSON and items.
	updatesJSON *incident.UpdatesJSON
	kept        *keptItems
	// lang is the page's language and tmpl the templates speaking it.
	lang       *i18n.Catalog
	tmpl       *template.Template
	components map[string]*incident.Component
	groups     map[string]*incident.Group
	// bodies memoizes rendered Markdown: "This incident has been
	// resolved." is on most incidents. prev holds the last render's.
	bodies, prev map[string]template.HTML
	// context is what an incident's page and JSON depend on besides the
	// incident (the page, its components and groups); incidents holds
	// this render's incident pages and JSON, prevIncidents the last's:
	// a write changes one incident, and the others' answers are reused.
	context                  string
	incidents, prevIncidents map[string]*incidentDocs
	// bars are this render's uptime bars by component ID, prevBars the
	// last's: a write rarely changes a day of uptime, and formatting 20
	// components' 90 days was most of what a write allocated for /.
	bars, prevBars map[string]componentBars
	// componentHTML are this render's components' HTML by ID,
	// prevComponents the last's.
	componentHTML, prevComponents map[string]keptComponent
	// updatesOf are this render's updates of each incident.
	updatesOf map[*incident.Incident][]updateItem
	// err is the first failure of a template executed while building a
	// view.
	err error
}

// componentBars are a component's uptime bars as rendered from days, and
// their HTML.
type componentBars struct {
	days    []incident.DayUptime
	counted bool
	bars    []barView
	html    template.HTML
}

// sameDays says whether two components' days of uptime render the same
// bars.
func sameDays(a, b []incident.DayUptime) bool {
	return slices.EqualFunc(a, b, func(x, y incident.DayUptime) bool {
		return x.Date.Equal(y.Date) && x.OutageMinutes == y.OutageMinutes && x.Worst == y.Worst && x.NoData == y.NoData
	})
}

// incidentDocs is an incident's page and the JSON of its API incident, as
// rendered from inc (a copy) in a context.
type incidentDocs struct {
	inc     incident.Incident
	context string
	page    doc
	api     []byte
	// atomEntry and rssItem are its entries in the feeds, made when the
	// feeds list it, with the tag URI feedTag.
	atomEntry, rssItem []byte
	feedTag            string
	// past and history are its entries in the past incidents of / and
	// on /history, made when they list it: rendering them for every
	// incident at every write was most of those pages' template work.
	past, history template.HTML
}

// incidentDocs returns inc's rendered page and API JSON: the last render's
// when neither inc nor the context changed.
func (m *model) incidentDocs(inc *incident.Incident, html func(string, any) doc) (*incidentDocs, error) {
	if d, ok := m.prevIncidents[inc.ID]; ok && d.context == m.context && d.inc.Same(inc) {
		m.incidents[inc.ID] = d
		return d, nil
	}
	api, err := m.updatesJSON.Incident(m.snap.Page, inc, m.snap.Components)
	if err != nil {
		return nil, fmt.Errorf("encode incident %s: %w", inc.ID, err)
	}
	d := &incidentDocs{inc: inc.Clone(), context: m.context, page: html("incident", m.incidentView(inc)), api: api}
	m.incidents[inc.ID] = d
	return d, nil
}

// contextKey is what every incident's page and JSON read besides the
// incident.
func contextKey(s *incident.Snapshot) (string, error) {
	b, err := json.Marshal(struct {
		Page       incident.Page
		Components []incident.Component
		Groups     []incident.Group
	}{s.Page, s.Components, s.Groups})
	return string(b), err
}

// render renders every answer of snap; bodies are the Markdown rendered
// last time, and it returns this time's.
func (h *Handler) render(snap *incident.Snapshot, bodies map[string]template.HTML) (*rendered, map[string]template.HTML, error) {
	ctx, err := contextKey(snap)
	if err != nil {
		return nil, nil, fmt.Errorf("page context: %w", err)
	}
	lang := h.language()
	m := &model{snap: snap, loc: h.zoneOf(snap.Page.TimeZone), updatesJSON: &h.updates, kept: &h.kept, lang: lang, tmpl: pageTemplates()[lang.Lang], components: map[string]*incident.Component{},
		groups: map[string]*incident.Group{}, bodies: map[string]template.HTML{}, prev: bodies,
		context: ctx, incidents: map[string]*incidentDocs{}, prevIncidents: h.incidents,
		bars: make(map[string]componentBars, len(snap.Components)), prevBars: h.bars,
		componentHTML: make(map[string]keptComponent, len(snap.Components)), prevComponents: h.components,
		updatesOf: map[*incident.Incident][]updateItem{}}
	for i := range snap.Components {
		m.components[snap.Components[i].ID] = &snap.Components[i]
	}
	for i := range snap.Groups {
		m.groups[snap.Groups[i].ID] = &snap.Groups[i]
	}
	out := &rendered{pages: map[string]doc{}}
	html := func(name string, data any) doc {
		if err != nil {
			return doc{}
		}
		// Executed into one buffer kept between writes, then copied
		// out at its size: a fresh buffer per page grew by doubling,
		// twice the index's 66 KB of garbage on every write.
		h.scratch.Reset()
		if e := m.tmpl.ExecuteTemplate(&h.scratch, name, data); e != nil {
			err = fmt.Errorf("template %s: %w", name, e)
		}
		return doc{body: bytes.Clone(h.scratch.Bytes()), contentType: typeHTML}
	}

	css, path := stylesheet()
	out.pages["/"+path] = doc{body: css, contentType: typeCSS, immutable: true}
	// The incidents first: / and /history show their parts (incidentDocs).
	for i := range snap.Incidents {
		inc := &snap.Incidents[i]
		d, e := m.incidentDocs(inc, html)
		if e != nil {
			return nil, nil, e
		}
		out.pages["/incidents/"+inc.ID] = d.page
	}
	out.pages["/"] = html("index", h.indexView(m))
	if m.err != nil {
		return nil, nil, m.err
	}
	h.renderBadges(m, out)
	// A history page is rendered again only when what it shows changed:
	// a write changes the months of one incident.
	views := h.historyViews(m)
	for i, v := range views {
		if i < len(h.history) && reflect.DeepEqual(h.history[i].view, v) {
			out.history = append(out.history, h.history[i].doc)
			continue
		}
		out.history = append(out.history, html("history", v))
	}
	out.pages["/history"] = out.history[0]
	var notFound []notFoundDoc
	out.notFound = h.notFoundDoc(&notFound, notFoundView{base: m.base(m.lang.T("notfound.page"), "/"), Message: m.lang.T("notfound.page_message")}, html)
	out.noIncident = h.notFoundDoc(&notFound, notFoundView{base: m.base(m.lang.T("notfound.incident"), "../"),
		Message: m.lang.T("notfound.incident_message")}, html)
	h.renderMetrics(m, out, html)
	if err != nil {
		return nil, nil, err
	}
	if err := h.renderAPI(m, out); err != nil {
		return nil, nil, err
	}
	if err := h.renderFeeds(m, out); err != nil {
		return nil, nil, err
	}
	h.incidents, h.bars, h.components, h.notFound = m.incidents, m.bars, m.componentHTML, notFound
	h.history = h.history[:0]
	for i, v := range views {
		h.history = append(h.history, historyDoc{view: v, doc: out.history[i]})
	}
	return out, m.bodies, nil
}

// body renders an update's Markdown once per snapshot.
func (m *model) body(src string) template.HTML {
	if b, ok := m.bodies[src]; ok {
		return b
	}
	b, ok := m.prev[src]
	if !ok {
		b = renderMarkdown(src)
	}
	m.bodies[src] = b
	return b
}

// base is what every page's template needs.
type base struct {
	Title, PageName string
	// Root is the relative link from this page to /: "./" or "../".
	Root string
	// Stylesheet is the link to the stylesheet.
	Stylesheet string
	// Lang is the page's language tag, for <html lang>.
	Lang string
}

func (m *model) base(title, root string) base {
	name := m.pageName()
	full := m.lang.T("page.title", name)
	if title != "" {
		full = m.lang.T("page.title_sub", name, title)
	}
	return base{Title: full, PageName: name, Root: root, Stylesheet: root + stylesheetURL(), Lang: m.lang.Lang}
}

func (m *model) pageName() string {
	if m.snap.Page.Name == "" {
		return m.lang.T("page.default_name")
	}
	return m.snap.Page.Name
}

type notFoundView struct {
	base
	Message string
}

// notFoundDoc is a not-found page rendered from its view.
type notFoundDoc struct {
	view notFoundView
	doc  doc
}

// notFoundDoc returns the page of v, the last render's if it had v (a
// not-found page shows no incident: a write seldom changes it), and adds
// it to used.
func (h *Handler) notFoundDoc(used *[]notFoundDoc, v notFoundView, html func(string, any) doc) doc {
	d := notFoundDoc{view: v}
	if i := slices.IndexFunc(h.notFound, func(k notFoundDoc) bool { return k.view == v }); i >= 0 {
		d.doc = h.notFound[i].doc
	} else {
		d.doc = html("notfound", v)
	}
	*used = append(*used, d)
	return d.doc
}

// indexView is the status page.
type indexView struct {
	base
	// Indicator is the page's overall state (the banner's colour) and
	// Status its sentence.
	Indicator, Status string
	// Incidents are unresolved; Active the maintenances in progress;
	// Upcoming those scheduled.
	Incidents, Active, Upcoming []cardView
	Sections                    []sectionView
	Days                        []dayView
	// Metrics is the system metrics' day view; nil for none.
	Metrics *metricsSectionView
}

// sectionView is a group with its components, or a component alone.
type sectionView struct {
	Group              bool
	Name, Description  string
	Status, StatusText string
	Components         []componentView
}

type componentView struct {
	componentShown
	// Bars are the days BarsHTML draws.
	Bars []barView
	// HTML is the whole component rendered by "component".
	HTML template.HTML
}

// componentShown is what a component's HTML shows, and so the key its kept
// HTML is found by: a field the template reads belongs here (the bars'
// count, which it reads from Bars, comes with BarsHTML).
type componentShown struct {
	Name, Description, Status, StatusText string
	// BarsHTML is Bars rendered by the template "bars".
	BarsHTML  template.HTML
	Uptime    string
	HasUptime bool
	// Days is the legend's "N days ago" when not the stylesheet's 90.
	Days string
}

// barView is one day of a component's uptime: its colour (green when
// Class is empty) and what its tooltip says. A day without downtime, or
// without data, has no Tip when the component has the full 90 days: the
// stylesheet's tooltip counts the days back ("12 days ago: no downtime
// recorded"). A status page is mostly such days, and an element with
// neither attribute is 7 bytes: the page stays small for every request.
type barView struct{ Class, Tip string }

// cardView is an incident or maintenance on the status page.
type cardView struct {
	Href, Name, Impact string
	Maintenance        bool
	Window             string
	Updates            template.HTML // updatesHTML's Card
	Affected           string
}

// updateItem is an update's view with its HTML in each place it shows: the
// past incidents' lines, a card, an incident's page.
type updateItem struct {
	updateView
	Past, Card, Row template.HTML
	// Feed is its part of its incident's feed entry, escaped.
	Feed string
}

type updateView struct {
	Status, Label string
	Body          template.HTML
	// Inline is Body without its paragraph when it is one: the status
	// page's list writes it on the status's line.
	Inline template.HTML
	// Posted is the incident page's "Posted Jun 30, 2021 - 17:53 UTC";
	// Short the status page's "Jun 30, 17:53 UTC".
	Posted, Short string
}

type dayView struct {
	Date, Empty string
	Items       template.HTML // the "past" of each incident, each after a newline
}

type pastView struct {
	Href, Name, Impact string
	Postmortem         string
	Updates            template.HTML // updatesHTML's Past
}

func (h *Handler) indexView(m *model) indexView {
	s := m.snap
	v := indexView{base: m.base("", "./"), Indicator: string(s.Indicator), Status: s.Description}
	if v.Indicator == "" {
		v.Indicator = string(incident.IndicatorNone)
	}
	v.Status = m.banner(s.Description)
	var upcoming []*incident.Incident
	for i := range s.Incidents {
		inc := &s.Incidents[i]
		switch {
		case inc.Unresolved():
			v.Incidents = append(v.Incidents, m.card(inc))
		case inc.Kind == incident.KindMaintenance && (inc.Status == incident.InProgress || inc.Status == incident.Verifying):
			v.Active = append(v.Active, m.card(inc))
		case inc.Kind == incident.KindMaintenance && inc.Status == incident.Scheduled:
			upcoming = append(upcoming, inc)
		}
	}
	// Upcoming maintenance soonest first.
	slices.SortStableFunc(upcoming, func(a, b *incident.Incident) int { return a.ScheduledFor.Compare(b.ScheduledFor) })
	for _, inc := range upcoming {
		v.Upcoming = append(v.Upcoming, m.card(inc))
	}
	v.Sections = m.sections()
	v.Metrics = h.metricsSection(m, 0, "./")
	v.Days = h.pastDays(m)
	return v
}

// sections lays the components out in page order: a group where its
// first member is, with all its members.
func (m *model) sections() []sectionView {
	var out []sectionView
	at := map[string]int{} // group ID → index in out
	for i := range m.snap.Components {
		c := &m.snap.Components[i]
		cv := m.componentView(c)
		g, grouped := m.groups[c.GroupID]
		if !grouped {
			out = append(out, sectionView{Name: c.Name, Components: []componentView{cv}})
			continue
		}
		j, ok := at[g.ID]
		if !ok {
			j = len(out)
			at[g.ID] = j
			out = append(out, sectionView{Group: true, Name: g.Name, Description: g.Description})
		}
		out[j].Components = append(out[j].Components, cv)
	}
	for i := range out {
		if !out[i].Group {
			continue
		}
		worst := incident.Operational
		for _, c := range out[i].Components {
			worst = worse(worst, incident.ComponentStatus(c.Status))
		}
		out[i].Status, out[i].StatusText = string(worst), m.componentStatusText(worst)
	}
	return out
}

// worse returns the worse of two component statuses.
func worse(a, b incident.ComponentStatus) incident.ComponentStatus {
	if slices.Index(incident.ComponentStatuses, b) > slices.Index(incident.ComponentStatuses, a) {
		return b
	}
	return a
}

// componentView is c's view with its HTML, rendered again only when the
// view changed: twenty components' templates on every write (a reflected
// call for each name, status and label) were a third of /'s.
func (m *model) componentView(c *incident.Component) componentView {
	v := m.componentFields(c)
	key := componentKey{lang: m.lang, shown: v.componentShown}
	if kept, ok := m.prevComponents[c.ID]; ok && kept.key == key {
		v.HTML = kept.html
	} else {
		v.HTML = m.fragment("component", v)
	}
	m.componentHTML[c.ID] = keptComponent{key: key, html: v.HTML}
	return v
}

// componentKey is what a component's HTML shows, in its language.
type componentKey struct {
	lang  *i18n.Catalog
	shown componentShown
}

// keptComponent is a component's HTML and the view it shows.
type keptComponent struct {
	key  componentKey
	html template.HTML
}

func (m *model) componentFields(c *incident.Component) componentView {
	status := c.Status
	if status == "" {
		status = incident.Operational
	}
	v := componentView{componentShown: componentShown{Name: c.Name, Description: c.Description, Status: string(status), StatusText: m.componentStatusText(status)}}
	up, ok := m.snap.Uptime[c.ID]
	if !ok || len(up.Days) == 0 {
		return v
	}
	v.HasUptime = true
	v.Uptime = m.lang.Number(formatPercent(up.Percent))
	// The stylesheet counts 90 days back; another length names every day.
	counted := len(up.Days) == incident.UptimeDays
	if !counted {
		v.Days = m.lang.N("days_ago", len(up.Days))
	}
	if prev, ok := m.prevBars[c.ID]; ok && prev.counted == counted && sameDays(prev.days, up.Days) {
		v.Bars, v.BarsHTML = prev.bars, prev.html
	} else {
		v.Bars = make([]barView, len(up.Days))
		for i, d := range up.Days {
			v.Bars[i] = m.bar(d, counted)
		}
		var b strings.Builder
		if err := m.tmpl.ExecuteTemplate(&b, "bars", v.Bars); err != nil && m.err == nil {
			m.err = fmt.Errorf("template bars: %w", err)
		}
		v.BarsHTML = template.HTML(b.String()) // escaped by html/template
	}
	m.bars[c.ID] = componentBars{days: up.Days, counted: counted, bars: v.Bars, html: v.BarsHTML}
	return v
}

// barLevel colours a day of uptime on Statuspage's scale: "Each day will
// appear somewhere on the scale of Green->Yellow->Orange->Red depending on
// how much downtime the component had. Days that had no or little downtime
// will appear as Green or Yellow, whereas days with more downtime will
// appear as Orange or Red." (https://help.statuspage.io/help/uptime-calendar).
// Statuspage does not publish its thresholds; these are headroom's, in
// minutes of downtime (a partial outage counting 30% of its minutes, as
// incident.DayUptime does). A day without downtime is green.
type barLevel struct {
	// Class is the CSS class painting the bar; Below the minutes under
	// which a day with downtime gets it.
	Class string
	Below float64
}

var barLevels = []barLevel{
	{"minor", 30},
	{"major", 4 * 60},
	{"critical", math.Inf(1)},
}

func (m *model) bar(d incident.DayUptime, counted bool) barView {
	if d.NoData {
		if counted {
			return barView{Class: "nodata"}
		}
		return barView{Class: "nodata", Tip: m.lang.T("uptime.no_data", m.lang.Time("date", d.Date.UTC()))}
	}
	quiet := d.Worst == "" || d.Worst == incident.Operational
	if d.OutageMinutes <= 0 && quiet && counted {
		return barView{} // most days: the stylesheet says it, no date written
	}
	date := m.lang.Time("date", d.Date.UTC())
	v := barView{Tip: m.lang.T("uptime.quiet", date)}
	if d.OutageMinutes > 0 {
		v.Tip = m.lang.T("uptime.down", date, m.minutes(d.OutageMinutes))
		v.Class = barLevels[len(barLevels)-1].Class
		for _, l := range barLevels {
			if d.OutageMinutes < l.Below {
				v.Class = l.Class
				break
			}
		}
	}
	if !quiet {
		v.Tip = m.lang.T("uptime.worst", v.Tip, m.lang.T("component_lower."+string(d.Worst)))
	}
	return v
}

// minutes writes a downtime for people: "12 min", "2 h 5 min".
func (m *model) minutes(minutes float64) string {
	n := int(math.Ceil(minutes))
	if n < 60 {
		return m.lang.T("duration.min", n)
	}
	if n%60 == 0 {
		return m.lang.T("duration.h", n/60)
	}
	return m.lang.T("duration.h_min", n/60, n%60)
}

// formatPercent writes an uptime as Statuspage does, "99.93" or "100.0",
// rounded down: 99.999 is not 100.
func formatPercent(p float64) string {
	if p >= 100 {
		return "100.0"
	}
	return strconv.FormatFloat(math.Floor(max(p, 0)*100)/100, 'f', 2, 64)
}

func (m *model) card(inc *incident.Incident) cardView {
	return cardView{Href: "incidents/" + url.PathEscape(inc.ID), Name: inc.Name, Impact: impactClass(inc),
		Maintenance: inc.Kind == incident.KindMaintenance, Window: m.window(inc), Updates: m.updatesHTML(inc, cardHTML),
		Affected: m.affected(inc)}
}

// updatesHTML is inc's updates' HTML for one place (Past, Card or Row),
// each after a newline, as a range over them in the templates wrote it:
// executing that range on a lasting incident's hundred updates — a
// reflected field and escaper call each, on /, in the past incidents and
// on its page — was most of a write's template work.
func (m *model) updatesHTML(inc *incident.Incident, which func(*updateItem) template.HTML) template.HTML {
	items := m.updates(inc)
	n := 0
	for i := range items {
		n += 1 + len(which(&items[i]))
	}
	var b strings.Builder
	b.Grow(n)
	for i := range items {
		b.WriteByte('\n')
		b.WriteString(string(which(&items[i])))
	}
	return template.HTML(b.String()) // pieces escaped by html/template
}

func pastHTML(it *updateItem) template.HTML { return it.Past }
func cardHTML(it *updateItem) template.HTML { return it.Card }
func rowHTML(it *updateItem) template.HTML  { return it.Row }

// updates returns inc's updates with their HTML, once per render: an
// open incident shows on /, in the past incidents and on its page.
func (m *model) updates(inc *incident.Incident) []updateItem {
	if out, ok := m.updatesOf[inc]; ok {
		return out
	}
	out := m.newUpdates(inc)
	m.updatesOf[inc] = out
	return out
}

func (m *model) newUpdates(inc *incident.Incident) []updateItem {
	out := make([]updateItem, 0, len(inc.Updates))
	zone := m.loc.String()
	for k := range inc.Updates {
		u := &inc.Updates[k]
		key := updateKey{inc.ID, u.ID}
		if kept, ok := m.kept.items[key]; ok && kept.lang == m.lang && kept.zone == zone && kept.u.Same(u) {
			kept.gen = m.kept.gen
			out = append(out, kept.item)
			continue
		}
		at := u.DisplayAt
		if at.IsZero() {
			at = u.CreatedAt
		}
		body := m.body(u.Body)
		it := m.updateHTML(updateView{Status: string(u.Status), Label: m.statusText(u.Status), Body: body, Inline: inline(body),
			Posted: m.posted(at), Short: m.short(at)})
		m.kept.keep(key, &keptItem{u: u.Clone(), lang: m.lang, zone: zone, item: it})
		out = append(out, it)
	}
	return out
}

// keptItems are updates' items as the last render made them, by incident
// and update: an open incident's updates show on /, on its page and in
// the past incidents, and rendering them all again — or finding them by
// their views, bodies and times hashed, times formatted — grew every write
// by every update posted. An update found as it was, in the same language
// and zone, keeps its item. The Handler's lock guards them.
type keptItems struct {
	items map[updateKey]*keptItem
	gen   uint64 // the current render (sweep)
}

type updateKey struct{ incident, update string }

type keptItem struct {
	u    incident.Update
	lang *i18n.Catalog
	zone string
	item updateItem
	gen  uint64 // the last render that used it
}

func (k *keptItems) keep(key updateKey, it *keptItem) {
	if k.items == nil {
		k.items = map[updateKey]*keptItem{}
	}
	it.gen = k.gen
	k.items[key] = it
}

// sweep ends a render: the items it did not use are dropped.
func (k *keptItems) sweep() {
	for key, it := range k.items {
		if it.gen != k.gen {
			delete(k.items, key)
		}
	}
	k.gen++
}

// updateHTML returns v with its HTML.
func (m *model) updateHTML(v updateView) updateItem {
	return updateItem{updateView: v, Past: m.fragment("past-update", v), Card: m.fragment("card-update", v), Row: m.fragment("report-update", v),
		Feed: feedUpdate(v)}
}

// fragment executes one of the templates of a part of a page.
func (m *model) fragment(name string, data any) template.HTML {
	var b strings.Builder
	if err := m.tmpl.ExecuteTemplate(&b, name, data); err != nil && m.err == nil {
		m.err = fmt.Errorf("template %s: %w", name, err)
	}
	return template.HTML(b.String()) // escaped by html/template
}

// inline returns the content of a body that is one paragraph, or "".
func inline(body template.HTML) template.HTML {
	s := strings.TrimSuffix(string(body), "\n")
	inner, ok := strings.CutPrefix(s, "<p>")
	inner, ok2 := strings.CutSuffix(inner, "</p>")
	if !ok || !ok2 || strings.Contains(inner, "<p>") {
		return ""
	}
	return template.HTML(inner)
}

// when is the moment an incident is listed under: when it started, or for
// a maintenance when it is scheduled.
func when(inc *incident.Incident) time.Time {
	switch {
	case inc.Kind == incident.KindMaintenance && !inc.ScheduledFor.IsZero():
		return inc.ScheduledFor
	case !inc.StartedAt.IsZero():
		return inc.StartedAt
	}
	return inc.CreatedAt
}

// listed says whether an incident belongs in the past incidents and the
// history: all but maintenance still to come.
func listed(inc *incident.Incident) bool {
	return !(inc.Kind == incident.KindMaintenance && inc.Status == incident.Scheduled)
}

func (h *Handler) pastDays(m *model) []dayView {
	n := max(h.PastDays, 1)
	today := day(m.snap.BuiltAt.In(m.loc))
	out := make([]dayView, n)
	for i := range out {
		d := today.AddDate(0, 0, -i)
		out[i] = dayView{Date: m.lang.Time("date", d), Empty: m.lang.T("index.no_incidents")}
		if i == 0 {
			out[i].Empty = m.lang.T("index.no_incidents_today")
		}
	}
	for i := range m.snap.Incidents {
		inc := &m.snap.Incidents[i]
		if !listed(inc) {
			continue
		}
		d := day(when(inc).In(m.loc))
		// Days apart in calendar days, whatever the DST changes between.
		back := int(math.Round(today.Sub(d).Hours() / 24))
		if back < 0 || back >= n {
			continue
		}
		docs := m.incidents[inc.ID]
		if docs.past == "" {
			p := pastView{Href: "incidents/" + url.PathEscape(inc.ID), Name: inc.Name, Impact: impactClass(inc), Updates: m.updatesHTML(inc, pastHTML)}
			if inc.PostmortemBody != "" && !inc.PostmortemPublishedAt.IsZero() {
				p.Postmortem = m.short(inc.PostmortemPublishedAt)
			}
			docs.past = m.fragment("past", p)
		}
		out[back].Items += "\n" + docs.past
	}
	return out
}

func day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// incidentView is an incident's (or a maintenance's) report, laid out like
// Statuspage's: title, "Incident Report for ...", the postmortem, the
// updates newest first, what it affected.
type incidentView struct {
	base
	Name, Impact string
	Maintenance  bool
	Window       string
	// Postmortem is the published postmortem; PostmortemPosted its
	// "Posted ..." line.
	Postmortem       template.HTML
	PostmortemPosted string
	Updates          template.HTML // updatesHTML's Row
	Affected         string
}

func (m *model) incidentView(inc *incident.Incident) incidentView {
	v := incidentView{base: m.base(inc.Name, "../"), Name: inc.Name, Impact: impactClass(inc),
		Maintenance: inc.Kind == incident.KindMaintenance, Window: m.window(inc), Updates: m.updatesHTML(inc, rowHTML), Affected: m.affected(inc)}
	if inc.PostmortemBody != "" && !inc.PostmortemPublishedAt.IsZero() {
		v.Postmortem = m.body(inc.PostmortemBody)
		v.PostmortemPosted = m.posted(inc.PostmortemPublishedAt)
	}
	return v
}

// affected names the incident's components as Statuspage does: "Website
// and API", a group's members in parentheses after its name: "Pipelines
// (Builds, Artifacts), Website, and API".
func (m *model) affected(inc *incident.Incident) string {
	type item struct {
		name    string
		members []string
	}
	var items []item
	at := map[string]int{}
	// Page order, whatever order the incident lists them in.
	for _, c := range m.snap.Components {
		if !slices.Contains(inc.ComponentIDs, c.ID) {
			continue
		}
		g, grouped := m.groups[c.GroupID]
		if !grouped {
			items = append(items, item{name: c.Name})
			continue
		}
		j, ok := at[g.ID]
		if !ok {
			j = len(items)
			at[g.ID] = j
			items = append(items, item{name: g.Name})
		}
		items[j].members = append(items[j].members, c.Name)
	}
	// Components the page no longer has keep the name their updates gave.
	for _, id := range inc.ComponentIDs {
		if _, ok := m.components[id]; ok {
			continue
		}
		if name := affectedName(inc, id); name != "" {
			items = append(items, item{name: name})
		}
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.name
		if len(it.members) > 0 {
			names[i] += " (" + strings.Join(it.members, m.lang.T("list.separator")) + ")"
		}
	}
	return m.lang.Join(names)
}

func affectedName(inc *incident.Incident, id string) string {
	for _, u := range inc.Updates {
		for _, a := range u.Affected {
			if a.ComponentID == id && a.Name != "" {
				return a.Name
			}
		}
	}
	return ""
}

// window is a maintenance's "Jul 01, 2021 02:00 - 04:00 UTC".
func (m *model) window(inc *incident.Incident) string {
	if inc.Kind != incident.KindMaintenance || inc.ScheduledFor.IsZero() {
		return ""
	}
	from, until := inc.ScheduledFor.In(m.loc), inc.ScheduledUntil.In(m.loc)
	if inc.ScheduledUntil.IsZero() {
		return m.lang.Time("window", from)
	}
	if day(from).Equal(day(until)) {
		return m.lang.Time("windowNoZone", from) + " - " + m.lang.Time("time", until)
	}
	return m.lang.Time("window", from) + " - " + m.lang.Time("window", until)
}

// posted is the seed's "Jun 30, 2021 - 17:53 UTC", in the page's zone and
// language.
func (m *model) posted(t time.Time) string { return m.lang.Time("posted", t.In(m.loc)) }

// short is the status page's "Jun 30, 17:53 UTC".
func (m *model) short(t time.Time) string { return m.lang.Time("short", t.In(m.loc)) }

// historyDoc is a rendered page of /history and the view it shows.
type historyDoc struct {
	view historyView
	doc  doc
}

// historyView is one page of /history: months, newest first.
type historyView struct {
	base
	Months       []monthView
	Older, Newer string
	Page, Pages  int
}

type monthView struct {
	Name  string
	Items template.HTML // the "history-item" of each incident, each after a newline
}

type historyItem struct {
	Href, Name, Impact string
	Body               template.HTML
	When               string
}

func (h *Handler) historyViews(m *model) []historyView {
	per := max(h.HistoryMonths, 1)
	now := m.snap.BuiltAt.In(m.loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, m.loc)
	months := 1
	byMonth := map[int]*strings.Builder{} // months back → items, newest first
	for i := range m.snap.Incidents {
		inc := &m.snap.Incidents[i]
		if !listed(inc) {
			continue
		}
		t := when(inc).In(m.loc)
		back := (now.Year()-t.Year())*12 + int(now.Month()) - int(t.Month())
		if back < 0 {
			back = 0 // ahead of the snapshot's clock: this month
		}
		months = max(months, back+1)
		d := m.incidents[inc.ID]
		if d.history == "" {
			item := historyItem{Href: "incidents/" + url.PathEscape(inc.ID), Name: inc.Name, Impact: impactClass(inc), When: m.span(inc)}
			if len(inc.Updates) > 0 {
				item.Body = m.body(inc.Updates[0].Body)
			}
			d.history = m.fragment("history-item", item)
		}
		b := byMonth[back]
		if b == nil {
			b = &strings.Builder{}
			byMonth[back] = b
		}
		b.WriteByte('\n')
		b.WriteString(string(d.history))
	}
	pages := (months + per - 1) / per
	out := make([]historyView, pages)
	for p := range out {
		v := historyView{base: m.base(m.lang.T("nav.history"), "./"), Page: p + 1, Pages: pages}
		if p+1 < pages {
			v.Older = "history?page=" + strconv.Itoa(p+2)
		}
		switch {
		case p == 1:
			v.Newer = "history"
		case p > 1:
			v.Newer = "history?page=" + strconv.Itoa(p)
		}
		for back := p * per; back < (p+1)*per; back++ {
			mv := monthView{Name: m.lang.Time("month", first.AddDate(0, -back, 0))}
			if b := byMonth[back]; b != nil {
				mv.Items = template.HTML(b.String()) // pieces escaped by html/template
			}
			v.Months = append(v.Months, mv)
		}
		out[p] = v
	}
	return out
}

// span is when an incident lasted, "Jun 30, 17:05 - 17:53 UTC", or when a
// maintenance was scheduled.
func (m *model) span(inc *incident.Incident) string {
	from, until := when(inc), inc.ResolvedAt
	if inc.Kind == incident.KindMaintenance && !inc.ScheduledUntil.IsZero() {
		until = inc.ScheduledUntil
	}
	if until.IsZero() {
		return m.short(from)
	}
	f, u := from.In(m.loc), until.In(m.loc)
	if day(f).Equal(day(u)) {
		return m.lang.Time("shortNoZone", f) + " - " + m.lang.Time("time", u)
	}
	return m.short(f) + " - " + m.short(u)
}

// impactClass is the colour of an incident: its impact, or maintenance.
func impactClass(inc *incident.Incident) string {
	if inc.Kind == incident.KindMaintenance {
		return string(incident.ImpactMaintenance)
	}
	if inc.Impact == "" {
		return string(incident.ImpactNone)
	}
	return string(inc.Impact)
}

// statusText is an update's status as the page writes it.
func (m *model) statusText(s incident.Status) string {
	if s == "" {
		return m.lang.T("status.update")
	}
	return m.lang.T("status." + string(s))
}

// componentStatusText is a component's status as Statuspage writes it.
func (m *model) componentStatusText(s incident.ComponentStatus) string {
	switch s {
	case incident.DegradedPerformance, incident.PartialOutage, incident.MajorOutage, incident.UnderMaintenance:
		return m.lang.T("component." + string(s))
	}
	return m.lang.T("component.operational")
}

// bannerKeys are the messages of the page's top-level status texts.
var bannerKeys = map[string]string{
	incident.DescriptionOperational:        "banner.operational",
	incident.DescriptionMaintenance:        "banner.maintenance",
	incident.DescriptionPartiallyDegraded:  "banner.partially_degraded",
	incident.DescriptionDegraded:           "banner.degraded",
	incident.DescriptionMinorOutage:        "banner.minor_outage",
	incident.DescriptionPartialOutage:      "banner.partial_outage",
	incident.DescriptionMajorSystemOutage:  "banner.major_system_outage",
	incident.DescriptionMajorServiceOutage: "banner.major_service_outage",
}

// banner is the page's top-level status text in its language; one the
// catalog does not know is shown as it is.
func (m *model) banner(description string) string {
	if description == "" {
		description = incident.DescriptionOperational
	}
	if key, ok := bannerKeys[description]; ok {
		return m.lang.T(key)
	}
	return description
}

// language is the page's catalog: English when Language is empty, or
// not one the page speaks (logged; the configuration checks it first).
func (h *Handler) language() *i18n.Catalog {
	c, err := i18n.Lookup(h.Language)
	if err != nil {
		h.logger().Warn("status page: unknown language, showing it in English", "language", h.Language, "err", err)
		return mustLookup("")
	}
	return c
}
