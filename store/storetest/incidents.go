package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// RunIncidents runs the incident.Store contract. open returns a new, empty
// store for one subtest and registers its cleanup with t.Cleanup. Of the
// options, Reopen (a func of incident.Store) and Skip apply.
//
// What store.go leaves open, the suite decides as follows, and does not
// test otherwise:
//   - Times come back to the nanosecond, in UTC; a zero time stays zero.
//   - Load's components and incidents, Tokens and Subscribers come in no
//     particular order: the suite sorts them by ID. An incident's
//     updates, its ComponentIDs and an update's Affected come back in the
//     order they were committed (Updates newest first, as the caller
//     keeps them). History comes oldest first, ties in append order.
//   - Version is 0 on an empty store and every Commit, even an empty one,
//     raises it by exactly one; a failed Commit does not.
//   - A delivery is queued with Attempts 0, NextAt and CreatedAt the
//     store's now at the Commit (due at once), and an ID no other
//     delivery of the store had or will have. "Oldest first" is the order
//     deliveries were queued, whatever their NextAt.
//   - Delivered and Retry name no error: of a delivery already removed
//     (or never queued) they change nothing and do not fail.
//   - RemoveSubscriber drops the subscriber's queued deliveries: an
//     unsubscribed receiver is not called again.
//   - RevokeToken of a revoked token keeps the first revocation time.
//   - A component, incident, token or subscriber without an ID, and a
//     DueDeliveries limit below 1, are EINVALID.
//   - An empty and a nil list (ComponentIDs, Affected, Updates, Hash,
//     Payload) are the same.
//   - A draft (Incident.Draft) is stored, loaded and versioned as any
//     incident: the store does not hide it; incident.Service keeps it off
//     the public side.
func RunIncidents(t *testing.T, open func(t *testing.T) incident.Store, opts ...Option) {
	t.Helper()
	c := &config{skip: map[string]string{}}
	for _, o := range opts {
		o(c)
	}
	type test struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) incident.Store, c *config)
	}
	tests := []test{
		{"an empty store has nothing and version 0", testIncEmpty},
		{"components are stored with their status and replaced whole", testIncComponents},
		{"a fully populated incident and a maintenance read back exactly", testIncRoundTrip},
		{"an incident is stored whole: its updates are replaced, not merged", testIncWhole},
		{"an incident that gains updates reads back whole, told what it replaces or not", testIncReplaces},
		{"a draft reads back a draft, and its publish is one more write", testIncDraft},
		{"a new incident has version 1, each write names the stored version plus one", testIncVersions},
		{"a commit with a stale incident stores nothing and fails ECONFLICT", testIncConflict},
		{"every commit raises the version by one, a failed one does not", testIncVersionCounts},
		{"history is returned at or after since, oldest first", testIncHistory},
		{"notify queues one delivery per concerned subscriber", testIncNotify},
		{"due deliveries: NextAt at or before now, oldest first, at most limit", testIncDue},
		{"queued: each subscriber's oldest, due or not, in queue order", testIncQueued},
		{"retry counts the attempt and reschedules, delivered removes", testIncRetry},
		{"delivered and retry of a removed delivery change nothing", testIncGone},
		{"tokens are created, listed revoked too, and revoked", testIncTokens},
		{"subscribers are added, listed and removed", testIncSubscribers},
		{"an email subscriber is pending until confirmed: its confirmation only, then notifications", testIncEmailSubscriber},
		{"every channel's subscriber reads back, and its deliveries carry its channel", testIncChannels},
		{"an email subscriber is found by its token alone", testIncSubscriberByToken},
		{"an empty ID or a limit below 1 is invalid and stores nothing", testIncInvalid},
		{"times keep their nanoseconds and come back in UTC", testIncUTC},
		{"Unicode and Markdown text reads back exactly", testIncText},
		{"stored data does not alias the caller's", testIncNoAlias},
		{"concurrent commits of different incidents all land", testIncConcurrent},
		{"racing writers of one incident: exactly one wins", testIncRace},
		{"everything survives close and reopen", testIncReopen},
		{"a write's snapshot built on what it wrote is a fresh load's", testIncWriteApplied},
	}
	for name := range c.skip {
		if !slices.ContainsFunc(tests, func(tt test) bool { return tt.name == name }) {
			t.Errorf("storetest.Skip(%q): no such subtest", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why, ok := c.skip[tt.name]; ok {
				t.Skip(why)
			}
			tt.run(t, open, c)
		})
	}
}

// farFuture is after any time a store's clock reads during the suite, and
// within what a Unix nanosecond count holds: a NextAt no delivery reaches.
var farFuture = time.Date(2200, 1, 1, 0, 0, 0, 123456789, time.UTC)

// at returns t0 plus d: the suite's fixed times, all with nanoseconds.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newComponent returns a component with every field set.
func newComponent(id string, position int, status incident.ComponentStatus) incident.Component {
	return incident.Component{
		ID:          id,
		Name:        "The " + id,
		Description: "What " + id + " does, in a sentence.",
		GroupID:     "core",
		Position:    position,
		Status:      status,
		CreatedAt:   at(-24 * time.Hour),
		UpdatedAt:   at(time.Duration(position) * time.Nanosecond),
	}
}

// testIncReplaces posts updates to an incident version after version,
// with and without the version each replaces (incident.Change.Replaces):
// whatever a store does with it, each version reads back whole.
func testIncReplaces(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	v1 := fullIncident("inc1")
	v1.Updates = nil
	mustCommit(t, s, &incident.Change{Incident: &v1})
	// Each version adds updates at the front (updates are newest first),
	// and the change names the version it replaces: a store may write
	// only the new ones.
	prev := v1
	post := func(v int64, change func(*incident.Incident), replaces *incident.Incident) {
		t.Helper()
		next := prev.Clone()
		next.Version = v
		change(&next)
		mustCommit(t, s, &incident.Change{Incident: &next, Replaces: replaces})
		assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{next})
		prev = next
	}
	update := func(n int) incident.Update {
		return incident.Update{ID: fmt.Sprintf("u%d", n), Status: incident.Investigating, Body: fmt.Sprintf("Update %d.", n),
			CreatedAt: at(time.Duration(n) * time.Minute), DisplayAt: at(time.Duration(n) * time.Minute),
			Affected: []incident.Affected{{ComponentID: "api", Name: "The api", Old: incident.Operational, New: incident.MajorOutage}}}
	}
	prepend := func(ns ...int) func(*incident.Incident) {
		return func(i *incident.Incident) {
			var us []incident.Update
			for _, n := range ns {
				us = append(us, update(n))
			}
			i.Updates = append(us, i.Updates...)
		}
	}
	was := func() *incident.Incident { c := prev.Clone(); return &c }
	post(2, prepend(1), was())                  // the first update
	post(3, prepend(2), was())                  // one more
	post(4, prepend(4, 3), was())               // two at once
	post(5, func(*incident.Incident) {}, was()) // none: the incident's fields only
	post(6, func(i *incident.Incident) {        // one edited, one more: not only added
		i.Updates[2].Body = "Update 2, edited."
		i.Updates = append([]incident.Update{update(5)}, i.Updates...)
	}, was())
	post(7, func(i *incident.Incident) { i.Updates = i.Updates[1:] }, was()) // one gone
	post(8, prepend(6), nil)                                                 // not told
	other := prev.Clone()
	other.Version = 3 // not the stored version: ignored
	post(9, prepend(7), &other)
	for n := 10; n < 40; n++ { // a lasting incident
		post(int64(n), prepend(n), was())
	}
	if len(prev.Updates) != 36 {
		t.Fatalf("the last version has %d updates, want 36", len(prev.Updates))
	}
}

// fullIncident returns an incident with every field set and three
// updates, newest first.
func fullIncident(id string) incident.Incident {
	return incident.Incident{
		ID:           id,
		Kind:         incident.KindIncident,
		Name:         "Elevated API errors",
		Status:       incident.Resolved,
		Impact:       incident.ImpactMajor,
		ComponentIDs: []string{"api", "db"},
		CreatedAt:    at(time.Minute),
		UpdatedAt:    at(time.Hour + 3),
		StartedAt:    at(-5*time.Minute + 1),
		MonitoringAt: at(40*time.Minute + 2),
		ResolvedAt:   at(time.Hour + 3),
		// Not a maintenance's, but the store keeps what it is given.
		ScheduledFor:   at(2 * time.Hour),
		ScheduledUntil: at(3 * time.Hour),
		AutoStart:      true,
		AutoComplete:   true,
		Updates: []incident.Update{
			{ID: id + "-u3", Status: incident.Resolved, Body: "All requests succeed again.",
				CreatedAt: at(time.Hour + 3), DisplayAt: at(time.Hour + 3),
				Affected: []incident.Affected{
					{ComponentID: "api", Name: "The api", Old: incident.PartialOutage, New: incident.Operational},
					{ComponentID: "db", Name: "The db", Old: incident.DegradedPerformance, New: incident.Operational},
				}},
			{ID: id + "-u2", Status: incident.Monitoring, Body: "A fix is deployed; we are watching.",
				CreatedAt: at(40*time.Minute + 2), DisplayAt: at(40*time.Minute + 2),
				Affected: []incident.Affected{
					{ComponentID: "api", Name: "The api", Old: incident.MajorOutage, New: incident.PartialOutage},
				}},
			// Backdated: shown as posted before it was written.
			{ID: id + "-u1", Status: incident.Investigating, Body: "We are investigating **5xx** on `/v1`.",
				CreatedAt: at(time.Minute), DisplayAt: at(-5*time.Minute + 1),
				Affected: []incident.Affected{
					{ComponentID: "api", Name: "The api", Old: incident.Operational, New: incident.MajorOutage},
					{ComponentID: "db", Name: "The db", Old: incident.Operational, New: incident.DegradedPerformance},
				}},
		},
		PostmortemDraft:       "## What happened\n\nA bad deploy.",
		PostmortemBody:        "## What happened\n\nA bad deploy, rolled back.",
		PostmortemPublishedAt: at(48 * time.Hour),
		// Opened as a draft, published a minute later.
		PublishedAt: at(time.Minute),
		Version:     1,
	}
}

