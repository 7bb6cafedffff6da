package incident_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/memory"
)

var day1 = time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)

func TestServiceRejects(t *testing.T) {
	s, _, store := newService(t, nil, day1)
	ctx := t.Context()
	open := mustOpen(t, s, incident.OpenIncident{Name: "502s", Body: "Looking."})
	resolved := mustOpen(t, s, incident.OpenIncident{Name: "Old", Body: "Looking."})
	mustUpdate(t, s, resolved.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Fixed."})
	pm := mustOpen(t, s, incident.OpenIncident{Name: "Written up", Body: "Looking."})
	mustUpdate(t, s, pm.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Fixed."})
	if _, err := s.SavePostmortem(ctx, pm.ID, "What happened."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishPostmortem(ctx, pm.ID); err != nil {
		t.Fatal(err)
	}
	maint, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "DB upgrade", Body: "Upgrading.", ScheduledFor: day1.Add(time.Hour), ScheduledUntil: day1.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	const components = `"website", "api", "git-https", "git-ssh"`
	const componentStatuses = `"operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"`
	for _, tc := range []struct {
		name  string
		write func() error
		code  string
		msg   string
	}{
		{"open: empty name", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "  ", Body: "x"})
			return err
		}, headroom.EINVALID, `name: empty; expected the incident's title`},
		{"open: empty body", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "\n\t "})
			return err
		}, headroom.EINVALID, `body: empty; expected the update's text in Markdown`},
		{"open: unknown component", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", Components: map[string]incident.ComponentStatus{"api-gateway": incident.MajorOutage}})
			return err
		}, headroom.EINVALID, `components["api-gateway"]: unknown component; expected one of ` + components},
		{"open: not a component status", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", Components: map[string]incident.ComponentStatus{"website": "down"}})
			return err
		}, headroom.EINVALID, `components["website"]: "down" is not a component status; expected one of ` + componentStatuses},
		{"open: resolved", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", Status: incident.Resolved})
			return err
		}, headroom.EINVALID, `status: "resolved" is not allowed when opening an incident; expected one of "investigating", "identified", "monitoring"`},
		{"open: a maintenance's impact", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", Impact: incident.ImpactMaintenance})
			return err
		}, headroom.EINVALID, `impact: "maintenance" is not an incident's impact; expected one of "none", "minor", "major", "critical"`},
		{"open: a line break in the name", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "502\nSubject: spam", Body: "x"})
			return err
		}, headroom.EINVALID, `name: control character U+000A at byte 3; expected the incident's title`},
		{"open: NUL in the body", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "ok\x00"})
			return err
		}, headroom.EINVALID, `body: control character U+0000 at byte 2; expected the update's text in Markdown`},
		{"open: not UTF-8", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "caf\xe9", Body: "x"})
			return err
		}, headroom.EINVALID, `name: not valid UTF-8; expected the incident's title`},
		{"open: a name too long", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: strings.Repeat("é", 256), Body: "x"})
			return err
		}, headroom.EINVALID, `name: 256 characters; expected at most 255`},
		{"open: posted in the future", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", DisplayAt: day1.Add(time.Hour)})
			return err
		}, headroom.EINVALID, `display_at: 2021-06-30T18:00:00Z is after now (2021-06-30T17:00:00Z); expected a time not in the future`},
		{"open: started in 1678 (a typo that would render thousands of history pages)", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Name: "x", Body: "x", StartedAt: time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)})
			return err
		}, headroom.EINVALID, `started_at: 1678-01-01T00:00:00Z is more than 20 years ago; expected a time since 2001-07-05`},
		{"schedule: in the year 3000", func() error {
			_, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "x", Body: "x", ScheduledFor: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), ScheduledUntil: time.Date(3000, 1, 2, 0, 0, 0, 0, time.UTC)})
			return err
		}, headroom.EINVALID, `scheduled_for: 3000-01-01T00:00:00Z to 3000-01-02T00:00:00Z; expected times within 20 years of now`},
		{"open: every problem at once", func() error {
			_, err := s.Open(ctx, incident.OpenIncident{Components: map[string]incident.ComponentStatus{"b": incident.Operational, "a": incident.Operational}})
			return err
		}, headroom.EINVALID, `name: empty; expected the incident's title; body: empty; expected the update's text in Markdown; ` +
			`components["a"]: unknown component; expected one of ` + components + `; components["b"]: unknown component; expected one of ` + components},

		{"update: unknown incident", func() error {
			_, err := s.Update(ctx, "nope", incident.PostUpdate{Status: incident.Resolved, Body: "x"})
			return err
		}, headroom.ENOTFOUND, `incident "nope": not found`},
		{"update: empty body", func() error {
			_, err := s.Update(ctx, open.ID, incident.PostUpdate{Status: incident.Identified})
			return err
		}, headroom.EINVALID, `body: empty; expected the update's text in Markdown`},
		{"update: no status", func() error {
			_, err := s.Update(ctx, open.ID, incident.PostUpdate{Body: "x"})
			return err
		}, headroom.EINVALID, `status: empty; expected the status after this update`},
		{"update: a maintenance status on an incident", func() error {
			_, err := s.Update(ctx, open.ID, incident.PostUpdate{Status: incident.InProgress, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "in_progress" is not an incident status; expected one of "investigating", "identified", "monitoring", "resolved"`},
		{"update: an incident status on a maintenance", func() error {
			_, err := s.Update(ctx, maint.ID, incident.PostUpdate{Status: incident.Investigating, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "investigating" is not a maintenance status; expected one of "scheduled", "in_progress", "completed"`},
		{"update: postmortem by hand", func() error {
			_, err := s.Update(ctx, resolved.ID, incident.PostUpdate{Status: incident.Postmortem, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "postmortem" after "resolved" is not allowed; expected "resolved" (publish the postmortem to reach "postmortem")`},
		{"update: reopening a resolved incident", func() error {
			_, err := s.Update(ctx, resolved.ID, incident.PostUpdate{Status: incident.Investigating, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "investigating" after "resolved" is not allowed; expected "resolved"`},
		{"update: leaving postmortem", func() error {
			_, err := s.Update(ctx, pm.ID, incident.PostUpdate{Status: incident.Resolved, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "resolved" after "postmortem" is not allowed; expected "postmortem"`},
		{"update: a maintenance backwards", func() error {
			_, err := s.Update(ctx, maint.ID, incident.PostUpdate{Status: incident.Verifying, Body: "x"})
			return err
		}, headroom.EINVALID, `status: "verifying" after "scheduled" is not allowed; expected one of "scheduled", "in_progress", "completed"`},
		{"update: an impact on a maintenance", func() error {
			_, err := s.Update(ctx, maint.ID, incident.PostUpdate{Status: incident.InProgress, Body: "x", Impact: incident.ImpactCritical})
			return err
		}, headroom.EINVALID, `impact: "critical" on a maintenance; expected "maintenance" or none`},

		{"component: unknown", func() error {
			return s.SetComponent(ctx, "cdn", incident.MajorOutage)
		}, headroom.ENOTFOUND, `component "cdn": not found; expected one of ` + components},
		{"component: not a status", func() error {
			return s.SetComponent(ctx, "api", "broken")
		}, headroom.EINVALID, `status: "broken" is not a component status; expected one of ` + componentStatuses},

		{"postmortem of an open incident", func() error {
			_, err := s.SavePostmortem(ctx, open.ID, "x")
			return err
		}, headroom.EINVALID, `postmortem: incident "` + open.ID + `" is "investigating"; expected a resolved incident (resolve it first)`},
		{"postmortem of a maintenance", func() error {
			_, err := s.SavePostmortem(ctx, maint.ID, "x")
			return err
		}, headroom.EINVALID, `postmortem: incident "` + maint.ID + `" is a maintenance; expected an incident`},
		{"publish without a draft", func() error {
			_, err := s.PublishPostmortem(ctx, resolved.ID)
			return err
		}, headroom.EINVALID, `postmortem: incident "` + resolved.ID + `" has no draft; expected a draft saved first`},
		{"publish an unknown incident", func() error {
			_, err := s.PublishPostmortem(ctx, "nope")
			return err
		}, headroom.ENOTFOUND, `incident "nope": not found`},

		{"schedule: until before for", func() error {
			_, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "x", Body: "x", ScheduledFor: day1, ScheduledUntil: day1})
			return err
		}, headroom.EINVALID, `scheduled_until: 2021-06-30T17:00:00Z is not after scheduled_for 2021-06-30T17:00:00Z; expected when the maintenance ends`},
		{"schedule: unknown component", func() error {
			_, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "x", Body: "x", ScheduledFor: day1, ScheduledUntil: day1.Add(time.Hour), Components: []string{"api", "db"}})
			return err
		}, headroom.EINVALID, `components[1]: "db" is an unknown component; expected one of ` + components},
		{"schedule: no name, no start", func() error {
			_, err := s.Schedule(ctx, incident.ScheduleMaintenance{Body: "x"})
			return err
		}, headroom.EINVALID, `name: empty; expected the maintenance's title; scheduled_for: empty; expected when the maintenance starts`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := storeVersion(t, store)
			err := tc.write()
			e := wantCode(t, err, tc.code)
			if e.Message != tc.msg {
				t.Errorf("message:\n got %s\nwant %s", e.Message, tc.msg)
			}
			if after := storeVersion(t, store); after != before {
				t.Errorf("a refused write committed: store version %d → %d", before, after)
			}
		})
	}
}

// Real text passes: Markdown with line breaks, tabs, non-breaking spaces
// and curly quotes (the seed's postmortem has them).
func TestServiceAcceptsRealText(t *testing.T) {
	s, _, _ := newService(t, nil, day1)
	body := "**Update:**\n\n\t• website\u00a0and API — it\u2019s fixed.\r\n"
	if _, err := s.Open(t.Context(), incident.OpenIncident{Name: "Bitbucket\u00a0502s \u201cagain\u201d", Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestServiceComponentsAndImpact(t *testing.T) {
	s, c, _ := newService(t, nil, day1)
	inc := mustOpen(t, s, incident.OpenIncident{
		Name: "Slow API", Body: "Looking.",
		Components: map[string]incident.ComponentStatus{"api": incident.DegradedPerformance},
	})
	if inc.Impact != incident.ImpactMinor || inc.Version != 1 || inc.Status != incident.Investigating {
		t.Errorf("opened: impact %s, version %d, status %s; want minor (from degraded), 1, investigating", inc.Impact, inc.Version, inc.Status)
	}
	if a := inc.Updates[0].Affected; len(a) != 1 || a[0] != (incident.Affected{ComponentID: "api", Name: "API", Old: incident.Operational, New: incident.DegradedPerformance}) {
		t.Errorf("first update affected %+v; want API operational → degraded_performance", a)
	}

	c.Set(day1.Add(10 * time.Minute))
	inc = mustUpdate(t, s, inc.ID, incident.PostUpdate{
		Status: incident.Identified, Body: "Found it.",
		Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage},
	})
	if inc.Impact != incident.ImpactCritical {
		t.Errorf("impact %s after the website went down; want critical (it rises with the components)", inc.Impact)
	}
	if got := strings.Join(inc.ComponentIDs, ","); got != "website,api" {
		t.Errorf("ComponentIDs = %s; want website,api (accumulated, page order)", got)
	}
	inc = mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "Less bad.", Impact: incident.ImpactMajor})
	if inc.Impact != incident.ImpactMajor {
		t.Errorf("impact %s; want major (the writer's)", inc.Impact)
	}

	// Monitoring, a failed fix back to identified, monitoring again:
	// MonitoringAt is the first time.
	c.Set(day1.Add(20 * time.Minute))
	mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "Fix deployed."})
	c.Set(day1.Add(25 * time.Minute))
	mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "The fix did not hold."})
	c.Set(day1.Add(30 * time.Minute))
	inc = mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "Second fix."})
	if !inc.MonitoringAt.Equal(day1.Add(20 * time.Minute)) {
		t.Errorf("MonitoringAt = %v; want the first time it was reached, %v", inc.MonitoringAt, day1.Add(20*time.Minute))
	}

	// Resolving returns the components the update does not name.
	c.Set(day1.Add(40 * time.Minute))
	inc = mustUpdate(t, s, inc.ID, incident.PostUpdate{
		Status: incident.Resolved, Body: "Resolved.",
		Components: map[string]incident.ComponentStatus{"api": incident.Operational},
	})
	if componentStatus(t, s, "website") != incident.Operational || componentStatus(t, s, "api") != incident.Operational {
		t.Errorf("after resolving: website %s, api %s; want both operational", componentStatus(t, s, "website"), componentStatus(t, s, "api"))
	}
	wantAffected := []incident.Affected{
		{ComponentID: "website", Name: "Website", Old: incident.MajorOutage, New: incident.Operational},
		{ComponentID: "api", Name: "API", Old: incident.DegradedPerformance, New: incident.Operational},
	}
	if got := inc.Updates[0].Affected; len(got) != 2 || got[0] != wantAffected[0] || got[1] != wantAffected[1] {
		t.Errorf("resolving update affected %+v; want %+v", got, wantAffected)
	}
	if !inc.ResolvedAt.Equal(day1.Add(40*time.Minute)) || inc.Version != 7 || inc.Impact != incident.ImpactMajor {
		t.Errorf("resolved at %v, version %d, impact %s; want %v, 7, major (kept)", inc.ResolvedAt, inc.Version, inc.Impact, day1.Add(40*time.Minute))
	}

	// A note on the resolved incident leaves components alone.
	if err := s.SetComponent(t.Context(), "website", incident.DegradedPerformance); err != nil {
		t.Fatal(err)
	}
	inc = mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Root cause: a config change."})
	if componentStatus(t, s, "website") != incident.DegradedPerformance || !inc.ResolvedAt.Equal(day1.Add(40*time.Minute)) {
		t.Errorf("a resolved note: website %s, resolved at %v; want degraded_performance untouched, %v kept", componentStatus(t, s, "website"), inc.ResolvedAt, day1.Add(40*time.Minute))
	}
	if len(inc.Updates) != 8 || inc.Updates[0].Body != "Root cause: a config change." {
		t.Errorf("%d updates, newest %q; want 8, the note first", len(inc.Updates), inc.Updates[0].Body)
	}
}

