package statuspage_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"golang.org/x/net/html"
)

// The status page shows the overall banner, the unresolved incident and
// the maintenance in progress, the components in their groups with 90
// uptime bars each, the upcoming maintenance and 15 days of past
// incidents.
func TestStatusPage(t *testing.T) {
	h := published(t, fixture())
	res, body := get(t, h, "GET", "/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc := parse(t, body)

	banner := find(doc, hasClass("banner"))
	if banner == nil || !hasClass("indicator-major")(banner) {
		t.Fatalf("no banner with the page's indicator")
	}
	if got := text(t, body, hasClass("banner")); !slices.Equal(got, []string{"Partial System Outage"}) {
		t.Errorf("banner: got %q", got)
	}

	cards := findAll(doc, hasClass("card"))
	var titles []string
	for _, c := range cards {
		titles = append(titles, strings.Join(text(t, render(c), hasClass("card-title")), ""))
	}
	if want := []string{"Elevated API error rates", "Build cluster upgrade", "Network maintenance"}; !slices.Equal(titles, want) {
		t.Errorf("cards: got %q, want %q (unresolved incident, maintenance in progress, upcoming)", titles, want)
	}
	active := text(t, render(cards[0]), nil)
	if want := []string{"Elevated API error rates",
		"Identified -", "A bad deploy of the API gateway; rolling back.", "Posted Jul 08, 2021 - 11:40 UTC",
		"Investigating -", "We are investigating errors on the API.", "Posted Jul 08, 2021 - 11:02 UTC",
		"This incident affects: Core (Website, API).",
	}; !slices.Equal(active, want) {
		t.Errorf("the active incident's card:\ngot  %q\nwant %q", active, want)
	}
	if !hasClass("impact-major")(cards[0]) || !hasClass("impact-maintenance")(cards[1]) {
		t.Error("cards are not coloured by their impact")
	}
	if got := text(t, render(cards[2]), hasClass("window")); !slices.Equal(got, []string{"Scheduled for Jul 10, 2021 02:00 - 04:00 UTC"}) {
		t.Errorf("upcoming maintenance window: got %q", got)
	}

	// Components, in their groups, with their status and bars.
	type row struct{ name, status string }
	var rows []row
	for _, c := range findAll(doc, hasClass("component-head")) {
		l := text(t, render(c), nil)
		rows = append(rows, row{strings.Join(l, " "), attr(find(c, hasClass("status")), "class")})
	}
	wantRows := []row{
		{"Website Degraded Performance", "status status-degraded_performance"},
		{"API Partial Outage", "status status-partial_outage"},
		{"Git via SSH Operational", "status status-operational"},
		{"Builds Under Maintenance", "status status-under_maintenance"},
		{"Deployments Operational", "status status-operational"},
	}
	if !slices.Equal(rows, wantRows) {
		t.Errorf("components: got %v, want %v", rows, wantRows)
	}
	groups := findAll(doc, hasClass("group"))
	if len(groups) != 2 {
		t.Fatalf("%d groups, want 2", len(groups))
	}
	if got := text(t, render(groups[0]), func(n *html.Node) bool { return n.Data == "summary" }); !slices.Equal(got, []string{"Core Partial Outage"}) {
		t.Errorf("the Core group's row: got %q (its status is its worst member's)", got)
	}

	bars := findAll(doc, hasClass("bars"))
	if len(bars) != 5 {
		t.Fatalf("%d bar rows, want one per component", len(bars))
	}
	classes := func(b *html.Node) (out []string) {
		for c := b.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				out = append(out, attr(c, "class"))
			}
		}
		return out
	}
	api := classes(bars[1])
	if len(api) != 90 {
		t.Fatalf("API has %d bars, want 90", len(api))
	}
	for back, want := range map[int]string{0: "major", 12: "minor", 25: "critical", 1: "", 89: ""} {
		if got := api[89-back]; got != want {
			t.Errorf("API %d days back: bar %q, want %q", back, got, want)
		}
	}
	var apiBars []*html.Node
	for c := bars[1].FirstChild; c != nil; c = c.NextSibling {
		apiBars = append(apiBars, c)
	}
	if got, want := attr(apiBars[89], "data-t"), "Jul 8, 2021: 40 min of downtime (major outage)"; got != want {
		t.Errorf("today's tooltip: got %q, want %q", got, want)
	}
	// Days without downtime carry nothing: the stylesheet counts them.
	if got := apiBars[0].Attr; len(got) != 0 {
		t.Errorf("the first day, without downtime: %v, want a bare element", got)
	}
	deploy := classes(bars[4])
	if n := strings.Count(strings.Join(deploy, " "), "nodata"); n != 49 {
		t.Errorf("Deployments, 40 days old, has %d bars without data, want 49", n)
	}
	legend := text(t, render(findAll(doc, hasClass("bars-legend"))[1]), nil)
	if want := []string{"99.73 % uptime"}; !slices.Equal(legend, want) {
		t.Errorf("the API's legend: got %q, want %q", legend, want)
	}

	// Past incidents: 15 days, today first.
	days := findAll(doc, hasClass("day"))
	if len(days) != statuspage.DefaultPastDays {
		t.Fatalf("%d days of past incidents, want %d", len(days), statuspage.DefaultPastDays)
	}
	today := text(t, render(days[0]), nil)
	if today[0] != "Jul 8, 2021" || !slices.Contains(today, "Elevated API error rates") || !slices.Contains(today, "Build cluster upgrade") {
		t.Errorf("today: %q", today)
	}
	july5 := text(t, render(days[3]), nil)
	if want := []string{"Jul 5, 2021", "Pipelines delayed", "Postmortem - Read details", "Jul 6, 15:00 UTC",
		"Resolved - This incident has been resolved.", "Jul 5, 09:00 UTC",
		"Monitoring - Builds are starting again.", "Jul 5, 08:40 UTC",
		"Investigating - Builds are waiting longer than usual.", "Jul 5, 08:10 UTC"}; !slices.Equal(july5, want) {
		t.Errorf("Jul 5:\ngot  %q\nwant %q", july5, want)
	}
	if got := text(t, render(days[1]), nil); !slices.Equal(got, []string{"Jul 7, 2021", "No incidents reported."}) {
		t.Errorf("an empty day: got %q", got)
	}
	if strings.Contains(body, "SSH may drop") && strings.Count(body, "Network maintenance") != 1 {
		t.Error("the upcoming maintenance is listed among past incidents")
	}
	// Links are relative: the page works under a prefix.
	if !strings.Contains(body, `href="incidents/incactive001"`) || !strings.Contains(body, `href="history"`) {
		t.Error("links to the incident and the history are not relative")
	}
}

