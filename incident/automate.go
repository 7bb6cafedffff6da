package incident

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/headroomhq/headroom"
)

// Defaults of an automated incident's timings.
const (
	// DefaultMonitorAfter is how long a target must be healthy before its
	// incident moves to Monitoring.
	DefaultMonitorAfter = 5 * time.Minute
	// DefaultJoinWithin is how soon after an automatic resolution a new
	// alert still counts as the same trouble: the incident is never
	// resolved sooner, so a re-trigger joins it instead of opening another.
	DefaultJoinWithin = 15 * time.Minute
)

// The default texts, in the words of the seed's status page (Atlassian's
// updates for the 2021-06-30 Bitbucket incident).
const (
	DefaultTitle         = "{{.Service}} are returning errors"
	DefaultInvestigating = "We are currently investigating an issue with the {{.Service}}."
	DefaultIdentified    = "We have identified the issue: {{.Cause}}.{{if .Mitigating}} We are increasing capacity for the {{.Service}} and performance should stabilize shortly.{{end}}"
	DefaultReturned      = "The issue with the {{.Service}} has returned. We are investigating."
	DefaultMonitoring    = "The {{.Service}} have recovered. We will continue to monitor our systems and resolve this incident shortly."
	DefaultResolved      = "This incident has been resolved."
)

// Templates are the texts automated updates post, as text/template with
// the fields of TemplateData.
type Templates struct {
	Title, Investigating, Identified, Returned, Monitoring, Resolved string
}

// TemplateData is what a template can say.
type TemplateData struct {
	// Service names what customers use ("website and API services").
	Service string
	// Cause is what happened, in customer words.
	Cause string
	// Mitigating is true while capacity is being added.
	Mitigating bool
	// Target is the autoscaling target's name (for operators).
	Target string
}

// ImpactRule maps what users get to a component status: the first rule
// whose error ratio or latency is reached applies.
type ImpactRule struct {
	ErrorRatio float64
	Latency    time.Duration
	Status     ComponentStatus
}

// DefaultImpact: half the requests failing is a major outage, 5% a
// partial outage, anything less that still alerts degraded performance.
var DefaultImpact = []ImpactRule{
	{ErrorRatio: 0.5, Status: MajorOutage},
	{ErrorRatio: 0.05, Status: PartialOutage},
}

// Publish says how an automated incident reaches the page.
type Publish string

const (
	// PublishAuto opens the incident on the public page at once.
	PublishAuto Publish = "auto"
	// PublishDraft opens it as a draft (Incident.Draft) that a person
	// publishes (headroom incident publish ID); automation keeps
	// updating it meanwhile, and those updates appear when it is.
	PublishDraft Publish = "draft"
)

// Automation is how one target's alerts become an incident on the page.
type Automation struct {
	Target string
	// Publish is PublishAuto (also when empty) or PublishDraft.
	Publish Publish
	// Service names the components for customers in the templates; the
	// components' names joined when empty.
	Service    string
	Components []string
	// Impact rules; DefaultImpact when nil. Below every rule the
	// components are degraded_performance.
	Impact []ImpactRule
	// MonitorAfter healthy moves the incident to Monitoring; ResolveAfter
	// healthy resolves it (zero: a person resolves it), never sooner than
	// JoinWithin.
	MonitorAfter, ResolveAfter, JoinWithin time.Duration
	Templates                              Templates
}

// AutoState is one target's automation memory, kept beside its detector's
// so a restart during an incident neither opens a second one nor posts an
// update twice.
type AutoState struct {
	// IncidentID is the open automatic incident; Status the last status
	// automation posted to it.
	IncidentID string `json:"incidentId,omitempty"`
	Status     Status `json:"status,omitempty"`
	// HealthySince is when users last got what the SLO promises again
	// (zero while they do not); MonitoringAt when automation posted
	// Monitoring: an alert that starts after it is the trouble returning.
	HealthySince time.Time `json:"healthySince,omitzero"`
	MonitoringAt time.Time `json:"monitoringAt,omitzero"`
	// ResolvedAt is when the target's last incident was resolved: an
	// alert that started before it is that incident's, and opens none.
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
}

