package statuspage

import (
	"fmt"
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
	if len(h.items) != 3 {
		t.Fatalf("%d updates kept after the first publish, want 3", len(h.items))
	}
	first := map[string]*byte{}
	for v, it := range h.items {
		if !strings.Contains(string(it.Card), "card-update") || !strings.Contains(string(it.Row), `class="row"`) || !strings.Contains(string(it.Past), "past-update") {
			t.Fatalf("update %q: card %q, row %q, past %q", v.Body, it.Card, it.Row, it.Past)
		}
		first[string(v.Body)] = unsafe.StringData(string(it.Card))
	}

	// One more update, and the oldest one edited away.
	next := *snap
	next.Version = 2
	n := inc.Clone()
	n.Updates = append([]incident.Update{{ID: "u3", Status: incident.Monitoring, Body: "A fix is out.", CreatedAt: now, DisplayAt: now}}, n.Updates[:2]...)
	next.Incidents = []incident.Incident{n}
	h.Publish(&next)
	if len(h.items) != 3 {
		t.Errorf("%d updates kept after the second publish, want 3 (the two unchanged and the new one)", len(h.items))
	}
	reused := 0
	for v, it := range h.items {
		if p, ok := first[string(v.Body)]; ok {
			if p != unsafe.StringData(string(it.Card)) {
				t.Errorf("update %q was rendered again", v.Body)
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
}
