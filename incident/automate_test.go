package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

var seedAuto = incident.Automation{Target: "website-and-api", Service: "website and API services", Components: []string{"website", "api"}}

func symptomAlert(at time.Time) headroom.Alert {
	return headroom.Alert{Target: "website-and-api", Signal: headroom.SignalSymptom, Rule: "fast", Severity: headroom.SeverityPage, StartsAt: at,
		Reason: headroom.Reason{Code: headroom.ReasonBudgetBurn, Message: "burning"}}
}

func causeAlert(at time.Time) headroom.Alert {
	return headroom.Alert{Target: "website-and-api", Signal: headroom.SignalCause, Rule: "capacity", Severity: headroom.SeverityPage, StartsAt: at,
		Reason: headroom.Reason{Code: headroom.ReasonCapacityShort, Message: "cut by night-savings"}}
}

// The seed's story told by automation, loop by loop: a symptom opens the
// incident (Investigating), the known cause and the capacity being added
// make it Identified, five healthy minutes Monitoring; a person resolves it.
// A restart between loops (the state through a value) changes nothing, and
// a re-trigger while Monitoring joins the open incident.
func TestAutomationTellsTheSeedStory(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, _ := newService(t, nil, t0)
	au := &incident.Automator{Service: s}
	var st incident.AutoState
	step := func(at time.Time, in incident.AutoInput) {
		t.Helper()
		clk.Set(at)
		in.Now = at
		var err error
		if st, err = au.Step(t.Context(), seedAuto, st, in); err != nil {
			t.Fatal(err)
		}
	}
	// 17:00:00 the cause alone: no customer incident yet.
	step(t0, incident.AutoInput{Alerts: []headroom.Alert{causeAlert(t0)}, HasHealth: true})
	if st.IncidentID != "" {
		t.Fatalf("a cause alone opened incident %s", st.IncidentID)
	}
	// 17:00:45 the symptom: Investigating, components by impact (60% errors: major outage).
	at := t0.Add(45 * time.Second)
	step(at, incident.AutoInput{Alerts: []headroom.Alert{causeAlert(t0), symptomAlert(at)}, ErrorRatio: 0.6, HasHealth: true, Unhealthy: true})
	if st.IncidentID == "" || st.Status != incident.Investigating {
		t.Fatalf("got %+v, want an incident investigating", st)
	}
	id := st.IncidentID
	if got := componentStatus(t, s, "website"); got != incident.MajorOutage {
		t.Errorf("website: got %s, want major_outage", got)
	}
	// 17:01:00 the cause is known and capacity is being added: Identified.
	step(t0.Add(time.Minute), incident.AutoInput{Alerts: []headroom.Alert{causeAlert(t0), symptomAlert(at)}, ErrorRatio: 0.2, HasHealth: true, Unhealthy: true, Mitigating: true})
	if st.Status != incident.Identified || st.IncidentID != id {
		t.Fatalf("got %+v, want the same incident identified", st)
	}
	// 17:10..17:15 healthy: Monitoring at 17:15, five minutes after the alerts stopped.
	for m := 10; m <= 15; m++ {
		step(t0.Add(time.Duration(m)*time.Minute), incident.AutoInput{HasHealth: true})
	}
	if st.Status != incident.Monitoring {
		t.Fatalf("got %+v, want monitoring", st)
	}
	// A re-trigger at 17:20 joins the open incident.
	again := t0.Add(20 * time.Minute)
	step(again, incident.AutoInput{Alerts: []headroom.Alert{symptomAlert(again)}, ErrorRatio: 0.02, HasHealth: true, Unhealthy: true})
	if st.IncidentID != id || st.Status != incident.Investigating {
		t.Fatalf("got %+v, want incident %s investigating again", st, id)
	}
	open := 0
	var inc incident.Incident
	for _, i := range s.Snapshot().Incidents {
		if i.Kind == incident.KindIncident && i.Status != incident.Resolved {
			open++
			inc = i
		}
	}
	if open != 1 {
		t.Fatalf("got %d open incidents, want 1", open)
	}
	var statuses []string
	for _, u := range inc.Updates {
		statuses = append(statuses, string(u.Status))
	}
	if got, want := strings.Join(statuses, ","), "investigating,monitoring,identified,investigating"; got != want {
		// Updates are newest first.
		t.Errorf("updates: got %s, want %s", got, want)
	}
	if !strings.Contains(inc.Updates[len(inc.Updates)-1].Body, "We are currently investigating an issue with the website and API services.") {
		t.Errorf("first update: got %q", inc.Updates[len(inc.Updates)-1].Body)
	}
	if !strings.Contains(inc.Updates[len(inc.Updates)-2].Body, "auto-scaling configuration reduced capacity") {
		t.Errorf("identified: got %q", inc.Updates[len(inc.Updates)-2].Body)
	}

	// A person resolves it: the next alert opens a new incident.
	mustUpdate(t, s, id, incident.PostUpdate{Status: incident.Resolved, Body: "This incident has been resolved."})
	later := t0.Add(2 * time.Hour)
	step(later, incident.AutoInput{Alerts: []headroom.Alert{symptomAlert(later)}, HasHealth: true})
	if st.IncidentID == "" || st.IncidentID == id {
		t.Fatalf("got %+v, want a new incident", st)
	}
}