// maintenance returns a scheduled maintenance with one update; zero
// times for what it has not reached.
func maintenance(id string) incident.Incident {
	return incident.Incident{
		ID:             id,
		Kind:           incident.KindMaintenance,
		Name:           "Database upgrade",
		Status:         incident.Scheduled,
		Impact:         incident.ImpactMaintenance,
		ComponentIDs:   []string{"db"},
		CreatedAt:      at(5 * time.Second),
		UpdatedAt:      at(5 * time.Second),
		ScheduledFor:   at(7 * 24 * time.Hour),
		ScheduledUntil: at(7*24*time.Hour + 2*time.Hour + 1),
		AutoStart:      true,
		Updates: []incident.Update{{ID: id + "-u1", Status: incident.Scheduled,
			Body: "We will upgrade the database.", CreatedAt: at(5 * time.Second), DisplayAt: at(5 * time.Second)}},
		Version: 1,
	}
}

// withVersion returns i at version v, named so that the write shows.
func withVersion(i incident.Incident, v int64) *incident.Incident {
	i.Version = v
	i.Name = fmt.Sprintf("%s (write %d)", i.Name, v)
	return &i
}

func testIncEmpty(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	d := mustLoad(t, s, time.Time{})
	if len(d.Components) != 0 || len(d.Incidents) != 0 || len(d.History) != 0 || d.Version != 0 {
		t.Errorf("Load of an empty store = %+v, want no data and version 0", *d)
	}
	if v := mustVersion(t, s); v != 0 {
		t.Errorf("Version of an empty store = %d, want 0", v)
	}
	if got := mustTokens(t, s); len(got) != 0 {
		t.Errorf("Tokens of an empty store = %+v, want none", got)
	}
	if got := mustSubscribers(t, s); len(got) != 0 {
		t.Errorf("Subscribers of an empty store = %+v, want none", got)
	}
	if got := mustDue(t, s, farFuture, 100); len(got) != 0 {
		t.Errorf("DueDeliveries of an empty store = %+v, want none", got)
	}
}

func testIncComponents(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	api := newComponent("api", 1, incident.Operational)
	db := newComponent("db", 2, incident.MajorOutage)
	db.GroupID = "" // outside any group
	mustCommit(t, s, &incident.Change{Components: []incident.Component{api, db}})
	assertComponents(t, mustLoad(t, s, time.Time{}).Components, []incident.Component{api, db})

	// Replaced whole: every field of api changes, db is untouched.
	api2 := incident.Component{ID: "api", Name: "API v2", GroupID: "edge", Position: 7,
		Status: incident.PartialOutage, CreatedAt: api.CreatedAt.Add(1), UpdatedAt: at(time.Hour + 1)}
	web := newComponent("web", 3, incident.UnderMaintenance)
	mustCommit(t, s, &incident.Change{Components: []incident.Component{api2, web}})
	assertComponents(t, mustLoad(t, s, time.Time{}).Components, []incident.Component{api2, db, web})

	// Every status of the enum is kept.
	var all []incident.Component
	for i, st := range incident.ComponentStatuses {
		all = append(all, newComponent(fmt.Sprintf("c%d", i), i, st))
	}
	mustCommit(t, s, &incident.Change{Components: all})
	assertComponents(t, mustLoad(t, s, time.Time{}).Components, append([]incident.Component{api2, db, web}, all...))
}

func testIncRoundTrip(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	full := fullIncident("inc1")
	m := maintenance("mnt1")
	// The zero values an incident legitimately has: nothing reached yet,
	// no components, no updates.
	bare := incident.Incident{ID: "bare", Kind: incident.KindIncident, Name: "Bare",
		Status: incident.Investigating, Impact: incident.ImpactNone, Version: 1}
	for _, i := range []incident.Incident{full, m, bare} {
		mustCommit(t, s, &incident.Change{Incident: &i})
	}
	got := mustLoad(t, s, time.Time{})
	assertIncidents(t, got.Incidents, []incident.Incident{full, m, bare})
	// Newest first, as committed, even though the oldest is backdated.
	for _, i := range got.Incidents {
		if i.ID == "inc1" {
			var ids []string
			for _, u := range i.Updates {
				ids = append(ids, u.ID)
			}
			if want := "inc1-u3,inc1-u2,inc1-u1"; strings.Join(ids, ",") != want {
				t.Errorf("updates of inc1 = %s, want %s (newest first)", strings.Join(ids, ","), want)
			}
		}
	}
}

func testIncWhole(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	v1 := fullIncident("inc1")
	v1.Updates = v1.Updates[1:] // u2, u1
	mustCommit(t, s, &incident.Change{Incident: &v1})

	// v2 adds an update, edits one, drops an affected component and one
	// of the incident's components.
	v2 := fullIncident("inc1")
	v2.Version = 2
	v2.ComponentIDs = []string{"api"}
	v2.Updates[1].Body = "A fix is deployed (edited)."
	v2.Updates[2].Affected = v2.Updates[2].Affected[:1]
	v2.PostmortemDraft = ""
	mustCommit(t, s, &incident.Change{Incident: &v2})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{v2})

	// v3 has fewer updates: the others are gone.
	v3 := v2
	v3.Version = 3
	v3.Updates = v2.Updates[:1]
	mustCommit(t, s, &incident.Change{Incident: &v3})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{v3})

	// v4 has none.
	v4 := v3
	v4.Version = 4
	v4.Updates = nil
	mustCommit(t, s, &incident.Change{Incident: &v4})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{v4})
}

func testIncDraft(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	// A draft as incident.Service writes one: no publish time yet.
	draft := fullIncident("draft")
	draft.Status, draft.ResolvedAt, draft.PostmortemDraft, draft.PostmortemBody, draft.PostmortemPublishedAt =
		incident.Monitoring, time.Time{}, "", "", time.Time{}
	draft.Draft, draft.PublishedAt = true, time.Time{}
	public := fullIncident("public")
	public.PublishedAt = time.Time{} // opened public
	mustCommit(t, s, &incident.Change{Incident: &draft})
	mustCommit(t, s, &incident.Change{Incident: &public})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{draft, public})

	// A draft's update is a write like any other.
	updated := draft
	updated.Version = 2
	updated.Updates = append([]incident.Update{{ID: "draft-u4", Status: incident.Monitoring, Body: "Still watching.",
		CreatedAt: at(50 * time.Minute), DisplayAt: at(50 * time.Minute)}}, draft.Updates...)
	mustCommit(t, s, &incident.Change{Incident: &updated})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents, []incident.Incident{updated, public})

	// Publishing: Draft false, PublishedAt (and CreatedAt) the publish
	// time, the updates kept; a stale publish conflicts.
	published := updated
	published.Version = 3
	published.Draft = false
	published.CreatedAt, published.UpdatedAt, published.PublishedAt = at(2*time.Hour+7), at(2*time.Hour+7), at(2*time.Hour+7)
	mustCommit(t, s, &incident.Change{Incident: &published,
		Components: []incident.Component{newComponent("api", 1, incident.MajorOutage)},
		History:    []incident.StatusChange{{ComponentID: "api", At: at(2*time.Hour + 7), From: incident.Operational, To: incident.MajorOutage}}})
	stale := published
	err := s.Commit(t.Context(), &incident.Change{Incident: &stale})
	assertCode(t, err, headroom.ECONFLICT, "Commit of the same publish again")
	got := mustLoad(t, s, time.Time{})
	assertIncidents(t, got.Incidents, []incident.Incident{published, public})
	assertHistory(t, got.History, []incident.StatusChange{{ComponentID: "api", At: at(2*time.Hour + 7), From: incident.Operational, To: incident.MajorOutage}})
}

