package incident

import (
	"cmp"
	"slices"
	"time"
)

// SnapshotInput is what a snapshot is built from.
type SnapshotInput struct {
	Page   Page
	Groups []Group
	// Components as configured; their stored status and times come from
	// Data, a component not stored yet is operational.
	Components []Component
	// Data is the store's, with history since the first day of the
	// uptime bars (UptimeStart of Now) or earlier.
	Data *Data
	// Now is when the snapshot is built: "today" of the uptime bars.
	Now time.Time
}

// UptimeStart is the start of the first day the uptime bars show at now:
// the history a snapshot needs starts there.
func UptimeStart(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), now.Day()-(UptimeDays-1), 0, 0, 0, 0, time.UTC)
}

// BuildSnapshot makes the public page from the store's data: a pure
// function of its input, so replicas given the same data serve the same
// page.
func BuildSnapshot(in SnapshotInput) *Snapshot {
	s := &Snapshot{
		Page:       in.Page,
		Groups:     slices.Clone(in.Groups),
		Components: mergeComponents(pageOrder(in.Groups, in.Components), in.Data.Components),
		Uptime:     map[string]Uptime{},
		Version:    in.Data.Version,
		BuiltAt:    in.Now,
	}
	slices.SortStableFunc(s.Groups, func(a, b Group) int { return cmp.Compare(a.Position, b.Position) })
	// Cloned in the order shown: sorted as pointers, not as incidents
	// moved by value.
	all := make([]*Incident, len(in.Data.Incidents))
	drafts := 0
	for i := range in.Data.Incidents {
		all[i] = &in.Data.Incidents[i]
		if all[i].Draft {
			drafts++
		}
	}
	slices.SortStableFunc(all, newestFirst)
	if n := len(all) - drafts; n > 0 {
		s.Incidents = make([]Incident, 0, n)
	}
	for _, inc := range all {
		if inc.Draft {
			s.Drafts = append(s.Drafts, inc.Clone())
			continue
		}
		s.Incidents = append(s.Incidents, inc.Clone())
	}
	st := StatusOf(s.Components, s.Incidents)
	s.Indicator, s.Description = st.Indicator, st.Description
	byComponent := map[string][]StatusChange{}
	for _, h := range in.Data.History {
		byComponent[h.ComponentID] = append(byComponent[h.ComponentID], h)
	}
	for _, c := range s.Components {
		s.Uptime[c.ID] = uptimeOf(c, byComponent[c.ID], in.Now)
		if c.UpdatedAt.After(s.UpdatedAt) {
			s.UpdatedAt = c.UpdatedAt
		}
	}
	for _, inc := range s.Incidents {
		if inc.UpdatedAt.After(s.UpdatedAt) {
			s.UpdatedAt = inc.UpdatedAt
		}
	}
	return s
}

// newestFirst orders incidents and maintenances by when they started,
// newest first (a recreated incident takes its place in history, not at
// the top), then by when they were written.
func newestFirst(a, b *Incident) int {
	if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
		return c
	}
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// pageOrder sorts components as the page shows them: by the position of
// what sits at the top level (a group, or a component outside any group),
// then by position inside the group; configuration order breaks ties.
func pageOrder(groups []Group, components []Component) []Component {
	groupPos := map[string]int{}
	for _, g := range groups {
		groupPos[g.ID] = g.Position
	}
	type keyed struct {
		top, inner, index int
		c                 Component
	}
	ks := make([]keyed, len(components))
	for i, c := range components {
		k := keyed{top: c.Position, inner: -1, index: i, c: c}
		if pos, ok := groupPos[c.GroupID]; ok && c.GroupID != "" {
			k.top, k.inner = pos, c.Position
		}
		ks[i] = k
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.top, b.top), cmp.Compare(a.inner, b.inner), cmp.Compare(a.index, b.index))
	})
	out := make([]Component, len(ks))
	for i, k := range ks {
		out[i] = k.c
	}
	return out
}

// mergeComponents gives configured components their stored status and
// times; the configuration names, describes and places them.
func mergeComponents(configured, stored []Component) []Component {
	out := slices.Clone(configured)
	for i := range out {
		out[i].Status = Operational
		for _, s := range stored {
			if s.ID == out[i].ID {
				out[i].Status, out[i].CreatedAt, out[i].UpdatedAt = s.Status, s.CreatedAt, s.UpdatedAt
				break
			}
		}
	}
	return out
}

// ComponentNames returns the names of the components ids name, in page
// order; unknown IDs are skipped.
func (s *Snapshot) ComponentNames(ids []string) []string {
	var names []string
	for _, c := range s.Components {
		if slices.Contains(ids, c.ID) {
			names = append(names, c.Name)
		}
	}
	return names
}

// Incident returns the public incident or maintenance with this ID, or
// nil (for a draft too).
func (s *Snapshot) Incident(id string) *Incident {
	for i := range s.Incidents {
		if s.Incidents[i].ID == id {
			return &s.Incidents[i]
		}
	}
	return nil
}

// Draft returns the draft incident with this ID, or nil.
func (s *Snapshot) Draft(id string) *Incident {
	for i := range s.Drafts {
		if s.Drafts[i].ID == id {
			return &s.Drafts[i]
		}
	}
	return nil
}
