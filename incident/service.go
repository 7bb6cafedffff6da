package incident

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// NewID makes the IDs of incidents, updates and component changes;
	// incident.NewID when nil (tests inject a counter for golden files).
	NewID func() string
	// Text returns what a reader sees of a Markdown body once the page
	// has rendered it (statuspage.MarkdownText); a body it reduces to
	// nothing (raw HTML, a javascript: link, an image) is refused, for
	// the admin API and the automation alike. Nil checks no rendering.
	Text func(markdown string) string
}

// Service applies the status page's rules, writes through the Store, and
// keeps the Snapshot the public side serves: rebuilt after every write,
// never per request.
type Service struct {
	cfg  Config
	mu   sync.Mutex // one write at a time in this process
	snap atomic.Pointer[Snapshot]
	// last is the data the snapshot was built from, read-only (the
	// snapshot shares it), guarded by mu: a write finds the store at its
	// Version reads it instead of loading the store again.
	last *Data
	// lastSince is the start of last's history: a write applied on last
	// is what a Load would return only while UptimeStart is at or after
	// it (a clock set back would need history last does not hold).
	lastSince time.Time
	// OnSnapshot, when set, is called with each new snapshot, after it
	// is in place (the public side renders its pages once per snapshot).
	// It runs under the Service's write lock: it must not call the
	// Service's write methods or Refresh.
	OnSnapshot func(*Snapshot)
	// Retries is how many times a write is tried again after ECONFLICT
	// (another replica wrote the same incident between the load and the
	// commit); DefaultRetries from NewService.
	Retries int

	components []Component    // configured, page order
	index      map[string]int // component ID → index in components
	// updates keeps the webhooks' updates' JSON between writes; mu
	// guards it.
	updates UpdatesJSON
}

// DefaultRetries is Service.Retries' default.
const DefaultRetries = 5

// MaxNameLength and MaxBodyLength bound what a writer may post, in
// characters: a name is a line, a body a post (a postmortem fits).
const (
	MaxNameLength = 255
	MaxBodyLength = 65536
)

// MaxClockSkew is how far in the future a writer's StartedAt or DisplayAt
// may be (its clock runs ahead of the server's); further is refused.
const MaxClockSkew = time.Minute

// MaxPast is how far back a writer's time may be: far enough to recreate
// an old incident, near enough that one typo (year 1678) cannot make every
// write render thousands of history pages.
const MaxPast = 20 * 365 * 24 * time.Hour

