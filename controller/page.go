package controller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/chart"
)

// Defaults of the decisions page.
const (
	// DefaultPageSince is the window a target's page shows when the query
	// names none; DefaultPageMaxSince the longest a query may ask for.
	DefaultPageSince    = 6 * time.Hour
	DefaultPageMaxSince = 7 * 24 * time.Hour
	// DefaultPageLimit is how many of the newest decisions the table (and
	// the JSON) holds when the query names no limit; DefaultPageMaxLimit
	// the most a query may ask for. The chart always covers the window.
	DefaultPageLimit    = 500
	DefaultPageMaxLimit = 10000
	// DefaultPageLookback is how far back the list of targets looks for
	// each target's latest decision.
	DefaultPageLookback = 24 * time.Hour
)

//go:embed page/page.html.tmpl page/page.css
var pageFiles embed.FS

var (
	// pageTemplates are parsed once; html/template escapes every value by
	// its context, in the HTML and the SVG alike: reason messages come from
	// policy files and errors from platforms.
	// Parsed by the first page served, not at every program's start.
	pageTemplates = sync.OnceValue(func() *template.Template {
		return template.Must(template.ParseFS(pageFiles, "page/page.html.tmpl"))
	})
	// pageCSS is written inline and allowed by its hash, so that the page
	// loads nothing and the policy forbids every other style.
	pageCSS = mustRead(pageFiles, "page/page.css")
	// pageCSP is the Content-Security-Policy of every answer: nothing may
	// load, run, frame the page or be posted from it.
	pageCSP = "default-src 'none'; style-src '" + hashSource(pageCSS) + "'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

func mustRead(fs embed.FS, name string) string {
	data, err := fs.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return string(data)
}

// hashSource is the CSP source expression allowing one inline element.
func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// PageTarget is a target as the decisions page lists it.
type PageTarget struct {
	Name string
	Mode headroom.Mode
	// Proposed is true when a proposed policy runs in shadow beside the
	// live one: the page then shows what it would have decided.
	Proposed bool
}

// PageTargets describes the controller's targets for NewPage.
func PageTargets(targets []*Target) []PageTarget {
	out := make([]PageTarget, len(targets))
	for i, t := range targets {
		out[i] = PageTarget{Name: t.Name, Mode: t.Mode, Proposed: t.Proposed != nil}
	}
	return out
}

// Page serves the decisions of the live loop to people: the targets with
// their latest decision, and for each target a chart and a table of its
// recent decisions. It only reads the journal.
//
// Routes, all GET (and HEAD):
//
//	/                          the targets (links go to decisions/NAME)
//	/decisions/                the targets (links go to NAME)
//	/decisions/{target}        chart and table; ?since=6h (30m, 2d...; at most
//	                           MaxSince) and ?limit=500 (table rows, at most MaxLimit)
//	/decisions/{target}.json   the same records, oldest first, encoded as
//	                           `headroom decisions --format json` prints them
//
// Links are relative, so the page also works mounted under a prefix with
// http.StripPrefix. Every answer carries a Content-Security-Policy that
// lets nothing load or run: styles are inline (allowed by hash) and charts
// are inline SVG.
type Page struct {
	// Since is the window shown when the query has no since; MaxSince is
	// the longest a query may ask for.
	Since, MaxSince time.Duration
	// Limit is how many of the newest decisions the table and the JSON
	// hold when the query has no limit; MaxLimit the most it may ask for.
	Limit, MaxLimit int
	// Lookback is how far back the list looks for a target's latest
	// decision.
	Lookback time.Duration
	// Logger receives journal failures, which people see as "internal
	// error".
	Logger *slog.Logger

	journal headroom.Journal
	targets []PageTarget
	now     func() time.Time
	mux     *http.ServeMux
}

var _ http.Handler = (*Page)(nil)

// NewPage returns the decisions page over journal j for targets, with the
// defaults. now is the clock (time.Now when nil): tests inject theirs.
func NewPage(j headroom.Journal, targets []PageTarget, now func() time.Time) *Page {
	if now == nil {
		now = time.Now
	}
	p := &Page{Since: DefaultPageSince, MaxSince: DefaultPageMaxSince, Limit: DefaultPageLimit, MaxLimit: DefaultPageMaxLimit,
		Lookback: DefaultPageLookback, Logger: slog.Default(),
		journal: j, targets: slices.Clone(targets), now: now, mux: http.NewServeMux()}
	p.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { p.index(w, r, "./decisions/") })
	p.mux.HandleFunc("GET /decisions/{$}", func(w http.ResponseWriter, r *http.Request) { p.index(w, r, "./") })
	p.mux.HandleFunc("GET /decisions/{target}", p.target)
	return p
}

