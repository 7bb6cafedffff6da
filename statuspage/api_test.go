package statuspage_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// The fields of Statuspage's public v2 API, as its documentation and real
// pages show them (https://confluence.status.atlassian.com/api,
// https://www.mongodb.com/docs/api/doc/cloud-status/, a live
// components.json of status.hashicorp.com): every one present, no other.
var (
	spPageFields      = []string{"id", "name", "url", "time_zone", "updated_at"}
	spStatusFields    = []string{"indicator", "description"}
	spComponentFields = []string{"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
		"start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
	// A group also lists its members.
	spGroupFields    = append(slices.Clone(spComponentFields), "components")
	spIncidentFields = []string{"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
		"shortlink", "started_at", "page_id", "incident_updates", "components"}
	spMaintenanceFields = append(slices.Clone(spIncidentFields), "scheduled_for", "scheduled_until")
	spUpdateFields      = []string{"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
		"affected_components", "deliver_notifications", "custom_tweet", "tweet_id"}
	spAffectedFields = []string{"code", "name", "old_status", "new_status"}
)

// Statuspage's enums.
var (
	spIndicators = []string{"none", "minor", "major", "critical",
		// Not in the documentation's list, but what real pages serve
		// while maintenance is in progress ("Service Under Maintenance").
		"maintenance"}
	spComponentStatuses   = []string{"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
	spIncidentStatuses    = []string{"investigating", "identified", "monitoring", "resolved", "postmortem"}
	spMaintenanceStatuses = []string{"scheduled", "in_progress", "verifying", "completed"}
	spImpacts             = []string{"none", "minor", "major", "critical", "maintenance"}
)

// Documents with Statuspage's fields, for reading the answers as a client
// does: decoding fails on any field Statuspage does not have.
type (
	spPage struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		URL       string `json:"url"`
		TimeZone  string `json:"time_zone"`
		UpdatedAt string `json:"updated_at"`
	}
	spStatus struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	}
	spComponent struct {
		ID                 string   `json:"id"`
		Name               string   `json:"name"`
		Status             string   `json:"status"`
		CreatedAt          string   `json:"created_at"`
		UpdatedAt          string   `json:"updated_at"`
		Position           int      `json:"position"`
		Description        *string  `json:"description"`
		Showcase           bool     `json:"showcase"`
		StartDate          *string  `json:"start_date"`
		GroupID            *string  `json:"group_id"`
		PageID             string   `json:"page_id"`
		Group              bool     `json:"group"`
		OnlyShowIfDegraded bool     `json:"only_show_if_degraded"`
		Components         []string `json:"components"`
	}
	spAffected struct {
		Code      string `json:"code"`
		Name      string `json:"name"`
		OldStatus string `json:"old_status"`
		NewStatus string `json:"new_status"`
	}
	spUpdate struct {
		ID                   string       `json:"id"`
		Status               string       `json:"status"`
		Body                 string       `json:"body"`
		IncidentID           string       `json:"incident_id"`
		CreatedAt            string       `json:"created_at"`
		UpdatedAt            string       `json:"updated_at"`
		DisplayAt            string       `json:"display_at"`
		AffectedComponents   []spAffected `json:"affected_components"`
		DeliverNotifications bool         `json:"deliver_notifications"`
		CustomTweet          *string      `json:"custom_tweet"`
		TweetID              *string      `json:"tweet_id"`
	}
	spIncident struct {
		ID              string        `json:"id"`
		Name            string        `json:"name"`
		Status          string        `json:"status"`
		CreatedAt       string        `json:"created_at"`
		UpdatedAt       string        `json:"updated_at"`
		MonitoringAt    *string       `json:"monitoring_at"`
		ResolvedAt      *string       `json:"resolved_at"`
		Impact          string        `json:"impact"`
		Shortlink       string        `json:"shortlink"`
		StartedAt       string        `json:"started_at"`
		PageID          string        `json:"page_id"`
		IncidentUpdates []spUpdate    `json:"incident_updates"`
		Components      []spComponent `json:"components"`
		ScheduledFor    *string       `json:"scheduled_for"`
		ScheduledUntil  *string       `json:"scheduled_until"`
	}
	spSummary struct {
		Page                  spPage        `json:"page"`
		Components            []spComponent `json:"components"`
		Incidents             []spIncident  `json:"incidents"`
		ScheduledMaintenances []spIncident  `json:"scheduled_maintenances"`
		Status                spStatus      `json:"status"`
	}
)

