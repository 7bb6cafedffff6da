package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// chatReceiver is a Slack or Teams incoming webhook on loopback: it keeps
// the JSON bodies it took and the requests' headers.
type chatReceiver struct {
	mu      sync.Mutex
	bodies  []map[string]any
	headers []http.Header
}

func (c *chatReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, v)
	c.headers = append(c.headers, r.Header.Clone())
	c.mu.Unlock()
	io.WriteString(w, "1") // what Slack and Teams answer
}

func (c *chatReceiver) only(t *testing.T) (map[string]any, http.Header) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) != 1 {
		t.Fatalf("receiver took %d messages, want 1", len(c.bodies))
	}
	return c.bodies[0], c.headers[0]
}

// get walks v by keys and indexes: get(v, "attachments", 0, "content").
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T, want an object", p, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: %v, want an array of more than %d", p, v, k)
			}
			v = a[k]
		}
	}
	return v
}

// A Slack and a Teams subscriber get the incident's notification in their
// documented formats, through the same outbox and worker as webhooks, and
// without the webhook's signature (its secret is the receiver's URL).
func TestSlackAndTeamsSubscribers(t *testing.T) {
	payload, err := os.ReadFile("../../incident/testdata/webhook-incident-opened.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	st, clk := setup(t)
	slack, teams := &chatReceiver{}, &chatReceiver{}
	slackSrv, teamsSrv := httptest.NewServer(slack), httptest.NewServer(teams)
	defer slackSrv.Close()
	defer teamsSrv.Close()
	for _, s := range []incident.Subscriber{
		{ID: "slack", Channel: incident.ChannelSlack, URL: slackSrv.URL + "/services/T0/B0/x"},
		{ID: "teams", Channel: incident.ChannelTeams, URL: teamsSrv.URL + "/webhookb2/x", ComponentIDs: []string{"api"}},
	} {
		if err := st.AddSubscriber(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	notify(t, st, string(payload), "api")
	if err := newWorker(st, clk).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, st); len(q) != 0 {
		t.Fatalf("outbox: %d deliveries left, want 0: %+v", len(q), q)
	}
	name := "Bitbucket website and API services are returning 502 errors"
	link := "https://bitbucket.status.atlassian.com/incidents/id001"

	msg, hdr := slack.only(t)
	if hdr.Get(webhook.SignatureHeader) != "" {
		t.Errorf("Slack message carries %s; Slack does not read it", webhook.SignatureHeader)
	}
	if got := get(t, msg, "text"); got != "Investigating: "+name {
		t.Errorf("Slack text = %q, want the subject", got)
	}
	section := get(t, msg, "blocks", 0, "text", "text").(string)
	if get(t, msg, "blocks", 0, "type") != "section" || !strings.Contains(section, "<"+link+"|") || !strings.Contains(section, "We are currently investigating") {
		t.Errorf("Slack section = %q, want a link to the incident and the update's text", section)
	}
	if ctx := get(t, msg, "blocks", 1, "elements", 0, "text").(string); !strings.Contains(ctx, "API: Partial outage") {
		t.Errorf("Slack context = %q, want the affected components", ctx)
	}

	card, hdr := teams.only(t)
	if hdr.Get(webhook.SignatureHeader) != "" {
		t.Errorf("Teams message carries %s", webhook.SignatureHeader)
	}
	if get(t, card, "type") != "message" || get(t, card, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" ||
		get(t, card, "attachments", 0, "contentUrl") != nil {
		t.Errorf("Teams message = %v, want a message with one Adaptive Card attachment", card)
	}
	content := get(t, card, "attachments", 0, "content")
	if get(t, content, "type") != "AdaptiveCard" || get(t, content, "body", 0, "text") != "Investigating: "+name ||
		get(t, content, "actions", 0, "url") != link {
		t.Errorf("Adaptive Card = %v, want the subject as its first TextBlock and a link to the incident", content)
	}
	if f := get(t, content, "body", 2, "facts", 1); get(t, f, "title") != "API" || get(t, f, "value") != "Partial outage" {
		t.Errorf("Adaptive Card fact = %v, want API: Partial outage", f)
	}
}

// Regression guard: an update's text cannot mention a whole Slack channel.
func TestSlackMessageEscapesMarkup(t *testing.T) {
	b, err := webhook.SlackMessage(incident.Notice{Title: "DB <!channel> & co", Status: "Identified", Body: "see <https://evil.example|here>"})
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{get(t, msg, "text").(string), get(t, msg, "blocks", 0, "text", "text").(string)} {
		if strings.Contains(text, "<!channel>") || strings.Contains(text, "<https://evil") {
			t.Errorf("Slack text %q holds markup unescaped", text)
		}
	}
	if text := get(t, msg, "text").(string); text != "Identified: DB &lt;!channel&gt; &amp; co" {
		t.Errorf("Slack text = %q, want &, < and > escaped", text)
	}
}
