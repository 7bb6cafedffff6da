package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Notice is what one notification says, read back from its payload
// (Statuspage's webhook JSON): the words every channel but the webhook
// builds its message from, so that a mail, a Slack message and a Teams
// card say the same thing.
type Notice struct {
	// Title is the incident's or maintenance's name, or the component's.
	Title string
	// Status is the incident's status or the component's new one, as
	// readers see it ("Investigating", "Major outage").
	Status string
	// Body is the newest update's text (Markdown); "" for a component.
	Body string
	// URL is the incident's page; "" for a component.
	URL string
	// Components are the affected components, "Name: Status" each.
	Components []string
	// PageStatus is the page's status after the write ("Partial System
	// Outage").
	PageStatus string
	// Maintenance marks a scheduled maintenance.
	Maintenance bool
	// StatusCode is Status as the API writes it (investigating,
	// degraded_performance), for texts in other languages: the
	// incident's status, or with Component set the component's.
	StatusCode string
	// Component marks a component's change that no incident tells of.
	Component bool
	// Affected are Components' names and statuses as the API writes
	// them (major_outage).
	Affected []NoticeComponent
}

// NoticeComponent is one affected component of a Notice.
type NoticeComponent struct {
	Name   string
	Status ComponentStatus
}

// Subject is a one-line summary: "Investigating: API errors".
func (n Notice) Subject() string {
	if n.Status == "" {
		return n.Title
	}
	return n.Status + ": " + n.Title
}

// ReadNotice reads a payload queued by the Service: an IncidentWebhook or
// a ComponentWebhook. It fails for anything else (ConfirmPayload too),
// naming what it expected.
func ReadNotice(payload []byte) (Notice, error) {
	var p struct {
		Page            *WebhookPage        `json:"page"`
		Incident        *WebhookIncident    `json:"incident"`
		ComponentUpdate *APIComponentUpdate `json:"component_update"`
		Component       *APIComponent       `json:"component"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return Notice{}, fmt.Errorf("read notification: %w", err)
	}
	var n Notice
	if p.Page != nil {
		n.PageStatus = p.Page.StatusDescription
	}
	switch {
	case p.Incident != nil:
		inc := p.Incident
		n.Title, n.URL = inc.Name, inc.Shortlink
		n.Status, n.StatusCode = StatusText(string(inc.Status)), string(inc.Status)
		n.Maintenance = inc.ScheduledFor != nil
		if len(inc.IncidentUpdates) > 0 {
			// Statuspage lists updates newest first.
			n.Body = inc.IncidentUpdates[0].Body
		}
		for _, c := range inc.Components {
			n.Components = append(n.Components, c.Name+": "+StatusText(string(c.Status)))
			n.Affected = append(n.Affected, NoticeComponent{Name: c.Name, Status: c.Status})
		}
	case p.Component != nil && p.ComponentUpdate != nil:
		n.Title = p.Component.Name
		n.Status = StatusText(string(p.ComponentUpdate.NewStatus))
		n.Components = []string{p.Component.Name + ": " + n.Status}
		n.StatusCode, n.Component = string(p.ComponentUpdate.NewStatus), true
		n.Affected = []NoticeComponent{{Name: p.Component.Name, Status: p.ComponentUpdate.NewStatus}}
	default:
		return Notice{}, errors.New("read notification: neither an incident nor a component webhook (want an \"incident\" or a \"component_update\" field)")
	}
	return n, nil
}

// StatusText turns an enum value of the API (major_outage, in_progress)
// into words (Major outage, In progress).
func StatusText(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}
