package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// UpdatesJSON encodes incidents as json.Marshal encodes ToAPIIncident and
// ToIncidentWebhook, keeping each update's JSON for the next encoding: a
// lasting incident's JSON lists every update, and encoding them all again
// at each new one (a time formatted three times, a struct reflected) grew
// with every update posted, on the status page and in its webhook alike.
// Not safe for concurrent use: its owner's lock guards it.
type UpdatesJSON struct {
	kept map[updateKey]*keptUpdate
	gen  uint64 // the current encoding round (Sweep)
}

type updateKey struct{ incident, update string }

// keptUpdate is an update's JSON, for the update as it was and the page's
// time zone.
type keptUpdate struct {
	u    Update
	zone string
	json []byte
	gen  uint64 // the last round that used it
}

// emptyUpdates is how an incident encoded with no update lists them; the
// first occurrence in a document is the incident's (its strings' quotes
// are escaped).
var emptyUpdates = []byte(`"incident_updates":[]`)

// Incident returns json.Marshal(ToAPIIncident(p, i, components)).
func (c *UpdatesJSON) Incident(p Page, i *Incident, components []Component) ([]byte, error) {
	b, err := json.Marshal(toAPIIncident(p, i, components, false))
	if err != nil {
		return nil, err
	}
	return c.splice(b, p, i)
}

// Webhook returns json.Marshal(ToIncidentWebhook(p, st, i, components, now)).
func (c *UpdatesJSON) Webhook(p Page, st PageStatus, i *Incident, components []Component, now time.Time) ([]byte, error) {
	b, err := json.Marshal(toIncidentWebhook(p, st, i, components, now, false))
	if err != nil {
		return nil, err
	}
	return c.splice(b, p, i)
}

// splice writes i's updates into b, a document holding i encoded with
// none.
func (c *UpdatesJSON) splice(b []byte, p Page, i *Incident) ([]byte, error) {
	at := bytes.Index(b, emptyUpdates)
	if at < 0 {
		return nil, fmt.Errorf("incident %s: no empty incident_updates to write its updates in", i.ID)
	}
	at += len(emptyUpdates) - 1 // before the ']'
	n := len(b)
	parts := make([][]byte, len(i.Updates))
	for k := range i.Updates {
		u, err := c.update(p, i.ID, &i.Updates[k])
		if err != nil {
			return nil, err
		}
		parts[k] = u
		n += len(u) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, b[:at]...)
	for k, u := range parts {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, u...)
	}
	return append(out, b[at:]...), nil
}

// update returns the JSON of incident id's update u, kept if u and the
// page's zone are as they were.
func (c *UpdatesJSON) update(p Page, id string, u *Update) ([]byte, error) {
	key := updateKey{id, u.ID}
	if k, ok := c.kept[key]; ok && k.zone == p.TimeZone && k.u.Same(u) {
		k.gen = c.gen
		return k.json, nil
	}
	b, err := json.Marshal(ToAPIIncidentUpdate(p, id, *u))
	if err != nil {
		return nil, err
	}
	if c.kept == nil {
		c.kept = map[updateKey]*keptUpdate{}
	}
	c.kept[key] = &keptUpdate{u: u.Clone(), zone: p.TimeZone, json: b, gen: c.gen}
	return b, nil
}

// Sweep ends an encoding round: the updates no encoding asked for in the
// last keptRounds are dropped (deleted, or of incidents not written
// lately: encoded afresh when they are).
func (c *UpdatesJSON) Sweep() {
	for key, k := range c.kept {
		if c.gen-k.gen >= keptRounds {
			delete(c.kept, key)
		}
	}
	c.gen++
}

// keptRounds is how many rounds an update's JSON is kept unused: a few
// incidents open at once, written in turn, keep theirs.
const keptRounds = 16