// Regression test for upcoming maintenance sorted by its text: "Aug" came
// before "Jul".
func TestUpcomingMaintenanceOrder(t *testing.T) {
	snap := fixture()
	later := snap.Incidents[2]
	later.ID, later.Name = "mntsched0002", "Storage migration"
	later.ScheduledFor, later.ScheduledUntil = time.Date(2021, 8, 2, 2, 0, 0, 0, time.UTC), time.Date(2021, 8, 2, 3, 0, 0, 0, time.UTC)
	snap.Incidents = append([]incident.Incident{later}, snap.Incidents...) // newest first: scheduled last
	h := published(t, snap)
	_, body := get(t, h, "GET", "/")
	var titles []string
	for _, c := range findAll(parse(t, body), hasClass("card")) {
		titles = append(titles, strings.Join(text(t, render(c), hasClass("card-title")), ""))
	}
	if want := []string{"Elevated API error rates", "Build cluster upgrade", "Network maintenance", "Storage migration"}; !slices.Equal(titles, want) {
		t.Errorf("cards %q, want %q (upcoming maintenance soonest first)", titles, want)
	}
}

// A component with other than 90 days of uptime names every day in its
// tooltip: the stylesheet counts 90 days back only.
func TestUptimeBarsOtherLength(t *testing.T) {
	snap := fixture()
	u := snap.Uptime["cmpssh000001"]
	u.Days = u.Days[60:]
	u.Days[0].Worst = incident.DegradedPerformance
	snap.Uptime["cmpssh000001"] = u
	h := published(t, snap)
	_, body := get(t, h, "GET", "/")
	bars := findAll(parse(t, body), hasClass("bars"))[2]
	var tips []string
	for c := bars.FirstChild; c != nil; c = c.NextSibling {
		tips = append(tips, attr(c, "data-t"))
	}
	if len(tips) != 30 || tips[0] != "Jun 9, 2021: no downtime recorded (degraded performance)" || tips[29] != "Jul 8, 2021: no downtime recorded" {
		t.Errorf("%d bars, tooltips %q ... %q", len(tips), tips[0], tips[len(tips)-1])
	}
	if legend := findAll(parse(t, body), hasClass("bars-legend"))[2]; attr(legend, "data-days") != "30 days ago" {
		t.Errorf("legend %s", render(legend))
	}
}