func TestAutomationResolvesWhenConfigured(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, _ := newService(t, nil, t0)
	au := &incident.Automator{Service: s}
	a := seedAuto
	a.ResolveAfter = 10 * time.Minute
	var st incident.AutoState
	var err error
	for m := 0; m <= 30; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		clk.Set(at)
		in := incident.AutoInput{Now: at, HasHealth: true}
		if m < 2 {
			in.Alerts, in.Unhealthy = []headroom.Alert{symptomAlert(t0)}, true
		}
		if st, err = au.Step(t.Context(), a, st, in); err != nil {
			t.Fatal(err)
		}
		if m == 16 && st.IncidentID == "" {
			// ResolveAfter is 10m but never sooner than JoinWithin (15m).
			t.Fatalf("resolved after %d healthy minutes, before JoinWithin", m-2)
		}
	}
	if st.IncidentID != "" {
		t.Fatalf("got %+v, want resolved", st)
	}
	inc := s.Snapshot().Incidents[0]
	if inc.Status != incident.Resolved || !inc.ResolvedAt.Equal(t0.Add(17*time.Minute)) {
		t.Errorf("got %s at %s, want resolved at 17:17", inc.Status, inc.ResolvedAt)
	}
}

func TestAutomationSuppressedDuringMaintenance(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, _ := newService(t, nil, t0)
	m, err := s.Schedule(t.Context(), incident.ScheduleMaintenance{Name: "Resize", Body: "Resizing the fleet.", ScheduledFor: t0.Add(time.Minute),
		ScheduledUntil: t0.Add(time.Hour), Components: []string{"website"}, AutoStart: true})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(2 * time.Minute))
	if err := s.Tick(t.Context(), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	au := &incident.Automator{Service: s}
	at := t0.Add(3 * time.Minute)
	clk.Set(at)
	st, err := au.Step(t.Context(), seedAuto, incident.AutoState{}, incident.AutoInput{Now: at, Alerts: []headroom.Alert{symptomAlert(at)}, HasHealth: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.IncidentID != "" {
		t.Fatalf("opened %s during maintenance %s", st.IncidentID, m.ID)
	}
}

// In draft mode the seed's story stays off the page until a person
// publishes it: the draft is opened at the first symptom and kept up to
// date (Identified, Monitoring), components untouched, no incident on the
// public side; once published, automation goes on updating the now public
// incident. A draft resolved by automation (a false alarm) never reaches
// the page, and the next alert opens a new draft.
func TestAutomationDrafts(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, store := newService(t, nil, t0)
	if err := store.AddSubscriber(t.Context(), incident.Subscriber{ID: "everything", URL: "https://a.example/hook"}); err != nil {
		t.Fatal(err)
	}
	var postmortems []string
	au := &incident.Automator{Service: s, Postmortem: func(_ context.Context, _ string, inc *incident.Incident) (string, error) {
		postmortems = append(postmortems, inc.ID)
		return "## What happened", nil
	}}
	a := seedAuto
	a.Publish = incident.PublishDraft
	var st incident.AutoState
	step := func(at time.Time, in incident.AutoInput) {
		t.Helper()
		clk.Set(at)
		in.Now = at
		var err error
		if st, err = au.Step(t.Context(), a, st, in); err != nil {
			t.Fatal(err)
		}
	}
	offPage := func(when string) {
		t.Helper()
		snap := s.Snapshot()
		if len(snap.Incidents) != 0 || snap.Indicator != incident.IndicatorNone || componentStatus(t, s, "website") != incident.Operational {
			t.Errorf("%s: %d public incidents, indicator %s, website %s; want nothing on the page", when, len(snap.Incidents), snap.Indicator, componentStatus(t, s, "website"))
		}
		if n := len(queued(t, store)); n != 0 {
			t.Errorf("%s: %d webhooks queued; want none", when, n)
		}
	}

	at := t0.Add(45 * time.Second)
	step(at, incident.AutoInput{Alerts: []headroom.Alert{causeAlert(t0), symptomAlert(at)}, ErrorRatio: 0.6, HasHealth: true, Unhealthy: true})
	if st.IncidentID == "" || st.Status != incident.Investigating {
		t.Fatalf("got %+v, want a draft investigating", st)
	}
	id := st.IncidentID
	if d := s.Snapshot().Draft(id); d == nil || d.Pending()["website"] != incident.MajorOutage {
		t.Fatalf("draft %+v; want it with website major_outage pending", d)
	}
	offPage("opened")
	step(t0.Add(time.Minute), incident.AutoInput{Alerts: []headroom.Alert{causeAlert(t0), symptomAlert(at)}, ErrorRatio: 0.6, HasHealth: true, Mitigating: true})
	if st.Status != incident.Identified || st.IncidentID != id {
		t.Fatalf("got %+v, want the draft identified", st)
	}
	offPage("identified")

	// A person publishes it at 17:02: the page shows both updates.
	clk.Set(t0.Add(2 * time.Minute))
	if _, err := s.Publish(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if inc := s.Snapshot().Incident(id); inc == nil || len(inc.Updates) != 2 || componentStatus(t, s, "website") != incident.MajorOutage {
		t.Fatalf("after publish: %+v, website %s; want it public with 2 updates, website major_outage", inc, componentStatus(t, s, "website"))
	}
	if n := len(queued(t, store)); n != 1 {
		t.Errorf("publishing queued %d webhooks; want 1", n)
	}
	// Automation goes on with it, now in public.
	for m := 10; m <= 15; m++ {
		step(t0.Add(time.Duration(m)*time.Minute), incident.AutoInput{HasHealth: true})
	}
	if st.Status != incident.Monitoring || st.IncidentID != id || componentStatus(t, s, "website") != incident.Operational {
		t.Fatalf("got %+v, website %s; want the published incident monitoring, website operational", st, componentStatus(t, s, "website"))
	}
	if n := len(queued(t, store)); n != 1 {
		t.Errorf("monitoring queued %d webhooks; want 1", n)
	}
	mustUpdate(t, s, id, incident.PostUpdate{Status: incident.Resolved, Body: "This incident has been resolved."})
	queued(t, store)

	// A false alarm: drafted, resolved by automation, never public.
	a.ResolveAfter = 15 * time.Minute
	t1 := t0.Add(2 * time.Hour)
	step(t1, incident.AutoInput{Alerts: []headroom.Alert{symptomAlert(t1)}, HasHealth: true})
	second := st.IncidentID
	if second == "" || second == id {
		t.Fatalf("got %+v, want a new draft", st)
	}
	for m := 1; m <= 20; m++ {
		step(t1.Add(time.Duration(m)*time.Minute), incident.AutoInput{HasHealth: true})
	}
	if st.IncidentID != "" {
		t.Fatalf("got %+v, want the draft resolved", st)
	}
	d := s.Snapshot().Draft(second)
	if d == nil || d.Status != incident.Resolved || s.Snapshot().Incident(second) != nil {
		t.Errorf("false alarm: %+v; want a resolved draft, not public", d)
	}
	if n := len(queued(t, store)); n != 0 {
		t.Errorf("a false alarm queued %d webhooks; want none", n)
	}
	if len(postmortems) != 1 || postmortems[0] != id {
		t.Errorf("postmortems drafted for %v; want only the published incident %s (a discarded draft needs none)", postmortems, id)
	}
}

func TestAutomationRefusesAnUnknownPublishMode(t *testing.T) {
	s, _, _ := newService(t, nil, time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC))
	a := seedAuto
	a.Publish = "later"
	_, err := (&incident.Automator{Service: s}).Step(t.Context(), a, incident.AutoState{}, incident.AutoInput{})
	if e := wantCode(t, err, headroom.EINVALID); !strings.Contains(e.Message, `publish: "later"`) {
		t.Errorf("message %q; want it to name publish and the value", e.Message)
	}
}

// A resolved incident gets its postmortem drafted once: when automation
// resolves it and when a person does (at the next loop); a draft a person
// already wrote stands.
func TestAutomationDraftsThePostmortem(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	for _, by := range []string{"automation", "a person", "a person who wrote one"} {
		t.Run(by, func(t *testing.T) {
			s, clk, _ := newService(t, nil, t0)
			calls := 0
			au := &incident.Automator{Service: s, Postmortem: func(_ context.Context, target string, inc *incident.Incident) (string, error) {
				calls++
				return "# Postmortem of " + inc.ID + " (" + target + ")", nil
			}}
			a := seedAuto
			if by == "automation" {
				a.ResolveAfter = 15 * time.Minute
			}
			var st incident.AutoState
			step := func(at time.Time, alerts ...headroom.Alert) {
				t.Helper()
				clk.Set(at)
				var err error
				if st, err = au.Step(t.Context(), a, st, incident.AutoInput{Now: at, Alerts: alerts, HasHealth: true}); err != nil {
					t.Fatal(err)
				}
			}
			step(t0, symptomAlert(t0))
			id := st.IncidentID
			for m := 1; m <= 20; m++ {
				step(t0.Add(time.Duration(m) * time.Minute))
			}
			if by != "automation" {
				if by == "a person who wrote one" {
					mustUpdate(t, s, id, incident.PostUpdate{Status: incident.Resolved, Body: "Resolved."})
					if _, err := s.SavePostmortem(t.Context(), id, "our own words"); err != nil {
						t.Fatal(err)
					}
				} else {
					mustUpdate(t, s, id, incident.PostUpdate{Status: incident.Resolved, Body: "Resolved."})
				}
				step(t0.Add(21 * time.Minute))
			}
			step(t0.Add(22 * time.Minute))
			var inc *incident.Incident
			for i := range s.Snapshot().Incidents {
				if s.Snapshot().Incidents[i].ID == id {
					inc = &s.Snapshot().Incidents[i]
				}
			}
			want, wantCalls := "# Postmortem of "+id+" (website-and-api)", 1
			if by == "a person who wrote one" {
				want, wantCalls = "our own words", 0
			}
			if inc == nil || inc.PostmortemDraft != want || calls != wantCalls {
				t.Fatalf("got draft %q after %d calls, want %q after %d", inc.PostmortemDraft, calls, want, wantCalls)
			}
		})
	}
}

// A slow-burn alert (the workbook's 6h window) keeps firing an hour after
// users are fine again: the incident still moves to Monitoring on users'
// health, and the alert still firing is not the trouble returning.
func TestAutomationFollowsUsersNotSlowAlerts(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, _ := newService(t, nil, t0)
	au := &incident.Automator{Service: s}
	slow := symptomAlert(t0)
	slow.Rule = "burn-6h-30m"
	var st incident.AutoState
	var err error
	for m := 0; m <= 30; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		clk.Set(at)
		in := incident.AutoInput{Now: at, HasHealth: true, Alerts: []headroom.Alert{slow}, Unhealthy: m < 10}
		if st, err = au.Step(t.Context(), seedAuto, st, in); err != nil {
			t.Fatal(err)
		}
	}
	inc := s.Snapshot().Incidents[0]
	var statuses []string
	for _, u := range inc.Updates {
		statuses = append(statuses, string(u.Status)+"@"+u.DisplayAt.Format("15:04"))
	}
	if got, want := strings.Join(statuses, ","), "monitoring@17:15,investigating@17:00"; got != want {
		t.Errorf("updates: got %s, want %s", got, want)
	}
}

// Regression test for the demo's three incidents: once automation resolved
// the incident, the slow alert still firing from it opens no new one; a
// symptom that starts after the resolution does.
func TestAutomationNoIncidentFromAResolvedOnesAlert(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	s, clk, _ := newService(t, nil, t0)
	au := &incident.Automator{Service: s}
	a := seedAuto
	a.ResolveAfter = 15 * time.Minute
	slow := symptomAlert(t0)
	slow.Rule = "burn-6h-30m"
	var st incident.AutoState
	var err error
	for m := 0; m <= 60; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		clk.Set(at)
		alerts := []headroom.Alert{slow}
		if m == 55 {
			alerts = append(alerts, symptomAlert(at))
		}
		if st, err = au.Step(t.Context(), a, st, incident.AutoInput{Now: at, HasHealth: true, Alerts: alerts, Unhealthy: m < 5 || m == 55}); err != nil {
			t.Fatal(err)
		}
		if m == 54 && len(s.Snapshot().Incidents) != 1 {
			t.Fatalf("at 17:54: %d incidents, want the first one only", len(s.Snapshot().Incidents))
		}
	}
	if n := len(s.Snapshot().Incidents); n != 2 {
		t.Errorf("got %d incidents, want 2 (the new symptom at 17:55 opens one)", n)
	}
}
