package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// queued returns the subscriber IDs of every queued delivery, in queue
// order, and removes them.
func queued(t *testing.T, store incident.Store) []string {
	t.Helper()
	due, err := store.DueDeliveries(t.Context(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 100)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, d := range due {
		to = append(to, d.SubscriberID)
		if err := store.Delivered(t.Context(), d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// assertOffThePublicSide checks that draft id is in the snapshot's Drafts
// and in none of its public parts.
func assertOffThePublicSide(t *testing.T, s *incident.Service, id string) {
	t.Helper()
	snap := s.Snapshot()
	if snap.Incident(id) != nil || len(snap.Incidents) != 0 {
		t.Errorf("public incidents: %d, Incident(%s) = %v; want none: a draft is not public", len(snap.Incidents), id, snap.Incident(id))
	}
	if snap.Draft(id) == nil {
		t.Errorf("Draft(%s) = nil; want the draft (admins see it)", id)
	}
	if snap.Indicator != incident.IndicatorNone {
		t.Errorf("indicator %s; want none: a draft's impact does not count", snap.Indicator)
	}
	for _, c := range snap.Components {
		if c.Status != incident.Operational {
			t.Errorf("component %s is %s; want operational: a draft changes no component", c.ID, c.Status)
		}
	}
	for id, u := range snap.Uptime {
		for _, d := range u.Days {
			if d.OutageMinutes != 0 {
				t.Errorf("component %s: %v minutes of outage on %s; want none", id, d.OutageMinutes, d.Date.Format(time.DateOnly))
			}
		}
	}
	if sum := incident.ToAPISummary(snap); len(sum.Incidents) != 0 {
		t.Errorf("summary.json lists %d incidents; want none", len(sum.Incidents))
	}
}

// A draft opened by automation at 17:00:45 and updated at 17:01 stays off
// every public part of the page and reaches no subscriber; published at
// 17:03 it appears as of then, with both updates at their own times, its
// components at the status its latest update gave them, and one webhook.
func TestDraftIsPublicOnlyOncePublished(t *testing.T) {
	s, clk, store := newService(t, nil, day1)
	ctx := t.Context()
	if err := store.AddSubscriber(ctx, incident.Subscriber{ID: "everything", URL: "https://a.example/hook"}); err != nil {
		t.Fatal(err)
	}
	opened := day1.Add(45 * time.Second)
	clk.Set(opened)
	d := mustOpen(t, s, incident.OpenIncident{Name: "Website and API are returning errors", Body: "We are investigating.", Draft: true,
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage, "api": incident.MajorOutage}})
	if !d.Draft || d.Impact != incident.ImpactCritical {
		t.Errorf("opened %+v; want a draft of critical impact", d)
	}
	assertOffThePublicSide(t, s, d.ID)
	if got := queued(t, store); len(got) != 0 {
		t.Errorf("opening a draft queued webhooks to %v; want none", got)
	}

	identified := day1.Add(time.Minute)
	clk.Set(identified)
	mustUpdate(t, s, d.ID, incident.PostUpdate{Status: incident.Identified, Body: "We have identified the issue.",
		Components: map[string]incident.ComponentStatus{"website": incident.PartialOutage}})
	assertOffThePublicSide(t, s, d.ID)
	if got := queued(t, store); len(got) != 0 {
		t.Errorf("updating a draft queued webhooks to %v; want none", got)
	}
	draft := s.Snapshot().Draft(d.ID)
	if got := draft.Updates[0].Affected; len(got) != 1 || got[0].Old != incident.MajorOutage || got[0].New != incident.PartialOutage {
		t.Errorf("the draft's update shows %+v; want website major_outage -> partial_outage (over the draft's own status)", got)
	}

	published := day1.Add(3 * time.Minute)
	clk.Set(published)
	inc, err := s.Publish(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Draft || !inc.PublishedAt.Equal(published) || !inc.CreatedAt.Equal(published) || !inc.UpdatedAt.Equal(published) {
		t.Errorf("published: draft %v, published %s, created %s, updated %s; want all at %s",
			inc.Draft, inc.PublishedAt, inc.CreatedAt, inc.UpdatedAt, published)
	}
	snap := s.Snapshot()
	pub := snap.Incident(d.ID)
	if pub == nil || len(snap.Drafts) != 0 {
		t.Fatalf("after Publish: Incident = %v, %d drafts; want it public", pub, len(snap.Drafts))
	}
	if len(pub.Updates) != 2 || !pub.Updates[0].DisplayAt.Equal(identified) || !pub.Updates[1].DisplayAt.Equal(opened) ||
		!pub.StartedAt.Equal(opened) || pub.Status != incident.Identified {
		t.Errorf("published incident %+v; want identified, started %s, its updates posted at %s and %s", pub, opened, identified, opened)
	}
	if got := componentStatus(t, s, "website"); got != incident.PartialOutage {
		t.Errorf("website after publish: %s; want partial_outage (the latest update's)", got)
	}
	if got := componentStatus(t, s, "api"); got != incident.MajorOutage {
		t.Errorf("api after publish: %s; want major_outage (the first update's)", got)
	}
	if snap.Indicator != incident.IndicatorCritical {
		t.Errorf("indicator after publish: %s; want critical", snap.Indicator)
	}
	// The outage counts from the publish, when the page first said so:
	// an hour after the first alert, 57 minutes of it.
	clk.Set(day1.Add(time.Hour))
	if err := s.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]float64{"website": 57 * 0.3, "api": 57} {
		days := s.Snapshot().Uptime[id].Days
		today := days[len(days)-1]
		if today.OutageMinutes < want-0.5 || today.OutageMinutes > want+0.5 {
			t.Errorf("%s: %v minutes of outage today; want about %v, from the publish at 17:03", id, today.OutageMinutes, want)
		}
	}
	if got := strings.Join(queued(t, store), " "); got != "everything" {
		t.Errorf("publishing queued webhooks to %q; want one to everything", got)
	}
	if sum := incident.ToAPISummary(snap); len(sum.Incidents) != 1 || sum.Incidents[0].CreatedAt == "" {
		t.Errorf("summary.json: %+v; want the incident", sum.Incidents)
	}

	// Published, it is an incident as any other.
	mustUpdate(t, s, d.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "Recovered."})
	if got := strings.Join(queued(t, store), " "); got != "everything" {
		t.Errorf("an update after publishing reached %q; want everything", got)
	}
	_, err = s.Publish(ctx, d.ID)
	if e := wantCode(t, err, headroom.ECONFLICT); !strings.Contains(e.Message, "published already") {
		t.Errorf("publishing twice: %q; want it to say it is published already", e.Message)
	}
}

// A draft resolved before anyone published it (a false alarm, discarded)
// never reaches the page; published later, it is history: resolved, and
// no component changes, not even one another incident has in an outage.
func TestDraftResolvedWhileADraft(t *testing.T) {
	s, clk, store := newService(t, nil, day1)
	ctx := t.Context()
	if err := store.AddSubscriber(ctx, incident.Subscriber{ID: "everything", URL: "https://a.example/hook"}); err != nil {
		t.Fatal(err)
	}
	d := mustOpen(t, s, incident.OpenIncident{Name: "Errors", Body: "Investigating.", Draft: true,
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage}})
	clk.Set(day1.Add(10 * time.Minute))
	r := mustUpdate(t, s, d.ID, incident.PostUpdate{Status: incident.Resolved, Body: "A false alarm."})
	if !r.Draft || r.Status != incident.Resolved || !r.ResolvedAt.Equal(day1.Add(10*time.Minute)) {
		t.Errorf("resolved draft %+v; want a draft, resolved at 17:10", r)
	}
	if got := r.Updates[0].Affected; len(got) != 1 || got[0].ComponentID != "website" || got[0].Old != incident.MajorOutage || got[0].New != incident.Operational {
		t.Errorf("resolving shows %+v; want website major_outage -> operational (the draft's own status)", got)
	}
	if got := r.Pending(); got["website"] != incident.Operational {
		t.Errorf("pending %v; want website operational", got)
	}
	assertOffThePublicSide(t, s, d.ID)
	if got := queued(t, store); len(got) != 0 {
		t.Errorf("a discarded draft queued webhooks to %v; want none", got)
	}
	_, err := s.SavePostmortem(ctx, d.ID, "What happened.")
	if e := wantCode(t, err, headroom.EINVALID); !strings.Contains(e.Message, "postmortem: ") || !strings.Contains(e.Message, "draft") {
		t.Errorf("a postmortem of a draft: %q; want it refused, naming the field and the draft", e.Message)
	}

	if err := s.SetComponent(ctx, "website", incident.PartialOutage); err != nil {
		t.Fatal(err)
	}
	queued(t, store)
	clk.Set(day1.Add(time.Hour))
	if _, err := s.Publish(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if got := componentStatus(t, s, "website"); got != incident.PartialOutage {
		t.Errorf("website after publishing a resolved draft: %s; want partial_outage (left alone)", got)
	}
	if inc := s.Snapshot().Incident(d.ID); inc == nil || inc.Status != incident.Resolved || inc.Unresolved() {
		t.Errorf("published resolved draft: %+v; want it in the history, resolved", inc)
	}
	if got := strings.Join(queued(t, store), " "); got != "everything" {
		t.Errorf("publishing queued webhooks to %q; want everything", got)
	}
}

// A draft that reached Monitoring (its components back to operational)
// publishes without an outage.
func TestDraftMonitoringPublishesOperational(t *testing.T) {
	s, _, _ := newService(t, nil, day1)
	d := mustOpen(t, s, incident.OpenIncident{Name: "Errors", Body: "Investigating.", Draft: true,
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage}})
	mustUpdate(t, s, d.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "Recovered.",
		Components: map[string]incident.ComponentStatus{"website": incident.Operational}})
	inc, err := s.Publish(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Monitoring || componentStatus(t, s, "website") != incident.Operational {
		t.Errorf("published %s with website %s; want monitoring, operational", inc.Status, componentStatus(t, s, "website"))
	}
	if s.Snapshot().Indicator != incident.IndicatorCritical {
		// Statuspage's rule: an unresolved incident's impact counts.
		t.Errorf("indicator %s; want critical (the open incident's impact)", s.Snapshot().Indicator)
	}
}

func TestPublishRefuses(t *testing.T) {
	s, _, _ := newService(t, nil, day1)
	ctx := t.Context()
	public := mustOpen(t, s, incident.OpenIncident{Name: "502s", Body: "Looking."})
	m, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "Upgrade", Body: "Upgrading.", ScheduledFor: day1.Add(time.Hour),
		ScheduledUntil: day1.Add(2 * time.Hour), Components: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, id, code, says string
	}{
		{"unknown incident", "nosuch", headroom.ENOTFOUND, `"nosuch"`},
		{"an incident opened public", public.ID, headroom.ECONFLICT, "public since it was opened; expected a draft"},
		{"a maintenance", m.ID, headroom.ECONFLICT, "maintenance"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Publish(ctx, tt.id)
			if e := wantCode(t, err, tt.code); !strings.Contains(e.Message, tt.says) {
				t.Errorf("message %q; want it to say %q", e.Message, tt.says)
			}
		})
	}
}

