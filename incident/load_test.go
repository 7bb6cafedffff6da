package incident_test

import (
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/memory"
	"github.com/headroomhq/headroom/store/storetest"
)

// A write on a service whose snapshot is the store's latest builds on the
// snapshot's data, and its next snapshot on what it wrote: no load (it was
// two, before and after the commit). When another replica wrote
// meanwhile, it loads afresh and sees that write. (storetest's "a write's
// snapshot built on what it wrote" holds that snapshot to a fresh load's.)
func TestWriteLoadsNothingWhenUpToDate(t *testing.T) {
	now := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	c := &clock{now: now}
	m := &memory.Incidents{Now: c.Now}
	existingComponents(t, m, time.Date(2014, 5, 3, 1, 22, 7, 0, time.UTC))
	store := &storetest.LoadCounter{Store: m}
	s, err := incident.NewService(t.Context(), bitbucketConfig(store, c))
	if err != nil {
		t.Fatal(err)
	}
	inc := mustOpen(t, s, incident.OpenIncident{Name: "Errors on the website", Body: "We are investigating.",
		Components: map[string]incident.ComponentStatus{"website": incident.PartialOutage}})

	store.Loads = 0
	if _, err := s.Update(t.Context(), inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "A cut of capacity."}); err != nil {
		t.Fatal(err)
	}
	if store.Loads != 0 {
		t.Errorf("an update on an up-to-date service loaded the store %d times, want 0", store.Loads)
	}
	if err := s.Tick(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	if store.Loads != 0 {
		t.Errorf("a maintenance tick with nothing written since loaded the store %d times, want 0", store.Loads)
	}

	// Another replica posts an update: the first one's next write must
	// build on it, not on its own snapshot.
	other, err := incident.NewService(t.Context(), bitbucketConfig(m, c))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Update(t.Context(), inc.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "Capacity is back."}); err != nil {
		t.Fatal(err)
	}
	store.Loads = 0
	got, err := s.Update(t.Context(), inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Resolved."})
	if err != nil {
		t.Fatalf("an update after another replica's: %v", err)
	}
	if store.Loads != 2 || len(got.Updates) != 4 || got.Updates[1].Status != incident.Monitoring {
		t.Errorf("after another replica's write: %d loads, %d updates (the second newest %s); want 2 loads, 4 updates, monitoring second",
			store.Loads, len(got.Updates), got.Updates[1].Status)
	}
}
