package statuspage

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/headroomhq/headroom/incident"
)

// A write renders the HTML of the updates it added and reuses the others'
// (an open incident's updates show on /, on its page and in the past
// incidents: rendering them all again grew every write by every update
// posted); updates no longer shown are not kept.
func TestUpdateHTMLRenderedOnce(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	inc := incident.Incident{ID: "inc1", Kind: incident.KindIncident, Name: "Errors", Status: incident.Identified,
		Impact: incident.ImpactMajor, CreatedAt: now.Add(-time.Hour), UpdatedAt: now, StartedAt: now.Add(-time.Hour)}
	for i := range 3 {
		at := now.Add(-time.Duration(3-i) * time.Minute)
		inc.Updates = append([]incident.Update{{ID: fmt.Sprintf("u%d", i), Status: incident.Identified,
			Body: fmt.Sprintf("Update **%d**.", i), CreatedAt: at, DisplayAt: at}}, inc.Updates...)
	}
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 1, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "web", Name: "Website", Status: incident.PartialOutage}},
		Incidents:  []incident.Incident{inc}}
	h := New()
	h.Publish(snap)
	if len(h.kept.items) != 3 {
		t.Fatalf("%d updates kept after the first publish, want 3", len(h.kept.items))
	}
	first := map[updateKey]*byte{}
	for key, k := range h.kept.items {
		it := k.item
		if !strings.Contains(string(it.Card), "card-update") || !strings.Contains(string(it.Row), `class="row"`) || !strings.Contains(string(it.Past), "past-update") {
			t.Fatalf("update %q: card %q, row %q, past %q", it.Body, it.Card, it.Row, it.Past)
		}
		first[key] = unsafe.StringData(string(it.Card))
	}

	// One more update, and the oldest one edited away.
	next := *snap
	next.Version = 2
	n := inc.Clone()
	n.Updates = append([]incident.Update{{ID: "u3", Status: incident.Monitoring, Body: "A fix is out.", CreatedAt: now, DisplayAt: now}}, n.Updates[:2]...)
	next.Incidents = []incident.Incident{n}
	h.Publish(&next)
	if len(h.kept.items) != 3 {
		t.Errorf("%d updates kept after the second publish, want 3 (the two unchanged and the new one)", len(h.kept.items))
	}
	reused := 0
	for key, k := range h.kept.items {
		if p, ok := first[key]; ok {
			if p != unsafe.StringData(string(k.item.Card)) {
				t.Errorf("update %s was rendered again", key.update)
			}
			reused++
		}
	}
	if reused != 2 {
		t.Errorf("%d updates reused, want 2", reused)
	}
	w := h.site.Load().entries["/incidents/inc1"]
	if w == nil || !strings.Contains(string(w.body), "A fix is out.") || strings.Contains(string(w.body), "Update <strong>0</strong>") {
		t.Errorf("the incident's page does not show the write")
	}

	// The same updates on a page in another zone: their times are
	// written again.
	third := next
	third.Version, third.Page.TimeZone = 3, "Asia/Tokyo"
	h.Publish(&third)
	for key, k := range h.kept.items {
		if !strings.Contains(k.item.Short, "JST") || !strings.Contains(string(k.item.Card), "JST") {
			t.Errorf("update %s after the zone changed: %q, card %q", key.update, k.item.Short, k.item.Card)
		}
	}
	w = h.site.Load().entries["/incidents/inc1"]
	if w == nil || !strings.Contains(string(w.body), "19:00 JST") {
		t.Errorf("the incident's page does not show its updates in the page's new zone")
	}
}

