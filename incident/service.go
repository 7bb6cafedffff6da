package incident

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroomhq/headroom"
)

// Config is what a Service is built from: the store and the page's
// structure from headroom.yaml.
type Config struct {
	Store Store
	Page  Page
	// Groups and Components as configured, in page order; a component's
	// Status is ignored (the stored one stands; a new one is operational).
	Groups     []Group
	Components []Component
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service applies the status page's rules, writes through the Store, and
// keeps the Snapshot the public side serves: rebuilt after every write,
// never per request.
type Service struct {
	cfg  Config
	mu   sync.Mutex // one write at a time in this process
	snap atomic.Pointer[Snapshot]
	// OnSnapshot, when set, is called with each new snapshot, after it
	// is in place (the public side renders its pages once per snapshot).
	OnSnapshot func(*Snapshot)
}

// OpenIncident is what opening an incident takes.
type OpenIncident struct {
	Name string
	// Status is investigating (the default), identified or monitoring.
	Status Status
	// Impact defaults from the components' statuses: major_outage →
	// critical, partial_outage → major, degraded_performance → minor,
	// else none.
	Impact Impact
	// Body is the first update's Markdown; required.
	Body string
	// Components are the affected components and their new statuses.
	Components map[string]ComponentStatus
	// StartedAt and DisplayAt default to now; set them to recreate an
	// incident after the fact (the seed's postmortem).
	StartedAt, DisplayAt time.Time
}

// PostUpdate is one update of an incident or a maintenance.
type PostUpdate struct {
	// Status is required: an incident status for an incident, a
	// maintenance status for a maintenance, and a transition the rules
	// allow (see Allowed).
	Status Status
	// Body is the update's Markdown; required.
	Body string
	// Impact, when set, changes the incident's impact.
	Impact Impact
	// Components change status with this update. Resolving (or
	// completing a maintenance) returns the incident's other components
	// to operational.
	Components map[string]ComponentStatus
	// DisplayAt defaults to now.
	DisplayAt time.Time
}

// ScheduleMaintenance is what scheduling maintenance takes.
type ScheduleMaintenance struct {
	Name, Body                   string
	ScheduledFor, ScheduledUntil time.Time
	Components                   []string
	// AutoStart moves it to in_progress at ScheduledFor (its components
	// under_maintenance); AutoComplete to completed at ScheduledUntil
	// (its components operational).
	AutoStart, AutoComplete bool
}

// NewService syncs the configured components into the store (new ones
// operational, existing ones keep their status), loads the store and
// builds the first snapshot.
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	return nil, errNotYet
}

// Snapshot returns the current snapshot; never nil after NewService.
func (s *Service) Snapshot() *Snapshot { return s.snap.Load() }

// Refresh reloads the store and rebuilds the snapshot when the store's
// Version moved (another replica wrote), or when force is set.
func (s *Service) Refresh(ctx context.Context, force bool) error { return errNotYet }

// Open opens an incident, changes the named components and notifies
// subscribers. Errors: EINVALID naming the field (empty name or body,
// unknown component, a status or impact not in the enum).
func (s *Service) Open(ctx context.Context, o OpenIncident) (*Incident, error) { return nil, errNotYet }

// Update posts an update. Errors: ENOTFOUND, EINVALID (empty body, a
// transition the rules refuse, an unknown component), ECONFLICT when
// another process wrote the incident meanwhile (after retrying).
func (s *Service) Update(ctx context.Context, id string, u PostUpdate) (*Incident, error) {
	return nil, errNotYet
}

// SetComponent changes one component's status outside any incident.
// Errors: ENOTFOUND, EINVALID.
func (s *Service) SetComponent(ctx context.Context, id string, status ComponentStatus) error {
	return errNotYet
}

// SavePostmortem replaces an incident's postmortem draft. Errors:
// ENOTFOUND, EINVALID (a maintenance, an unresolved incident).
func (s *Service) SavePostmortem(ctx context.Context, id, draft string) (*Incident, error) {
	return nil, errNotYet
}

// PublishPostmortem publishes the draft: the incident's status becomes
// postmortem, and subscribers are told. Errors: ENOTFOUND, EINVALID (no
// draft, unresolved).
func (s *Service) PublishPostmortem(ctx context.Context, id string) (*Incident, error) {
	return nil, errNotYet
}

// Schedule schedules maintenance. Errors: EINVALID (empty name, until not
// after for, unknown component).
func (s *Service) Schedule(ctx context.Context, m ScheduleMaintenance) (*Incident, error) {
	return nil, errNotYet
}

// Tick starts and completes the maintenances due at now that have
// AutoStart and AutoComplete; serve calls it every few seconds.
func (s *Service) Tick(ctx context.Context, now time.Time) error { return errNotYet }

var errNotYet = &headroom.Error{Code: headroom.EINTERNAL, Message: "incident: not implemented yet"}
