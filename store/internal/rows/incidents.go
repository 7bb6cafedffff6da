package rows

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/headroomhq/headroom/incident"
)

// ComponentColumns lists the components columns, in the order of
// ComponentValues and ScanComponent.
const ComponentColumns = `id, name, description, group_id, position, status, created_at, updated_at`

// ComponentValues returns c's values for an INSERT.
//
// It fails for a time UnixNano cannot represent, naming its field.
func ComponentValues(c incident.Component) ([]any, error) {
	var e Times
	created, updated := e.At("CreatedAt", c.CreatedAt), e.At("UpdatedAt", c.UpdatedAt)
	if e.Err != nil {
		return nil, e.Err
	}
	return []any{c.ID, c.Name, c.Description, c.GroupID, c.Position, string(c.Status), created, updated}, nil
}

// ScanComponent scans one row of ComponentColumns.
func ScanComponent(s Scanner) (incident.Component, error) {
	var c incident.Component
	var created, updated *int64
	if err := s.Scan(&c.ID, &c.Name, &c.Description, &c.GroupID, &c.Position, &c.Status, &created, &updated); err != nil {
		return incident.Component{}, err
	}
	c.CreatedAt, c.UpdatedAt = Time(created), Time(updated)
	return c, nil
}

// IncidentColumns are the incidents columns, in the order of
// IncidentValues and ScanIncident; id comes first and version last.
// component_ids is a JSON array, read as text.
var IncidentColumns = []string{"id", "kind", "name", "status", "impact", "component_ids",
	"created_at", "updated_at", "started_at", "monitoring_at", "resolved_at",
	"scheduled_for", "scheduled_until", "auto_start", "auto_complete",
	"postmortem_draft", "postmortem_body", "postmortem_published_at", "draft", "published_at", "version"}

// IncidentValues returns i's values for an INSERT or UPDATE, without its
// updates (UpdateValues).
//
// It fails for a time UnixNano cannot represent, naming its field (JSON
// encodes any component IDs).
func IncidentValues(i *incident.Incident) ([]any, error) {
	ids, err := EncodeIDs(i.ComponentIDs)
	if err != nil {
		return nil, fmt.Errorf("component IDs: %w", err)
	}
	var e Times
	values := []any{i.ID, string(i.Kind), i.Name, string(i.Status), string(i.Impact), ids,
		e.At("CreatedAt", i.CreatedAt), e.At("UpdatedAt", i.UpdatedAt), e.At("StartedAt", i.StartedAt),
		e.At("MonitoringAt", i.MonitoringAt), e.At("ResolvedAt", i.ResolvedAt),
		e.At("ScheduledFor", i.ScheduledFor), e.At("ScheduledUntil", i.ScheduledUntil),
		i.AutoStart, i.AutoComplete, i.PostmortemDraft, i.PostmortemBody,
		e.At("PostmortemPublishedAt", i.PostmortemPublishedAt), i.Draft, e.At("PublishedAt", i.PublishedAt), i.Version}
	if e.Err != nil {
		return nil, e.Err
	}
	return values, nil
}

// ScanIncident scans one row of IncidentColumns, without its updates
// (AttachUpdates).
func ScanIncident(s Scanner) (incident.Incident, error) {
	var i incident.Incident
	var ids string
	var created, updated, started, monitoring, resolved, schedFor, schedUntil, published, publishedAt *int64
	if err := s.Scan(&i.ID, &i.Kind, &i.Name, &i.Status, &i.Impact, &ids,
		&created, &updated, &started, &monitoring, &resolved, &schedFor, &schedUntil,
		&i.AutoStart, &i.AutoComplete, &i.PostmortemDraft, &i.PostmortemBody, &published, &i.Draft, &publishedAt, &i.Version); err != nil {
		return incident.Incident{}, err
	}
	var err error
	if i.ComponentIDs, err = DecodeIDs(ids); err != nil {
		return incident.Incident{}, fmt.Errorf("incident %s: component_ids: %w", i.ID, err)
	}
	i.CreatedAt, i.UpdatedAt, i.StartedAt = Time(created), Time(updated), Time(started)
	i.MonitoringAt, i.ResolvedAt = Time(monitoring), Time(resolved)
	i.ScheduledFor, i.ScheduledUntil = Time(schedFor), Time(schedUntil)
	i.PostmortemPublishedAt, i.PublishedAt = Time(published), Time(publishedAt)
	return i, nil
}

// UpdateColumns are the incident_updates columns UpdateValues writes:
// the incident, the update's place in it (seq), then the update. A read
// (ScanUpdate) leaves seq out: it orders by it.
const UpdateColumns = `incident_id, seq, id, status, body, created_at, display_at, affected`

