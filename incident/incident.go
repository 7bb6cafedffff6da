package incident

import (
	"crypto/rand"
	"slices"
	"time"
)

// ComponentStatus is a component's state, Statuspage's enum.
type ComponentStatus string

const (
	Operational         ComponentStatus = "operational"
	DegradedPerformance ComponentStatus = "degraded_performance"
	PartialOutage       ComponentStatus = "partial_outage"
	MajorOutage         ComponentStatus = "major_outage"
	UnderMaintenance    ComponentStatus = "under_maintenance"
)

// ComponentStatuses lists the component statuses, best first.
var ComponentStatuses = []ComponentStatus{Operational, UnderMaintenance, DegradedPerformance, PartialOutage, MajorOutage}

// Status is an incident's or a maintenance's state.
type Status string

// Incident statuses, in their usual order.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
	Postmortem    Status = "postmortem"
)

// Maintenance statuses, in order.
const (
	Scheduled  Status = "scheduled"
	InProgress Status = "in_progress"
	Verifying  Status = "verifying"
	Completed  Status = "completed"
)

// IncidentStatuses and MaintenanceStatuses list each kind's statuses in
// order.
var (
	IncidentStatuses    = []Status{Investigating, Identified, Monitoring, Resolved, Postmortem}
	MaintenanceStatuses = []Status{Scheduled, InProgress, Verifying, Completed}
)

// Impact is how bad an incident is; maintenance has impact "maintenance".
type Impact string

const (
	ImpactNone        Impact = "none"
	ImpactMinor       Impact = "minor"
	ImpactMajor       Impact = "major"
	ImpactCritical    Impact = "critical"
	ImpactMaintenance Impact = "maintenance"
)

// Impacts lists the impacts of incidents, least first.
var Impacts = []Impact{ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical}

// Kind tells an incident from a scheduled maintenance: both are "incidents"
// in Statuspage's model, with different statuses.
type Kind string

const (
	KindIncident    Kind = "incident"
	KindMaintenance Kind = "maintenance"
)

// Page is the status page's identity, from headroom.yaml.
type Page struct {
	ID   string
	Name string
	// URL is where people read the page, e.g. https://status.example.com.
	URL      string
	TimeZone string
}

// Group gathers components on the page (one level).
type Group struct {
	ID          string
	Name        string
	Description string
	Position    int
}

