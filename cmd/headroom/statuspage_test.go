//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/htmltext"
	"github.com/headroomhq/headroom/internal/pgtest"
	"github.com/headroomhq/headroom/internal/seedreport"
	"github.com/headroomhq/headroom/statuspage/admin"
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
	c, _ := startPage(t, dir, "", "serve")
	url, token := c.URL, c.Token

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

// startPage writes a status page config (with extra spec lines), makes a
// token and starts serve on a free port; it returns the admin client.
func startPage(t *testing.T, dir, extra, name string) (*admin.Client, *proc) {
	t.Helper()
	cfg := filepath.Join(dir, "headroom.yaml")
	if _, err := os.Stat(cfg); err != nil {
		os.WriteFile(cfg, []byte(strings.Replace(seedPage, "spec:\n", "spec:\n"+extra, 1)), 0o644)
	}
	tokenFile := filepath.Join(dir, "token")
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		code, out, stderr := run(t, "token", "create", "test", "--config", cfg)
		if code != ExitPass {
			t.Fatalf("token create: exit %d\n%s", code, stderr)
		}
		token = []byte(strings.TrimSpace(out))
		os.WriteFile(tokenFile, token, 0o600)
	}
	p := spawn(t, name, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	var url string
	waitFor(t, 30*time.Second, name+"'s address", func() bool {
		m := regexp.MustCompile(`status page at (http://[0-9.:]+)/`).FindStringSubmatch(p.output())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, p)
	return &admin.Client{URL: url, Token: string(token)}, p
}

// publicIncident reads an incident from the public JSON API.
func publicIncident(t *testing.T, base, id string) (*incident.APIIncident, int) {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/incidents/" + id + ".json")
	if err != nil {
		return nil, 0
	}
	defer resp.Body.Close()
	var doc struct {
		Incident incident.APIIncident `json:"incident"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return nil, resp.StatusCode
	}
	return &doc.Incident, resp.StatusCode
}

// kill -9 of serve while an admin client posts updates: every update the
// API acknowledged is on the page after a restart.
func TestKillDuringStatusWrites(t *testing.T) {
	dir := t.TempDir()
	c, serve := startPage(t, dir, "", "serve1")
	ctx := t.Context()
	inc, err := c.Open(ctx, admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"website": "partial_outage"}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; ; n++ {
			body := fmt.Sprintf("Update %d.", n)
			if _, err := c.Update(ctx, inc.ID, admin.UpdateRequest{Status: "identified", Body: body}); err != nil {
				return // the server is gone
			}
			mu.Lock()
			acked = append(acked, body)
			mu.Unlock()
		}
	}()
	waitFor(t, 30*time.Second, "20 acknowledged updates", func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 20 }, serve)
	serve.kill()
	<-done

	c2, _ := startPage(t, dir, "", "serve2")
	got, code := publicIncident(t, c2.URL, inc.ID)
	if got == nil {
		t.Fatalf("after the restart: %d", code)
	}
	seen := map[string]bool{}
	for _, u := range got.IncidentUpdates {
		seen[u.Body] = true
	}
	for _, body := range acked {
		if !seen[body] {
			t.Errorf("acknowledged %q, lost after kill -9 (%d acknowledged, %d updates stored)", body, len(acked), len(got.IncidentUpdates))
		}
	}
}

// Two serve processes on one PostgreSQL: what one writes, the other's page
// shows within a few seconds (it reloads when the store's version moves).
func TestStatusPageTwoReplicas(t *testing.T) {
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	a, pa := startPage(t, dir, "  database: "+db+"\n", "a")
	b, pb := startPage(t, dir, "", "b")
	ctx := t.Context()
	inc, err := a.Open(ctx, admin.OpenRequest{Name: "Elevated errors", Body: "Investigating.", Components: map[string]incident.ComponentStatus{"api": "major_outage"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitFor(t, 10*time.Second, "b shows a's incident", func() bool { got, _ := publicIncident(t, b.URL, inc.ID); return got != nil }, pa, pb)
	t.Logf("b showed a's write after %s", time.Since(start).Round(time.Millisecond))
	if _, err := b.Resolve(ctx, inc.ID, admin.ResolveRequest{Body: "Resolved."}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a shows b's resolution", func() bool {
		got, _ := publicIncident(t, a.URL, inc.ID)
		return got != nil && got.Status == "resolved"
	}, pa, pb)
}

// --db overrides the config's store: tokens made with it are in that
// PostgreSQL, not in the SQLite file; a URL that is not PostgreSQL is
// refused without echoing it.
func TestDBFlag(t *testing.T) {
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(cfg, []byte(seedPage), 0o644)
	if code, _, stderr := run(t, "token", "create", "ops", "--config", cfg, "--db", db); code != ExitPass {
		t.Fatalf("token create --db: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Errorf("--db wrote the SQLite data directory too")
	}
	code, out, stderr := run(t, "token", "list", "--config", cfg, "--db", db)
	if code != ExitPass || !strings.Contains(out, "ops") {
		t.Errorf("token list --db: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = run(t, "token", "list", "--config", cfg, "--db", "mysql://root:hunter2@db/x")
	if code != ExitInvalid || strings.Contains(stderr, "hunter2") || !strings.Contains(stderr, "--db") {
		t.Errorf("--db mysql: exit %d\n%s", code, stderr)
	}
}
