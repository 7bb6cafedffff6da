package incident

import (
	"strings"
	"sync"
	"time"
)

// The JSON of Statuspage's public v2 API (https://<page>/api/v2/summary.json,
// status.json, components.json, incidents.json,
// scheduled-maintenances.json; https://developer.statuspage.io/) and of its
// webhooks (https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/).
// The public JSON API and the webhooks both encode through these types, so
// a field is named, typed and formatted in one place. Field names, enums
// and nulls follow what real Statuspage pages serve: a time never set is
// null, a component's description is null when empty, an update that
// changed no component has "affected_components": null.

// TimeLayout is how Statuspage writes times: RFC 3339 with milliseconds
// and the page's UTC offset ("2021-06-30T17:16:00.000Z" in UTC,
// "2019-02-20T12:00:19.418-06:00" in Chicago).
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// DocumentationURL is the meta.documentation of webhook payloads: the
// payloads are Statuspage's, so its page documents them.
const DocumentationURL = "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/"

var zones sync.Map // time zone name → *time.Location

// location returns the page's time zone, UTC when it has none or an
// unknown one (NewService refuses unknown ones).
func location(p Page) *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	if l, ok := zones.Load(p.TimeZone); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	zones.Store(p.TimeZone, l)
	return l
}

// APITime formats t as Statuspage does, in the page's time zone.
func APITime(p Page, t time.Time) string { return t.In(location(p)).Format(TimeLayout) }

// apiTimeOrNull is APITime, or nil (JSON null) for the zero time.
func apiTimeOrNull(p Page, t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := APITime(p, t)
	return &s
}

func stringOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// APIPage is the "page" object of summary.json and status.json.
type APIPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

// ToAPIPage converts the page; updatedAt is its last write
// (Snapshot.UpdatedAt).
func ToAPIPage(p Page, updatedAt time.Time) APIPage {
	tz := p.TimeZone
	if tz == "" {
		tz = "Etc/UTC"
	}
	return APIPage{ID: p.ID, Name: p.Name, URL: p.URL, TimeZone: tz, UpdatedAt: APITime(p, updatedAt)}
}

// APIStatus is the "status" object of summary.json and status.json.
type APIStatus struct {
	Indicator   Indicator `json:"indicator"`
	Description string    `json:"description"`
}

// APIComponent is a component, or a group of components ("group": true,
// its members' IDs in "components"), as components.json lists them.
type APIComponent struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Status             ComponentStatus `json:"status"`
	CreatedAt          string          `json:"created_at"`
	UpdatedAt          string          `json:"updated_at"`
	Position           int             `json:"position"`
	Description        *string         `json:"description"`
	Showcase           bool            `json:"showcase"`
	StartDate          *string         `json:"start_date"`
	GroupID            *string         `json:"group_id"`
	PageID             string          `json:"page_id"`
	Group              bool            `json:"group"`
	OnlyShowIfDegraded bool            `json:"only_show_if_degraded"`
	// Components are a group's members; absent on a component.
	Components []string `json:"components,omitempty"`
}

// ToAPIComponent converts a component. Every component shows its uptime
// bars (showcase), from its start date, the day it was created.
func ToAPIComponent(p Page, c Component) APIComponent {
	var start *string
	if !c.CreatedAt.IsZero() {
		d := c.CreatedAt.UTC().Format(time.DateOnly)
		start = &d
	}
	return APIComponent{
		ID:          c.ID,
		Name:        c.Name,
		Status:      c.Status,
		CreatedAt:   APITime(p, c.CreatedAt),
		UpdatedAt:   APITime(p, c.UpdatedAt),
		Position:    c.Position,
		Description: stringOrNull(c.Description),
		Showcase:    true,
		StartDate:   start,
		GroupID:     stringOrNull(c.GroupID),
		PageID:      p.ID,
	}
}