// The texts of the updates Tick posts, Statuspage's for its automatic
// transitions.
const (
	AutoStartBody    = "Scheduled maintenance is currently in progress. We will provide updates as necessary."
	AutoCompleteBody = "The scheduled maintenance has been completed."
)

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
	// Draft opens it unpublished (Incident.Draft): admins see it, the
	// public side does not, Components keep their status and
	// subscribers hear nothing until Publish.
	Draft bool
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
// builds the first snapshot. Errors: EINVALID for a configuration that
// names a component or group twice, a group that does not exist or an
// unknown time zone; the store's errors.
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, Retries: DefaultRetries, index: map[string]int{}}
	s.components = pageOrder(cfg.Groups, cfg.Components)
	for i, c := range s.components {
		s.index[c.ID] = i
	}

	// Sync: insert new components, rewrite those whose configuration
	// changed; a component's status is the store's.
	now := s.now()
	d, err := cfg.Store.Load(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("load the status page: %w", err)
	}
	var sync Change
	for _, c := range s.components {
		i := slices.IndexFunc(d.Components, func(x Component) bool { return x.ID == c.ID })
		if i < 0 {
			c.Status, c.CreatedAt, c.UpdatedAt = Operational, now, now
			sync.Components = append(sync.Components, c)
			continue
		}
		stored := d.Components[i]
		c.Status, c.CreatedAt, c.UpdatedAt = stored.Status, stored.CreatedAt, stored.UpdatedAt
		if c != stored {
			sync.Components = append(sync.Components, c)
		}
	}
	if len(sync.Components) > 0 {
		if err := cfg.Store.Commit(ctx, &sync); err != nil {
			return nil, fmt.Errorf("store the configured components: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.rebuild(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// checkConfig refuses a page structure the rules cannot work with.
func checkConfig(cfg Config) error {
	var ps problems
	if cfg.Store == nil {
		ps.add("store: none; expected a Store (store/sqlite, store/postgres or store/memory)")
	}
	if cfg.Page.TimeZone != "" {
		if _, err := time.LoadLocation(cfg.Page.TimeZone); err != nil {
			ps.add("page.time_zone: %q is not a time zone; expected an IANA name such as \"Etc/UTC\" or \"Europe/Paris\"", cfg.Page.TimeZone)
		}
	}
	groups := map[string]bool{}
	for i, g := range cfg.Groups {
		switch {
		case g.ID == "":
			ps.add("groups[%d].id: empty; expected the group's ID", i)
		case groups[g.ID]:
			ps.add("groups[%d].id: %q repeated; expected each group once", i, g.ID)
		}
		groups[g.ID] = true
	}
	seen := map[string]bool{}
	for i, c := range cfg.Components {
		switch {
		case c.ID == "":
			ps.add("components[%d].id: empty; expected the component's ID", i)
		case seen[c.ID]:
			ps.add("components[%d].id: %q repeated; expected each component once", i, c.ID)
		}
		seen[c.ID] = true
		if strings.TrimSpace(c.Name) == "" {
			ps.add("components[%d].name: empty; expected the name people see", i)
		}
		if c.GroupID != "" && !groups[c.GroupID] {
			ps.add("components[%d].group: %q is not a group; expected one of the configured groups' IDs", i, c.GroupID)
		}
	}
	return ps.err()
}

// Snapshot returns the current snapshot; never nil after NewService.
func (s *Service) Snapshot() *Snapshot { return s.snap.Load() }

// Refresh reloads the store and rebuilds the snapshot when the store's
// Version moved (another replica wrote), or when force is set.
func (s *Service) Refresh(ctx context.Context, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force {
		v, err := s.cfg.Store.Version(ctx)
		if err != nil {
			return fmt.Errorf("read the store's version: %w", err)
		}
		if cur := s.snap.Load(); cur != nil && cur.Version == v {
			return nil
		}
	}
	return s.rebuild(ctx)
}

// rebuild loads the store and puts a new snapshot in place; s.mu is held.
func (s *Service) rebuild(ctx context.Context) error {
	now := s.now()
	d, err := s.cfg.Store.Load(ctx, UptimeStart(now))
	if err != nil {
		return fmt.Errorf("load the status page: %w", err)
	}
	s.publish(d, now)
	return nil
}

// rebuildAfter puts in place the snapshot of a write's commit of c on
// d. When d is the snapshot's own data and c the only commit since (the
// store's Version is one past d's), that is d with c applied: loading the
// whole store again was three quarters of a write's CPU on a page of 200
// incidents (BenchmarkServiceUpdate in store/sqlite), and serve's readers
// share the machine with it. Otherwise it loads afresh. s.mu is held.
func (s *Service) rebuildAfter(ctx context.Context, d *Data, c *Change) error {
	if now := s.now(); d == s.last && !UptimeStart(now).Before(s.lastSince) {
		if v, err := s.cfg.Store.Version(ctx); err == nil && v == d.Version+1 {
			s.publish(applied(d, c, v, UptimeStart(now)), now)
			return nil
		}
	}
	return s.rebuild(ctx)
}

// publish builds the snapshot of d, loaded with history from
// UptimeStart(now), and puts it in place; s.mu is held.
func (s *Service) publish(d *Data, now time.Time) {
	snap := BuildSnapshot(SnapshotInput{Page: s.cfg.Page, Groups: s.cfg.Groups, Components: s.components, Data: d, Now: now})
	s.last, s.lastSince = d, UptimeStart(now)
	s.snap.Store(snap)
	if s.OnSnapshot != nil {
		s.OnSnapshot(snap)
	}
}

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) newID() string {
	if s.cfg.NewID != nil {
		return s.cfg.NewID()
	}
	return NewID()
}

// write runs build on freshly loaded data and commits the change it
// returns, one write at a time in this process. On ECONFLICT (another
// replica wrote the same incident between the load and the commit) it
// loads and builds again, so the rules are checked against what is
// stored now, up to s.Retries times. build returns a nil change when
// there is nothing to write. After a commit the snapshot is rebuilt.
func (s *Service) write(ctx context.Context, build func(d *Data) (*Change, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d *Data
	var c *Change
	for attempt := 0; ; attempt++ {
		var err error
		d, err = s.loadForWrite(ctx, attempt)
		if err != nil {
			return fmt.Errorf("load the status page: %w", err)
		}
		c, err = build(d)
		if err != nil {
			return err
		}
		if c == nil {
			return nil
		}
		if c.Incident != nil && c.Replaces == nil {
			c.Replaces = stored(d, c.Incident)
		}
		err = s.cfg.Store.Commit(ctx, c)
		if err == nil {
			break
		}
		if headroom.ErrorCode(err) != headroom.ECONFLICT {
			return fmt.Errorf("store the change: %w", err)
		}
		if attempt >= s.Retries {
			return fmt.Errorf("store the change: still conflicting after %d retries: %w", s.Retries, err)
		}
	}
	// The write is durable now: a failure to rebuild must not report it
	// failed (the writer would post it twice). The snapshot's Version
	// stays behind the store's, so the next Refresh rebuilds it; a
	// writer who went away does not cancel the rebuild either.
	_ = s.rebuildAfter(context.WithoutCancel(ctx), d, c)
	return nil
}

// stored returns inc's previous version in d (the one a write of inc
// replaces), nil when d has none. The store only reads it.
func stored(d *Data, inc *Incident) *Incident {
	for i := range d.Incidents {
		if p := &d.Incidents[i]; p.ID == inc.ID && p.Version == inc.Version-1 {
			return p
		}
	}
	return nil
}

// loadForWrite returns the data a write builds on: the snapshot's, when
// the store's Version says nothing was committed since it was loaded (a
// write loaded the whole store twice, before and after its commit: 55% of
// its CPU on a live page), else a fresh load, always after a conflict.
// build functions only read it (they write a Change, cloning what they
// change); its history reaches further back than a write needs, and no
// write reads history. s.mu is held.
func (s *Service) loadForWrite(ctx context.Context, attempt int) (*Data, error) {
	if attempt == 0 && s.last != nil {
		if v, err := s.cfg.Store.Version(ctx); err == nil && v == s.last.Version {
			return s.last, nil
		}
	}
	return s.cfg.Store.Load(ctx, s.now())
}

// problems collects what is wrong with one write, so that the writer
// fixes everything in one pass; err joins them into one EINVALID.
type problems []string

func (ps *problems) add(format string, args ...any) { *ps = append(*ps, fmt.Sprintf(format, args...)) }

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &headroom.Error{Code: headroom.EINVALID, Message: strings.Join(ps, "; ")}
}

// checkText checks a name (one line) or a Markdown body: present unless
// optional, valid UTF-8, no control characters but a body's line breaks
// and tabs, at most max characters.
func checkText(ps *problems, field, s, expected string, max int, body, optional bool) {
	if strings.TrimSpace(s) == "" {
		if !optional || s != "" {
			ps.add("%s: empty; expected %s", field, expected)
		}
		return
	}
	if !utf8.ValidString(s) {
		ps.add("%s: not valid UTF-8; expected %s", field, expected)
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		ps.add("%s: %d characters; expected at most %d", field, n, max)
	}
	for i, r := range s {
		lineBreak := r == '\n' || r == '\r' || r == '\t'
		if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) && !(body && lineBreak) {
			ps.add("%s: control character %U at byte %d; expected %s", field, r, i, expected)
			return
		}
	}
}

// checkBody checks a Markdown body as checkText does, and refuses one
// the page would show as nothing (Config.Text): an update of raw HTML or a
// javascript: link would be published empty.
func (s *Service) checkBody(ps *problems, field, body, expected string, optional bool) {
	n := len(*ps)
	checkText(ps, field, body, expected, MaxBodyLength, true, optional)
	if len(*ps) > n || s.cfg.Text == nil || strings.TrimSpace(body) == "" {
		return
	}
	if strings.TrimSpace(s.cfg.Text(body)) == "" {
		ps.add("%s: shows nothing once rendered (raw HTML, images and javascript: links are removed from the page); expected %s with text", field, expected)
	}
}

// checkTime refuses a writer's time in the future beyond MaxClockSkew, or
// more than MaxPast ago.
func checkTime(ps *problems, field string, t, now time.Time) {
	switch {
	case t.After(now.Add(MaxClockSkew)):
		ps.add("%s: %s is after now (%s); expected a time not in the future", field, t.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	case !t.IsZero() && t.Before(now.Add(-MaxPast)):
		ps.add("%s: %s is more than 20 years ago; expected a time since %s", field, t.UTC().Format(time.RFC3339), now.Add(-MaxPast).UTC().Format(time.DateOnly))
	}
}

// componentIDs quotes the configured components' IDs for messages.
func (s *Service) componentIDs() string {
	ids := make([]string, len(s.components))
	for i, c := range s.components {
		ids[i] = c.ID
	}
	return quoteList(ids)
}

// checkComponents checks that a write names configured components and
// component statuses.
func (s *Service) checkComponents(ps *problems, m map[string]ComponentStatus) {
	for _, id := range slices.Sorted(maps.Keys(m)) {
		if _, ok := s.index[id]; !ok {
			ps.add("components[%q]: unknown component; expected %s", id, s.componentIDs())
			continue
		}
		if severity(m[id]) < 0 {
			ps.add("components[%q]: %q is not a component status; expected %s", id, m[id], quoteList(ComponentStatuses))
		}
	}
}

// inPageOrder returns the IDs of m in page order.
func (s *Service) inPageOrder(ids []string) []string {
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(s.index[a], s.index[b]) })
	return out
}