func testIncVersions(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	base := fullIncident("inc1")
	steps := []struct {
		name    string
		version int64
		// stored is the incident's version after the step; ok whether
		// the write is accepted.
		ok     bool
		stored int64
	}{
		{"a new incident at version 0 conflicts", 0, false, 0},
		{"a new incident at version 2 conflicts", 2, false, 0},
		{"a new incident at a negative version conflicts", -1, false, 0},
		{"a new incident at version 1 is stored", 1, true, 1},
		{"version 1 again conflicts: it exists", 1, false, 1},
		{"skipping a version conflicts", 3, false, 1},
		{"the stored version plus one is stored", 2, true, 2},
		{"the same version twice conflicts: the second writer read version 1", 2, false, 2},
		{"an older version conflicts", 1, false, 2},
		{"the next one is stored", 3, true, 3},
	}
	for _, st := range steps {
		err := s.Commit(t.Context(), &incident.Change{Incident: withVersion(base, st.version)})
		if st.ok && err != nil {
			t.Fatalf("%s: Commit(version %d): %v", st.name, st.version, err)
		}
		if !st.ok {
			assertCode(t, err, headroom.ECONFLICT, fmt.Sprintf("%s: Commit(version %d)", st.name, st.version))
		}
		got := mustLoad(t, s, time.Time{}).Incidents
		if st.stored == 0 {
			if len(got) != 0 {
				t.Errorf("%s: Load = %d incidents, want none", st.name, len(got))
			}
			continue
		}
		assertIncidents(t, got, []incident.Incident{*withVersion(base, st.stored)})
	}
	// Another incident has its own versions.
	mustCommit(t, s, &incident.Change{Incident: withVersion(fullIncident("inc2"), 1)})
	mustCommit(t, s, &incident.Change{Incident: withVersion(fullIncident("inc2"), 2)})
	assertIncidents(t, mustLoad(t, s, time.Time{}).Incidents,
		[]incident.Incident{*withVersion(base, 3), *withVersion(fullIncident("inc2"), 2)})
}

func testIncConflict(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com/all", Secret: "s", CreatedAt: t0})
	api := newComponent("api", 1, incident.Operational)
	inc := fullIncident("inc1")
	mustCommit(t, s, &incident.Change{
		Components: []incident.Component{api},
		History:    []incident.StatusChange{{ComponentID: "api", At: at(0), From: incident.MajorOutage, To: incident.Operational}},
		Incident:   &inc,
		Notify:     &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte(`{"n":1}`)},
	})
	before := mustLoad(t, s, time.Time{})
	dueBefore := mustDue(t, s, farFuture, 100)

	broken := newComponent("api", 1, incident.MajorOutage)
	changes := []struct {
		name     string
		incident *incident.Incident
	}{
		{"a stale incident", withVersion(fullIncident("inc1"), 1)},
		{"an incident ahead of the stored one", withVersion(fullIncident("inc1"), 3)},
		{"a new incident not at version 1", withVersion(fullIncident("inc2"), 2)},
	}
	for _, ch := range changes {
		err := s.Commit(t.Context(), &incident.Change{
			Components: []incident.Component{broken, newComponent("new", 9, incident.PartialOutage)},
			History: []incident.StatusChange{
				{ComponentID: "api", At: at(time.Hour), From: incident.Operational, To: incident.MajorOutage},
				{ComponentID: "new", At: at(time.Hour), From: incident.Operational, To: incident.PartialOutage},
			},
			Incident: ch.incident,
			Notify:   &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte(`{"n":2}`)},
		})
		assertCode(t, err, headroom.ECONFLICT, "Commit of "+ch.name)
		after := mustLoad(t, s, time.Time{})
		assertData(t, ch.name, after, before)
		assertDeliveries(t, ch.name, mustDue(t, s, farFuture, 100), dueBefore)
		if v := mustVersion(t, s); v != before.Version {
			t.Errorf("%s: Version = %d, want %d unchanged", ch.name, v, before.Version)
		}
	}
}

func testIncVersionCounts(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	inc := fullIncident("inc1")
	changes := []struct {
		name string
		c    *incident.Change
		ok   bool
	}{
		{"an empty change", &incident.Change{}, true},
		{"components", &incident.Change{Components: []incident.Component{newComponent("api", 1, incident.Operational)}}, true},
		{"history", &incident.Change{History: []incident.StatusChange{{ComponentID: "api", At: at(0), From: incident.Operational, To: incident.MajorOutage}}}, true},
		{"an incident", &incident.Change{Incident: &inc}, true},
		{"a conflicting incident", &incident.Change{Incident: &inc}, false},
		{"a notification nobody is subscribed to", &incident.Change{Notify: &incident.Notification{Payload: []byte("{}")}}, true},
		{"the incident's next version", &incident.Change{Incident: withVersion(inc, 2)}, true},
	}
	prev := mustVersion(t, s)
	for _, ch := range changes {
		err := s.Commit(t.Context(), ch.c)
		want := prev
		if ch.ok {
			if err != nil {
				t.Fatalf("Commit(%s): %v", ch.name, err)
			}
			want = prev + 1
		} else {
			assertCode(t, err, headroom.ECONFLICT, "Commit("+ch.name+")")
		}
		if got := mustVersion(t, s); got != want {
			t.Errorf("after Commit(%s): Version = %d, want %d", ch.name, got, want)
		}
		if got := mustLoad(t, s, time.Time{}).Version; got != want {
			t.Errorf("after Commit(%s): Load's Version = %d, want %d", ch.name, got, want)
		}
		prev = want
	}
}

func testIncHistory(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	all := []incident.StatusChange{
		{ComponentID: "api", At: at(0), From: incident.Operational, To: incident.DegradedPerformance},
		{ComponentID: "api", At: at(time.Minute), From: incident.DegradedPerformance, To: incident.MajorOutage},
		{ComponentID: "api", At: at(2 * time.Minute), From: incident.MajorOutage, To: incident.PartialOutage},
		{ComponentID: "db", At: at(2 * time.Minute), From: incident.Operational, To: incident.UnderMaintenance},
		{ComponentID: "api", At: at(3 * time.Minute), From: incident.PartialOutage, To: incident.Operational},
	}
	mustCommit(t, s, &incident.Change{History: all[:2]})
	mustCommit(t, s, &incident.Change{History: all[2:]})
	tests := []struct {
		name  string
		since time.Time
		want  []incident.StatusChange
	}{
		{"zero since is everything", time.Time{}, all},
		{"since before everything", at(-time.Hour), all},
		{"since exactly on entries includes them, ties in append order", at(2 * time.Minute), all[2:]},
		{"since a nanosecond after", at(2*time.Minute + 1), all[4:]},
		{"since a nanosecond before", at(2*time.Minute - 1), all[2:]},
		{"since in another zone", at(2 * time.Minute).In(time.FixedZone("PST", -8*3600)), all[2:]},
		{"since after everything", at(3*time.Minute + 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertHistory(t, mustLoad(t, s, tt.since).History, tt.want)
		})
	}
	// since filters the history only.
	mustCommit(t, s, &incident.Change{Components: []incident.Component{newComponent("api", 1, incident.Operational)},
		Incident: &incident.Incident{ID: "old", Kind: incident.KindIncident, CreatedAt: at(-time.Hour), Version: 1}})
	if d := mustLoad(t, s, farFuture); len(d.Components) != 1 || len(d.Incidents) != 1 || len(d.History) != 0 {
		t.Errorf("Load(far future) = %d components, %d incidents, %d history entries; want 1, 1, 0",
			len(d.Components), len(d.Incidents), len(d.History))
	}
}

// notifySubscribers are subscribers to everything (nil or empty
// components) and to some components.
var notifySubscribers = []incident.Subscriber{
	{ID: "all", URL: "https://hooks.example.com/all", Secret: "secret-all", CreatedAt: at(0)},
	{ID: "all-empty", URL: "https://hooks.example.com/all-empty", ComponentIDs: []string{}, Secret: "secret-empty", CreatedAt: at(1)},
	{ID: "api", URL: "https://hooks.example.com/api?x=1&y=ü", ComponentIDs: []string{"api"}, Secret: "secret-api", CreatedAt: at(2)},
	{ID: "db", URL: "https://hooks.example.com/db", ComponentIDs: []string{"db"}, CreatedAt: at(3)},
	{ID: "api-web", URL: "https://hooks.example.com/api-web", ComponentIDs: []string{"api", "web"}, Secret: "secret-api-web", CreatedAt: at(4)},
}

func testIncNotify(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	subs := map[string]incident.Subscriber{}
	for _, sub := range notifySubscribers {
		mustAddSubscriber(t, s, sub)
		subs[sub.ID] = sub
	}
	tests := []struct {
		name       string
		components []string
		want       []string // subscriber IDs
	}{
		{"one component", []string{"web"}, []string{"all", "all-empty", "api-web"}},
		{"no component: the all-components subscribers", nil, []string{"all", "all-empty"}},
		{"several components: each subscriber once", []string{"api", "db", "web"}, []string{"all", "all-empty", "api", "api-web", "db"}},
		{"a component nobody follows", []string{"cdn"}, []string{"all", "all-empty"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := []byte(fmt.Sprintf(`{"page":{"id":"p"},"incident":{"name":"«API» — down %d"}}`, i))
			want := bytes.Clone(payload)
			before := time.Now()
			mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: tt.components, Payload: payload}})
			after := time.Now()
			payload[0] = 'X' // the store keeps its own copy

			due := mustDue(t, s, after, 100)
			var got []string
			ids := map[int64]bool{}
			for _, d := range due {
				got = append(got, d.SubscriberID)
				if ids[d.ID] {
					t.Errorf("delivery ID %d twice", d.ID)
				}
				ids[d.ID] = true
				sub := subs[d.SubscriberID]
				if d.URL != sub.URL || d.Secret != sub.Secret || !bytes.Equal(d.Payload, want) {
					t.Errorf("delivery to %s = URL %q, secret %q, payload %q; want %q, %q, %q",
						d.SubscriberID, d.URL, d.Secret, d.Payload, sub.URL, sub.Secret, want)
				}
				if d.Attempts != 0 || d.LastError != "" {
					t.Errorf("new delivery to %s: attempts %d, last error %q; want 0, none", d.SubscriberID, d.Attempts, d.LastError)
				}
				for name, tm := range map[string]time.Time{"NextAt": d.NextAt, "CreatedAt": d.CreatedAt} {
					if tm.Before(before) || tm.After(after) {
						t.Errorf("delivery to %s: %s = %v, want the commit's time, in [%v, %v]", d.SubscriberID, name, tm, before, after)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("deliveries to %v, want %v", got, tt.want)
			}
			// Sent: the next case starts with an empty outbox.
			for _, d := range due {
				mustDelivered(t, s, d.ID)
			}
		})
	}
}

