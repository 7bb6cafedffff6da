package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/statuspage/webhook"
	"github.com/headroomhq/headroom/store/memory"
)

// adminServer is a real admin API on loopback over a memory.Incidents.
type adminServer struct {
	URL   string
	Token string
	Store *memory.Incidents
	Svc   *incident.Service
}

func startAdmin(t *testing.T, pageURL string) *adminServer {
	t.Helper()
	ctx := context.Background()
	st := &memory.Incidents{}
	svc, err := incident.NewService(ctx, incident.Config{Store: st, Page: incident.Page{ID: "bitbucket", Name: "Bitbucket", URL: pageURL},
		Components: []incident.Component{{ID: "website", Name: "Website and API"}, {ID: "git", Name: "Git", Position: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.New(svc, st, admin.WithLogger(slog.New(slog.DiscardHandler))))
	t.Cleanup(srv.Close)
	var out, info strings.Builder
	if err := createToken(ctx, st, "test", time.Now(), &out, &info); err != nil {
		t.Fatal(err)
	}
	return &adminServer{URL: srv.URL, Token: strings.TrimSpace(out.String()), Store: st, Svc: svc}
}

// args are the flags every admin command needs, then more.
func (a *adminServer) args(more ...string) []string {
	return append(more, "--server", a.URL, "--token", a.Token)
}

var openedLine = regexp.MustCompile(`^incident ([a-z0-9]{12}) opened: `)

// Regression guard for the whole story of 2021-06-30, told through the
// CLI: open, update, resolve, postmortem draft, publish; every step is on
// the admin API, the CLI prints the id and the public URL, and a
// subscriber gets every step, signed, in order.
func TestIncidentFlowThroughTheCLI(t *testing.T) {
	a := startAdmin(t, "https://bitbucket.status.example.com")
	ctx := context.Background()

	var mu sync.Mutex
	var statuses []string
	secret := "subscriber-secret-0123456789"
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header, body); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p incident.IncidentWebhook
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("receiver: %v", err)
		}
		mu.Lock()
		statuses = append(statuses, string(p.Incident.Status))
		mu.Unlock()
	}))
	defer rcv.Close()
	if err := a.Store.AddSubscriber(ctx, incident.Subscriber{ID: "sub", URL: rcv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, a.args("incident", "open", "--name", "Website and API degraded", "--impact", "major",
		"--component", "website=major_outage", "--started-at", "2021-06-30T16:56:00Z",
		"--body", "We are investigating elevated error rates on the website and API.")...)
	if code != 0 {
		t.Fatalf("open: exit %d\n%s%s", code, out, errOut)
	}
	m := openedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("open printed %q, want the incident's id first", out)
	}
	id := m[1]
	if want := "https://bitbucket.status.example.com/incidents/" + id + "\n"; !strings.HasSuffix(out, want) {
		t.Errorf("open printed %q, want the URL %q", out, want)
	}

	// The token may come from the environment instead.
	t.Setenv(tokenEnv, a.Token)
	code, out, errOut = run(t, "incident", "update", id, "--server", a.URL, "--status", "identified",
		"--component", "website=partial_outage", "--body", "A scheduled scale-in removed too much capacity.")
	if code != 0 || !strings.Contains(out, "incident "+id+" updated: Website and API degraded (identified, impact major)") {
		t.Fatalf("update: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = run(t, a.args("incident", "resolve", id, "--body", "Capacity was added back; error rates are normal.")...)
	if code != 0 || !strings.Contains(out, "(resolved,") {
		t.Fatalf("resolve: exit %d\n%s%s", code, out, errOut)
	}

	pm := filepath.Join(t.TempDir(), "postmortem.md")
	os.WriteFile(pm, []byte("## What happened\n\nA scheduled scaling event reduced capacity aggressively.\n"), 0o644)
	code, out, errOut = run(t, a.args("incident", "postmortem", id, "--body-file", pm)...)
	if code != 0 || !strings.Contains(out, "postmortem draft saved") {
		t.Fatalf("postmortem: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("incident", "show", id)...)
	if code != 0 || !strings.Contains(out, "postmortem draft (unpublished):\n## What happened") {
		t.Fatalf("show: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("incident", "postmortem", id, "--publish")...)
	if code != 0 || !strings.Contains(out, "postmortem published") || !strings.Contains(out, "(postmortem,") {
		t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = run(t, a.args("incident", "show", id, "--format", "json")...)
	var inc admin.Incident
	if err := json.Unmarshal([]byte(out), &inc); code != 0 || err != nil {
		t.Fatalf("show --format json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if inc.Status != incident.Postmortem || inc.PostmortemBody == nil || !strings.Contains(*inc.PostmortemBody, "reduced capacity") ||
		len(inc.IncidentUpdates) != 3 || inc.StartedAt != "2021-06-30T16:56:00.000Z" {
		t.Errorf("incident at the end: %s", out)
	}

	w := &webhook.Worker{Store: a.Store, Logger: slog.New(slog.DiscardHandler), AllowPrivate: true} // the receiver is on loopback
	if err := w.Once(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got, want := strings.Join(statuses, ","), "investigating,identified,resolved,postmortem"; got != want {
		t.Errorf("subscriber got %s, want %s", got, want)
	}
}

func TestAdminCommandsWithoutPageURL(t *testing.T) {
	a := startAdmin(t, "")
	code, out, errOut := run(t, a.args("incident", "open", "--name", "Git pushes failing", "--component", "git=partial_outage", "--body", "Investigating.")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// The page is then served by the server itself.
	if !regexp.MustCompile(`\n` + regexp.QuoteMeta(a.URL) + `/incidents/[a-z0-9]{12}\n$`).MatchString(out) {
		t.Errorf("printed %q, want the incident's URL on the server", out)
	}
}

func TestComponentAndMaintenanceCommands(t *testing.T) {
	a := startAdmin(t, "https://status.example.com")
	code, out, errOut := run(t, a.args("component", "set", "git", "degraded_performance")...)
	if code != 0 || out != "component git (Git): degraded_performance\n" {
		t.Errorf("component set: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("maintenance", "schedule", "--name", "Database upgrade", "--component", "website",
		"--from", "2030-12-01T02:00:00Z", "--until", "2030-12-01T03:00:00Z", "--auto", "--body", "Read-only for an hour.")...)
	if code != 0 || !regexp.MustCompile(`^maintenance [a-z0-9]{12} scheduled: Database upgrade \(scheduled\)\nhttps://status.example.com/incidents/`).MatchString(out) {
		t.Errorf("maintenance schedule: exit %d\n%s%s", code, out, errOut)
	}
	var scheduled *incident.Incident
	for _, i := range a.Svc.Snapshot().Incidents {
		if i.Kind == incident.KindMaintenance {
			scheduled = &i
		}
	}
	if scheduled == nil || !scheduled.AutoStart || !scheduled.AutoComplete {
		t.Errorf("maintenance stored as %+v, want auto start and complete", scheduled)
	}
}

// closedServer returns a URL nothing listens on.
func closedServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

func TestAdminCommandErrors(t *testing.T) {
	a := startAdmin(t, "https://status.example.com")
	code, out, _ := run(t, a.args("incident", "open", "--name", "Open one", "--body", "Investigating.")...)
	if code != 0 {
		t.Fatal(out)
	}
	id := openedLine.FindStringSubmatch(out)[1]
	t.Setenv(tokenEnv, "")
	tests := []struct {
		name string
		args []string
		// stderr holds each of these.
		want []string
	}{
		{"no token", []string{"incident", "open", "--server", a.URL, "--name", "x", "--body", "y"},
			[]string{"no admin token: set HEADROOM_TOKEN or pass --token", "Try: export HEADROOM_TOKEN=$(headroom token create"}},
		{"bad token", []string{"incident", "open", "--server", a.URL, "--token", "hr_wrong", "--name", "x", "--body", "y"},
			[]string{"open incident: a valid admin token is required", "Try: export HEADROOM_TOKEN="}},
		{"unknown component", a.args("incident", "open", "--name", "x", "--body", "y", "--component", "database=major_outage"),
			[]string{"open incident:", `"database"`}},
		{"bad component flag", a.args("incident", "open", "--name", "x", "--body", "y", "--component", "website"),
			[]string{`--component "website": expected ID=STATUS, STATUS one of operational,`}},
		{"bad component status", a.args("incident", "update", id, "--status", "identified", "--body", "y", "--component", "website=kaput"),
			[]string{"update incident " + id + ":", "kaput"}},
		{"no body", a.args("incident", "open", "--name", "x"), []string{"no body: give --body TEXT or --body-file FILE"}},
		{"body twice", a.args("incident", "open", "--name", "x", "--body", "y", "--body-file", "f.md"), []string{"--body and --body-file both"}},
		{"missing body file", a.args("incident", "open", "--name", "x", "--body-file", "/nonexistent/first.md"),
			[]string{"/nonexistent/first.md: --body-file: expected a readable Markdown file"}},
		{"no name", a.args("incident", "open", "--body", "y"), []string{"no name: give --name"}},
		{"bad time", a.args("incident", "open", "--name", "x", "--body", "y", "--started-at", "yesterday"),
			[]string{`--started-at "yesterday": expected an RFC 3339 time`}},
		{"bad transition", a.args("incident", "update", id, "--status", "scheduled", "--body", "y"),
			[]string{"update incident " + id + ":", "scheduled"}},
		{"no status", a.args("incident", "update", id, "--body", "y"), []string{"no status: give --status"}},
		{"unknown incident", a.args("incident", "resolve", "nosuchincident", "--body", "y"),
			[]string{"resolve incident nosuchincident:", "nosuchincident"}},
		{"postmortem of an unresolved incident", a.args("incident", "postmortem", id, "--publish"),
			[]string{"publish the postmortem of incident " + id + ":"}},
		{"postmortem with nothing to do", a.args("incident", "postmortem", id), []string{"nothing to do: give --body-file FILE"}},
		{"server down", []string{"incident", "open", "--server", closedServer(t), "--token", a.Token, "--name", "x", "--body", "y"},
			[]string{"open incident: cannot reach the admin API at http://127.0.0.1:", "is headroom serve running there?"}},
		{"not a server URL", []string{"component", "set", "git", "operational", "--token", a.Token, "--server", "127.0.0.1:8080"},
			[]string{`server: got "127.0.0.1:8080", expected the URL of headroom serve`}},
		{"component set without a status", a.args("component", "set", "git"), []string{"component set takes a component id and a status, got 1"}},
		{"unknown component set", a.args("component", "set", "database", "operational"), []string{"set component database:", `"database"`}},
		{"bad format", a.args("incident", "show", id, "--format", "yaml"), []string{`--format "yaml": expected text or json`}},
		{"incident alone", []string{"incident"}, []string{"incident needs a subcommand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != ExitInvalid {
				t.Errorf("exit %d, want %d\n%s%s", code, ExitInvalid, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "internal error") {
				t.Errorf("stderr says internal error: %s", errOut)
			}
		})
	}
}

// A draft through the CLI: open --draft says it is one and how to publish
// it; show marks it; the page and the subscribers hear nothing until
// incident publish, which prints the published incident; publishing again
// is refused.
func TestDraftThroughTheCLI(t *testing.T) {
	a := startAdmin(t, "https://bitbucket.status.example.com")
	ctx := context.Background()
	if err := a.Store.AddSubscriber(ctx, incident.Subscriber{ID: "sub", URL: "https://hooks.example.com", Secret: "subscriber-secret-0123456789"}); err != nil {
		t.Fatal(err)
	}
	queued := func() int {
		t.Helper()
		d, err := a.Store.Queued(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(d)
	}

	code, out, errOut := run(t, a.args("incident", "open", "--draft", "--name", "Website and API degraded",
		"--component", "website=major_outage", "--body", "We are investigating elevated error rates.")...)
	if code != 0 {
		t.Fatalf("open --draft: exit %d\n%s%s", code, out, errOut)
	}
	m := openedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("open --draft printed %q, want the incident's id first", out)
	}
	id := m[1]
	if want := "(investigating, impact critical, draft)\nnot on the status page until published: headroom incident publish " + id + "\n"; !strings.Contains(out, want) {
		t.Errorf("open --draft printed %q, want it to say %q", out, want)
	}
	if snap := a.Svc.Snapshot(); len(snap.Incidents) != 0 || snap.Components[0].Status != incident.Operational || queued() != 0 {
		t.Errorf("after open --draft: %d public incidents, website %s, %d webhooks; want none, operational, none",
			len(snap.Incidents), snap.Components[0].Status, queued())
	}
	code, out, errOut = run(t, a.args("incident", "show", id)...)
	if code != 0 || !strings.Contains(out, "DRAFT: not on the status page; publish it with: headroom incident publish "+id) {
		t.Fatalf("show of a draft: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("incident", "update", id, "--status", "identified", "--body", "A scheduled scale-in removed capacity.")...)
	if code != 0 || !strings.Contains(out, "(identified, impact critical, draft)") || queued() != 0 {
		t.Fatalf("update of a draft: exit %d, %d webhooks\n%s%s", code, queued(), out, errOut)
	}

	code, out, errOut = run(t, a.args("incident", "publish", id)...)
	if want := "incident " + id + " published: Website and API degraded (identified, impact critical)\nhttps://bitbucket.status.example.com/incidents/" + id + "\n"; code != 0 || out != want {
		t.Fatalf("publish: exit %d\n%s%s\nwant %s", code, out, errOut, want)
	}
	if inc := a.Svc.Snapshot().Incident(id); inc == nil || len(inc.Updates) != 2 || a.Svc.Snapshot().Components[0].Status != incident.MajorOutage || queued() != 1 {
		t.Errorf("after publish: %+v, %d webhooks; want it public with 2 updates, website major_outage, 1 webhook", inc, queued())
	}
	code, out, errOut = run(t, a.args("incident", "show", id)...)
	if code != 0 || strings.Contains(out, "DRAFT") || !strings.Contains(out, "published from a draft ") {
		t.Errorf("show after publish: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("incident", "show", id, "--format", "json")...)
	var inc admin.Incident
	if err := json.Unmarshal([]byte(out), &inc); code != 0 || err != nil || inc.Draft || inc.PublishedAt == nil {
		t.Errorf("show --format json after publish: exit %d, %v\n%s%s", code, err, out, errOut)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"publish twice", a.args("incident", "publish", id), "publish incident " + id + ": " + `incident "` + id + `": published already`},
		{"publish an unknown incident", a.args("incident", "publish", "nosuchincident"), "publish incident nosuchincident:"},
		{"publish without an id", a.args("incident", "publish"), "accepts 1 arg"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != ExitInvalid || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "internal error") {
				t.Errorf("exit %d, want %d, stderr saying %q\n%s%s", code, ExitInvalid, tt.want, out, errOut)
			}
		})
	}
}

// serve passes a target's publish mode to its incident automation.
func TestAutomationPublishMode(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want incident.Publish
	}{
		{config.PublishAuto, incident.PublishAuto},
		{config.PublishDraft, incident.PublishDraft},
	} {
		if got := automation("web", &config.Incident{Components: []string{"website"}, Publish: tt.in}).Publish; got != tt.want {
			t.Errorf("publish %q: automation has %q, want %q", tt.in, got, tt.want)
		}
	}
}

// component list reads the page's public JSON: ids to use with set.
func TestComponentList(t *testing.T) {
	a := startAdmin(t, "https://status.example.com")
	public := statuspage.New()
	public.Logger = slog.New(slog.DiscardHandler)
	public.Publish(a.Svc.Snapshot())
	srv := httptest.NewServer(public)
	t.Cleanup(srv.Close)
	code, out, errOut := run(t, "component", "list", "--server", srv.URL)
	if code != 0 || !regexp.MustCompile(`(?m)^website\s+Website and API\s+-\s+operational$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^git\s+Git\s+-\s+operational$`).MatchString(out) {
		t.Errorf("component list: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "component", "list", "--server", closedServer(t)); code != ExitInvalid || !strings.Contains(errOut, "list components") {
		t.Errorf("server down: exit %d, %q", code, errOut)
	}
}
