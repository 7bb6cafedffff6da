package statuspage_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/htmltext"
	"github.com/headroomhq/headroom/statuspage"
	"golang.org/x/net/html"
)

// fixtureNow is when the fixture's snapshot was built: a week after the
// seed's incident.
var fixtureNow = time.Date(2021, 7, 8, 12, 0, 0, 0, time.UTC)

func at(day, hour, minute int) time.Time {
	return time.Date(2021, 7, day, hour, minute, 0, 0, time.UTC)
}

// fixture is a page with components in two groups and one alone, an
// active incident, a resolved one with a postmortem, a maintenance in
// progress, one scheduled, and older incidents for the history.
func fixture() *incident.Snapshot {
	created := fixtureNow.AddDate(-1, 0, 0)
	comp := func(id, name, group string, pos int, st incident.ComponentStatus) incident.Component {
		return incident.Component{ID: id, Name: name, GroupID: group, Position: pos, Status: st, CreatedAt: created, UpdatedAt: at(8, 11, 40)}
	}
	s := &incident.Snapshot{
		Page:   incident.Page{ID: "acmepage0001", Name: "Acme", URL: "https://status.acme.test", TimeZone: "UTC"},
		Groups: []incident.Group{{ID: "grpcore00001", Name: "Core", Position: 1}, {ID: "grppipe00001", Name: "Pipelines", Description: "Builds and deployments", Position: 3}},
		Components: []incident.Component{
			comp("cmpweb000001", "Website", "grpcore00001", 1, incident.DegradedPerformance),
			comp("cmpapi000001", "API", "grpcore00001", 2, incident.PartialOutage),
			comp("cmpssh000001", "Git via SSH", "", 2, incident.Operational),
			comp("cmpbld000001", "Builds", "grppipe00001", 1, incident.UnderMaintenance),
			comp("cmpdep000001", "Deployments", "grppipe00001", 2, incident.Operational),
		},
		Indicator:   incident.IndicatorMajor,
		Description: "Partial System Outage",
		UpdatedAt:   at(8, 11, 40),
		Version:     7,
		BuiltAt:     fixtureNow,
		Uptime:      map[string]incident.Uptime{},
	}
	// Deployments was added 40 days ago: the days before have no data
	// (and do not show on a phone, which shows 30 days).
	s.Components[4].CreatedAt = fixtureNow.AddDate(0, 0, -40)
	s.Incidents = []incident.Incident{
		{
			ID: "incactive001", Kind: incident.KindIncident, Name: "Elevated API error rates", Status: incident.Identified, Impact: incident.ImpactMajor,
			ComponentIDs: []string{"cmpapi000001", "cmpweb000001"}, CreatedAt: at(8, 11, 2), UpdatedAt: at(8, 11, 40), StartedAt: at(8, 10, 55),
			Updates: []incident.Update{
				{ID: "upd000000003", Status: incident.Identified, Body: "A bad deploy of the API gateway; **rolling back**.", CreatedAt: at(8, 11, 40), DisplayAt: at(8, 11, 40),
					Affected: []incident.Affected{{ComponentID: "cmpweb000001", Name: "Website", Old: incident.Operational, New: incident.DegradedPerformance}}},
				{ID: "upd000000002", Status: incident.Investigating, Body: "We are investigating errors on the API.", CreatedAt: at(8, 11, 2), DisplayAt: at(8, 11, 2),
					Affected: []incident.Affected{{ComponentID: "cmpapi000001", Name: "API", Old: incident.Operational, New: incident.PartialOutage}}},
			},
		},
		{
			ID: "mntactive001", Kind: incident.KindMaintenance, Name: "Build cluster upgrade", Status: incident.InProgress, Impact: incident.ImpactMaintenance,
			ComponentIDs: []string{"cmpbld000001"}, CreatedAt: at(1, 9, 0), UpdatedAt: at(8, 10, 0), StartedAt: at(8, 10, 0),
			ScheduledFor: at(8, 10, 0), ScheduledUntil: at(8, 14, 0), AutoStart: true, AutoComplete: true,
			Updates: []incident.Update{
				{ID: "upd000000011", Status: incident.InProgress, Body: "Scheduled maintenance is currently in progress.", CreatedAt: at(8, 10, 0), DisplayAt: at(8, 10, 0)},
				{ID: "upd000000010", Status: incident.Scheduled, Body: "Builds will queue while the cluster is upgraded.", CreatedAt: at(1, 9, 0), DisplayAt: at(1, 9, 0)},
			},
		},
		{
			ID: "mntsched0001", Kind: incident.KindMaintenance, Name: "Network maintenance", Status: incident.Scheduled, Impact: incident.ImpactMaintenance,
			ComponentIDs: []string{"cmpssh000001"}, CreatedAt: at(7, 9, 0), UpdatedAt: at(7, 9, 0),
			ScheduledFor: at(10, 2, 0), ScheduledUntil: at(10, 4, 0),
			Updates: []incident.Update{
				{ID: "upd000000020", Status: incident.Scheduled, Body: "SSH may drop for a few seconds.", CreatedAt: at(7, 9, 0), DisplayAt: at(7, 9, 0)},
			},
		},
		{
			ID: "incpostm0001", Kind: incident.KindIncident, Name: "Pipelines delayed", Status: incident.Postmortem, Impact: incident.ImpactMinor,
			ComponentIDs: []string{"cmpbld000001", "cmpdep000001"}, CreatedAt: at(5, 8, 10), UpdatedAt: at(6, 15, 0), StartedAt: at(5, 8, 0),
			MonitoringAt: at(5, 8, 40), ResolvedAt: at(5, 9, 0),
			PostmortemBody: "## Summary\n\nA queue filled up.", PostmortemPublishedAt: at(6, 15, 0),
			Updates: []incident.Update{
				{ID: "upd000000032", Status: incident.Resolved, Body: "This incident has been resolved.", CreatedAt: at(5, 9, 0), DisplayAt: at(5, 9, 0)},
				{ID: "upd000000031", Status: incident.Monitoring, Body: "Builds are starting again.", CreatedAt: at(5, 8, 40), DisplayAt: at(5, 8, 40)},
				{ID: "upd000000030", Status: incident.Investigating, Body: "Builds are waiting longer than usual.", CreatedAt: at(5, 8, 10), DisplayAt: at(5, 8, 10)},
			},
		},
		{
			ID: "mntdone00001", Kind: incident.KindMaintenance, Name: "Database failover test", Status: incident.Completed, Impact: incident.ImpactMaintenance,
			ComponentIDs: []string{"cmpapi000001"}, CreatedAt: time.Date(2021, 5, 20, 9, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2021, 5, 28, 3, 0, 0, 0, time.UTC),
			ScheduledFor: time.Date(2021, 5, 28, 2, 0, 0, 0, time.UTC), ScheduledUntil: time.Date(2021, 5, 28, 3, 0, 0, 0, time.UTC),
			Updates: []incident.Update{
				{ID: "upd000000041", Status: incident.Completed, Body: "The maintenance has been completed.", CreatedAt: time.Date(2021, 5, 28, 3, 0, 0, 0, time.UTC)},
			},
		},
		{
			ID: "incold000001", Kind: incident.KindIncident, Name: "Login failures", Status: incident.Resolved, Impact: incident.ImpactCritical,
			ComponentIDs: []string{"cmpweb000001"}, CreatedAt: time.Date(2021, 3, 3, 7, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2021, 3, 3, 8, 0, 0, 0, time.UTC),
			StartedAt: time.Date(2021, 3, 3, 7, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2021, 3, 3, 8, 0, 0, 0, time.UTC),
			Updates: []incident.Update{
				{ID: "upd000000051", Status: incident.Resolved, Body: "Logins work again.", CreatedAt: time.Date(2021, 3, 3, 8, 0, 0, 0, time.UTC)},
			},
		},
	}
	for _, c := range s.Components {
		s.Uptime[c.ID] = uptime(c, fixtureOutages[c.ID])
	}
	return s
}

