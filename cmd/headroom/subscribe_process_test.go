//go:build linux

package main

import (
	"fmt"
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

// Behind a reverse proxy every visitor comes from the proxy's address: with
// spec.page.trustedProxies, the subscription form's per-client limit (5,
// then one a minute) counts the clients the proxy names in
// X-Forwarded-For, not the proxy. Regression: serve left the limit on the
// connection's address, so six sign-ups behind one proxy during an outage
// turned everyone away.
func TestServeSubscribeLimitBehindAProxy(t *testing.T) {
	mp := mailtest.Start(t)
	host, port, err := net.SplitHostPort(mp.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trusted string
		want6th int
	}{
		{"proxy trusted: six clients", "    trustedProxies: [127.0.0.1]\n", http.StatusOK},
		{"no proxy configured: one client", "", http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			page := strings.Replace(seedPage, "    name: Atlassian Bitbucket\n", "    name: Atlassian Bitbucket\n    url: http://status.test\n"+tc.trusted+
				"    smtp: {host: "+host+", port: "+port+", from: \"Bitbucket Status <status@status.test>\", tls: none}\n", 1)
			if err := os.WriteFile(filepath.Join(dir, "headroom.yaml"), []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			c, serve := startPage(t, dir, "", "serve")
			var codes []int
			for i := range 6 {
				req, err := http.NewRequest(http.MethodPost, c.URL+"/subscribe", strings.NewReader(url.Values{"email": {fmt.Sprintf("reader%d@example.org", i)}}.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				codes = append(codes, resp.StatusCode)
			}
			if codes[4] != http.StatusOK || codes[5] != tc.want6th {
				t.Errorf("six sign-ups from six clients behind the proxy: %v, want the 6th %d\n%s", codes, tc.want6th, serve.output())
			}
		})
	}
}