// decodeStrict reads body into v, refusing fields v does not have.
func decodeStrict(t *testing.T, path, body string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkFields walks a decoded document and checks each object's fields
// against Statuspage's, and each enum and time.
func checkFields(t *testing.T, path string, doc map[string]any) {
	t.Helper()
	want := func(what string, obj map[string]any, fields []string) {
		t.Helper()
		got := slices.Sorted(maps.Keys(obj))
		if !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
			t.Errorf("%s: %s has fields %q, Statuspage's are %q", path, what, got, fields)
		}
	}
	enum := func(what string, v any, values []string) {
		t.Helper()
		if s, ok := v.(string); !ok || !slices.Contains(values, s) {
			t.Errorf("%s: %s is %v, not one of %q", path, what, v, values)
		}
	}
	stamp := func(what string, v any, nullable bool) {
		t.Helper()
		if v == nil && nullable {
			return
		}
		s, _ := v.(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", s); err != nil {
			t.Errorf("%s: %s %v is not a Statuspage time: %v", path, what, v, err)
		}
	}
	component := func(c map[string]any) {
		if c["group"] == true {
			want("a group", c, spGroupFields)
		} else {
			want("a component", c, spComponentFields)
		}
		enum("a component's status", c["status"], spComponentStatuses)
		stamp("a component's created_at", c["created_at"], false)
		stamp("a component's updated_at", c["updated_at"], false)
	}
	if p, ok := doc["page"].(map[string]any); ok {
		want("the page", p, spPageFields)
		stamp("the page's updated_at", p["updated_at"], false)
	} else {
		t.Errorf("%s: no page", path)
	}
	if s, ok := doc["status"].(map[string]any); ok {
		want("the status", s, spStatusFields)
		enum("the indicator", s["indicator"], spIndicators)
	}
	for _, c := range list(doc["components"]) {
		component(c)
	}
	incidents := append(list(doc["incidents"]), list(doc["scheduled_maintenances"])...)
	if inc, ok := doc["incident"].(map[string]any); ok {
		incidents = append(incidents, inc)
	}
	for _, inc := range incidents {
		maintenance := inc["impact"] == "maintenance"
		if maintenance {
			want("a maintenance", inc, spMaintenanceFields)
			enum("a maintenance's status", inc["status"], spMaintenanceStatuses)
			stamp("scheduled_for", inc["scheduled_for"], false)
			stamp("scheduled_until", inc["scheduled_until"], false)
		} else {
			want("an incident", inc, spIncidentFields)
			enum("an incident's status", inc["status"], spIncidentStatuses)
		}
		enum("an impact", inc["impact"], spImpacts)
		for _, f := range []string{"created_at", "updated_at", "started_at"} {
			stamp("an incident's "+f, inc[f], false)
		}
		stamp("monitoring_at", inc["monitoring_at"], true)
		stamp("resolved_at", inc["resolved_at"], true)
		for _, c := range list(inc["components"]) {
			component(c)
		}
		for _, u := range list(inc["incident_updates"]) {
			want("an update", u, spUpdateFields)
			if maintenance {
				enum("an update's status", u["status"], spMaintenanceStatuses)
			} else {
				enum("an update's status", u["status"], spIncidentStatuses)
			}
			stamp("an update's display_at", u["display_at"], false)
			for _, a := range list(u["affected_components"]) {
				want("an affected component", a, spAffectedFields)
				enum("old_status", a["old_status"], spComponentStatuses)
				enum("new_status", a["new_status"], spComponentStatuses)
			}
		}
	}
}

