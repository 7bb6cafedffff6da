package incident_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// The seed: Bitbucket's incident of 2021-06-30 as its status page told it
// (../shared/seed/bitbucket-2021-06-30-postmortem.txt), recreated after the
// fact through the Service, the times backdated with StartedAt and
// DisplayAt.
const seedFile = "../../shared/seed/bitbucket-2021-06-30-postmortem.txt"

var seedUpdates = []struct {
	status incident.Status
	body   string
	at     time.Time
}{
	{incident.Investigating, "We are currently investigating an issue with the Bitbucket website and API services.", time.Date(2021, 6, 30, 17, 16, 0, 0, time.UTC)},
	{incident.Identified, "We have increased capacity for website and API services and performance appears to be stabilizing.", time.Date(2021, 6, 30, 17, 24, 0, 0, time.UTC)},
	{incident.Monitoring, "Both website and API services have fully recovered. We will continue to monitor our systems and resolve this incident shortly.", time.Date(2021, 6, 30, 17, 31, 0, 0, time.UTC)},
	{incident.Resolved, "This incident has been resolved.", time.Date(2021, 6, 30, 17, 53, 0, 0, time.UTC)},
}

const seedName = "Bitbucket website and API services are returning 502 errors"

// recreateSeed posts the seed incident a week later, as its writer would,
// and publishes postmortem at the seed's time.
func recreateSeed(t *testing.T, s *incident.Service, c *clock, postmortem string) *incident.Incident {
	t.Helper()
	c.Set(time.Date(2021, 7, 7, 21, 0, 0, 0, time.UTC))
	// 502 errors and +300% latency on the website and the API, not the
	// Git services: a partial outage of two components.
	inc := mustOpen(t, s, incident.OpenIncident{
		Name:       seedName,
		Body:       seedUpdates[0].body,
		Components: map[string]incident.ComponentStatus{"website": incident.PartialOutage, "api": incident.PartialOutage},
		StartedAt:  time.Date(2021, 6, 30, 17, 5, 0, 0, time.UTC),
		DisplayAt:  seedUpdates[0].at,
	})
	if st := s.Snapshot(); st.Indicator != incident.IndicatorMajor || st.Description != "Partial System Outage" {
		t.Errorf("while open: page %s %q; want major \"Partial System Outage\" (an open incident of major impact)", st.Indicator, st.Description)
	}
	for _, u := range seedUpdates[1:] {
		up := incident.PostUpdate{Status: u.status, Body: u.body, DisplayAt: u.at}
		if u.status == incident.Monitoring {
			up.Components = map[string]incident.ComponentStatus{"website": incident.Operational, "api": incident.Operational}
		}
		inc = mustUpdate(t, s, inc.ID, up)
	}
	if _, err := s.SavePostmortem(t.Context(), inc.ID, postmortem); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2021, 7, 7, 21, 51, 0, 0, time.UTC))
	inc, err := s.PublishPostmortem(t.Context(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestSeedIncident(t *testing.T) {
	s, c, store := newService(t, nil, time.Date(2021, 7, 7, 20, 0, 0, 0, time.UTC))
	ctx := t.Context()
	if err := store.AddSubscriber(ctx, incident.Subscriber{ID: "sub", URL: "https://hooks.example/statuspage"}); err != nil {
		t.Fatal(err)
	}
	const postmortem = "SUMMARY\n\nOn June 30, 2021, between 5:05PM UTC and 5:15PM UTC, customers of Bitbucket experienced errors and increased latency."
	created := recreateSeed(t, s, c, postmortem)

	snap := s.Snapshot()
	inc := snap.Incident(created.ID)
	if inc == nil {
		t.Fatalf("incident %s not in the snapshot", created.ID)
	}
	if inc.Status != incident.Postmortem || inc.PostmortemBody != postmortem || !inc.PostmortemPublishedAt.Equal(time.Date(2021, 7, 7, 21, 51, 0, 0, time.UTC)) {
		t.Errorf("incident %s, postmortem %q published %v; want postmortem, the draft, 2021-07-07 21:51", inc.Status, inc.PostmortemBody, inc.PostmortemPublishedAt)
	}
	if inc.Impact != incident.ImpactMajor {
		t.Errorf("impact %s; want major (partial outages)", inc.Impact)
	}
	for _, tc := range []struct {
		field     string
		got, want time.Time
	}{
		{"StartedAt", inc.StartedAt, time.Date(2021, 6, 30, 17, 5, 0, 0, time.UTC)},
		{"MonitoringAt", inc.MonitoringAt, seedUpdates[2].at},
		{"ResolvedAt", inc.ResolvedAt, seedUpdates[3].at},
		{"CreatedAt", inc.CreatedAt, time.Date(2021, 7, 7, 21, 0, 0, 0, time.UTC)},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s = %v; want %v", tc.field, tc.got, tc.want)
		}
	}
	if len(inc.Updates) != 4 {
		t.Fatalf("%d updates; want 4", len(inc.Updates))
	}
	for i, u := range inc.Updates { // newest first
		want := seedUpdates[3-i]
		if u.Status != want.status || u.Body != want.body || !u.DisplayAt.Equal(want.at) {
			t.Errorf("update %d = %s %q at %v; want %s %q at %v", i, u.Status, u.Body, u.DisplayAt, want.status, want.body, want.at)
		}
	}
	if got := incident.Sentence(snap.ComponentNames(inc.ComponentIDs)); got != "Website and API" {
		t.Errorf("This incident affected: %q; want \"Website and API\"", got)
	}
	if snap.Indicator != incident.IndicatorNone || snap.Description != "All Systems Operational" {
		t.Errorf("after: page %s %q; want none \"All Systems Operational\"", snap.Indicator, snap.Description)
	}

	// The outage is in the uptime bars on the day it happened: a partial
	// outage from the first update (17:16) to recovery (17:31), 15
	// minutes at 30%.
	for _, id := range []string{"website", "api"} {
		u := snap.Uptime[id]
		day := u.Days[len(u.Days)-1-7] // 2021-06-30, a week before today
		if !day.Date.Equal(time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)) || day.Worst != incident.PartialOutage || !near(day.OutageMinutes, 4.5) {
			t.Errorf("%s on %s: worst %s, %.2f outage minutes; want 2021-06-30, partial_outage, 4.50", id, day.Date.Format(time.DateOnly), day.Worst, day.OutageMinutes)
		}
		if want := 100 - 4.5/(90*24*60)*100; !near(u.Percent, want) {
			t.Errorf("%s uptime %.6f%%; want %.6f%%", id, u.Percent, want)
		}
	}
	if u := snap.Uptime["git-ssh"]; u.Percent != 100 {
		t.Errorf("git-ssh uptime %.6f%%; want 100%% (not affected)", u.Percent)
	}

	// Subscribers heard of each step: the opening, three updates and the
	// postmortem, each the incident as it was then.
	due, err := store.DueDeliveries(ctx, time.Date(2021, 7, 8, 0, 0, 0, 0, time.UTC), 100)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, d := range due {
		var p incident.IncidentWebhook
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			t.Fatalf("delivery %d: %v", d.ID, err)
		}
		statuses = append(statuses, string(p.Incident.Status))
	}
	if got, want := strings.Join(statuses, " "), "investigating identified monitoring resolved postmortem"; got != want {
		t.Errorf("webhooks of %s; want %s", got, want)
	}

	t.Run("the page reads as the seed", func(t *testing.T) {
		seed, err := os.ReadFile(seedFile)
		if os.IsNotExist(err) {
			t.Skipf("%s absent: the seed lives in ../shared, outside the repository", filepath.Clean(seedFile))
		}
		if err != nil {
			t.Fatal(err)
		}
		// Recreate it with the seed's own postmortem, non-breaking spaces
		// and curly quotes included.
		text := string(seed)
		start := strings.Index(text, "Postmortem\n\n") + len("Postmortem\n\n")
		end := strings.Index(text, "\n\nPosted Jul 07, 2021")
		if start < len("Postmortem\n\n") || end < start {
			t.Fatalf("%s: no postmortem between \"Postmortem\" and its Posted line", seedFile)
		}
		s, c, _ := newService(t, nil, time.Date(2021, 7, 7, 20, 0, 0, 0, time.UTC))
		inc := recreateSeed(t, s, c, text[start:end])
		got := renderIncidentPage(s.Snapshot(), inc.ID)
		if got != text {
			t.Errorf("the recreated page differs from the seed:\n--- got\n%s\n--- want\n%s", got, text)
		}
	})
}

// renderIncidentPage writes an incident as the seed's text shows
// Statuspage's incident page: a test's stand-in for the HTML page.
func renderIncidentPage(snap *incident.Snapshot, id string) string {
	inc := snap.Incident(id)
	posted := func(t time.Time) string { return "Posted " + t.UTC().Format("Jan 02, 2006 - 15:04") + " UTC" }
	title := map[incident.Status]string{
		incident.Investigating: "Investigating", incident.Identified: "Identified",
		incident.Monitoring: "Monitoring", incident.Resolved: "Resolved",
	}
	var b strings.Builder
	b.WriteString(inc.Name + "\nIncident Report for " + snap.Page.Name + "\n")
	if !inc.PostmortemPublishedAt.IsZero() {
		b.WriteString("Postmortem\n\n" + inc.PostmortemBody + "\n\n" + posted(inc.PostmortemPublishedAt) + "\n\n")
	}
	for _, u := range inc.Updates {
		b.WriteString(title[u.Status] + "\n" + u.Body + "\n" + posted(u.DisplayAt) + "\n")
	}
	b.WriteString("This incident affected: " + incident.Sentence(snap.ComponentNames(inc.ComponentIDs)) + ".")
	return b.String()
}