// TestUptimeBarsAfterAWrite publishes a snapshot whose day of uptime
// changed, then one whose component has fewer days: a write reuses the last
// write's bars only where the days are the same.
func TestUptimeBarsAfterAWrite(t *testing.T) {
	tips := func(h http.Handler, row int) []string {
		t.Helper()
		_, body := get(t, h, "GET", "/")
		var out []string
		for c := findAll(parse(t, body), hasClass("bars"))[row].FirstChild; c != nil; c = c.NextSibling {
			out = append(out, attr(c, "data-t"))
		}
		return out
	}
	snap := fixture()
	h := published(t, snap)
	before := tips(h, 2)

	next := fixture()
	next.Version = snap.Version + 1
	u := next.Uptime["cmpssh000001"]
	u.Days = slices.Clone(u.Days)
	u.Days[89].OutageMinutes, u.Days[89].Worst = 5, incident.PartialOutage
	next.Uptime["cmpssh000001"] = u
	h.Publish(next)
	after := tips(h, 2)
	if got, want := after[89], "Jul 8, 2021: 5 min of downtime (partial outage)"; got != want {
		t.Errorf("today's tooltip after the write: got %q, want %q", got, want)
	}
	if !slices.Equal(after[:89], before[:89]) {
		t.Error("the other days' tooltips changed")
	}
	if got, want := tips(h, 1), tips(published(t, next), 1); !slices.Equal(got, want) {
		t.Errorf("an unchanged component's bars: got %q, want %q", got, want)
	}

	last := fixture()
	last.Version = next.Version + 1
	u.Days = u.Days[60:]
	last.Uptime["cmpssh000001"] = u
	h.Publish(last)
	if got := tips(h, 2); len(got) != 30 || got[0] != "Jun 9, 2021: no downtime recorded" {
		t.Errorf("after the days shrank: %d bars, the first %q", len(got), got[0])
	}
}

// render writes a node back to HTML.
func render(n *html.Node) string {
	var b strings.Builder
	html.Render(&b, n)
	return b.String()
}

