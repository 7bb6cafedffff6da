package admin

import (
	"net/url"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// The request bodies, JSON with Statuspage's snake_case names. Times are
// RFC 3339 strings, read by the handlers so that a bad one is reported with
// its field. Client sends the same types.

// OpenRequest opens an incident: POST /api/admin/incidents.
//
//	{"name": "Elevated errors on the website", "status": "investigating", "impact": "major",
//	 "body": "We are investigating 502 errors.", "components": {"website": "major_outage"},
//	 "started_at": "2021-06-30T17:00:00Z"}
type OpenRequest struct {
	Name string `json:"name"`
	// Status: investigating (default), identified or monitoring.
	Status incident.Status `json:"status,omitempty"`
	// Impact: none, minor, major or critical; by default from the
	// components' statuses.
	Impact incident.Impact `json:"impact,omitempty"`
	// Body is the first update's Markdown.
	Body string `json:"body"`
	// Components maps affected component ids to their new status.
	Components map[string]incident.ComponentStatus `json:"components,omitempty"`
	// StartedAt and DisplayAt default to now.
	StartedAt string `json:"started_at,omitempty"`
	DisplayAt string `json:"display_at,omitempty"`
	// Draft opens it unpublished: admins see it, the public side (pages,
	// JSON, feeds, components, webhooks) does not until POST
	// /api/admin/incidents/{id}/publish.
	Draft bool `json:"draft,omitempty"`
}

// UpdateRequest posts an update: POST /api/admin/incidents/{id}/updates.
//
//	{"status": "identified", "body": "A scaling change removed capacity; reverting.",
//	 "components": {"website": "partial_outage"}}
type UpdateRequest struct {
	Status     incident.Status                     `json:"status"`
	Body       string                              `json:"body"`
	Impact     incident.Impact                     `json:"impact,omitempty"`
	Components map[string]incident.ComponentStatus `json:"components,omitempty"`
	DisplayAt  string                              `json:"display_at,omitempty"`
}

// ResolveRequest resolves an incident (completes a maintenance): POST
// /api/admin/incidents/{id}/resolve. The incident's components return to
// operational unless Components says otherwise.
//
//	{"body": "Capacity is back; error rates are normal."}
type ResolveRequest struct {
	Body       string                              `json:"body"`
	Components map[string]incident.ComponentStatus `json:"components,omitempty"`
	DisplayAt  string                              `json:"display_at,omitempty"`
}

// PostmortemRequest replaces the postmortem draft: PUT
// /api/admin/incidents/{id}/postmortem.
//
//	{"body": "## What happened\n..."}
type PostmortemRequest struct {
	Body string `json:"body"`
}

// ComponentRequest sets a component's status outside any incident: PUT
// /api/admin/components/{id}.
//
//	{"status": "degraded_performance"}
type ComponentRequest struct {
	Status incident.ComponentStatus `json:"status"`
}

// MaintenanceRequest schedules maintenance: POST /api/admin/maintenances.
//
//	{"name": "Database upgrade", "body": "The API will be read-only.",
//	 "scheduled_for": "2026-12-01T02:00:00Z", "scheduled_until": "2026-12-01T03:00:00Z",
//	 "components": ["api"], "auto_start": true, "auto_complete": true}
type MaintenanceRequest struct {
	Name           string   `json:"name"`
	Body           string   `json:"body"`
	ScheduledFor   string   `json:"scheduled_for"`
	ScheduledUntil string   `json:"scheduled_until"`
	Components     []string `json:"components,omitempty"`
	AutoStart      bool     `json:"auto_start,omitempty"`
	AutoComplete   bool     `json:"auto_complete,omitempty"`
}

// SubscriberRequest subscribes a webhook (the default channel), an email
// address, or a Slack or Microsoft Teams incoming webhook: POST
// /api/admin/subscribers. Without components it gets every notification.
//
// A webhook's secret signs its deliveries: without one, one is made; either
// way the answer shows it, and no later one does. An email subscriber gets
// a confirmation mail and nothing else until its link is followed, unless
// skip_confirmation (the operator vouches for the address).
//
//	{"url": "https://hooks.example.com/status", "components": ["api"]}
//	{"channel": "email", "email": "ops@example.com"}
//	{"channel": "slack", "url": "https://hooks.slack.com/services/T0/B0/x"}
type SubscriberRequest struct {
	Channel          incident.Channel `json:"channel,omitempty"`
	URL              string           `json:"url,omitempty"`
	Email            string           `json:"email,omitempty"`
	Components       []string         `json:"components,omitempty"`
	Secret           string           `json:"secret,omitempty"`
	SkipConfirmation bool             `json:"skip_confirmation,omitempty"`
}

// The answers.

// Incident is the admin view of an incident or maintenance: the Statuspage
// v2 incident the public API serves (times in the page's zone, as
// Statuspage writes them), and what only admins see: whether it is a draft
// and when it was published, the postmortem draft and the version. A
// draft's components are shown as they are on the page: its own statuses
// are in its updates and apply when it is published.
//
//	{"id": "k3x9...", "name": "Elevated errors on the website", "status": "investigating",
//	 "impact": "major", "shortlink": "https://status.example.com/incidents/k3x9...",
//	 "incident_updates": [...], "components": [...], ...,
//	 "kind": "incident", "url": "https://status.example.com/incidents/k3x9...",
//	 "draft": false, "published_at": null,
//	 "postmortem_draft": "", "postmortem_body": null, "postmortem_published_at": null, "version": 1}
type Incident struct {
	incident.APIIncident
	Kind incident.Kind `json:"kind"`
	// URL is the incident's public page (the shortlink).
	URL string `json:"url"`
	// AutoStart and AutoComplete are a maintenance's, with Statuspage's
	// names.
	AutoStart    bool `json:"scheduled_auto_in_progress"`
	AutoComplete bool `json:"scheduled_auto_completed"`
	// Draft is true until the incident is published; PublishedAt is when
	// a draft was (null for one opened public, or still a draft).
	Draft       bool    `json:"draft"`
	PublishedAt *string `json:"published_at"`
	// PostmortemDraft is being written; PostmortemBody was published at
	// PostmortemPublishedAt.
	PostmortemDraft       string  `json:"postmortem_draft"`
	PostmortemBody        *string `json:"postmortem_body"`
	PostmortemPublishedAt *string `json:"postmortem_published_at"`
	Version               int64   `json:"version"`
}

// Component is a component as the public API shows it.
type Component = incident.APIComponent

// Subscriber is a subscription; a webhook's Secret only in the answer
// that created it. URL is as given in that answer, and redacted in any
// later one (webhook.RedactURL: a password, a lone user name and query
// values replaced by "xxxxx"; a Slack or Teams URL's path is its secret,
// so it is shortened too). ConfirmedAt is an email subscriber's
// confirmation, null while it is pending.
//
//	{"id": "q8...", "channel": "webhook", "url": "https://hooks.example.com/status", "components": ["api"],
//	 "secret": "Zq...", "created_at": "2026-11-26T10:00:00Z"}
//	{"id": "r2...", "channel": "email", "email": "ops@example.com", "components": [],
//	 "created_at": "2026-11-26T10:00:00Z", "confirmed_at": null}
type Subscriber struct {
	ID          string           `json:"id"`
	Channel     incident.Channel `json:"channel"`
	URL         string           `json:"url,omitempty"`
	Email       string           `json:"email,omitempty"`
	Components  []string         `json:"components"`
	Secret      string           `json:"secret,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	ConfirmedAt *time.Time       `json:"confirmed_at,omitempty"`
}

// Subscribers is GET /api/admin/subscribers's answer.
type Subscribers struct {
	Subscribers []Subscriber `json:"subscribers"`
}

// newIncident is the admin view of i on snap's page.
func newIncident(snap *incident.Snapshot, i *incident.Incident) Incident {
	v := Incident{APIIncident: incident.ToAPIIncident(snap.Page, i, snap.Components), Kind: i.Kind,
		URL: incident.IncidentURL(snap.Page, i.ID), Draft: i.Draft, PostmortemDraft: i.PostmortemDraft, Version: i.Version}
	if !i.PublishedAt.IsZero() {
		at := incident.APITime(snap.Page, i.PublishedAt)
		v.PublishedAt = &at
	}
	if i.Kind == incident.KindMaintenance {
		v.AutoStart, v.AutoComplete = i.AutoStart, i.AutoComplete
	}
	if !i.PostmortemPublishedAt.IsZero() {
		body, at := i.PostmortemBody, incident.APITime(snap.Page, i.PostmortemPublishedAt)
		v.PostmortemBody, v.PostmortemPublishedAt = &body, &at
	}
	return v
}

func newSubscriber(s *incident.Subscriber) Subscriber {
	ids := s.ComponentIDs
	if ids == nil {
		ids = []string{}
	}
	channel := s.Channel
	if channel == "" {
		channel = incident.ChannelWebhook
	}
	v := Subscriber{ID: s.ID, Channel: channel, URL: webhook.RedactURL(s.URL), Email: s.Email, Components: ids, CreatedAt: s.CreatedAt}
	switch channel {
	case incident.ChannelSlack, incident.ChannelTeams:
		// Their URL's path is the credential: keep the host only.
		if u, err := url.Parse(s.URL); err == nil {
			v.URL = u.Scheme + "://" + u.Host + "/xxxxx"
		}
	case incident.ChannelEmail:
		if !s.ConfirmedAt.IsZero() {
			at := s.ConfirmedAt
			v.ConfirmedAt = &at
		}
	}
	return v
}
