package statuspage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/memory"
)

// A draft incident is on no public page, JSON document or feed, and its
// components keep their status there, until it is published; then it is
// on every one of them, with its updates.
func TestDraftIsNotPublic(t *testing.T) {
	now := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	svc, err := incident.NewService(t.Context(), incident.Config{Store: &memory.Incidents{Now: clk}, Now: clk,
		Page:       incident.Page{ID: "acmepage0001", Name: "Acme", URL: "https://status.acme.test", TimeZone: "UTC"},
		Components: []incident.Component{{ID: "website", Name: "Website"}, {ID: "api", Name: "API", Position: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	h := statuspage.New()
	h.Publish(svc.Snapshot())
	svc.OnSnapshot = h.Publish

	const name, body = "Website and API are returning errors", "We are currently investigating an issue with the website."
	d, err := svc.Open(t.Context(), incident.OpenIncident{Name: name, Body: body, Draft: true,
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/history", "/history.atom", "/history.rss", "/api/v2/summary.json", "/api/v2/status.json",
		"/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json"}
	for _, p := range pages {
		res, got := get(t, h, "GET", p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, res.StatusCode)
		}
		for _, leak := range []string{d.ID, name, "currently investigating", "major_outage", "Major Outage", "Partial System Outage"} {
			if strings.Contains(got, leak) {
				t.Errorf("GET %s shows %q of a draft", p, leak)
			}
		}
	}
	for _, p := range []string{"/incidents/" + d.ID, "/api/v2/incidents/" + d.ID + ".json"} {
		if res, _ := get(t, h, "GET", p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s of a draft: %d; want 404", p, res.StatusCode)
		}
	}

	now = now.Add(2 * time.Minute)
	if _, err := svc.Publish(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(pages, "/incidents/"+d.ID, "/api/v2/incidents/"+d.ID+".json") {
		if p == "/api/v2/components.json" || p == "/api/v2/status.json" {
			continue // no incident in them
		}
		res, got := get(t, h, "GET", p)
		if res.StatusCode != http.StatusOK || !strings.Contains(got, name) {
			t.Errorf("GET %s after publishing: %d, without the incident", p, res.StatusCode)
		}
	}
	if _, got := get(t, h, "GET", "/api/v2/components.json"); !strings.Contains(got, `"major_outage"`) {
		t.Errorf("components.json after publishing: %s; want the website in major_outage", got)
	}
	// The report shows the first update at the time it was written, the
	// incident as of its publish.
	if _, got := get(t, h, "GET", "/api/v2/incidents/"+d.ID+".json"); !strings.Contains(got, `"created_at":"2021-06-30T17:02:00.000Z"`) ||
		!strings.Contains(got, `"display_at":"2021-06-30T17:00:00.000Z"`) {
		t.Errorf("incident JSON after publishing: %s; want created_at at the publish, the update displayed at 17:00", got)
	}
}