// An incident's page: title, report line, postmortem, updates newest first
// with their Posted lines, the components affected by name in their group.
func TestIncidentPage(t *testing.T) {
	h := published(t, fixture())
	res, body := get(t, h, "GET", "/incidents/incpostm0001")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := text(t, body, hasClass("report"))
	want := []string{
		"Pipelines delayed",
		"Incident Report for Acme",
		"Postmortem", "Summary", "A queue filled up.", "Posted Jul 06, 2021 - 15:00 UTC",
		"Resolved", "This incident has been resolved.", "Posted Jul 05, 2021 - 09:00 UTC",
		"Monitoring", "Builds are starting again.", "Posted Jul 05, 2021 - 08:40 UTC",
		"Investigating", "Builds are waiting longer than usual.", "Posted Jul 05, 2021 - 08:10 UTC",
		"This incident affected: Pipelines (Builds, Deployments).",
	}
	if !slices.Equal(got, want) {
		t.Errorf("incident page:\ngot  %q\nwant %q", got, want)
	}
	if !strings.Contains(body, "<title>Acme Status - Pipelines delayed</title>") {
		t.Error("the title does not name the page and the incident")
	}
	if !strings.Contains(body, `class="incident-name impact-minor"`) {
		t.Error("the title is not coloured by the impact")
	}
	if !strings.Contains(body, `<a href="../">← Current Status</a>`) {
		t.Error("no relative link back to the status page")
	}

	_, body = get(t, h, "GET", "/incidents/mntactive001")
	got = text(t, body, hasClass("report"))
	want = []string{
		"Build cluster upgrade",
		"Scheduled Maintenance Report for Acme",
		"Scheduled for Jul 08, 2021 10:00 - 14:00 UTC",
		"In progress", "Scheduled maintenance is currently in progress.", "Posted Jul 08, 2021 - 10:00 UTC",
		"Scheduled", "Builds will queue while the cluster is upgraded.", "Posted Jul 01, 2021 - 09:00 UTC",
		"This scheduled maintenance affected: Pipelines (Builds).",
	}
	if !slices.Equal(got, want) {
		t.Errorf("maintenance page:\ngot  %q\nwant %q", got, want)
	}
}

// Times are shown in the page's time zone, with its abbreviation.
func TestPageTimeZone(t *testing.T) {
	snap := fixture()
	snap.Page.TimeZone = "America/Chicago"
	h := statuspage.New()
	h.Logger = slog.New(slog.DiscardHandler)
	h.Publish(snap)
	_, body := get(t, h, "GET", "/incidents/incactive001")
	if !strings.Contains(body, "Posted Jul 08, 2021 - 06:40 CDT") {
		t.Errorf("the update is not posted in Chicago's time:\n%s", strings.Join(text(t, body, hasClass("report")), "\n"))
	}
	// Past incidents fall on the page's days: 01:30 UTC on Jul 8 is Jul 7
	// in Chicago.
	snap.Incidents[0].StartedAt = at(8, 1, 30)
	h.Publish(snap)
	_, body = get(t, h, "GET", "/")
	days := findAll(parse(t, body), hasClass("day"))
	if got := text(t, render(days[1]), nil); len(got) < 2 || got[0] != "Jul 7, 2021" || got[1] != "Elevated API error rates" {
		t.Errorf("Jul 7 in Chicago: got %q", got)
	}

	// An unknown zone falls back to UTC rather than failing the page.
	snap.Page.TimeZone = "Mars/Olympus_Mons"
	h.Publish(snap)
	_, body = get(t, h, "GET", "/incidents/incactive001")
	if !strings.Contains(body, "Posted Jul 08, 2021 - 11:40 UTC") {
		t.Error("an unknown time zone does not fall back to UTC")
	}
}