// ServeHTTP sets the security headers and routes the request.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY") // browsers without frame-ancestors
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store") // live data
	p.mux.ServeHTTP(w, r)
}

// find returns the target named name.
func (p *Page) find(name string) (PageTarget, bool) {
	for _, t := range p.targets {
		if t.Name == name {
			return t, true
		}
	}
	return PageTarget{}, false
}

// pageBase is what every template of the page needs.
type pageBase struct {
	Title     string
	CSS       template.CSS
	Generated string
	IndexHref string
}

func (p *Page) base(title, index string) pageBase {
	return pageBase{Title: title, CSS: template.CSS(pageCSS), Generated: utc(p.now()), IndexHref: index}
}

// index lists the targets with their latest decision; base is the
// relative path from the request's to /decisions/, for the links.
func (p *Page) index(w http.ResponseWriter, r *http.Request, base string) {
	now := p.now()
	data := struct {
		pageBase
		Lookback string
		Targets  []indexRow
		Alerts   []indexRow
	}{pageBase: p.base("Decisions · headroom", "./"), Lookback: shortDuration(p.Lookback)}
	for _, t := range p.targets {
		row := indexRow{Name: t.Name, Href: base + url.PathEscape(t.Name), Mode: string(t.Mode), Proposed: t.Proposed}
		latest, lastErr, err := p.latest(r.Context(), t.Name, now)
		if err != nil {
			p.fail(w, r, "./", err)
			return
		}
		if latest != nil {
			v := newRecordView(*latest, now)
			row.Latest = &v
			row.Alert, row.AlertWhy = v.Alert, v.AlertWhy
		}
		if lastErr != nil {
			v := newRecordView(*lastErr, now)
			row.LastError = &v
		}
		firing, err := Firing(r.Context(), p.journal, t.Name)
		if err != nil {
			p.fail(w, r, "./", err)
			return
		}
		for _, a := range firing {
			why := string(a.Signal) + " alert " + a.Rule
			row.Alert = true
			if row.AlertWhy == "" {
				row.AlertWhy = why
			} else {
				row.AlertWhy += ", " + why
			}
		}
		data.Targets = append(data.Targets, row)
		if row.Alert {
			data.Alerts = append(data.Alerts, row)
		}
	}
	p.render(w, http.StatusOK, "index", data)
}

type indexRow struct {
	Name, Href, Mode string
	Proposed         bool
	// Latest is nil when the target has no decision in the lookback;
	// LastError is the newest decision with an error in the last hour.
	Latest, LastError *recordView
	Alert             bool
	AlertWhy          string
}

// latest returns target's newest decision in the lookback, and the
// newest with an error in the last hour (or the lookback, if shorter): an
// hour's records first, since a running loop decided moments ago, then the
// whole lookback.
func (p *Page) latest(ctx context.Context, target string, now time.Time) (latest, lastErr *Record, err error) {
	for _, back := range []time.Duration{min(time.Hour, p.Lookback), p.Lookback} {
		recs, err := p.journal.Records(ctx, target, now.Add(-back), time.Time{}, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("read decisions of %s: %w", target, err)
		}
		if len(recs) == 0 {
			continue
		}
		for i := len(recs) - 1; i >= 0 && lastErr == nil; i-- {
			if recs[i].Error != "" && now.Sub(recs[i].Time) <= time.Hour {
				lastErr = &recs[i]
			}
		}
		return &recs[len(recs)-1], lastErr, nil
	}
	return nil, nil, nil
}