// A 60-minute major outage on one day, through SetComponent: that day has
// 60 outage minutes and the 90 days 100 − 60/(90×1440)×100 percent.
func TestServiceUptime(t *testing.T) {
	s, c, _ := newService(t, nil, day1)
	ctx := t.Context()
	c.Set(time.Date(2021, 7, 1, 10, 0, 0, 0, time.UTC))
	if err := s.SetComponent(ctx, "api", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2021, 7, 1, 11, 0, 0, 0, time.UTC))
	if err := s.SetComponent(ctx, "api", incident.Operational); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2021, 7, 2, 9, 0, 0, 0, time.UTC))
	if err := s.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	u := s.Snapshot().Uptime["api"]
	yesterday := u.Days[len(u.Days)-2]
	if !yesterday.Date.Equal(time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)) || yesterday.OutageMinutes != 60 || yesterday.Worst != incident.MajorOutage {
		t.Errorf("%s: %.2f minutes, worst %s; want 2021-07-01, 60, major_outage", yesterday.Date.Format(time.DateOnly), yesterday.OutageMinutes, yesterday.Worst)
	}
	if want := 100 - 60.0/(90*1440)*100; !near(u.Percent, want) {
		t.Errorf("Percent = %.10f; want %.10f", u.Percent, want)
	}
	if !s.Snapshot().UpdatedAt.Equal(time.Date(2021, 7, 1, 11, 0, 0, 0, time.UTC)) || !s.Snapshot().BuiltAt.Equal(time.Date(2021, 7, 2, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("UpdatedAt %v, BuiltAt %v; want the last write (07-01 11:00) and now (07-02 09:00)", s.Snapshot().UpdatedAt, s.Snapshot().BuiltAt)
	}
}