// The history lists incidents by month, three months a page, newest first;
// older pages through ?page=.
func TestHistory(t *testing.T) {
	h := published(t, fixture())
	_, body := get(t, h, "GET", "/history")
	months := findAll(parse(t, body), hasClass("month"))
	var got [][]string
	for _, m := range months {
		got = append(got, text(t, render(m), nil))
	}
	want := [][]string{
		{"July 2021", "Elevated API error rates", "A bad deploy of the API gateway; rolling back.", "Jul 8, 10:55 UTC",
			"Build cluster upgrade", "Scheduled maintenance is currently in progress.", "Jul 8, 10:00 - 14:00 UTC",
			"Pipelines delayed", "This incident has been resolved.", "Jul 5, 08:00 - 09:00 UTC"},
		{"June 2021", "No incidents reported for this month."},
		{"May 2021", "Database failover test", "The maintenance has been completed.", "May 28, 02:00 - 03:00 UTC"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("history:\ngot  %q\nwant %q", got, want)
	}
	if !strings.Contains(body, `<a href="history?page=2">← Older</a>`) || strings.Contains(body, "Newer") {
		t.Error("the first page does not link to the older one only")
	}

	_, body = get(t, h, "GET", "/history?page=2")
	got = nil
	for _, m := range findAll(parse(t, body), hasClass("month")) {
		got = append(got, text(t, render(m), nil))
	}
	want = [][]string{
		{"April 2021", "No incidents reported for this month."},
		{"March 2021", "Login failures", "Logins work again.", "Mar 3, 07:00 - 08:00 UTC"},
		{"February 2021", "No incidents reported for this month."},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("history page 2:\ngot  %q\nwant %q", got, want)
	}
	if !strings.Contains(body, `<a href="history">Newer →</a>`) || strings.Contains(body, "Older") {
		t.Error("the last page does not link to the newer one only")
	}
	for _, target := range []string{"/history?page=3", "/history?page=0", "/history?page=x"} {
		if res, _ := get(t, h, "GET", target); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, res.StatusCode)
		}
	}
	if res, _ := get(t, h, "GET", "/history?utm_source=x&page=2"); res.StatusCode != http.StatusOK {
		t.Errorf("a page among other parameters: status %d", res.StatusCode)
	}
}

// Unknown addresses get a 404 page of the kind asked for; other methods
// than GET and HEAD a 405; nothing is served before the first snapshot.
func TestErrors(t *testing.T) {
	h := statuspage.New()
	res, body := get(t, h, "GET", "/")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("before Publish: %d, Retry-After %q, Cache-Control %q", res.StatusCode, res.Header.Get("Retry-After"), res.Header.Get("Cache-Control"))
	}
	if !strings.Contains(body, "starting") {
		t.Errorf("before Publish: %q", body)
	}
	h.Publish(fixture())

	for _, c := range []struct {
		name, method, target string
		status               int
		contentType, text    string
	}{
		{"an unknown incident", "GET", "/incidents/nosuchthing1", 404, "text/html; charset=utf-8", "There is no incident with this address"},
		{"an unknown page", "GET", "/wp-login.php", 404, "text/html; charset=utf-8", "There is no page at this address."},
		{"an unknown incident's JSON", "GET", "/api/v2/incidents/nosuchthing1.json", 404, "application/json; charset=utf-8", `"error":"Not found`},
		{"an unknown document", "GET", "/api/v1/summary.json", 404, "application/json; charset=utf-8", `"error"`},
		{"a POST", "POST", "/", 405, "text/plain; charset=utf-8", "Method not allowed"},
		{"a DELETE of the API", "DELETE", "/api/v2/incidents/incactive001.json", 405, "text/plain; charset=utf-8", "Method not allowed"},
		{"a maintenance's page", "GET", "/incidents/mntsched0001", 200, "text/html; charset=utf-8", "Network maintenance"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := get(t, h, c.method, c.target)
			if res.StatusCode != c.status || res.Header.Get("Content-Type") != c.contentType {
				t.Errorf("%s %s: %d %s, want %d %s", c.method, c.target, res.StatusCode, res.Header.Get("Content-Type"), c.status, c.contentType)
			}
			if !strings.Contains(body, c.text) {
				t.Errorf("%s %s: no %q in\n%s", c.method, c.target, c.text, body)
			}
			if c.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow: %q", res.Header.Get("Allow"))
			}
		})
	}
	// The 404 of an incident links back from /incidents/.
	_, body = get(t, h, "GET", "/incidents/nosuchthing1")
	if !strings.Contains(body, `<a href="../">← Current Status</a>`) {
		t.Error("the incident 404 has no link back")
	}
}

