package incident_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got, indented, with testdata/name; -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s", path, buf.Bytes())
	}
}

// The payloads subscribers get and the public JSON, whole, for the seed
// incident: the shape of Statuspage's webhooks
// (https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/)
// and of its v2 API, field by field.
func TestGoldenJSON(t *testing.T) {
	s, c, store := newService(t, nil, time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC))
	ctx := t.Context()
	if err := store.AddSubscriber(ctx, incident.Subscriber{ID: "sub", URL: "https://hooks.example/statuspage"}); err != nil {
		t.Fatal(err)
	}
	next := func() []byte {
		t.Helper()
		due, err := store.DueDeliveries(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 {
			t.Fatalf("%d deliveries due; want 1", len(due))
		}
		if err := store.Delivered(ctx, due[0].ID); err != nil {
			t.Fatal(err)
		}
		return due[0].Payload
	}

	// The seed's opening, as it was delivered.
	c.Set(time.Date(2021, 6, 30, 17, 16, 0, 0, time.UTC))
	inc := mustOpen(t, s, incident.OpenIncident{
		Name:       seedName,
		Body:       seedUpdates[0].body,
		Components: map[string]incident.ComponentStatus{"website": incident.PartialOutage, "api": incident.PartialOutage},
		StartedAt:  time.Date(2021, 6, 30, 17, 5, 0, 0, time.UTC),
	})
	golden(t, "webhook-incident-opened.golden.json", next())
	summary, err := json.Marshal(incident.ToAPISummary(s.Snapshot()))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-during-incident.golden.json", summary)

	for _, u := range seedUpdates[1:] {
		c.Set(u.at)
		up := incident.PostUpdate{Status: u.status, Body: u.body}
		if u.status == incident.Monitoring {
			up.Components = map[string]incident.ComponentStatus{"website": incident.Operational, "api": incident.Operational}
		}
		mustUpdate(t, s, inc.ID, up)
		payload := next()
		// The page's status in a webhook is the page's after the write:
		// monitoring, the impact still counts; resolved, nothing does.
		var w struct {
			Page struct {
				Indicator string `json:"status_indicator"`
			} `json:"page"`
		}
		if err := json.Unmarshal(payload, &w); err != nil {
			t.Fatal(err)
		}
		want := "major"
		if u.status == incident.Resolved {
			want = "none"
		}
		if w.Page.Indicator != want {
			t.Errorf("webhook of the %s update: page status_indicator %q, want %q", u.status, w.Page.Indicator, want)
		}
	}
	if _, err := s.SavePostmortem(ctx, inc.ID, "SUMMARY\n\nOn June 30, 2021, between 5:05PM UTC and 5:15PM UTC, ..."); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2021, 7, 7, 21, 51, 0, 0, time.UTC))
	if _, err := s.PublishPostmortem(ctx, inc.ID); err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook-incident-postmortem.golden.json", next())

	c.Set(time.Date(2021, 7, 8, 9, 30, 0, 0, time.UTC))
	if err := s.SetComponent(ctx, "git-ssh", incident.DegradedPerformance); err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook-component.golden.json", next())

	if _, err := s.Schedule(ctx, incident.ScheduleMaintenance{
		Name: "Database upgrade", Body: "We will upgrade the database behind the website.",
		ScheduledFor: time.Date(2021, 7, 10, 2, 0, 0, 0, time.UTC), ScheduledUntil: time.Date(2021, 7, 10, 4, 0, 0, 0, time.UTC),
		Components: []string{"website"}, AutoStart: true, AutoComplete: true,
	}); err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook-maintenance-scheduled.golden.json", next())
}

// Times are written as Statuspage writes them: milliseconds and the
// page's offset.
func TestAPITime(t *testing.T) {
	at := time.Date(2019, 2, 20, 18, 0, 19, 418_900_000, time.UTC)
	for tz, want := range map[string]string{
		"":                "2019-02-20T18:00:19.418Z",
		"Etc/UTC":         "2019-02-20T18:00:19.418Z",
		"America/Chicago": "2019-02-20T12:00:19.418-06:00",
	} {
		if got := incident.APITime(incident.Page{TimeZone: tz}, at); got != want {
			t.Errorf("APITime(%q) = %s; want %s", tz, got, want)
		}
	}
}