// A not-found page is rendered again only when what it shows changed: the
// page's name (or language), not a write's incident.
func TestNotFoundKeptBetweenWrites(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 1, BuiltAt: now, UpdatedAt: now}
	h := New()
	h.Publish(snap)
	first := h.site.Load().notFound.body
	next := *snap
	next.Version = 2
	next.Incidents = openIncident(now, nil)
	h.Publish(&next)
	if got := h.site.Load().notFound.body; unsafe.SliceData(got) != unsafe.SliceData(first) {
		t.Errorf("the not-found page was rendered again for a write that did not change it")
	}
	renamed := next
	renamed.Version, renamed.Page.Name = 3, "Acme Cloud"
	h.Publish(&renamed)
	if got := string(h.site.Load().notFound.body); !strings.Contains(got, "Acme Cloud") {
		t.Errorf("the not-found page after the page was renamed: %s", got)
	}
	if got := string(h.site.Load().noIncident.body); !strings.Contains(got, "Acme Cloud") {
		t.Errorf("the no-incident page after the page was renamed: %s", got)
	}
}

// A write makes the tag and gzip of the answers readers asked for since the
// last one, before they are served, and leaves the others to the first
// request: a reader after a write does not wait for /'s compression.
func TestWriteWarmsWhatReadersAsked(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 1, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "web", Name: "Website", Status: incident.PartialOutage}}}
	h := New()
	h.Publish(snap)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	h.ServeHTTP(httptest.NewRecorder(), req)

	next := *snap
	next.Version = 2
	next.Incidents = openIncident(now, []string{"web"})
	h.Publish(&next)
	s := h.site.Load()
	index, feed := s.entries["/"], s.entries["/history.atom"]
	if index == nil || feed == nil {
		t.Fatal("no / or feed")
	}
	if !index.gz.done.Load() || index.etag.Load() == nil {
		t.Errorf("/ was asked for before the write, and is not compressed and tagged after it")
	}
	if body, _ := index.bytes(); !strings.Contains(string(body), "Looking.") {
		t.Errorf("/ does not show the write")
	}
	if feed.gz.done.Load() || feed.etag.Load() != nil {
		t.Errorf("the feed, which nobody asked for, was compressed or tagged by the write")
	}
}

// A component's HTML is rendered again only when what it shows changed:
// its status, not a write's incident update.
func TestComponentHTMLKeptBetweenWrites(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 1, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "web", Name: "Website", Status: incident.Operational}, {ID: "api", Name: "API", Status: incident.Operational}}}
	h := New()
	h.Publish(snap)
	first := map[string]*byte{}
	for id, k := range h.components {
		first[id] = unsafe.StringData(string(k.html))
	}
	if len(first) != 2 {
		t.Fatalf("%d components kept, want 2", len(first))
	}
	next := *snap
	next.Version = 2
	next.Incidents = openIncident(now, nil)
	h.Publish(&next)
	for id, k := range h.components {
		if unsafe.StringData(string(k.html)) != first[id] {
			t.Errorf("component %s was rendered again for a write that did not change it", id)
		}
	}
	down := next
	down.Version = 3
	down.Components = []incident.Component{{ID: "web", Name: "Website", Status: incident.MajorOutage}, {ID: "api", Name: "API", Status: incident.Operational}}
	h.Publish(&down)
	if unsafe.StringData(string(h.components["api"].html)) != first["api"] {
		t.Errorf("the API's HTML was rendered again when only the website changed")
	}
	index, _ := h.site.Load().entries["/"].bytes()
	if web := string(h.components["web"].html); !strings.Contains(web, "status-major_outage") || !strings.Contains(string(index), web) {
		t.Errorf("the website's HTML after its outage: %s", web)
	}
}

// openIncident is a write's incident for the tests above: open since now,
// one update, on components.
func openIncident(now time.Time, components []string) []incident.Incident {
	return []incident.Incident{{ID: "inc1", Kind: incident.KindIncident, Name: "Errors", Status: incident.Investigating,
		Impact: incident.ImpactMinor, ComponentIDs: components, CreatedAt: now, UpdatedAt: now, StartedAt: now,
		Updates: []incident.Update{{ID: "u0", Status: incident.Investigating, Body: "Looking.", CreatedAt: now, DisplayAt: now}}}}
}
