package main

import (
	"regexp"
	"strings"
	"testing"
)

// Every channel through the CLI against a real admin API: added, listed
// (a Slack URL's secret path hidden), removed; a usage error teaches.
func TestSubscriberCommands(t *testing.T) {
	a := startAdmin(t, "https://status.example.com")
	added := regexp.MustCompile(`^subscriber ([a-z0-9]{12}) \((\w+)\): ([a-z ]+)\n`)
	var ids []string
	for _, tt := range []struct {
		args           []string
		channel, state string
	}{
		{[]string{"--email", "ops@example.com", "--component", "git"}, "email", "pending confirmation"},
		{[]string{"--email", "oncall@example.com", "--skip-confirmation"}, "email", "active"},
		{[]string{"--channel", "slack", "--url", "https://hooks.slack.com/services/T0/B0/SECRETPART"}, "slack", "active"},
		{[]string{"--channel", "teams", "--url", "https://acme.webhook.office.com/webhookb2/x"}, "teams", "active"},
		{[]string{"--url", "https://hooks.example.com/status"}, "webhook", "active"},
	} {
		code, out, errOut := run(t, a.args(append([]string{"subscriber", "add"}, tt.args...)...)...)
		m := added.FindStringSubmatch(out)
		if code != 0 || m == nil || m[2] != tt.channel || m[3] != tt.state {
			t.Fatalf("subscriber add %v: exit %d, want %s %s\n%s%s", tt.args, code, tt.channel, tt.state, out, errOut)
		}
		ids = append(ids, m[1])
		if tt.channel == "webhook" && !strings.Contains(out, "secret (shown once") {
			t.Errorf("webhook added without its secret printed:\n%s", out)
		}
	}
	code, out, errOut := run(t, a.args("subscriber", "list")...)
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.Contains(out, "ops@example.com") || !strings.Contains(out, "pending confirmation") ||
		strings.Contains(out, "SECRETPART") {
		t.Errorf("subscriber list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, a.args("subscriber", "remove", ids[0])...)
	if code != 0 || out != "subscriber "+ids[0]+" removed\n" {
		t.Errorf("subscriber remove: exit %d\n%s%s", code, out, errOut)
	}
	if subs, _ := a.Store.Subscribers(t.Context()); len(subs) != 4 {
		t.Errorf("%d subscribers left, want 4", len(subs))
	}
	code, _, errOut = run(t, a.args("subscriber", "add", "--channel", "email", "--email", "not-an-address")...)
	if code != 2 || !strings.Contains(errOut, "email") {
		t.Errorf("a bad address: exit %d, want 2 naming the field:\n%s", code, errOut)
	}
	code, _, errOut = run(t, a.args("subscriber", "add")...)
	if code != 2 || !strings.Contains(errOut, "--email or --url") {
		t.Errorf("add without a subscriber: exit %d:\n%s", code, errOut)
	}
}