// current returns the configured components with their stored status,
// by ID.
func (s *Service) current(d *Data) map[string]Component {
	out := map[string]Component{}
	for _, c := range mergeComponents(s.components, d.Components) {
		out[c.ID] = c
	}
	return out
}

// setStatuses changes the components named in set (in page order) into
// c: a history entry at at and a stored component for each one whose
// status changes. It returns what the update shows, every named
// component old → new, changed or not, as Statuspage lists them.
func (s *Service) setStatuses(c *Change, comps map[string]Component, set map[string]ComponentStatus, at, now time.Time) []Affected {
	var affected []Affected
	for _, id := range s.inPageOrder(slices.Collect(maps.Keys(set))) {
		cur, to := comps[id], set[id]
		affected = append(affected, Affected{ComponentID: id, Name: cur.Name, Old: cur.Status, New: to})
		if cur.Status == to {
			continue
		}
		c.History = append(c.History, StatusChange{ComponentID: id, At: at, From: cur.Status, To: to})
		cur.Status, cur.UpdatedAt = to, now
		comps[id] = cur
		c.Components = append(c.Components, cur)
	}
	return affected
}

// after is the public page as it will be once c is stored, as its status
// reads it: the configured components, and the incidents that count in
// the status (statusCounts), drafts left out.
func (s *Service) after(d *Data, comps map[string]Component, inc *Incident) ([]Component, []Incident) {
	components := make([]Component, len(s.components))
	for i, c := range s.components {
		components[i] = comps[c.ID]
	}
	// Only the incidents the page's status counts (StatusOf): copying
	// all of them, every update of a long history, was a quarter of
	// what an update allocated on a page of 200 incidents.
	var incidents []Incident
	replaced := false
	for i := range d.Incidents {
		x := &d.Incidents[i]
		if inc != nil && x.ID == inc.ID {
			x, replaced = inc, true
		}
		if !x.Draft && statusCounts(x) {
			incidents = append(incidents, *x)
		}
	}
	if inc != nil && !replaced && !inc.Draft && statusCounts(inc) {
		incidents = append(incidents, *inc)
	}
	return components, incidents
}

