package incident

import "time"

// UptimeOf is uptimeOf of c given the whole history, other components'
// changes included, as a snapshot sorts it out.
func UptimeOf(c Component, history []StatusChange, now time.Time) Uptime {
	var changes []StatusChange
	for _, h := range history {
		if h.ComponentID == c.ID {
			changes = append(changes, h)
		}
	}
	return uptimeOf(c, changes, now)
}