func list(v any) []map[string]any {
	var out []map[string]any
	for _, e := range asSlice(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func ids(incs []spIncident) []string {
	var out []string
	for _, i := range incs {
		out = append(out, i.ID)
	}
	return out
}

// Every JSON document has Statuspage's paths, fields, enums, nulls and
// times, and each lists what Statuspage's does.
func TestAPI(t *testing.T) {
	snap := fixture()
	h := published(t, snap)
	docs := map[string]string{}
	for _, path := range []string{"/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
		"/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json",
		"/api/v2/scheduled-maintenances/active.json", "/api/v2/incidents/incpostm0001.json", "/api/v2/incidents/mntactive001.json"} {
		res, body := get(t, h, "GET", path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkFields(t, path, doc)
		docs[path] = body
	}

	sameSummary(t, snap, docs["/api/v2/summary.json"])
	var summary spSummary
	decodeStrict(t, "summary.json", docs["/api/v2/summary.json"], &summary)
	if p := summary.Page; p != (spPage{"acmepage0001", "Acme", "https://status.acme.test", "UTC", "2021-07-08T11:40:00.000Z"}) {
		t.Errorf("page: %+v", p)
	}
	if summary.Status != (spStatus{"major", "Partial System Outage"}) {
		t.Errorf("status: %+v", summary.Status)
	}
	if got := ids(summary.Incidents); !slices.Equal(got, []string{"incactive001"}) {
		t.Errorf("summary's incidents: %q, want the unresolved one", got)
	}
	if got := ids(summary.ScheduledMaintenances); !slices.Equal(got, []string{"mntactive001", "mntsched0001"}) {
		t.Errorf("summary's maintenances: %q, want the active and the upcoming one", got)
	}

	// Groups come before their members and list them; a group's status is
	// its worst member's.
	var names []string
	for _, c := range summary.Components {
		names = append(names, c.Name)
	}
	if want := []string{"Core", "Website", "API", "Git via SSH", "Pipelines", "Builds", "Deployments"}; !slices.Equal(names, want) {
		t.Errorf("components: %q, want %q", names, want)
	}
	core, web, ssh := summary.Components[0], summary.Components[1], summary.Components[3]
	if !core.Group || !slices.Equal(core.Components, []string{"cmpweb000001", "cmpapi000001"}) || core.Status != "partial_outage" || core.GroupID != nil {
		t.Errorf("the Core group: %+v", core)
	}
	if web.Group || web.GroupID == nil || *web.GroupID != "grpcore00001" || web.Status != "degraded_performance" || web.PageID != "acmepage0001" || web.Description != nil {
		t.Errorf("Website: %+v", web)
	}
	if ssh.GroupID != nil || ssh.Components != nil {
		t.Errorf("a component outside any group: %+v", ssh)
	}
	if p := summary.Components[4]; p.Description == nil || *p.Description != "Builds and deployments" {
		t.Errorf("a group's description: %v", p.Description)
	}

	var comps struct {
		Page       spPage        `json:"page"`
		Components []spComponent `json:"components"`
	}
	decodeStrict(t, "components.json", docs["/api/v2/components.json"], &comps)
	if len(comps.Components) != 7 {
		t.Errorf("components.json: %d components", len(comps.Components))
	}

	type incidentList struct {
		Page      spPage       `json:"page"`
		Incidents []spIncident `json:"incidents"`
	}
	type maintenanceList struct {
		Page                  spPage       `json:"page"`
		ScheduledMaintenances []spIncident `json:"scheduled_maintenances"`
	}
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/api/v2/incidents.json", []string{"incactive001", "incpostm0001", "incold000001"}},
		{"/api/v2/incidents/unresolved.json", []string{"incactive001"}},
	} {
		var l incidentList
		decodeStrict(t, c.path, docs[c.path], &l)
		if got := ids(l.Incidents); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.path, got, c.want)
		}
	}
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/api/v2/scheduled-maintenances.json", []string{"mntactive001", "mntsched0001", "mntdone00001"}},
		{"/api/v2/scheduled-maintenances/upcoming.json", []string{"mntsched0001"}},
		{"/api/v2/scheduled-maintenances/active.json", []string{"mntactive001"}},
	} {
		var l maintenanceList
		decodeStrict(t, c.path, docs[c.path], &l)
		if got := ids(l.ScheduledMaintenances); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.path, got, c.want)
		}
	}

	// One incident, in detail.
	var one struct {
		Page     spPage     `json:"page"`
		Incident spIncident `json:"incident"`
	}
	decodeStrict(t, "incidents/incpostm0001.json", docs["/api/v2/incidents/incpostm0001.json"], &one)
	inc := one.Incident
	if inc.Status != "postmortem" || inc.Impact != "minor" || inc.Shortlink != "https://status.acme.test/incidents/incpostm0001" ||
		inc.StartedAt != "2021-07-05T08:00:00.000Z" || inc.ResolvedAt == nil || *inc.ResolvedAt != "2021-07-05T09:00:00.000Z" ||
		inc.MonitoringAt == nil || *inc.MonitoringAt != "2021-07-05T08:40:00.000Z" || inc.ScheduledFor != nil {
		t.Errorf("incident: %+v", inc)
	}
	var statuses []string
	for _, u := range inc.IncidentUpdates {
		statuses = append(statuses, u.Status)
		if u.IncidentID != inc.ID || u.AffectedComponents != nil {
			t.Errorf("update %s: incident_id %q, affected_components %v", u.ID, u.IncidentID, u.AffectedComponents)
		}
	}
	if !slices.Equal(statuses, []string{"resolved", "monitoring", "investigating"}) {
		t.Errorf("updates: %q, newest first expected", statuses)
	}
	var active struct {
		Page     spPage     `json:"page"`
		Incident spIncident `json:"incident"`
	}
	decodeStrict(t, "incidents/incactive001.json", mustGet(t, h, "/api/v2/incidents/incactive001.json"), &active)
	if a := active.Incident.IncidentUpdates[0].AffectedComponents; len(a) != 1 || a[0] != (spAffected{"cmpweb000001", "Website", "operational", "degraded_performance"}) {
		t.Errorf("affected_components: %+v", a)
	}
	if m := mustGet(t, h, "/api/v2/incidents/mntactive001.json"); !strings.Contains(m, `"scheduled_for":"2021-07-08T10:00:00.000Z","scheduled_until":"2021-07-08T14:00:00.000Z"`) {
		t.Errorf("maintenance window: %s", m)
	}

	// Nulls are written out, as Statuspage does: clients test for null.
	for _, want := range []string{`"monitoring_at":null`, `"description":null`, `"affected_components":null`, `"custom_tweet":null`, `"group_id":null`} {
		if !strings.Contains(docs["/api/v2/summary.json"]+docs["/api/v2/incidents.json"], want) {
			t.Errorf("no %s", want)
		}
	}
}

