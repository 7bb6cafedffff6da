package statuspage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/headroomhq/headroom/incident"
)

// renderAPI renders the JSON documents of Statuspage's public API, v2,
// through incident's API types (which the webhooks share), so that
// existing widgets and clients read this page as they read Statuspage's.
// Statuspage documents them (e.g. https://confluence.status.atlassian.com/api,
// https://www.mongodb.com/docs/api/doc/cloud-status/) as:
//
//	summary.json                           the page, its components, unresolved incidents,
//	                                       upcoming or in-progress maintenances, its status
//	status.json                            the page, its status indicator and description
//	components.json                        the page, its components (groups included)
//	incidents.json                         the 50 most recent incidents, unresolved or not
//	incidents/unresolved.json              investigating, identified or monitoring
//	scheduled-maintenances.json            the 50 most recent scheduled maintenances
//	scheduled-maintenances/upcoming.json   those still scheduled
//	scheduled-maintenances/active.json     those in progress or verifying
//
// and, as real pages also serve it, incidents/{id}.json: the page and one
// incident or maintenance.
func (h *Handler) renderAPI(m *model, out *rendered) error {
	s := m.snap
	page := incident.ToAPIPage(s.Page, s.UpdatedAt)
	// summary.json is encoded with its incident lists empty, then the
	// incidents' JSON as rendered with their pages is written into them
	// (spliceSummary): encoding the lasting incident again, every update's
	// times formatted, was a sixteenth of a write.
	summary := incident.APISummary{Page: page, Components: incident.ToAPIComponents(s.Page, s.Groups, s.Components),
		Incidents: []incident.APIIncident{}, ScheduledMaintenances: []incident.APIIncident{}, Status: apiStatus(s)}
	var (
		limit                  = max(h.APIIncidents, 1)
		incidents, unresolved  [][]byte
		maintenances, upcoming [][]byte
		active                 [][]byte
		inSummary, maintSum    [][]byte
	)
	var err error
	put := func(path string, v any) {
		if err != nil {
			return
		}
		b, e := encodeJSON(v)
		if e != nil {
			err = fmt.Errorf("encode %s: %w", path, e)
			return
		}
		out.pages[path] = doc{body: b, contentType: typeJSON, cors: true}
	}
	pageJSON, err := json.Marshal(page)
	if err != nil {
		return fmt.Errorf("encode page: %w", err)
	}
	for i := range s.Incidents {
		inc := &s.Incidents[i]
		// {"page":…,"incident":…}: the incident's JSON as rendered with
		// its page (unchanged by most writes), the page's encoded once;
		// spliced when asked for: the page's JSON (its updated_at)
		// changes at nearly every write, and with it every incident's
		// document, and most are not read before the next.
		d := m.incidents[inc.ID]
		api := d.api
		switch inc.InSummary() {
		case incident.SummaryIncident:
			inSummary = append(inSummary, api)
		case incident.SummaryMaintenance:
			maintSum = append(maintSum, api)
		}
		out.pages["/api/v2/incidents/"+url.PathEscape(inc.ID)+".json"] = doc{make: func() []byte { return spliceJSON(pageJSON, "incident", false, api) },
			contentType: typeJSON, cors: true}
		if inc.Kind == incident.KindMaintenance {
			if len(maintenances) < limit {
				maintenances = append(maintenances, d.api)
			}
			switch inc.Status {
			case incident.Scheduled:
				upcoming = append(upcoming, d.api)
			case incident.InProgress, incident.Verifying:
				active = append(active, d.api)
			}
			continue
		}
		if len(incidents) < limit {
			incidents = append(incidents, d.api)
		}
		if inc.Unresolved() {
			unresolved = append(unresolved, d.api)
		}
	}
	if b, e := encodeJSON(summary); e != nil {
		err = fmt.Errorf("encode summary.json: %w", e)
	} else if b, e = spliceSummary(b, inSummary, maintSum); e != nil {
		err = e
	} else {
		out.pages["/api/v2/summary.json"] = doc{body: b, contentType: typeJSON, cors: true}
	}
	put("/api/v2/status.json", struct {
		Page   incident.APIPage   `json:"page"`
		Status incident.APIStatus `json:"status"`
	}{page, summary.Status})
	put("/api/v2/components.json", struct {
		Page       incident.APIPage        `json:"page"`
		Components []incident.APIComponent `json:"components"`
	}{page, summary.Components})
	list := func(path, key string, items [][]byte) {
		out.pages[path] = doc{body: spliceJSON(pageJSON, key, true, items...), contentType: typeJSON, cors: true}
	}
	list("/api/v2/incidents.json", "incidents", incidents)
	list("/api/v2/incidents/unresolved.json", "incidents", unresolved)
	list("/api/v2/scheduled-maintenances.json", "scheduled_maintenances", maintenances)
	list("/api/v2/scheduled-maintenances/upcoming.json", "scheduled_maintenances", upcoming)
	list("/api/v2/scheduled-maintenances/active.json", "scheduled_maintenances", active)
	if err != nil {
		return err
	}
	b, err := encodeJSON(struct {
		Error string `json:"error"`
	}{"Not found. The status API starts at " + strings.TrimRight(s.Page.URL, "/") + "/api/v2/summary.json"})
	if err != nil {
		return err
	}
	out.noJSON = doc{body: b, contentType: typeJSON, cors: true}
	return nil
}