// queue commits one notification per payload for the subscribers of s
// (one each, to everything) and returns their deliveries, oldest first,
// found by payload.
func queue(t *testing.T, s incident.Store, payloads ...string) []incident.Delivery {
	t.Helper()
	for _, p := range payloads {
		mustCommit(t, s, &incident.Change{Notify: &incident.Notification{Payload: []byte(p)}})
	}
	byPayload := map[string]incident.Delivery{}
	for _, d := range mustDue(t, s, farFuture, 1000) {
		byPayload[string(d.Payload)] = d
	}
	var out []incident.Delivery
	for _, p := range payloads {
		d, ok := byPayload[p]
		if !ok {
			t.Fatalf("no delivery of payload %q queued", p)
		}
		out = append(out, d)
	}
	return out
}

// payloads returns the payloads of ds, in order.
func payloads(ds []incident.Delivery) string {
	var p []string
	for _, d := range ds {
		p = append(p, string(d.Payload))
	}
	return strings.Join(p, ",")
}

func testIncDue(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: t0})
	before := time.Now()
	ds := queue(t, s, "1", "2", "3")
	after := time.Now()
	if got := payloads(mustDue(t, s, before.Add(-time.Nanosecond), 10)); got != "" {
		t.Errorf("DueDeliveries before they were queued = %s, want none", got)
	}
	if got := payloads(mustDue(t, s, after, 10)); got != "1,2,3" {
		t.Errorf("DueDeliveries(now) = %s, want 1,2,3", got)
	}
	if got := payloads(mustDue(t, s, after, 2)); got != "1,2" {
		t.Errorf("DueDeliveries(now, limit 2) = %s, want the oldest two, 1,2", got)
	}

	// Rescheduled, 2 falls due before 1, but 1 is older.
	base := farFuture.Add(-time.Hour)
	mustRetry(t, s, ds[0].ID, base.Add(2*time.Second), "e1")
	mustRetry(t, s, ds[1].ID, base.Add(time.Second), "e2")
	mustRetry(t, s, ds[2].ID, base.Add(3*time.Second), "e3")
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  string
	}{
		{"none due yet", after, 10, ""},
		{"just before the first", base.Add(time.Second - 1), 10, ""},
		{"exactly at NextAt", base.Add(time.Second), 10, "2"},
		{"a nanosecond before the second", base.Add(2*time.Second - 1), 10, "2"},
		{"two due: the older first", base.Add(2 * time.Second), 10, "1,2"},
		{"all due", base.Add(3 * time.Second), 10, "1,2,3"},
		{"limit 2 keeps the oldest", base.Add(3 * time.Second), 2, "1,2"},
		{"limit 1", base.Add(3 * time.Second), 1, "1"},
		{"now in another zone", base.Add(2 * time.Second).In(time.FixedZone("JST", 9*3600)), 10, "1,2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payloads(mustDue(t, s, tt.now, tt.limit)); got != tt.want {
				t.Errorf("DueDeliveries(%v, %d) = %q, want %q", tt.now, tt.limit, got, tt.want)
			}
		})
	}
}

func testIncQueued(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	// a: every component; b: only "db", so "web" changes reach a alone.
	mustAddSubscriber(t, s, incident.Subscriber{ID: "a", URL: "https://a.example.com", CreatedAt: t0})
	mustAddSubscriber(t, s, incident.Subscriber{ID: "b", URL: "https://b.example.com", ComponentIDs: []string{"db"}, CreatedAt: t0})
	for _, n := range []struct{ payload, component string }{{"1", "web"}, {"2", "web"}, {"3", "db"}, {"4", "web"}, {"5", "db"}} {
		mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{n.component}, Payload: []byte(n.payload)}})
	}
	// a's head waits for a retry an hour away: still listed (its order).
	due := mustDue(t, s, farFuture, 100)
	mustRetry(t, s, due[0].ID, farFuture.Add(-time.Hour), "down")
	got, err := s.Queued(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, d := range got {
		list = append(list, d.SubscriberID+string(d.Payload))
	}
	// a has 1,2,3,4,5 queued, b 3,5: two each, oldest first, in queue order.
	if strings.Join(list, ",") != "a1,a2,b3,b5" {
		t.Errorf("Queued(2) = %v, want a1 a2, b3 b5 (two each) in queue order", list)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID < got[i-1].ID {
			t.Errorf("Queued(2) not in queue order: %v", list)
		}
	}
	if _, err := s.Queued(t.Context(), 0); headroom.ErrorCode(err) != headroom.EINVALID {
		t.Errorf("Queued(0): %v, want EINVALID", err)
	}
}

func testIncRetry(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", Secret: "k", CreatedAt: t0})
	ds := queue(t, s, "a", "b")
	d := ds[0]

	next := farFuture.Add(-time.Hour + 1)
	mustRetry(t, s, d.ID, next, "dial tcp: connection refused")
	want := d
	want.Attempts, want.NextAt, want.LastError = 1, next, "dial tcp: connection refused"
	assertDeliveries(t, "after one retry", mustDue(t, s, farFuture, 10), []incident.Delivery{want, ds[1]})

	next = next.Add(time.Minute)
	mustRetry(t, s, d.ID, next, "HTTP 500: «Internal Server Error»\n<html>…</html>")
	want.Attempts, want.NextAt, want.LastError = 2, next, "HTTP 500: «Internal Server Error»\n<html>…</html>"
	assertDeliveries(t, "after two retries", mustDue(t, s, farFuture, 10), []incident.Delivery{want, ds[1]})

	// Retried into the past, it is due again at once.
	mustRetry(t, s, d.ID, at(0), "")
	want.Attempts, want.NextAt, want.LastError = 3, at(0), ""
	assertDeliveries(t, "after a retry with no error", mustDue(t, s, time.Now(), 10), []incident.Delivery{want, ds[1]})

	mustDelivered(t, s, d.ID)
	assertDeliveries(t, "after delivering the first", mustDue(t, s, farFuture, 10), []incident.Delivery{ds[1]})
	mustDelivered(t, s, ds[1].ID)
	assertDeliveries(t, "after delivering both", mustDue(t, s, farFuture, 10), nil)

	// A new delivery does not take the ID of a delivered one: a late
	// Delivered of the old must not remove the new.
	c := queue(t, s, "c")[0]
	if c.ID == ds[0].ID || c.ID == ds[1].ID {
		t.Errorf("new delivery has ID %d, which a delivered one had (%d, %d)", c.ID, ds[0].ID, ds[1].ID)
	}
}

func testIncGone(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: t0})
	ds := queue(t, s, "a", "b")
	mustDelivered(t, s, ds[0].ID)
	// Two senders took the same delivery; the second reports too.
	if err := s.Delivered(t.Context(), ds[0].ID); err != nil {
		t.Errorf("Delivered of a delivered delivery: %v, want nil", err)
	}
	if err := s.Retry(t.Context(), ds[0].ID, at(0), "late failure"); err != nil {
		t.Errorf("Retry of a delivered delivery: %v, want nil", err)
	}
	unknown := ds[1].ID + 1000
	if err := s.Delivered(t.Context(), unknown); err != nil {
		t.Errorf("Delivered(%d), never queued: %v, want nil", unknown, err)
	}
	if err := s.Retry(t.Context(), unknown, at(0), "x"); err != nil {
		t.Errorf("Retry(%d), never queued: %v, want nil", unknown, err)
	}
	// The retry did not bring it back, nor touch the other.
	assertDeliveries(t, "after retrying removed deliveries", mustDue(t, s, farFuture, 10), ds[1:])
}

func testIncTokens(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	hash := []byte{0x00, 0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0,
		0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a}
	t1 := incident.Token{ID: "tok1", Name: "deploy bot", Hash: hash, CreatedAt: at(0)}
	t2 := incident.Token{ID: "tok2", Name: "On-call — «ops» ünïcode", Hash: []byte("h2"), CreatedAt: at(time.Second)}
	t3 := incident.Token{ID: "tok3", Name: "", Hash: []byte("h3"), CreatedAt: at(2 * time.Second)}
	for _, tok := range []incident.Token{t1, t2, t3} {
		mustCreateToken(t, s, tok)
	}
	assertTokens(t, "after creating three", mustTokens(t, s), []incident.Token{t1, t2, t3})

	mustRevoke(t, s, "tok1", at(time.Hour+1))
	t1.RevokedAt = at(time.Hour + 1)
	assertTokens(t, "after revoking tok1", mustTokens(t, s), []incident.Token{t1, t2, t3})
	// Revoked again, it keeps the time it was first revoked at.
	mustRevoke(t, s, "tok1", at(2*time.Hour))
	assertTokens(t, "after revoking tok1 again", mustTokens(t, s), []incident.Token{t1, t2, t3})

	for _, id := range []string{"nope", "", "tok", "TOK2", "tok%"} {
		err := s.RevokeToken(t.Context(), id, at(time.Hour))
		assertCode(t, err, headroom.ENOTFOUND, fmt.Sprintf("RevokeToken(%q)", id))
	}
	assertTokens(t, "after revoking unknown tokens", mustTokens(t, s), []incident.Token{t1, t2, t3})
}