// ToAPIGroup converts a group with its members: its status is its worst
// member's, its times span theirs.
func ToAPIGroup(p Page, g Group, members []Component) APIComponent {
	out := APIComponent{
		ID:          g.ID,
		Name:        g.Name,
		Status:      Operational,
		Position:    g.Position,
		Description: stringOrNull(g.Description),
		PageID:      p.ID,
		Group:       true,
		Components:  []string{},
	}
	var created, updated time.Time
	for _, c := range members {
		out.Status = worse(out.Status, c.Status)
		out.Components = append(out.Components, c.ID)
		if created.IsZero() || c.CreatedAt.Before(created) {
			created = c.CreatedAt
		}
		if c.UpdatedAt.After(updated) {
			updated = c.UpdatedAt
		}
	}
	out.CreatedAt, out.UpdatedAt = APITime(p, created), APITime(p, updated)
	return out
}

// ToAPIComponents lists groups and components in page order, each group
// before its members, as summary.json and components.json do.
func ToAPIComponents(p Page, groups []Group, components []Component) []APIComponent {
	out := []APIComponent{}
	done := map[string]bool{}
	for _, c := range components {
		if c.GroupID != "" && !done[c.GroupID] {
			done[c.GroupID] = true
			for _, g := range groups {
				if g.ID != c.GroupID {
					continue
				}
				var members []Component
				for _, m := range components {
					if m.GroupID == g.ID {
						members = append(members, m)
					}
				}
				out = append(out, ToAPIGroup(p, g, members))
			}
		}
		out = append(out, ToAPIComponent(p, c))
	}
	return out
}

// APIAffectedComponent is a component an incident update changed.
type APIAffectedComponent struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	OldStatus ComponentStatus `json:"old_status"`
	NewStatus ComponentStatus `json:"new_status"`
}

// APIIncidentUpdate is one of an incident's "incident_updates".
type APIIncidentUpdate struct {
	ID                   string                 `json:"id"`
	Status               Status                 `json:"status"`
	Body                 string                 `json:"body"`
	IncidentID           string                 `json:"incident_id"`
	CreatedAt            string                 `json:"created_at"`
	UpdatedAt            string                 `json:"updated_at"`
	DisplayAt            string                 `json:"display_at"`
	AffectedComponents   []APIAffectedComponent `json:"affected_components"`
	DeliverNotifications bool                   `json:"deliver_notifications"`
	CustomTweet          *string                `json:"custom_tweet"`
	TweetID              *string                `json:"tweet_id"`
}

// ToAPIIncidentUpdate converts an update of the incident incidentID.
// Updates are never edited, so updated_at is created_at.
func ToAPIIncidentUpdate(p Page, incidentID string, u Update) APIIncidentUpdate {
	out := APIIncidentUpdate{
		ID:                   u.ID,
		Status:               u.Status,
		Body:                 u.Body,
		IncidentID:           incidentID,
		CreatedAt:            APITime(p, u.CreatedAt),
		UpdatedAt:            APITime(p, u.CreatedAt),
		DisplayAt:            APITime(p, u.DisplayAt),
		DeliverNotifications: true,
	}
	for _, a := range u.Affected {
		out.AffectedComponents = append(out.AffectedComponents, APIAffectedComponent{
			Code: a.ComponentID, Name: a.Name, OldStatus: a.Old, NewStatus: a.New,
		})
	}
	return out
}

// APIIncident is an incident or a scheduled maintenance, as
// incidents.json and scheduled-maintenances.json list them; a maintenance
// also has scheduled_for and scheduled_until.
type APIIncident struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Status          Status              `json:"status"`
	CreatedAt       string              `json:"created_at"`
	UpdatedAt       string              `json:"updated_at"`
	MonitoringAt    *string             `json:"monitoring_at"`
	ResolvedAt      *string             `json:"resolved_at"`
	Impact          Impact              `json:"impact"`
	Shortlink       string              `json:"shortlink"`
	StartedAt       string              `json:"started_at"`
	PageID          string              `json:"page_id"`
	IncidentUpdates []APIIncidentUpdate `json:"incident_updates"`
	Components      []APIComponent      `json:"components"`
	ScheduledFor    *string             `json:"scheduled_for,omitempty"`
	ScheduledUntil  *string             `json:"scheduled_until,omitempty"`
}

