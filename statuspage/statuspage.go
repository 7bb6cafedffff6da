package statuspage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// Defaults of a Handler.
const (
	// DefaultCacheControl lets browsers and CDNs keep a page or a JSON
	// document for 10 seconds. During an outage everyone refreshes the
	// page and every widget polls: ten seconds absorbs that crowd in any
	// cache in front, while an update posted now still reaches readers
	// within seconds. After that, the ETag makes revalidation a 304.
	DefaultCacheControl = "public, max-age=10"
	// DefaultPastDays is how many days of past incidents the status page
	// lists, today included, as Statuspage does.
	DefaultPastDays = 15
	// DefaultHistoryMonths is how many months one page of /history holds.
	DefaultHistoryMonths = 3
	// DefaultFeedEntries is how many of the newest incidents the feeds
	// hold.
	DefaultFeedEntries = 50
	// DefaultAPIIncidents is how many incidents (and maintenances)
	// incidents.json and scheduled-maintenances.json list: Statuspage's
	// 50 most recent.
	DefaultAPIIncidents = 50
)

// Handler serves the public status page from the last snapshot it was
// given. It is an http.Handler; Publish replaces what it serves.
//
// Routes, all GET (and HEAD); any other method is 405:
//
//	/                                         the status page
//	/incidents/{id}                           an incident or maintenance report
//	/history, /history?page=2                 past incidents by month
//	/history.atom, /history.rss               feeds of the newest incidents
//	/api/v2/summary.json                      Statuspage's public API, v2:
//	/api/v2/status.json                         same paths, fields and enums
//	/api/v2/components.json
//	/api/v2/incidents.json
//	/api/v2/incidents/unresolved.json
//	/api/v2/incidents/{id}.json
//	/api/v2/scheduled-maintenances.json
//	/api/v2/scheduled-maintenances/upcoming.json
//	/api/v2/scheduled-maintenances/active.json
//
// Unknown paths get a 404 page (JSON under /api/). Before the first
// Publish every path answers 503. Links between pages are relative, so the
// pages also work mounted under a prefix with http.StripPrefix.
type Handler struct {
	// CacheControl is sent with every page, document and feed.
	CacheControl string
	// PastDays, HistoryMonths, FeedEntries and APIIncidents shape the
	// pages; see the defaults.
	PastDays, HistoryMonths, FeedEntries, APIIncidents int
	// Logger receives rendering failures and bad configuration (an
	// unknown time zone).
	Logger *slog.Logger
	// Language is the pages' language, a BCP 47 tag that i18n.Lookup
	// knows ("de", "fr-CA"); English when empty.
	Language string
	// Access says who reads what (access.go); the zero value lets
	// everyone read everything. Set it before the first Publish.
	Access Access

	mu   sync.Mutex // one Publish at a time
	site atomic.Pointer[site]
	// bodies are the last Publish's rendered Markdown, by source: most
	// bodies do not change from one write to the next.
	bodies map[string]template.HTML
	// incidents are the last Publish's incident pages and JSON, by ID.
	incidents map[string]*incidentDocs
	// history are the last Publish's pages of /history.
	history []historyDoc
	// bars are the last Publish's uptime bars, components its
	// components' HTML, by component ID.
	bars       map[string]componentBars
	components map[string]keptComponent
	// scratch is where Publish executes the templates.
	scratch bytes.Buffer
	// notFound are the last Publish's not-found pages.
	notFound []notFoundDoc
	// updates and kept keep incidents' updates' JSON and items between
	// Publishes.
	updates incident.UpdatesJSON
	kept    keptItems
	// sys are the system metrics' charts (metrics_render.go) and the
	// last snapshot, which a new collection is rendered with.
	sys sysMetrics
	// private serves the private audience of a page with two (Access):
	// the whole snapshot, rendered by a Handler of its own so that each
	// audience's pages keep their own rendering caches. notice is what a
	// private page answers everyone else.
	private atomic.Pointer[Handler]
	notice  atomic.Pointer[notice]
	// shown is the last public view Publish made, of whole: published
	// again (PublishMetrics does), it stands for whole.
	shown, whole atomic.Pointer[incident.Snapshot]
	// split is held through a Publish of a page with two audiences, so
	// that whole and shown are of one snapshot and only move forward.
	split sync.Mutex
	// vary is the Vary of every answer of a page with two audiences.
	vary atomic.Pointer[[]string]
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler with the defaults, serving 503 until the first
// Publish. Set its fields before that.
func New() *Handler {
	return &Handler{CacheControl: DefaultCacheControl, PastDays: DefaultPastDays, HistoryMonths: DefaultHistoryMonths,
		FeedEntries: DefaultFeedEntries, APIIncidents: DefaultAPIIncidents, Logger: slog.Default()}
}

// Publish renders every page, document and feed of snap and serves them
// from now on. It is incident.Service.OnSnapshot's callback: called once
// per write, never per request. A snapshot older than the one served (a
// lower Version) is ignored; a nil one too.
func (h *Handler) Publish(snap *incident.Snapshot) {
	if snap == nil {
		return
	}
	if !h.Access.splits() {
		h.publish(snap)
		return
	}
	// Two audiences: two sites, each pre-rendered, picked per request.
	h.split.Lock()
	defer h.split.Unlock()
	if snap == h.shown.Load() {
		snap = h.whole.Load()
	} else if w := h.whole.Load(); w != nil && snap.Version < w.Version {
		// Older than the page served (a view read before a write, or
		// a snapshot overtaken): taken for the whole page, it would
		// hide the private parts from the readers let in.
		return
	}
	h.privateHandler().publish(snap)
	if !h.Access.Private {
		view := publicView(snap, h.Access.PrivateComponents)
		h.whole.Store(snap)
		h.shown.Store(view)
		h.publish(view)
		return
	}
	n, err := newNotice(snap.Page.Name)
	if err != nil {
		h.logger().Error("status page: render the private notice", "err", err)
		return
	}
	h.notice.Store(n)
}

// privateHandler returns the Handler of the private audience, made with
// h's settings the first time.
func (h *Handler) privateHandler() *Handler {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.private.Load(); p != nil {
		return p
	}
	p := &Handler{CacheControl: h.CacheControl, PastDays: h.PastDays, HistoryMonths: h.HistoryMonths, FeedEntries: h.FeedEntries,
		APIIncidents: h.APIIncidents, Logger: h.Logger, Language: h.Language}
	h.private.Store(p)
	return p
}

// publish renders snap and serves it.
func (h *Handler) publish(snap *incident.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.site.Load()
	if old != nil && snap.Version < old.version {
		h.logger().Debug("status page: older snapshot ignored", "version", snap.Version, "serving", old.version)
		return
	}
	docs, bodies, err := h.render(snap, h.bodies)
	h.updates.Sweep()
	h.kept.sweep()
	if err != nil {
		// A template failing is a bug: keep serving the last good site.
		h.logger().Error("status page: render", "version", snap.Version, "err", err)
		return
	}
	s := &site{version: snap.Version, cacheControl: []string{h.CacheControl}, entries: make(map[string]*entry, len(docs.pages)), history: make([]*entry, len(docs.history))}
	for path, d := range docs.pages {
		s.entries[path] = newEntry(d, old.lookupPath(path))
	}
	for i, d := range docs.history {
		s.history[i] = newEntry(d, old.historyPage(i))
	}
	s.notFound = newEntry(docs.notFound, old.notFoundEntry())
	s.noIncident = newEntry(docs.noIncident, old.noIncidentEntry())
	s.noJSON = newEntry(docs.noJSON, old.noJSONEntry())
	for path, e := range s.entries {
		e.warm(old.lookupPath(path))
	}
	for i, e := range s.history {
		e.warm(old.historyPage(i))
	}
	h.site.Store(s)
	h.bodies = bodies
	h.sys.snap = snap
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// doc is one rendered answer before compression.
type doc struct {
	body []byte
	// make, when set, makes the body at the first request that needs it
	// (body is nil): a write changes every incident's JSON (the page's
	// updated_at is in each), and most are not asked for before the
	// next write.
	make        func() []byte
	contentType string
	// cors marks the JSON API: any origin may read it, as Statuspage's,
	// so widgets on other sites work.
	cors bool
	// immutable marks content whose path names it (the stylesheet):
	// cached for a year.
	immutable bool
}

// site is everything served for one snapshot; never changed once stored.
type site struct {
	version int64
	// cacheControl is the Cache-Control header of every answer.
	cacheControl []string
	entries      map[string]*entry
	// history holds /history's pages: history[0] is /history,
	// history[n-1] is /history?page=n.
	history []*entry
	// The 404s: any path, an unknown incident, an unknown API document.
	notFound, noIncident, noJSON *entry
}

// entry is one answer, ready to write: the header values are built once,
// so serving it allocates nothing.
type entry struct {
	// body and length are the answer and its Content-Length, or, for a
	// lazy doc, nil and made by the first request (bytes).
	body   []byte
	length []string
	make   func() []byte
	made   atomic.Pointer[made]
	// gz is the compressed variant, made by the first request that needs
	// it (nil for a body too small to compress; a lazy entry's body is
	// measured when made, see gzipped.get): a write renders many
	// documents that nobody asks for before the next write (the feeds,
	// the 120 KB incidents.json), and compressing those was most of a
	// write's cost. An unchanged body shares its predecessor's.
	gz *gzipped
	// Header values, each a one-element slice shared by every request;
	// cacheControl is nil for the site's.
	contentType, cacheControl []string
	// etag is the body's tag, made by the first request (see tag): like
	// gz, most documents a write renders are not asked for before the
	// next write (the incidents' JSON all change with the page's
	// updated_at), and hashing them all was an eighth of a write.
	etag            atomic.Pointer[[]string]
	cors, immutable bool
	// html marks a page: the answers a browser shows and follows links
	// from.
	html bool
}

// made is a lazy entry's body, once made.
type made struct {
	body   []byte
	length []string
}

// bytes returns the entry's body and its Content-Length, making a lazy
// entry's the first time. Two requests at once may both make it; they
// store the same.
func (e *entry) bytes() ([]byte, []string) {
	if e.make == nil {
		return e.body, e.length
	}
	if m := e.made.Load(); m != nil {
		return m.body, m.length
	}
	b := e.make()
	e.made.CompareAndSwap(nil, &made{body: b, length: []string{strconv.Itoa(len(b))}})
	m := e.made.Load()
	return m.body, m.length
}

// gzipped is an entry's compressed variant, made once.
type gzipped struct {
	done atomic.Bool
	mu   sync.Mutex
	// body is nil when compressing does not shrink the entry's body.
	body []byte
	// The compressed bytes are another representation: another tag.
	etag, length []string
}

// get returns g, compressing src the first time.
func (g *gzipped) get(src []byte, etag string) *gzipped {
	if g.done.Load() {
		return g
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done.Load() {
		if len(src) >= minGzip { // a lazy entry's may be smaller
			g.body = compress(src)
		}
		if g.body != nil {
			g.etag = []string{strings.TrimSuffix(etag, `"`) + `-gzip"`}
			g.length = []string{strconv.Itoa(len(g.body))}
		}
		g.done.Store(true)
	}
	return g
}

// newEntry names d by its content. When old has the same answer (most
// documents do not change on a write), old is kept, with its compressed
// variant.
func newEntry(d doc, old *entry) *entry {
	if old != nil && d.make == nil && old.make == nil && old.cors == d.cors && old.immutable == d.immutable && old.contentType[0] == d.contentType &&
		(len(d.body) > 0 && len(old.body) == len(d.body) && &old.body[0] == &d.body[0] || bytes.Equal(old.body, d.body)) {
		// The very bytes the last Publish rendered (an unchanged
		// incident's page), or the same bytes again: its entry as it
		// is, tag and compressed variant included.
		return old
	}
	e := &entry{body: d.body, make: d.make, contentType: []string{d.contentType}, cors: d.cors, immutable: d.immutable, html: d.contentType == typeHTML}
	if d.make == nil {
		e.length = []string{strconv.Itoa(len(d.body))}
	}
	if d.immutable {
		e.cacheControl = headerImmutable
	}
	if len(d.body) >= minGzip || d.make != nil {
		e.gz = new(gzipped)
	}
	return e
}

// warm makes e's tag and compressed variant now, when readers asked for
// those of old, the answer e replaces: made by the first request after a
// write, they held it and every request for the same answer behind it (a
// few milliseconds for /, a write's mark on the readers' p99), where the
// writer makes them before the site is in place. The answers nobody asked
// for stay lazy.
func (e *entry) warm(old *entry) {
	if old == nil || e == old || e.gz == nil || old.gz == nil || !old.gz.done.Load() {
		return
	}
	body, _ := e.bytes()
	e.gz.get(body, e.tag()[0])
}

// tag returns the entry's ETag header value: 12 bytes of the body's
// SHA-256 in hex, quoted, the same on every replica. Two requests at once
// may both compute it; they store the same.
func (e *entry) tag() []string {
	if t := e.etag.Load(); t != nil {
		return *t
	}
	body, _ := e.bytes()
	sum := sha256.Sum256(body)
	t := []string{`"` + hex.EncodeToString(sum[:12]) + `"`}
	e.etag.CompareAndSwap(nil, &t)
	return *e.etag.Load()
}

// minGzip is the smallest body worth compressing: below, gzip's header and
// trailer eat the gain.
const minGzip = 256

// gzipWriters keep gzip writers between compressions: a writer's tables
// are most of its cost.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // a valid level: no error
	return zw
}}

// compress gzips b at gzip's default level: done once per change, read by
// every client. The best level makes the pages 1–5% smaller and costs up
// to five times the time on the feeds (4 ms for a 74 KB Atom feed). nil
// when it does not shrink b.
func compress(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/4 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	zw.Write(b) // writes to memory: no error
	zw.Close()
	zw.Reset(nil) // let buf go
	gzipWriters.Put(zw)
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

// The lookups on the previous site tolerate a nil site (the first Publish).

func (s *site) lookupPath(path string) *entry {
	if s == nil {
		return nil
	}
	return s.entries[path]
}

func (s *site) historyPage(i int) *entry {
	if s == nil || i >= len(s.history) {
		return nil
	}
	return s.history[i]
}

func (s *site) notFoundEntry() *entry {
	if s == nil {
		return nil
	}
	return s.notFound
}

func (s *site) noIncidentEntry() *entry {
	if s == nil {
		return nil
	}
	return s.noIncident
}

func (s *site) noJSONEntry() *entry {
	if s == nil {
		return nil
	}
	return s.noJSON
}

// Header values shared by every answer.
var (
	headerCSP        = []string{pageCSP}
	headerNosniff    = []string{"nosniff"}
	headerReferrer   = []string{"no-referrer"}
	headerVary       = []string{"Accept-Encoding"}
	headerGzip       = []string{"gzip"}
	headerAnyOrigin  = []string{"*"}
	headerAllow      = []string{"GET, HEAD"}
	headerNoStore    = []string{"no-store"}
	headerImmutable  = []string{"public, max-age=31536000, immutable"}
	headerRetryAfter = []string{"5"}
	headerTextPlain  = []string{"text/plain; charset=utf-8"}
	bodyNotReady     = []byte("The status page is starting: try again in a few seconds.\n")
	bodyNotAllowed   = []byte("Method not allowed: the status page is read with GET.\n")
	lengthNotReady   = []string{strconv.Itoa(len(bodyNotReady))}
	lengthNotAllowed = []string{strconv.Itoa(len(bodyNotAllowed))}
)

// ServeHTTP looks the answer up and writes it: nothing is rendered or read
// here. Header values are assigned as shared slices under their canonical
// keys, so a request allocates nothing of its own.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Access.splits() {
		h.serveSplit(w, r)
		return
	}
	h.serve(w, r, nil, nil)
}

