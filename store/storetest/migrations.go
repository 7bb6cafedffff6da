package storetest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// UpdatesBefore0008 returns SQL inserting three incidents (of three, one
// and no updates) and their updates as a headroom before migration 0008
// stored them: position 0 the newest. boolFalse is the dialect's false
// ("0", "false").
func UpdatesBefore0008(boolFalse string) (incidents, updates string) {
	incidents = fmt.Sprintf(`INSERT INTO incidents (id, kind, name, status, impact, component_ids, created_at,
		auto_start, auto_complete, postmortem_draft, postmortem_body, version) VALUES
		('a', 'incident', 'Three updates', 'resolved', 'minor', '[]', 1, %[1]s, %[1]s, '', '', 3),
		('b', 'incident', 'One update', 'investigating', 'minor', '[]', 2, %[1]s, %[1]s, '', '', 1),
		('c', 'incident', 'No update', 'investigating', 'minor', '[]', 3, %[1]s, %[1]s, '', '', 1)`, boolFalse)
	updates = `INSERT INTO incident_updates (incident_id, position, id, status, body, created_at, display_at, affected) VALUES
		('a', 0, 'a3', 'resolved', 'Third.', 30, 30, '[]'),
		('a', 2, 'a1', 'investigating', 'First.', 10, 10, '[]'),
		('a', 1, 'a2', 'identified', 'Second.', 20, 20, '[]'),
		('b', 0, 'b1', 'investigating', 'Only.', 40, 40, '[]')`
	return incidents, updates
}

// CheckUpdatesAfter0008 checks a store holding UpdatesBefore0008's rows,
// migrated: the updates read back in the same order, newest first, and a
// new update written with the version it replaces lands in front.
func CheckUpdatesAfter0008(t *testing.T, s incident.Store) {
	t.Helper()
	load := func() *incident.Data {
		t.Helper()
		d, err := s.Load(t.Context(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ids := func(d *incident.Data) map[string]string {
		out := map[string]string{}
		for _, inc := range d.Incidents {
			var us []string
			for _, u := range inc.Updates {
				us = append(us, u.ID)
			}
			out[inc.ID] = strings.Join(us, ",")
		}
		return out
	}
	d := load()
	if got, want := ids(d), map[string]string{"a": "a3,a2,a1", "b": "b1", "c": ""}; !maps.Equal(got, want) {
		t.Fatalf("updates after the migration: %v, want %v (newest first)", got, want)
	}
	was := d.Incidents[slices.IndexFunc(d.Incidents, func(inc incident.Incident) bool { return inc.ID == "a" })]
	now := was.Clone()
	now.Version++
	now.Updates = append([]incident.Update{{ID: "a4", Status: incident.Resolved, Body: "Fourth."}}, now.Updates...)
	if err := s.Commit(t.Context(), &incident.Change{Incident: &now, Replaces: &was}); err != nil {
		t.Fatal(err)
	}
	if got := ids(load())["a"]; got != "a4,a3,a2,a1" {
		t.Errorf("after a new update: %s, want a4,a3,a2,a1", got)
	}
}