// Publish retries on ECONFLICT like the other writes: an update another
// replica made to the draft meanwhile is published with it; a publish
// another replica made meanwhile makes this one a conflict, not a second
// webhook.
func TestPublishConflictRetry(t *testing.T) {
	a, c, store := newService(t, nil, day1)
	d := mustOpen(t, a, incident.OpenIncident{Name: "502s", Body: "Looking.", Draft: true})

	cs := &conflictingStore{Store: store}
	cfg := bitbucketConfig(cs, c)
	cfg.NewID = ids("b")
	b, err := incident.NewService(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs.commits.Store(0)
	cs.meddle = func() {
		mustUpdate(t, a, d.ID, incident.PostUpdate{Status: incident.Identified, Body: "From replica A."})
	}
	got, err := b.Publish(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Draft || got.Version != 3 || len(got.Updates) != 2 || got.Status != incident.Identified {
		t.Errorf("published %+v; want version 3 with A's update", got)
	}
	if n := cs.commits.Load(); n != 2 {
		t.Errorf("B committed %d times; want 2 (a conflict, then the retry)", n)
	}

	d2 := mustOpen(t, a, incident.OpenIncident{Name: "Again", Body: "Looking.", Draft: true})
	cs.commits.Store(0)
	cs.meddle = func() {
		if _, err := a.Publish(t.Context(), d2.ID); err != nil {
			t.Error(err)
		}
	}
	_, err = b.Publish(t.Context(), d2.ID)
	wantCode(t, err, headroom.ECONFLICT)
}