func testIncSubscribers(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	for _, sub := range notifySubscribers {
		mustAddSubscriber(t, s, sub)
	}
	assertSubscribers(t, "after adding", mustSubscribers(t, s), notifySubscribers)
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte("before")}})

	// Removed, api is not called again: its queued delivery goes too,
	// the others' stay.
	mustRemoveSubscriber(t, s, "api")
	rest := slices.DeleteFunc(slices.Clone(notifySubscribers), func(s incident.Subscriber) bool { return s.ID == "api" })
	assertSubscribers(t, "after removing api", mustSubscribers(t, s), rest)
	for _, id := range []string{"api", "nope", "", "ap%", "ALL"} {
		err := s.RemoveSubscriber(t.Context(), id)
		assertCode(t, err, headroom.ENOTFOUND, fmt.Sprintf("RemoveSubscriber(%q)", id))
	}
	assertSubscribers(t, "after removing unknown subscribers", mustSubscribers(t, s), rest)

	// Nor is it notified of later writes.
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte("after")}})
	var got []string
	for _, d := range mustDue(t, s, farFuture, 100) {
		got = append(got, string(d.Payload)+" to "+d.SubscriberID)
	}
	slices.Sort(got)
	want := []string{"after to all", "after to all-empty", "after to api-web", "before to all", "before to all-empty", "before to api-web"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries after removing api: %q, want %q", got, want)
	}
}

func testIncEmailSubscriber(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	s := open(t)
	pending := incident.Subscriber{ID: "mail", Channel: incident.ChannelEmail, Email: "ops@example.com",
		ComponentIDs: []string{"api"}, Secret: "tok-ü", CreatedAt: t0}
	before := time.Now()
	mustAddSubscriber(t, s, pending)
	after := time.Now()
	assertSubscribers(t, "pending", mustSubscribers(t, s), []incident.Subscriber{pending})

	// Its confirmation mail is queued with it, due now.
	due := mustDue(t, s, after, 10)
	if len(due) != 1 {
		t.Fatalf("after adding a pending email subscriber: %d deliveries, want 1 (its confirmation)", len(due))
	}
	d := due[0]
	if d.SubscriberID != "mail" || d.Channel != incident.ChannelEmail || d.Email != pending.Email || d.Secret != pending.Secret ||
		!bytes.Equal(d.Payload, incident.ConfirmPayload) || d.NextAt.Before(before) || d.NextAt.After(after) {
		t.Errorf("confirmation delivery = %+v; want one of ConfirmPayload to %s, due at the add's time", d, pending.Email)
	}
	mustDelivered(t, s, d.ID)

	// Pending, it is told of nothing.
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte("while pending")}})
	if got := mustDue(t, s, farFuture, 10); len(got) != 0 {
		t.Errorf("a write while pending queued %d deliveries, want none", len(got))
	}

	confirmed := at(time.Hour)
	if err := s.ConfirmSubscriber(ctx, "mail", confirmed); err != nil {
		t.Fatalf("ConfirmSubscriber: %v", err)
	}
	// A second confirmation (the link followed twice) keeps the first time.
	if err := s.ConfirmSubscriber(ctx, "mail", at(2*time.Hour)); err != nil {
		t.Fatalf("ConfirmSubscriber again: %v", err)
	}
	pending.ConfirmedAt = confirmed
	assertSubscribers(t, "confirmed", mustSubscribers(t, s), []incident.Subscriber{pending})
	assertCode(t, s.ConfirmSubscriber(ctx, "nope", confirmed), headroom.ENOTFOUND, "ConfirmSubscriber of an unknown id")

	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"web"}, Payload: []byte("web")}})
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte("api")}})
	got := mustDue(t, s, farFuture, 10)
	if len(got) != 1 || string(got[0].Payload) != "api" || got[0].Email != pending.Email || got[0].Channel != incident.ChannelEmail {
		t.Errorf("deliveries once confirmed = %+v; want one, of the api write, to %s", got, pending.Email)
	}

	// A subscriber added confirmed (by an operator) gets no confirmation.
	mustAddSubscriber(t, s, incident.Subscriber{ID: "mail2", Channel: incident.ChannelEmail, Email: "b@example.com", Secret: "t2",
		CreatedAt: t0, ConfirmedAt: t0})
	if n := len(mustDue(t, s, farFuture, 10)); n != 1 {
		t.Errorf("after adding a confirmed email subscriber: %d deliveries, want the 1 from before", n)
	}
}

func testIncSubscriberByToken(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	s := open(t)
	a := incident.Subscriber{ID: "a", Channel: incident.ChannelEmail, Email: "a@example.com", ComponentIDs: []string{"api"}, Secret: "tok-a", CreatedAt: at(0)}
	b := incident.Subscriber{ID: "b", Channel: incident.ChannelEmail, Email: "b@example.com", Secret: "tok-ü", CreatedAt: at(1)}
	hook := incident.Subscriber{ID: "hook", URL: "https://hooks.example.com/h", Secret: "tok-hook", CreatedAt: at(2)}
	for _, sub := range []incident.Subscriber{a, b, hook} {
		mustAddSubscriber(t, s, sub)
	}
	find := func(token string, want *incident.Subscriber) {
		t.Helper()
		got, err := s.SubscriberByToken(ctx, token)
		if want == nil {
			assertCode(t, err, headroom.ENOTFOUND, fmt.Sprintf("SubscriberByToken(%q)", token))
			return
		}
		if err != nil {
			t.Errorf("SubscriberByToken(%q): %v", token, err)
			return
		}
		assertSubscribers(t, fmt.Sprintf("SubscriberByToken(%q)", token), []incident.Subscriber{got}, []incident.Subscriber{*want})
	}
	find("tok-a", &a)
	find("tok-ü", &b)
	// A webhook's secret signs its deliveries: it is no link's token.
	find("tok-hook", nil)
	for _, token := range []string{"", "tok-", "tok-a ", "TOK-A"} {
		find(token, nil)
	}
	if err := s.ConfirmSubscriber(ctx, "b", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b.ConfirmedAt = at(time.Hour)
	find("tok-ü", &b)
	mustRemoveSubscriber(t, s, "a")
	find("tok-a", nil)
}

func testIncChannels(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	subs := []incident.Subscriber{
		{ID: "hook", URL: "https://hooks.example.com/h", Secret: "k", CreatedAt: at(0)},
		{ID: "slack", Channel: incident.ChannelSlack, URL: "https://hooks.slack.com/services/T0/B0/x", CreatedAt: at(1)},
		{ID: "teams", Channel: incident.ChannelTeams, URL: "https://example.webhook.office.com/webhookb2/x", CreatedAt: at(2)},
		{ID: "mail", Channel: incident.ChannelEmail, Email: "ops@example.com", Secret: "tok", CreatedAt: at(3), ConfirmedAt: at(4)},
	}
	for _, sub := range subs {
		mustAddSubscriber(t, s, sub)
	}
	assertSubscribers(t, "after adding", mustSubscribers(t, s), subs)
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{Payload: []byte("p")}})
	got := map[string]incident.Delivery{}
	for _, d := range mustDue(t, s, farFuture, 10) {
		got[d.SubscriberID] = d
	}
	for _, sub := range subs {
		d, ok := got[sub.ID]
		want := sub.Channel
		if want == "" {
			want = incident.ChannelWebhook
		}
		if !ok || d.Channel != want || d.URL != sub.URL || d.Email != sub.Email || d.Secret != sub.Secret {
			t.Errorf("delivery to %s = %+v; want channel %s, URL %q, email %q, secret %q", sub.ID, d, want, sub.URL, sub.Email, sub.Secret)
		}
	}
}

func testIncInvalid(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: t0})
	notify := &incident.Notification{Payload: []byte("{}")}
	changes := map[string]*incident.Change{
		"a component without an ID": {Components: []incident.Component{newComponent("api", 1, incident.Operational),
			newComponent("", 2, incident.MajorOutage)}, Notify: notify},
		"an incident without an ID": {Components: []incident.Component{newComponent("api", 1, incident.Operational)},
			Incident: &incident.Incident{Kind: incident.KindIncident, Name: "x", Version: 1}, Notify: notify},
	}
	for name, c := range changes {
		assertCode(t, s.Commit(ctx, c), headroom.EINVALID, "Commit of "+name)
	}
	assertCode(t, s.CreateToken(ctx, incident.Token{Name: "no id", Hash: []byte("h")}), headroom.EINVALID, "CreateToken without an ID")
	assertCode(t, s.AddSubscriber(ctx, incident.Subscriber{URL: "https://example.com"}), headroom.EINVALID, "AddSubscriber without an ID")
	for _, limit := range []int{0, -1} {
		_, err := s.DueDeliveries(ctx, farFuture, limit)
		assertCode(t, err, headroom.EINVALID, fmt.Sprintf("DueDeliveries(limit %d)", limit))
	}
	d := mustLoad(t, s, time.Time{})
	if d.Version != 0 || len(d.Components) != 0 || len(d.Incidents) != 0 {
		t.Errorf("after the refused commits: version %d, %d components, %d incidents; want nothing", d.Version, len(d.Components), len(d.Incidents))
	}
	if got := mustDue(t, s, farFuture, 10); len(got) != 0 {
		t.Errorf("after the refused commits: %d deliveries queued, want none", len(got))
	}
	if got := mustTokens(t, s); len(got) != 0 {
		t.Errorf("after the refused CreateToken: %+v, want no token", got)
	}
	if got := mustSubscribers(t, s); len(got) != 1 {
		t.Errorf("after the refused AddSubscriber: %d subscribers, want 1", len(got))
	}
}