// notifyIncident adds to c the webhook telling subscribers about inc.
func (s *Service) notifyIncident(c *Change, d *Data, comps map[string]Component, inc *Incident, now time.Time) error {
	components, incidents := s.after(d, comps, inc)
	payload, err := s.updates.Webhook(s.cfg.Page, StatusOf(components, incidents), inc, components, now)
	s.updates.Sweep()
	if err != nil {
		return fmt.Errorf("encode the webhook of incident %q: %w", inc.ID, err)
	}
	c.Notify = &Notification{ComponentIDs: slices.Clone(inc.ComponentIDs), Payload: payload}
	return nil
}

func findIncident(d *Data, id string) (*Incident, error) {
	for i := range d.Incidents {
		if d.Incidents[i].ID == id {
			inc := d.Incidents[i].Clone()
			return &inc, nil
		}
	}
	return nil, headroom.Errorf(headroom.ENOTFOUND, "incident %q: not found", id)
}

// addComponentIDs adds ids to an incident's components, keeping page
// order.
func (s *Service) addComponentIDs(have []string, ids []string) []string {
	for _, id := range ids {
		if !slices.Contains(have, id) {
			have = append(have, id)
		}
	}
	return s.inPageOrder(have)
}

// Open opens an incident, changes the named components and notifies
// subscribers; a Draft changes no component and notifies nobody (see
// Publish). Errors: EINVALID naming the field (empty name or body,
// unknown component, a status or impact not in the enum).
func (s *Service) Open(ctx context.Context, o OpenIncident) (*Incident, error) {
	now := s.now()
	status := cmp.Or(o.Status, Investigating)
	startedAt, displayAt := o.StartedAt.UTC(), o.DisplayAt.UTC()
	if o.StartedAt.IsZero() {
		startedAt = now
	}
	if o.DisplayAt.IsZero() {
		displayAt = now
	}
	var ps problems
	checkText(&ps, "name", o.Name, "the incident's title", MaxNameLength, false, false)
	if opening := []Status{Investigating, Identified, Monitoring}; !slices.Contains(opening, status) {
		ps.add("status: %q is not allowed when opening an incident; expected %s", status, quoteList(opening))
	}
	if o.Impact != "" && !slices.Contains(Impacts, o.Impact) {
		ps.add("impact: %q is not an incident's impact; expected %s", o.Impact, quoteList(Impacts))
	}
	s.checkBody(&ps, "body", o.Body, "the update's text in Markdown", false)
	s.checkComponents(&ps, o.Components)
	checkTime(&ps, "started_at", startedAt, now)
	checkTime(&ps, "display_at", displayAt, now)
	if err := ps.err(); err != nil {
		return nil, err
	}

	// IDs are drawn once: a retry writes the same incident.
	id, updateID := s.newID(), s.newID()
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		inc := &Incident{
			ID: id, Kind: KindIncident, Name: o.Name, Status: status, Impact: o.Impact,
			CreatedAt: now, UpdatedAt: now, StartedAt: startedAt, Draft: o.Draft, Version: 1,
		}
		c := &Change{Incident: inc}
		comps := s.current(d)
		// A draft's update records the statuses it gives; the
		// components change when it is published.
		changes := c
		if inc.Draft {
			changes = &Change{}
		}
		affected := s.setStatuses(changes, comps, o.Components, displayAt, now)
		inc.ComponentIDs = s.addComponentIDs(nil, slices.Collect(maps.Keys(o.Components)))
		if inc.Impact == "" {
			inc.Impact = ImpactOf(slices.Collect(maps.Values(o.Components))...)
		}
		if status == Monitoring {
			inc.MonitoringAt = displayAt
		}
		inc.Updates = []Update{{ID: updateID, Status: status, Body: o.Body, CreatedAt: now, DisplayAt: displayAt, Affected: affected}}
		if inc.Draft {
			out = inc
			return c, nil
		}
		if err := s.notifyIncident(c, d, comps, inc, now); err != nil {
			return nil, err
		}
		out = inc
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update posts an update. Errors: ENOTFOUND, EINVALID (empty body, a
// transition the rules refuse, an unknown component), ECONFLICT when
// another process wrote the incident meanwhile (after retrying).
func (s *Service) Update(ctx context.Context, id string, u PostUpdate) (*Incident, error) {
	return s.update(ctx, id, u, s.now(), nil)
}

// update posts u at now. due, when set, is asked on the freshly loaded
// incident whether the update is still to be made (Tick: another replica
// may have made it); when not, nothing is written and the result is nil.
func (s *Service) update(ctx context.Context, id string, u PostUpdate, now time.Time, due func(*Incident) bool) (*Incident, error) {
	displayAt := u.DisplayAt.UTC()
	if u.DisplayAt.IsZero() {
		displayAt = now
	}
	var ps problems
	if u.Status == "" {
		ps.add("status: empty; expected the status after this update")
	}
	s.checkBody(&ps, "body", u.Body, "the update's text in Markdown", false)
	s.checkComponents(&ps, u.Components)
	checkTime(&ps, "display_at", displayAt, now)
	if err := ps.err(); err != nil {
		return nil, err
	}

	updateID := s.newID()
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		prev, err := findIncident(d, id)
		if err != nil {
			return nil, err
		}
		if due != nil && !due(prev) {
			return nil, nil
		}
		if err := checkTransition(prev, u); err != nil {
			return nil, err
		}
		inc := prev.Clone()
		inc.Version++
		inc.UpdatedAt = now
		inc.Status = u.Status
		c := &Change{Incident: &inc}
		comps := s.current(d)
		// A draft changes no component: its updates are written over
		// the statuses its earlier updates gave (resolving one returns
		// those to operational), and Publish applies the result.
		changes := c
		if inc.Draft {
			for cid, st := range inc.Pending() {
				cur := comps[cid]
				cur.Status = st
				comps[cid] = cur
			}
			changes = &Change{}
		}

		// What the status itself does to the incident's components the
		// update does not name: resolving returns them to operational;
		// a maintenance starting puts them under maintenance, and
		// completing returns those under maintenance to operational
		// (cancelling one never started leaves an outage alone).
		set := maps.Clone(u.Components)
		if set == nil {
			set = map[string]ComponentStatus{}
		}
		entering := prev.Status != u.Status
		for _, cid := range prev.ComponentIDs {
			if _, named := set[cid]; named {
				continue
			}
			cur := comps[cid].Status
			switch {
			case !entering:
			case u.Status == Resolved && cur != Operational:
				set[cid] = Operational
			case u.Status == InProgress && cur != UnderMaintenance:
				set[cid] = UnderMaintenance
			case u.Status == Completed && cur == UnderMaintenance:
				set[cid] = Operational
			}
		}
		affected := s.setStatuses(changes, comps, set, displayAt, now)
		inc.ComponentIDs = s.addComponentIDs(inc.ComponentIDs, slices.Collect(maps.Keys(u.Components)))

		// An incident's impact is the writer's when given; otherwise it
		// rises with the components named (it never falls by itself: a
		// resolved incident keeps the impact it had).
		if inc.Kind == KindIncident {
			if u.Impact != "" {
				inc.Impact = u.Impact
			} else if derived := ImpactOf(slices.Collect(maps.Values(u.Components))...); slices.Index(Impacts, derived) > slices.Index(Impacts, inc.Impact) {
				inc.Impact = derived
			}
		}
		if entering {
			switch u.Status {
			case Monitoring, Verifying:
				if inc.MonitoringAt.IsZero() {
					inc.MonitoringAt = displayAt
				}
			case Resolved, Completed:
				if inc.ResolvedAt.IsZero() {
					inc.ResolvedAt = displayAt
				}
			}
		}
		inc.Updates = append([]Update{{ID: updateID, Status: u.Status, Body: u.Body, CreatedAt: now, DisplayAt: displayAt, Affected: affected}}, inc.Updates...)
		if inc.Draft {
			out = &inc
			return c, nil
		}
		if err := s.notifyIncident(c, d, comps, &inc, now); err != nil {
			return nil, err
		}
		out = &inc
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkTransition checks an update's status and impact against the
// incident it is posted on.
func checkTransition(inc *Incident, u PostUpdate) error {
	var ps problems
	allowed := next(inc.Kind, inc.Status)
	switch {
	case !slices.Contains(statusesOf(inc.Kind), u.Status):
		ps.add("status: %q is not %s status; expected %s", u.Status, article(inc.Kind), quoteList(allowed))
	case !Allowed(inc.Kind, inc.Status, u.Status):
		hint := ""
		if u.Status == Postmortem {
			hint = " (publish the postmortem to reach \"postmortem\")"
		}
		ps.add("status: %q after %q is not allowed; expected %s%s", u.Status, inc.Status, quoteList(allowed), hint)
	}
	switch {
	case u.Impact == "":
	case inc.Kind == KindMaintenance && u.Impact != ImpactMaintenance:
		ps.add("impact: %q on a maintenance; expected %q or none", u.Impact, ImpactMaintenance)
	case inc.Kind == KindIncident && !slices.Contains(Impacts, u.Impact):
		ps.add("impact: %q is not an incident's impact; expected %s", u.Impact, quoteList(Impacts))
	}
	return ps.err()
}

func article(k Kind) string {
	if k == KindMaintenance {
		return "a maintenance"
	}
	return "an incident"
}

// SetComponent changes one component's status outside any incident.
// Setting the status it has writes nothing. Errors: ENOTFOUND, EINVALID.
func (s *Service) SetComponent(ctx context.Context, id string, status ComponentStatus) error {
	if _, ok := s.index[id]; !ok {
		return headroom.Errorf(headroom.ENOTFOUND, "component %q: not found; expected %s", id, s.componentIDs())
	}
	if severity(status) < 0 {
		return headroom.Errorf(headroom.EINVALID, "status: %q is not a component status; expected %s", status, quoteList(ComponentStatuses))
	}
	now := s.now()
	changeID := s.newID()
	return s.write(ctx, func(d *Data) (*Change, error) {
		comps := s.current(d)
		old := comps[id].Status
		if old == status {
			return nil, nil
		}
		c := &Change{}
		s.setStatuses(c, comps, map[string]ComponentStatus{id: status}, now, now)
		components, incidents := s.after(d, comps, nil)
		payload, err := json.Marshal(ToComponentWebhook(s.cfg.Page, StatusOf(components, incidents), comps[id], old, changeID, now))
		if err != nil {
			return nil, fmt.Errorf("encode the webhook of component %q: %w", id, err)
		}
		c.Notify = &Notification{ComponentIDs: []string{id}, Payload: payload}
		return c, nil
	})
}

// checkPostmortem refuses a postmortem on a maintenance, a draft or an
// incident not resolved yet.
func checkPostmortem(inc *Incident) error {
	switch {
	case inc.Kind == KindMaintenance:
		return headroom.Errorf(headroom.EINVALID, "postmortem: incident %q is a maintenance; expected an incident", inc.ID)
	case inc.Draft:
		return headroom.Errorf(headroom.EINVALID, "postmortem: incident %q is a draft; expected a published incident (publish it first)", inc.ID)
	case inc.Unresolved():
		return headroom.Errorf(headroom.EINVALID, "postmortem: incident %q is %q; expected a resolved incident (resolve it first)", inc.ID, inc.Status)
	}
	return nil
}

// SavePostmortem replaces an incident's postmortem draft. Errors:
// ENOTFOUND, EINVALID (a maintenance, an unresolved incident).
func (s *Service) SavePostmortem(ctx context.Context, id, draft string) (*Incident, error) {
	var ps problems
	s.checkBody(&ps, "draft", draft, "the postmortem in Markdown", true)
	if err := ps.err(); err != nil {
		return nil, err
	}
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		inc, err := findIncident(d, id)
		if err != nil {
			return nil, err
		}
		if err := checkPostmortem(inc); err != nil {
			return nil, err
		}
		// A draft is not public: UpdatedAt (the page's "updated") stays.
		inc.PostmortemDraft = draft
		inc.Version++
		out = inc
		return &Change{Incident: inc}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PublishPostmortem publishes the draft: the incident's status becomes
// postmortem, and subscribers are told. Errors: ENOTFOUND, EINVALID (no
// draft, unresolved).
func (s *Service) PublishPostmortem(ctx context.Context, id string) (*Incident, error) {
	now := s.now()
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		inc, err := findIncident(d, id)
		if err != nil {
			return nil, err
		}
		if err := checkPostmortem(inc); err != nil {
			return nil, err
		}
		if strings.TrimSpace(inc.PostmortemDraft) == "" {
			return nil, headroom.Errorf(headroom.EINVALID, "postmortem: incident %q has no draft; expected a draft saved first", id)
		}
		inc.PostmortemBody = inc.PostmortemDraft
		inc.PostmortemPublishedAt = now
		inc.Status = Postmortem
		inc.UpdatedAt = now
		inc.Version++
		c := &Change{Incident: inc}
		if err := s.notifyIncident(c, d, s.current(d), inc, now); err != nil {
			return nil, err
		}
		out = inc
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Publish puts draft id on the public side as of now: its CreatedAt,
// UpdatedAt and PublishedAt become now (the page, the JSON and the feeds
// show it from then on), its updates keep their times, and subscribers
// are told (one incident webhook, as for Open). An unresolved draft's
// components take, at now, the statuses its updates gave them
// (Incident.Pending); a resolved one changes none: it is published as
// history. Errors: ENOTFOUND; ECONFLICT when the incident is not a draft
// (published already, or opened public), after retrying a concurrent
// write.
func (s *Service) Publish(ctx context.Context, id string) (*Incident, error) {
	now := s.now()
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		inc, err := findIncident(d, id)
		if err != nil {
			return nil, err
		}
		switch {
		case inc.Kind == KindMaintenance:
			return nil, headroom.Errorf(headroom.ECONFLICT, "incident %q: a maintenance, public since it was scheduled; expected a draft incident", id)
		case !inc.Draft && !inc.PublishedAt.IsZero():
			return nil, headroom.Errorf(headroom.ECONFLICT, "incident %q: published already, at %s; expected a draft", id, inc.PublishedAt.Format(time.RFC3339))
		case !inc.Draft:
			return nil, headroom.Errorf(headroom.ECONFLICT, "incident %q: public since it was opened; expected a draft", id)
		}
		inc.Draft = false
		inc.CreatedAt, inc.UpdatedAt, inc.PublishedAt = now, now, now
		inc.Version++
		c := &Change{Incident: inc}
		comps := s.current(d)
		if inc.Unresolved() {
			// A component dropped from the configuration since is
			// left alone.
			pending := inc.Pending()
			maps.DeleteFunc(pending, func(cid string, _ ComponentStatus) bool { _, ok := s.index[cid]; return !ok })
			s.setStatuses(c, comps, pending, now, now)
		}
		if err := s.notifyIncident(c, d, comps, inc, now); err != nil {
			return nil, err
		}
		out = inc
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Schedule schedules maintenance. Errors: EINVALID (empty name, until not
// after for, unknown component).
func (s *Service) Schedule(ctx context.Context, m ScheduleMaintenance) (*Incident, error) {
	now := s.now()
	var ps problems
	checkText(&ps, "name", m.Name, "the maintenance's title", MaxNameLength, false, false)
	s.checkBody(&ps, "body", m.Body, "the announcement's text in Markdown", false)
	switch {
	case m.ScheduledFor.IsZero():
		ps.add("scheduled_for: empty; expected when the maintenance starts")
	case !m.ScheduledUntil.After(m.ScheduledFor):
		ps.add("scheduled_until: %s is not after scheduled_for %s; expected when the maintenance ends",
			m.ScheduledUntil.UTC().Format(time.RFC3339), m.ScheduledFor.UTC().Format(time.RFC3339))
	case m.ScheduledFor.Before(now.Add(-MaxPast)) || m.ScheduledUntil.After(now.Add(MaxPast)):
		ps.add("scheduled_for: %s to %s; expected times within 20 years of now",
			m.ScheduledFor.UTC().Format(time.RFC3339), m.ScheduledUntil.UTC().Format(time.RFC3339))
	}
	for i, id := range m.Components {
		if _, ok := s.index[id]; !ok {
			ps.add("components[%d]: %q is an unknown component; expected %s", i, id, s.componentIDs())
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}

	id, updateID := s.newID(), s.newID()
	var out *Incident
	err := s.write(ctx, func(d *Data) (*Change, error) {
		comps := s.current(d)
		ids := s.addComponentIDs(nil, m.Components)
		// The announcement lists the components as they are, as
		// Statuspage's does.
		var affected []Affected
		for _, cid := range ids {
			affected = append(affected, Affected{ComponentID: cid, Name: comps[cid].Name, Old: comps[cid].Status, New: comps[cid].Status})
		}
		// Statuspage starts a maintenance's record when it is written
		// (started_at = created_at); ScheduledFor is when the work
		// starts.
		inc := &Incident{
			ID: id, Kind: KindMaintenance, Name: m.Name, Status: Scheduled, Impact: ImpactMaintenance,
			ComponentIDs: ids, CreatedAt: now, UpdatedAt: now, StartedAt: now,
			ScheduledFor: m.ScheduledFor.UTC(), ScheduledUntil: m.ScheduledUntil.UTC(),
			AutoStart: m.AutoStart, AutoComplete: m.AutoComplete, Version: 1,
			Updates: []Update{{ID: updateID, Status: Scheduled, Body: m.Body, CreatedAt: now, DisplayAt: now, Affected: affected}},
		}
		c := &Change{Incident: inc}
		if err := s.notifyIncident(c, d, comps, inc, now); err != nil {
			return nil, err
		}
		out = inc
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// startDue and completeDue say whether Tick moves a maintenance at now. A
// maintenance without AutoStart that nobody started stays scheduled past
// its end: someone must start or cancel it.
func startDue(i *Incident, now time.Time) bool {
	return i.Kind == KindMaintenance && i.AutoStart && i.Status == Scheduled && !now.Before(i.ScheduledFor)
}

func completeDue(i *Incident, now time.Time) bool {
	return i.Kind == KindMaintenance && i.AutoComplete && (i.Status == InProgress || i.Status == Verifying) && !now.Before(i.ScheduledUntil)
}

// Tick starts and completes the maintenances due at now that have
// AutoStart and AutoComplete; serve calls it every few seconds. A
// maintenance whose start and end both passed (serve was down) is
// started, then completed. Each move is checked again on fresh data, so
// replicas ticking together post it once.
func (s *Service) Tick(ctx context.Context, now time.Time) error {
	now = now.UTC()
	// The snapshot's data when nothing was written since: this runs every
	// few seconds, and a load of the whole store is about 4 ms of CPU on
	// a page of 200 incidents (BenchmarkServiceUpdate's before and after).
	s.mu.Lock()
	d, err := s.loadForWrite(ctx, 0)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("load the status page: %w", err)
	}
	var errs []error
	for i := range d.Incidents {
		m := &d.Incidents[i]
		started := m.Status == InProgress || m.Status == Verifying
		if startDue(m, now) {
			_, err := s.update(ctx, m.ID, PostUpdate{Status: InProgress, Body: AutoStartBody, DisplayAt: now}, now,
				func(i *Incident) bool { return startDue(i, now) })
			if err != nil {
				errs = append(errs, fmt.Errorf("start maintenance %q: %w", m.ID, err))
				continue
			}
			started = true
		}
		if started && m.AutoComplete && !now.Before(m.ScheduledUntil) {
			_, err := s.update(ctx, m.ID, PostUpdate{Status: Completed, Body: AutoCompleteBody, DisplayAt: now}, now,
				func(i *Incident) bool { return completeDue(i, now) })
			if err != nil {
				errs = append(errs, fmt.Errorf("complete maintenance %q: %w", m.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}