// conflictingStore lets another writer in between a Service's load and its
// commit: before the first commit of the Service it wraps, it runs meddle.
type conflictingStore struct {
	incident.Store
	meddle  func()
	commits atomic.Int32
}

func (c *conflictingStore) Commit(ctx context.Context, ch *incident.Change) error {
	if c.commits.Add(1) == 1 && c.meddle != nil {
		c.meddle()
	}
	return c.Store.Commit(ctx, ch)
}

// Two replicas write the same incident: the one whose commit comes second
// gets ECONFLICT, reloads, checks its update against what the other wrote
// and stores it after it; nothing is lost.
func TestServiceConflictRetry(t *testing.T) {
	a, c, store := newService(t, nil, day1)
	inc := mustOpen(t, a, incident.OpenIncident{Name: "502s", Body: "Looking."})

	cs := &conflictingStore{Store: store}
	cfg := bitbucketConfig(cs, c)
	cfg.NewID = ids("b")
	b, err := incident.NewService(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs.commits.Store(0)
	cs.meddle = func() {
		mustUpdate(t, a, inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "From replica A."})
	}
	got, err := b.Update(t.Context(), inc.ID, incident.PostUpdate{Status: incident.Monitoring, Body: "From replica B."})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || len(got.Updates) != 3 || got.Updates[0].Body != "From replica B." || got.Updates[1].Body != "From replica A." {
		var bodies []string
		for _, u := range got.Updates {
			bodies = append(bodies, u.Body)
		}
		t.Errorf("version %d, updates %q; want version 3 with B's update after A's", got.Version, bodies)
	}
	if n := cs.commits.Load(); n != 2 {
		t.Errorf("B committed %d times; want 2 (a conflict, then the retry)", n)
	}
	// A sees B's write once it refreshes.
	if err := a.Refresh(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if st := a.Snapshot().Incident(inc.ID).Status; st != incident.Monitoring {
		t.Errorf("A's snapshot after Refresh: %s; want monitoring (B's write)", st)
	}

	// The retry checks the rules again: B's update no longer fits once A
	// resolved the incident in between.
	cs.commits.Store(0)
	cs.meddle = func() {
		mustUpdate(t, a, inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "Resolved by A."})
	}
	_, err = b.Update(t.Context(), inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "B thinks it is not over."})
	if e := wantCode(t, err, headroom.EINVALID); !strings.Contains(e.Message, `"identified" after "resolved"`) {
		t.Errorf("message %q; want the transition from resolved refused", e.Message)
	}
}