// IncidentURL is where an incident is read: Statuspage's
// <page>/incidents/<id>; it is also the shortlink.
func IncidentURL(p Page, id string) string {
	return strings.TrimRight(p.URL, "/") + "/incidents/" + id
}

// ToAPIIncident converts an incident; components are the page's (their
// current status), from which its ComponentIDs are looked up.
func ToAPIIncident(p Page, i *Incident, components []Component) APIIncident {
	return toAPIIncident(p, i, components, true)
}

// toAPIIncident is ToAPIIncident, with an empty list of updates unless
// updates (UpdatesJSON writes them in).
func toAPIIncident(p Page, i *Incident, components []Component, updates bool) APIIncident {
	out := APIIncident{
		ID:              i.ID,
		Name:            i.Name,
		Status:          i.Status,
		CreatedAt:       APITime(p, i.CreatedAt),
		UpdatedAt:       APITime(p, i.UpdatedAt),
		MonitoringAt:    apiTimeOrNull(p, i.MonitoringAt),
		ResolvedAt:      apiTimeOrNull(p, i.ResolvedAt),
		Impact:          i.Impact,
		Shortlink:       IncidentURL(p, i.ID),
		StartedAt:       APITime(p, i.StartedAt),
		PageID:          p.ID,
		IncidentUpdates: []APIIncidentUpdate{},
		Components:      []APIComponent{},
	}
	for k := 0; updates && k < len(i.Updates); k++ {
		out.IncidentUpdates = append(out.IncidentUpdates, ToAPIIncidentUpdate(p, i.ID, i.Updates[k]))
	}
	for _, id := range i.ComponentIDs {
		for _, c := range components {
			if c.ID == id {
				out.Components = append(out.Components, ToAPIComponent(p, c))
				break
			}
		}
	}
	if i.Kind == KindMaintenance {
		out.ScheduledFor = apiTimeOrNull(p, i.ScheduledFor)
		out.ScheduledUntil = apiTimeOrNull(p, i.ScheduledUntil)
	}
	return out
}

// APISummary is summary.json: the page, its components, its unresolved
// incidents, its upcoming and active maintenances and its status.
type APISummary struct {
	Page                  APIPage        `json:"page"`
	Components            []APIComponent `json:"components"`
	Incidents             []APIIncident  `json:"incidents"`
	ScheduledMaintenances []APIIncident  `json:"scheduled_maintenances"`
	Status                APIStatus      `json:"status"`
}

// ToAPISummary converts a snapshot to summary.json, every incident encoded
// with it. The status page encodes each incident once, with its page, and
// splices them into the same document; its tests hold it to this one.
func ToAPISummary(s *Snapshot) APISummary {
	out := APISummary{
		Page:                  ToAPIPage(s.Page, s.UpdatedAt),
		Components:            ToAPIComponents(s.Page, s.Groups, s.Components),
		Incidents:             []APIIncident{},
		ScheduledMaintenances: []APIIncident{},
		Status:                APIStatus{s.Indicator, s.Description},
	}
	for i := range s.Incidents {
		inc := &s.Incidents[i]
		switch inc.InSummary() {
		case SummaryIncident:
			out.Incidents = append(out.Incidents, ToAPIIncident(s.Page, inc, s.Components))
		case SummaryMaintenance:
			out.ScheduledMaintenances = append(out.ScheduledMaintenances, ToAPIIncident(s.Page, inc, s.Components))
		}
	}
	return out
}

// Where summary.json lists an incident (Incident.InSummary).
const (
	SummaryNone = iota
	SummaryIncident
	SummaryMaintenance
)

// InSummary says which of summary.json's lists holds i: the incidents
// that are not resolved, the maintenances that are not completed.
func (i *Incident) InSummary() int {
	switch {
	case i.Unresolved():
		return SummaryIncident
	case i.Kind == KindMaintenance && i.Status != Completed:
		return SummaryMaintenance
	}
	return SummaryNone
}

// WebhookMeta is a webhook payload's "meta".
type WebhookMeta struct {
	// Unsubscribe is where the receiver unsubscribes.
	Unsubscribe   string `json:"unsubscribe"`
	Documentation string `json:"documentation"`
	GeneratedAt   string `json:"generated_at"`
}