// AutoInput is one loop of one target.
type AutoInput struct {
	Now time.Time
	// Alerts are the detector's alerts firing after this loop.
	Alerts []headroom.Alert
	// ErrorRatio and Latency are what users got this loop (HasHealth);
	// Unhealthy says whether that is more than the SLO allows (errors
	// over the budget, latency over the SLO). With health, users' health
	// moves the incident to Monitoring and Resolved, not the alerts: a
	// slow-burn alert (6 h window) keeps firing long after users are
	// fine again. Without it, the alerts alone decide.
	ErrorRatio float64
	Latency    time.Duration
	HasHealth  bool
	Unhealthy  bool
	// Mitigating is true when capacity is being added (a scale-out, an
	// emergency guard, a deferred cut).
	Mitigating bool
}

// Automator writes automated incidents through the Service: the same rules,
// validation, notifications and snapshot as a person's writes.
type Automator struct {
	Service *Service
	Logger  *slog.Logger
	// Postmortem, when set, drafts the postmortem of target's incident
	// once it is resolved (by automation or by a person); the draft is
	// saved unless the incident has one already (a person's edits stand).
	Postmortem func(ctx context.Context, target string, inc *Incident) (string, error)
}

// Step moves target a's incident one loop on: open it at the first symptom
// page (unless maintenance covers the components), say Identified when the
// cause is known or capacity is being added, Monitoring once healthy for
// MonitorAfter, Resolved once healthy for ResolveAfter when set. It returns
// the new state; on an error the old one, so the next loop tries again.
//
// In PublishDraft mode the incident is opened as a draft and updated as
// any other; it stays a draft until a person publishes it, and one
// resolved while still a draft (by ResolveAfter, or a person discarding
// it) never reaches the public side.
//
// Errors: those of Service.Open and Service.Update; EINVALID when a
// template does not render or Publish is not a mode.
func (au *Automator) Step(ctx context.Context, a Automation, st AutoState, in AutoInput) (AutoState, error) {
	if a.Publish != "" && a.Publish != PublishAuto && a.Publish != PublishDraft {
		return st, headroom.Errorf(headroom.EINVALID, "incident automation of target %s: publish: %q; expected %q or %q", a.Target, a.Publish, PublishAuto, PublishDraft)
	}
	snap := au.Service.Snapshot()
	if st.IncidentID != "" {
		inc := snapshotIncident(snap, st.IncidentID)
		if inc == nil || inc.Status == Resolved || inc.Status == Postmortem {
			// A person resolved it (or it is gone): the next alert opens
			// a new one.
			resolved := st.ResolvedAt
			if inc != nil && inc.Status == Resolved {
				au.draftPostmortem(ctx, a.Target, inc.ID)
				resolved = inc.ResolvedAt
			}
			st = AutoState{ResolvedAt: resolved}
		}
	}
	symptom, cause := firing(in.Alerts)
	data := au.data(a, snap, cause, in.Mitigating)
	troubled := symptom != nil
	if in.HasHealth {
		troubled = in.Unhealthy
	}
	if troubled {
		st.HealthySince = time.Time{}
	} else if st.HealthySince.IsZero() {
		st.HealthySince = in.Now
	}
	returned := st.Status == Monitoring && (troubled || startedSince(in.Alerts, st.MonitoringAt))
	next := st
	var err error
	switch {
	case st.IncidentID == "" && symptom != nil && startedSince(in.Alerts, st.ResolvedAt):
		if m := maintenanceOver(snap, a.Components, in.Now); m != nil {
			au.logger().Info("incident automation: alert during maintenance, no incident opened", "target", a.Target, "maintenance", m.ID, "alert", symptom.Rule)
			return st, nil
		}
		var inc *Incident
		inc, err = au.open(ctx, a, data, in)
		if err == nil {
			next = AutoState{IncidentID: inc.ID, Status: inc.Status}
		}
	case st.IncidentID != "" && returned:
		// Back: join the open incident rather than open another.
		err = au.post(ctx, a, st.IncidentID, Investigating, a.Templates.Returned, DefaultReturned, data, au.impact(a, in))
		next.Status, next.MonitoringAt = Investigating, time.Time{}
	case st.IncidentID != "" && (symptom != nil || troubled) && st.Status == Investigating && (cause != nil || in.Mitigating):
		err = au.post(ctx, a, st.IncidentID, Identified, a.Templates.Identified, DefaultIdentified, data, au.impact(a, in))
		next.Status = Identified
	case st.IncidentID != "" && !troubled && st.Status != Monitoring && in.Now.Sub(st.HealthySince) >= orDefault(a.MonitorAfter, DefaultMonitorAfter):
		err = au.post(ctx, a, st.IncidentID, Monitoring, a.Templates.Monitoring, DefaultMonitoring, data, statuses(a.Components, Operational))
		next.Status, next.MonitoringAt = Monitoring, in.Now
	case st.IncidentID != "" && !troubled && st.Status == Monitoring && a.ResolveAfter > 0 &&
		in.Now.Sub(st.HealthySince) >= max(a.ResolveAfter, orDefault(a.JoinWithin, DefaultJoinWithin)):
		err = au.post(ctx, a, st.IncidentID, Resolved, a.Templates.Resolved, DefaultResolved, data, nil)
		next = AutoState{ResolvedAt: in.Now}
		if err == nil {
			au.draftPostmortem(ctx, a.Target, st.IncidentID)
		}
	}
	if err != nil {
		return st, err
	}
	return next, nil
}