// Component is one part of the service people see a status for.
type Component struct {
	ID          string
	Name        string
	Description string
	// GroupID is "" for a component outside any group.
	GroupID   string
	Position  int
	Status    ComponentStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusChange is one entry of a component's history: it feeds the uptime
// bars.
type StatusChange struct {
	ComponentID string
	At          time.Time
	From, To    ComponentStatus
}

// Affected is a component an incident update changed, old → new.
type Affected struct {
	ComponentID string
	Name        string
	Old, New    ComponentStatus
}

// Update is one post on an incident: its status then, a Markdown body, and
// the components it changed.
type Update struct {
	ID        string
	Status    Status
	Body      string
	CreatedAt time.Time
	// DisplayAt is the time shown ("Posted ..."); CreatedAt unless the
	// writer backdated it (a postmortem recreating an incident).
	DisplayAt time.Time
	Affected  []Affected
}

// Incident is an incident or a scheduled maintenance.
type Incident struct {
	ID     string
	Kind   Kind
	Name   string
	Status Status
	Impact Impact
	// ComponentIDs are the components the incident affects ("This
	// incident affected: ...").
	ComponentIDs []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// StartedAt is when it began (may be before CreatedAt when opened
	// late); MonitoringAt and ResolvedAt are set on reaching those
	// statuses.
	StartedAt    time.Time
	MonitoringAt time.Time
	ResolvedAt   time.Time
	// ScheduledFor and ScheduledUntil bound a maintenance; AutoStart and
	// AutoComplete move it to in_progress and completed at those times.
	ScheduledFor, ScheduledUntil time.Time
	AutoStart, AutoComplete      bool
	// Updates, newest first.
	Updates []Update
	// PostmortemDraft is being written; PostmortemBody was published at
	// PostmortemPublishedAt (zero while unpublished).
	PostmortemDraft       string
	PostmortemBody        string
	PostmortemPublishedAt time.Time
	// Draft marks an incident opened unpublished: stored and shown to
	// admins (the admin API, the CLI), never on the public side (pages,
	// JSON, feeds, uptime, component statuses, webhooks) until
	// Service.Publish. Its updates are kept as written; the component
	// statuses they carry apply at publish. Only incidents can be drafts.
	Draft bool
	// PublishedAt is when a draft was published (then CreatedAt too);
	// zero for an incident opened public, and while a draft.
	PublishedAt time.Time
	// Version counts the incident's writes: a write names the version it
	// read, so two writers never lose each other's update.
	Version int64
}

// Clone returns a copy of i sharing nothing with it: its component IDs,
// updates and their affected components are copied.
func (i Incident) Clone() Incident {
	i.ComponentIDs = slices.Clone(i.ComponentIDs)
	i.Updates = slices.Clone(i.Updates)
	for k := range i.Updates {
		i.Updates[k] = i.Updates[k].Clone()
	}
	return i
}

// Same reports whether i and o are, field by field, the same incident, as
// reflect.DeepEqual would (a nil slice is not an empty one), except that
// times compare as values with their locations by pointer, where
// DeepEqual compares the locations' contents: Same may call two equal
// incidents different, never two different ones the same. The status page
// asks it of every incident at every write, to reuse the pages of those
// that did not change; DeepEqual was a twelfth of a write.
// TestSameSeesEveryField fails on a field added here and not compared.
func (i *Incident) Same(o *Incident) bool {
	if i.ID != o.ID || i.Kind != o.Kind || i.Name != o.Name || i.Status != o.Status || i.Impact != o.Impact ||
		i.CreatedAt != o.CreatedAt || i.UpdatedAt != o.UpdatedAt || i.StartedAt != o.StartedAt ||
		i.MonitoringAt != o.MonitoringAt || i.ResolvedAt != o.ResolvedAt ||
		i.ScheduledFor != o.ScheduledFor || i.ScheduledUntil != o.ScheduledUntil ||
		i.AutoStart != o.AutoStart || i.AutoComplete != o.AutoComplete ||
		i.PostmortemDraft != o.PostmortemDraft || i.PostmortemBody != o.PostmortemBody ||
		i.PostmortemPublishedAt != o.PostmortemPublishedAt || i.Draft != o.Draft || i.PublishedAt != o.PublishedAt ||
		i.Version != o.Version || !sameSlice(i.ComponentIDs, o.ComponentIDs) ||
		len(i.Updates) != len(o.Updates) || (i.Updates == nil) != (o.Updates == nil) {
		return false
	}
	for k := range i.Updates {
		if !i.Updates[k].Same(&o.Updates[k]) {
			return false
		}
	}
	return true
}

// Same is Incident.Same for one update: pages and JSON made of an update
// are kept while it stays the same.
func (u *Update) Same(o *Update) bool {
	return u.ID == o.ID && u.Status == o.Status && u.Body == o.Body && u.CreatedAt == o.CreatedAt &&
		u.DisplayAt == o.DisplayAt && sameSlice(u.Affected, o.Affected)
}

// Clone returns u with an Affected of its own.
func (u Update) Clone() Update {
	u.Affected = slices.Clone(u.Affected)
	return u
}

// sameSlice is slices.Equal that tells nil from empty, as DeepEqual does.
func sameSlice[T comparable](a, b []T) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }

// UTC returns i with its times in UTC, as the stores return them (a
// zero time stays zero).
func (i Incident) UTC() Incident {
	for _, t := range []*time.Time{&i.CreatedAt, &i.UpdatedAt, &i.StartedAt, &i.MonitoringAt, &i.ResolvedAt,
		&i.ScheduledFor, &i.ScheduledUntil, &i.PostmortemPublishedAt, &i.PublishedAt} {
		*t = t.UTC()
	}
	for k := range i.Updates {
		i.Updates[k].CreatedAt, i.Updates[k].DisplayAt = i.Updates[k].CreatedAt.UTC(), i.Updates[k].DisplayAt.UTC()
	}
	return i
}