// WebhookPage is a webhook payload's "page": the page's status after the
// write.
type WebhookPage struct {
	ID                string    `json:"id"`
	StatusIndicator   Indicator `json:"status_indicator"`
	StatusDescription string    `json:"status_description"`
}

// WebhookIncident is the incident of an incident webhook: the v2 API's
// incident plus, as Statuspage's webhooks carry them, the published
// postmortem.
type WebhookIncident struct {
	APIIncident
	PostmortemBody        *string `json:"postmortem_body"`
	PostmortemPublishedAt *string `json:"postmortem_published_at"`
}

// IncidentWebhook is the payload sent when an incident or a maintenance is
// created or updated, or its postmortem published.
type IncidentWebhook struct {
	Meta     WebhookMeta     `json:"meta"`
	Page     WebhookPage     `json:"page"`
	Incident WebhookIncident `json:"incident"`
}

// APIComponentUpdate is a component's change of status in a component
// webhook.
type APIComponentUpdate struct {
	CreatedAt     string          `json:"created_at"`
	NewStatus     ComponentStatus `json:"new_status"`
	OldStatus     ComponentStatus `json:"old_status"`
	ID            string          `json:"id"`
	ComponentID   string          `json:"component_id"`
	ComponentType string          `json:"component_type"`
}

// ComponentWebhook is the payload sent when a component changes status.
type ComponentWebhook struct {
	Meta            WebhookMeta        `json:"meta"`
	Page            WebhookPage        `json:"page"`
	ComponentUpdate APIComponentUpdate `json:"component_update"`
	Component       APIComponent       `json:"component"`
}

// UnsubscribeURL is a payload's meta.unsubscribe: one payload goes to
// every subscriber, so it names the page's unsubscribe form, not a
// subscriber.
func UnsubscribeURL(p Page) string { return strings.TrimRight(p.URL, "/") + "/unsubscribe" }

func webhookHead(p Page, st PageStatus, now time.Time) (WebhookMeta, WebhookPage) {
	return WebhookMeta{
			Unsubscribe:   UnsubscribeURL(p),
			Documentation: DocumentationURL,
			GeneratedAt:   APITime(p, now),
		}, WebhookPage{
			ID:                p.ID,
			StatusIndicator:   st.Indicator,
			StatusDescription: st.Description,
		}
}

// ToIncidentWebhook builds the payload telling subscribers about i; st is
// the page's status after the write, now when the payload is made.
func ToIncidentWebhook(p Page, st PageStatus, i *Incident, components []Component, now time.Time) IncidentWebhook {
	return toIncidentWebhook(p, st, i, components, now, true)
}

func toIncidentWebhook(p Page, st PageStatus, i *Incident, components []Component, now time.Time, updates bool) IncidentWebhook {
	meta, page := webhookHead(p, st, now)
	inc := WebhookIncident{APIIncident: toAPIIncident(p, i, components, updates)}
	if !i.PostmortemPublishedAt.IsZero() {
		inc.PostmortemBody = stringOrNull(i.PostmortemBody)
		inc.PostmortemPublishedAt = apiTimeOrNull(p, i.PostmortemPublishedAt)
	}
	return IncidentWebhook{Meta: meta, Page: page, Incident: inc}
}

// ToComponentWebhook builds the payload telling subscribers that c (its
// new status in c.Status) changed from old; id names the change.
func ToComponentWebhook(p Page, st PageStatus, c Component, old ComponentStatus, id string, now time.Time) ComponentWebhook {
	meta, page := webhookHead(p, st, now)
	return ComponentWebhook{
		Meta: meta,
		Page: page,
		ComponentUpdate: APIComponentUpdate{
			CreatedAt:     APITime(p, c.UpdatedAt),
			NewStatus:     c.Status,
			OldStatus:     old,
			ID:            id,
			ComponentID:   c.ID,
			ComponentType: "Component",
		},
		Component: ToAPIComponent(p, c),
	}
}