// HEAD answers the headers of GET, with no body.
func TestHead(t *testing.T) {
	h := published(t, fixture())
	getRes, getBody := get(t, h, "GET", "/api/v2/summary.json")
	res, body := get(t, h, "HEAD", "/api/v2/summary.json")
	if res.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %d with %d bytes", res.StatusCode, len(body))
	}
	for _, k := range []string{"Content-Type", "Content-Length", "Etag", "Cache-Control", "Content-Security-Policy"} {
		if res.Header.Get(k) != getRes.Header.Get(k) || res.Header.Get(k) == "" {
			t.Errorf("HEAD %s %q, GET %q", k, res.Header.Get(k), getRes.Header.Get(k))
		}
	}
	if res.Header.Get("Content-Length") != strconv.Itoa(len(getBody)) {
		t.Errorf("Content-Length %s, body %d bytes", res.Header.Get("Content-Length"), len(getBody))
	}
}

// Every answer names its content by an ETag; asked again with it, the
// answer is a 304 without a body. The gzip variant has its own tag. An
// incident's JSON is made by the first request (newEntry): the same.
func TestETag(t *testing.T) {
	h := published(t, fixture())
	for _, path := range []string{"/", "/incidents/incpostm0001", "/history", "/api/v2/summary.json", "/history.atom",
		"/api/v2/incidents/incpostm0001.json"} {
		t.Run(path, func(t *testing.T) {
			res, _ := get(t, h, "GET", path)
			etag := res.Header.Get("Etag")
			if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
				t.Fatalf("ETag %q", etag)
			}
			for _, c := range []struct {
				name, ifNoneMatch string
				status            int
			}{
				{"the same tag", etag, 304},
				{"the weak form", "W/" + etag, 304},
				{"among others", `"abc", ` + etag, 304},
				{"any", "*", 304},
				{"another tag", `"0123456789abcdef01234567"`, 200},
				{"the tag unquoted", strings.Trim(etag, `"`), 200},
			} {
				res, body := get(t, h, "GET", path, "If-None-Match", c.ifNoneMatch)
				if res.StatusCode != c.status {
					t.Errorf("%s: status %d, want %d", c.name, res.StatusCode, c.status)
				}
				if c.status == 304 && (body != "" || res.Header.Get("Etag") != etag || res.Header.Get("Cache-Control") == "") {
					t.Errorf("%s: 304 with %d bytes, ETag %q, Cache-Control %q", c.name, len(body), res.Header.Get("Etag"), res.Header.Get("Cache-Control"))
				}
			}
			gz, _ := get(t, h, "GET", path, "Accept-Encoding", "gzip")
			gzTag := gz.Header.Get("Etag")
			if gzTag == etag || gz.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("gzip: ETag %q (identity %q), Content-Encoding %q", gzTag, etag, gz.Header.Get("Content-Encoding"))
			}
			res, _ = get(t, h, "GET", path, "Accept-Encoding", "gzip", "If-None-Match", gzTag)
			if res.StatusCode != 304 || res.Header.Get("Content-Encoding") != "" {
				t.Errorf("gzip revalidation: %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
			}
			res, _ = get(t, h, "GET", path, "If-None-Match", gzTag)
			if res.StatusCode != 200 {
				t.Errorf("the gzip tag matched the identity body: %d", res.StatusCode)
			}
		})
	}
	// A 404 is never a 304.
	if res, _ := get(t, h, "GET", "/incidents/nosuchthing1", "If-None-Match", "*"); res.StatusCode != 404 {
		t.Errorf("404 with If-None-Match: *: %d", res.StatusCode)
	}
}

// A client that accepts gzip gets the compressed variant of the same
// bytes; the others, or one refusing it with q=0, the identity body.
func TestGzip(t *testing.T) {
	h := published(t, fixture())
	_, plain := get(t, h, "GET", "/")
	for _, c := range []struct {
		acceptEncoding string
		gzip           bool
	}{
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"x-gzip", true},
		{"*", true},
		{"", false},
		{"br", false},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"identity", false},
	} {
		res, body := get(t, h, "GET", "/", "Accept-Encoding", c.acceptEncoding)
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != c.gzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", c.acceptEncoding, got, c.gzip)
			continue
		}
		if res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q", c.acceptEncoding, res.Header.Get("Vary"))
		}
		if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("Accept-Encoding %q: Content-Length %s for %d bytes", c.acceptEncoding, res.Header.Get("Content-Length"), len(body))
		}
		if !c.gzip {
			continue
		}
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || string(unzipped) != plain {
			t.Errorf("Accept-Encoding %q: the gzip body is not the page (%v)", c.acceptEncoding, err)
		}
		if len(body)*3 > len(plain) {
			t.Errorf("the page compresses only from %d to %d bytes", len(plain), len(body))
		}
	}
}

