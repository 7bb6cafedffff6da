package seedreport

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestReadTheSeed(t *testing.T) {
	r, err := Read()
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("%s not found: ../shared is not beside the repository", File)
	}
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Bitbucket website and API services are returning 502 errors" || r.Page != "Atlassian Bitbucket" || r.Affected != "Website and API" {
		t.Errorf("title %q, page %q, affected %q", r.Title, r.Page, r.Affected)
	}
	if want := time.Date(2021, 7, 7, 21, 51, 0, 0, time.UTC); !r.PostmortemPosted.Equal(want) {
		t.Errorf("postmortem posted %s, want %s", r.PostmortemPosted, want)
	}
	var got []string
	for _, u := range r.Updates {
		got = append(got, u.Status+" "+u.Posted.Format("15:04"))
	}
	if strings.Join(got, ", ") != "resolved 17:53, monitoring 17:31, identified 17:24, investigating 17:16" {
		t.Errorf("updates: %v", got)
	}
	if !strings.HasPrefix(r.Postmortem, "SUMMARY\n\nOn") || !strings.Contains(r.Postmortem, "\n- Tuning auto-scaling configuration rules") ||
		!strings.HasSuffix(r.Postmortem, "Atlassian Customer Support") {
		t.Errorf("postmortem:\n%s", r.Postmortem)
	}
}

func TestParseRefusesOtherText(t *testing.T) {
	for _, text := range []string{"", "a\nb\nc", "Title\nIncident Report for X\nPostmortem\nbody\n"} {
		if _, err := Parse(text); err == nil {
			t.Errorf("Parse(%q): no error", text)
		}
	}
}