func mustGet(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	res, body := get(t, h, "GET", path)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	return body
}

// The page's time zone is the page's time_zone, and times are written in
// it with their offset, as Statuspage does.
func TestAPITimeZone(t *testing.T) {
	snap := fixture()
	snap.Page.TimeZone = "America/Chicago"
	h := published(t, snap)
	var summary spSummary
	decodeStrict(t, "summary.json", mustGet(t, h, "/api/v2/summary.json"), &summary)
	if summary.Page.TimeZone != "America/Chicago" || summary.Page.UpdatedAt != "2021-07-08T06:40:00.000-05:00" {
		t.Errorf("page: %+v", summary.Page)
	}
}

// Script in a body is data in the JSON: escaped, never markup.
func TestAPIEscapes(t *testing.T) {
	snap := fixture()
	snap.Incidents[0].Updates[0].Body = `<script>alert("pwned")</script>`
	h := published(t, snap)
	body := mustGet(t, h, "/api/v2/incidents/unresolved.json")
	if strings.Contains(body, "<script") || !strings.Contains(body, `\u003cscript\u003e`) {
		t.Errorf("the body is not escaped: %s", body)
	}
	var l struct {
		Page      spPage       `json:"page"`
		Incidents []spIncident `json:"incidents"`
	}
	decodeStrict(t, "unresolved.json", body, &l)
	if got := l.Incidents[0].IncidentUpdates[0].Body; got != `<script>alert("pwned")</script>` {
		t.Errorf("the body does not decode to what was written: %q", got)
	}
	if !bytes.HasSuffix([]byte(body), []byte("}\n")) {
		t.Error("no final newline")
	}
	sameSummary(t, snap, mustGet(t, h, "/api/v2/summary.json"))
}

// A page with no incident lists none in summary.json: [], not null.
func TestSummaryOfAQuietPage(t *testing.T) {
	snap := fixture()
	snap.Incidents = nil
	body := mustGet(t, published(t, snap), "/api/v2/summary.json")
	if !strings.Contains(body, `"incidents":[],"scheduled_maintenances":[]`) {
		t.Errorf("a quiet page's summary.json: %s", body)
	}
	sameSummary(t, snap, body)
}

// sameSummary fails unless summary.json, which splices each incident's
// JSON as rendered with its page, is byte for byte incident.APISummary
// encoded whole.
func sameSummary(t *testing.T, snap *incident.Snapshot, got string) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(incident.ToAPISummary(snap)); err != nil {
		t.Fatal(err)
	}
	if got != want.String() {
		t.Errorf("summary.json is not APISummary's encoding:\n got %s\nwant %s", got, want.String())
	}
}