// alwaysConflicting refuses every incident write, as a store under
// another replica's constant writes would.
type alwaysConflicting struct {
	incident.Store
	commits int
}

func (a *alwaysConflicting) Commit(ctx context.Context, ch *incident.Change) error {
	if ch.Incident == nil {
		return a.Store.Commit(ctx, ch)
	}
	a.commits++
	return headroom.Errorf(headroom.ECONFLICT, "incident %q: changed meanwhile", ch.Incident.ID)
}

func TestServiceConflictGivesUp(t *testing.T) {
	_, c, store := newService(t, nil, day1)
	ac := &alwaysConflicting{Store: store}
	s, err := incident.NewService(t.Context(), bitbucketConfig(ac, c))
	if err != nil {
		t.Fatal(err)
	}
	s.Retries = 2
	_, err = s.Open(t.Context(), incident.OpenIncident{Name: "x", Body: "x"})
	wantCode(t, err, headroom.ECONFLICT)
	if ac.commits != 3 {
		t.Errorf("%d commits; want 3 (the write and 2 retries)", ac.commits)
	}
}

func TestServiceNotifications(t *testing.T) {
	s, _, store := newService(t, nil, day1)
	ctx := t.Context()
	for _, sub := range []incident.Subscriber{
		{ID: "everything", URL: "https://a.example/hook"},
		{ID: "website-only", URL: "https://b.example/hook", ComponentIDs: []string{"website"}},
		{ID: "git-only", URL: "https://c.example/hook", ComponentIDs: []string{"git-ssh", "git-https"}},
	} {
		if err := store.AddSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	drain := func() []string {
		t.Helper()
		due, err := store.DueDeliveries(ctx, day1.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, d := range due {
			to = append(to, d.SubscriberID)
			if err := store.Delivered(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		}
		return to
	}
	inc := mustOpen(t, s, incident.OpenIncident{Name: "502s", Body: "x", Components: map[string]incident.ComponentStatus{"website": incident.MajorOutage}})
	if got := strings.Join(drain(), " "); got != "everything website-only" {
		t.Errorf("opening an incident on the website reached %q; want everything website-only", got)
	}
	mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Identified, Body: "x", Components: map[string]incident.ComponentStatus{"git-ssh": incident.PartialOutage}})
	if got := strings.Join(drain(), " "); got != "everything website-only git-only" {
		t.Errorf("an update adding git-ssh reached %q; want all three (the incident now affects both)", got)
	}
	if err := s.SetComponent(ctx, "git-https", incident.DegradedPerformance); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(drain(), " "); got != "everything git-only" {
		t.Errorf("a change of git-https reached %q; want everything git-only", got)
	}
	if err := s.SetComponent(ctx, "git-https", incident.DegradedPerformance); err != nil {
		t.Fatal(err)
	}
	if got := drain(); len(got) != 0 {
		t.Errorf("setting the status a component has reached %q; want no one (no change)", got)
	}
	if _, err := s.SavePostmortem(ctx, inc.ID, "draft"); err == nil {
		t.Fatal("SavePostmortem of an open incident succeeded")
	}
	mustUpdate(t, s, inc.ID, incident.PostUpdate{Status: incident.Resolved, Body: "x"})
	drain()
	if _, err := s.SavePostmortem(ctx, inc.ID, "draft"); err != nil {
		t.Fatal(err)
	}
	if got := drain(); len(got) != 0 {
		t.Errorf("saving a draft reached %q; want no one (a draft is not public)", got)
	}
}

func TestServiceTick(t *testing.T) {
	start := day1.Add(2 * time.Hour)
	end := start.Add(time.Hour)
	s, c, store := newService(t, nil, day1)
	ctx := t.Context()
	m, err := s.Schedule(ctx, incident.ScheduleMaintenance{
		Name: "Database upgrade", Body: "We will upgrade the database.",
		ScheduledFor: start, ScheduledUntil: end, Components: []string{"api", "website"},
		AutoStart: true, AutoComplete: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != incident.KindMaintenance || m.Impact != incident.ImpactMaintenance || m.Status != incident.Scheduled || strings.Join(m.ComponentIDs, ",") != "website,api" {
		t.Errorf("scheduled: %s, impact %s, %s, components %v; want maintenance, maintenance, scheduled, website,api", m.Kind, m.Impact, m.Status, m.ComponentIDs)
	}
	// A second replica ticks too: each move is posted once.
	other, err := incident.NewService(ctx, bitbucketConfig(store, c))
	if err != nil {
		t.Fatal(err)
	}
	tick := func(at time.Time) {
		t.Helper()
		c.Set(at)
		for _, svc := range []*incident.Service{s, other, s} {
			if err := svc.Tick(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	tick(start.Add(-time.Second))
	if got := s.Snapshot().Incident(m.ID); got.Status != incident.Scheduled || len(got.Updates) != 1 {
		t.Errorf("a second before: %s with %d updates; want scheduled, 1", got.Status, len(got.Updates))
	}
	tick(start)
	got := s.Snapshot().Incident(m.ID)
	if got.Status != incident.InProgress || len(got.Updates) != 2 || got.Updates[0].Body != incident.AutoStartBody {
		t.Errorf("at the start: %s with %d updates; want in_progress, 2, the newest %q", got.Status, len(got.Updates), incident.AutoStartBody)
	}
	if componentStatus(t, s, "api") != incident.UnderMaintenance || componentStatus(t, s, "website") != incident.UnderMaintenance {
		t.Errorf("components during it: website %s, api %s; want under_maintenance", componentStatus(t, s, "website"), componentStatus(t, s, "api"))
	}
	if snap := s.Snapshot(); snap.Indicator != incident.IndicatorMaintenance || snap.Description != "Service Under Maintenance" {
		t.Errorf("page during it: %s %q; want maintenance \"Service Under Maintenance\"", snap.Indicator, snap.Description)
	}
	tick(end)
	got = s.Snapshot().Incident(m.ID)
	if got.Status != incident.Completed || len(got.Updates) != 3 || got.Updates[0].Body != incident.AutoCompleteBody || !got.ResolvedAt.Equal(end) {
		t.Errorf("at the end: %s with %d updates, resolved at %v; want completed, 3, %v", got.Status, len(got.Updates), got.ResolvedAt, end)
	}
	if componentStatus(t, s, "api") != incident.Operational || s.Snapshot().Indicator != incident.IndicatorNone {
		t.Errorf("after: api %s, page %s; want operational, none", componentStatus(t, s, "api"), s.Snapshot().Indicator)
	}
	u := s.Snapshot().Uptime["api"]
	if d := u.Days[len(u.Days)-1]; d.Worst != incident.UnderMaintenance || d.OutageMinutes != 0 {
		t.Errorf("today's bar: worst %s, %.1f minutes; want under_maintenance, 0 (maintenance is up)", d.Worst, d.OutageMinutes)
	}

	// A maintenance whose start and end both passed while serve was
	// down is started, then completed, in one tick.
	late, err := s.Schedule(ctx, incident.ScheduleMaintenance{
		Name: "Missed", Body: "x", ScheduledFor: end.Add(time.Hour), ScheduledUntil: end.Add(2 * time.Hour),
		Components: []string{"git-ssh"}, AutoStart: true, AutoComplete: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Without AutoStart nothing moves it, AutoComplete or not.
	manual, err := s.Schedule(ctx, incident.ScheduleMaintenance{
		Name: "Manual", Body: "x", ScheduledFor: end.Add(time.Hour), ScheduledUntil: end.Add(2 * time.Hour), AutoComplete: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tick(end.Add(3 * time.Hour))
	got = s.Snapshot().Incident(late.ID)
	if got.Status != incident.Completed || len(got.Updates) != 3 || componentStatus(t, s, "git-ssh") != incident.Operational {
		t.Errorf("missed window: %s with %d updates, git-ssh %s; want completed, 3, operational", got.Status, len(got.Updates), componentStatus(t, s, "git-ssh"))
	}
	if got := s.Snapshot().Incident(manual.ID); got.Status != incident.Scheduled {
		t.Errorf("a maintenance without AutoStart: %s; want scheduled", got.Status)
	}
}

// Cancelling a maintenance never started leaves its components as they
// are: an outage stays an outage.
func TestServiceCancelMaintenance(t *testing.T) {
	s, _, _ := newService(t, nil, day1)
	ctx := t.Context()
	m, err := s.Schedule(ctx, incident.ScheduleMaintenance{Name: "x", Body: "x", ScheduledFor: day1.Add(time.Hour), ScheduledUntil: day1.Add(2 * time.Hour), Components: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetComponent(ctx, "api", incident.MajorOutage); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, m.ID, incident.PostUpdate{Status: incident.Completed, Body: "Cancelled."})
	if st := componentStatus(t, s, "api"); st != incident.MajorOutage {
		t.Errorf("api after cancelling a maintenance: %s; want major_outage (untouched)", st)
	}
}

func TestServiceRefresh(t *testing.T) {
	a, c, store := newService(t, nil, day1)
	b, err := incident.NewService(t.Context(), bitbucketConfig(store, c))
	if err != nil {
		t.Fatal(err)
	}
	var built int
	b.OnSnapshot = func(*incident.Snapshot) { built++ }
	if err := b.Refresh(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if built != 0 {
		t.Errorf("Refresh with no write rebuilt %d times; want 0", built)
	}
	if err := a.SetComponent(t.Context(), "api", incident.PartialOutage); err != nil {
		t.Fatal(err)
	}
	if st := componentStatus(t, b, "api"); st != incident.Operational {
		t.Fatalf("B's snapshot changed before Refresh: %s", st)
	}
	if err := b.Refresh(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	if st := componentStatus(t, b, "api"); built != 1 || st != incident.PartialOutage {
		t.Errorf("after Refresh: rebuilt %d times, api %s; want 1, partial_outage", built, st)
	}
	if err := b.Refresh(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	if built != 2 {
		t.Errorf("Refresh(force) rebuilt %d times in all; want 2", built)
	}
	if err := b.SetComponent(t.Context(), "api", incident.Operational); err != nil {
		t.Fatal(err)
	}
	if built != 3 || b.Snapshot().Version != storeVersion(t, store) {
		t.Errorf("after its own write: rebuilt %d times, snapshot version %d, store %d; want 3 and equal versions", built, b.Snapshot().Version, storeVersion(t, store))
	}
}

func TestNewService(t *testing.T) {
	c := &clock{now: day1}
	t.Run("configuration errors", func(t *testing.T) {
		cfg := bitbucketConfig(&memory.Incidents{}, c)
		cfg.Page.TimeZone = "Mars/Olympus"
		cfg.Components = append(cfg.Components,
			incident.Component{ID: "api", Name: "API again"},
			incident.Component{ID: "cdn", Name: "CDN", GroupID: "edge"},
			incident.Component{ID: "x"})
		_, err := incident.NewService(t.Context(), cfg)
		e := wantCode(t, err, headroom.EINVALID)
		want := `page.time_zone: "Mars/Olympus" is not a time zone; expected an IANA name such as "Etc/UTC" or "Europe/Paris"; ` +
			`components[4].id: "api" repeated; expected each component once; ` +
			`components[5].group: "edge" is not a group; expected one of the configured groups' IDs; ` +
			`components[6].name: empty; expected the name people see`
		if e.Message != want {
			t.Errorf("message:\n got %s\nwant %s", e.Message, want)
		}
	})
	t.Run("sync keeps stored statuses, adds new components operational", func(t *testing.T) {
		m := &memory.Incidents{}
		old := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := m.Commit(t.Context(), &incident.Change{Components: []incident.Component{
			{ID: "api", Name: "Old name", Status: incident.MajorOutage, CreatedAt: old, UpdatedAt: old},
		}}); err != nil {
			t.Fatal(err)
		}
		s, err := incident.NewService(t.Context(), bitbucketConfig(m, c))
		if err != nil {
			t.Fatal(err)
		}
		snap := s.Snapshot()
		var got []string
		for _, comp := range snap.Components {
			got = append(got, comp.ID+"="+string(comp.Status))
		}
		if strings.Join(got, " ") != "website=operational api=major_outage git-https=operational git-ssh=operational" {
			t.Errorf("components %v; want page order, api's stored major_outage", got)
		}
		d, _ := m.Load(t.Context(), time.Time{})
		for _, comp := range d.Components {
			if comp.ID == "api" && (comp.Name != "API" || !comp.CreatedAt.Equal(old) || comp.Status != incident.MajorOutage) {
				t.Errorf("stored api = %+v; want renamed \"API\", created %v, still major_outage", comp, old)
			}
			if comp.ID == "website" && !comp.CreatedAt.Equal(day1) {
				t.Errorf("new website created %v; want now, %v", comp.CreatedAt, day1)
			}
		}
		if snap.Indicator != incident.IndicatorMajor || snap.Description != "Partial System Outage" {
			t.Errorf("page %s %q; want major \"Partial System Outage\" (one of four down)", snap.Indicator, snap.Description)
		}
		// A second start writes nothing: nothing changed.
		v := storeVersion(t, m)
		if _, err := incident.NewService(t.Context(), bitbucketConfig(m, c)); err != nil {
			t.Fatal(err)
		}
		if storeVersion(t, m) != v {
			t.Error("a restart with the same configuration wrote to the store")
		}
	})
}

func TestSnapshotOrder(t *testing.T) {
	s, c, _ := newService(t, nil, day1)
	mustOpen(t, s, incident.OpenIncident{Name: "first", Body: "x"})
	c.Set(day1.Add(time.Hour))
	mustOpen(t, s, incident.OpenIncident{Name: "second", Body: "x"})
	// Recreated after the fact: older than both.
	mustOpen(t, s, incident.OpenIncident{Name: "recreated", Body: "x", StartedAt: day1.Add(-24 * time.Hour), DisplayAt: day1.Add(-24 * time.Hour)})
	var names []string
	for _, inc := range s.Snapshot().Incidents {
		names = append(names, inc.Name)
	}
	if got := strings.Join(names, ","); got != "second,first,recreated" {
		t.Errorf("incidents %s; want second,first,recreated (newest start first)", got)
	}
	sum := incident.ToAPISummary(s.Snapshot())
	var comps []string
	for _, c := range sum.Components {
		comps = append(comps, c.ID)
	}
	if got := strings.Join(comps, ","); got != "website,api,git,git-https,git-ssh" {
		t.Errorf("summary components %s; want website,api,git,git-https,git-ssh (each group before its members)", got)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"status":{"indicator":"none","description":"All Systems Operational"}`) {
		t.Errorf("summary.json status: %s", b)
	}
}