// fixtureOutages are minutes of downtime per component, by days back.
var fixtureOutages = map[string]map[int]float64{
	"cmpapi000001": {0: 40, 12: 8, 25: 300},
	"cmpweb000001": {60: 12},
	"cmpbld000001": {3: 18},
}

// uptime builds the 90 days up to the fixture's with outages in minutes
// by days back.
func uptime(c incident.Component, outages map[int]float64) incident.Uptime {
	return uptimeAt(c, outages, time.Date(fixtureNow.Year(), fixtureNow.Month(), fixtureNow.Day(), 0, 0, 0, 0, time.UTC))
}

// uptimeAt builds the 90 days up to today.
func uptimeAt(c incident.Component, outages map[int]float64, today time.Time) incident.Uptime {
	var u incident.Uptime
	total, days := 0.0, 0
	for back := incident.UptimeDays - 1; back >= 0; back-- {
		d := incident.DayUptime{Date: today.AddDate(0, 0, -back), OutageMinutes: outages[back], Worst: incident.Operational}
		if d.OutageMinutes > 0 {
			d.Worst = incident.MajorOutage
		}
		// A day that ended before the component existed has no data.
		if !d.Date.AddDate(0, 0, 1).After(c.CreatedAt) {
			d.NoData, d.Worst = true, ""
		} else {
			total += d.OutageMinutes
			days++
		}
		u.Days = append(u.Days, d)
	}
	u.Percent = 100 * (1 - total/float64(days*24*60))
	return u
}

// published returns a handler serving snap.
func published(t testing.TB, snap *incident.Snapshot) *statuspage.Handler {
	t.Helper()
	h := statuspage.New()
	h.Publish(snap)
	return h
}

// get serves one request and returns the response with its body read.
func get(t testing.TB, h http.Handler, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// text returns the lines a person reads in the first element of doc that
// match accepts (the whole page when match is nil).
func text(t testing.TB, doc string, match func(*html.Node) bool) []string {
	t.Helper()
	lines, ok := htmltext.Lines(parse(t, doc), match)
	if !ok {
		t.Fatal("no element matches")
	}
	return lines
}

var (
	find     = htmltext.Find
	findAll  = htmltext.FindAll
	attr     = htmltext.Attr
	hasClass = htmltext.HasClass
)

func parse(t testing.TB, doc string) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
