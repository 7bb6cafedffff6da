package memory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/memory"
)

var t0 = time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

// wantCode fails unless err is a *headroom.Error with code.
func wantCode(t *testing.T, err error, code string) *headroom.Error {
	t.Helper()
	var e *headroom.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v; want a *headroom.Error with code %q", err, code)
	}
	return e
}

func TestIncidentsCommit(t *testing.T) {
	ctx := t.Context()
	m := &memory.Incidents{Now: func() time.Time { return t0 }}
	web := incident.Component{ID: "website", Name: "Website", Status: incident.Operational, CreatedAt: t0}
	inc := &incident.Incident{ID: "i1", Kind: incident.KindIncident, Name: "502s", Status: incident.Investigating, CreatedAt: t0, Version: 1,
		Updates: []incident.Update{{ID: "u1", Status: incident.Investigating, Body: "Looking."}}}
	if err := m.Commit(ctx, &incident.Change{
		Components: []incident.Component{web},
		History:    []incident.StatusChange{{ComponentID: "website", At: t0, From: incident.Operational, To: incident.MajorOutage}},
		Incident:   inc,
	}); err != nil {
		t.Fatal(err)
	}
	// The caller's values are copied: changing them changes nothing stored.
	inc.Updates[0].Body = "changed by the caller"

	t.Run("version mismatch: ECONFLICT, nothing stored", func(t *testing.T) {
		stale := &incident.Incident{ID: "i1", Kind: incident.KindIncident, Name: "stale", Version: 1}
		err := m.Commit(ctx, &incident.Change{
			Components: []incident.Component{{ID: "api", Name: "API"}},
			History:    []incident.StatusChange{{ComponentID: "website", At: t0.Add(time.Minute), From: incident.MajorOutage, To: incident.Operational}},
			Incident:   stale,
		})
		wantCode(t, err, headroom.ECONFLICT)
		d, err := m.Load(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Components) != 1 || len(d.History) != 1 || d.Incidents[0].Name != "502s" || d.Version != 1 {
			t.Errorf("after a refused commit: %d components, %d history entries, incident %q, version %d; want 1, 1, \"502s\", 1",
				len(d.Components), len(d.History), d.Incidents[0].Name, d.Version)
		}
	})
	t.Run("new incident must be version 1", func(t *testing.T) {
		err := m.Commit(ctx, &incident.Change{Incident: &incident.Incident{ID: "i2", Version: 2}})
		wantCode(t, err, headroom.ECONFLICT)
	})
	t.Run("a component without an ID: EINVALID", func(t *testing.T) {
		err := m.Commit(ctx, &incident.Change{Components: []incident.Component{{Name: "no ID"}}})
		wantCode(t, err, headroom.EINVALID)
	})
	t.Run("next version stored", func(t *testing.T) {
		next := &incident.Incident{ID: "i1", Kind: incident.KindIncident, Name: "502s", Status: incident.Resolved, CreatedAt: t0, Version: 2}
		if err := m.Commit(ctx, &incident.Change{Incident: next}); err != nil {
			t.Fatal(err)
		}
		v, err := m.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != 2 {
			t.Errorf("Version = %d after two commits; want 2", v)
		}
		d, _ := m.Load(ctx, time.Time{})
		if got := d.Incidents[0]; got.Status != incident.Resolved || got.Version != 2 {
			t.Errorf("stored incident = %s v%d; want resolved v2", got.Status, got.Version)
		}
	})
	t.Run("history since", func(t *testing.T) {
		d, _ := m.Load(ctx, t0.Add(time.Second))
		if len(d.History) != 0 {
			t.Errorf("Load(since after the only entry) history = %v; want none", d.History)
		}
		d, _ = m.Load(ctx, t0)
		if len(d.History) != 1 {
			t.Errorf("Load(since = the entry's time) history = %v; want it (at or after since)", d.History)
		}
	})
}