// Every answer carries the security headers; the page's one inline style
// is the one the policy allows.
func TestSecurityHeaders(t *testing.T) {
	h := published(t, fixture())
	sheets := map[string]bool{}
	for _, path := range []string{"/", "/incidents/incactive001", "/history", "/history?page=2", "/api/v2/summary.json",
		"/api/v2/incidents/incactive001.json", "/history.atom", "/history.rss", "/incidents/none", "/nothing"} {
		res, body := get(t, h, "GET", path)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows scripts or unsafe sources", path, csp)
		}
		html := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
		referrer := ""
		if html {
			referrer = "no-referrer" // only pages have links a browser follows
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "", // superseded by frame-ancestors: a header less to write
			"Referrer-Policy":        referrer,
			"Cache-Control":          statuspage.DefaultCacheControl,
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		cors := res.Header.Get("Access-Control-Allow-Origin")
		if api := strings.HasPrefix(path, "/api/"); (cors == "*") != api {
			t.Errorf("%s: Access-Control-Allow-Origin %q (only the JSON API is readable from any origin)", path, cors)
		}
		if !html {
			continue
		}
		if !strings.Contains(csp, "style-src 'self'") {
			t.Errorf("%s: CSP %q does not allow the stylesheet", path, csp)
		}
		links := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindAllStringSubmatch(body, -1)
		if len(links) != 1 || strings.Contains(body, "<style") {
			t.Fatalf("%s: %d stylesheet links, want 1 and no style element", path, len(links))
		}
		sheets[links[0][1]] = true
		if strings.Contains(body, "<script") || strings.Contains(body, " style=") {
			t.Errorf("%s: a script or a style attribute", path)
		}
	}
	// One stylesheet, linked relatively (../ from an incident, / from a
	// 404 anywhere), under a path naming its content, kept for good.
	want := map[string]bool{}
	for _, prefix := range []string{"./", "../", "/"} {
		want[prefix+"assets/status-"+stylesheetHash(t, h)+".css"] = true
	}
	if !maps.Equal(sheets, want) {
		t.Errorf("stylesheet links %v, want %v", slices.Sorted(maps.Keys(sheets)), slices.Sorted(maps.Keys(want)))
	}
}