// serve answers r from h's site. cacheControl, when not nil, replaces the
// site's Cache-Control (not an immutable answer's); vary, when not nil,
// is the Vary of every answer.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, cacheControl, vary []string) {
	// Each header costs every request its writing (issue 16: net/http's
	// writing of them was most of the gap to a bare server), so an
	// answer carries only those that act on it. No X-Frame-Options: the
	// CSP's frame-ancestors 'none' supersedes it in every browser that
	// has CSP Level 2
	// (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Frame-Options).
	hdr := w.Header()
	hdr["Content-Security-Policy"] = headerCSP
	hdr["X-Content-Type-Options"] = headerNosniff
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr["Allow"] = headerAllow
		plain(w, r, http.StatusMethodNotAllowed, bodyNotAllowed, lengthNotAllowed)
		return
	}
	s := h.site.Load()
	if s == nil {
		hdr["Retry-After"] = headerRetryAfter
		hdr["Cache-Control"] = headerNoStore
		plain(w, r, http.StatusServiceUnavailable, bodyNotReady, lengthNotReady)
		return
	}
	e, status := s.find(r)
	hdr["Cache-Control"] = s.cacheControl
	if e.cacheControl != nil {
		hdr["Cache-Control"] = e.cacheControl
	} else if cacheControl != nil {
		hdr["Cache-Control"] = cacheControl
	}
	if vary != nil {
		hdr["Vary"] = vary
	}
	if e.cors {
		hdr["Access-Control-Allow-Origin"] = headerAnyOrigin
	}
	if e.html {
		// Only a page has links a browser follows; JSON, feeds and
		// the stylesheet send no Referer.
		hdr["Referrer-Policy"] = headerReferrer
	}
	body, length := e.bytes()
	etag := e.tag()
	if e.gz != nil {
		if gz := e.gz.get(body, etag[0]); gz.body != nil {
			if vary == nil {
				hdr["Vary"] = headerVary
			}
			if acceptsGzip(r.Header["Accept-Encoding"]) {
				body, etag, length = gz.body, gz.etag, gz.length
				hdr["Content-Encoding"] = headerGzip
			}
		}
	}
	hdr["Etag"] = etag
	if status == http.StatusOK && noneMatch(r.Header["If-None-Match"], etag[0]) {
		delete(hdr, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = e.contentType
	hdr["Content-Length"] = length
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body) // the client went away: nothing to do
	}
}

