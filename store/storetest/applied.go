package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// LoadCounter counts a store's Loads: how a test tells that an
// incident.Service built on what it had instead of loading again.
type LoadCounter struct {
	incident.Store
	Loads int
}

func (l *LoadCounter) Load(ctx context.Context, since time.Time) (*incident.Data, error) {
	l.Loads++
	return l.Store.Load(ctx, since)
}

// A write on an up-to-date incident.Service builds its next snapshot on the
// data it wrote, without loading the store: that snapshot must be the one
// a fresh Load of this store gives, whatever order and representation the
// store loads in. Checked after every kind of write, across a day's
// boundary (history leaving the uptime window), after another replica's
// write and with the clock set back (both load afresh).
func testIncWriteApplied(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	raw := open(t)
	store := &LoadCounter{Store: raw}
	now := time.Date(2021, 6, 30, 17, 0, 0, 123456789, time.UTC)
	clock := func() time.Time { return now }
	n := 0
	cfg := incident.Config{
		Store:  store,
		Page:   incident.Page{ID: "page", Name: "Page", TimeZone: "Australia/Sydney"},
		Groups: []incident.Group{{ID: "git", Name: "Git", Position: 2}},
		Components: []incident.Component{
			{ID: "website", Name: "Website", Position: 1},
			{ID: "git-https", Name: "Git via HTTPS", GroupID: "git", Position: 1},
			{ID: "git-ssh", Name: "Git via SSH", GroupID: "git", Position: 2},
		},
		Now:   clock,
		NewID: func() string { n++; return "inc" + string(rune('a'+n)) },
	}
	s, err := incident.NewService(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}

	check := func(what string, wantLoads bool) {
		t.Helper()
		got := s.Snapshot()
		d, err := raw.Load(ctx, incident.UptimeStart(got.BuiltAt))
		if err != nil {
			t.Fatal(err)
		}
		want := incident.BuildSnapshot(incident.SnapshotInput{Page: cfg.Page, Groups: cfg.Groups, Components: cfg.Components, Data: d, Now: got.BuiltAt})
		normalizeSnapshot(got)
		normalizeSnapshot(want)
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Fatalf("after %s, the service's snapshot differs from one built on a fresh load:\ngot  %s\nwant %s", what, g, w)
		}
		if loaded := store.Loads > 0; loaded != wantLoads {
			t.Errorf("after %s: the service loaded the store %d times; want a load: %v", what, store.Loads, wantLoads)
		}
		store.Loads = 0
	}
	must := func(_ *incident.Incident, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Loads = 0

	// An incident long ago (its status changes near the uptime window's
	// start), one now, an update, a component alone.
	old, err := s.Open(ctx, incident.OpenIncident{Name: "Old outage", Body: "Investigating.",
		Components: map[string]incident.ComponentStatus{"git-ssh": incident.MajorOutage},
		StartedAt:  now.AddDate(0, 0, -(incident.UptimeDays - 1)), DisplayAt: now.AddDate(0, 0, -(incident.UptimeDays - 1))})
	must(old, err)
	check("opening a backdated incident", false)
	must(s.Update(ctx, old.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Resolved.", DisplayAt: now.AddDate(0, 0, -(incident.UptimeDays - 1)).Add(time.Hour)}))
	check("resolving it, backdated", false)
	inc, err := s.Open(ctx, incident.OpenIncident{Name: "Errors", Body: "Investigating.",
		Components: map[string]incident.ComponentStatus{"website": incident.PartialOutage, "git-https": incident.DegradedPerformance}})
	must(inc, err)
	check("opening an incident", false)
	now = now.Add(time.Minute)
	must(s.Update(ctx, inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "Found it.", Impact: incident.ImpactCritical,
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage}}))
	check("an update", false)
	if err := s.SetComponent(ctx, "git-ssh", incident.DegradedPerformance); err != nil {
		t.Fatal(err)
	}
	check("setting a component", false)

	// A draft and its publication, a maintenance, a postmortem.
	draft, err := s.Open(ctx, incident.OpenIncident{Name: "Draft", Body: "Maybe.", Draft: true,
		Components: map[string]incident.ComponentStatus{"git-ssh": incident.MajorOutage}})
	must(draft, err)
	check("opening a draft", false)
	must(s.Publish(ctx, draft.ID))
	check("publishing it", false)
	must(s.Schedule(ctx, incident.ScheduleMaintenance{Name: "Upgrade", Body: "Upgrading.",
		ScheduledFor: now.Add(time.Hour), ScheduledUntil: now.Add(2 * time.Hour), Components: []string{"website"}, AutoStart: true}))
	check("scheduling maintenance", false)
	now = now.Add(30 * time.Minute)
	must(s.Update(ctx, inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Fixed."}))
	check("resolving", false)
	must(s.SavePostmortem(ctx, inc.ID, "# What happened\n\nA cut."))
	check("saving a postmortem", false)
	must(s.PublishPostmortem(ctx, inc.ID))
	check("publishing it", false)

	// The next day: the old incident's changes leave the uptime window.
	now = now.Add(24 * time.Hour)
	must(s.Update(ctx, draft.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Done."}))
	check("a write the next day", false)

	// Another replica writes: the next write loads afresh.
	other, err := incident.NewService(ctx, incident.Config{Store: raw, Page: cfg.Page, Groups: cfg.Groups, Components: cfg.Components, Now: clock, NewID: cfg.NewID})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.SetComponent(ctx, "website", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	if err := s.SetComponent(ctx, "git-https", incident.PartialOutage); err != nil {
		t.Fatal(err)
	}
	check("a write after another replica's", true)

	// The clock set back two days: history the service no longer holds
	// is back in the window.
	now = now.Add(-48 * time.Hour)
	if err := s.SetComponent(ctx, "git-https", incident.Operational); err != nil {
		t.Fatal(err)
	}
	check("a write with the clock set back", true)
}

// normalizeSnapshot makes empty lists nil: the stores may load either (RunIncidents).
func normalizeSnapshot(s *incident.Snapshot) {
	for _, incs := range [][]incident.Incident{s.Incidents, s.Drafts} {
		for i := range incs {
			inc := &incs[i]
			if len(inc.ComponentIDs) == 0 {
				inc.ComponentIDs = nil
			}
			if len(inc.Updates) == 0 {
				inc.Updates = nil
			}
			for k := range inc.Updates {
				if len(inc.Updates[k].Affected) == 0 {
					inc.Updates[k].Affected = nil
				}
			}
		}
	}
}