// target serves a target's page, or its records as JSON when the name
// ends in .json and no target has that name.
func (p *Page) target(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("target")
	t, ok := p.find(name)
	asJSON := false
	if !ok && strings.HasSuffix(name, ".json") {
		t, ok = p.find(strings.TrimSuffix(name, ".json"))
		asJSON = true
	}
	if !ok {
		msg := fmt.Sprintf("no target %q: this serve runs %s", strings.TrimSuffix(name, ".json"), p.names())
		if asJSON {
			writeJSONError(w, http.StatusNotFound, msg)
			return
		}
		p.renderError(w, http.StatusNotFound, "./", msg)
		return
	}
	q, err := p.query(r.URL.Query())
	if err != nil {
		if asJSON {
			writeJSONError(w, http.StatusBadRequest, err.Error())
			return
		}
		p.renderError(w, http.StatusBadRequest, "./", err.Error())
		return
	}
	now := p.now()
	from := now.Add(-q.since)
	// No upper bound: a record a little ahead of this clock (another
	// replica's) is still the latest.
	recs, err := p.journal.Records(r.Context(), t.Name, from, time.Time{}, 0)
	if err != nil {
		err = fmt.Errorf("read decisions of %s: %w", t.Name, err)
		if asJSON {
			p.logger().Error("decisions page", "target", t.Name, "err", err)
			writeJSONError(w, http.StatusInternalServerError, "internal error")
			return
		}
		p.fail(w, r, "./", err)
		return
	}
	newest := recs[max(0, len(recs)-q.limit):]
	if asJSON {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if newest == nil {
			newest = []Record{} // [] rather than null
		}
		if err := enc.Encode(newest); err != nil {
			p.logger().Error("decisions page: write json", "target", t.Name, "err", err)
		}
		return
	}
	var latest *Record
	switch {
	case len(recs) > 0:
		latest = &recs[len(recs)-1]
	default:
		// Nothing in the window: still say when the target last decided.
		latest, _, err = p.latest(r.Context(), t.Name, now)
		if err != nil {
			p.fail(w, r, "./", err)
			return
		}
	}
	// A new target's few minutes of records would be a sliver at the right
	// edge of the default window: the chart starts with its data instead
	// (a window asked for in the URL stays as asked).
	shown := from
	if !q.sinceSet && len(recs) > 0 && recs[0].Time.After(from.Add(q.since/10)) {
		shown = recs[0].Time.Add(-max(now.Sub(recs[0].Time)/20, time.Minute))
	}
	view := p.targetView(t, q, recs, newest, latest, now, shown)
	firing, err := Firing(r.Context(), p.journal, t.Name)
	if err != nil {
		p.fail(w, r, "./", err)
		return
	}
	for _, a := range firing {
		view.Firing = append(view.Firing, alertView{Signal: string(a.Signal), Rule: a.Rule, Severity: string(a.Severity),
			Since: utc(a.StartsAt), Ago: ago(now.Sub(a.StartsAt)), Code: string(a.Reason.Code), Message: a.Reason.Message})
	}
	p.render(w, http.StatusOK, "target", view)
}

func (p *Page) names() string {
	if len(p.targets) == 0 {
		return "no targets"
	}
	var names []string
	for _, t := range p.targets {
		names = append(names, strconv.Quote(t.Name))
	}
	return "targets " + strings.Join(names, ", ")
}

// pageQuery is a target page's validated query.
type pageQuery struct {
	since time.Duration
	limit int
	// sinceSet and limitSet say whether the query named them, so links
	// keep only what the user chose.
	sinceSet, limitSet bool
}