func plain(w http.ResponseWriter, r *http.Request, status int, body []byte, length []string) {
	hdr := w.Header()
	hdr["Content-Type"] = headerTextPlain
	hdr["Content-Length"] = length
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// find returns the answer to r and its status.
func (s *site) find(r *http.Request) (*entry, int) {
	path := r.URL.Path
	if e := s.entries[path]; e != nil {
		if path == "/history" && r.URL.RawQuery != "" {
			return s.historyQuery(r.URL.RawQuery)
		}
		return e, http.StatusOK
	}
	switch {
	case strings.HasPrefix(path, "/api/"):
		return s.noJSON, http.StatusNotFound
	case strings.HasPrefix(path, "/incidents/"):
		return s.noIncident, http.StatusNotFound
	}
	return s.notFound, http.StatusNotFound
}

// historyQuery answers /history?page=n; other parameters are ignored, as
// on any page.
func (s *site) historyQuery(query string) (*entry, int) {
	for part := range strings.SplitSeq(query, "&") {
		v, ok := strings.CutPrefix(part, "page=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(s.history) {
			return s.notFound, http.StatusNotFound
		}
		return s.history[n-1], http.StatusOK
	}
	return s.history[0], http.StatusOK
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip, or *) listed and not
// refused with q=0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && !strings.EqualFold(coding, "x-gzip") && coding != "*" {
				continue
			}
			return !zeroQ(params)
		}
	}
	return false
}

// zeroQ says whether params hold q=0 (q=0.0, q=0.000).
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		value = strings.TrimSpace(value)
		if value == "" || value[0] != '0' {
			return false
		}
		return strings.Trim(value[1:], ".0") == ""
	}
	return false
}

// noneMatch says whether If-None-Match lists etag, by the weak comparison
// RFC 9110 section 13.1.2 asks for (W/ prefixes ignored), or is "*".
func noneMatch(values []string, etag string) bool {
	for _, v := range values {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// contentHash names content: 12 hex digits of its SHA-256.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// zoneOf loads the page's time zone; UTC when it has none or an unknown
// one (logged).
func (h *Handler) zoneOf(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		h.logger().Warn("status page: unknown time zone, showing times in UTC", "time_zone", name, "err", err)
		return time.UTC
	}
	return loc
}