// draftPostmortem saves the postmortem draft of a resolved incident that
// has none. A failure is logged: the incident itself is told already, and
// `headroom incident postmortem ID --draft` builds it again.
func (au *Automator) draftPostmortem(ctx context.Context, target, id string) {
	if au.Postmortem == nil {
		return
	}
	inc := snapshotIncident(au.Service.Snapshot(), id)
	// A draft resolved before anyone published it was never public:
	// there is nothing to write up (and a draft takes no postmortem).
	if inc == nil || inc.Draft || inc.PostmortemDraft != "" || inc.PostmortemBody != "" {
		return
	}
	draft, err := au.Postmortem(ctx, target, inc)
	if err == nil {
		_, err = au.Service.SavePostmortem(ctx, id, draft)
	}
	if err != nil {
		au.logger().Error("incident automation: draft the postmortem", "target", target, "incident", id, "err", err)
		return
	}
	au.logger().Info("audit: postmortem drafted by headroom", "target", target, "incident", id)
}

func (au *Automator) open(ctx context.Context, a Automation, data TemplateData, in AutoInput) (*Incident, error) {
	title, err := render("title", orText(a.Templates.Title, DefaultTitle), data)
	if err != nil {
		return nil, err
	}
	body, err := render("investigating", orText(a.Templates.Investigating, DefaultInvestigating), data)
	if err != nil {
		return nil, err
	}
	draft := a.Publish == PublishDraft
	inc, err := au.Service.Open(ctx, OpenIncident{Name: title, Status: Investigating, Body: body, Components: au.impact(a, in), Draft: draft})
	if err != nil {
		return nil, fmt.Errorf("open incident for target %s: %w", a.Target, err)
	}
	if draft {
		au.logger().Info("audit: draft incident opened by detection; a person publishes it with: headroom incident publish "+inc.ID,
			"target", a.Target, "incident", inc.ID, "status", inc.Status, "name", inc.Name, "draft", true)
		return inc, nil
	}
	au.logger().Info("audit: incident opened by detection", "target", a.Target, "incident", inc.ID, "status", inc.Status, "name", inc.Name)
	return inc, nil
}

func (au *Automator) post(ctx context.Context, a Automation, id string, status Status, text, fallback string, data TemplateData, comps map[string]ComponentStatus) error {
	body, err := render(string(status), orText(text, fallback), data)
	if err != nil {
		return err
	}
	if _, err := au.Service.Update(ctx, id, PostUpdate{Status: status, Body: body, Components: comps}); err != nil {
		return fmt.Errorf("update incident %s of target %s to %s: %w", id, a.Target, status, err)
	}
	au.logger().Info("audit: incident updated by detection", "target", a.Target, "incident", id, "status", status)
	return nil
}