func testIncUTC(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	cest := time.FixedZone("CEST", 2*3600)
	zoned := func(d time.Duration) time.Time { return at(d).In(cest) }
	c := newComponent("api", 1, incident.Operational)
	c.CreatedAt, c.UpdatedAt = zoned(1), zoned(2)
	inc := fullIncident("inc1")
	inc.CreatedAt, inc.UpdatedAt, inc.StartedAt, inc.MonitoringAt, inc.ResolvedAt = zoned(3), zoned(4), zoned(5), zoned(6), zoned(7)
	inc.ScheduledFor, inc.ScheduledUntil, inc.PostmortemPublishedAt, inc.PublishedAt = zoned(8), zoned(9), zoned(10), zoned(35)
	for i := range inc.Updates {
		inc.Updates[i].CreatedAt, inc.Updates[i].DisplayAt = zoned(time.Duration(11+i)), zoned(time.Duration(21+i))
	}
	h := incident.StatusChange{ComponentID: "api", At: zoned(30), From: incident.Operational, To: incident.MajorOutage}
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: zoned(31)})
	mustCreateToken(t, s, incident.Token{ID: "tok", Hash: []byte("h"), CreatedAt: zoned(32)})
	mustRevoke(t, s, "tok", zoned(33))
	mustCommit(t, s, &incident.Change{Components: []incident.Component{c}, History: []incident.StatusChange{h},
		Incident: &inc, Notify: &incident.Notification{Payload: []byte("{}")}})
	d := mustDue(t, s, farFuture, 10)
	if len(d) != 1 {
		t.Fatalf("DueDeliveries = %d, want 1", len(d))
	}
	mustRetry(t, s, d[0].ID, zoned(34), "")

	// Every time is the instant written, to the nanosecond, in UTC.
	data := mustLoad(t, s, time.Time{})
	assertComponents(t, data.Components, []incident.Component{c})
	assertIncidents(t, data.Incidents, []incident.Incident{inc})
	assertHistory(t, data.History, []incident.StatusChange{h})
	times := map[string]time.Time{}
	for _, c := range data.Components {
		times["component CreatedAt"], times["component UpdatedAt"] = c.CreatedAt, c.UpdatedAt
	}
	for _, h := range data.History {
		times["history At"] = h.At
	}
	for _, i := range data.Incidents {
		times["incident CreatedAt"], times["incident UpdatedAt"], times["incident StartedAt"] = i.CreatedAt, i.UpdatedAt, i.StartedAt
		times["incident MonitoringAt"], times["incident ResolvedAt"] = i.MonitoringAt, i.ResolvedAt
		times["incident ScheduledFor"], times["incident ScheduledUntil"] = i.ScheduledFor, i.ScheduledUntil
		times["incident PostmortemPublishedAt"], times["incident PublishedAt"] = i.PostmortemPublishedAt, i.PublishedAt
		for k, u := range i.Updates {
			times[fmt.Sprintf("update %d CreatedAt", k)], times[fmt.Sprintf("update %d DisplayAt", k)] = u.CreatedAt, u.DisplayAt
		}
	}
	for _, s := range mustSubscribers(t, s) {
		times["subscriber CreatedAt"] = s.CreatedAt
	}
	for _, tok := range mustTokens(t, s) {
		times["token CreatedAt"], times["token RevokedAt"] = tok.CreatedAt, tok.RevokedAt
	}
	for _, d := range mustDue(t, s, farFuture, 10) {
		times["delivery NextAt"], times["delivery CreatedAt"] = d.NextAt, d.CreatedAt
		if !d.NextAt.Equal(zoned(34)) {
			t.Errorf("delivery NextAt = %v, want %v", d.NextAt, zoned(34))
		}
	}
	// 2 of the component, 1 of history, 9 of the incident, 2 of each of
	// its 3 updates, 1 of the subscriber, 2 of the token, 2 of the
	// delivery.
	if want := 2 + 1 + 9 + 3*2 + 1 + 2 + 2; len(times) != want {
		t.Errorf("found %d times, want %d: something was not returned", len(times), want)
	}
	for name, tm := range times {
		if tm.IsZero() || tm.Location() != time.UTC {
			t.Errorf("%s = %v, want a time in UTC", name, tm)
		}
	}
	// The zero time stays zero.
	bare := incident.Incident{ID: "bare", Kind: incident.KindIncident, Version: 1,
		Updates: []incident.Update{{ID: "u"}}}
	mustCommit(t, s, &incident.Change{Incident: &bare})
	for _, i := range mustLoad(t, s, time.Time{}).Incidents {
		if i.ID != "bare" {
			continue
		}
		for name, tm := range map[string]time.Time{
			"CreatedAt": i.CreatedAt, "UpdatedAt": i.UpdatedAt, "StartedAt": i.StartedAt,
			"MonitoringAt": i.MonitoringAt, "ResolvedAt": i.ResolvedAt,
			"ScheduledFor": i.ScheduledFor, "ScheduledUntil": i.ScheduledUntil,
			"PostmortemPublishedAt": i.PostmortemPublishedAt,
			"PublishedAt":           i.PublishedAt,
			"update CreatedAt":      i.Updates[0].CreatedAt,
			"update DisplayAt":      i.Updates[0].DisplayAt,
		} {
			if !tm.IsZero() {
				t.Errorf("bare incident's %s = %v, want the zero time", name, tm)
			}
		}
	}
}

// texts are Markdown bodies and names with what a store might mangle.
var texts = []string{
	"# Outage\n\n**API** is _down_ — we're on it.\n\n```go\nfmt.Println(\"hi\")\n```\n",
	"| region | status |\n|---|---|\n| eu-west-1 | ❌ |\n\n> quoted <b>html</b> & `code` \\ backslash\n\n- [x] done\n- [ ] not",
	"日本語のテキスト、中文、한국어, עברית (RTL), العربية",
	"emoji 🚨🔥👩🏽‍💻 flag 🇪🇺, combining e\u0301 vs é, zero\u200bwidth, BOM \ufeff, U+10FFFF \U0010FFFF",
	"quotes ' \" ` ; DROP TABLE incidents; -- %s %d $1 ?",
	"\r\nwindows newlines\r\n\ttabs\t and trailing spaces   ",
	"",
	strings.Repeat("A long body line, repeated. ", 8000), // 224 KB
}

func testIncText(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	inc := fullIncident("inc1")
	inc.Name = texts[2]
	inc.PostmortemDraft, inc.PostmortemBody = texts[0], texts[1]
	inc.Updates = nil
	for i, body := range texts {
		inc.Updates = append(inc.Updates, incident.Update{ID: fmt.Sprintf("u%d", len(texts)-i), Status: incident.Investigating,
			Body: body, CreatedAt: at(time.Duration(len(texts)-i) * time.Minute), DisplayAt: at(time.Duration(len(texts)-i) * time.Minute),
			Affected: []incident.Affected{{ComponentID: "api", Name: texts[3], Old: incident.Operational, New: incident.MajorOutage}}})
	}
	c := newComponent("api", 1, incident.MajorOutage)
	c.Name, c.Description = texts[3], texts[1]
	mustCommit(t, s, &incident.Change{Components: []incident.Component{c}, Incident: &inc})
	data := mustLoad(t, s, time.Time{})
	assertComponents(t, data.Components, []incident.Component{c})
	assertIncidents(t, data.Incidents, []incident.Incident{inc})
	if len(data.Incidents) == 1 {
		for i, u := range data.Incidents[0].Updates {
			if i < len(texts) && u.Body != texts[i] {
				t.Errorf("update %d body = %.60q (%d bytes), want %.60q (%d bytes)", i, u.Body, len(u.Body), texts[i], len(texts[i]))
			}
		}
	}
	sub := incident.Subscriber{ID: "sub", URL: "https://hooks.example.com/ünï?q=«»", Secret: texts[3], CreatedAt: t0}
	mustAddSubscriber(t, s, sub)
	assertSubscribers(t, "with Unicode", mustSubscribers(t, s), []incident.Subscriber{sub})
}

