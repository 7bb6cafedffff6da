//go:build linux

package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/internal/htmltext"
	"github.com/headroomhq/headroom/internal/seedreport"
	"golang.org/x/net/html"
)

// seedPage is the seed's status page: Atlassian Bitbucket's components.
const seedPage = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  page:
    name: Atlassian Bitbucket
    components:
    - name: Website
    - name: API
    - name: Git via SSH
    - name: Git via HTTPS
    - name: Pipelines
`

// A fresh headroom serve, the seed's incident recreated through the CLI
// as its writers posted it (the times backdated with --started-at and
// --display-at), then its page read as a person reads it: the seed's
// report, line for line, but for the date the postmortem is published
// (now, not 2021-07-07).
func TestSeedThroughTheCLI(t *testing.T) {
	seed, err := seedreport.Read()
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("%s not found: ../shared is not beside the repository", seedreport.File)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte(seedPage), 0o644)
	code, token, stderr := run(t, "token", "create", "ci", "--config", cfg)
	if code != ExitPass {
		t.Fatalf("token create: exit %d\n%s", code, stderr)
	}
	token = strings.TrimSpace(token)
	serve := spawn(t, "serve", "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	var url string
	waitFor(t, 30*time.Second, "serve's address", func() bool {
		m := regexp.MustCompile(`status page at (http://[0-9.:]+)/`).FindStringSubmatch(serve.output())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, serve)

	cli := func(args ...string) string {
		t.Helper()
		code, out, stderr := run(t, append(args, "--server", url, "--token", token)...)
		if code != ExitPass {
			t.Fatalf("%s: exit %d\n%s%s", strings.Join(args[:2], " "), code, out, stderr)
		}
		return out
	}
	at := func(t time.Time) string { return t.Format(time.RFC3339) }
	first := seed.Updates[len(seed.Updates)-1]
	out := cli("incident", "open", "--name", seed.Title, "--status", first.Status, "--impact", "major",
		"--component", "website=major_outage", "--component", "api=major_outage", "--body", first.Body,
		"--started-at", "2021-06-30T17:05:00Z", "--display-at", at(first.Posted))
	m := regexp.MustCompile(`incident (\w+) opened`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("incident open printed no id:\n%s", out)
	}
	id := m[1]
	for i := len(seed.Updates) - 2; i >= 0; i-- {
		u := seed.Updates[i]
		if u.Status == "resolved" {
			cli("incident", "resolve", id, "--body", u.Body, "--display-at", at(u.Posted))
			continue
		}
		cli("incident", "update", id, "--status", u.Status, "--body", u.Body, "--display-at", at(u.Posted))
	}
	pm := filepath.Join(dir, "postmortem.md")
	os.WriteFile(pm, []byte(seed.Postmortem), 0o644)
	cli("incident", "postmortem", id, "--file", pm, "--publish")

	resp, err := http.Get(url + "/incidents/" + id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := html.Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := htmltext.Lines(doc, htmltext.HasClass("report"))
	if resp.StatusCode != http.StatusOK || !ok {
		t.Fatalf("GET /incidents/%s: %s, report found: %v", id, resp.Status, ok)
	}
	want := slices.Clone(seed.Lines)
	i := slices.Index(want, seed.PostmortemPosted.Format("Posted Jan 02, 2006 - 15:04 UTC"))
	posted := regexp.MustCompile(`^Posted [A-Z][a-z]{2} \d{2}, \d{4} - \d{2}:\d{2} UTC$`)
	if i < 0 || i >= len(got) || !posted.MatchString(got[i]) {
		t.Fatalf("no postmortem Posted line at line %d:\n%s", i+1, strings.Join(got, "\n"))
	}
	want[i] = got[i] // published now
	for j := range max(len(got), len(want)) {
		if j >= len(got) || j >= len(want) || got[j] != want[j] {
			t.Fatalf("line %d differs from the seed's report:\npage:\n%s", j+1, strings.Join(got, "\n"))
		}
	}
}
