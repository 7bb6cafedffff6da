package statuspage_test

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// seedPath is the incident report headroom exists for (DESIGN.md), kept
// outside the repository.
const seedPath = "../../shared/seed/bitbucket-2021-06-30-postmortem.txt"

// The seed incident as its report shows it.
const (
	seedTitle      = "Bitbucket website and API services are returning 502 errors"
	seedPageName   = "Atlassian Bitbucket"
	seedPosted     = "Posted Jul 07, 2021 - 21:51 UTC"
	seedPostedAt   = "2021-07-07T21:51:00Z"
	seedAffected   = "This incident affected: Website and API."
	seedIncidentID = "bbseed210630"
)

// seedUpdates are the report's updates, newest first, with their times.
var seedUpdates = []struct {
	status incident.Status
	body   string
	at     time.Time
}{
	{incident.Resolved, "This incident has been resolved.", time.Date(2021, 6, 30, 17, 53, 0, 0, time.UTC)},
	{incident.Monitoring, "Both website and API services have fully recovered. We will continue to monitor our systems and resolve this incident shortly.", time.Date(2021, 6, 30, 17, 31, 0, 0, time.UTC)},
	{incident.Identified, "We have increased capacity for website and API services and performance appears to be stabilizing.", time.Date(2021, 6, 30, 17, 24, 0, 0, time.UTC)},
	{incident.Investigating, "We are currently investigating an issue with the Bitbucket website and API services.", time.Date(2021, 6, 30, 17, 16, 0, 0, time.UTC)},
}

// seedPostmortem returns the seed's postmortem as Markdown, read from the
// seed file, and the file's lines; without the file, a stand-in and nil.
func seedPostmortem(t testing.TB) (markdown string, seedLines []string) {
	t.Helper()
	data, err := os.ReadFile(seedPath)
	if err != nil {
		return "SUMMARY\n\nOn June 30, 2021, between 5:05PM UTC and 5:15PM UTC, customers of Bitbucket experienced errors.", nil
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	start := slices.Index(lines, "Postmortem")
	end := slices.Index(lines, seedPosted)
	if start < 0 || end < start {
		t.Fatalf("%s: no postmortem between %q and %q", seedPath, "Postmortem", seedPosted)
	}
	// The report is rendered text: paragraphs, and bullets as "•".
	var md []string
	for _, l := range lines[start+1 : end] {
		l = strings.TrimSpace(l)
		if item, ok := strings.CutPrefix(l, "•"); ok {
			l = "-" + item
		}
		md = append(md, l)
	}
	for _, l := range lines {
		// Words as people read them: no-break spaces are spaces.
		l = strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "•")), " ")
		if l != "" {
			seedLines = append(seedLines, l)
		}
	}
	return strings.TrimSpace(strings.Join(md, "\n")), seedLines
}

