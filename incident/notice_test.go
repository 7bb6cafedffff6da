package incident_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/incident"
)

// ReadNotice reads the payloads the Service queues (the golden webhook
// payloads of webhook_test.go) into the words every channel's message says.
func TestReadNotice(t *testing.T) {
	tests := []struct {
		golden string
		want   incident.Notice
	}{
		{"webhook-incident-opened", incident.Notice{
			Title:      "Bitbucket website and API services are returning 502 errors",
			Status:     "Investigating",
			URL:        "https://bitbucket.status.atlassian.com/incidents/id001",
			Components: []string{"Website: Partial outage", "API: Partial outage"},
			PageStatus: "Partial System Outage",
		}},
		{"webhook-maintenance-scheduled", incident.Notice{
			Title:       "Database upgrade",
			Status:      "Scheduled",
			URL:         "https://bitbucket.status.atlassian.com/incidents/id007",
			Components:  []string{"Website: Operational"},
			PageStatus:  "Partially Degraded Service",
			Maintenance: true,
		}},
		{"webhook-component", incident.Notice{
			Title:      "Git via SSH",
			Status:     "Degraded performance",
			Components: []string{"Git via SSH: Degraded performance"},
			PageStatus: "Partially Degraded Service",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			payload, err := os.ReadFile("testdata/" + tt.golden + ".golden.json")
			if err != nil {
				t.Fatal(err)
			}
			got, err := incident.ReadNotice(payload)
			if err != nil {
				t.Fatalf("ReadNotice: %v", err)
			}
			if tt.want.Body = got.Body; tt.golden != "webhook-component" && got.Body == "" {
				t.Errorf("Body is empty, want the newest update's text")
			}
			if got.Title != tt.want.Title || got.Status != tt.want.Status || got.URL != tt.want.URL ||
				!slices.Equal(got.Components, tt.want.Components) || got.PageStatus != tt.want.PageStatus || got.Maintenance != tt.want.Maintenance {
				t.Errorf("ReadNotice = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadNoticeRefusesOtherPayloads(t *testing.T) {
	for name, payload := range map[string][]byte{
		"the confirmation":  incident.ConfirmPayload,
		"not JSON":          []byte("<html>"),
		"an unknown object": []byte(`{"page":{"id":"p"}}`),
	} {
		if _, err := incident.ReadNotice(payload); err == nil || !strings.Contains(err.Error(), "read notification") {
			t.Errorf("ReadNotice(%s) = %v, want an error saying it cannot read the notification", name, err)
		}
	}
}

// FuzzReadNotice: any payload is read or refused, never a panic; one read
// has a subject.
func FuzzReadNotice(f *testing.F) {
	for _, g := range []string{"webhook-incident-opened", "webhook-component", "webhook-maintenance-scheduled"} {
		if b, err := os.ReadFile("testdata/" + g + ".golden.json"); err == nil {
			f.Add(b)
		}
	}
	f.Add(incident.ConfirmPayload)
	f.Fuzz(func(t *testing.T, payload []byte) {
		n, err := incident.ReadNotice(payload)
		if err == nil && n.Subject() == "" && n.Title != "" {
			t.Fatalf("notice %+v has a title but no subject", n)
		}
	})
}