// UpdateValues returns the values of i's update j (Updates are newest
// first) for an INSERT. Its seq counts from the oldest update (0): a new
// update is stored after the others, which stay where they are
// (migration 0008).
//
// It fails for a time UnixNano cannot represent, naming its field (JSON
// encodes any affected components).
func UpdateValues(i *incident.Incident, j int) ([]any, error) {
	u := i.Updates[j]
	var e Times
	created, display := e.At("CreatedAt", u.CreatedAt), e.At("DisplayAt", u.DisplayAt)
	if e.Err != nil {
		return nil, e.Err
	}
	affected, err := EncodeAffected(u.Affected)
	if err != nil {
		return nil, fmt.Errorf("affected: %w", err)
	}
	return []any{i.ID, len(i.Updates) - 1 - j, u.ID, string(u.Status), u.Body, created, display, affected}, nil
}

// NewUpdates returns how many of now's updates a write of now must
// insert, and whether the others are stored already: when was is now's
// previous version (stored, so the write's version check says) and now's
// updates are was's after new ones (updates are newest first: a post adds
// one at the front), each as UpdateValues would store it, only those are
// new; otherwise (was nil, another incident or version, an update of
// was's changed, moved or gone) all are, and the stored ones must go first.
func NewUpdates(was, now *incident.Incident) (n int, keep bool) {
	all := len(now.Updates)
	if was == nil || was.ID != now.ID || was.Version != now.Version-1 || len(was.Updates) > all {
		return all, false
	}
	n = all - len(was.Updates)
	for j, a := range was.Updates {
		b := now.Updates[n+j]
		if a.ID != b.ID || a.Status != b.Status || a.Body != b.Body || !a.CreatedAt.Equal(b.CreatedAt) ||
			!a.DisplayAt.Equal(b.DisplayAt) || !slices.Equal(a.Affected, b.Affected) {
			return all, false
		}
	}
	return n, true
}

// Update is an update with the incident it belongs to.
type Update struct {
	IncidentID string
	incident.Update
}

// ScanUpdate scans one row of incident_id, id, status, body, created_at,
// display_at, affected (a JSON array, read as text).
func ScanUpdate(s Scanner) (Update, error) {
	var u Update
	var affected string
	var created, display *int64
	if err := s.Scan(&u.IncidentID, &u.ID, &u.Status, &u.Body, &created, &display, &affected); err != nil {
		return Update{}, err
	}
	u.CreatedAt, u.DisplayAt = Time(created), Time(display)
	var err error
	if u.Affected, err = DecodeAffected(affected); err != nil {
		return Update{}, fmt.Errorf("incident %s, update %s: affected: %w", u.IncidentID, u.ID, err)
	}
	return u, nil
}

// AttachUpdates appends each update to its incident, in the order given.
// It fails for an update of an incident not in incs.
func AttachUpdates(incs []incident.Incident, us []Update) error {
	index := make(map[string]int, len(incs))
	for k, i := range incs {
		index[i.ID] = k
	}
	for _, u := range us {
		k, ok := index[u.IncidentID]
		if !ok {
			return fmt.Errorf("update %s of incident %s, which is not stored", u.ID, u.IncidentID)
		}
		incs[k].Updates = append(incs[k].Updates, u.Update)
	}
	return nil
}

// HistoryColumns lists the component_history columns, in the order of
// HistoryValues and ScanStatusChange.
const HistoryColumns = `component_id, at, from_status, to_status`

// HistoryValues returns h's values for an INSERT.
//
// It fails for a time UnixNano cannot represent.
func HistoryValues(h incident.StatusChange) ([]any, error) {
	at, err := Nanos(h.At)
	if err != nil {
		return nil, err
	}
	return []any{h.ComponentID, at, string(h.From), string(h.To)}, nil
}

// ScanStatusChange scans one row of HistoryColumns.
func ScanStatusChange(s Scanner) (incident.StatusChange, error) {
	var h incident.StatusChange
	var at *int64
	if err := s.Scan(&h.ComponentID, &at, &h.From, &h.To); err != nil {
		return incident.StatusChange{}, err
	}
	h.At = Time(at)
	return h, nil
}

// affectedJSON is the stored form of an incident.Affected: the column's
// format, kept apart from the Go type's field names.
type affectedJSON struct {
	ComponentID string `json:"componentId"`
	Name        string `json:"name"`
	Old         string `json:"old"`
	New         string `json:"new"`
}

// EncodeIDs returns ids as a JSON array, [] for none.
func EncodeIDs(ids []string) (string, error) {
	if len(ids) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

// DecodeIDs decodes what EncodeIDs encoded, nil for none.
func DecodeIDs(s string) ([]string, error) {
	var ids []string
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// EncodeAffected returns a as a JSON array of affectedJSON.
func EncodeAffected(a []incident.Affected) (string, error) {
	rows := make([]affectedJSON, len(a))
	for i, x := range a {
		rows[i] = affectedJSON{ComponentID: x.ComponentID, Name: x.Name, Old: string(x.Old), New: string(x.New)}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

// DecodeAffected decodes what EncodeAffected encoded, nil for none.
func DecodeAffected(s string) ([]incident.Affected, error) {
	var rows []affectedJSON
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return nil, err
	}
	var out []incident.Affected
	for _, r := range rows {
		out = append(out, incident.Affected{ComponentID: r.ComponentID, Name: r.Name,
			Old: incident.ComponentStatus(r.Old), New: incident.ComponentStatus(r.New)})
	}
	return out, nil
}