// seedSnapshot is the seed's page a week after the incident, when the
// postmortem was published: Website and API were down for ten minutes on
// Jun 30.
func seedSnapshot(t testing.TB) *incident.Snapshot {
	t.Helper()
	postmortem, _ := seedPostmortem(t)
	created := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	comp := func(id, name string, pos int) incident.Component {
		return incident.Component{ID: id, Name: name, Position: pos, Status: incident.Operational, CreatedAt: created, UpdatedAt: seedUpdates[0].at}
	}
	posted, _ := time.Parse(time.RFC3339, seedPostedAt)
	s := &incident.Snapshot{
		Page: incident.Page{ID: "bqlf8qjztdtr", Name: seedPageName, URL: "https://bitbucket.status.atlassian.com", TimeZone: "Etc/UTC"},
		Components: []incident.Component{
			comp("bbwebsite001", "Website", 1), comp("bbapi0000001", "API", 2), comp("bbssh0000001", "Git via SSH", 3),
			comp("bbhttps00001", "Git via HTTPS", 4), comp("bbpipeline01", "Pipelines", 5),
		},
		Indicator: incident.IndicatorNone, Description: "All Systems Operational",
		UpdatedAt: posted, Version: 1, BuiltAt: posted,
		Uptime: map[string]incident.Uptime{},
	}
	inc := incident.Incident{
		ID: seedIncidentID, Kind: incident.KindIncident, Name: seedTitle, Status: incident.Postmortem, Impact: incident.ImpactMajor,
		// The incident's order, not the page's: the report names them in
		// page order.
		ComponentIDs: []string{"bbapi0000001", "bbwebsite001"},
		CreatedAt:    seedUpdates[3].at, UpdatedAt: posted,
		StartedAt:    time.Date(2021, 6, 30, 17, 5, 0, 0, time.UTC),
		MonitoringAt: seedUpdates[1].at, ResolvedAt: seedUpdates[0].at,
		PostmortemBody: postmortem, PostmortemPublishedAt: posted,
	}
	for i, u := range seedUpdates {
		up := incident.Update{ID: "bbupdate000" + string(rune('1'+i)), Status: u.status, Body: u.body, CreatedAt: u.at, DisplayAt: u.at}
		switch u.status {
		case incident.Investigating:
			up.Affected = []incident.Affected{
				{ComponentID: "bbwebsite001", Name: "Website", Old: incident.Operational, New: incident.MajorOutage},
				{ComponentID: "bbapi0000001", Name: "API", Old: incident.Operational, New: incident.MajorOutage}}
		case incident.Resolved:
			up.Affected = []incident.Affected{
				{ComponentID: "bbwebsite001", Name: "Website", Old: incident.MajorOutage, New: incident.Operational},
				{ComponentID: "bbapi0000001", Name: "API", Old: incident.MajorOutage, New: incident.Operational}}
		}
		inc.Updates = append(inc.Updates, up)
	}
	s.Incidents = []incident.Incident{inc}
	today := time.Date(posted.Year(), posted.Month(), posted.Day(), 0, 0, 0, 0, time.UTC)
	back := int(today.Sub(time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	for _, c := range s.Components {
		var outages map[int]float64
		if c.Name == "Website" || c.Name == "API" {
			outages = map[int]float64{back: 10} // 17:05 to 17:15
		}
		s.Uptime[c.ID] = uptimeAt(c, outages, today)
	}
	return s
}

// The seed's incident, rebuilt as a snapshot, reads on its page as the
// seed's report: the title, "Incident Report for Atlassian Bitbucket",
// the postmortem and its Posted line, the updates newest first with
// theirs, "This incident affected: Website and API." With the seed file at
// hand, the page's text is the file's, line for line.
func TestSeedIncidentPage(t *testing.T) {
	h := published(t, seedSnapshot(t))
	res, body := get(t, h, "GET", "/incidents/"+seedIncidentID)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	got := text(t, body, hasClass("report"))
	if len(got) < 3 || got[0] != seedTitle || got[1] != "Incident Report for "+seedPageName || got[2] != "Postmortem" {
		t.Fatalf("the report does not open like the seed's: %q", got[:min(3, len(got))])
	}
	i := slices.Index(got, seedPosted)
	if i < 0 {
		t.Fatalf("no %q under the postmortem", seedPosted)
	}
	var want []string
	for _, u := range seedUpdates {
		want = append(want, statusWord(u.status), u.body, "Posted "+u.at.Format("Jan 02, 2006 - 15:04")+" UTC")
	}
	want = append(want, seedAffected)
	if !slices.Equal(got[i+1:], want) {
		t.Errorf("updates:\ngot  %q\nwant %q", got[i+1:], want)
	}
	if want[2] != "Posted Jun 30, 2021 - 17:53 UTC" {
		t.Errorf("the Posted line is written %q, the seed writes %q", want[2], "Posted Jun 30, 2021 - 17:53 UTC")
	}

	_, seedLines := seedPostmortem(t)
	if seedLines == nil {
		t.Skipf("%s not found: the page was checked against the updates above, not the whole report", seedPath)
	}
	if !slices.Equal(got, seedLines) {
		for j := range max(len(got), len(seedLines)) {
			g, s := "(none)", "(none)"
			if j < len(got) {
				g = got[j]
			}
			if j < len(seedLines) {
				s = seedLines[j]
			}
			if g != s {
				t.Errorf("line %d of the report:\npage %q\nseed %q", j+1, g, s)
				break
			}
		}
	}
}

func statusWord(s incident.Status) string { return strings.ToUpper(string(s[:1])) + string(s[1:]) }