// stylesheetHash returns the content hash in the stylesheet's path, after
// checking that it is the hash of what is served there.
func stylesheetHash(t *testing.T, h http.Handler) string {
	t.Helper()
	_, body := get(t, h, "GET", "/")
	m := regexp.MustCompile(`href="\./assets/status-([0-9a-f]{12})\.css"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no stylesheet link")
	}
	res, css := get(t, h, "GET", "/assets/status-"+m[1]+".css")
	sum := sha256.Sum256([]byte(css))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || fmt.Sprintf("%x", sum[:6]) != m[1] {
		t.Errorf("the stylesheet: %d %s, Cache-Control %q, sha256 %x", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), sum[:6])
	}
	if !strings.Contains(css, ".bars") {
		t.Error("the stylesheet is not the page's")
	}
	return m[1]
}

// Publish swaps the whole site at once; an older snapshot does not replace
// a newer one, and a page that did not change keeps its ETag.
func TestPublish(t *testing.T) {
	snap := fixture()
	h := published(t, snap)
	res1, _ := get(t, h, "GET", "/")
	inc1, _ := get(t, h, "GET", "/incidents/incold000001")

	next := fixture()
	next.Version = 8
	next.Incidents[0].Name = "Elevated API error rates in Europe"
	h.Publish(next)
	res2, body := get(t, h, "GET", "/")
	if !strings.Contains(body, "in Europe") || res2.Header.Get("Etag") == res1.Header.Get("Etag") {
		t.Error("a new snapshot did not replace the page and its ETag")
	}
	inc2, _ := get(t, h, "GET", "/incidents/incold000001")
	if inc2.Header.Get("Etag") != inc1.Header.Get("Etag") {
		t.Error("an unchanged incident page changed its ETag")
	}
	if _, body := get(t, h, "GET", "/api/v2/incidents/incactive001.json"); !strings.Contains(body, "in Europe") {
		t.Error("the JSON API still serves the old snapshot")
	}

	old := fixture()
	old.Version = 6
	old.Incidents[0].Name = "stale"
	h.Publish(old)
	h.Publish(nil)
	if _, body := get(t, h, "GET", "/"); strings.Contains(body, "stale") || !strings.Contains(body, "in Europe") {
		t.Error("an older snapshot replaced a newer one")
	}

	// An incident deleted from the snapshot is gone from every answer.
	next.Version = 9
	next.Incidents = next.Incidents[1:]
	h.Publish(next)
	if res, _ := get(t, h, "GET", "/incidents/incactive001"); res.StatusCode != 404 {
		t.Errorf("a removed incident's page: %d", res.StatusCode)
	}
}

// Reads and Publish run concurrently (go test -race).
func TestPublishWhileServing(t *testing.T) {
	h := published(t, fixture())
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{"/", "/api/v2/summary.json", "/incidents/incactive001"} {
					res, err := srv.Client().Get(srv.URL + path)
					if err != nil {
						t.Error(err)
						return
					}
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != 200 || !bytes.Contains(body, []byte("Elevated API error rates")) {
						t.Errorf("%s: %d", path, res.StatusCode)
						return
					}
				}
			}
		})
	}
	for v := range 20 {
		snap := fixture()
		snap.Version = int64(10 + v)
		snap.UpdatedAt = snap.UpdatedAt.Add(time.Duration(v) * time.Minute)
		h.Publish(snap)
	}
	close(stop)
	wg.Wait()
}

// A page with nothing on it still renders: no components, no incidents,
// no name.
func TestEmptyPage(t *testing.T) {
	h := published(t, &incident.Snapshot{BuiltAt: fixtureNow})
	res, body := get(t, h, "GET", "/")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := text(t, body, hasClass("banner")); !slices.Equal(got, []string{"All Systems Operational"}) {
		t.Errorf("banner %q", got)
	}
	for _, path := range []string{"/history", "/api/v2/summary.json", "/history.atom", "/history.rss"} {
		if res, _ := get(t, h, "GET", path); res.StatusCode != 200 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
}

// A gzip variant is made by the first request that needs it: readers at
// the same time as each other and as writes get whole, valid answers
// (run with -race).
func TestGzipConcurrent(t *testing.T) {
	snap := fixture()
	h := published(t, snap)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 30 {
				for _, path := range []string{"/", "/api/v2/summary.json", "/history.atom", "/api/v2/incidents/incactive001.json"} {
					res, body := get(t, h, "GET", path, "Accept-Encoding", "gzip")
					if res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
						t.Errorf("%s: Content-Length %s, body %d bytes", path, res.Header.Get("Content-Length"), len(body))
						return
					}
					if res.Header.Get("Content-Encoding") != "gzip" {
						continue
					}
					zr, err := gzip.NewReader(strings.NewReader(body))
					if err == nil {
						_, err = io.ReadAll(zr)
					}
					if err != nil {
						t.Errorf("%s: %v", path, err)
						return
					}
				}
			}
		})
	}
	for i := range 20 {
		next := fixture()
		next.Version = snap.Version + int64(i) + 1
		next.Incidents[0].Updates[0].Body = fmt.Sprintf("Update number %d.", i)
		h.Publish(next)
	}
	wg.Wait()
}
