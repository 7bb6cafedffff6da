package incident

import (
	"slices"
	"time"
)

// applied returns what Load(since) would return once c is committed on
// top of d, with version as the store's Version: the stores' contract
// (store/storetest) fixes what a Commit stores, and BuildSnapshot orders
// components, incidents and history itself, so the order the stores load
// them in does not matter. d is left as it is (a snapshot and a write in
// progress may share it); what c changes is copied.
func applied(d *Data, c *Change, version int64, since time.Time) *Data {
	n := &Data{Version: version, Components: slices.Clone(d.Components), Incidents: slices.Clone(d.Incidents)}
	for _, comp := range c.Components {
		comp.CreatedAt, comp.UpdatedAt = comp.CreatedAt.UTC(), comp.UpdatedAt.UTC()
		if i := slices.IndexFunc(n.Components, func(x Component) bool { return x.ID == comp.ID }); i >= 0 {
			n.Components[i] = comp
		} else {
			n.Components = append(n.Components, comp)
		}
	}
	if c.Incident != nil {
		inc := c.Incident.Clone().UTC()
		if i := slices.IndexFunc(n.Incidents, func(x Incident) bool { return x.ID == inc.ID }); i >= 0 {
			n.Incidents[i] = inc
		} else {
			n.Incidents = append(n.Incidents, inc)
		}
	}
	n.History = make([]StatusChange, 0, len(d.History)+len(c.History))
	for _, h := range d.History {
		if !h.At.Before(since) {
			n.History = append(n.History, h)
		}
	}
	for _, h := range c.History {
		h.At = h.At.UTC()
		if h.At.Before(since) {
			continue
		}
		// Oldest first, a new entry after those at the same time: the
		// stores' order (at, then append order).
		i, _ := slices.BinarySearchFunc(n.History, h.At, func(x StatusChange, at time.Time) int {
			if x.At.After(at) {
				return 1
			}
			return -1
		})
		n.History = slices.Insert(n.History, i, h)
	}
	return n
}
