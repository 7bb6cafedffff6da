package email

import (
	"testing"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/i18n"
)

// Every page status and component status has its message, whose English
// is the description itself; what the catalog does not know is written as
// it is.
func TestStatusWords(t *testing.T) {
	en, err := i18n.Lookup("en")
	if err != nil {
		t.Fatal(err)
	}
	for description := range pageStatusKeys {
		if got := pageStatus(en, description); got != description {
			t.Errorf("pageStatus(%q) in English = %q", description, got)
		}
	}
	for _, s := range []incident.ComponentStatus{incident.Operational, incident.DegradedPerformance, incident.PartialOutage, incident.MajorOutage, incident.UnderMaintenance} {
		if got := componentStatus(en, s); got == string(s) {
			t.Errorf("componentStatus(%q) has no message", s)
		}
	}
	if got := pageStatus(en, "Something Else"); got != "Something Else" {
		t.Errorf("an unknown page status = %q, want it as it is", got)
	}
	if got := componentStatus(en, "odd_status"); got != "odd_status" {
		t.Errorf("an unknown component status = %q, want it as it is", got)
	}
}