func testIncNoAlias(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	s := open(t)
	inc := fullIncident("inc1")
	comps := []incident.Component{newComponent("api", 1, incident.Operational)}
	hist := []incident.StatusChange{{ComponentID: "api", At: t0, From: incident.Operational, To: incident.MajorOutage}}
	mustCommit(t, s, &incident.Change{Components: comps, History: hist, Incident: &inc})
	want := mustLoad(t, s, time.Time{})
	wantInc := fullIncident("inc1")
	assertIncidents(t, want.Incidents, []incident.Incident{wantInc})

	// The caller reuses what it committed...
	inc.Name = "changed"
	inc.ComponentIDs[0] = "changed"
	inc.Updates[0].Body = "changed"
	inc.Updates[0].Affected[0].New = incident.MajorOutage
	comps[0].Status = incident.MajorOutage
	hist[0].To = incident.PartialOutage
	assertData(t, "after the caller changed what it committed", mustLoad(t, s, time.Time{}), want)

	// ...and a reader changes what it loaded.
	got := mustLoad(t, s, time.Time{})
	for i := range got.Incidents {
		got.Incidents[i].Name = "changed"
		got.Incidents[i].ComponentIDs[0] = "changed"
		got.Incidents[i].Updates[0].Body = "changed"
		got.Incidents[i].Updates[0].Affected[0].Name = "changed"
	}
	got.Components[0].Status = incident.MajorOutage
	got.History[0].To = incident.PartialOutage
	assertData(t, "after a reader changed what it loaded", mustLoad(t, s, time.Time{}), want)

	// Tokens, subscribers and deliveries likewise.
	hash := []byte("hash")
	mustCreateToken(t, s, incident.Token{ID: "tok", Hash: hash, CreatedAt: t0})
	hash[0] = 'X'
	toks := mustTokens(t, s)
	if len(toks) == 1 {
		toks[0].Hash[1] = 'X'
	}
	assertTokens(t, "after changing hashes", mustTokens(t, s), []incident.Token{{ID: "tok", Hash: []byte("hash"), CreatedAt: t0}})
	subComps := []string{"api", "db"}
	mustAddSubscriber(t, s, incident.Subscriber{ID: "sub", URL: "u", ComponentIDs: subComps, CreatedAt: t0})
	subComps[0] = "changed"
	subs := mustSubscribers(t, s)
	if len(subs) == 1 {
		subs[0].ComponentIDs[1] = "changed"
	}
	assertSubscribers(t, "after changing component lists", mustSubscribers(t, s),
		[]incident.Subscriber{{ID: "sub", URL: "u", ComponentIDs: []string{"api", "db"}, CreatedAt: t0}})
	mustCommit(t, s, &incident.Change{Notify: &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte("payload")}})
	ds := mustDue(t, s, farFuture, 10)
	if len(ds) == 1 {
		ds[0].Payload[0] = 'X'
	}
	if ds := mustDue(t, s, farFuture, 10); len(ds) != 1 || string(ds[0].Payload) != "payload" {
		t.Errorf("deliveries after a reader changed a payload = %+v, want one with payload %q", ds, "payload")
	}
}