// summarySlot is where summary.json's incident lists are, encoded empty:
// found once, since a string holding these characters has its quotes
// escaped. TestAPI and TestSummaryOfAQuietPage hold the result to
// APISummary encoded whole.
const summarySlot = `"incidents":[],"scheduled_maintenances":[],"status":`

// spliceSummary writes incidents and maintenances, JSON encoded already,
// into summary.json's empty lists in b.
func spliceSummary(b []byte, incidents, maintenances [][]byte) ([]byte, error) {
	i := bytes.Index(b, []byte(summarySlot))
	if i < 0 {
		return nil, fmt.Errorf("encode summary.json: no empty incident lists in %.80s", b)
	}
	n := len(b)
	for _, it := range incidents {
		n += len(it) + 1
	}
	for _, it := range maintenances {
		n += len(it) + 1
	}
	out := append(make([]byte, 0, n), b[:i]...)
	out = appendList(append(out, `"incidents":`...), incidents)
	out = appendList(append(out, `,"scheduled_maintenances":`...), maintenances)
	return append(append(out, `,"status":`...), b[i+len(summarySlot):]...), nil
}

// appendList appends [item,…].
func appendList(b []byte, items [][]byte) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// spliceJSON writes {"page":page,"key":item} (or, as a list,
// {"page":page,"key":[item,…]}) and a final newline, as encodeJSON writes
// the same struct: page and items are JSON encoded already.
func spliceJSON(page []byte, key string, list bool, items ...[]byte) []byte {
	n := len(page) + len(key) + 16
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(append(append(append(b, `{"page":`...), page...), `,"`...), key...)
	b = append(b, `":`...)
	if list {
		b = appendList(b, items)
	} else {
		for _, it := range items {
			b = append(b, it...)
		}
	}
	return append(b, "}\n"...)
}

// apiStatus is the page's status; a snapshot without one (never built by
// incident.BuildSnapshot) reads as operational rather than an empty enum.
func apiStatus(s *incident.Snapshot) incident.APIStatus {
	if s.Indicator == "" {
		return incident.APIStatus{Indicator: incident.IndicatorNone, Description: "All Systems Operational"}
	}
	return incident.APIStatus{Indicator: s.Indicator, Description: s.Description}
}

// encodeJSON writes v compactly, as Statuspage does, with a final newline.
// encoding/json escapes <, > and & in strings: a body read as HTML by a
// careless client stays inert.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
