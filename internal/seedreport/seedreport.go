// Package seedreport reads the incident report headroom exists for
// (../shared/seed/bitbucket-2021-06-30-postmortem.txt, kept outside the
// repository): its title, page, postmortem and updates, so tests can
// recreate the incident and compare the page with the report.
package seedreport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is the report's path from the repository's root.
const File = "../shared/seed/bitbucket-2021-06-30-postmortem.txt"

// Report is the seed's incident as its status page showed it.
type Report struct {
	Title string
	// Page is the status page's name ("Incident Report for <Page>").
	Page string
	// Postmortem is the postmortem's text as Markdown (the report's
	// paragraphs; its "•" bullets as list items), PostmortemPosted when
	// it was posted.
	Postmortem       string
	PostmortemPosted time.Time
	// Updates, newest first.
	Updates []Update
	// Affected names the components, as the report's last line lists them.
	Affected string
	// Lines is the report as a person reads it: non-empty lines, runs of
	// spaces (no-break ones too) as one.
	Lines []string
}

// Update is one of the report's updates.
type Update struct {
	// Status is the update's status in lower case (investigating, ...).
	Status string
	Body   string
	Posted time.Time
}

// Find returns the report's path: File relative to the repository root,
// found by walking up from the working directory to go.mod. It returns
// os.ErrNotExist (wrapped) when ../shared is not there.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			path := filepath.Join(dir, File)
			_, err := os.Stat(path)
			return path, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: %w", os.ErrNotExist)
		}
		dir = parent
	}
}

// Read finds and parses the report.
func Read() (*Report, error) {
	path, err := Find()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

const posted = "Posted Jan 02, 2006 - 15:04 UTC"

// Parse reads a report: the title, "Incident Report for <page>",
// "Postmortem", its text and Posted line, then the updates (a status word,
// the body, a Posted line) and "This incident affected: ...".
func Parse(text string) (*Report, error) {
	raw := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	r := &Report{}
	for _, l := range raw {
		if l = strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "•")), " "); l != "" {
			r.Lines = append(r.Lines, l)
		}
	}
	if len(r.Lines) < 3 {
		return nil, errors.New("too short for an incident report")
	}
	r.Title = r.Lines[0]
	var ok bool
	if r.Page, ok = strings.CutPrefix(r.Lines[1], "Incident Report for "); !ok {
		return nil, fmt.Errorf("line 2 is %q, want \"Incident Report for ...\"", r.Lines[1])
	}
	start := slices.Index(raw, "Postmortem")
	end := slices.IndexFunc(raw, func(l string) bool { return strings.HasPrefix(l, "Posted ") })
	if start < 0 || end < start {
		return nil, errors.New(`no "Postmortem" followed by a "Posted" line`)
	}
	var md []string
	for _, l := range raw[start+1 : end] {
		l = strings.TrimSpace(l)
		if item, ok := strings.CutPrefix(l, "•"); ok {
			l = "- " + strings.TrimSpace(item) // TrimSpace: the report has no-break spaces
		}
		md = append(md, l)
	}
	r.Postmortem = strings.TrimSpace(strings.Join(md, "\n"))
	at, err := time.Parse(posted, strings.TrimSpace(raw[end]))
	if err != nil {
		return nil, fmt.Errorf("postmortem: %w", err)
	}
	r.PostmortemPosted = at
	// After the postmortem: status word, body, Posted line; then the
	// components.
	rest := r.Lines[slices.Index(r.Lines, strings.TrimSpace(raw[end]))+1:]
	for len(rest) >= 3 && strings.HasPrefix(rest[2], "Posted ") {
		at, err := time.Parse(posted, rest[2])
		if err != nil {
			return nil, fmt.Errorf("update %q: %w", rest[0], err)
		}
		r.Updates = append(r.Updates, Update{Status: strings.ToLower(rest[0]), Body: rest[1], Posted: at})
		rest = rest[3:]
	}
	if len(rest) != 1 {
		return nil, fmt.Errorf("after the updates: %q, want one \"This incident affected: ...\" line", rest)
	}
	if r.Affected, ok = strings.CutPrefix(rest[0], "This incident affected: "); !ok {
		return nil, fmt.Errorf("last line %q, want \"This incident affected: ...\"", rest[0])
	}
	r.Affected = strings.TrimSuffix(r.Affected, ".")
	return r, nil
}