// impact is the components' status for what users get now.
func (au *Automator) impact(a Automation, in AutoInput) map[string]ComponentStatus {
	rules := a.Impact
	if rules == nil {
		rules = DefaultImpact
	}
	st := DegradedPerformance
	for _, r := range rules {
		if in.HasHealth && ((r.ErrorRatio > 0 && in.ErrorRatio >= r.ErrorRatio) || (r.Latency > 0 && in.Latency >= r.Latency)) {
			st = r.Status
			break
		}
	}
	return statuses(a.Components, st)
}

// data fills the templates' fields.
func (au *Automator) data(a Automation, snap *Snapshot, cause *headroom.Alert, mitigating bool) TemplateData {
	d := TemplateData{Service: a.Service, Target: a.Target, Mitigating: mitigating, Cause: "capacity fell short of demand"}
	if d.Service == "" {
		var names []string
		for _, id := range a.Components {
			for _, c := range snap.Components {
				if c.ID == id {
					names = append(names, c.Name)
				}
			}
		}
		d.Service = joinNames(names)
	}
	if cause != nil {
		switch cause.Reason.Code {
		case headroom.ReasonCapacityShort:
			d.Cause = "a change to our auto-scaling configuration reduced capacity below what traffic needed"
		case headroom.ReasonDemandOutran:
			d.Cause = "traffic rose faster than our capacity could follow"
		}
	}
	return d
}

func (au *Automator) logger() *slog.Logger {
	if au.Logger == nil {
		return slog.Default()
	}
	return au.Logger
}

// startedSince reports whether a symptom page started after t.
func startedSince(alerts []headroom.Alert, t time.Time) bool {
	for _, a := range alerts {
		if a.Signal == headroom.SignalSymptom && a.Severity == headroom.SeverityPage && a.StartsAt.After(t) {
			return true
		}
	}
	return false
}

// firing returns the first firing symptom page and the first cause alert.
func firing(alerts []headroom.Alert) (symptom, cause *headroom.Alert) {
	for i := range alerts {
		a := &alerts[i]
		switch {
		case a.Signal == headroom.SignalSymptom && a.Severity == headroom.SeverityPage && symptom == nil:
			symptom = a
		case a.Signal == headroom.SignalCause && cause == nil:
			cause = a
		}
	}
	return symptom, cause
}

// snapshotIncident returns incident id, public or draft, or nil.
func snapshotIncident(snap *Snapshot, id string) *Incident {
	if inc := snap.Incident(id); inc != nil {
		return inc
	}
	return snap.Draft(id)
}

// maintenanceOver returns a maintenance in progress at now that covers one
// of the components.
func maintenanceOver(snap *Snapshot, comps []string, now time.Time) *Incident {
	for i := range snap.Incidents {
		m := &snap.Incidents[i]
		if m.Kind != KindMaintenance || (m.Status != InProgress && m.Status != Verifying) {
			continue
		}
		for _, c := range comps {
			if slices.Contains(m.ComponentIDs, c) {
				return m
			}
		}
	}
	return nil
}

func statuses(ids []string, st ComponentStatus) map[string]ComponentStatus {
	m := make(map[string]ComponentStatus, len(ids))
	for _, id := range ids {
		m[id] = st
	}
	return m
}

// joinNames says "website", "website and API", "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return "services"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// ParseTemplate checks a template's text: config loading calls it, so a bad
// one is a file:line error, not a failed incident.
func ParseTemplate(name, text string) error {
	_, err := template.New(name).Option("missingkey=error").Parse(text)
	return err
}

func render(name, text string, data TemplateData) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", headroom.Errorf(headroom.EINVALID, "template %s: %v", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", headroom.Errorf(headroom.EINVALID, "template %s: %v", name, err)
	}
	return b.String(), nil
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