// query reads since and limit; an error names the parameter, the value
// and what was expected.
func (p *Page) query(v url.Values) (pageQuery, error) {
	q := pageQuery{since: p.Since, limit: p.Limit}
	if s := v.Get("since"); v.Has("since") {
		d, err := parseSince(s)
		if err != nil || d <= 0 || d > p.MaxSince {
			return q, headroom.Errorf(headroom.EINVALID, "query parameter since: got %q, expected a duration such as 30m, 6h or 2d, at most %s",
				s, shortDuration(p.MaxSince))
		}
		q.since, q.sinceSet = d, true
	}
	if s := v.Get("limit"); v.Has("limit") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > p.MaxLimit {
			return q, headroom.Errorf(headroom.EINVALID, "query parameter limit: got %q, expected a whole number of decisions from 1 to %d", s, p.MaxLimit)
		}
		q.limit, q.limitSet = n, true
	}
	return q, nil
}

// parseSince reads a Go duration, or whole days ("2d").
func parseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 365 {
			return 0, fmt.Errorf("bad days %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// shortDuration writes 6h, 90m, 24h, 2d rather than 6h0m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// targetHref is the relative link to a target's page from /decisions/:
// "./" keeps a name with a colon from reading as a URL scheme.
func targetHref(name string) string { return "./" + url.PathEscape(name) }

// targetView is the data of a target's page.
type targetView struct {
	pageBase
	Name, Mode string
	Proposed   bool
	Since      string
	Windows    []windowLink
	JSONHref   string
	Summary    string
	Latest     *recordView
	// Firing are the detector's alerts firing now.
	Firing      []alertView
	Capacity    chart.Rendered
	Demand      chart.Rendered
	Rows        []recordView
	HasProposed bool
	Count       int
	Truncated   bool
	MoreHref    string
	MoreLimit   int
}

// alertView is a firing alert as the page shows it.
type alertView struct {
	Signal, Rule, Severity, Since, Ago, Code, Message string
}

type windowLink struct {
	Label, Href string
	Current     bool
}

// targetView lays out a target's page: recs are the window's decisions,
// newest the table's, latest the target's newest decision (nil: none).
func (p *Page) targetView(t PageTarget, q pageQuery, recs, newest []Record, latest *Record, now, from time.Time) targetView {
	self := targetHref(t.Name)
	v := targetView{
		pageBase: p.base(t.Name+" · decisions · headroom", "./"),
		Name:     t.Name, Mode: string(t.Mode), Proposed: t.Proposed,
		Since: shortDuration(q.since), Count: len(recs),
		HasProposed: t.Proposed,
	}
	v.JSONHref = withQuery(self+".json", q, q.since, q.limit)
	for _, d := range []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour} {
		if d > p.MaxSince {
			continue
		}
		v.Windows = append(v.Windows, windowLink{Label: shortDuration(d), Href: withQuery(self, pageQuery{sinceSet: true, limitSet: q.limitSet}, d, q.limit), Current: d == q.since})
	}
	switch len(recs) {
	case 0:
		v.Summary = fmt.Sprintf("No decisions from %s to %s UTC.", utc(from), utc(now))
	default:
		v.Summary = fmt.Sprintf("%d decision%s from %s to %s UTC.", len(recs), plural(len(recs)), utc(recs[0].Time), utc(recs[len(recs)-1].Time))
	}
	for _, r := range recs {
		if r.Proposed != nil {
			v.HasProposed = true
		}
	}
	if latest != nil {
		l := newRecordView(*latest, now)
		v.Latest = &l
	}
	v.Capacity, v.Demand = decisionCharts(t.Name, recs, from, now)
	for i := len(newest) - 1; i >= 0; i-- {
		v.Rows = append(v.Rows, newRecordView(newest[i], now))
	}
	if len(newest) < len(recs) {
		v.Truncated = true
		v.MoreLimit = min(p.MaxLimit, len(recs))
		v.MoreHref = withQuery(self, pageQuery{sinceSet: q.sinceSet, limitSet: true}, q.since, v.MoreLimit)
	}
	return v
}

// withQuery adds the parameters the user set to a relative link.
func withQuery(href string, q pageQuery, since time.Duration, limit int) string {
	v := url.Values{}
	if q.sinceSet {
		v.Set("since", shortDuration(since))
	}
	if q.limitSet {
		v.Set("limit", strconv.Itoa(limit))
	}
	if len(v) == 0 {
		return href
	}
	return href + "?" + v.Encode()
}

// recordView is one decision as the page writes it.
type recordView struct {
	Time, Ago                string
	Demand, Utilization      string
	Current, Desired, Change string
	Applied                  string
	Code                     headroom.ReasonCode
	Message, Error           string
	ProposedDesired          string
	ProposedCode             headroom.ReasonCode
	ProposedMessage          string
	Guard, Alert             bool
	AlertWhy                 string
}

func newRecordView(r Record, now time.Time) recordView {
	decided := r.Decision.Reason.Code != ""
	v := recordView{
		Time: utc(r.Time), Ago: ago(now.Sub(r.Time)),
		Demand: "—", Utilization: "—", Desired: "—",
		Code: r.Decision.Reason.Code, Message: r.Decision.Reason.Message, Error: r.Error,
		Guard: guardOf(r.Decision.Reason.Code) != "",
	}
	if o := r.Observation; o.HasDemand && !math.IsNaN(o.Demand) && !math.IsInf(o.Demand, 0) {
		v.Demand = formatRate(o.Demand) + " req/s"
	}
	if o := r.Observation; o.HasUtilization && !math.IsNaN(o.Utilization) && !math.IsInf(o.Utilization, 0) {
		v.Utilization = strconv.FormatFloat(o.Utilization, 'f', 0, 64) + "%"
	}
	v.Current = strconv.Itoa(r.Current.Total())
	if r.Current.Launching > 0 {
		v.Current = fmt.Sprintf("%d (%d+%d)", r.Current.Total(), r.Current.Ready, r.Current.Launching)
	}
	v.Change = v.Current
	if decided {
		v.Desired = strconv.Itoa(r.Decision.Desired)
		v.Change = fmt.Sprintf("%d → %d", r.Current.Total(), r.Decision.Desired)
	}
	switch {
	case r.Mode == string(headroom.ModeOff):
		v.Applied, v.Message = "—", "the target is off: nothing read, nothing decided"
	case !decided:
		v.Applied = "— (no decision)"
	case r.Applied:
		v.Applied = "yes"
	case r.Mode == string(headroom.ModeShadow):
		v.Applied = "no (shadow)"
	case r.Decision.Desired == r.Current.Total():
		v.Applied = "no change"
	default:
		v.Applied = "no"
	}
	if p := r.Proposed; p != nil {
		v.ProposedDesired = strconv.Itoa(p.Desired)
		v.ProposedCode, v.ProposedMessage = p.Reason.Code, p.Reason.Message
	}
	// Blind is an alert state: the autoscaler cannot see its service.
	switch {
	case r.Decision.Reason.Code == headroom.ReasonBlind && r.Error != "":
		v.Alert, v.AlertWhy = true, "metrics blind, error"
	case r.Decision.Reason.Code == headroom.ReasonBlind:
		v.Alert, v.AlertWhy = true, "metrics blind"
	case r.Error != "":
		v.Alert, v.AlertWhy = true, "error"
	}
	return v
}

// utc formats a time of the page.
func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// ago says how long ago something happened, for people.
func ago(d time.Duration) string {
	switch {
	case d < -time.Minute:
		return "ahead of this server's clock by " + d.Abs().Round(time.Second).String()
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// formatRate writes a request rate with the precision it needs.
func formatRate(v float64) string {
	if math.Abs(v) < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// render executes a template whole before writing, so that a failure is a
// clean 500 rather than half a page.
func (p *Page) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates().ExecuteTemplate(&buf, name, data); err != nil {
		p.logger().Error("decisions page: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		p.logger().Debug("decisions page: write", "err", err)
	}
}

func (p *Page) renderError(w http.ResponseWriter, status int, index, msg string) {
	p.render(w, status, "error", struct {
		pageBase
		Status  string
		Message string
	}{p.base(http.StatusText(status)+" · headroom", index), fmt.Sprintf("%d %s", status, http.StatusText(status)), msg})
}

// fail answers a journal failure: people see "internal error", operators
// the log.
func (p *Page) fail(w http.ResponseWriter, r *http.Request, index string, err error) {
	p.logger().Error("decisions page", "path", r.URL.Path, "err", err)
	p.renderError(w, http.StatusInternalServerError, index, "internal error: the decisions could not be read; the server's log says why")
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}

func (p *Page) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// The decisions page's charts, in viewBox units: the SVG scales to the
// page's width. The legend is HTML above each chart, and the bottom margin
// leaves room for the time labels and dates in a phone's larger font.
var (
	capacityFrame = chart.Frame{W: 900, H: 300, Left: 58, Right: 40, Top: 12, Bottom: 62}
	demandFrame   = chart.Frame{W: 900, H: 210, Left: 58, Right: 40, Top: 12, Bottom: 62}
)

// Guard bands: amber where a guard stepped in, red where the metrics were
// blind (scale-in frozen), which is an alert.
var (
	guardBand = chart.BandStyle{Class: "band", Fill: chart.Orange, Opacity: "0.28", Name: "guard stepped in"}
	blindBand = chart.BandStyle{Class: "band blind", Fill: chart.Red, Opacity: "0.22", Name: "metrics blind: scale-in frozen"}
)

// noDecisions is what an empty chart says.
const noDecisions = "no decisions in this window"

// decisionCharts draws a target's decisions in [from, to): capacity
// (current, desired, the proposed policy's desired) with guard
// interventions shaded and errors marked, and demand on its own panel, so
// that its scale does not flatten the instance counts.
func decisionCharts(name string, recs []Record, from, to time.Time) (capacity, demand chart.Rendered) {
	gap := gapAfter(recs)
	var current, desired, proposed, rate []chart.Point
	var runs []guardRun
	var marks []chart.Mark
	hasProposed := false
	for i, r := range recs {
		// A broken sequence (the loop stopped, or could not read the
		// capacity) leaves a gap rather than a line across it.
		if i > 0 && r.Time.Sub(recs[i-1].Time) > gap {
			at := recs[i-1].Time.Add(gap)
			current, desired, proposed, rate = append(current, gapAt(at)), append(desired, gapAt(at)), append(proposed, gapAt(at)), append(rate, gapAt(at))
		}
		if r.Error != "" {
			marks = append(marks, chart.Mark{At: r.Time, Title: utc(r.Time) + " UTC: " + r.Error})
		}
		if r.Decision.Reason.Code == "" {
			current, desired, proposed, rate = append(current, gapAt(r.Time)), append(desired, gapAt(r.Time)), append(proposed, gapAt(r.Time)), append(rate, gapAt(r.Time))
			continue
		}
		current = append(current, chart.Point{At: r.Time, V: float64(r.Current.Total())})
		desired = append(desired, chart.Point{At: r.Time, V: float64(r.Decision.Desired)})
		if r.Proposed != nil {
			hasProposed = true
			proposed = append(proposed, chart.Point{At: r.Time, V: float64(r.Proposed.Desired)})
		} else {
			proposed = append(proposed, gapAt(r.Time))
		}
		d := math.NaN()
		if r.Observation.HasDemand {
			d = r.Observation.Demand
		}
		rate = append(rate, chart.Point{At: r.Time, V: d})

		// A guard's run of decisions is one band, until the next decision.
		if code := r.Decision.Reason.Code; guardOf(code) != "" {
			end := r.Time.Add(max(min(gap, to.Sub(r.Time)), 0))
			if i+1 < len(recs) && recs[i+1].Time.Sub(r.Time) <= gap {
				end = recs[i+1].Time
			}
			if n := len(runs); n > 0 && runs[n-1].code == code && !runs[n-1].end.Before(r.Time) {
				runs[n-1].end, runs[n-1].count = end, runs[n-1].count+1
			} else {
				runs = append(runs, guardRun{start: r.Time, end: end, code: code, first: r.Decision.Reason.Message, count: 1})
			}
		}
	}
	// The last decision holds until the next one is due.
	if n := len(recs); n > 0 && recs[n-1].Decision.Reason.Code != "" {
		end := recs[n-1].Time.Add(min(gap/3, max(to.Sub(recs[n-1].Time), 0)))
		current = append(current, chart.Point{At: end, V: current[len(current)-1].V})
		desired = append(desired, chart.Point{At: end, V: desired[len(desired)-1].V})
		proposed = append(proposed, chart.Point{At: end, V: proposed[len(proposed)-1].V})
	}
	var bands []chart.Band
	for _, g := range runs {
		style := guardBand
		if g.code == headroom.ReasonBlind {
			style = blindBand
		}
		bands = append(bands, chart.Band{Start: g.start, End: g.end, Style: style,
			Title: fmt.Sprintf("%s from %s to %s UTC (%d decision%s): %s", g.code, utc(g.start), utc(g.end), g.count, plural(g.count), g.first)})
	}

	capSeries := []chart.Series{
		{Name: "current (ready+launching)", Class: "current", Colour: chart.Black, Width: 2.2, Step: true, Points: current},
		{Name: "desired", Class: "desired", Colour: chart.Vermillion, Dash: "7 4", Width: 2, Step: true, Points: desired},
	}
	if hasProposed {
		capSeries = append(capSeries, chart.Series{Name: "proposed policy's desired", Class: "proposed", Colour: chart.Purple, Dash: "2 3", Width: 2.4, Step: true, Points: proposed})
	}
	label := name + ": current and desired instances"
	if hasProposed {
		label = name + ": current, desired and the proposed policy's desired instances"
	}
	capacity = chart.Chart{Label: label, Class: "capacity", Empty: noDecisions, Frame: capacityFrame,
		Start: from, End: to, Integer: true, Series: capSeries, Bands: bands, Marks: marks, MarkName: "error",
		Legend: chart.LegendInHTML}.Render()
	demand = chart.Chart{Label: name + ": demand in requests/s", Class: "demand", Empty: noDecisions, Frame: demandFrame,
		Start: from, End: to, Legend: chart.LegendInHTML,
		Series: []chart.Series{{Name: "demand (req/s)", Class: "demand", Colour: chart.Blue, Width: 1.6, Points: rate}}}.Render()
	return capacity, demand
}

// guardRun is a guard's consecutive interventions, shaded as one band.
type guardRun struct {
	start, end time.Time
	code       headroom.ReasonCode
	first      string // the first decision's message
	count      int
}

// gapAfter is the silence after which the chart breaks its lines: three
// times the usual spacing of the records (the loop interval).
func gapAfter(recs []Record) time.Duration {
	var steps []time.Duration
	for i := 1; i < len(recs); i++ {
		if d := recs[i].Time.Sub(recs[i-1].Time); d > 0 {
			steps = append(steps, d)
		}
	}
	if len(steps) == 0 {
		return 3 * DefaultInterval
	}
	slices.Sort(steps)
	return 3 * steps[len(steps)/2]
}

func gapAt(t time.Time) chart.Point { return chart.Point{At: t, V: math.NaN()} }
