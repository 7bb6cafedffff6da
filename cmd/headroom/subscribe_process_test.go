//go:build linux

package main

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/mailtest"
	"github.com/headroomhq/headroom/statuspage/admin"
)

// headroom serve with spec.page.smtp, a real process mailing through a
// real SMTP server (mailpit): a reader subscribes on the page's form, the
// Runner's worker mails the confirmation, the button confirms, and the
// next incident on the chosen component is mailed, unsubscribe link and
// all. What the wiring (config → Sender → Worker → Runner, Subscriptions
// in front of the page) must do for any of it to work.
func TestServeMailsSubscribers(t *testing.T) {
	mp := mailtest.Start(t)
	host, port, err := net.SplitHostPort(mp.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := strings.Replace(seedPage, "    name: Atlassian Bitbucket\n", "    name: Atlassian Bitbucket\n    url: http://status.test\n"+
		"    smtp: {host: "+host+", port: "+port+", from: \"Bitbucket Status <status@status.test>\", tls: none}\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "headroom.yaml"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	c, serve := startPage(t, dir, "", "serve")

	form := url.Values{"email": {"reader@example.org"}, "component": {"api"}}
	resp, err := http.PostForm(c.URL+"/subscribe", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /subscribe: %s\n%s", resp.Status, serve.output())
	}
	confirmation := mp.Wait(t, 60*time.Second, 1, nil)[0]
	token := regexp.MustCompile(`http://status\.test/subscribe/confirm\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(confirmation.Text)
	if token == nil {
		t.Fatalf("confirmation mail %q has no confirm link:\n%s", confirmation.Subject, confirmation.Text)
	}
	resp, err = http.Post(c.URL+"/subscribe/confirm?token="+token[1], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %s", resp.Status)
	}

	if _, err := c.Open(t.Context(), admin.OpenRequest{Name: "Git pushes fail", Body: "Investigating.",
		Components: map[string]incident.ComponentStatus{"git-via-ssh": "major_outage"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(t.Context(), admin.OpenRequest{Name: "API errors", Body: "We are investigating errors on the API.",
		Components: map[string]incident.ComponentStatus{"api": "partial_outage"}}); err != nil {
		t.Fatal(err)
	}
	m := mp.Wait(t, 60*time.Second, 2, nil)[1]
	if m.Subject != "[Atlassian Bitbucket] Investigating: API errors" || !strings.Contains(m.Text, "We are investigating errors on the API.") {
		t.Errorf("incident mail %q:\n%s\nwant the API incident's (not the Git one's: the reader chose api)", m.Subject, m.Text)
	}
	if got := strings.Join(m.Headers["List-Unsubscribe"], ""); got != "<http://status.test/unsubscribe?token="+token[1]+">" {
		t.Errorf("List-Unsubscribe %q, want the reader's link", got)
	}
}
