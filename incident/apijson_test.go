package incident_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// UpdatesJSON writes what json.Marshal writes of ToAPIIncident and
// ToIncidentWebhook, byte for byte, while it keeps updates' JSON between
// encodings: for updates added, edited and removed, a page's zone changed,
// HTML and quotes in the texts (a name spelling the key it splices at),
// a maintenance and a postmortem.
func TestUpdatesJSONIsMarshal(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 53, 0, 0, time.UTC)
	page := incident.Page{ID: "bitbucket", Name: "Bitbucket", URL: "https://status.example.com", TimeZone: "America/Los_Angeles"}
	comps := []incident.Component{{ID: "git", Name: "Git via <SSH>", Status: incident.MajorOutage, UpdatedAt: t0}, {ID: "web", Name: "Website", Status: incident.Operational, UpdatedAt: t0}}
	st := incident.PageStatus{Indicator: incident.IndicatorMajor, Description: "Major System Outage"}
	inc := &incident.Incident{ID: "inc-1", Kind: incident.KindIncident, Name: `Degraded "incident_updates":[] & <b>`, Status: incident.Investigating,
		Impact: incident.ImpactMajor, ComponentIDs: []string{"git", "web"}, CreatedAt: t0, UpdatedAt: t0, StartedAt: t0}
	var c incident.UpdatesJSON
	check := func(step string) {
		t.Helper()
		got, err := c.Incident(page, inc, comps)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if want, _ := json.Marshal(incident.ToAPIIncident(page, inc, comps)); !bytes.Equal(got, want) {
			t.Errorf("%s: incident\n got %s\nwant %s", step, got, want)
		}
		now := t0.Add(time.Hour)
		got, err = c.Webhook(page, st, inc, comps, now)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if want, _ := json.Marshal(incident.ToIncidentWebhook(page, st, inc, comps, now)); !bytes.Equal(got, want) {
			t.Errorf("%s: webhook\n got %s\nwant %s", step, got, want)
		}
		c.Sweep()
	}
	check("no update")
	post := func(body string, affected ...incident.Affected) {
		n := len(inc.Updates)
		at := t0.Add(time.Duration(n) * time.Minute)
		inc.Updates = append(inc.Updates, incident.Update{ID: fmt.Sprintf("u%d", n), Status: incident.Identified, Body: body, CreatedAt: at, DisplayAt: at, Affected: affected})
		inc.UpdatedAt = at
	}
	post("We are investigating <errors> & \"timeouts\".", incident.Affected{ComponentID: "git", Name: "Git via <SSH>", Old: incident.Operational, New: incident.MajorOutage})
	check("one update")
	for i := range 5 {
		post(fmt.Sprintf("Still investigating (%d), \u2028 ünïcode.", i))
		check(fmt.Sprintf("%d updates", len(inc.Updates)))
	}
	inc.Updates[2].Body = "Edited: the body changed."
	check("an update's body edited")
	inc.Updates[3].Affected = []incident.Affected{{ComponentID: "web", Name: "Website", Old: incident.Operational, New: incident.DegradedPerformance}}
	check("an update's components edited")
	inc.Updates[1].DisplayAt = inc.Updates[1].DisplayAt.Add(-time.Hour)
	check("an update backdated")
	page.TimeZone = "Asia/Tokyo"
	check("the page's zone changed")
	inc.Updates = append(inc.Updates[:1], inc.Updates[3:]...)
	check("updates removed")
	inc.Kind, inc.ScheduledFor, inc.ScheduledUntil = incident.KindMaintenance, t0.Add(24*time.Hour), t0.Add(26*time.Hour)
	check("a maintenance")
	inc.Kind, inc.Status, inc.ResolvedAt = incident.KindIncident, incident.Resolved, t0.Add(2*time.Hour)
	inc.PostmortemBody, inc.PostmortemPublishedAt = "## What happened\n<script>", t0.Add(48*time.Hour)
	check("resolved, with a postmortem")
	// Another incident with updates of the same IDs: its own JSON.
	other := *inc
	other.ID, other.Updates = "inc-2", append([]incident.Update(nil), inc.Updates...)
	inc = &other
	check("another incident, same update IDs")
}