// Unresolved says whether an incident still needs attention: not resolved,
// not a postmortem, not a maintenance.
func (i *Incident) Unresolved() bool {
	return i.Kind == KindIncident && i.Status != Resolved && i.Status != Postmortem
}

// Pending returns the component statuses a draft's updates carry: for each
// component an update named, the status its latest update gave it. They
// apply when the draft is published (Service.Publish).
func (i *Incident) Pending() map[string]ComponentStatus {
	m := map[string]ComponentStatus{}
	// Updates are newest first: the oldest is applied first, so the
	// newest wins.
	for k := len(i.Updates) - 1; k >= 0; k-- {
		for _, a := range i.Updates[k].Affected {
			m[a.ComponentID] = a.New
		}
	}
	return m
}

// Token is an admin API credential: only its hash is stored.
type Token struct {
	ID        string
	Name      string
	Hash      []byte
	CreatedAt time.Time
	RevokedAt time.Time
}

// Channel is how a subscriber is told: the one definition of its values.
type Channel string

// The channels. An empty Channel is ChannelWebhook (what subscribers were
// before there were others).
const (
	// ChannelWebhook POSTs Statuspage's webhook JSON, signed, to URL.
	ChannelWebhook Channel = "webhook"
	// ChannelEmail mails Email, once it is confirmed (double opt-in).
	ChannelEmail Channel = "email"
	// ChannelSlack POSTs to a Slack incoming webhook at URL.
	ChannelSlack Channel = "slack"
	// ChannelTeams POSTs to a Microsoft Teams incoming webhook at URL.
	ChannelTeams Channel = "teams"
)

// Channels lists every Channel, in the order help texts name them.
var Channels = []Channel{ChannelWebhook, ChannelEmail, ChannelSlack, ChannelTeams}

// Subscriber receives notifications: of everything, or of the listed
// components.
type Subscriber struct {
	ID string
	// Channel is how the subscriber is told; "" is ChannelWebhook.
	Channel Channel
	// URL is where a webhook, Slack or Teams subscriber is called.
	URL string
	// Email is an email subscriber's address (addr-spec only).
	Email        string
	ComponentIDs []string
	// Secret signs a webhook's deliveries (HMAC-SHA256); of an email
	// subscriber it is the unguessable token of its confirm and
	// unsubscribe links.
	Secret    string
	CreatedAt time.Time
	// ConfirmedAt is when an email subscriber followed its confirm link;
	// zero until then, and the subscriber gets nothing but the
	// confirmation mail. Other channels need no confirmation.
	ConfirmedAt time.Time
}

// ConfirmPayload is the payload of the delivery AddSubscriber queues for
// an email subscriber not confirmed yet: the email sender makes the
// confirmation mail of it.
var ConfirmPayload = []byte(`{"headroom":"confirm-subscription"}`)

// Pending says whether s waits for its confirmation: an email subscriber
// whose confirm link was not followed yet.
func (s *Subscriber) Pending() bool {
	return s.Channel == ChannelEmail && s.ConfirmedAt.IsZero()
}

// Concerns says whether a change to these components reaches s: never a
// pending subscriber.
func (s *Subscriber) Concerns(componentIDs []string) bool {
	if s.Pending() {
		return false
	}
	if len(s.ComponentIDs) == 0 {
		return true
	}
	for _, id := range componentIDs {
		if slices.Contains(s.ComponentIDs, id) {
			return true
		}
	}
	return false
}

// Delivery is one notification to one subscriber, kept in the store's
// outbox until the receiver takes it.
type Delivery struct {
	ID           int64
	SubscriberID string
	// Channel, URL, Email and Secret are the subscriber's when queued.
	Channel     Channel
	URL, Secret string
	Email       string
	// Payload is the JSON body, Statuspage's webhook shape.
	Payload  []byte
	Attempts int
	// NextAt is when to try (again); LastError the previous failure.
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
}

// NewID returns a Statuspage-like identifier: 12 characters of [a-z0-9].
func NewID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [12]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