func TestIncidentsOutbox(t *testing.T) {
	ctx := t.Context()
	now := t0
	m := &memory.Incidents{Now: func() time.Time { return now }}
	for _, s := range []incident.Subscriber{
		{ID: "all", URL: "https://a.example/hook", Secret: "sa", CreatedAt: t0},
		{ID: "web", URL: "https://b.example/hook", ComponentIDs: []string{"website"}, CreatedAt: t0.Add(time.Second)},
		{ID: "git", URL: "https://c.example/hook", ComponentIDs: []string{"git-ssh"}, CreatedAt: t0.Add(2 * time.Second)},
	} {
		if err := m.AddSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, m.AddSubscriber(ctx, incident.Subscriber{ID: "all"}), headroom.ECONFLICT)

	notify := func(ids ...string) {
		t.Helper()
		if err := m.Commit(ctx, &incident.Change{Notify: &incident.Notification{ComponentIDs: ids, Payload: []byte(`{"n":1}`)}}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	notify("website")            // all, web
	notify("git-ssh", "website") // all, web, git
	notify()                     // all: a change of no component reaches only who wants everything

	due, err := m.DueDeliveries(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range due {
		got = append(got, d.SubscriberID)
	}
	want := []string{"all", "web", "all", "web", "git", "all"}
	if len(got) != len(want) {
		t.Fatalf("due deliveries to %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("due deliveries to %v; want %v (oldest first)", got, want)
		}
	}
	if due[0].URL != "https://a.example/hook" || due[0].Secret != "sa" || string(due[0].Payload) != `{"n":1}` || !due[0].NextAt.Equal(t0) {
		t.Errorf("first delivery = %+v; want the subscriber's URL and secret, the payload, NextAt at the commit", due[0])
	}

	// Limit, and NextAt in the future.
	if err := m.Retry(ctx, due[0].ID, now.Add(time.Hour), "502 Bad Gateway"); err != nil {
		t.Fatal(err)
	}
	two, _ := m.DueDeliveries(ctx, now, 2)
	if len(two) != 2 || two[0].ID != due[1].ID {
		t.Errorf("DueDeliveries(limit 2) after retrying the first = %v; want the second and third", two)
	}
	later, _ := m.DueDeliveries(ctx, now.Add(time.Hour), 1)
	if len(later) != 1 || later[0].ID != due[0].ID || later[0].Attempts != 1 || later[0].LastError != "502 Bad Gateway" {
		t.Errorf("the retried delivery an hour later = %+v; want it with 1 attempt and its error", later)
	}
	if err := m.Delivered(ctx, due[1].ID); err != nil {
		t.Fatal(err)
	}
	// Another worker delivered it too: nothing to do, no error.
	if err := m.Delivered(ctx, due[1].ID); err != nil {
		t.Errorf("Delivered of a delivered delivery: %v; want nil", err)
	}
	if err := m.Retry(ctx, 999, now, ""); err != nil {
		t.Errorf("Retry of a delivery never queued: %v; want nil", err)
	}
	_, err = m.DueDeliveries(ctx, now, 0)
	wantCode(t, err, headroom.EINVALID)

	// Removing a subscriber drops its queue.
	if err := m.RemoveSubscriber(ctx, "git"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.RemoveSubscriber(ctx, "git"), headroom.ENOTFOUND)
	rest, _ := m.DueDeliveries(ctx, now.Add(time.Hour), 100)
	for _, d := range rest {
		if d.SubscriberID == "git" {
			t.Errorf("delivery %d to removed subscriber git still queued", d.ID)
		}
	}
	subs, _ := m.Subscribers(ctx)
	if len(subs) != 2 || subs[0].ID != "all" || subs[1].ID != "web" {
		t.Errorf("Subscribers = %v; want all, web", subs)
	}
}

func TestIncidentsTokens(t *testing.T) {
	ctx := t.Context()
	m := &memory.Incidents{}
	if err := m.CreateToken(ctx, incident.Token{ID: "t1", Name: "ci", Hash: []byte{1, 2}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.CreateToken(ctx, incident.Token{ID: "t1"}), headroom.ECONFLICT)
	wantCode(t, m.RevokeToken(ctx, "nope", t0), headroom.ENOTFOUND)
	if err := m.RevokeToken(ctx, "t1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeToken(ctx, "t1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	toks, err := m.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 1 || !toks[0].RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("Tokens = %+v; want t1 revoked at its first revocation", toks)
	}
	toks[0].Hash[0] = 9
	again, _ := m.Tokens(ctx)
	if again[0].Hash[0] != 1 {
		t.Error("Tokens returned the stored hash, not a copy")
	}
}