func testIncConcurrent(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: t0})
	v0 := mustVersion(t, s)
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+100)
	for w := range writers {
		wg.Go(func() {
			id := fmt.Sprintf("inc%d", w)
			comp := fmt.Sprintf("c%d", w)
			inc := incident.Incident{ID: id, Kind: incident.KindIncident, Name: id, Status: incident.Investigating,
				Impact: incident.ImpactMinor, ComponentIDs: []string{comp}, CreatedAt: t0}
			for v := int64(1); v <= each; v++ {
				inc.Version = v
				inc.Updates = append([]incident.Update{{ID: fmt.Sprintf("%s-u%d", id, v), Status: incident.Investigating,
					Body: fmt.Sprintf("update %d", v), CreatedAt: at(time.Duration(v))}}, inc.Updates...)
				status := incident.ComponentStatuses[int(v)%len(incident.ComponentStatuses)]
				err := s.Commit(ctx, &incident.Change{
					Components: []incident.Component{newComponent(comp, w, status)},
					History:    []incident.StatusChange{{ComponentID: comp, At: at(time.Duration(v)), To: status}},
					Incident:   &inc,
					Notify:     &incident.Notification{ComponentIDs: []string{comp}, Payload: []byte(fmt.Sprintf("%s v%d", id, v))},
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d, version %d: %w", w, v, err)
					return
				}
			}
		})
	}
	// A reader at the same time sees each commit whole: an incident with
	// as many updates as its version, and the version never going back.
	wg.Go(func() {
		var last int64
		for range 30 {
			d, err := s.Load(ctx, time.Time{})
			if err != nil {
				errs <- fmt.Errorf("concurrent Load: %w", err)
				return
			}
			if d.Version < last {
				errs <- fmt.Errorf("concurrent Load: version %d after %d", d.Version, last)
			}
			last = d.Version
			for _, i := range d.Incidents {
				if int64(len(i.Updates)) != i.Version {
					errs <- fmt.Errorf("concurrent Load: %s at version %d has %d updates: a commit seen in part", i.ID, i.Version, len(i.Updates))
				}
			}
			if int64(len(d.History)) > d.Version-v0 {
				errs <- fmt.Errorf("concurrent Load: %d history entries at version %d", len(d.History), d.Version)
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if v := mustVersion(t, s); v != v0+writers*each {
		t.Errorf("Version after %d commits = %d, want %d", writers*each, v, v0+writers*each)
	}
	d := mustLoad(t, s, time.Time{})
	if len(d.Incidents) != writers || len(d.Components) != writers || len(d.History) != writers*each {
		t.Errorf("after the writers: %d incidents, %d components, %d history entries; want %d, %d, %d",
			len(d.Incidents), len(d.Components), len(d.History), writers, writers, writers*each)
	}
	for _, i := range d.Incidents {
		if i.Version != each || len(i.Updates) != each {
			t.Errorf("%s: version %d with %d updates, want %d and %d", i.ID, i.Version, len(i.Updates), each, each)
		}
	}
	if got := mustDue(t, s, farFuture, 1000); len(got) != writers*each {
		t.Errorf("%d deliveries queued, want %d", len(got), writers*each)
	}
}

func testIncRace(t *testing.T, open func(t *testing.T) incident.Store, _ *config) {
	ctx := t.Context()
	s := open(t)
	mustAddSubscriber(t, s, incident.Subscriber{ID: "all", URL: "https://hooks.example.com", CreatedAt: t0})
	mustCommit(t, s, &incident.Change{Incident: withVersion(fullIncident("a"), 1)})
	v0 := mustVersion(t, s)
	rounds := []struct {
		name    string
		id      string
		version int64
	}{
		{"writers of the same read version", "a", 2},
		{"creators of the same new incident", "b", 1},
	}
	for k, r := range rounds {
		const racers = 8
		errs := make([]error, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				inc := fullIncident(r.id)
				inc.Version = r.version
				inc.Name = fmt.Sprintf("racer %d", i)
				<-start
				errs[i] = s.Commit(ctx, &incident.Change{
					Components: []incident.Component{newComponent(fmt.Sprintf("round%d-racer%d", k, i), i, incident.MajorOutage)},
					Incident:   &inc,
					Notify:     &incident.Notification{Payload: []byte(inc.Name)},
				})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("%s: racers %d and %d both won", r.name, winner, i)
			case err == nil:
				winner = i
			default:
				assertCode(t, err, headroom.ECONFLICT, fmt.Sprintf("%s: racer %d", r.name, i))
			}
		}
		if winner < 0 {
			t.Fatalf("%s: nobody won", r.name)
		}
		d := mustLoad(t, s, time.Time{})
		want := fmt.Sprintf("racer %d", winner)
		for _, i := range d.Incidents {
			if i.ID == r.id && (i.Name != want || i.Version != r.version) {
				t.Errorf("%s: stored %s is %q at version %d, want the winner's, %q at %d", r.name, i.ID, i.Name, i.Version, want, r.version)
			}
		}
		// Only the winner's components and notification are stored.
		if len(d.Components) != k+1 {
			t.Errorf("%s: %d components stored, want %d (the winners')", r.name, len(d.Components), k+1)
		}
		due := mustDue(t, s, farFuture, 100)
		if len(due) != 1 || string(due[0].Payload) != want {
			t.Errorf("%s: deliveries %q, want one of %q", r.name, payloads(due), want)
		}
		for _, dl := range due {
			mustDelivered(t, s, dl.ID)
		}
		if v := mustVersion(t, s); v != v0+int64(k)+1 {
			t.Errorf("%s: Version = %d, want %d (one more commit)", r.name, v, v0+int64(k)+1)
		}
	}
}

func testIncReopen(t *testing.T, open func(t *testing.T) incident.Store, c *config) {
	reopen := reopener[incident.Store](t, c)
	if reopen == nil {
		t.Skip("no storetest.Reopen: the store is not persistent")
	}
	s := open(t)
	for _, sub := range notifySubscribers {
		mustAddSubscriber(t, s, sub)
	}
	mustCreateToken(t, s, incident.Token{ID: "tok1", Name: "bot", Hash: []byte{0, 1, 2}, CreatedAt: at(0)})
	mustCreateToken(t, s, incident.Token{ID: "tok2", Name: "ops", Hash: []byte{3}, CreatedAt: at(1)})
	mustRevoke(t, s, "tok1", at(time.Hour))
	mustRemoveSubscriber(t, s, "db")
	inc := fullIncident("inc1")
	m := maintenance("mnt1")
	mustCommit(t, s, &incident.Change{
		Components: []incident.Component{newComponent("api", 1, incident.MajorOutage), newComponent("db", 2, incident.Operational)},
		History:    []incident.StatusChange{{ComponentID: "api", At: at(0), From: incident.Operational, To: incident.MajorOutage}},
		Incident:   &inc,
		Notify:     &incident.Notification{ComponentIDs: []string{"api"}, Payload: []byte(`{"n":1}`)},
	})
	mustCommit(t, s, &incident.Change{Incident: &m, Notify: &incident.Notification{ComponentIDs: []string{"db"}, Payload: []byte(`{"n":2}`)}})
	due := mustDue(t, s, farFuture, 100)
	mustRetry(t, s, due[0].ID, farFuture.Add(-time.Hour), "refused")
	mustDelivered(t, s, due[1].ID)

	type state struct {
		data   *incident.Data
		v      int64
		tokens []incident.Token
		subs   []incident.Subscriber
		due    []incident.Delivery
	}
	read := func() state {
		t.Helper()
		return state{mustLoad(t, s, time.Time{}), mustVersion(t, s), mustTokens(t, s), mustSubscribers(t, s), mustDue(t, s, farFuture, 100)}
	}
	check := func(what string, want state) {
		t.Helper()
		got := read()
		assertData(t, what, got.data, want.data)
		if got.v != want.v {
			t.Errorf("%s: Version = %d, want %d", what, got.v, want.v)
		}
		assertTokens(t, what, got.tokens, want.tokens)
		assertSubscribers(t, what, got.subs, want.subs)
		assertDeliveries(t, what, got.due, want.due)
	}
	want := read()
	s = reopen(t, s)
	check("after reopening", want)

	// The reopened store takes new writes after the old ones: versions
	// go on, delivery IDs are new.
	inc2 := fullIncident("inc1")
	inc2.Version = 2
	inc2.Status = incident.Postmortem
	mustCommit(t, s, &incident.Change{Incident: &inc2, Notify: &incident.Notification{Payload: []byte(`{"n":3}`)}})
	after := read()
	if after.v != want.v+1 {
		t.Errorf("Version after a commit on the reopened store = %d, want %d", after.v, want.v+1)
	}
	seen := map[int64]bool{}
	for _, d := range due {
		seen[d.ID] = true
	}
	for _, d := range after.due {
		if string(d.Payload) == `{"n":3}` && seen[d.ID] {
			t.Errorf("a delivery queued after reopening has ID %d, which one had before", d.ID)
		}
	}
	s = reopen(t, s)
	check("after reopening again", after)
}

func mustCommit(t *testing.T, s incident.Store, c *incident.Change) {
	t.Helper()
	if err := s.Commit(t.Context(), c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func mustLoad(t *testing.T, s incident.Store, since time.Time) *incident.Data {
	t.Helper()
	d, err := s.Load(t.Context(), since)
	if err != nil {
		t.Fatalf("Load(%v): %v", since, err)
	}
	if d == nil {
		t.Fatalf("Load(%v) = nil data, nil error", since)
	}
	return d
}

func mustVersion(t *testing.T, s incident.Store) int64 {
	t.Helper()
	v, err := s.Version(t.Context())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	return v
}

func mustCreateToken(t *testing.T, s incident.Store, tok incident.Token) {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken(%s): %v", tok.ID, err)
	}
}

func mustTokens(t *testing.T, s incident.Store) []incident.Token {
	t.Helper()
	got, err := s.Tokens(t.Context())
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	return got
}

func mustRevoke(t *testing.T, s incident.Store, id string, at time.Time) {
	t.Helper()
	if err := s.RevokeToken(t.Context(), id, at); err != nil {
		t.Fatalf("RevokeToken(%s): %v", id, err)
	}
}

func mustAddSubscriber(t *testing.T, s incident.Store, sub incident.Subscriber) {
	t.Helper()
	if err := s.AddSubscriber(t.Context(), sub); err != nil {
		t.Fatalf("AddSubscriber(%s): %v", sub.ID, err)
	}
}

func mustSubscribers(t *testing.T, s incident.Store) []incident.Subscriber {
	t.Helper()
	got, err := s.Subscribers(t.Context())
	if err != nil {
		t.Fatalf("Subscribers: %v", err)
	}
	return got
}

func mustRemoveSubscriber(t *testing.T, s incident.Store, id string) {
	t.Helper()
	if err := s.RemoveSubscriber(t.Context(), id); err != nil {
		t.Fatalf("RemoveSubscriber(%s): %v", id, err)
	}
}

func mustDue(t *testing.T, s incident.Store, now time.Time, limit int) []incident.Delivery {
	t.Helper()
	got, err := s.DueDeliveries(t.Context(), now, limit)
	if err != nil {
		t.Fatalf("DueDeliveries(%v, %d): %v", now, limit, err)
	}
	if len(got) > limit {
		t.Fatalf("DueDeliveries(%v, %d) = %d deliveries, more than the limit", now, limit, len(got))
	}
	return got
}

func mustDelivered(t *testing.T, s incident.Store, id int64) {
	t.Helper()
	if err := s.Delivered(t.Context(), id); err != nil {
		t.Fatalf("Delivered(%d): %v", id, err)
	}
}

func mustRetry(t *testing.T, s incident.Store, id int64, next time.Time, lastError string) {
	t.Helper()
	if err := s.Retry(t.Context(), id, next, lastError); err != nil {
		t.Fatalf("Retry(%d): %v", id, err)
	}
}

// assertCode checks that err is an error with code.
func assertCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := headroom.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
	var e *headroom.Error
	if err != nil && !errors.As(err, &e) {
		t.Errorf("%s: error %v is not a *headroom.Error", what, err)
	}
}

// assertData compares everything Load returns.
func assertData(t *testing.T, what string, got, want *incident.Data) {
	t.Helper()
	if got.Version != want.Version {
		t.Errorf("%s: Load's Version = %d, want %d", what, got.Version, want.Version)
	}
	assertComponents(t, got.Components, want.Components)
	assertIncidents(t, got.Incidents, want.Incidents)
	assertHistory(t, got.History, want.History)
}

// The assert functions below compare field by field after normalizing:
// times as instants (in UTC, which testIncUTC checks the store returns),
// nil and empty lists alike. Lists Load returns in no particular order
// are sorted by ID first.

func assertComponents(t *testing.T, got, want []incident.Component) {
	t.Helper()
	assertByID(t, "component", got, want, func(c incident.Component) string { return c.ID }, normComponent)
}

func assertIncidents(t *testing.T, got, want []incident.Incident) {
	t.Helper()
	assertByID(t, "incident", got, want, func(i incident.Incident) string { return i.ID }, normIncident)
}

func assertTokens(t *testing.T, what string, got, want []incident.Token) {
	t.Helper()
	assertByID(t, what+": token", got, want, func(tok incident.Token) string { return tok.ID }, func(tok incident.Token) incident.Token {
		tok.Hash = nilIfEmpty(tok.Hash)
		tok.CreatedAt, tok.RevokedAt = tok.CreatedAt.UTC(), tok.RevokedAt.UTC()
		return tok
	})
}

func assertSubscribers(t *testing.T, what string, got, want []incident.Subscriber) {
	t.Helper()
	assertByID(t, what+": subscriber", got, want, func(s incident.Subscriber) string { return s.ID }, func(s incident.Subscriber) incident.Subscriber {
		s.ComponentIDs = nilIfEmpty(s.ComponentIDs)
		s.CreatedAt, s.ConfirmedAt = s.CreatedAt.UTC(), s.ConfirmedAt.UTC()
		if s.Channel == "" {
			s.Channel = incident.ChannelWebhook // what "" means
		}
		return s
	})
}

// assertHistory compares history in order.
func assertHistory(t *testing.T, got, want []incident.StatusChange) {
	t.Helper()
	assertInOrder(t, "history entry", got, want, func(h incident.StatusChange) incident.StatusChange {
		h.At = h.At.UTC()
		return h
	})
}

// assertDeliveries compares deliveries in order.
func assertDeliveries(t *testing.T, what string, got, want []incident.Delivery) {
	t.Helper()
	assertInOrder(t, what+": delivery", got, want, func(d incident.Delivery) incident.Delivery {
		d.Payload = nilIfEmpty(d.Payload)
		d.NextAt, d.CreatedAt = d.NextAt.UTC(), d.CreatedAt.UTC()
		if d.Channel == "" {
			d.Channel = incident.ChannelWebhook // what "" means
		}
		return d
	})
}

func assertByID[T any](t *testing.T, what string, got, want []T, id func(T) string, norm func(T) T) {
	t.Helper()
	byID := func(a, b T) int { return strings.Compare(id(a), id(b)) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortStableFunc(got, byID)
	slices.SortStableFunc(want, byID)
	assertInOrder(t, what, got, want, norm)
}

func assertInOrder[T any](t *testing.T, what string, got, want []T, norm func(T) T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d of %s, want %d", len(got), what, len(want))
	}
	for i := range min(len(got), len(want)) {
		g, w := norm(got[i]), norm(want[i])
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s %d:\n got %s\nwant %s", what, i, showValue(g), showValue(w))
		}
	}
}

// showValue prints v with long strings cut, so that a failure stays
// readable.
func showValue(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 4000 {
		s = s[:4000] + "…"
	}
	return s
}

func normComponent(c incident.Component) incident.Component {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c
}

func normIncident(i incident.Incident) incident.Incident {
	i.ComponentIDs = nilIfEmpty(i.ComponentIDs)
	for _, p := range []*time.Time{&i.CreatedAt, &i.UpdatedAt, &i.StartedAt, &i.MonitoringAt, &i.ResolvedAt,
		&i.ScheduledFor, &i.ScheduledUntil, &i.PostmortemPublishedAt, &i.PublishedAt} {
		*p = p.UTC()
	}
	var updates []incident.Update
	for _, u := range i.Updates {
		u.CreatedAt, u.DisplayAt = u.CreatedAt.UTC(), u.DisplayAt.UTC()
		u.Affected = nilIfEmpty(u.Affected)
		updates = append(updates, u)
	}
	i.Updates = updates
	return i
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
